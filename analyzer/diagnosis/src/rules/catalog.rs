//! The rule catalog: embedded defaults, optionally overridden by a folder of rule files.

use std::path::Path;

use rdpdiag_schemas::RootCauseId;

use super::load::{RuleError, check_dir, parse_rule};
use super::spec::{EvidenceKind, Rule};
use rdpdiag_evtx::WantedEvent;

/// The default rules, compiled into the binary: (file name, text).
pub const EMBEDDED_RULES: &[(&str, &str)] = &[
    (
        "cert-key-unreadable.toml",
        include_str!("../../../rules/cert-key-unreadable.toml"),
    ),
    (
        "cert-expired-or-mismatched.toml",
        include_str!("../../../rules/cert-expired-or-mismatched.toml"),
    ),
    (
        "nla-credssp-mismatch.toml",
        include_str!("../../../rules/nla-credssp-mismatch.toml"),
    ),
    (
        "firewall-or-av-interference.toml",
        include_str!("../../../rules/firewall-or-av-interference.toml"),
    ),
    (
        "listener-or-port-problem.toml",
        include_str!("../../../rules/listener-or-port-problem.toml"),
    ),
    (
        "max-outstanding-connections.toml",
        include_str!("../../../rules/max-outstanding-connections.toml"),
    ),
    (
        "user-profile-corrupt.toml",
        include_str!("../../../rules/user-profile-corrupt.toml"),
    ),
    (
        "network-transport.toml",
        include_str!("../../../rules/network-transport.toml"),
    ),
    (
        "outdated-client.toml",
        include_str!("../../../rules/outdated-client.toml"),
    ),
    (
        "tls-or-fips-mismatch.toml",
        include_str!("../../../rules/tls-or-fips-mismatch.toml"),
    ),
    (
        "proxy-or-bastion-in-path.toml",
        include_str!("../../../rules/proxy-or-bastion-in-path.toml"),
    ),
    (
        "rdp-service-crash.toml",
        include_str!("../../../rules/rdp-service-crash.toml"),
    ),
    (
        "credentials-rejected.toml",
        include_str!("../../../rules/credentials-rejected.toml"),
    ),
    (
        "middlebox-reset.toml",
        include_str!("../../../rules/middlebox-reset.toml"),
    ),
    (
        "rdp-protocol-error.toml",
        include_str!("../../../rules/rdp-protocol-error.toml"),
    ),
    (
        "logon-disabled.toml",
        include_str!("../../../rules/logon-disabled.toml"),
    ),
    (
        "gateway-or-broker-leg.toml",
        include_str!("../../../rules/gateway-or-broker-leg.toml"),
    ),
];

/// The rules in force, one per root cause at most.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Rules, in root-cause order.
    pub rules: Vec<Rule>,
}

impl Catalog {
    /// The embedded rules (a broken embedded rule is a build bug; tests check them all).
    pub fn embedded() -> Result<Catalog, Vec<RuleError>> {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for (name, text) in EMBEDDED_RULES {
            match parse_rule(&format!("(embedded) {name}"), text) {
                Ok(r) => rules.push(r),
                Err(e) => errors.extend(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut c = Catalog { rules };
        c.sort();
        Ok(c)
    }

    /// The embedded rules, with every rule of `dir` added or replacing the one of the same id.
    pub fn with_overrides(dir: &Path) -> Result<Catalog, Vec<RuleError>> {
        let mut c = Catalog::embedded()?;
        let (rules, errors) = check_dir(dir);
        if !errors.is_empty() {
            return Err(errors);
        }
        for r in rules {
            c.rules.retain(|x| x.id != r.id);
            c.rules.push(r);
        }
        c.sort();
        Ok(c)
    }

    fn sort(&mut self) {
        self.rules.sort_by_key(|r| {
            RootCauseId::ALL
                .iter()
                .position(|c| *c == r.id)
                .unwrap_or(usize::MAX)
        });
    }

    /// The rule for a cause.
    pub fn get(&self, id: RootCauseId) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Every event a rule names, with the channel it is logged on (the rule's, or every
    /// channel the field vocabulary knows it on): what ingest must read so that each rule can
    /// fire, also a `--rules DIR` rule on an event no embedded rule uses.
    pub fn wanted_events(&self) -> Vec<WantedEvent> {
        let mut out = Vec::new();
        for r in &self.rules {
            for ev in &r.evidence {
                let EvidenceKind::Event { matcher, unless, .. } = &ev.kind else {
                    continue;
                };
                // The events that explain a match away are read too, or they never could.
                let explaining = unless.as_ref().map(|u| (&u.matcher, "unless_near of "));
                for (matcher, role) in std::iter::once((matcher, "")).chain(explaining) {
                    let channels: Vec<String> = match &matcher.channel {
                        Some(c) => vec![c.clone()],
                        None => super::vocabulary::channels_of(matcher)
                            .into_iter()
                            .map(str::to_string)
                            .collect(),
                    };
                    for channel in channels {
                        out.push(WantedEvent {
                            channel,
                            provider: matcher.provider.clone(),
                            ids: matcher.ids.clone(),
                            why: format!("{} {role}evidence {}", r.origin, ev.id),
                        });
                    }
                }
            }
        }
        out
    }
}
