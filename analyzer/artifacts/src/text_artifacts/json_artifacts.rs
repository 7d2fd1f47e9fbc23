//! The JSON files of a bundle: `root\SecurityCenter2` products (a third-party firewall or
//! antivirus that resets RDP connections, root cause (d)), the client binaries' versions
//! (outdated client, root cause (i)), and the collector's probe of the server (shape not fixed
//! yet: kept as raw JSON).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{TextError, decode_text};

/// Largest JSON document accepted (these files are a few KiB).
pub const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;

/// One product registered in Security Center.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityProduct {
    /// WMI class: `AntiVirusProduct`, `FirewallProduct`, `AntiSpywareProduct`.
    pub class: String,
    /// `displayName`.
    pub display_name: String,
    /// `productState` bit field.
    pub product_state: Option<u32>,
    /// Real-time protection on (`productState` bit 12, community decoding).
    pub enabled: Option<bool>,
    /// Signatures up to date (`productState` bit 4 clear, community decoding).
    pub up_to_date: Option<bool>,
}

/// What a JSON artifact holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "json", rename_all = "kebab-case")]
pub enum JsonArtifact {
    /// `[{"class", "displayName", "productState"}]`.
    SecurityProducts(Vec<SecurityProduct>),
    /// `{"mstsc.exe": "10.0.22621.1", "msrdc.exe": null, ...}`.
    ClientVersions(BTreeMap<String, Option<String>>),
    /// Our bundle's `manifest.json` (read by the input stage, not here).
    Manifest,
    /// The collector's `Get-NetTCPConnection -State Listen` (states are enum names, never
    /// translated): `{"rdpdiag": "tcp-listeners", "listeners": [...]}`.
    TcpListeners(Vec<TcpListener>),
    /// The collector's `Get-NetFirewallRule` with port filters (enum names):
    /// `{"rdpdiag": "firewall-rules", "rules": [...]}`.
    FirewallRules(Vec<StructuredFirewallRule>),
    /// The collector's certificates of `My` and `Remote Desktop` (ISO 8601 dates, thumbprint,
    /// private key): `{"rdpdiag": "certificates", "certificates": [...]}`.
    Certificates(Vec<StructuredCertificate>),
    /// The collector's `Get-NetIPInterface` joined with `Get-NetAdapter` (enum names):
    /// `{"rdpdiag": "net-ip-interfaces", "interfaces": [...]}`.
    NetIpInterfaces(Vec<NetIpInterface>),
    /// Any other object (the collector's probe): kept as is.
    Other(serde_json::Value),
}

/// One IP interface (`MSFT_NetIPInterface`) with its adapter's description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetIpInterface {
    /// `InterfaceAlias` (`Ethernet`, `Wi-Fi`, a VPN connection's name).
    pub alias: Option<String>,
    /// `InterfaceDescription` of the adapter (`PANGP Virtual Ethernet Adapter`).
    pub description: Option<String>,
    /// `AddressFamily` enum name: `IPv4` / `IPv6`.
    pub family: Option<String>,
    /// `NlMtu` in bytes (the loopback pseudo-interface reports 4294967295).
    pub mtu: Option<u64>,
    /// `ConnectionState` enum name: `Connected` / `Disconnected`; `None` when not told.
    pub connected: Option<bool>,
}

/// Parses a JSON artifact and recognises its shape.
pub fn parse(bytes: &[u8]) -> Result<JsonArtifact, TextError> {
    if bytes.len() > MAX_JSON_BYTES {
        return Err(TextError::Format(format!(
            "JSON of {} bytes is larger than the {MAX_JSON_BYTES}-byte cap",
            bytes.len()
        )));
    }
    let (text, _) = decode_text(bytes)?;
    let value: serde_json::Value =
        serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| TextError::Line {
            line: e.line() as u64,
            message: format!("invalid JSON at column {}: {e}", e.column()),
        })?;
    Ok(classify(value))
}

/// One listening TCP socket (`Get-NetTCPConnection`, `MSFT_NetTCPConnection`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TcpListener {
    /// `LocalAddress`.
    pub local_address: String,
    /// `LocalPort`.
    pub local_port: u16,
    /// `State` enum name (`Listen`).
    pub state: String,
    /// `OwningProcess`.
    pub pid: Option<u32>,
    /// Image name of the owning process (`svchost.exe`).
    pub process: Option<String>,
    /// Services hosted by the owning process (`TermService`).
    pub services: Vec<String>,
}

/// One firewall rule (`Get-NetFirewallRule` + `Get-NetFirewallPortFilter`, enum names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StructuredFirewallRule {
    /// `Name` (rule id).
    pub name: Option<String>,
    /// `DisplayName`.
    pub display_name: Option<String>,
    /// `Enabled` (`True`/`False`).
    pub enabled: Option<bool>,
    /// `Direction` → `In`/`Out`.
    pub direction: Option<String>,
    /// `Action` → `Allow`/`Block`.
    pub action: Option<String>,
    /// `Protocol` (`TCP`, `UDP`, `Any`, a number).
    pub protocol: Option<String>,
    /// `LocalPort` values.
    pub local_ports: Vec<String>,
    /// `Profile`.
    pub profiles: Option<String>,
}

/// One certificate (`Cert:\LocalMachine\<store>`), with what opening its key gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StructuredCertificate {
    /// `My`, `Remote Desktop`.
    pub store: Option<String>,
    /// `Thumbprint`.
    pub thumbprint: Option<String>,
    /// `Subject`.
    pub subject: Option<String>,
    /// `Issuer`.
    pub issuer: Option<String>,
    /// `NotBefore`, ISO 8601 with the host's offset.
    pub not_before: Option<String>,
    /// `NotAfter`, ISO 8601 with the host's offset.
    pub not_after: Option<String>,
    /// `HasPrivateKey`.
    pub has_private_key: Option<bool>,
    /// The key's file name in MachineKeys / `Crypto\Keys` (CAPI `UniqueKeyContainerName`,
    /// CNG `Key.UniqueName`).
    pub key_unique_name: Option<String>,
    /// Key storage provider.
    pub key_provider: Option<String>,
    /// `ok`, `missing`, or `error: <HRESULT> <message>` from opening the private key.
    pub key_open: Option<String>,
    /// Enhanced key usage OIDs.
    pub eku: Vec<String>,
}

fn text_of(v: &serde_json::Value, k: &str) -> Option<String> {
    match v.get(k)? {
        serde_json::Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn texts_of(v: &serde_json::Value, k: &str) -> Vec<String> {
    match v.get(k) {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .take(256)
            .collect(),
        Some(_) => text_of(v, k).into_iter().collect(),
        None => Vec::new(),
    }
}

fn bool_of(v: &serde_json::Value, k: &str) -> Option<bool> {
    match v.get(k)? {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        // `GpoBoolean`/`Enabled` serialised as a number: 1 True, 2 False.
        serde_json::Value::Number(n) => match n.as_u64() {
            Some(1) => Some(true),
            Some(2) | Some(0) => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Items of `key` (PowerShell writes a one-element array as a bare object).
fn items<'a>(map: &'a serde_json::Map<String, serde_json::Value>, key: &str) -> Vec<&'a serde_json::Value> {
    match map.get(key) {
        Some(serde_json::Value::Array(a)) => a.iter().take(super::MAX_ITEMS).collect(),
        Some(v @ serde_json::Value::Object(_)) => vec![v],
        _ => Vec::new(),
    }
}

fn listener(v: &serde_json::Value) -> Option<TcpListener> {
    let local_port = text_of(v, "LocalPort")?.parse().ok()?;
    Some(TcpListener {
        local_address: text_of(v, "LocalAddress").unwrap_or_else(|| "0.0.0.0".into()),
        local_port,
        state: text_of(v, "State").unwrap_or_default(),
        pid: text_of(v, "OwningProcess").and_then(|p| p.parse().ok()),
        process: text_of(v, "ProcessName").map(|p| {
            if p.to_ascii_lowercase().ends_with(".exe") || p.eq_ignore_ascii_case("System") {
                p
            } else {
                format!("{p}.exe")
            }
        }),
        services: texts_of(v, "Services"),
    })
}

fn firewall_rule(v: &serde_json::Value) -> StructuredFirewallRule {
    // Enum names of `MSFT_NetFirewallRule` (learn.microsoft.com/powershell/module/netsecurity/get-netfirewallrule):
    // Direction Inbound/Outbound, Action Allow/Block/NotConfigured, Enabled True/False.
    let direction = text_of(v, "Direction").and_then(|d| match d.to_ascii_lowercase().as_str() {
        "inbound" | "1" => Some("In".to_string()),
        "outbound" | "2" => Some("Out".to_string()),
        _ => None,
    });
    let action = text_of(v, "Action").and_then(|a| match a.to_ascii_lowercase().as_str() {
        "allow" | "2" => Some("Allow".to_string()),
        "block" | "4" => Some("Block".to_string()),
        _ => None,
    });
    StructuredFirewallRule {
        name: text_of(v, "Name"),
        display_name: text_of(v, "DisplayName"),
        enabled: bool_of(v, "Enabled"),
        direction,
        action,
        protocol: text_of(v, "Protocol"),
        local_ports: texts_of(v, "LocalPort"),
        profiles: text_of(v, "Profile"),
    }
}

fn net_ip_interface(v: &serde_json::Value) -> NetIpInterface {
    // `ConnectionState`: Disconnected 0 / Connected 1 (MSFT_NetIPInterface); a name or number
    // not known leaves the state unknown.
    let connected = text_of(v, "ConnectionState").and_then(|c| match c.to_ascii_lowercase().as_str() {
        "connected" | "1" => Some(true),
        "disconnected" | "0" => Some(false),
        _ => None,
    });
    // `AddressFamily`: IPv4 2 / IPv6 23 (AF_INET / AF_INET6, GetIpInterfaceTable).
    let family = text_of(v, "AddressFamily").and_then(|f| match f.to_ascii_lowercase().as_str() {
        "ipv4" | "2" => Some("IPv4".to_string()),
        "ipv6" | "23" => Some("IPv6".to_string()),
        _ => None,
    });
    NetIpInterface {
        alias: text_of(v, "InterfaceAlias"),
        description: text_of(v, "InterfaceDescription"),
        family,
        mtu: text_of(v, "NlMtu").and_then(|m| m.parse().ok()),
        connected,
    }
}

fn certificate(v: &serde_json::Value) -> StructuredCertificate {
    StructuredCertificate {
        store: text_of(v, "Store"),
        thumbprint: text_of(v, "Thumbprint"),
        subject: text_of(v, "Subject"),
        issuer: text_of(v, "Issuer"),
        not_before: text_of(v, "NotBefore"),
        not_after: text_of(v, "NotAfter"),
        has_private_key: bool_of(v, "HasPrivateKey"),
        key_unique_name: text_of(v, "KeyUniqueName"),
        key_provider: text_of(v, "KeyProvider"),
        key_open: text_of(v, "KeyOpen"),
        eku: texts_of(v, "EKU"),
    }
}

fn classify(value: serde_json::Value) -> JsonArtifact {
    use serde_json::Value;
    if let Value::Object(map) = &value {
        match map.get("rdpdiag").and_then(Value::as_str) {
            Some("tcp-listeners") => {
                return JsonArtifact::TcpListeners(
                    items(map, "listeners").into_iter().filter_map(listener).collect(),
                );
            }
            Some("firewall-rules") => {
                return JsonArtifact::FirewallRules(
                    items(map, "rules").into_iter().map(firewall_rule).collect(),
                );
            }
            Some("certificates") => {
                return JsonArtifact::Certificates(
                    items(map, "certificates").into_iter().map(certificate).collect(),
                );
            }
            Some("net-ip-interfaces") => {
                return JsonArtifact::NetIpInterfaces(
                    items(map, "interfaces")
                        .into_iter()
                        .map(net_ip_interface)
                        .collect(),
                );
            }
            _ => {}
        }
    }
    match value {
        Value::Array(items) if !items.is_empty() && items.iter().all(is_product) => {
            JsonArtifact::SecurityProducts(items.iter().filter_map(product).collect())
        }
        Value::Object(map) if map.contains_key("schema_version") && map.contains_key("artifacts") => {
            JsonArtifact::Manifest
        }
        Value::Object(map)
            if !map.is_empty()
                && map.iter().all(|(k, v)| {
                    let k = k.to_ascii_lowercase();
                    (k.ends_with(".exe") || k.ends_with(".dll") || k.contains("app") || k.contains("client"))
                        && (v.is_string() || v.is_null())
                })
                && map.keys().any(|k| {
                    k.to_ascii_lowercase().ends_with(".exe") || k.to_ascii_lowercase().ends_with(".dll")
                }) =>
        {
            JsonArtifact::ClientVersions(
                map.into_iter()
                    .map(|(k, v)| (k, v.as_str().map(str::to_string)))
                    .collect(),
            )
        }
        other => JsonArtifact::Other(other),
    }
}

fn is_product(v: &serde_json::Value) -> bool {
    v.get("displayName").is_some_and(serde_json::Value::is_string)
}

fn product(v: &serde_json::Value) -> Option<SecurityProduct> {
    let display_name = v.get("displayName")?.as_str()?.to_string();
    let class = v.get("class").and_then(|c| c.as_str()).unwrap_or("").to_string();
    let product_state = v.get("productState").and_then(|s| match s {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        serde_json::Value::String(t) => t.trim().parse().ok(),
        _ => None,
    });
    Some(SecurityProduct {
        class,
        display_name,
        product_state,
        enabled: product_state.map(|s| s & 0x1000 != 0),
        up_to_date: product_state.map(|s| s & 0x10 == 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let p = parse(br#"[{"class":"AntiVirusProduct","displayName":"Defender","productState":397568}]"#);
        match p {
            Ok(JsonArtifact::SecurityProducts(v)) => {
                assert_eq!(v[0].enabled, Some(true));
                assert_eq!(v[0].up_to_date, Some(true));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(br#"{"mstsc.exe":"10.0.1","msrdc.exe":null,"windows_app":null}"#),
            Ok(JsonArtifact::ClientVersions(_))
        ));
        assert!(matches!(
            parse(br#"{"tcp":{"ok":true}}"#),
            Ok(JsonArtifact::Other(_))
        ));
        assert!(matches!(
            parse(b"{\n\"a\": "),
            Err(TextError::Line { line: 2, .. })
        ));
    }
}
