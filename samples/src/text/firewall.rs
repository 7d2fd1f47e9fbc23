//! Windows Firewall rules: `netsh advfirewall firewall show rule name=all` text (MSRD-Collect
//! `<C>_Networking\<C>_FirewallRules.txt`) and the registry rule strings of
//! `...\FirewallPolicy\FirewallRules` (field guide 4.7).
//!
//! Sources followed:
//! - netsh: real outputs quoted in public parser tests and documentation (e.g. a Go EDR test
//!   with CRLF, a C# backend test, a DC/OS diagnostic note): a blank line, then
//!   `Rule Name:` + the value with every label padded to 38 columns, a line of 70 dashes,
//!   `Enabled`, `Direction`, `Profiles`, `Grouping`, `LocalIP`, `RemoteIP`, `Protocol`,
//!   `LocalPort`/`RemotePort` (only for TCP and UDP), `Edge traversal`, `Action`; `Ok.` after the
//!   last rule.
//! - Rule strings: MS-GPFAS 2.2.2.19 grammar and public exports of the built-in rules, e.g.
//!   `v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=3389|App=%SystemRoot%\system32\svchost.exe|Svc=termservice|Name=@FirewallAPI.dll,-28775|Desc=@FirewallAPI.dll,-28756|EmbedCtxt=@FirewallAPI.dll,-28752|`
//!   and Microsoft's Azure doc variant with `Profile=Domain|Profile=Private|Profile=Public` after
//!   `Protocol`.
//!
//! Guesses: an empty `Grouping:` keeps its padding spaces (one real CRLF sample shows them, other
//! quotes are trimmed); a trailing blank line after `Ok.`; "No rules match the specified
//! criteria." for an empty list; the order of the less common rule-string keys (RPort, LA4,
//! RA4, LA6, RA6) follows MS-GPFAS's grammar order.

use super::crlf_lines;

/// The command as MSRD-Collect runs it and shows it in the file header.
pub const NETSH_SHOW_RULES_COMMAND: &str = "netsh advfirewall firewall show rule name=all";

/// Width of the label column of `netsh advfirewall firewall show rule`.
const LABEL_WIDTH: usize = 38;

/// Rule direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Inbound (`In`).
    In,
    /// Outbound (`Out`).
    Out,
}

impl Direction {
    /// The text netsh and the rule string use.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "In",
            Direction::Out => "Out",
        }
    }
}

/// Rule action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FirewallAction {
    /// `Allow`
    Allow,
    /// `Block`
    Block,
    /// `Bypass` (netsh) / `ByPass` (rule string).
    Bypass,
}

impl FirewallAction {
    /// The text netsh prints.
    pub fn as_netsh(self) -> &'static str {
        match self {
            FirewallAction::Allow => "Allow",
            FirewallAction::Block => "Block",
            FirewallAction::Bypass => "Bypass",
        }
    }

    /// The text of the registry rule string.
    pub fn as_rule_string(self) -> &'static str {
        match self {
            FirewallAction::Allow => "Allow",
            FirewallAction::Block => "Block",
            FirewallAction::Bypass => "ByPass",
        }
    }
}

/// One rule as `netsh advfirewall firewall show rule` prints it (non-verbose).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallRule {
    /// Display name, e.g. `Remote Desktop - User Mode (TCP-In)`.
    pub name: String,
    /// `Enabled: Yes|No`.
    pub enabled: bool,
    /// `Direction: In|Out`.
    pub direction: Direction,
    /// `Domain,Private,Public`, `Public`, ...
    pub profiles: String,
    /// Group display name (`Remote Desktop`), empty for ungrouped rules.
    pub grouping: String,
    /// `Any` or addresses.
    pub local_ip: String,
    /// `Any`, `LocalSubnet` or addresses.
    pub remote_ip: String,
    /// `TCP`, `UDP`, `Any`, `ICMPv4`, ...
    pub protocol: String,
    /// `3389`, `Any`, ... (printed only for TCP/UDP).
    pub local_port: String,
    /// `Any`, ... (printed only for TCP/UDP).
    pub remote_port: String,
    /// `No`, `Yes`, `Defer to application`, `Defer to user`.
    pub edge_traversal: String,
    /// Allow, Block or Bypass.
    pub action: FirewallAction,
}

/// The two built-in RDP rules as a Windows Server prints them with Remote Desktop enabled
/// (group "Remote Desktop", all profiles, port 3389). Windows client SKUs may split them per
/// profile; scenarios can edit the result (disable, Block, other port).
pub fn default_rdp_rules() -> Vec<FirewallRule> {
    let rule = |name: &str, protocol: &str| FirewallRule {
        name: name.to_string(),
        enabled: true,
        direction: Direction::In,
        profiles: "Domain,Private,Public".to_string(),
        grouping: "Remote Desktop".to_string(),
        local_ip: "Any".to_string(),
        remote_ip: "Any".to_string(),
        protocol: protocol.to_string(),
        local_port: "3389".to_string(),
        remote_port: "Any".to_string(),
        edge_traversal: "No".to_string(),
        action: FirewallAction::Allow,
    };
    vec![
        rule("Remote Desktop - User Mode (TCP-In)", "TCP"),
        rule("Remote Desktop - User Mode (UDP-In)", "UDP"),
    ]
}

/// The text of `netsh advfirewall firewall show rule name=all` for `rules` (CRLF line ends).
pub fn netsh_show_rules(rules: &[FirewallRule]) -> String {
    let mut lines: Vec<String> = Vec::new();
    if rules.is_empty() {
        lines.push(String::new());
        lines.push("No rules match the specified criteria.".to_string());
        lines.push(String::new());
        return crlf_lines(lines);
    }
    for r in rules {
        lines.push(String::new());
        lines.push(row("Rule Name:", &r.name));
        lines.push("-".repeat(70));
        lines.push(row("Enabled:", if r.enabled { "Yes" } else { "No" }));
        lines.push(row("Direction:", r.direction.as_str()));
        lines.push(row("Profiles:", &r.profiles));
        lines.push(row("Grouping:", &r.grouping));
        lines.push(row("LocalIP:", &r.local_ip));
        lines.push(row("RemoteIP:", &r.remote_ip));
        lines.push(row("Protocol:", &r.protocol));
        if r.protocol.eq_ignore_ascii_case("TCP") || r.protocol.eq_ignore_ascii_case("UDP") {
            lines.push(row("LocalPort:", &r.local_port));
            lines.push(row("RemotePort:", &r.remote_port));
        }
        lines.push(row("Edge traversal:", &r.edge_traversal));
        lines.push(row("Action:", r.action.as_netsh()));
    }
    lines.push("Ok.".to_string());
    lines.push(String::new());
    crlf_lines(lines)
}

fn row(label: &str, value: &str) -> String {
    format!("{label:<LABEL_WIDTH$}{value}")
}

/// A rule in the registry grammar of MS-GPFAS 2.2.2.19 (value data under
/// `HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules`
/// or the policy key), e.g. `v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=3389|...|`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallRuleString {
    /// Schema version without the `v`, e.g. `2.33` (Windows 10 2004+), `2.30`, `2.22`.
    pub version: String,
    /// `Action=`.
    pub action: FirewallAction,
    /// `Active=TRUE|FALSE`.
    pub active: bool,
    /// `Dir=`.
    pub dir: Direction,
    /// `Protocol=` number (6 TCP, 17 UDP); omitted when `None` (any protocol).
    pub protocol: Option<u8>,
    /// `Profile=` entries (`Domain`, `Private`, `Public`); none means all profiles.
    pub profiles: Vec<String>,
    /// `LPort=` entries.
    pub lport: Vec<String>,
    /// `RPort=` entries.
    pub rport: Vec<String>,
    /// `LA4=` entries.
    pub la4: Vec<String>,
    /// `LA6=` entries.
    pub la6: Vec<String>,
    /// `RA4=` entries.
    pub ra4: Vec<String>,
    /// `RA6=` entries.
    pub ra6: Vec<String>,
    /// `App=`.
    pub app: Option<String>,
    /// `Svc=`.
    pub svc: Option<String>,
    /// `Name=` (often an indirect string `@FirewallAPI.dll,-28775`).
    pub name: Option<String>,
    /// `Desc=`.
    pub desc: Option<String>,
    /// `EmbedCtxt=` (the group).
    pub embed_ctxt: Option<String>,
    /// `Edge=TRUE` when set.
    pub edge: bool,
    /// `Defer=` (`App`, `User`).
    pub defer: Option<String>,
}

impl FirewallRuleString {
    /// The value data, keys in grammar order, ending with `|`.
    pub fn to_rule_string(&self) -> String {
        let mut parts: Vec<String> = vec![
            format!("v{}", self.version),
            format!("Action={}", self.action.as_rule_string()),
            format!("Active={}", if self.active { "TRUE" } else { "FALSE" }),
            format!("Dir={}", self.dir.as_str()),
        ];
        if let Some(p) = self.protocol {
            parts.push(format!("Protocol={p}"));
        }
        let lists: [(&str, &Vec<String>); 7] = [
            ("Profile", &self.profiles),
            ("LPort", &self.lport),
            ("RPort", &self.rport),
            ("LA4", &self.la4),
            ("LA6", &self.la6),
            ("RA4", &self.ra4),
            ("RA6", &self.ra6),
        ];
        for (key, values) in lists {
            parts.extend(values.iter().map(|v| format!("{key}={v}")));
        }
        let singles: [(&str, &Option<String>); 5] = [
            ("App", &self.app),
            ("Svc", &self.svc),
            ("Name", &self.name),
            ("Desc", &self.desc),
            ("EmbedCtxt", &self.embed_ctxt),
        ];
        for (key, value) in singles {
            if let Some(v) = value {
                parts.push(format!("{key}={v}"));
            }
        }
        if self.edge {
            parts.push("Edge=TRUE".to_string());
        }
        if let Some(d) = &self.defer {
            parts.push(format!("Defer={d}"));
        }
        let mut s = parts.join("|");
        s.push('|');
        s
    }

    /// `RemoteDesktop-UserMode-In-TCP` as Windows ships it (schema 2.33).
    pub fn remote_desktop_usermode_in_tcp() -> FirewallRuleString {
        Self::rdp_usermode(6, "@FirewallAPI.dll,-28775", "@FirewallAPI.dll,-28756")
    }

    /// `RemoteDesktop-UserMode-In-UDP` as Windows ships it (schema 2.33).
    pub fn remote_desktop_usermode_in_udp() -> FirewallRuleString {
        Self::rdp_usermode(17, "@FirewallAPI.dll,-28776", "@FirewallAPI.dll,-28777")
    }

    /// `RemoteDesktop-Shadow-In-TCP` as Windows ships it (schema 2.33).
    pub fn remote_desktop_shadow_in_tcp() -> FirewallRuleString {
        FirewallRuleString {
            lport: Vec::new(),
            app: Some(r"%SystemRoot%\system32\RdpSa.exe".to_string()),
            svc: None,
            name: Some("@FirewallAPI.dll,-28778".to_string()),
            desc: Some("@FirewallAPI.dll,-28779".to_string()),
            edge: true,
            defer: Some("App".to_string()),
            ..Self::rdp_usermode(6, "", "")
        }
    }

    fn rdp_usermode(protocol: u8, name: &str, desc: &str) -> FirewallRuleString {
        FirewallRuleString {
            version: "2.33".to_string(),
            action: FirewallAction::Allow,
            active: true,
            dir: Direction::In,
            protocol: Some(protocol),
            profiles: Vec::new(),
            lport: vec!["3389".to_string()],
            rport: Vec::new(),
            la4: Vec::new(),
            la6: Vec::new(),
            ra4: Vec::new(),
            ra6: Vec::new(),
            app: Some(r"%SystemRoot%\system32\svchost.exe".to_string()),
            svc: Some("termservice".to_string()),
            name: Some(name.to_string()),
            desc: Some(desc.to_string()),
            embed_ctxt: Some("@FirewallAPI.dll,-28752".to_string()),
            edge: false,
            defer: None,
        }
    }
}

/// The built-in Remote Desktop rules as (registry value name, rule) pairs, in the order a
/// `reg export` of the FirewallRules key lists them in public exports.
pub fn default_rdp_rule_strings() -> Vec<(String, FirewallRuleString)> {
    vec![
        (
            "RemoteDesktop-Shadow-In-TCP".to_string(),
            FirewallRuleString::remote_desktop_shadow_in_tcp(),
        ),
        (
            "RemoteDesktop-UserMode-In-TCP".to_string(),
            FirewallRuleString::remote_desktop_usermode_in_tcp(),
        ),
        (
            "RemoteDesktop-UserMode-In-UDP".to_string(),
            FirewallRuleString::remote_desktop_usermode_in_udp(),
        ),
    ]
}
