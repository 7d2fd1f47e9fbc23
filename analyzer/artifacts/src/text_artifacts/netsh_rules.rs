//! `netsh advfirewall firewall show rule name=all` (MSRD-Collect `FirewallRules.txt`): one block
//! per rule, `Rule Name:` then a dashed line, then `Label:` rows padded to a column
//! (`Enabled`, `Direction`, `Profiles`, `Grouping`, `LocalIP`, `RemoteIP`, `Protocol`,
//! `LocalPort`, `RemotePort`, `Edge traversal`, `Action`), `Ok.` after the last rule.
//! Labels and values are localized on non-English systems: [`locale`] maps the ones we know
//! (values normalised to `Yes/No`, `In/Out`, `Allow/Block/Bypass`, `Any`); a rule whose
//! enabled/direction/action cannot be read is kept but not fully read ([`NetshRule::fully_read`]).

use serde::Serialize;

use super::locale::{self, NetshLabel};
use super::{MAX_ITEMS, TextError, prepare};
use rdpdiag_evtx::model::{Problem, Severity};

/// A parsed rule listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetshRules {
    /// Rules in printed order.
    pub rules: Vec<NetshRule>,
    /// `No rules match the specified criteria.` was printed.
    pub no_rules: bool,
    /// Lines that could not be understood.
    pub problems: Vec<Problem>,
}

/// One rule block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NetshRule {
    /// Line of `Rule Name:`.
    pub line: u64,
    /// Display name.
    pub name: String,
    /// `Enabled: Yes|No`.
    pub enabled: Option<bool>,
    /// `Direction: In|Out`.
    pub direction: Option<String>,
    /// `Profiles:` e.g. `Domain,Private,Public`.
    pub profiles: Option<String>,
    /// `Grouping:` (empty for ungrouped rules).
    pub grouping: Option<String>,
    /// `LocalIP:`.
    pub local_ip: Option<String>,
    /// `RemoteIP:`.
    pub remote_ip: Option<String>,
    /// `Protocol:` (`TCP`, `UDP`, `Any`, `ICMPv4` ...).
    pub protocol: Option<String>,
    /// `LocalPort:`.
    pub local_port: Option<String>,
    /// `RemotePort:`.
    pub remote_port: Option<String>,
    /// `Edge traversal:`.
    pub edge_traversal: Option<String>,
    /// `Action: Allow|Block|Bypass`.
    pub action: Option<String>,
    /// Other rows (labels the tables do not know).
    pub extra: Vec<(String, String)>,
    /// Known labels whose value was not recognised (`Aktion: Xyz`).
    pub unread: Vec<String>,
}

impl NetshRule {
    /// Enabled, direction and action were all read: the rule can be judged. A rule that is not
    /// fully read can make no "no such rule" conclusion.
    pub fn fully_read(&self) -> bool {
        self.enabled.is_some() && self.direction.is_some() && self.action.is_some()
    }
}

/// Parses a netsh rule listing (English or a language [`locale`] knows).
pub fn parse(bytes: &[u8]) -> Result<NetshRules, TextError> {
    let prepared = prepare(bytes)?;
    let mut out = NetshRules {
        rules: Vec::new(),
        no_rules: false,
        problems: prepared.problems,
    };
    let mut current: Option<NetshRule> = None;
    let mut unknown_before_first = 0usize;
    for (_, line) in &prepared.lines {
        let t = line.text.trim();
        if t.is_empty() || t.chars().all(|c| c == '-') || locale::netsh_ok_line(t) {
            continue;
        }
        if locale::netsh_no_rules(t) {
            out.no_rules = true;
            continue;
        }
        let Some((label, value)) = t.split_once(':') else {
            out.problems.push(Problem::at_line(
                Severity::Warning,
                line.no,
                "line without `Label:` in a rule listing",
            ));
            continue;
        };
        let label = label.trim();
        let value = value.trim().to_string();
        let field = locale::netsh_label(label);
        if field == Some(NetshLabel::RuleName) {
            if let Some(r) = current.take() {
                push(&mut out, r);
            }
            current = Some(NetshRule {
                line: line.no,
                name: value,
                ..NetshRule::default()
            });
            continue;
        }
        let Some(rule) = current.as_mut() else {
            unknown_before_first += 1;
            if unknown_before_first <= 20 {
                out.problems.push(Problem::at_line(
                    Severity::Warning,
                    line.no,
                    format!("`{label}:` before the first `Rule Name:` (language not recognised?)"),
                ));
            }
            continue;
        };
        let unread = |rule: &mut NetshRule, what: String| {
            if rule.unread.len() < 16 {
                rule.unread.push(what);
            }
        };
        match field {
            Some(NetshLabel::Enabled) => {
                rule.enabled = locale::netsh_yes_no(&value);
                if rule.enabled.is_none() {
                    unread(rule, format!("{label}: {value}"));
                }
            }
            Some(NetshLabel::Direction) => match locale::netsh_direction(&value) {
                Some(d) => rule.direction = Some(d.to_string()),
                None => unread(rule, format!("{label}: {value}")),
            },
            Some(NetshLabel::Action) => match locale::netsh_action(&value) {
                Some(a) => rule.action = Some(a.to_string()),
                None => unread(rule, format!("{label}: {value}")),
            },
            Some(NetshLabel::Profiles) => rule.profiles = Some(value),
            Some(NetshLabel::Grouping) => rule.grouping = Some(value),
            Some(NetshLabel::LocalIp) => rule.local_ip = Some(any_or(value)),
            Some(NetshLabel::RemoteIp) => rule.remote_ip = Some(any_or(value)),
            Some(NetshLabel::Protocol) => rule.protocol = Some(any_or(value)),
            Some(NetshLabel::LocalPort) => rule.local_port = Some(any_or(value)),
            Some(NetshLabel::RemotePort) => rule.remote_port = Some(any_or(value)),
            Some(NetshLabel::EdgeTraversal) => rule.edge_traversal = Some(value),
            Some(NetshLabel::Ignored) | Some(NetshLabel::RuleName) => {}
            None => {
                if rule.extra.len() < 64 {
                    rule.extra.push((label.to_string(), value));
                }
            }
        }
    }
    if let Some(r) = current.take() {
        push(&mut out, r);
    }
    for r in &out.rules {
        if !r.fully_read() {
            let mut what: Vec<String> = r.unread.clone();
            what.extend(r.extra.iter().take(4).map(|(l, _)| format!("label {l:?}")));
            out.problems.push(Problem::at_line(
                Severity::Warning,
                r.line,
                format!(
                    "could not read, language not recognised: rule {:?} ({})",
                    r.name,
                    if what.is_empty() {
                        "no Enabled/Direction/Action row".to_string()
                    } else {
                        what.join(", ")
                    }
                ),
            ));
        }
    }
    if out.rules.is_empty() && !out.no_rules {
        return Err(TextError::Format(
            "no `Rule Name:` block (or a language not recognised): not `netsh advfirewall firewall show rule` output"
                .into(),
        ));
    }
    Ok(out)
}

/// `Any` in any known language becomes `Any`.
fn any_or(value: String) -> String {
    if locale::netsh_any(&value) {
        "Any".to_string()
    } else {
        value
    }
}

fn push(out: &mut NetshRules, rule: NetshRule) {
    if out.rules.len() < MAX_ITEMS {
        out.rules.push(rule);
    }
}
