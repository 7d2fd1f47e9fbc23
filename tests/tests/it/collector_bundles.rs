//! Bundles written by the collector, end to end: live mode on a machine without Windows' tools
//! (what Wine gives too: every tool step fails, the bundle is still complete and valid), volume
//! mode over a Windows-shaped tree built from sample EVTX logs and corpus hives, redaction and
//! the size cap. (The bundle of the Windows smoke test is validated by
//! `collector/tests/it/external_bundle.rs`, which compiles without the analyzer.)
//!
//! Every bundle is checked the same way ([`check_bundle`]): the manifest validates against
//! `schemas/json/manifest.v1.schema.json` and `Manifest::from_json_slice`, every listed file's
//! SHA-256 and size match, every file is listed, the collection log is there. Whether the
//! analyzer reads each bundle is checked by [`analyzer_reads`].
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rdpdiag_collect::collect::{self, CollectOptions, RoleChoice, Silent, Since};
use rdpdiag_collect::plan::Source;
use rdpdiag_samples::scenario::{self, GenerateOptions, Layout, Packaging};
use rdpdiag_schemas::manifest::CollectionMode;
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus, Manifest, Role};
use sha2::{Digest, Sha256};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("RDPDIAG_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/corpus"));
    p.is_dir().then_some(p)
}

/// Reads every entry of a bundle zip (small test bundles only).
fn entries(bundle: &Path) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(bundle).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().unwrap().to_string(), b)
        })
        .collect()
}

/// The checks every collector bundle must pass; returns the manifest.
fn check_bundle(bundle: &Path) -> Manifest {
    let files = entries(bundle);
    let get = |name: &str| files.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone());
    let raw = get("manifest.json").expect("manifest.json at the root");
    let json: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    let schema_text =
        std::fs::read_to_string(workspace().join("schemas/json/manifest.v1.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "manifest does not match its schema: {errors:#?}"
    );
    let m = Manifest::from_json_slice(&raw).unwrap();
    assert_eq!(m.tool.name, "rdpdiag-collect");
    let listed: BTreeSet<&str> = m.artifacts.iter().map(|a| a.path.as_str()).collect();
    for (name, _) in &files {
        if name != "manifest.json" {
            assert!(
                listed.contains(name.as_str()),
                "{name} is in the zip but not in the manifest"
            );
        }
    }
    for a in &m.artifacts {
        match (&a.sha256, get(&a.path)) {
            (Some(sha), Some(bytes)) => {
                let h: String = Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert_eq!(&h, sha, "{}", a.path);
                let b3 = blake3::hash(&bytes).to_hex().to_string();
                assert_eq!(a.blake3.as_deref(), Some(b3.as_str()), "{}", a.path);
                assert_eq!(a.size, bytes.len() as u64, "{}", a.path);
                assert!(
                    matches!(a.status, ArtifactStatus::Ok | ArtifactStatus::Partial),
                    "{a:?}"
                );
            }
            (None, None) => {
                assert!(
                    matches!(a.status, ArtifactStatus::Failed | ArtifactStatus::Skipped),
                    "{a:?}"
                );
                assert!(
                    a.error.as_deref().is_some_and(|e| !e.is_empty()),
                    "no error text: {a:?}"
                );
            }
            (sha, file) => panic!("{}: sha256 {sha:?} but file present: {}", a.path, file.is_some()),
        }
        if a.status != ArtifactStatus::Ok && a.status != ArtifactStatus::Skipped {
            assert!(a.error.is_some(), "a {:?} step says why: {a:?}", a.status);
        }
    }
    let log = m
        .artifacts
        .iter()
        .find(|a| a.path == "collection-log.txt")
        .unwrap();
    assert_eq!(log.kind, ArtifactKind::CollectionLog);
    let text = String::from_utf8(get("collection-log.txt").unwrap()).unwrap();
    assert!(text.contains("done:"), "{text}");
    assert!(!text.replace("\r\n", "").contains('\n'), "CRLF line ends");
    // Nothing half-written is left beside the bundle.
    let dir = bundle.parent().unwrap();
    let partial: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(partial.is_empty(), "{partial:?}");
    analyzer_reads(bundle, &m);
    m
}

/// The analyzer must read every bundle the collector writes: it recognises our layout and the
/// host, verifies every hash without complaint, sees every listed file, and reads every record
/// of the EVTX logs the bundle holds.
fn analyzer_reads(bundle: &Path, manifest: &Manifest) {
    let report = rdpdiag::inspect(&[bundle.to_path_buf()], &rdpdiag::IngestOptions::default());
    let input = &report.inputs[0];
    assert!(input.container.is_some(), "{}: not opened", bundle.display());
    assert!(
        format!("{:?}", input.layout.as_ref().unwrap().kind)
            .to_lowercase()
            .contains("bundle")
    );
    assert_eq!(input.host.as_deref(), Some(manifest.host.name.as_str()));
    assert_eq!(input.role, manifest.host.role);
    let errors: Vec<String> = input
        .problems
        .iter()
        .chain(input.artifacts.iter().flat_map(|a| a.problems.iter()))
        .filter(|p| p.severity == rdpdiag::Severity::Error)
        .map(|p| format!("{} {}", p.location, p.message))
        .collect();
    assert!(errors.is_empty(), "{}: {errors:?}", bundle.display());
    for a in manifest.artifacts.iter().filter(|a| a.sha256.is_some()) {
        let seen = input.artifacts.iter().find(|r| r.path == a.path);
        assert!(
            seen.is_some(),
            "{}: the analyzer did not see {}",
            bundle.display(),
            a.path
        );
        if a.kind == ArtifactKind::Evtx {
            let stats = seen.and_then(|r| r.evtx.as_ref()).unwrap();
            assert_eq!(stats.records_failed, 0, "{}", a.path);
        }
    }
}

fn live_options(out: &Path) -> CollectOptions {
    let mut o = CollectOptions::live(out.to_path_buf());
    o.role = RoleChoice::Fixed(Role::Both);
    o
}

#[cfg(not(windows))]
#[test]
fn live_mode_without_windows_tools_still_writes_a_valid_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut opts = live_options(&dir.path().join("out/"));
    opts.server = Some(format!("127.0.0.1:{closed}"));
    opts.probe_timeout = Duration::from_millis(300);
    opts.ticket = Some("T-42".into());
    let prepared = collect::prepare(&opts, false).unwrap();
    let plan = prepared.plan.clone();
    let done = collect::collect(prepared, &opts, &mut Silent).unwrap();
    assert!(done.bundle.starts_with(dir.path().join("out")));
    let m = check_bundle(&done.bundle);
    assert_eq!(m.collection_mode, CollectionMode::Live);
    assert_eq!(m.ticket.as_deref(), Some("T-42"));
    assert_eq!(m.host.role, Role::Both);
    assert!(m.host.clock.is_some());
    // Every step of the plan is in the manifest, and the Windows-only ones failed.
    for step in &plan.steps {
        assert!(
            m.artifacts
                .iter()
                .any(|a| a.path == step.target || a.path.starts_with(&format!("{}/", step.target))),
            "step {} missing from the manifest",
            step.id
        );
    }
    for a in m.artifacts.iter().filter(|a| a.kind == ArtifactKind::Evtx) {
        assert!(
            matches!(a.status, ArtifactStatus::Failed | ArtifactStatus::Skipped),
            "{a:?}"
        );
    }
    let sec = m
        .artifacts
        .iter()
        .find(|a| a.path == "evtx/Security.evtx")
        .unwrap();
    assert_eq!(sec.status, ArtifactStatus::Skipped, "Security is opt-in");
    let probe = entries(&done.bundle)
        .into_iter()
        .find(|(n, _)| n == "probe/probe.json")
        .map(|(_, b)| serde_json::from_slice::<serde_json::Value>(&b).unwrap())
        .unwrap();
    assert_eq!(probe["tcp"]["outcome"], "refused");
    assert_eq!(done.steps.len(), plan.steps.len());
}

/// Builds a Windows-shaped volume: sample EVTX logs (server and client of one scenario) under
/// oddly-cased `windows/SYSTEM32/winevt/logs`, a corpus hive with its logs as SYSTEM, a user
/// with NTUSER.DAT and RdClientAutoTrace traces (one recent, one old), and MachineKeys.
fn build_volume(root: &Path, work: &Path) -> bool {
    let opts = GenerateOptions {
        layout: Layout::Bundle,
        packaging: Packaging::Dir,
        noise: 40,
        attempts: 2,
        ..GenerateOptions::default()
    };
    let g = scenario::generate(scenario::find("cert-key-unreadable").unwrap(), &opts, work).unwrap();
    let logs = root.join("windows/SYSTEM32/winevt/logs");
    std::fs::create_dir_all(&logs).unwrap();
    for side in [&g.server, &g.client] {
        for e in std::fs::read_dir(side.join("evtx")).unwrap().flatten() {
            std::fs::copy(e.path(), logs.join(e.file_name())).unwrap();
        }
    }
    let alice = root.join("Users/alice");
    let traces = alice.join("AppData/Local/Temp/DiagOutputDir/RdClientAutoTrace");
    std::fs::create_dir_all(&traces).unwrap();
    std::fs::write(traces.join("msrdcw_01-15-2024-10-00-00.etl"), b"recent etl bytes").unwrap();
    let old = traces.join("msrdcw_01-01-2020-10-00-00.etl");
    std::fs::write(&old, b"old etl bytes").unwrap();
    let f = std::fs::File::options().write(true).open(&old).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(90 * 24 * 3600))
        .unwrap();
    std::fs::create_dir_all(root.join("Users/Public")).unwrap();
    let mk = root.join("ProgramData/Microsoft/Crypto/RSA/MachineKeys");
    std::fs::create_dir_all(&mk).unwrap();
    std::fs::write(
        mk.join("f686aace6942fb7f7ceb231212eef4a4_3a1b2c3d-0000-4000-8000-123456789abc"),
        b"key",
    )
    .unwrap();
    let Some(corpus) = corpus() else {
        eprintln!("corpus absent (set RDPDIAG_CORPUS): the volume has no hives");
        return false;
    };
    let cfg = root.join("Windows/System32/config");
    std::fs::create_dir_all(&cfg).unwrap();
    let dirty = corpus.join("hives/yarp-NewDirtyHive1");
    for (from, to) in [
        ("NewDirtyHive", "SYSTEM"),
        ("NewDirtyHive.LOG1", "SYSTEM.LOG1"),
        ("NewDirtyHive.LOG2", "SYSTEM.LOG2"),
    ] {
        std::fs::copy(dirty.join(from), cfg.join(to)).unwrap();
    }
    std::fs::copy(corpus.join("hives/regipy__NTUSER.DAT"), alice.join("NTUSER.DAT")).unwrap();
    true
}

#[test]
fn volume_bundle_from_samples_and_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("mnt/win");
    let with_hives = build_volume(&root, &dir.path().join("gen"));
    let mut opts = CollectOptions::live(dir.path().join("vol.zip"));
    opts.source = Source::Volume(root.clone());
    opts.since = Since::Ago(chrono::Duration::days(7));
    opts.host = None;
    let prepared = collect::prepare(&opts, false).unwrap();
    // Server logs with records and client traces: auto picks both roles.
    assert_eq!(prepared.role, Role::Both, "{}", prepared.role_reason);
    let done = collect::collect(prepared, &opts, &mut Silent).unwrap();
    let m = check_bundle(&done.bundle);
    assert_eq!(m.collection_mode, CollectionMode::Volume);
    assert_eq!(
        m.host.name, "win",
        "no ComputerName in the test hive: the folder name"
    );
    let files = entries(&done.bundle);
    let file = |n: &str| files.iter().find(|(p, _)| p == n).map(|(_, b)| b.clone());
    let logs = root.join("windows/SYSTEM32/winevt/logs");
    for ch in [
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx",
        "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
        "Microsoft-Windows-TerminalServices-RDPClient%4Operational.evtx",
        "System.evtx",
    ] {
        let copied = file(&format!("evtx/{ch}")).unwrap_or_else(|| panic!("{ch} not copied"));
        assert_eq!(
            copied,
            std::fs::read(logs.join(ch)).unwrap(),
            "{ch} byte for byte"
        );
    }
    let capi2 = m.artifacts.iter().find(|a| a.path.contains("CAPI2")).unwrap();
    let security = m
        .artifacts
        .iter()
        .find(|a| a.path == "evtx/Security.evtx")
        .unwrap();
    assert_eq!(security.status, ArtifactStatus::Skipped, "opt-in even on volumes");
    assert!(matches!(
        capi2.status,
        ArtifactStatus::Ok | ArtifactStatus::Skipped
    ));
    // Only the trace inside the window.
    let traces: Vec<&str> = m
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::Etl)
        .map(|a| a.path.as_str())
        .collect();
    assert_eq!(traces, ["traces/alice/msrdcw_01-15-2024-10-00-00.etl"]);
    let listing = String::from_utf8(file("certs/MachineKeys-Listing.txt").unwrap()).unwrap();
    assert!(listing.contains("f686aace6942fb7f7ceb231212eef4a4_3a1b2c3d"));
    assert!(listing.contains("ACLs are not readable"));
    if with_hives {
        for p in [
            "registry/hives/SYSTEM",
            "registry/hives/SYSTEM.LOG1",
            "registry/hives/SYSTEM.LOG2",
            "registry/hives/users/alice/NTUSER.DAT",
        ] {
            let a = m
                .artifacts
                .iter()
                .find(|a| a.path == p)
                .unwrap_or_else(|| panic!("{p}"));
            assert_eq!(a.kind, ArtifactKind::Hive);
            assert_eq!(a.status, ArtifactStatus::Ok);
        }
        assert_eq!(
            file("registry/hives/SYSTEM").unwrap(),
            std::fs::read(root.join("Windows/System32/config/SYSTEM")).unwrap()
        );
        let software = m
            .artifacts
            .iter()
            .find(|a| a.path == "registry/hives/SOFTWARE")
            .unwrap();
        assert_eq!(software.status, ArtifactStatus::Skipped);
    }
}

#[test]
fn redacted_volume_bundle_hides_names_in_text() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("WKS-ALICE01");
    build_volume(&root, &dir.path().join("gen"));
    let mut opts = CollectOptions::live(dir.path().join("out/"));
    opts.source = Source::Volume(root.clone());
    opts.redact = true;
    opts.server = None;
    let prepared = collect::prepare(&opts, false).unwrap();
    let done = collect::collect(prepared, &opts, &mut Silent).unwrap();
    let file_name = done.bundle.file_name().unwrap().to_string_lossy().to_string();
    assert!(file_name.starts_with("rdpdiag-redacted-"), "{file_name}");
    let m = check_bundle(&done.bundle);
    let red = m.redaction.as_ref().expect("redaction recorded");
    assert_eq!(red.what, ["user-names", "host-names", "ip-addresses", "sids"]);
    assert!(red.method.contains("random per bundle") && red.method.contains("etl traces are dropped"));
    // Event logs: the records the analyzer uses, redacted; no raw .evtx in the bundle.
    let events: Vec<_> = m
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::RedactedEvents)
        .collect();
    assert!(!events.is_empty(), "no redacted-events artifact");
    assert!(
        events
            .iter()
            .all(|a| a.path.ends_with(".redacted-events.jsonl") && red.artifacts.contains(&a.path)),
        "{events:?}"
    );
    assert!(
        !m.artifacts
            .iter()
            .any(|a| a.kind == ArtifactKind::Evtx && a.sha256.is_some()),
        "a raw event log is in the redacted bundle"
    );
    assert!(
        red.artifacts.iter().any(|p| p == "collection-log.txt"),
        "{:?}",
        red.artifacts
    );
    assert!(m.host.name.starts_with("host-"), "{}", m.host.name);
    for (name, bytes) in entries(&done.bundle) {
        let a = m.artifacts.iter().find(|a| a.path == name);
        let text_kind = a.is_some_and(|a| {
            matches!(
                a.kind,
                ArtifactKind::Text
                    | ArtifactKind::Json
                    | ArtifactKind::CollectionLog
                    | ArtifactKind::Reg
                    | ArtifactKind::RedactedEvents
            )
        });
        assert!(!bytes.starts_with(b"ElfFile\0"), "{name} is a raw event log");
        assert!(!bytes.starts_with(b"regf"), "{name} is a raw hive");
        assert!(
            !name.to_lowercase().ends_with(".etl") && !name.contains(".LOG"),
            "{name} went out raw"
        );
        assert!(!name.contains("alice"), "bundle path {name} names the user");
        if text_kind || name == "manifest.json" {
            let text = String::from_utf8_lossy(&bytes).to_lowercase();
            assert!(!text.contains("alice"), "{name} names the user:\n{text}");
            assert!(!text.contains("wks-alice01"), "{name} names the host");
        }
    }
    assert!(
        m.artifacts
            .iter()
            .any(|a| a.kind == ArtifactKind::Etl && a.path.starts_with("traces/user-")),
        "trace folder is the user's token"
    );
    // The registry is read before anything else is written, so the names only it tells are
    // redacted in every event log and text too (collector/src/collect/mod.rs orders them so).
    let first_events = m
        .artifacts
        .iter()
        .position(|a| a.kind == ArtifactKind::RedactedEvents);
    let last_registry = m
        .artifacts
        .iter()
        .rposition(|a| matches!(a.kind, ArtifactKind::Reg | ArtifactKind::Hive));
    if let (Some(e), Some(r)) = (first_events, last_registry) {
        assert!(r < e, "a registry artifact came after an event log: {r} > {e}");
    }
    // Traces are left out with the reason; hives are reduced `.reg` files (logs replayed).
    for a in m.artifacts.iter().filter(|a| a.kind == ArtifactKind::Etl) {
        assert_eq!(a.status, ArtifactStatus::Skipped, "{a:?}");
        assert!(
            a.sha256.is_none()
                && a.error
                    .as_deref()
                    .is_some_and(|e| e.contains("left out by --redact")),
            "{a:?}"
        );
    }
    assert!(
        !m.artifacts
            .iter()
            .any(|a| a.kind == ArtifactKind::Hive && a.sha256.is_some()),
        "a raw hive is in the redacted bundle"
    );
    if corpus().is_some() {
        for p in ["registry/hives/SYSTEM.reduced.reg", "registry/hives/users/"] {
            let a = m
                .artifacts
                .iter()
                .find(|a| a.path.starts_with(p) && a.path.ends_with(".reduced.reg"))
                .unwrap_or_else(|| panic!("{p}: no reduced hive in {:?}", m.artifacts));
            assert_eq!(
                (a.kind, a.status),
                (ArtifactKind::Reg, ArtifactStatus::Ok),
                "{a:?}"
            );
            assert!(
                a.method.contains("reduced to the keys the analyzer reads"),
                "{}",
                a.method
            );
            assert!(
                a.method
                    .contains("raw hive and its transaction logs are left out"),
                "{}",
                a.method
            );
            assert!(red.artifacts.contains(&a.path), "{:?}", red.artifacts);
        }
        let system = m
            .artifacts
            .iter()
            .find(|a| a.path == "registry/hives/SYSTEM.reduced.reg")
            .unwrap();
        assert!(
            system.method.contains("with 2 transaction log(s) replayed"),
            "{}",
            system.method
        );
    }
}

#[test]
fn size_cap_fails_steps_not_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("vol");
    build_volume(&root, &dir.path().join("gen"));
    let mut opts = CollectOptions::live(dir.path().join("small.zip"));
    opts.source = Source::Volume(root);
    opts.role = RoleChoice::Fixed(Role::Server);
    opts.max_size = 80 * 1024;
    let prepared = collect::prepare(&opts, false).unwrap();
    let done = collect::collect(prepared, &opts, &mut Silent).unwrap();
    let m = check_bundle(&done.bundle);
    let content: u64 = m
        .artifacts
        .iter()
        .filter(|a| a.path != "collection-log.txt")
        .map(|a| a.size)
        .sum();
    assert!(content <= 80 * 1024, "{content}");
    assert!(
        m.artifacts
            .iter()
            .any(|a| a.error.as_deref().is_some_and(|e| e.contains("--max-size"))),
        "some step hit the cap"
    );
}
