//! The bundles committed under samples/bundles are exactly what the generator writes today.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeMap;

use common::*;
use rdpdiag_samples::committed::{committed_set, readme};
use rdpdiag_samples::scenario::{self, Layout};
use sha2::Digest;

/// Entry name -> SHA-256 of its content (the contract is the content, not zip bytes).
fn digest(entries: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, String> {
    entries
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                sha2::Sha256::digest(&v)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn committed_bundles_match_the_generator() {
    let committed = workspace().join("samples/bundles");
    let dir = tempfile::tempdir().unwrap();
    let mut worlds = Vec::new();
    let mut expected_files = vec!["README.md".to_string()];
    for (spec, opts) in committed_set() {
        let g = scenario::generate(spec, &opts, dir.path()).unwrap();
        for path in [&g.client, &g.server] {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let theirs = committed.join(&name);
            assert!(
                theirs.exists(),
                "{name} is not committed; run `cargo run -p rdpdiag-samples -- committed`"
            );
            let size = std::fs::metadata(&theirs).unwrap().len();
            assert!(size < 1024 * 1024, "{name} is {size} bytes (limit 1 MiB)");
            let (ours, committed) = (digest(zip_entries(path)), digest(zip_entries(&theirs)));
            let differ: Vec<&String> = ours
                .keys()
                .chain(committed.keys())
                .filter(|k| ours.get(*k) != committed.get(*k))
                .collect();
            assert!(
                differ.is_empty(),
                "{name}: entries {differ:?} differ from the generator; regenerate with `cargo run -p rdpdiag-samples -- committed`"
            );
            expected_files.push(name);
        }
        if opts.layout == Layout::Bundle {
            worlds.push((opts.skew_seconds, g.world));
        }
    }
    let text = std::fs::read_to_string(committed.join("README.md")).unwrap();
    assert!(
        text == readme(&worlds),
        "samples/bundles/README.md is stale; regenerate it"
    );
    let mut present: Vec<String> = std::fs::read_dir(&committed)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    present.sort();
    expected_files.sort();
    assert_eq!(
        present, expected_files,
        "samples/bundles holds files the generator does not write"
    );
}
