//! Every input the fuzzers ever crashed on (`fuzz/regressions/<target>/`) replayed on stable
//! Rust through the same entry point as the fuzz target (`fuzz/src/entry.rs`), so CI keeps
//! them fixed without cargo-fuzz or nightly. A panic in our own code fails the test even when
//! a `catch_unwind` of ours catches it (as the fuzzers treat it); a panic of a third-party
//! crate that our guard catches is allowed (that is what the guard is for).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/src/entry.rs"]
mod entry;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static OUR_PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions")
}

/// Records panics located in our code; third-party ones (left to our guards) are ignored.
fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let file = info.location().map(|l| l.file().to_string()).unwrap_or_default();
        let third_party = entry::third_party_location(&file)
            || ((file.contains("/rustc/") || file.starts_with("library/"))
                && entry::third_party_backtrace(&std::backtrace::Backtrace::force_capture().to_string())
                    .unwrap_or(false));
        if !third_party {
            OUR_PANICS.lock().unwrap().push(format!("{info}"));
        }
    }));
}

#[test]
fn every_fuzz_regression_input_replays_without_a_panic() {
    let root = regressions_dir();
    // Every folder is a known target (a typo would silently skip its inputs).
    for d in std::fs::read_dir(&root).unwrap() {
        let name = d.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "README.md" {
            continue;
        }
        assert!(
            entry::TARGETS.iter().any(|(t, _)| *t == name),
            "fuzz/regressions/{name}: no such fuzz target"
        );
    }
    install_hook();
    let mut replayed = 0;
    let mut failures = Vec::new();
    for (name, run) in entry::TARGETS {
        let dir = root.join(name);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).unwrap();
            let started = std::time::Instant::now();
            let outcome = std::panic::catch_unwind(|| run(&data));
            let ours: Vec<String> = std::mem::take(&mut *OUR_PANICS.lock().unwrap());
            if outcome.is_err() || !ours.is_empty() {
                failures.push(format!("{}: {}", f.display(), ours.join(" | ")));
            }
            // The fuzzers run with -timeout=10; a release build is ~10x faster than this one.
            let secs = started.elapsed().as_secs_f64();
            if secs > 60.0 {
                failures.push(format!("{}: took {secs:.1} s", f.display()));
            }
            replayed += 1;
        }
    }
    let _ = std::panic::take_hook();
    println!("replayed {replayed} regression input(s)");
    assert!(failures.is_empty(), "regressions:\n{}", failures.join("\n"));
}

#[test]
fn the_panic_classifier_tells_our_code_from_third_party_crates() {
    assert!(entry::third_party_location(
        "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/notatin-1.0.1/src/cell_key_node.rs"
    ));
    assert!(!entry::third_party_location(
        "analyzer/artifacts/src/registry/hive.rs"
    ));
    let bt = "   0: std::backtrace::Backtrace::force_capture\n   1: core::panicking::panic_fmt\n   2: alloc::raw_vec::capacity_overflow\n   3: <notatin::parser::Parser as core::iter::Iterator>::next\n   4: rdpdiag::registry::hive::walk\n";
    assert_eq!(entry::third_party_backtrace(bt), Some(true));
    let ours = "   0: std::backtrace::Backtrace::force_capture\n   1: core::panicking::panic_bounds_check\n   2: rdpdiag::text_artifacts::certutil::parse\n";
    assert_eq!(entry::third_party_backtrace(ours), Some(false));
    assert_eq!(entry::third_party_backtrace("no frames"), None);
}

#[test]
fn structured_bundle_inputs_split_into_named_entries() {
    // Entry 0: name #0 (manifest.json), 3 bytes "{}\n"; entry 1: a raw name of 5 bytes,
    // length 2 but only 1 byte left (cut at the end of the input).
    let raw_pick = u8::try_from(entry::BUNDLE_NAMES.len() + 5).unwrap();
    let mut input = vec![0u8, 3, 0, 0];
    input.extend_from_slice(b"{}\n");
    input.push(raw_pick);
    input.extend_from_slice(b"a/b.c");
    input.extend_from_slice(&[2, 0, 0, b'x']);
    let e = entry::bundle_entries(&input);
    assert_eq!(
        e,
        vec![
            ("manifest.json".to_string(), b"{}\n".to_vec()),
            ("a/b.c".to_string(), b"x".to_vec()),
        ]
    );
    // Every structured input is replayable as a whole analysis (no panic, no leftovers).
    entry::bundle_zip(&[2, 1, 3, 0, 0, b'a', b'b', b'c']);
    entry::bundle_zip(&input);
}
