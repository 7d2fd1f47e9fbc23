//! The fact paths rules use (`listener.port`, `derived.listener_cert_in_store`, ...), computed
//! from a host's typed facts. Rules name *these* paths, so the facts model can evolve without
//! rewriting rule files; derivations that compare facts with each other or with the attempts
//! (is the listener's certificate in a store? does the listener port match the client's
//! target?) are made here, once. A path is absent when the facts cannot tell.

use serde_json::{Map, Value, json};

use crate::correlate::{Correlation, ip_only};
use crate::facts::HostFacts;
use crate::text_artifacts::certutil::KeyState;

/// Port the client connected to: from `host:port` targets, else the RDP default.
fn target_port(corr: &Correlation) -> u32 {
    corr.attempts
        .iter()
        .filter_map(|a| a.attempt.target.as_deref())
        .find_map(|t| {
            let ip = ip_only(t);
            (ip != t)
                .then(|| t.rsplit(':').next().and_then(|p| p.parse().ok()))
                .flatten()
        })
        .unwrap_or(3389)
}

fn norm_thumb(t: &str) -> String {
    t.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect::<String>()
        .to_ascii_uppercase()
}

fn put(m: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.insert(key.into(), v);
    }
}

/// The rules' view of one host's facts.
pub fn view(f: &HostFacts, corr: &Correlation) -> Value {
    let mut root = Map::new();
    let mut derived = Map::new();
    let listener = f.rdp_listener();

    put(
        &mut root,
        "os",
        f.os.as_ref().map(|o| json!({ "build": o.build, "ubr": o.ubr })),
    );
    let mut l = Map::new();
    if let Some(lc) = listener {
        put(&mut l, "port", lc.port_number.as_ref().map(|p| json!(p.value)));
        put(
            &mut l,
            "security_layer",
            lc.security_layer.effective.map(|v| json!(v)),
        );
        put(
            &mut l,
            "user_authentication",
            lc.user_authentication.effective.map(|v| json!(v)),
        );
        put(
            &mut l,
            "min_encryption_level",
            lc.min_encryption_level.effective.map(|v| json!(v)),
        );
    }
    put(
        &mut l,
        "max_outstanding_connections",
        f.terminal_server
            .max_outstanding_connections
            .as_ref()
            .map(|v| json!(v.value)),
    );
    root.insert("listener".into(), Value::Object(l));
    put(
        &mut root,
        "credssp",
        f.credssp_allow_encryption_oracle
            .as_ref()
            .map(|v| json!({ "allow_encryption_oracle": v.value })),
    );
    put(
        &mut root,
        "fips_enabled",
        f.fips_enabled.as_ref().map(|v| json!(v.value)),
    );

    // The RDP key file: NETWORK SERVICE must be able to read it.
    let key_acls: Vec<Option<bool>> = f
        .acls
        .iter()
        .filter(|a| a.object.is_rdp_key_file())
        .map(|a| a.object.network_service_can_read())
        .collect();
    if !key_acls.is_empty() {
        derived.insert(
            "rdp_key_network_service_read".into(),
            json!(key_acls.iter().all(|r| *r != Some(false))),
        );
    }

    // The certificate the listener uses: SSLCertificateSHA1Hash, else the self-signed one.
    let listener_hash = listener
        .and_then(|l| l.ssl_certificate_sha1_hash.as_ref())
        .map(|h| norm_thumb(&h.value));
    let self_signed = f
        .terminal_server
        .self_signed_certificate
        .as_ref()
        .map(|h| norm_thumb(&h.value));
    let in_use = listener_hash.clone().or(self_signed);
    let cert_thumbs: Vec<String> = f
        .certificates
        .iter()
        .filter_map(|c| c.certificate.thumbprint.as_deref().map(norm_thumb))
        .chain(f.registry_certificates.iter().map(|c| norm_thumb(&c.thumbprint)))
        .collect();
    let have_store_listing = !f.certificates.is_empty() || !f.registry_certificates.is_empty();
    if let (Some(h), true) = (&listener_hash, have_store_listing) {
        derived.insert("listener_cert_in_store".into(), json!(cert_thumbs.contains(h)));
    }
    let latest = corr.attempts.iter().map(|a| a.server_time).max();
    let cert_in_use = in_use.as_ref().and_then(|h| {
        f.certificates
            .iter()
            .find(|c| c.certificate.thumbprint.as_deref().map(norm_thumb).as_ref() == Some(h))
    });
    if let (Some(c), Some(latest)) = (cert_in_use, latest) {
        // certutil prints local time; a day of slack covers any time zone.
        if let Some(na) = c.certificate.not_after_local {
            derived.insert(
                "listener_cert_expired".into(),
                json!(na < latest.naive_utc() - chrono::Duration::days(1)),
            );
        }
    }
    let unreadable = f.certificates.iter().any(|c| {
        let relevant = in_use.is_some() && c.certificate.thumbprint.as_deref().map(norm_thumb) == in_use
            || c.store
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("remote desktop"));
        relevant && matches!(c.certificate.key, KeyState::Missing | KeyState::Unreadable { .. })
    });
    if !f.certificates.is_empty() {
        derived.insert("rdp_cert_key_unreadable".into(), json!(unreadable));
    }

    // Listener and port.
    let port = target_port(corr);
    if let Some(lp) = listener.and_then(|l| l.port_number.as_ref()) {
        derived.insert("listener_port_mismatch".into(), json!(lp.value != port));
    }
    if let Some(lc) = listener {
        let disabled = lc.enable_winstation.as_ref().is_some_and(|v| v.value == 0)
            || lc.deny_ts_connections.effective == Some(1);
        derived.insert("listener_disabled".into(), json!(disabled));
    }
    if !f.sockets.is_empty() {
        let owners = f.tcp_listeners_on(port as u16);
        let other = owners.iter().any(|s| {
            let svc = s.row.service.as_deref().unwrap_or("");
            // TermService, or an svchost whose service netstat could not name.
            let termservice = svc.eq_ignore_ascii_case("TermService")
                || (svc.is_empty()
                    && s.row
                        .image
                        .as_deref()
                        .is_some_and(|i| i.eq_ignore_ascii_case("svchost.exe")));
            !termservice
        });
        derived.insert("rdp_port_owned_by_other_process".into(), json!(other));
    }
    if !f.firewall_rules.is_empty() {
        let block = f
            .firewall_rules
            .iter()
            .any(|r| r.enabled != Some(false) && r.is_block() && r.covers_inbound_tcp_port(port as u16));
        derived.insert("block_rule_on_rdp_port".into(), json!(block));
    }
    if !f.security_products.is_empty() {
        let third = f.security_products.iter().any(|p| {
            let n = p.product.display_name.to_ascii_lowercase();
            !(n.contains("windows defender")
                || n.contains("microsoft defender")
                || n.contains("windows firewall"))
        });
        derived.insert("third_party_security_product".into(), json!(third));
    }
    if !f.profiles.is_empty() {
        derived.insert(
            "profile_backup_or_temp".into(),
            json!(f.profiles.iter().any(|p| p.backup || p.is_temp())),
        );
    }
    if let Some(v) = f
        .client_versions
        .as_ref()
        .and_then(|c| c.versions.get("mstsc.exe").cloned().flatten())
    {
        put(
            &mut derived,
            "client_mstsc_major",
            v.split('.')
                .next()
                .and_then(|m| m.parse::<u32>().ok())
                .map(|m| json!(m)),
        );
    }
    let credssp_weak = f
        .credssp_allow_encryption_oracle
        .as_ref()
        .is_some_and(|v| v.value == 2)
        || f.client
            .enable_credssp_support
            .as_ref()
            .is_some_and(|v| v.value == 0);
    if f.credssp_allow_encryption_oracle.is_some() || f.client.enable_credssp_support.is_some() {
        derived.insert("client_credssp_weak".into(), json!(credssp_weak));
    }
    if let Some(sw) = f
        .schannel
        .iter()
        .find(|s| s.protocol.eq_ignore_ascii_case("TLS 1.2") && s.side.eq_ignore_ascii_case("server"))
    {
        put(
            &mut derived,
            "server_tls12_disabled",
            sw.is_enabled().map(|e| json!(!e)),
        );
    } else if !f.schannel.is_empty() {
        derived.insert("server_tls12_disabled".into(), json!(false));
    }
    root.insert("derived".into(), Value::Object(derived));
    Value::Object(root)
}
