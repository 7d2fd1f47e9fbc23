//! Validates a bundle written elsewhere, named by `RDPDIAG_BUNDLE` (nothing to do without it).
//!
//! `scripts/windows-smoke.sh` runs this on the bundle `rdpdiag-collect.exe` wrote under Wine,
//! with `RDPDIAG_EXPECT_WINE=1`: the manifest must match `schemas/json/manifest.v1.schema.json`,
//! every hash must match, and every event log step must be recorded as failed or skipped (Wine's
//! wevtutil is a stub) rather than missing. It lives in this crate, not in `tests/`, so that the
//! smoke script compiles only the collector and its dev-dependencies.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use rdpdiag_schemas::manifest::CollectionMode;
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus, Manifest};
use sha2::{Digest, Sha256};

fn check(bundle: &Path) -> Manifest {
    let mut z = zip::ZipArchive::new(std::fs::File::open(bundle).unwrap()).unwrap();
    let mut files = BTreeMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        files.insert(f.name().unwrap().to_string(), b);
    }
    let raw = files.remove("manifest.json").expect("manifest.json");
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/json/manifest.v1.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&json).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "manifest does not match its schema: {errors:#?}"
    );
    let m = Manifest::from_json_slice(&raw).unwrap();
    for a in &m.artifacts {
        match (&a.sha256, files.get(&a.path)) {
            (Some(sha), Some(bytes)) => {
                let h: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
                assert_eq!(&h, sha, "{}", a.path);
                assert_eq!(a.size, bytes.len() as u64, "{}", a.path);
            }
            (None, None) => assert!(a.error.is_some(), "a step without a file says why: {a:?}"),
            (sha, file) => panic!("{}: sha256 {sha:?}, file present {}", a.path, file.is_some()),
        }
    }
    for name in files.keys() {
        assert!(
            m.artifacts.iter().any(|a| &a.path == name),
            "{name} not in the manifest"
        );
    }
    assert!(files.contains_key("collection-log.txt"));
    m
}

#[test]
fn external_bundle() {
    let Some(path) = std::env::var_os("RDPDIAG_BUNDLE").map(PathBuf::from) else {
        eprintln!("RDPDIAG_BUNDLE not set: nothing to validate");
        return;
    };
    let m = check(&path);
    for a in &m.artifacts {
        eprintln!(
            "  {:<8} {:<72} {}",
            format!("{:?}", a.status),
            a.path,
            a.error.as_deref().unwrap_or("")
        );
    }
    let count = |s: ArtifactStatus| m.artifacts.iter().filter(|a| a.status == s).count();
    eprintln!(
        "{}: valid; {} artifacts: {} ok, {} partial, {} failed, {} skipped",
        path.display(),
        m.artifacts.len(),
        count(ArtifactStatus::Ok),
        count(ArtifactStatus::Partial),
        count(ArtifactStatus::Failed),
        count(ArtifactStatus::Skipped)
    );
    if std::env::var_os("RDPDIAG_EXPECT_WINE").is_some() {
        assert_eq!(m.collection_mode, CollectionMode::Live);
        let evtx: Vec<_> = m
            .artifacts
            .iter()
            .filter(|a| a.kind == ArtifactKind::Evtx)
            .collect();
        assert!(evtx.len() >= 10, "every event log step is recorded");
        for a in evtx {
            assert!(
                matches!(a.status, ArtifactStatus::Failed | ArtifactStatus::Skipped),
                "{a:?}"
            );
        }
        // What Wine can do went through std::process::Command: reg export works there.
        assert!(
            m.artifacts
                .iter()
                .any(|a| a.kind == ArtifactKind::Reg && a.status == ArtifactStatus::Ok),
            "no reg export succeeded under Wine"
        );
        let probe = m.artifacts.iter().find(|a| a.path == "probe/probe.json").unwrap();
        assert_eq!(
            probe.status,
            ArtifactStatus::Ok,
            "the probe ran (ring works on Windows)"
        );
    }
}
