//! Records decoded from their template values must equal what the evtx crate renders: every
//! record of every corpus log and of every committed sample bundle, read both ways.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rdpdiag::evtx_ingest::{Interest, Path as ReadPath, Provenance, ingest_evtx_with};

fn prov(name: &str) -> Provenance {
    Provenance {
        input: Arc::from("test"),
        artifact: Arc::from(name),
    }
}

/// Reads `bytes` both ways with every record kept and compares; then with the rules' filter,
/// returns (records wanted, of which decoded).
fn compare(name: &str, bytes: &[u8]) -> (u64, u64) {
    let everything = Interest::everything();
    let fast = ingest_evtx_with(&mut &bytes[..], &prov(name), &everything, ReadPath::Decode);
    let slow = ingest_evtx_with(&mut &bytes[..], &prov(name), &everything, ReadPath::CrateOnly);
    let mut a = fast.events.clone();
    let mut b = slow.events.clone();
    a.sort_by_key(|e| e.record_id);
    b.sort_by_key(|e| e.record_id);
    assert_eq!(a.len(), b.len(), "{name}: number of events");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            x, y,
            "{name}: record {} differs (left: decoded, right: crate)",
            x.record_id
        );
    }
    let (fs, ss) = (&fast.stats, &slow.stats);
    assert_eq!(fs.records_read, ss.records_read, "{name}: records read");
    assert_eq!(fs.channels, ss.channels, "{name}: channels");
    assert_eq!(
        (fs.first_utc, fs.last_utc),
        (ss.first_utc, ss.last_utc),
        "{name}: time range"
    );
    assert_eq!(fs.chunks_read, ss.chunks_read, "{name}: chunks");
    // With the rules' filter: how many wanted records still need the crate.
    let wanted = ingest_evtx_with(
        &mut &bytes[..],
        &prov(name),
        &Interest::default(),
        ReadPath::Decode,
    );
    assert_eq!(
        wanted.stats.records_read, ss.records_read,
        "{name}: records read (filtered)"
    );
    (wanted.stats.records_rendered, wanted.stats.records_decoded)
}

fn bundle_logs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut zips: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "zip"))
        .collect();
    zips.sort();
    for z in zips {
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&z).unwrap()).unwrap();
        for i in 0..archive.len() {
            let mut f = archive.by_index(i).unwrap();
            let entry = f.name().unwrap().to_string();
            if !entry.to_ascii_lowercase().ends_with(".evtx") {
                continue;
            }
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            out.push((format!("{}:{entry}", z.display()), bytes));
        }
    }
    out
}

#[test]
fn decoded_records_equal_the_crates_on_sample_bundles() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/bundles");
    let logs = bundle_logs(&dir);
    assert!(logs.len() > 50, "committed bundles hold event logs");
    let (mut wanted, mut decoded) = (0, 0);
    for (name, bytes) in &logs {
        let (r, d) = compare(name, bytes);
        wanted += r;
        decoded += d;
    }
    println!("sample bundles: {wanted} records wanted by the rules, {decoded} decoded from template values");
    // Only classic events with binary data and string arrays need the crate: TermService 105x,
    // and since the audit's traps and causes USER32 1074, EventLog 6005/6006, TermDD 56 and
    // Application Error 1000 (96.9% decoded when they came in).
    assert!(decoded * 100 >= wanted * 95, "{decoded} of {wanted} decoded");
}

#[test]
fn decoded_records_equal_the_crates_on_the_corpus() {
    let Some(corpus) = common::corpus() else {
        println!("skipped: corpus folder not found (set RDPDIAG_CORPUS)");
        return;
    };
    let (mut wanted, mut decoded) = (0, 0);
    for path in common::evtx_files(&corpus) {
        let bytes = std::fs::read(&path).unwrap();
        let (r, d) = compare(&path.display().to_string(), &bytes);
        wanted += r;
        decoded += d;
    }
    println!("corpus: {wanted} records wanted by the rules, {decoded} decoded from template values");
    assert!(wanted > 0);
}
