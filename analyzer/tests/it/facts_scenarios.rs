#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Host facts from generated sample bundles: each scenario's planted registry/text evidence
//! must come out as the typed fact the diagnosis needs, from our bundle layout (UTF-8 text,
//! `reg export` UTF-16) and from the MSRD-Collect layout (UTF-16 framed text).

use std::path::{Path, PathBuf};

use rdpdiag::facts::{FirewallRuleOrigin, HostFacts};
use rdpdiag::input::sniff::sniff;
use rdpdiag::model::Severity;
use rdpdiag::text_artifacts::certutil::KeyState;
use rdpdiag_samples::scenario::{GenerateOptions, Generated, Layout, Packaging, find, generate};

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("rdpdiag-facts-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every file under `root` as (relative path, bytes).
fn files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn facts_of(dir: &Path) -> HostFacts {
    let items: Vec<(String, rdpdiag::input::ContentKind, Vec<u8>)> = files(dir)
        .into_iter()
        .map(|(name, bytes)| {
            let kind = sniff(&bytes, &name);
            (name, kind, bytes)
        })
        .collect();
    let facts = HostFacts::from_artifacts(items);
    let serious: Vec<_> = facts
        .problems
        .iter()
        .filter(|p| p.problem.severity >= Severity::Warning)
        .collect();
    assert!(serious.is_empty(), "{}: {serious:#?}", dir.display());
    facts
}

struct Pair {
    client: HostFacts,
    server: HostFacts,
    generated: Generated,
    _scratch: Scratch,
}

fn scenario(name: &str, layout: Layout) -> Pair {
    let scratch = Scratch::new(&format!("{name}-{}", layout.as_str()));
    let opts = GenerateOptions {
        seed: 7,
        attempts: 2,
        noise: 40,
        layout,
        packaging: Packaging::Dir,
        ..GenerateOptions::default()
    };
    let generated = generate(find(name).expect("scenario"), &opts, &scratch.0).unwrap();
    Pair {
        client: facts_of(&generated.client),
        server: facts_of(&generated.server),
        generated,
        _scratch: scratch,
    }
}

const LAYOUTS: [Layout; 2] = [Layout::Bundle, Layout::Msrd];

#[test]
fn healthy_baseline() {
    for layout in LAYOUTS {
        let p = scenario("healthy", layout);
        let s = &p.server;
        let l = s.rdp_listener().expect("listener");
        assert_eq!(l.port_number.as_ref().map(|f| f.value), Some(3389));
        assert_eq!(
            l.security_layer.effective,
            Some(p.generated.world.server_cfg.security_layer)
        );
        assert_eq!(l.user_authentication.effective, Some(1));
        assert_eq!(l.enable_winstation.as_ref().map(|f| f.value), Some(1));
        assert_eq!(l.deny_ts_connections.effective, Some(0));
        assert_eq!(s.tcp_port_owners(3389), vec!["TermService (svchost.exe)"]);
        assert_eq!(s.network_service_can_read_rdp_key(), Some(true), "{layout:?}");
        assert!(s.machinekeys_folder_acl().is_some());
        // The self-signed certificate is in the Remote Desktop store with a readable key.
        let rd = s.certificates_in("Remote Desktop");
        assert_eq!(rd.len(), 1);
        assert_eq!(rd[0].certificate.key, KeyState::Present);
        let self_signed = s.terminal_server.self_signed_certificate.as_ref().unwrap();
        assert_eq!(
            rd[0].certificate.thumbprint.as_deref(),
            Some(self_signed.value.as_str())
        );
        assert!(
            s.listener_certificate_found().is_none(),
            "no custom hash configured"
        );
        // Provenance of a registry fact names the export and its line.
        let src = &l.port_number.as_ref().unwrap().source;
        assert!(src.artifact.contains("TerminalServer"), "{src:?}");
        assert!(src.line.is_some());
        assert_eq!(src.value.as_deref(), Some("PortNumber"));
        // OS: Windows Server 2022 on the server; Windows 11 on the client although ProductName says 10.
        let os = s.os.as_ref().unwrap();
        assert_eq!(os.build, Some(20348));
        assert_eq!(os.installation_type.as_deref(), Some("Server"));
        let cos = p.client.os.as_ref().unwrap();
        assert_eq!(cos.product_name_raw.as_deref(), Some("Windows 10 Enterprise"));
        assert_eq!(cos.product_name.as_deref(), Some("Windows 11 Enterprise"));
        assert_eq!(cos.display_version.as_deref(), Some("23H2"));
        assert_eq!(cos.ubr, Some(3296));
        // RDP firewall rules from netsh, enabled.
        let rdp_rules: Vec<_> = s
            .firewall_rules
            .iter()
            .filter(|r| r.origin == FirewallRuleOrigin::Netsh && r.covers_inbound_tcp_port(3389))
            .collect();
        assert!(!rdp_rules.is_empty() && rdp_rules.iter().all(|r| r.enabled == Some(true)));
        if layout == Layout::Bundle {
            assert_eq!(
                s.machine_guid.as_ref().map(|f| f.value.clone()),
                Some(p.generated.world.server_cfg.machine_guid.clone())
            );
            assert!(
                s.rdp_key_acl()
                    .unwrap()
                    .object
                    .path
                    .as_deref()
                    .unwrap()
                    .contains("f686aace")
            );
            assert_eq!(s.time.as_ref().unwrap().synced, Some(true));
            let reg_rule = s
                .firewall_rules
                .iter()
                .find(|r| r.id.as_deref() == Some("RemoteDesktop-UserMode-In-TCP"))
                .unwrap();
            assert_eq!(reg_rule.origin, FirewallRuleOrigin::Registry);
            assert_eq!(reg_rule.service.as_deref(), Some("termservice"));
            assert_eq!(reg_rule.local_ports, vec!["3389"]);
            assert!(p.client.client_versions.is_some());
            assert!(!p.client.security_products.is_empty());
            assert!(s.profiles.iter().all(|e| !e.backup));
        }
        // The client typed the server's name (HKCU MRU and Servers).
        assert_eq!(
            p.client.client.mru.first().map(|m| m.value.clone()),
            Some(p.generated.world.target.clone())
        );
        assert!(
            p.client
                .client
                .servers
                .iter()
                .any(|e| e.host == p.generated.world.target)
        );
    }
}

#[test]
fn listener_moved_and_nginx_owns_3389() {
    for layout in LAYOUTS {
        let p = scenario("listener-or-port-problem", layout);
        let s = &p.server;
        let l = s.rdp_listener().unwrap();
        assert_eq!(l.port_number.as_ref().map(|f| f.value), Some(3390), "{layout:?}");
        assert_eq!(s.tcp_port_owners(3389), vec!["nginx.exe"]);
        assert_eq!(s.tcp_port_owners(3390), vec!["TermService (svchost.exe)"]);
        // The RDP rule still opens 3389 only.
        let netsh_rdp = s
            .firewall_rules
            .iter()
            .find(|r| r.name.as_deref() == Some("Remote Desktop - User Mode (TCP-In)"))
            .unwrap();
        assert!(netsh_rdp.covers_inbound_tcp_port(3389));
        assert!(!netsh_rdp.covers_inbound_tcp_port(3390));
        let socket = &s.tcp_listeners_on(3389)[0];
        if layout == Layout::Bundle {
            // Our collector's Get-NetTCPConnection JSON (states not translated) is preferred.
            assert!(socket.structured, "{:?}", socket.source);
            assert!(
                socket.source.artifact.contains("TcpListeners.json"),
                "{:?}",
                socket.source
            );
        } else {
            assert!(socket.source.artifact.contains("Netstat"), "{:?}", socket.source);
            assert!(socket.source.line.is_some());
        }
    }
}

#[test]
fn rdp_key_unreadable_by_network_service() {
    for layout in LAYOUTS {
        let p = scenario("cert-key-unreadable", layout);
        let s = &p.server;
        assert_eq!(s.network_service_can_read_rdp_key(), Some(false), "{layout:?}");
        let acl = s.rdp_key_acl().unwrap();
        assert!(acl.object.entries.iter().all(|e| !e.is_network_service()));
        assert!(!acl.object.entries.is_empty());
        let rd = s.certificates_in("Remote Desktop");
        assert!(
            matches!(&rd[0].certificate.key, KeyState::Unreadable { error } if error.contains("NTE_BAD_KEYSET"))
        );
        assert!(rdpdiag::facts::key_unusable(&rd[0].certificate));
    }
}

#[test]
fn listener_certificate_expired_or_missing() {
    for layout in LAYOUTS {
        let p = scenario("cert-expired-or-mismatched", layout);
        let s = &p.server;
        let l = s.rdp_listener().unwrap();
        let hash = l.ssl_certificate_sha1_hash.as_ref().unwrap();
        assert_eq!(hash.value.len(), 40);
        assert_eq!(
            l.ssl_certificate_sha1_hash_type.as_ref().map(|f| f.value),
            Some(3)
        );
        let renewed = p
            .generated
            .world
            .planted
            .iter()
            .any(|x| x.what.contains("matches no certificate"));
        if renewed {
            assert_eq!(s.listener_certificate_found(), Some(false), "{layout:?}");
            assert!(!s.rdp_store_thumbprints().contains(&hash.value));
        } else {
            assert_eq!(s.listener_certificate_found(), Some(true));
            let c = s.certificate(&hash.value).unwrap();
            assert_eq!(c.store.as_deref(), Some("MY"));
            assert!(c.certificate.chain_says_expired());
            let attempt = p.generated.world.attempts[0].start.naive_utc();
            assert_eq!(c.certificate.expired_at(attempt), Some(true));
        }
    }
}

#[test]
fn tls_12_disabled_on_the_server() {
    for layout in LAYOUTS {
        let p = scenario("tls-or-fips-mismatch", layout);
        let sw = p.server.schannel_switch("TLS 1.2", "Server").unwrap();
        assert_eq!(sw.is_enabled(), Some(false), "{layout:?}");
        assert_eq!(sw.disabled_by_default.as_ref().map(|f| f.value), Some(1));
        assert_eq!(
            p.server
                .schannel_switch("tls 1.0", "server")
                .unwrap()
                .is_enabled(),
            Some(false)
        );
        assert!(p.server.schannel_switch("TLS 1.2", "Client").is_none());
        assert_eq!(p.server.fips_enabled.as_ref().map(|f| f.value), Some(false));
    }
}

#[test]
fn bastion_needs_rdp_security_layer() {
    for layout in LAYOUTS {
        let p = scenario("proxy-or-bastion-in-path", layout);
        let l = p.server.rdp_listener().unwrap();
        assert_eq!(l.security_layer.effective, Some(0), "{layout:?}");
        assert_eq!(l.security_layer.local.as_ref().map(|f| f.value), Some(0));
        assert_eq!(l.user_authentication.effective, Some(0));
        assert_eq!(
            p.client.client.mru.first().map(|m| m.value.as_str()),
            Some("rdpgw.corp.contoso.com")
        );
    }
}

#[test]
fn corrupt_profile_leaves_a_bak_key() {
    // MSRD-Collect does not export ProfileList: only our bundle carries it.
    let p = scenario("user-profile-corrupt", Layout::Bundle);
    let bak = p.server.backup_profiles();
    assert_eq!(bak.len(), 1);
    assert!(bak[0].key_name.ends_with(".bak"));
    let live = p
        .server
        .profiles
        .iter()
        .find(|e| e.sid == bak[0].sid && !e.backup)
        .unwrap();
    assert!(live.is_temp());
    assert_eq!(live.state, Some(0x804));
    assert_eq!(live.ref_count, Some(1));
    assert!(bak[0].source.key.as_deref().unwrap().ends_with(".bak"));
    let msrd = scenario("user-profile-corrupt", Layout::Msrd);
    assert!(msrd.server.profiles.is_empty());
}

#[test]
fn credssp_oracle_on_both_ends() {
    for layout in LAYOUTS {
        let p = scenario("nla-credssp-mismatch", layout);
        let s = p.server.credssp_allow_encryption_oracle.as_ref().unwrap();
        let c = p.client.credssp_allow_encryption_oracle.as_ref().unwrap();
        assert_eq!((s.value, c.value), (0, 2), "{layout:?}");
        assert_eq!(s.source.value.as_deref(), Some("AllowEncryptionOracle"));
        assert_eq!(
            p.server.rdp_listener().unwrap().user_authentication.effective,
            Some(1)
        );
    }
}

#[test]
fn endpoint_protection_block_rule_and_products() {
    for layout in LAYOUTS {
        let p = scenario("firewall-or-av-interference", layout);
        let s = &p.server;
        let netsh_block = s
            .firewall_rules
            .iter()
            .find(|r| r.origin == FirewallRuleOrigin::Netsh && r.is_block())
            .unwrap();
        assert!(netsh_block.covers_inbound_tcp_port(3389), "{layout:?}");
        assert_eq!(netsh_block.enabled, Some(true));
        if layout == Layout::Bundle {
            let reg_block = s
                .firewall_rules
                .iter()
                .find(|r| r.origin == FirewallRuleOrigin::Registry && r.is_block())
                .unwrap();
            assert_eq!(reg_block.local_ports, vec!["3389"]);
            assert_eq!(reg_block.remote_addresses, vec!["10.30.0.0/16"]);
            assert_eq!(reg_block.protocol.as_deref(), Some("TCP"));
            let names: Vec<&str> = s
                .security_products
                .iter()
                .map(|x| x.product.display_name.as_str())
                .collect();
            assert!(names.contains(&"Contoso Endpoint Protection"), "{names:?}");
            assert!(
                s.security_products
                    .iter()
                    .any(|x| x.product.class == "FirewallProduct")
            );
        }
    }
}

#[test]
fn max_outstanding_connections_and_outdated_client() {
    for layout in LAYOUTS {
        let p = scenario("max-outstanding-connections", layout);
        let m = p
            .server
            .terminal_server
            .max_outstanding_connections
            .as_ref()
            .unwrap();
        assert_eq!(m.value, 50, "{layout:?}");
        let p = scenario("outdated-client", layout);
        let os = p.client.os.as_ref().unwrap();
        assert_eq!(os.build, Some(7601));
        assert_eq!(os.product_name.as_deref(), Some("Windows 7 Professional"));
        assert!(os.display_version.is_none());
        if layout == Layout::Bundle {
            let v = &p.client.client_versions.as_ref().unwrap().versions;
            assert_eq!(
                v.get("mstsc.exe").cloned().flatten().as_deref(),
                Some("6.1.7601.17514")
            );
            assert_eq!(v.get("msrdc.exe"), Some(&None));
        }
    }
}

#[test]
fn host_facts_serialize_for_reports() {
    let p = scenario("listener-or-port-problem", Layout::Msrd);
    let json = serde_json::to_value(&p.server).unwrap();
    assert_eq!(json["listeners"][0]["port_number"]["value"], 3390);
    assert!(
        json["listeners"][0]["port_number"]["source"]["artifact"]
            .as_str()
            .unwrap()
            .ends_with("_HKLM-System-CCS-Control-TerminalServer.txt")
    );
    assert!(
        json.get("registry").is_none(),
        "the raw registry is not serialised"
    );
    assert!(
        json["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["used_as"] == "netstat -anob")
    );
}

#[test]
fn adhoc_layout_loose_files() {
    let scratch = Scratch::new("adhoc");
    let opts = GenerateOptions {
        seed: 11,
        attempts: 2,
        noise: 20,
        layout: Layout::Adhoc,
        packaging: Packaging::Dir,
        ..GenerateOptions::default()
    };
    let generated = generate(find("listener-or-port-problem").unwrap(), &opts, &scratch.0).unwrap();
    let s = facts_of(&generated.server);
    assert_eq!(
        s.rdp_listener().unwrap().port_number.as_ref().map(|f| f.value),
        Some(3390)
    );
    assert_eq!(s.tcp_port_owners(3389), vec!["nginx.exe"]);
    assert!(s.rdp_key_acl().is_some());
    assert!(s.profiles.iter().all(|p| !p.backup));
    assert!(!s.firewall_rules.is_empty());
}

#[test]
fn garbage_artifacts_become_problems_with_file_and_line() {
    use rdpdiag::input::ContentKind as K;
    use rdpdiag_schemas::domain::TextFormat as T;
    let junk: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let items: Vec<(String, K, Vec<u8>)> = vec![
        ("a.reg".into(), K::Reg, b"\r\nnot a reg file\r\n".to_vec()),
        (
            "b.reg".into(),
            K::Reg,
            b"Windows Registry Editor Version 5.00\r\n[HKEY_LOCAL_MACHINE\\X]\r\n\"v\"=dword:zz\r\n".to_vec(),
        ),
        ("SYSTEM".into(), K::Hive, junk.clone()),
        (
            "c.txt".into(),
            K::Text(T::CertutilStore),
            b"\r\nhello\r\n".to_vec(),
        ),
        ("d.txt".into(), K::Text(T::AclList), junk.clone()),
        ("e.txt".into(), K::Text(T::Netstat), b"nothing here".to_vec()),
        ("f.txt".into(), K::Text(T::FirewallRules), b"x".to_vec()),
        ("g.txt".into(), K::Text(T::W32tmStatus), b"".to_vec()),
        ("h.json".into(), K::Json, b"{\n  \"a\": [1, 2,\n".to_vec()),
        ("i.etl".into(), K::Etl, junk.clone()),
        (
            "j.xml".into(),
            K::TraceXml,
            b"<Events><Event><System><<<".to_vec(),
        ),
        ("k.csv".into(), K::TraceCsv, b"a,b,c\r\n".to_vec()),
        ("l.evtx".into(), K::Evtx, b"ElfFile\0".to_vec()),
    ];
    let f = HostFacts::from_artifacts(items);
    let err = |a: &str| {
        f.problems
            .iter()
            .find(|p| &*p.artifact == a && p.problem.severity == Severity::Error)
    };
    assert_eq!(err("a.reg").unwrap().problem.line(), Some(2));
    let b = f.problems.iter().find(|p| &*p.artifact == "b.reg").unwrap();
    assert_eq!(
        (b.problem.severity, b.problem.line()),
        (Severity::Warning, Some(3))
    );
    assert!(err("SYSTEM").is_some());
    assert_eq!(err("c.txt").unwrap().problem.line(), Some(2));
    for a in ["d.txt", "e.txt", "f.txt", "g.txt", "i.etl", "k.csv"] {
        assert!(err(a).is_some(), "{a}: {:?}", f.problems);
    }
    assert_eq!(err("h.json").unwrap().problem.line(), Some(3));
    assert!(f.artifacts.iter().any(|a| &*a.artifact == "l.evtx" && !a.parsed));
    assert!(f.listeners.is_empty() && f.certificates.is_empty() && f.sockets.is_empty());
}
