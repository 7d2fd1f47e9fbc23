//! `inspect` over every committed sample bundle (all three layouts) and every file of the
//! shared corpus: no panic, layout and role recognised for our samples, every EVTX record of
//! the samples read without error, and every corpus failure named with its file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use rdpdiag::artifact::Outcome;
use rdpdiag::{IngestOptions, inspect};
use rdpdiag_schemas::Role;

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_committed_sample_bundle_is_read_completely() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/bundles");
    let mut zips: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "zip"))
        .collect();
    zips.sort();
    assert!(zips.len() >= 40, "{} bundles", zips.len());
    let report = inspect(&zips, &IngestOptions::default());
    assert_eq!(report.totals.inputs_unreadable, 0);
    assert_eq!(report.totals.records_failed, 0);
    for input in &report.inputs {
        let name = Path::new(&input.input)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let client = name.ends_with("-client.zip")
            || name.contains("-client-MSRD-")
            || name.ends_with("-client-logs.zip");
        let want = if client { Role::Client } else { Role::Server };
        assert_eq!(input.role, want, "{name}");
        assert!(input.host.is_some(), "{name}: host not recognised");
        let layout = format!("{:?}", input.layout.as_ref().unwrap().kind).to_lowercase();
        let expected = if name.contains("MSRD-Results") {
            "msrd"
        } else if name.ends_with("-logs.zip") {
            "adhoc"
        } else {
            "bundle"
        };
        assert!(layout.contains(expected), "{name}: layout {layout}");
        for a in &input.artifacts {
            // Everything is read; only the collector's own log carries no evidence.
            let log = a.path.ends_with("collection-log.txt") || a.path.ends_with("MSRD-Collect-Log.txt");
            assert!(
                matches!(a.outcome, Outcome::Parsed) || log && matches!(a.outcome, Outcome::NotParsed { .. }),
                "{name} {}: {:?}",
                a.path,
                a.outcome
            );
            let errors: Vec<_> = a
                .problems
                .iter()
                .filter(|p| p.severity >= rdpdiag::Severity::Warning)
                .collect();
            assert!(errors.is_empty(), "{name} {}: {errors:?}", a.path);
        }
    }
}

#[test]
fn every_corpus_file_is_inspected_without_panic_and_failures_are_named() {
    let corpus = std::env::var_os("RDPDIAG_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    if !corpus.is_dir() {
        eprintln!(
            "skipped: corpus {} is absent (set RDPDIAG_CORPUS)",
            corpus.display()
        );
        return;
    }
    let mut files = Vec::new();
    files_under(&corpus, &mut files);
    files.sort();
    assert!(files.len() > 40);
    // One input per file, all at once (parallel ingest across inputs).
    let report = inspect(&files, &IngestOptions::default());
    assert_eq!(report.inputs.len(), files.len());
    assert_eq!(report.totals.inputs_unreadable, 0, "every corpus file opens");
    // The clearly damaged files say where: chunk or record, in the named file.
    for damaged in [
        "evtxcrate__bad_chunk_magic.evtx",
        "plaso__System2_truncated-200000B.evtx",
    ] {
        let i = report.inputs.iter().find(|i| i.input.ends_with(damaged)).unwrap();
        let problems: Vec<String> = i
            .artifacts
            .iter()
            .flat_map(|a| a.problems.iter().map(|p| format!("{} {}", p.location, p.message)))
            .collect();
        assert!(!problems.is_empty(), "{damaged}: no problem reported");
        assert!(
            problems.iter().any(|p| p.contains("chunk")),
            "{damaged}: {problems:?}"
        );
    }
    // Good RDP logs read without failures.
    for i in report
        .inputs
        .iter()
        .filter(|i| i.input.contains("/evtx/rdp/attacksamples"))
    {
        for a in &i.artifacts {
            assert_eq!(
                a.evtx.as_ref().map(|s| s.records_failed).unwrap_or(0),
                0,
                "{}",
                i.input
            );
        }
    }
}
