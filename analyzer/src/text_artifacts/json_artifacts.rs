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
    /// Any other object (the collector's probe): kept as is.
    Other(serde_json::Value),
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

fn classify(value: serde_json::Value) -> JsonArtifact {
    use serde_json::Value;
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
