//! Collector `pack` over loose files written by the sample generator (ad-hoc layout, as a
//! folder): kinds come from content, hashes match, and the manifest validates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;

use rdpdiag_collect::pack::{PackOptions, pack};
use rdpdiag_samples::scenario::{self, GenerateOptions, Layout, Packaging};
use rdpdiag_schemas::{ArtifactKind, Manifest, Role};
use sha2::{Digest, Sha256};

#[test]
fn pack_sniffs_kinds_and_hashes_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let opts = GenerateOptions {
        layout: Layout::Adhoc,
        packaging: Packaging::Dir,
        noise: 50,
        ..GenerateOptions::default()
    };
    let g = scenario::generate(scenario::find("cert-key-unreadable").unwrap(), &opts, dir.path()).unwrap();
    let out = dir.path().join("server-bundle.zip");
    let report = pack(&PackOptions {
        source: g.server.clone(),
        output: out.clone(),
        host: "RDS01".into(),
        role: Role::Server,
        ticket: Some("T-1".into()),
        max_file_bytes: 64 * 1024 * 1024,
    })
    .unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    // The RdpCoreTS log is named .log by the "user": it must still be recognised as EVTX.
    let log = report
        .packed
        .iter()
        .find(|(p, _, _)| p.ends_with("rdpcorets-export.log"))
        .unwrap();
    assert_eq!(log.1, ArtifactKind::Evtx);
    assert!(
        report
            .packed
            .iter()
            .filter(|(_, k, _)| *k == ArtifactKind::Reg)
            .count()
            >= 5
    );

    let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut manifest = Vec::new();
    z.by_name("manifest.json")
        .unwrap()
        .read_to_end(&mut manifest)
        .unwrap();
    let m = Manifest::from_json_slice(&manifest).unwrap();
    assert_eq!(m.host.role, Role::Server);
    assert_eq!(m.artifacts.len(), report.packed.len());
    for a in &m.artifacts {
        let mut bytes = Vec::new();
        z.by_name(&a.path).unwrap().read_to_end(&mut bytes).unwrap();
        let h: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(a.sha256.as_deref(), Some(h.as_str()), "{}", a.path);
        let b3 = blake3::hash(&bytes).to_hex().to_string();
        assert_eq!(a.blake3.as_deref(), Some(b3.as_str()), "{}", a.path);
    }
    // No partial file is left beside the bundle.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn oversized_files_are_recorded_as_failed_steps() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("big.txt"), vec![b'x'; 4096]).unwrap();
    std::fs::write(src.join("small.txt"), b"Active Connections\r\n").unwrap();
    let out = dir.path().join("b.zip");
    let report = pack(&PackOptions {
        source: src,
        output: out.clone(),
        host: "WKS".into(),
        role: Role::Client,
        ticket: None,
        max_file_bytes: 1000,
    })
    .unwrap();
    assert_eq!(report.packed.len(), 1);
    assert_eq!(report.skipped.len(), 1);
    let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut manifest = Vec::new();
    z.by_name("manifest.json")
        .unwrap()
        .read_to_end(&mut manifest)
        .unwrap();
    let m = Manifest::from_json_slice(&manifest).unwrap();
    let failed = m.artifacts.iter().find(|a| a.path.ends_with("big.txt")).unwrap();
    assert_eq!(failed.status, rdpdiag_schemas::ArtifactStatus::Failed);
    assert!(failed.error.as_deref().unwrap().contains("over the cap"));
    assert!(failed.sha256.is_none() && failed.blake3.is_none());
}
