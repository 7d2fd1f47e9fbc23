//! Windows Firewall rule strings (MS-GPFAS 2.2.2.19), the REG_SZ data of
//! `...\FirewallPolicy\FirewallRules` (local rules) and
//! `HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall\FirewallRules` (Group Policy):
//! `v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=3389|App=...|Svc=termservice|Name=...|`.
//! Keys may repeat (`Profile`, `LPort`, `RA4` ...); unknown keys are kept.

use serde::Serialize;

/// Longest rule string accepted (real ones are a few hundred characters).
const MAX_RULE_LEN: usize = 64 * 1024;

/// A parsed rule string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleString {
    /// Schema version without the `v` (`2.33`).
    pub version: String,
    /// `Action=` (`Allow`, `Block`, `ByPass`).
    pub action: Option<String>,
    /// `Active=TRUE|FALSE`.
    pub active: Option<bool>,
    /// `Dir=` (`In`, `Out`).
    pub dir: Option<String>,
    /// `Protocol=` number (6 TCP, 17 UDP); `None` = any.
    pub protocol: Option<u16>,
    /// `Profile=` entries (`Domain`, `Private`, `Public`); empty = all profiles.
    pub profiles: Vec<String>,
    /// `LPort=` / `LPort2_10=` entries (ports, ranges `a-b`, keywords such as `RPC`).
    pub lports: Vec<String>,
    /// `RPort=` entries.
    pub rports: Vec<String>,
    /// `LA4=`/`LA6=` entries.
    pub local_addresses: Vec<String>,
    /// `RA4=`/`RA6=` entries.
    pub remote_addresses: Vec<String>,
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
    /// `Edge=TRUE`, or `Defer=` present.
    pub edge: Option<String>,
    /// Other `Key=Value` pairs.
    pub extra: Vec<(String, String)>,
}

/// Why a rule string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleStringError {
    /// It does not start with `v<major>.<minor>|`.
    #[error("rule string does not start with `v<major>.<minor>|`: {0:?}")]
    NoVersion(String),
    /// A field without `=`.
    #[error("field {0:?} has no `=`")]
    BadField(String),
    /// Too long.
    #[error("rule string of {0} characters is too long")]
    TooLong(usize),
}

/// Parses a rule string.
pub fn parse(s: &str) -> Result<RuleString, RuleStringError> {
    if s.len() > MAX_RULE_LEN {
        return Err(RuleStringError::TooLong(s.len()));
    }
    let mut fields = s.trim().split('|');
    let version = fields
        .next()
        .and_then(|v| v.strip_prefix('v').or_else(|| v.strip_prefix('V')))
        .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| RuleStringError::NoVersion(s.chars().take(40).collect()))?;
    let mut r = RuleString {
        version: version.to_string(),
        ..RuleString::default()
    };
    for field in fields {
        if field.is_empty() {
            continue;
        }
        let (k, v) = field
            .split_once('=')
            .ok_or_else(|| RuleStringError::BadField(field.chars().take(40).collect()))?;
        let v = v.to_string();
        match k.to_ascii_lowercase().as_str() {
            "action" => r.action = Some(v),
            "active" => r.active = Some(v.eq_ignore_ascii_case("true")),
            "dir" => r.dir = Some(v),
            "protocol" => r.protocol = v.parse().ok(),
            "profile" => r.profiles.push(v),
            "lport" | "lport2_10" | "lport2_20" | "lport2_24" | "lport2_29" => r.lports.push(v),
            "rport" | "rport2_10" => r.rports.push(v),
            "la4" | "la6" => r.local_addresses.push(v),
            "ra4" | "ra6" | "ra42" | "ra62" => r.remote_addresses.push(v),
            "app" => r.app = Some(v),
            "svc" => r.svc = Some(v),
            "name" => r.name = Some(v),
            "desc" => r.desc = Some(v),
            "embedctxt" => r.embed_ctxt = Some(v),
            "edge" => r.edge = Some(v),
            "defer" => r.edge = Some(format!("Defer={v}")),
            _ => {
                if r.extra.len() < 64 {
                    r.extra.push((k.to_string(), v));
                }
            }
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rdp_rule() {
        let r = parse(
            r"v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Domain|Profile=Private|LPort=3389|App=%SystemRoot%\system32\svchost.exe|Svc=termservice|Name=@FirewallAPI.dll,-28775|Desc=@FirewallAPI.dll,-28756|EmbedCtxt=@FirewallAPI.dll,-28752|",
        );
        let Ok(r) = r else { panic!("{r:?}") };
        assert_eq!(r.version, "2.33");
        assert_eq!(r.action.as_deref(), Some("Allow"));
        assert_eq!(r.active, Some(true));
        assert_eq!(r.protocol, Some(6));
        assert_eq!(r.profiles, vec!["Domain", "Private"]);
        assert_eq!(r.lports, vec!["3389"]);
        assert_eq!(r.svc.as_deref(), Some("termservice"));
        assert!(parse("Action=Allow|").is_err());
        assert!(parse("v2.1|garbage|").is_err());
    }
}
