//! Redacted bundles (issue 19 item 3): every committed scenario pair (our bundle layout),
//! redacted with one key shared by its client and server bundle, gives the same diagnosis
//! (top cause, verdict, confidence of each cause) as the raw pair, and the redacted bundles
//! hold no raw event log, only registry exports reduced to the keys the analyzer reads, and
//! none of the planted names or addresses (also not inside `hex(2):` data). The registry facts
//! of every bundle are the same after the reduction alone. Real hives of the corpus
//! (`RDPDIAG_CORPUS`) go through the hive reduction.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::{Path, PathBuf};

use rdpdiag::analyze::{AnalyzeOptions, analyze};
use rdpdiag::facts::HostFacts;
use rdpdiag::input::ContentKind;
use rdpdiag::rules::Catalog;
use rdpdiag_collect::redact::Counts;
use rdpdiag_collect::redact_bundle::redact_bundle;
use rdpdiag_collect::redact_registry::{reduce_hive, reduce_reg_export};
use rdpdiag_collect::reg_export::{RegData, decode_export, parse_export};
use rdpdiag_schemas::registry_interest::{Keep, keep_full_path};
use rdpdiag_schemas::{ArtifactKind, Manifest};

fn bundles() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/bundles")
}

/// Every committed `<scenario>-client.zip` with its `<scenario>-server.zip`.
fn pairs() -> Vec<(String, PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(bundles()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        if let Some(scenario) = name.strip_suffix("-client.zip") {
            let server = bundles().join(format!("{scenario}-server.zip"));
            if server.is_file() {
                out.push((scenario.to_string(), bundles().join(&name), server));
            }
        }
    }
    out.sort();
    out
}

fn entries(zip: &Path) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).unwrap();
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            (e.name().unwrap().to_string(), b)
        })
        .collect()
}

#[test]
fn redacted_pairs_give_the_same_diagnosis_as_raw_ones() {
    let catalog = Catalog::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pairs = pairs();
    assert!(pairs.len() >= 10, "committed pairs: {}", pairs.len());
    let mut failures = Vec::new();
    let mut registry_scenarios = 0;
    for (scenario, client, server) in &pairs {
        let key = format!("ticket key of {scenario}");
        let rc = dir.path().join(format!("{scenario}-client.redacted.zip"));
        let rs = dir.path().join(format!("{scenario}-server.redacted.zip"));
        let report_c = redact_bundle(client, &rc, key.as_bytes()).unwrap();
        let report_s = redact_bundle(server, &rs, key.as_bytes()).unwrap();
        assert!(
            !report_c.event_logs.is_empty() && !report_s.event_logs.is_empty(),
            "{scenario}: no event log redacted"
        );
        let raw = analyze(
            &[client.clone(), server.clone()],
            &catalog,
            &AnalyzeOptions::default(),
        );
        let red = analyze(&[rc.clone(), rs.clone()], &catalog, &AnalyzeOptions::default());
        let causes = |a: &rdpdiag::analyze::Analysis| {
            a.report
                .causes
                .iter()
                .map(|c| format!("{:?} {:.3}", c.id, c.confidence))
                .collect::<Vec<_>>()
        };
        let same = raw.report.top_cause == red.report.top_cause
            && raw.report.verdict == red.report.verdict
            && causes(&raw) == causes(&red)
            && pairing(&raw) == pairing(&red);
        // The registry facts the rules use come through the reduction and redaction.
        if registry_facts(&raw) != registry_facts(&red) {
            failures.push(format!(
                "{scenario}: registry facts raw {:?}, redacted {:?}",
                registry_facts(&raw),
                registry_facts(&red)
            ));
        }
        if registry_facts(&raw).iter().all(|h| h.is_empty()) {
            failures.push(format!("{scenario}: no registry fact read from the raw bundles"));
        }
        registry_scenarios += usize::from(registry_facts(&raw).iter().any(|h| {
            h.iter()
                .any(|f| f.starts_with("listener") || f.starts_with("policy"))
        }));
        println!(
            "{scenario}: raw {:?} {} {:?} / redacted {:?} {} {:?}",
            raw.report.top_cause,
            raw.report.verdict,
            causes(&raw),
            red.report.top_cause,
            red.report.verdict,
            causes(&red)
        );
        if !same {
            failures.push(format!(
                "{scenario}: raw {:?} {} {:?}, redacted {:?} {} {:?}",
                raw.report.top_cause,
                raw.report.verdict,
                causes(&raw),
                red.report.top_cause,
                red.report.verdict,
                causes(&red)
            ));
        }
        for (zip, original) in [(&rc, client), (&rs, server)] {
            check_redacted(zip, original, &mut failures);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Scenarios whose server registry holds listener settings or policies (listener port moved,
    // security layer/NLA, cipher policy, certificate thumbprint, logon switches).
    assert!(
        registry_scenarios >= 10,
        "scenarios with registry facts: {registry_scenarios}"
    );
}

/// Per host, the registry facts the rules read: listeners (port, security layer, NLA,
/// encryption level, certificate thumbprint, enabled), Terminal Server and server policy
/// values, SCHANNEL switches, FIPS, CredSSP, client settings.
fn registry_facts(a: &rdpdiag::analyze::Analysis) -> Vec<Vec<String>> {
    [&a.ticket.client, &a.ticket.server]
        .into_iter()
        .map(|h| {
            let Some(f) = h.as_ref().and_then(|h| h.facts.as_ref()) else {
                return Vec::new();
            };
            let v = |x: Option<u32>| format!("{x:?}");
            let mut out: Vec<String> = f
                .listeners
                .iter()
                .map(|l| {
                    format!(
                        "listener {} port {} layer {} nla {} enc {} hash {:?} enabled {}",
                        l.name,
                        v(l.port_number.as_ref().map(|p| p.value)),
                        v(l.security_layer.effective),
                        v(l.user_authentication.effective),
                        v(l.min_encryption_level.effective),
                        l.ssl_certificate_sha1_hash.as_ref().map(|x| x.value.clone()),
                        v(l.enable_winstation.as_ref().map(|x| x.value)),
                    )
                })
                .collect();
            let p = &f.server_policy;
            out.push(format!(
                "policy ciphers {:?} local {:?} dll {:?} disabled {:?} drain {:?} instances {:?}",
                p.cipher_policy.as_ref().map(|x| x.value.clone()),
                p.cipher_local.as_ref().map(|x| x.value.clone()),
                p.service_dll.as_ref().map(|x| x.value.clone()),
                p.winstations_disabled.as_ref().map(|x| x.value),
                p.drain_mode.as_ref().map(|x| x.value),
                p.max_instance_count.effective,
            ));
            out.push(format!(
                "schannel {} fips {:?} credssp {:?} outstanding {:?} udp {:?} credssp-client {:?}",
                f.schannel.len(),
                f.fips_enabled.as_ref().map(|x| x.value),
                f.credssp_allow_encryption_oracle.as_ref().map(|x| x.value),
                f.terminal_server
                    .max_outstanding_connections
                    .as_ref()
                    .map(|x| x.value),
                f.client.disable_udp_transport.as_ref().map(|x| x.value),
                f.client.enable_credssp_support.as_ref().map(|x| x.value),
            ));
            out.retain(|l| !l.ends_with("None None None None None None"));
            out
        })
        .collect()
}

/// How each attempt was paired: connection, reached, authenticated, seen from another
/// address, aimed at this server (the last two compare names and addresses across bundles).
fn pairing(a: &rdpdiag::analyze::Analysis) -> Vec<String> {
    a.correlation
        .attempts
        .iter()
        .map(|p| {
            format!(
                "{:?} {:?} {} {:?} {:?}",
                p.connection, p.reached_server, p.authenticated, p.seen_from_other_ip, p.target_is_server
            )
        })
        .collect()
}

#[test]
fn only_the_same_key_keeps_client_and_server_joinable() {
    let catalog = Catalog::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = bundles().join("cert-key-unreadable-client.zip");
    let server = bundles().join("cert-key-unreadable-server.zip");
    let (rc, rs, rs_other) = (
        dir.path().join("c.zip"),
        dir.path().join("s.zip"),
        dir.path().join("s-other.zip"),
    );
    redact_bundle(&client, &rc, b"one ticket, one key").unwrap();
    redact_bundle(&server, &rs, b"one ticket, one key").unwrap();
    redact_bundle(&server, &rs_other, b"another key").unwrap();
    let raw = analyze(&[client, server], &catalog, &AnalyzeOptions::default());
    let same = analyze(&[rc.clone(), rs], &catalog, &AnalyzeOptions::default());
    let other = analyze(&[rc, rs_other], &catalog, &AnalyzeOptions::default());
    let aimed = |a: &rdpdiag::analyze::Analysis| {
        a.correlation
            .attempts
            .iter()
            .map(|p| p.target_is_server)
            .collect::<Vec<_>>()
    };
    assert!(aimed(&raw).iter().all(|t| *t == Some(true)), "{:?}", aimed(&raw));
    assert_eq!(aimed(&same), aimed(&raw));
    // Tokens of another key do not match: the client's target is not the server's name.
    assert!(
        aimed(&other).iter().all(|t| *t == Some(false)),
        "{:?}",
        aimed(&other)
    );
}

/// No raw event log, every event log replaced by a redacted-events file listed in the manifest,
/// and none of the original host's name or addresses left anywhere in the bundle.
fn check_redacted(zip: &Path, original: &Path, failures: &mut Vec<String>) {
    let orig = Manifest::from_json_slice(
        &entries(original)
            .into_iter()
            .find(|(n, _)| n == "manifest.json")
            .unwrap()
            .1,
    )
    .unwrap();
    let files = entries(zip);
    let manifest =
        Manifest::from_json_slice(&files.iter().find(|(n, _)| n == "manifest.json").unwrap().1).unwrap();
    let name = zip.display();
    if files
        .iter()
        .any(|(n, b)| n.ends_with(".evtx") || b.starts_with(b"ElfFile\0"))
    {
        failures.push(format!("{name}: a raw event log is left"));
    }
    let evtx_in = orig
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::Evtx && a.sha256.is_some())
        .count();
    let redacted_out = manifest
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::RedactedEvents)
        .count();
    if evtx_in != redacted_out {
        failures.push(format!(
            "{name}: {evtx_in} event logs in, {redacted_out} redacted-events files out"
        ));
    }
    let r = manifest.redaction.as_ref();
    if !r.is_some_and(|r| r.what.contains(&"sids".to_string()) && !r.artifacts.is_empty()) {
        failures.push(format!("{name}: manifest redaction record missing: {r:?}"));
    }
    let mut secrets = vec![orig.host.name.to_lowercase()];
    secrets.extend(orig.host.addresses.iter().cloned());
    // The registry's own personal data: profile folders, SIDs, the client's servers, username
    // hints and MRU entries (read from the raw exports, decoded from hex(2) too).
    for (n, bytes) in entries(original) {
        if !n.ends_with(".reg") {
            continue;
        }
        for k in parse_export(&decode_export(&bytes).unwrap()).unwrap().keys {
            let lower = k.path.to_lowercase();
            let last = k.path.rsplit('\\').next().unwrap_or_default().to_lowercase();
            if lower.contains(r"\profilelist\s-1-5-21-")
                || lower.contains(r"\terminal server client\servers\")
            {
                secrets.push(last);
            }
            for v in &k.values {
                let text = match &v.data {
                    RegData::Sz(s) | RegData::ExpandSz(s) => s.to_lowercase(),
                    _ => continue,
                };
                match v.name.as_deref().unwrap_or_default().to_lowercase().as_str() {
                    "profileimagepath" => secrets.extend(text.rsplit('\\').next().map(str::to_string)),
                    "usernamehint" => secrets.extend(text.rsplit('\\').next().map(str::to_string)),
                    n if n.starts_with("mru") => {
                        secrets.push(text.split(':').next().unwrap_or_default().to_string())
                    }
                    _ => {}
                }
            }
        }
    }
    secrets.retain(|s| {
        !matches!(
            s.as_str(),
            "default" | "public" | "administrator" | "systemprofile" | "localservice" | "networkservice"
        )
    });
    for (n, bytes) in &files {
        if !n.ends_with(".reg") {
            continue;
        }
        let Some(text) = decode_export(bytes) else {
            failures.push(format!("{name}: {n} is not text"));
            continue;
        };
        let export = match parse_export(&text) {
            Ok(e) => e,
            Err(e) => {
                failures.push(format!("{name}: {n}: {e}"));
                continue;
            }
        };
        if !bytes.starts_with(&[0xFF, 0xFE]) {
            failures.push(format!("{name}: {n} is not UTF-16LE like reg export"));
        }
        for k in &export.keys {
            match keep_full_path(&k.path) {
                Keep::Drop => failures.push(format!("{name}: {n} keeps {} (not on the list)", k.path)),
                Keep::Ancestor if !k.values.is_empty() => {
                    failures.push(format!("{name}: {n} keeps values of {}", k.path))
                }
                Keep::Key(f) => {
                    for v in &k.values {
                        if !f.keeps(v.name.as_deref().unwrap_or_default()) {
                            failures.push(format!("{name}: {n} keeps {}\\{:?}", k.path, v.name));
                        }
                    }
                }
                Keep::Ancestor => {}
            }
            // Decoded hex(2)/hex(7) data is searched below too.
            for v in &k.values {
                if let RegData::ExpandSz(s) = &v.data {
                    let lower = s.to_lowercase();
                    for sec in &secrets {
                        if sec.len() >= 3 && contains_word(&lower, sec) {
                            failures.push(format!("{name}: {n} still holds {sec:?} in {}", k.path));
                        }
                    }
                }
            }
        }
    }
    for (n, bytes) in &files {
        let text = if bytes.starts_with(&[0xFF, 0xFE]) {
            String::from_utf16_lossy(
                &bytes[2..]
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect::<Vec<_>>(),
            )
        } else {
            String::from_utf8_lossy(bytes).to_string()
        }
        .to_lowercase();
        for s in &secrets {
            if s.len() >= 3 && contains_word(&text, s) {
                failures.push(format!("{name}: {n} still holds {s:?}"));
            }
        }
    }
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        let word_char =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        !word_char(before) && !word_char(after)
    })
}

/// The reduction alone (no redaction) keeps every registry fact: the host facts of each
/// committed bundle's registry exports are the same (provenance aside) before and after.
#[test]
fn reduced_registry_exports_keep_every_registry_fact() {
    let mut compared = 0;
    for e in std::fs::read_dir(bundles()).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with("-client.zip") && !name.ends_with("-server.zip") {
            continue;
        }
        let raw: Vec<(String, Vec<u8>)> = entries(&path)
            .into_iter()
            .filter(|(n, _)| n.ends_with(".reg"))
            .collect();
        if raw.is_empty() {
            continue;
        }
        let reduced: Vec<(String, Vec<u8>)> = raw
            .iter()
            .map(|(n, b)| (n.clone(), reduce_reg_export(b).unwrap().to_reg()))
            .collect();
        let facts = |items: &[(String, Vec<u8>)]| {
            let f = HostFacts::from_artifacts(
                items
                    .iter()
                    .map(|(n, b)| (n.as_str(), ContentKind::Reg, b.as_slice())),
            );
            let mut v = serde_json::to_value(&f).unwrap();
            strip_provenance(&mut v);
            v
        };
        assert_eq!(
            facts(&raw),
            facts(&reduced),
            "{name}: the reduction changed the registry facts"
        );
        compared += 1;
    }
    assert!(compared >= 20, "bundles with registry exports: {compared}");
}

/// Drops where a fact came from (the line numbers differ) and the per-artifact bookkeeping.
fn strip_provenance(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|k, _| {
                !matches!(
                    k.as_str(),
                    "source" | "sources" | "artifacts" | "problems" | "key_name_source"
                )
            });
            m.values_mut().for_each(strip_provenance);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_provenance),
        _ => {}
    }
}

/// Real hives (corpus, with transaction logs where it has them) through the hive reduction: no
/// panic, the listed keys that the hive has are there, nothing off the list, no raw hive bytes.
#[test]
fn corpus_hives_are_reduced() {
    let Some(root) = std::env::var_os("RDPDIAG_CORPUS")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
    else {
        println!("skipped: RDPDIAG_CORPUS is not set to the corpus folder");
        return;
    };
    let dir = root.join("hives");
    let mut hives: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let upper = p.to_string_lossy().to_uppercase();
            if p.is_dir() {
                stack.push(p);
            } else if !upper.ends_with(".LOG1") && !upper.ends_with(".LOG2") && !upper.ends_with(".LOG") {
                hives.push(p);
            }
        }
    }
    hives.sort();
    assert!(hives.len() >= 10, "corpus hives: {}", hives.len());
    let r = rdpdiag_collect::redact::Redactor::with_key(b"corpus");
    let mut reduced_any_system = false;
    for h in &hives {
        let primary = std::fs::read(h).unwrap();
        let logs: Vec<Vec<u8>> = ["LOG1", "LOG2"]
            .iter()
            .filter_map(|x| std::fs::read(format!("{}.{x}", h.display())).ok())
            .collect();
        let log_refs: Vec<&[u8]> = logs.iter().map(Vec::as_slice).collect();
        let name = h.file_name().unwrap().to_string_lossy().to_string();
        if !log_refs.is_empty() {
            // A test hive with its logs, named as the collector names a SYSTEM hive: the logs
            // are replayed without a panic (the hive holds none of the listed keys).
            let as_system = reduce_hive(&primary, &log_refs, "SYSTEM").unwrap();
            assert!(
                as_system
                    .notes
                    .iter()
                    .all(|n| !n.contains("could not be applied")),
                "{name}: {:?}",
                as_system.notes
            );
            println!(
                "{name} as SYSTEM: {} logs replayed, {} keys kept",
                log_refs.len(),
                as_system.keys_out
            );
        }
        let out = reduce_hive(&primary, &log_refs, &name);
        let Ok(out) = out else {
            println!("{name}: {} (left out)", out.unwrap_err());
            continue;
        };
        let out = out.redacted_with(&r, &mut Counts::new());
        let reg = out.to_reg();
        assert!(
            !reg.windows(4).any(|w| w == b"regf"),
            "{name}: raw hive bytes in the output"
        );
        let export = parse_export(&decode_export(&reg).unwrap()).unwrap();
        for k in &export.keys {
            assert_ne!(
                keep_full_path(&k.path),
                Keep::Drop,
                "{name}: {} is off the list",
                k.path
            );
        }
        println!(
            "{name}: {} logs, {} keys read, {} kept, {} values left out",
            log_refs.len(),
            out.keys_in,
            out.keys_out,
            out.values_dropped
        );
        let has = |p: &str| {
            export
                .keys
                .iter()
                .any(|k| k.path.to_lowercase().ends_with(&p.to_lowercase()))
        };
        if name.contains("SYSTEM") && !name.contains("corrupted") {
            // Both real SYSTEM hives hold an RDP-Tcp listener (PROVENANCE.tsv).
            assert!(has(r"\Select"), "{name}: no Select");
            assert!(
                has(r"\Control\Terminal Server\WinStations\RDP-Tcp"),
                "{name}: no RDP-Tcp"
            );
            reduced_any_system = true;
            // The analyzer reads the same listener from the reduced file as from the hive.
            let facts = |items: Vec<(&str, ContentKind, &[u8])>| {
                let f = HostFacts::from_artifacts(items);
                f.listeners
                    .iter()
                    .map(|l| {
                        format!(
                            "{} {:?} {:?}",
                            l.name,
                            l.port_number.as_ref().map(|p| p.value),
                            l.security_layer.effective
                        )
                    })
                    .collect::<Vec<_>>()
            };
            let mut raw_items = vec![("registry/SYSTEM", ContentKind::Hive, primary.as_slice())];
            let log_names = ["registry/SYSTEM.LOG1", "registry/SYSTEM.LOG2"];
            for (i, l) in log_refs.iter().enumerate() {
                raw_items.push((log_names[i], ContentKind::Hive, l));
            }
            let from_hive = facts(raw_items);
            let unredacted = reduce_hive(&primary, &log_refs, &name).unwrap().to_reg();
            let from_reduced = facts(vec![(
                "registry/SYSTEM.reduced.reg",
                ContentKind::Reg,
                unredacted.as_slice(),
            )]);
            assert!(!from_hive.is_empty(), "{name}: no listener read from the hive");
            assert_eq!(from_hive, from_reduced, "{name}");
        }
    }
    assert!(reduced_any_system, "no SYSTEM hive reduced");
}
