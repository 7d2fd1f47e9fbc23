//! Hostile and broken zips, built here with the zip crate: each bad entry gives an error that
//! names it, and the other entries are still read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::common::zipcraft;

use std::io::Write;
use std::path::{Path, PathBuf};

use rdpdiag::artifact::{ArtifactReport, Outcome};
use rdpdiag::input::{ContentKind, Limits};
use rdpdiag::{IngestOptions, InputReport, Severity, ingest};
use rdpdiag_schemas::{ArtifactKind, Role};
use zip::ZipWriter;
use zipcraft::{REG, deflated, manifest, sha256_hex, stored, with_blake3, write_zip};

fn run(path: &Path, limits: Limits) -> InputReport {
    let opts = IngestOptions {
        limits,
        ..IngestOptions::default()
    };
    let mut out = ingest(&[path.to_path_buf()], &opts);
    out.inputs.remove(0)
}

fn artifact<'a>(r: &'a InputReport, path: &str) -> &'a ArtifactReport {
    r.artifacts
        .iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("no artifact {path:?} in {:#?}", r.artifacts))
}

fn rejected_reason(r: &InputReport, path: &str) -> String {
    match &artifact(r, path).outcome {
        Outcome::Rejected { reason } | Outcome::Unreadable { reason } => reason.clone(),
        other => panic!("{path}: expected rejected, got {other:?}"),
    }
}

/// The good entry was read and sniffed by content (a .reg export named .txt).
fn assert_good_read(r: &InputReport, path: &str) {
    let a = artifact(r, path);
    assert_eq!(a.content, Some(ContentKind::Reg), "{path}");
    assert_eq!(a.size, Some(REG.len() as u64));
    assert!(
        matches!(a.outcome, Outcome::Parsed),
        "the .reg export feeds host facts: {:?}",
        a.outcome
    );
    assert!(a.problems.is_empty(), "{:?}", a.problems);
}

#[test]
fn unsafe_names_are_rejected_by_name() {
    let s = common::Scratch::new("names");
    let zip = s.path("names.zip");
    write_zip(
        &zip,
        &[
            ("good/rdp.txt", REG, deflated()),
            ("../x.evtx", b"ElfFile\0", deflated()),
            ("/abs.evtx", b"ElfFile\0", deflated()),
            ("C:\\Windows\\x.evtx", b"ElfFile\0", deflated()),
            ("a\\..\\..\\y.evtx", b"ElfFile\0", deflated()),
        ],
    );
    let r = run(&zip, Limits::default());
    assert_good_read(&r, "good/rdp.txt");
    assert!(rejected_reason(&r, "../x.evtx").contains("zip slip"));
    assert!(rejected_reason(&r, "/abs.evtx").contains("absolute"));
    assert!(rejected_reason(&r, "C:\\Windows\\x.evtx").contains("drive"));
    assert!(rejected_reason(&r, "a\\..\\..\\y.evtx").contains("zip slip"));
    for a in &r.artifacts {
        if matches!(a.outcome, Outcome::Rejected { .. }) {
            assert_eq!(a.problems[0].severity, Severity::Error);
            assert!(a.problems[0].message.starts_with("rejected: "));
        }
    }
}

#[test]
fn symlink_entries_are_rejected() {
    let s = common::Scratch::new("symlink");
    let zip = s.path("link.zip");
    let mut w = ZipWriter::new(std::fs::File::create(&zip).unwrap());
    w.start_file("rdp.txt", deflated()).unwrap();
    w.write_all(REG).unwrap();
    w.add_symlink("System.evtx", "/etc/passwd", deflated()).unwrap();
    w.finish().unwrap();
    let r = run(&zip, Limits::default());
    assert_good_read(&r, "rdp.txt");
    assert!(rejected_reason(&r, "System.evtx").contains("symbolic link"));
}

#[test]
fn duplicate_names_are_rejected() {
    let s = common::Scratch::new("dup");
    let zip = s.path("dup.zip");
    // The writer refuses duplicates: write two names of equal length, then make them equal.
    write_zip(
        &zip,
        &[
            ("rdp.txt", REG, deflated()),
            ("dupA.evtx", b"ElfFile\0one", deflated()),
            ("dupB.evtx", b"ElfFile\0two", deflated()),
            ("Case.txt", b"x", deflated()),
            ("CASE.txt", b"y", deflated()),
        ],
    );
    let mut bytes = std::fs::read(&zip).unwrap();
    let (from, to) = (b"dupB.evtx", b"dupA.evtx");
    let mut i = 0;
    while let Some(pos) = bytes[i..].windows(from.len()).position(|w| w == from) {
        bytes[i + pos..i + pos + from.len()].copy_from_slice(to);
        i += pos + from.len();
    }
    std::fs::write(&zip, &bytes).unwrap();
    let r = run(&zip, Limits::default());
    assert_good_read(&r, "rdp.txt");
    assert!(rejected_reason(&r, "dupA.evtx").contains("duplicate"));
    assert!(rejected_reason(&r, "Case.txt").contains("duplicate"));
    assert!(rejected_reason(&r, "CASE.txt").contains("duplicate"));
    // No copy of a duplicated name is read.
    assert!(
        r.artifacts
            .iter()
            .all(|a| !(a.path == "dupA.evtx" && a.size.is_some()))
    );
}

#[test]
fn entries_over_the_size_cap_are_rejected() {
    let s = common::Scratch::new("cap");
    let zip = s.path("cap.zip");
    let big = vec![b'a'; 3 << 20];
    write_zip(&zip, &[("rdp.txt", REG, deflated()), ("big.txt", &big, stored())]);
    let limits = Limits {
        max_entry_bytes: 2 << 20,
        ..Limits::default()
    };
    let r = run(&zip, limits);
    assert_good_read(&r, "rdp.txt");
    let why = rejected_reason(&r, "big.txt");
    assert!(why.contains("cap") && why.contains("zip bomb"), "{why}");

    // The total budget of an input is enforced on the bytes actually read.
    let limits = Limits {
        max_total_bytes: 1 << 20,
        ..Limits::default()
    };
    let r = run(&zip, limits);
    assert!(rejected_reason(&r, "big.txt").contains("total"));
}

#[test]
fn high_ratio_bombs_are_rejected() {
    let s = common::Scratch::new("ratio");
    let zip = s.path("bomb.zip");
    let zeros = vec![0u8; 20 << 20];
    write_zip(
        &zip,
        &[("rdp.txt", REG, deflated()), ("bomb.evtx", &zeros, deflated())],
    );
    let r = run(&zip, Limits::default());
    assert_good_read(&r, "rdp.txt");
    let why = rejected_reason(&r, "bomb.evtx");
    assert!(why.contains("ratio") && why.contains("zip bomb"), "{why}");
}

/// A zip whose local header lies about the sizes: caught while decompressing.
#[test]
fn lying_sizes_are_caught_while_reading() {
    let s = common::Scratch::new("lie");
    let zip = s.path("lie.zip");
    let zeros = vec![0u8; 8 << 20];
    write_zip(
        &zip,
        &[("rdp.txt", REG, deflated()), ("lie.txt", &zeros, deflated())],
    );
    // Patch the uncompressed size of lie.txt (central and local header) down to 10 bytes.
    let mut bytes = std::fs::read(&zip).unwrap();
    let size = (8u32 << 20).to_le_bytes();
    let mut i = 0;
    let mut patched = 0;
    while let Some(pos) = bytes[i..].windows(4).position(|w| w == size) {
        bytes[i + pos..i + pos + 4].copy_from_slice(&10u32.to_le_bytes());
        i += pos + 4;
        patched += 1;
    }
    assert!(patched >= 2);
    std::fs::write(&zip, &bytes).unwrap();
    let r = run(&zip, Limits::default());
    assert_good_read(&r, "rdp.txt");
    let a = artifact(&r, "lie.txt");
    assert!(
        matches!(a.outcome, Outcome::Unreadable { .. } | Outcome::Rejected { .. }),
        "{:?}",
        a.outcome
    );
}

#[test]
fn truncated_zips_keep_the_entries_before_the_damage() {
    let s = common::Scratch::new("trunc");
    let zip = s.path("trunc.zip");
    let filler: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
    write_zip(
        &zip,
        &[
            ("first.txt", REG, deflated()),
            ("second.reg", REG, stored()),
            ("third.bin", &filler, stored()),
            ("fourth.txt", REG, deflated()),
        ],
    );
    let bytes = std::fs::read(&zip).unwrap();
    // Cut inside third.bin: the central directory and fourth.txt are gone.
    let third = bytes.windows(9).position(|w| w == b"third.bin").unwrap();
    std::fs::write(&zip, &bytes[..third + 100_000]).unwrap();
    let r = run(&zip, Limits::default());
    assert!(
        r.problems
            .iter()
            .any(|p| p.message.contains("central directory unreadable")),
        "{:?}",
        r.problems
    );
    assert_good_read(&r, "first.txt");
    assert_good_read(&r, "second.reg");
    assert!(matches!(
        artifact(&r, "third.bin").outcome,
        Outcome::Rejected { .. }
    ));
    assert!(r.artifacts.iter().all(|a| a.path != "fourth.txt"));

    // Not a zip at all beyond its magic: the input is reported unreadable, nothing panics.
    std::fs::write(&zip, b"PK\x03\x04garbage").unwrap();
    let r = run(&zip, Limits::default());
    assert!(r.container.is_none());
    assert!(r.problems[0].message.contains("trunc.zip"), "{:?}", r.problems);
}

#[test]
fn manifest_hash_mismatch_is_reported_and_the_rest_verified() {
    let s = common::Scratch::new("manifest");
    let zip = s.path("bundle.zip");
    let tampered: &[u8] =
        b"Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Y]\r\n";
    let m = manifest(vec![
        ("registry/good.reg", ArtifactKind::Reg, REG, None),
        (
            "registry/bad.reg",
            ArtifactKind::Reg,
            tampered,
            Some("0".repeat(64)),
        ),
        ("registry/missing.reg", ArtifactKind::Reg, REG, None),
    ]);
    write_zip(
        &zip,
        &[
            ("manifest.json", &m, deflated()),
            ("registry/good.reg", REG, deflated()),
            ("registry/bad.reg", tampered, deflated()),
            ("extra.txt", b"hello", deflated()),
        ],
    );
    let r = run(&zip, Limits::default());
    let layout = r.layout.as_ref().unwrap();
    assert_eq!(layout.kind, rdpdiag::input::LayoutKind::Bundle);
    assert_eq!((r.host.as_deref(), r.role), (Some("SRV01"), Role::Server));
    assert_eq!(r.manifest.as_ref().unwrap().artifacts_listed, 3);
    let good = artifact(&r, "registry/good.reg");
    assert!(good.problems.is_empty(), "{:?}", good.problems);
    assert_eq!(good.listed.as_ref().unwrap().kind, ArtifactKind::Reg);
    let bad = artifact(&r, "registry/bad.reg");
    let mismatch = bad
        .problems
        .iter()
        .find(|p| p.message.contains("SHA-256 mismatch"))
        .unwrap();
    assert_eq!(mismatch.severity, Severity::Error);
    assert!(mismatch.message.contains(&sha256_hex(tampered)));
    assert_eq!(bad.sha256.as_deref(), Some(sha256_hex(tampered).as_str()));
    let problems: Vec<String> = r.problems.iter().map(|p| p.to_string()).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("registry/missing.reg") && p.contains("missing")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("extra.txt") && p.contains("not listed"))
    );
    // manifest.json itself is not an artifact.
    assert!(r.artifacts.iter().all(|a| a.path != "manifest.json"));

    // A manifest that does not validate: the error names the field, the files are still read.
    let mut bad_manifest: serde_json::Value = serde_json::from_slice(&m).unwrap();
    bad_manifest["artifacts"][1]["sha256"] = "not-hex".into();
    let bad_manifest = serde_json::to_vec(&bad_manifest).unwrap();
    write_zip(
        &zip,
        &[
            ("manifest.json", &bad_manifest, deflated()),
            ("registry/good.reg", REG, deflated()),
        ],
    );
    let r = run(&zip, Limits::default());
    assert!(
        r.problems
            .iter()
            .any(|p| p.message.contains("artifacts[1].sha256")),
        "{:?}",
        r.problems
    );
    assert_good_read(&r, "registry/good.reg");
}

/// A manifest with BLAKE3 (today's collector): BLAKE3 is what is verified, SHA-256 is not
/// computed at all; a file that matches its BLAKE3 passes even when its SHA-256 line is stale.
#[test]
fn blake3_is_verified_when_the_manifest_lists_it() {
    let s = common::Scratch::new("blake3");
    let zip = s.path("bundle.zip");
    let tampered: &[u8] =
        b"Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Z]\r\n";
    let m = manifest(vec![
        ("registry/good.reg", ArtifactKind::Reg, REG, None),
        ("registry/bad.reg", ArtifactKind::Reg, tampered, None),
        // Its SHA-256 line is wrong, its BLAKE3 right.
        ("registry/stale.reg", ArtifactKind::Reg, REG, Some("0".repeat(64))),
    ]);
    let m = with_blake3(&m, 0, REG, None);
    let m = with_blake3(&m, 1, tampered, Some(&"ab".repeat(32)));
    let m = with_blake3(&m, 2, REG, None);
    write_zip(
        &zip,
        &[
            ("manifest.json", &m, deflated()),
            ("registry/good.reg", REG, deflated()),
            ("registry/bad.reg", tampered, deflated()),
            ("registry/stale.reg", REG, deflated()),
        ],
    );
    let r = run(&zip, Limits::default());
    let true_blake3 = blake3::hash(REG).to_hex().to_string();
    for name in ["registry/good.reg", "registry/stale.reg"] {
        let a = artifact(&r, name);
        assert!(a.problems.is_empty(), "{name}: {:?}", a.problems);
        assert_eq!(a.blake3.as_deref(), Some(true_blake3.as_str()), "{name}");
        assert_eq!(
            a.sha256, None,
            "{name}: SHA-256 is not computed when BLAKE3 is listed"
        );
    }
    let bad = artifact(&r, "registry/bad.reg");
    let mismatch = bad
        .problems
        .iter()
        .find(|p| p.message.contains("BLAKE3 mismatch"))
        .unwrap_or_else(|| panic!("{:?}", bad.problems));
    assert_eq!(mismatch.severity, Severity::Error);
    assert!(
        mismatch.message.contains(&"ab".repeat(32)),
        "{}",
        mismatch.message
    );
    assert!(
        mismatch
            .message
            .contains(blake3::hash(tampered).to_hex().as_str()),
        "{}",
        mismatch.message
    );
    assert_good_read(&r, "registry/good.reg");
}

/// An evtx inside a zip is parsed from memory like any other (when the corpus is here).
#[test]
fn evtx_inside_a_zip_is_parsed() {
    let Some(corpus) = common::corpus() else { return };
    let s = common::Scratch::new("evtxzip");
    let zip = s.path("logs.zip");
    let rcm: PathBuf = corpus.join("evtx/rdp/attacksamples__RCM-Operational__1149_1136_1155_258_261.evtx");
    let bytes = std::fs::read(rcm).unwrap();
    write_zip(
        &zip,
        &[
            ("logs/rcm.log", &bytes, deflated()),
            ("../evil.evtx", &bytes, deflated()),
        ],
    );
    let out = ingest(std::slice::from_ref(&zip), &IngestOptions::default());
    let r = &out.inputs[0];
    let a = artifact(r, "logs/rcm.log");
    assert_eq!(a.content, Some(ContentKind::Evtx));
    assert_eq!(a.evtx.as_ref().unwrap().records_kept, 100);
    assert!(rejected_reason(r, "../evil.evtx").contains("zip slip"));
    // One input: its events.
    assert_eq!(out.events.len(), 1);
    let events = &out.events[0];
    assert_eq!(events.len(), 100);
    assert!(
        events
            .iter()
            .all(|e| &*e.artifact == "logs/rcm.log" && &*e.input == zip.display().to_string().as_str())
    );
    assert!(events.windows(2).all(|w| w[0].time_utc <= w[1].time_utc));
}

/// Two central-directory entries pointing at the same bytes: the second one's name disagrees
/// with the local header it points at (rejected for that); and the quoted-overlap bomb, whose
/// local headers agree with the central directory, rejected for the overlap.
#[test]
fn overlapping_entries_are_rejected() {
    let s = common::Scratch::new("overlap");
    let zip = s.path("overlap.zip");
    let payload = vec![b'x'; 4096];
    write_zip(
        &zip,
        &[
            ("a.txt", &payload, stored()),
            ("b.txt", &payload, stored()),
            ("rdp.txt", REG, deflated()),
        ],
    );
    let mut bytes = std::fs::read(&zip).unwrap();
    // Central directory headers: signature PK\x01\x02; local header offset at +42, name at +46.
    let cd_of = |bytes: &[u8], name: &[u8]| {
        (0..bytes.len() - 50)
            .find(|&i| bytes[i..i + 4] == *b"PK\x01\x02" && bytes[i + 46..].starts_with(name))
            .unwrap()
    };
    let a = cd_of(&bytes, b"a.txt");
    let b = cd_of(&bytes, b"b.txt");
    let a_offset: [u8; 4] = bytes[a + 42..a + 46].try_into().unwrap();
    bytes[b + 42..b + 46].copy_from_slice(&a_offset);
    std::fs::write(&zip, &bytes).unwrap();
    let r = run(&zip, Limits::default());
    assert_good_read(&r, "rdp.txt");
    let why = rejected_reason(&r, "b.txt");
    assert!(why.contains("local header") && why.contains("a.txt"), "{why}");

    let kernel = vec![b'k'; 64 << 10];
    let mut entries = vec![zipcraft::RawEntry::deflated("rdp.txt", REG)];
    let prefix = (zipcraft::RawZip::local_header(&entries[0]).len() + entries[0].data.len()) as u64;
    entries.extend(zipcraft::quoted_overlap_bomb(10, &kernel, prefix));
    zipcraft::RawZip::new(entries).write(&zip);
    let r = run(&zip, Limits::default());
    assert_good_read(&r, "rdp.txt");
    for i in 0..10 {
        let name = format!("k/{i:04}.evtx");
        let why = rejected_reason(&r, &name);
        assert!(why.contains("overlap"), "{name}: {why}");
    }
}
