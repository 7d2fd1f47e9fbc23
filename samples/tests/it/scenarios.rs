//! The scenario generator: every scenario in every layout, evidence where the field guide says,
//! determinism, skew, and bundles that validate against their own manifest schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeMap;

use common::*;
use rdpdiag_samples::scenario::{self, GenerateOptions, Layout, Packaging, ScenarioKind};
use rdpdiag_schemas::RootCauseId;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn small(layout: Layout) -> GenerateOptions {
    GenerateOptions {
        noise: 120,
        layout,
        skew_seconds: -317,
        ..GenerateOptions::default()
    }
}

/// All records of all EVTX entries of a zip, keyed by entry name.
fn logs(entries: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<Value>> {
    entries
        .iter()
        .filter(|(_, b)| b.starts_with(b"ElfFile\0"))
        .map(|(n, b)| (n.clone(), evtx_records(b).into_iter().map(|(_, v)| v).collect()))
        .collect()
}

fn find(logs: &BTreeMap<String, Vec<Value>>, id: u64) -> Vec<&Value> {
    logs.values().flatten().filter(|v| event_id(v) == id).collect()
}

#[test]
fn every_scenario_in_every_layout_is_readable_and_carries_its_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("schemas/json/manifest.v1.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for layout in [Layout::Bundle, Layout::Msrd, Layout::Adhoc] {
        for spec in scenario::catalog() {
            let g = scenario::generate(spec, &small(layout), dir.path()).unwrap();
            let client = zip_entries(&g.client);
            let server = zip_entries(&g.server);
            let (cl, sl) = (logs(&client), logs(&server));
            assert!(
                !cl.is_empty() && !sl.is_empty(),
                "{} {:?}: no event logs",
                spec.name,
                layout
            );
            // Manifests exist exactly in our layout, validate, and hash every file.
            for entries in [&client, &server] {
                match layout {
                    Layout::Bundle => {
                        let m: Value = serde_json::from_slice(&entries["manifest.json"]).unwrap();
                        assert!(validator.is_valid(&m), "{}: manifest invalid", spec.name);
                        let parsed =
                            rdpdiag_schemas::Manifest::from_json_slice(&entries["manifest.json"]).unwrap();
                        for a in &parsed.artifacts {
                            let bytes = &entries[&a.path];
                            let h: String =
                                Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
                            assert_eq!(Some(h), a.sha256, "{} {}", spec.name, a.path);
                            let b3 = blake3::hash(bytes).to_hex().to_string();
                            assert_eq!(Some(b3), a.blake3, "{} {}", spec.name, a.path);
                            assert_eq!(a.size, bytes.len() as u64);
                        }
                        assert_eq!(parsed.artifacts.len() + 1, entries.len(), "every file is listed");
                    }
                    _ => assert!(!entries.contains_key("manifest.json")),
                }
            }
            // Every failed attempt leaves 1024 then 1026 Disconnect Reason 2308 on the client
            // (2055, 0x807, for a mistyped password), after 1028 and, past the credential
            // prompt, 1029 where the failure comes after TLS starts.
            let failed = g.world.attempts.iter().filter(|a| a.failure.is_some()).count();
            // Refused credentials: 0x807, or 0xD07 for a locked-out account.
            let codes: &[&str] = if spec.kind == ScenarioKind::WrongPassword {
                &["2055"]
            } else if spec.kind == ScenarioKind::Cause(RootCauseId::CredentialsRejected) {
                &["2055", "3335"]
            } else {
                &["2308"]
            };
            let c2308 = find(&cl, 1026)
                .into_iter()
                .filter(|v| field(v, "Value").is_some_and(|x| codes.contains(&x.as_str())))
                .count();
            assert_eq!(c2308, failed, "{} {:?}", spec.name, layout);
            assert_eq!(find(&cl, 1024).len(), g.world.attempts.len());
            let schannel = |id: u64, name: &str| -> Vec<String> {
                find(&sl, id).into_iter().filter_map(|v| field(v, name)).collect()
            };
            match spec.expected_top {
                _ if spec.kind == ScenarioKind::WrongPassword => {
                    // The refused password: RdpCoreTS 140 and no 1149; the last attempt logs on.
                    assert!(!find(&sl, 140).is_empty());
                    assert_eq!(find(&sl, 1149).len(), g.world.attempts.len() - failed);
                }
                None => {
                    assert_eq!(c2308, 0);
                    assert_eq!(
                        find(&sl, 1149).len(),
                        g.world.attempts.len(),
                        "healthy: every attempt authenticates"
                    );
                    // The only 36870 is the trap of a DC's LDAPS (lsass), never TermService's.
                    assert!(
                        schannel(36870, "CallerProcessImageName")
                            .iter()
                            .all(|c| c.to_ascii_lowercase().ends_with("lsass.exe"))
                    );
                    assert!(find(&sl, 140).is_empty());
                }
                Some(RootCauseId::CertKeyUnreadable) => {
                    assert!(
                        schannel(36870, "ErrorCode")
                            .iter()
                            .any(|c| c == "0x8009030d" || c == "0x8009030D")
                    );
                }
                Some(RootCauseId::NlaCredsspMismatch) => {
                    assert!(!find(&sl, 140).is_empty());
                    assert!(
                        find(&sl, 4625)
                            .iter()
                            .any(|v| field(v, "LogonType").as_deref() == Some("3"))
                    );
                    assert!(find(&sl, 1149).is_empty());
                }
                Some(RootCauseId::ListenerOrPortProblem) | Some(RootCauseId::FirewallOrAvInterference) => {
                    assert!(
                        find(&sl, 131).is_empty(),
                        "{}: the connection never reaches TermService",
                        spec.name
                    );
                }
                Some(RootCauseId::MaxOutstandingConnections) => {
                    assert!(!find(&sl, 1006).is_empty());
                    assert!(find(&sl, 261).len() > 50);
                }
                Some(RootCauseId::TlsOrFipsMismatch) => assert!(!find(&sl, 36871).is_empty()),
                Some(RootCauseId::OutdatedClient) => {
                    assert_eq!(schannel(36874, "Protocol"), vec!["TLS 1.0"; 3])
                }
                Some(RootCauseId::UserProfileCorrupt) => {
                    assert!(!find(&sl, 1511).is_empty() && !find(&sl, 1149).is_empty())
                }
                Some(RootCauseId::NetworkTransport) => assert!(!find(&sl, 143).is_empty()),
                Some(RootCauseId::ProxyOrBastionInPath) => {
                    assert!(
                        find(&sl, 131)
                            .iter()
                            .all(|v| field(v, "ClientIP").unwrap().starts_with("10.20.0.5:"))
                    );
                }
                Some(RootCauseId::CertExpiredOrMismatched) => {
                    assert!(!find(&sl, 1053).is_empty() || !find(&sl, 1059).is_empty());
                }
                Some(RootCauseId::RdpServiceCrash) => {
                    assert!(find(&sl, 7031).len() >= failed, "one SCM 7031 per failed attempt");
                }
                Some(RootCauseId::CredentialsRejected) => {
                    assert!(find(&sl, 140).len() >= failed);
                    assert!(find(&sl, 1149).is_empty());
                }
                Some(RootCauseId::MiddleboxReset) => {
                    // Nothing on the server for the client; the client never got X.224 (1028).
                    assert!(find(&sl, 140).is_empty() && find(&sl, 1149).len() < g.world.attempts.len());
                    assert!(find(&cl, 1028).is_empty());
                }
                Some(RootCauseId::RdpProtocolError) => assert!(find(&sl, 56).len() >= failed),
                Some(RootCauseId::LogonDisabled) => assert!(find(&sl, 1149).is_empty()),
                Some(RootCauseId::GatewayOrBrokerLeg) => {
                    assert!(find(&sl, 304).len() >= failed);
                    assert!(find(&sl, 131).is_empty(), "the gateway is no session host");
                }
            }
        }
    }
}

#[test]
fn server_131_and_261_share_an_activity_id_and_rcm_follows_within_6_ms() {
    let dir = tempfile::tempdir().unwrap();
    let g = scenario::generate(
        scenario::find("healthy").unwrap(),
        &small(Layout::Bundle),
        dir.path(),
    )
    .unwrap();
    let sl = logs(&zip_entries(&g.server));
    let by_act = |id: u64| -> BTreeMap<String, Value> {
        find(&sl, id)
            .into_iter()
            .filter_map(|v| Some((activity(v)?, v.clone())))
            .collect()
    };
    let (c131, c261) = (by_act(131), by_act(261));
    assert_eq!(c131.len(), 3);
    for (act, v) in &c131 {
        let t131 = v["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"]
            .as_str()
            .unwrap();
        let t261 = c261[act]["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"]
            .as_str()
            .unwrap();
        let d = chrono::DateTime::parse_from_rfc3339(t261).unwrap()
            - chrono::DateTime::parse_from_rfc3339(t131).unwrap();
        assert!(
            d.num_microseconds().unwrap() >= 900 && d.num_microseconds().unwrap() <= 5600,
            "{d}"
        );
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let spec = scenario::find("tls-or-fips-mismatch").unwrap();
    let ga = scenario::generate(spec, &small(Layout::Bundle), a.path()).unwrap();
    let gb = scenario::generate(spec, &small(Layout::Bundle), b.path()).unwrap();
    let gc = scenario::generate(
        spec,
        &GenerateOptions {
            seed: 2,
            ..small(Layout::Bundle)
        },
        c.path(),
    )
    .unwrap();
    assert_eq!(
        std::fs::read(&ga.server).unwrap(),
        std::fs::read(&gb.server).unwrap()
    );
    assert_eq!(
        std::fs::read(&ga.client).unwrap(),
        std::fs::read(&gb.client).unwrap()
    );
    assert_ne!(
        std::fs::read(&ga.server).unwrap(),
        std::fs::read(&gc.server).unwrap()
    );
}

#[test]
fn client_events_carry_the_client_clock() {
    for skew in [-43_200i64, -317, 0, 5_000, 43_200] {
        let dir = tempfile::tempdir().unwrap();
        let opts = GenerateOptions {
            skew_seconds: skew,
            noise: 50,
            ..GenerateOptions::default()
        };
        let g =
            scenario::generate(scenario::find("cert-key-unreadable").unwrap(), &opts, dir.path()).unwrap();
        let cl = logs(&zip_entries(&g.client));
        let mut starts: Vec<chrono::DateTime<chrono::Utc>> = find(&cl, 1024)
            .into_iter()
            .map(|v| {
                v["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        starts.sort();
        let truth: Vec<_> = g
            .world
            .attempts
            .iter()
            .map(|a| a.start + chrono::Duration::seconds(skew))
            .collect();
        assert_eq!(starts, truth, "skew {skew}");
    }
    let dir = tempfile::tempdir().unwrap();
    let too_far = GenerateOptions {
        skew_seconds: 43_201,
        ..GenerateOptions::default()
    };
    assert!(scenario::generate(scenario::find("healthy").unwrap(), &too_far, dir.path()).is_err());
}

#[test]
fn folder_packaging_matches_zip_packaging() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let spec = scenario::find("network-transport").unwrap();
    let z = scenario::generate(spec, &small(Layout::Bundle), a.path()).unwrap();
    let d = scenario::generate(
        spec,
        &GenerateOptions {
            packaging: Packaging::Dir,
            ..small(Layout::Bundle)
        },
        b.path(),
    )
    .unwrap();
    for (name, bytes) in zip_entries(&z.server) {
        assert_eq!(std::fs::read(d.server.join(&name)).unwrap(), bytes, "{name}");
    }
}

#[test]
fn noise_option_scales_the_unrelated_records() {
    let dir = tempfile::tempdir().unwrap();
    let spec = scenario::find("healthy").unwrap();
    let count = |noise: u64| -> usize {
        let g = scenario::generate(
            spec,
            &GenerateOptions {
                noise,
                ..GenerateOptions::default()
            },
            dir.path(),
        )
        .unwrap();
        logs(&zip_entries(&g.server)).values().map(Vec::len).sum()
    };
    let (lo, hi) = (count(100), count(5000));
    assert!(hi > lo + 4000, "noise 100 -> {lo} records, 5000 -> {hi}");
}

#[test]
fn scale_mode_writes_about_the_requested_megabytes_over_both_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let opts = GenerateOptions {
        evtx_mb: Some(6),
        packaging: Packaging::Dir,
        ..GenerateOptions::default()
    };
    scenario::generate(scenario::find("cert-key-unreadable").unwrap(), &opts, dir.path()).unwrap();
    fn evtx_bytes(p: &std::path::Path) -> u64 {
        std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                if p.is_dir() {
                    evtx_bytes(&p)
                } else if p.extension().is_some_and(|x| x == "evtx") {
                    p.metadata().unwrap().len()
                } else {
                    0
                }
            })
            .sum()
    }
    let total = evtx_bytes(dir.path()) as f64 / 1e6;
    // One chunk per small log and the estimate from a sample: within 15%.
    assert!(
        (5.1..=6.9).contains(&total),
        "{total:.2} MB of EVTX for --evtx-mb 6"
    );
}

/// A cause's sample evidence lives in `world/causes/<cause>.rs`, one file per rule file
/// `analyzer/rules/<cause>.toml` (`-` -> `_`), and each names its rule file in its module doc:
/// a new rule without samples, or a cause file whose rule was renamed, fails here.
#[test]
fn cause_files_mirror_rule_files() {
    use std::collections::BTreeSet;
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let stems = |dir: &std::path::Path, ext: &str| -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == ext))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    let rules: BTreeSet<String> = stems(&manifest.join("../analyzer/rules"), "toml")
        .into_iter()
        .map(|r| r.replace('-', "_"))
        .collect();
    let causes_dir = manifest.join("src/scenario/world/causes");
    let mut causes = stems(&causes_dir, "rs");
    assert!(causes.remove("mod"), "causes/mod.rs missing");
    assert!(rules.len() >= 17, "rule files not found: {rules:?}");
    let no_samples: Vec<_> = rules.difference(&causes).collect();
    let no_rule: Vec<_> = causes.difference(&rules).collect();
    assert!(
        no_samples.is_empty() && no_rule.is_empty(),
        "rule files without world/causes/<cause>.rs: {no_samples:?}; cause files without a rule: {no_rule:?}"
    );
    for c in &causes {
        let text = std::fs::read_to_string(causes_dir.join(format!("{c}.rs"))).unwrap();
        let rule_file = format!("analyzer/rules/{}.toml", c.replace('_', "-"));
        assert!(
            text.contains(&rule_file),
            "{c}.rs does not name {rule_file} in its doc"
        );
        assert!(
            text.contains(&format!("fn configure_{c}(")) && text.contains(&format!("fn fail_{c}(")),
            "{c}.rs lacks configure_{c} or fail_{c}"
        );
    }
    // Every root cause the schemas know has its file (the rule ids are the cause ids).
    for id in RootCauseId::ALL {
        let name = id.as_str().replace('-', "_");
        assert!(causes.contains(&name), "{id:?} has no world/causes/{name}.rs");
    }
}
