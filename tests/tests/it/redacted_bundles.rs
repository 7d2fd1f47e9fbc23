//! Redacted event logs (issue 19 item 3): every committed scenario pair (our bundle layout),
//! redacted with one key shared by its client and server bundle, gives the same diagnosis
//! (top cause, verdict, confidence of each cause) as the raw pair, and the redacted bundles
//! hold no raw event log and none of the planted names or addresses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::{Path, PathBuf};

use rdpdiag::analyze::{AnalyzeOptions, analyze};
use rdpdiag::rules::Catalog;
use rdpdiag_collect::redact_bundle::redact_bundle;
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
