//! `netsh advfirewall firewall show rule name=all` (MSRD-Collect `FirewallRules.txt`): one block
//! per rule, `Rule Name:` then a dashed line, then `Label:` rows padded to a column
//! (`Enabled`, `Direction`, `Profiles`, `Grouping`, `LocalIP`, `RemoteIP`, `Protocol`,
//! `LocalPort`, `RemotePort`, `Edge traversal`, `Action`), `Ok.` after the last rule.
//! Labels are localized on non-English systems; unknown labels are kept in `extra`.

use serde::Serialize;

use super::{LineProblem, MAX_ITEMS, TextError, prepare};

/// A parsed rule listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetshRules {
    /// Rules in printed order.
    pub rules: Vec<NetshRule>,
    /// `No rules match the specified criteria.` was printed.
    pub no_rules: bool,
    /// Lines that could not be understood.
    pub problems: Vec<LineProblem>,
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
    /// Other rows (verbose output, localized labels).
    pub extra: Vec<(String, String)>,
}

/// Parses a netsh rule listing.
pub fn parse(bytes: &[u8]) -> Result<NetshRules, TextError> {
    let prepared = prepare(bytes)?;
    let mut out = NetshRules {
        rules: Vec::new(),
        no_rules: false,
        problems: prepared.problems,
    };
    let mut current: Option<NetshRule> = None;
    for (_, line) in &prepared.lines {
        let t = line.text.trim();
        if t.is_empty() || t.chars().all(|c| c == '-') || t == "Ok." {
            continue;
        }
        if t.starts_with("No rules match") {
            out.no_rules = true;
            continue;
        }
        let Some((label, value)) = t.split_once(':') else {
            out.problems.push(LineProblem::new(
                line.no,
                "line without `Label:` in a rule listing",
            ));
            continue;
        };
        let label = label.trim();
        let value = value.trim().to_string();
        if label.eq_ignore_ascii_case("Rule Name") {
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
            out.problems.push(LineProblem::new(
                line.no,
                format!("`{label}:` before the first `Rule Name:`"),
            ));
            continue;
        };
        let slot = match label.to_ascii_lowercase().as_str() {
            "enabled" => {
                rule.enabled = match value.to_ascii_lowercase().as_str() {
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => None,
                };
                continue;
            }
            "direction" => &mut rule.direction,
            "profiles" => &mut rule.profiles,
            "grouping" => &mut rule.grouping,
            "localip" => &mut rule.local_ip,
            "remoteip" => &mut rule.remote_ip,
            "protocol" => &mut rule.protocol,
            "localport" => &mut rule.local_port,
            "remoteport" => &mut rule.remote_port,
            "edge traversal" => &mut rule.edge_traversal,
            "action" => &mut rule.action,
            _ => {
                if rule.extra.len() < 64 {
                    rule.extra.push((label.to_string(), value));
                }
                continue;
            }
        };
        *slot = Some(value);
    }
    if let Some(r) = current.take() {
        push(&mut out, r);
    }
    if out.rules.is_empty() && !out.no_rules {
        return Err(TextError::Format(
            "no `Rule Name:` block: not `netsh advfirewall firewall show rule` output".into(),
        ));
    }
    Ok(out)
}

fn push(out: &mut NetshRules, rule: NetshRule) {
    if out.rules.len() < MAX_ITEMS {
        out.rules.push(rule);
    }
}
