#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Raw hives through notatin: the real RDP-Tcp listener of two SYSTEM hives, transaction-log
//! replay of a dirty hive compared with the hive Windows recovered, and damaged hives.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rdpdiag::facts::HostFacts;
use rdpdiag::input::ContentKind;
use rdpdiag::registry::RegData;
use rdpdiag::registry::hive::{HiveContents, HiveKind, HiveOptions, read_hive};

fn corpus() -> Option<PathBuf> {
    crate::common::corpus_with("hives")
}

fn facts_of(name: &str, bytes: &[u8]) -> HostFacts {
    HostFacts::from_artifacts([(name, ContentKind::Hive, bytes)])
}

#[test]
fn win7_system_hive_listener_facts() {
    let Some(dir) = corpus() else { return };
    let bytes = std::fs::read(dir.join("hives/regipy__SYSTEM__win7era_2012_RDP-Tcp.hive")).unwrap();
    let facts = facts_of("registry/SYSTEM", &bytes);
    let l = facts.rdp_listener().expect("RDP-Tcp listener");
    assert_eq!(l.port_number.as_ref().map(|f| f.value), Some(3389));
    assert_eq!(l.security_layer.effective, Some(1));
    assert_eq!(l.user_authentication.effective, Some(0));
    assert_eq!(l.min_encryption_level.effective, Some(2));
    assert_eq!(l.enable_winstation.as_ref().map(|f| f.value), Some(1));
    assert_eq!(l.deny_ts_connections.effective, Some(0));
    assert!(l.security_layer.policy.is_none(), "no SOFTWARE hive: no policy");
    assert!(l.ssl_certificate_sha1_hash.is_none());
    // Provenance: the artifact and the numbered control set Select\Current points at.
    let src = &l.port_number.as_ref().unwrap().source;
    assert_eq!(&*src.artifact, "registry/SYSTEM");
    assert_eq!(
        src.key.as_deref(),
        Some(r"HKLM\SYSTEM\ControlSet001\Control\Terminal Server\WinStations\RDP-Tcp")
    );
    assert_eq!(src.value.as_deref(), Some("PortNumber"));
    assert_eq!(
        facts.registry.current_control_set().as_deref(),
        Some("ControlSet001")
    );
    assert!(
        facts
            .artifacts
            .iter()
            .any(|a| a.parsed && a.used_as.contains("System"))
    );
    // Only the needed subtrees were read.
    assert!(facts.registry.len() < 2_000, "{} keys kept", facts.registry.len());
    assert!(
        facts
            .registry
            .key(r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip")
            .is_none()
    );
}

#[test]
fn dirty_2013_system_hive_is_read_and_flagged() {
    let Some(dir) = corpus() else { return };
    let bytes = std::fs::read(dir.join("hives/regipy__SYSTEM_2__2013_dirty_RDP-Tcp.hive")).unwrap();
    let facts = facts_of("SYSTEM", &bytes);
    let l = facts.rdp_listener().expect("RDP-Tcp listener");
    assert_eq!(l.security_layer.effective, Some(1));
    assert_eq!(l.user_authentication.effective, Some(1));
    assert_eq!(l.port_number.as_ref().map(|f| f.value), Some(3389));
    assert_eq!(l.deny_ts_connections.effective, Some(1));
    assert!(
        facts.problems.iter().any(|p| p.problem.message.contains("dirty")),
        "a dirty hive without logs is reported: {:?}",
        facts.problems
    );
}

/// Every key path with its values (by name) — what must match after replay.
fn dump(h: &HiveContents) -> BTreeMap<String, BTreeMap<String, RegData>> {
    h.keys
        .iter()
        .map(|k| {
            (
                k.path.to_lowercase(),
                k.values
                    .iter()
                    .map(|(n, d)| (n.to_lowercase(), d.clone()))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn dirty_hive_replay_equals_the_hive_windows_recovered() {
    let Some(dir) = corpus() else { return };
    let d = dir.join("hives/yarp-NewDirtyHive1");
    let primary = std::fs::read(d.join("NewDirtyHive")).unwrap();
    let log1 = std::fs::read(d.join("NewDirtyHive.LOG1")).unwrap();
    let log2 = std::fs::read(d.join("NewDirtyHive.LOG2")).unwrap();
    let recovered = std::fs::read(d.join("RecoveredHive_Windows10")).unwrap();
    let opts = HiveOptions::default();
    let replayed = read_hive(&primary, &[&log1, &log2], "NewDirtyHive", &opts).unwrap();
    let windows = read_hive(&recovered, &[], "RecoveredHive_Windows10", &opts).unwrap();
    let without = read_hive(&primary, &[], "NewDirtyHive", &opts).unwrap();
    assert!(replayed.dirty && !windows.dirty);
    assert_eq!(replayed.logs_given, 2);
    let (a, b) = (dump(&replayed), dump(&windows));
    assert!(
        a.len() > 1 && a.values().any(|v| !v.is_empty()),
        "the hive has keys and values"
    );
    assert_eq!(
        a, b,
        "every key path and value after replay equals Windows' recovery"
    );
    assert_ne!(dump(&without), b, "without the logs the hive really differs");

    // The same through the facts entry point: logs are paired with their hive by name.
    let inputs = vec![
        ("h/NewDirtyHive.LOG1".to_string(), ContentKind::Hive, log1.clone()),
        ("h/NewDirtyHive".to_string(), ContentKind::Hive, primary.clone()),
        ("h/NewDirtyHive.LOG2".to_string(), ContentKind::Hive, log2.clone()),
    ];
    let facts = HostFacts::from_artifacts(inputs);
    let used: Vec<&str> = facts.artifacts.iter().map(|a| a.used_as.as_str()).collect();
    assert!(
        used.iter().any(|u| u.contains("with 2 transaction log(s)")),
        "{used:?}"
    );
    assert_eq!(
        used.iter()
            .filter(|u| u.contains("transaction log (replayed"))
            .count(),
        2
    );
}

#[test]
fn damaged_hives_give_errors_or_notes_never_panics() {
    let Some(dir) = corpus() else { return };
    for name in [
        "regipy__corrupted_system_hive.hive",
        "plaso__corrupt_sub_key_list.hiv",
        "yarp__TruncatedHive.hive",
        "artemis__NTUSER_Bad.DAT",
    ] {
        let bytes = std::fs::read(dir.join("hives").join(name)).unwrap();
        match read_hive(&bytes, &[], name, &HiveOptions::default()) {
            Ok(h) => {
                // Read as far as possible; what was skipped is said.
                if name != "artemis__NTUSER_Bad.DAT" {
                    assert!(!h.notes.is_empty(), "{name}: damage is reported");
                }
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        let _ = facts_of(name, &bytes);
    }
    // Truncations and corruptions of a good hive at many places.
    let good = std::fs::read(dir.join("hives/regipy__NTUSER.DAT")).unwrap();
    for cut in [0, 3, 100, 4096, 4100, 4096 + 32, 8192, 20_000, 100_000, 400_000] {
        let _ = read_hive(
            &good[..cut.min(good.len())],
            &[],
            "NTUSER.DAT",
            &HiveOptions::default(),
        );
    }
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..40 {
        let mut b = good.clone();
        for _ in 0..64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = 4096 + (state as usize % (b.len() - 4096));
            b[at] = (state >> 32) as u8;
        }
        let _ = read_hive(&b, &[], "NTUSER.DAT", &HiveOptions::default());
    }
    // Not a hive at all.
    assert!(read_hive(b"not a hive", &[], "x", &HiveOptions::default()).is_err());
    let f = facts_of("SYSTEM", b"regf garbage");
    assert!(f.problems.iter().any(|p| p.problem.message.contains("hive")));
}

#[test]
fn ntuser_hive_is_mounted_at_hkcu() {
    let Some(dir) = corpus() else { return };
    let bytes = std::fs::read(dir.join("hives/regipy__NTUSER.DAT")).unwrap();
    let h = read_hive(&bytes, &[], "NTUSER.DAT", &HiveOptions::default()).unwrap();
    assert_eq!(h.kind, HiveKind::NtUser);
    let facts = facts_of("NTUSER.DAT", &bytes);
    // The corpus notes an empty `Software\Microsoft\Terminal Server Client` key.
    assert!(
        facts
            .registry
            .key(r"HKCU\Software\Microsoft\Terminal Server Client")
            .is_some()
    );
    assert!(facts.client.mru.is_empty());
}

/// Fuzzing regression (hive target): notatin adds an `li` subkey list's item offset to the hive
/// bin offset without a check (`sub_key_list_li.rs`, u32 overflow; a panic where overflow
/// checks are on, as in these tests and the fuzz builds). The input is made here from a corpus
/// hive (corpus files are not copied into the repository): its first `lf`/`lh` list is turned
/// into an `li` list whose first item is 0xFFFFFF00. Our guard must turn the panic into an
/// error that names the damage; the hive is not read on.
#[test]
fn notatin_li_offset_overflow_is_caught_as_a_damaged_hive() {
    let Some(dir) = corpus() else { return };
    let mut b = std::fs::read(dir.join("hives/regipy__SECURITY.hive")).unwrap();
    let at = (4096..b.len() - 12)
        .find(|&j| {
            let size = i32::from_le_bytes(b[j - 4..j].try_into().unwrap());
            let count = usize::from(u16::from_le_bytes([b[j + 2], b[j + 3]]));
            (&b[j..j + 2] == b"lf" || &b[j..j + 2] == b"lh")
                && size < 0
                && count > 0
                && size.unsigned_abs() as usize >= 8 + 8 * count
        })
        .expect("a subkey list in the SECURITY hive");
    b[at..at + 2].copy_from_slice(b"li");
    b[at + 4..at + 8].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
    let r = read_hive(&b, &[], "SECURITY", &HiveOptions::default());
    if cfg!(debug_assertions) {
        let e = r.expect_err("the overflow stops notatin");
        assert!(e.to_string().contains("hive is damaged"), "{e}");
    } else {
        // Without overflow checks notatin wraps and reads on: no panic either way.
        let _ = r;
    }
    // The same input through the facts layer: a problem, no panic.
    let _ = facts_of("SECURITY", &b);
}
