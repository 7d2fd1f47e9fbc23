#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The contract between rule files and the engine: a rule names only fields its event carries
//! and fact paths of the vocabulary (else loading fails, naming file and line); every fact path
//! is derived, with its source, from the scenario that should show it; an event that only a
//! `--rules DIR` rule names is read and matched.

use std::path::PathBuf;

use rdpdiag::analyze::{AnalyzeOptions, analyze};
use rdpdiag::fact_vocabulary::{FACTS, attempt_target_port, view};
use rdpdiag::rules::{Catalog, parse_rule};
use rdpdiag_samples::scenario::{GenerateOptions, Layout, Packaging, find, generate};
use serde_json::json;

const HEAD: &str =
    "id = \"proxy-or-bastion-in-path\"\ntitle = \"t\"\nprior = 0.1\nexplains = { disconnect = [2308] }\n";

fn errors_of(body: &str) -> Vec<String> {
    match parse_rule("x.toml", &format!("{HEAD}{body}")) {
        Ok(_) => vec![],
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_field_the_event_never_carries_is_an_error_with_its_line() {
    // CAPI2 70 carries `Result@value`, never `Result` (audit 2026-12 finding 2).
    let errs = errors_of(
        "\n[[evidence]]\nid = \"capi2\"\nsays = \"s\"\nweight = 0.4\nhost = \"server\"\nevent = { channel = \"Microsoft-Windows-CAPI2/Operational\", ids = [70] }\nwindow = [\"-3s\", \"+3s\"]\nwhere = [{ field = \"Result\", op = \"ne\", values = [\"0\"] }]\n",
    );
    assert!(
        errs.iter().any(|e| e.starts_with("x.toml:6:")
            && e.contains("never carries field \"Result\"")
            && e.contains("Result@value")),
        "{errs:?}"
    );
    let ok = errors_of(
        "\n[[evidence]]\nid = \"capi2\"\nsays = \"s\"\nweight = 0.4\nhost = \"server\"\nevent = { channel = \"Microsoft-Windows-CAPI2/Operational\", ids = [70] }\nwindow = [\"-3s\", \"+3s\"]\nwhere = [{ field = \"Result@value\", op = \"ne\", values = [\"0\"] }]\n",
    );
    assert!(ok.is_empty(), "{ok:?}");
    // A client_ip_field is checked the same way.
    let errs = errors_of(
        "\n[[evidence]]\nid = \"drop\"\nsays = \"s\"\nweight = 0.4\nhost = \"server\"\nevent = { channel = \"Security\", ids = [5157] }\nwindow = [\"-3s\", \"+3s\"]\nclient_ip_field = \"SourceAdress\"\n",
    );
    assert!(errs.iter().any(|e| e.contains("SourceAdress")), "{errs:?}");
}

#[test]
fn an_unknown_fact_path_is_an_error_with_its_line() {
    let errs = errors_of(
        "\n[[evidence]]\nid = \"typo\"\nsays = \"s\"\nweight = 0.4\nhost = \"server\"\nfact = { path = \"derived.listener_cert_in_stor\", op = \"eq\", value = false }\n",
    );
    assert!(
        errs.iter().any(|e| e.starts_with("x.toml:6:")
            && e.contains("unknown fact path")
            && e.contains("derived.listener_cert_in_store")),
        "{errs:?}"
    );
}

#[test]
fn an_event_without_a_channel_needs_one_the_vocabulary_knows() {
    let errs = errors_of(
        "\n[[evidence]]\nid = \"e\"\nsays = \"s\"\nweight = 0.4\nhost = \"server\"\nevent = { ids = [4242] }\nwindow = \"window\"\n",
    );
    assert!(errs.iter().any(|e| e.contains("name the `channel`")), "{errs:?}");
}

#[test]
fn every_embedded_rule_loads_under_the_strict_checks() {
    let c = Catalog::embedded().unwrap();
    assert!(c.rules.len() >= 11);
}

/// The channel names among `named` that are not spelled as one of `schemas`' channel
/// constants (exactly: a channel is spelled as Windows writes it, so a rule reads as the log).
fn not_a_channel_constant<'a>(named: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    named
        .into_iter()
        .filter(|c| !rdpdiag_schemas::channels::ALL.contains(c))
        .collect()
}

/// Every `channel = "..."` written in a rule file's text, whatever key holds it.
fn channels_written_in(text: &str) -> Vec<&str> {
    text.split("channel = \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

#[test]
fn every_channel_a_rule_or_the_interest_table_names_is_a_schemas_constant() {
    // The check itself: a typo'd channel is caught, a constant in another case too.
    assert_eq!(
        not_a_channel_constant(channels_written_in(
            "event = { channel = \"Microsoft-Windows-TerminalServices-RDPClient/Operatonal\", ids = [1026] }\nunless_near = { channel = \"system\", ids = [6005] }"
        )),
        [
            "Microsoft-Windows-TerminalServices-RDPClient/Operatonal",
            "system"
        ]
    );

    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        let bad = not_a_channel_constant(channels_written_in(&text));
        assert!(bad.is_empty(), "{}: {bad:?}", path.display());
    }
    assert!(files >= 11, "{files} rule files in {}", dir.display());

    // What the loaded rules make ingest read (channels they name, or the vocabulary's).
    let (rules, errors) = rdpdiag::rules::check_dir(&dir);
    assert!(errors.is_empty(), "{errors:?}");
    let wanted = Catalog { rules }.wanted_events();
    let bad = not_a_channel_constant(wanted.iter().map(|w| w.channel.as_str()));
    assert!(bad.is_empty(), "{bad:?}");

    let interest = rdpdiag::evtx_ingest::interest::DEFAULT_RULES
        .iter()
        .map(|r| &*r.channel);
    let bad = not_a_channel_constant(interest);
    assert!(bad.is_empty(), "{bad:?}");
    let vocabulary = rdpdiag::rules::vocabulary::EVENT_FIELDS.iter().map(|e| e.channel);
    let bad = not_a_channel_constant(vocabulary);
    assert!(bad.is_empty(), "{bad:?}");
    let redacted = rdpdiag_schemas::event_interest::EVENT_INTEREST
        .iter()
        .map(|(c, _)| *c);
    let bad = not_a_channel_constant(redacted);
    assert!(bad.is_empty(), "{bad:?}");
}

fn scenario_analysis(name: &str) -> rdpdiag::analyze::Analysis {
    let dir = tempfile::tempdir().unwrap();
    let opts = GenerateOptions {
        seed: 5,
        skew_seconds: 95,
        noise: 60,
        attempts: 2,
        layout: Layout::Bundle,
        packaging: Packaging::Zip,
        ..GenerateOptions::default()
    };
    let spec = find(name).unwrap();
    let g = generate(spec, &opts, &dir.path().join(name)).unwrap();
    analyze(
        &[g.client, g.server],
        &Catalog::embedded().unwrap(),
        &AnalyzeOptions::default(),
    )
}

/// Each fact path, the scenario and host that show it, and the value they must give (null:
/// only that it is derived, with a source). Every path of the vocabulary is here: a path no
/// scenario derives would be a rule input nothing tests.
fn fact_cases() -> Vec<(&'static str, &'static str, &'static str, serde_json::Value)> {
    vec![
        ("os.build", "healthy", "server", serde_json::Value::Null),
        ("os.build", "outdated-client", "client", serde_json::Value::Null),
        ("os.ubr", "healthy", "server", serde_json::Value::Null),
        (
            "listener.port",
            "listener-or-port-problem",
            "server",
            serde_json::Value::Null,
        ),
        (
            "listener.security_layer",
            "proxy-or-bastion-in-path",
            "server",
            serde_json::Value::Null,
        ),
        (
            "listener.user_authentication",
            "healthy",
            "server",
            serde_json::Value::Null,
        ),
        (
            "listener.min_encryption_level",
            "healthy",
            "server",
            serde_json::Value::Null,
        ),
        (
            "listener.max_outstanding_connections",
            "max-outstanding-connections",
            "server",
            serde_json::Value::Null,
        ),
        (
            "credssp.allow_encryption_oracle",
            "nla-credssp-mismatch",
            "server",
            serde_json::Value::Null,
        ),
        (
            "fips_enabled",
            "tls-or-fips-mismatch",
            "server",
            serde_json::Value::Null,
        ),
        (
            "derived.rdp_key_network_service_read",
            "cert-key-unreadable",
            "server",
            json!(false),
        ),
        (
            "derived.rdp_key_network_service_read",
            "healthy",
            "server",
            json!(true),
        ),
        (
            "derived.cert_key_network_service_read",
            "healthy",
            "server",
            json!(true),
        ),
        (
            "derived.cert_key_network_service_read",
            "cert-key-unreadable",
            "server",
            json!(false),
        ),
        (
            "derived.listener_cert_in_store",
            "cert-expired-or-mismatched",
            "server",
            serde_json::Value::Null,
        ),
        (
            "derived.listener_cert_expired",
            "cert-expired-or-mismatched",
            "server",
            serde_json::Value::Null,
        ),
        (
            "derived.rdp_cert_key_unreadable",
            "cert-key-unreadable",
            "server",
            serde_json::Value::Null,
        ),
        (
            "derived.listener_port_mismatch",
            "listener-or-port-problem",
            "server",
            json!(true),
        ),
        (
            "derived.listener_port_mismatch",
            "healthy",
            "server",
            json!(false),
        ),
        ("derived.listener_disabled", "healthy", "server", json!(false)),
        (
            "derived.rdp_port_owned_by_other_process",
            "listener-or-port-problem",
            "server",
            json!(true),
        ),
        (
            "derived.rdp_port_owned_by_other_process",
            "healthy",
            "server",
            json!(false),
        ),
        (
            "derived.block_rule_on_rdp_port",
            "healthy",
            "server",
            json!(false),
        ),
        (
            "derived.third_party_security_product",
            "firewall-or-av-interference",
            "client",
            serde_json::Value::Null,
        ),
        (
            "derived.profile_backup_or_temp",
            "user-profile-corrupt",
            "server",
            json!(true),
        ),
        (
            "derived.client_mstsc_major",
            "outdated-client",
            "client",
            serde_json::Value::Null,
        ),
        (
            "derived.client_credssp_disabled",
            "nla-credssp-mismatch",
            "client",
            serde_json::Value::Null,
        ),
        (
            "derived.server_tls12_disabled",
            "tls-or-fips-mismatch",
            "server",
            serde_json::Value::Null,
        ),
        (
            "derived.cipher_policy_set",
            "tls-or-fips-mismatch",
            "server",
            json!(true),
        ),
        (
            "derived.cipher_suites_without_rsa",
            "tls-or-fips-mismatch",
            "server",
            json!(true),
        ),
        (
            "derived.termservice_dll_not_termsrv",
            "healthy",
            "server",
            json!(false),
        ),
        ("derived.new_logons_disabled", "healthy", "server", json!(false)),
        (
            "derived.key_in_use_network_service_read",
            "cert-key-unreadable",
            "server",
            json!(false),
        ),
        (
            "derived.rdp_protocol_object_not_default",
            "healthy",
            "server",
            json!(false),
        ),
        (
            "derived.new_logons_disabled",
            "logon-disabled",
            "server",
            json!(true),
        ),
        (
            "listener.max_instance_count",
            "healthy",
            "server",
            json!(4294967295u64),
        ),
        ("derived.client_uses_store_app", "healthy", "client", json!(false)),
        // The healthy client has GlobalProtect installed but disconnected (a trap): its
        // 1400-byte MTU does not count. (derived.vpn_adapter_connected is true or unknown: see
        // `vpn_and_mtu_come_from_connected_interfaces_only`.)
        ("derived.reduced_mtu_interface", "healthy", "client", json!(false)),
    ]
}

/// `Get-NetIPInterface` JSON as the collector writes it, with `state` for the VPN adapter.
fn interfaces_facts(vpn_state: &str) -> rdpdiag::facts::HostFacts {
    let json = format!(
        r#"{{"rdpdiag": "net-ip-interfaces", "interfaces": [
  {{"InterfaceAlias": "Wi-Fi", "InterfaceIndex": 7, "AddressFamily": "IPv4", "NlMtu": 1500, "ConnectionState": "Connected", "InterfaceDescription": "Intel(R) Wi-Fi 6 AX201 160MHz"}},
  {{"InterfaceAlias": "Ethernet 3", "InterfaceIndex": 23, "AddressFamily": "IPv4", "NlMtu": 1400, "ConnectionState": "{vpn_state}", "InterfaceDescription": "PANGP Virtual Ethernet Adapter"}},
  {{"InterfaceAlias": "Loopback Pseudo-Interface 1", "InterfaceIndex": 1, "AddressFamily": "IPv4", "NlMtu": 4294967295, "ConnectionState": "Connected", "InterfaceDescription": null}}
]}}"#
    );
    rdpdiag::facts::HostFacts::from_artifacts([(
        "network/NetIPInterfaces.json",
        rdpdiag::input::ContentKind::Json,
        json.into_bytes(),
    )])
}

#[test]
fn vpn_and_mtu_come_from_connected_interfaces_only() {
    let corr = rdpdiag::correlate::correlate(None, None);
    let value =
        |f: &rdpdiag::facts::HostFacts, path: &str| view(f, &corr, None).get(path).map(|d| d.value.clone());
    let up = interfaces_facts("Connected");
    assert_eq!(value(&up, "derived.vpn_adapter_connected"), Some(json!(true)));
    assert_eq!(value(&up, "derived.reduced_mtu_interface"), Some(json!(true)));
    // A disconnected tunnel is no VPN in use, yet "no VPN" is never said: the list of VPN
    // products is not complete.
    let down = interfaces_facts("Disconnected");
    assert_eq!(value(&down, "derived.vpn_adapter_connected"), None);
    assert_eq!(value(&down, "derived.reduced_mtu_interface"), Some(json!(false)));
    // A state not recognised is unknown, never "no VPN".
    let unsure = interfaces_facts("Dormant");
    assert_eq!(value(&unsure, "derived.vpn_adapter_connected"), None);
}

#[test]
fn every_fact_path_is_derived_with_its_source() {
    let cases = fact_cases();
    for def in FACTS {
        // No sample scenario carries a probe; the probe paths are derived from real probes
        // in `probe_facts_come_from_the_collectors_probe` below.
        assert!(
            cases.iter().any(|c| c.0 == def.path)
                || PROBE_PATHS.contains(&def.path)
                || def.path == "derived.vpn_adapter_connected",
            "fact path {} has no case in this test",
            def.path
        );
    }
    let mut names: Vec<&str> = cases.iter().map(|c| c.1).collect();
    names.sort_unstable();
    names.dedup();
    let mut failures = Vec::new();
    for name in names {
        let a = scenario_analysis(name);
        for (path, _, host, want) in cases.iter().filter(|c| c.1 == name) {
            let h = if *host == "server" {
                &a.ticket.server
            } else {
                &a.ticket.client
            };
            let Some(facts) = h.as_ref().and_then(|h| h.facts.as_ref()) else {
                failures.push(format!("{name}: no {host} facts"));
                continue;
            };
            // Judged as the ticket's latest failed attempt is (the latest attempt when none
            // failed): against the port it connected to.
            let attempts = &a.correlation.attempts;
            let port = attempts
                .iter()
                .rev()
                .find(|p| p.attempt.failed())
                .or(attempts.last())
                .and_then(|p| attempt_target_port(p.attempt.target.as_deref()));
            let v = view(facts, &a.correlation, port);
            match v.get(path) {
                None => failures.push(format!("{name} {host}: {path} not derived; view {}", v.to_json())),
                Some(d) => {
                    if d.sources.is_empty() || d.source_text().is_empty() {
                        failures.push(format!("{name} {host}: {path} has no source"));
                    }
                    if !want.is_null() && &d.value != want {
                        failures.push(format!("{name} {host}: {path} = {} (want {want})", d.value));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn facts_nobody_collected_are_unknown_not_false() {
    let facts = rdpdiag::facts::HostFacts::default();
    let corr = rdpdiag::correlate::correlate(None, None);
    let v = view(&facts, &corr, None);
    assert_eq!(v.to_json(), json!({}), "an empty host must derive nothing");
}

#[test]
fn a_rule_on_an_event_no_embedded_rule_uses_is_read_and_fires() {
    // RdpCoreTS 141 is logged for every connection the server accepts; no embedded rule and
    // not the built-in interest table names it.
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let base = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules/proxy-or-bastion-in-path.toml"),
    )
    .unwrap();
    let extra = "\n[[evidence]]\nid = \"rdpcorets-141\"\nsays = \"RdpCoreTS 141 of this connection\"\nweight = 0.2\nhost = \"server\"\nevent = { channel = \"Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational\", ids = [141] }\nwindow = [\"-1s\", \"+1s\"]\nsame_connection = true\n";
    std::fs::write(
        rules.join("proxy-or-bastion-in-path.toml"),
        format!("{base}{extra}"),
    )
    .unwrap();
    let catalog = Catalog::with_overrides(&rules).unwrap();
    assert!(
        !rdpdiag::evtx_ingest::Interest::default().may_want_id(141),
        "the test needs an event outside the built-in table"
    );
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/bundles");
    let a = analyze(
        &[
            samples.join("cert-key-unreadable-client.zip"),
            samples.join("cert-key-unreadable-server.zip"),
        ],
        &catalog,
        &AnalyzeOptions::default(),
    );
    let hit = a
        .report
        .attempts
        .iter()
        .flat_map(|at| at.findings.iter())
        .filter(|f| f.id.as_str() == "proxy-or-bastion-in-path")
        .flat_map(|f| f.evidence.iter())
        .find(|e| e.id == "rdpcorets-141");
    let hit = hit.expect("the --rules evidence on RdpCoreTS 141 never matched");
    assert!(hit.lines.iter().all(|l| l.event_id == 141 && l.record_id > 0));
}

/// The fact paths derived from the collector's probe.
const PROBE_PATHS: [&str; 3] = ["probe.outcome", "probe.phase", "probe.client_code"];

/// The host facts of a bundle holding only the collector's real probe of `target`.
fn probe_facts(target: &str) -> rdpdiag::facts::HostFacts {
    let report = rdpdiag_collect::probe::probe(target, std::time::Duration::from_secs(3));
    let bytes = serde_json::to_vec_pretty(&report).unwrap();
    rdpdiag::facts::HostFacts::from_artifacts([(
        "probe/probe.json",
        rdpdiag::input::ContentKind::Json,
        bytes,
    )])
}

#[test]
fn probe_facts_come_from_the_collectors_probe() {
    use std::io::Read;
    let corr = rdpdiag::correlate::correlate(None, None);
    // A listener that accepts TCP and closes on the X.224 Connection Request (the 0x904
    // pattern of a middlebox or a dying listener).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let _ = s.read(&mut buf);
    });
    let facts = probe_facts(&addr.to_string());
    server.join().unwrap();
    let v = view(&facts, &corr, None);
    let outcome = v.get("probe.outcome").expect("probe.outcome derived");
    assert_eq!(outcome.value, json!("accept-then-close"));
    assert_eq!(outcome.source_text(), "probe/probe.json (x224.outcome)");
    assert_eq!(v.get("probe.phase").unwrap().value, json!("x224"));
    assert_eq!(v.get("probe.client_code").unwrap().value, json!("0x904"));

    // A closed port: refused, the client's 0x204.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let v = view(&probe_facts(&format!("127.0.0.1:{port}")), &corr, None);
    assert_eq!(v.get("probe.outcome").unwrap().value, json!("refused"));
    assert_eq!(v.get("probe.phase").unwrap().value, json!("tcp"));
    assert_eq!(v.get("probe.client_code").unwrap().value, json!("0x204"));
    for path in PROBE_PATHS {
        assert!(FACTS.iter().any(|f| f.path == path), "{path}");
    }

    // JSON that is not a probe result tells nothing: unknown, not some outcome.
    let other = rdpdiag::facts::HostFacts::from_artifacts([(
        "system/other.json",
        rdpdiag::input::ContentKind::Json,
        br#"{"tcp": {"elapsed_ms": 3}}"#.to_vec(),
    )]);
    let v = view(&other, &corr, None);
    for path in PROBE_PATHS {
        assert!(v.get(path).is_none(), "{path}: {:?}", v.get(path));
    }
}

#[test]
fn the_probe_table_names_only_rules_of_the_catalog() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules");
    for id in rdpdiag_schemas::probe::named_rule_ids() {
        assert!(
            dir.join(format!("{id}.toml")).is_file(),
            "rule {id} named by schemas::probe is not in analyzer/rules"
        );
        let text = std::fs::read_to_string(dir.join(format!("{id}.toml"))).unwrap();
        assert!(text.contains(&format!("id = \"{id}\"")), "{id}");
    }
}

#[test]
fn each_attempt_is_judged_against_the_port_it_connected_to() {
    assert_eq!(attempt_target_port(Some("rds01.corp.contoso.com")), Some(3389));
    assert_eq!(attempt_target_port(Some("rds01:3390")), Some(3390));
    assert_eq!(attempt_target_port(Some("203.0.113.7:13389")), Some(13389));
    assert_eq!(attempt_target_port(Some("[2001:db8::7]:3391")), Some(3391));
    assert_eq!(attempt_target_port(Some("2001:db8::7")), Some(3389));
    // No client-side target (a server-only attempt): not known.
    assert_eq!(attempt_target_port(None), None);
    assert_eq!(attempt_target_port(Some("rds01:notaport")), None);
}

/// The report as JSON without the kept-event counts (`hosts[].events`), the one thing the
/// network-logon filter is meant to change.
fn report_without_counts(a: &rdpdiag::analyze::Analysis) -> (serde_json::Value, Vec<u64>) {
    let mut v = serde_json::to_value(&a.report).unwrap();
    let mut counts = Vec::new();
    if let Some(hosts) = v.get_mut("hosts").and_then(|h| h.as_array_mut()) {
        for h in hosts {
            if let Some(n) = h.as_object_mut().and_then(|o| o.remove("events")) {
                counts.push(n.as_u64().unwrap());
            }
        }
    }
    (v, counts)
}

/// Analyses `paths` with the network-logon filter (issue 18) and without it: the reports must
/// be the same but for the kept-event counts. Returns the kept events (with, without).
fn same_report_with_and_without_the_logon_filter(paths: &[PathBuf], label: &str) -> (u64, u64) {
    let catalog = Catalog::embedded().unwrap();
    let filtered = analyze(paths, &catalog, &AnalyzeOptions::default());
    let every = AnalyzeOptions {
        ingest: rdpdiag::ingest::IngestOptions {
            keep_every_network_logon: true,
            ..Default::default()
        },
        ..AnalyzeOptions::default()
    };
    let unfiltered = analyze(paths, &catalog, &every);
    let (a, kept_a) = report_without_counts(&filtered);
    let (b, kept_b) = report_without_counts(&unfiltered);
    assert_eq!(a, b, "{label}: the network-logon filter changed the report");
    assert!(
        kept_a.iter().zip(&kept_b).all(|(x, y)| x <= y),
        "{label}: the filter kept more events ({kept_a:?} vs {kept_b:?})"
    );
    (kept_a.iter().sum(), kept_b.iter().sum())
}

#[test]
fn the_network_logon_filter_changes_no_diagnosis() {
    // Every committed sample (each scenario once or more; our bundles, MSRD-Collect and
    // hand-made zips), client and server together.
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/bundles");
    let mut names: Vec<String> = std::fs::read_dir(&samples)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".zip"))
        .collect();
    names.sort();
    let mut pairs = 0;
    for client in &names {
        // `<scenario>-client.zip`, `-client-logs.zip`, `-client-MSRD-Results-<host>-<stamp>.zip`
        // (a scenario's own name may hold "-client": `outdated-client`).
        let Some((scenario, rest)) = client.rsplit_once("-client") else {
            continue;
        };
        if !(rest == ".zip" || rest == "-logs.zip" || rest.starts_with("-MSRD-Results")) {
            continue;
        }
        // MSRD-Collect names carry the host and time: the server's is found by its prefix.
        let server_prefix = if rest.starts_with("-MSRD-Results") {
            format!("{scenario}-server-MSRD-Results")
        } else {
            format!("{scenario}-server{rest}")
        };
        let server = names
            .iter()
            .find(|n| n.starts_with(&server_prefix) && (rest.starts_with("-MSRD") || **n == server_prefix))
            .unwrap_or_else(|| panic!("no server bundle for {client}"));
        same_report_with_and_without_the_logon_filter(&[samples.join(client), samples.join(server)], client);
        pairs += 1;
    }
    assert!(pairs >= 25, "committed sample pairs: {pairs}");

    // Busy servers (Security full of network logons from hundreds of addresses), where the
    // filter has work: the scenarios whose rules read Security (4625 by the client's
    // address, WFP drops) and the benchmark's.
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "cert-key-unreadable",
        "credentials-rejected",
        "nla-credssp-mismatch",
    ] {
        let opts = GenerateOptions {
            seed: 11,
            evtx_mb: Some(2),
            scale_shape: rdpdiag_samples::scenario::ScaleShape::BusyServer,
            ..GenerateOptions::default()
        };
        let g = generate(find(name).unwrap(), &opts, dir.path()).unwrap();
        let (kept, every) = same_report_with_and_without_the_logon_filter(&[g.client, g.server], name);
        assert!(
            kept * 4 < every,
            "{name}: the busy server's network logons were not filtered ({kept} of {every} kept)"
        );
    }
}
