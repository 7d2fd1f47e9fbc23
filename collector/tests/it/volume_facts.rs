//! Facts read from real hives of the shared corpus through the minimal hive reader: host name,
//! domain, time zone and the RDP listener setting decide the manifest's host and `--role auto`.
//! Skips (and says so) when the corpus is absent.

use std::path::{Path, PathBuf};

use rdpdiag_collect::hive::{Hive, Value, current_control_set};
use rdpdiag_collect::volume::VolumeLayout;

fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("RDPDIAG_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "skipped: corpus not found at {} (set RDPDIAG_CORPUS)",
            p.display()
        );
        None
    }
}

#[test]
fn system_hive_of_the_corpus_gives_host_facts() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("WINDOWS/System32/CONFIG");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::copy(
        corpus.join("hives/regipy__SYSTEM__win7era_2012_RDP-Tcp.hive"),
        cfg.join("system"),
    )
    .unwrap();
    let facts = VolumeLayout::scan(dir.path()).facts();
    assert_eq!(facts.computer_name.as_deref(), Some("WKS-WIN732BITA"));
    assert_eq!(facts.domain.as_deref(), Some("shieldbase.local"));
    let tz = facts.time_zone.unwrap();
    assert_eq!(tz.name, "Eastern Standard Time");
    assert!(
        tz.utc_offset_minutes == -240 || tz.utc_offset_minutes == -300,
        "{tz:?}"
    );
    assert!(facts.rdp_enabled.is_some());
    assert!(
        facts.notes.iter().any(|n| n.contains("SOFTWARE")),
        "{:?}",
        facts.notes
    );
}

#[test]
fn rdp_listener_values_are_read() {
    let Some(corpus) = corpus() else { return };
    let bytes = std::fs::read(corpus.join("hives/regipy__SYSTEM__win7era_2012_RDP-Tcp.hive")).unwrap();
    let h = Hive::new(&bytes).unwrap();
    let ccs = current_control_set(&h);
    let port = h.value(
        &format!(r"{ccs}\Control\Terminal Server\WinStations\RDP-Tcp"),
        "PortNumber",
    );
    assert_eq!(port, Some(Value::Dword(3389)));
}

#[test]
fn damaged_and_foreign_hives_do_not_panic() {
    let Some(corpus) = corpus() else { return };
    for name in [
        "yarp__TruncatedHive.hive",
        "regipy__corrupted_system_hive.hive",
        "plaso__corrupt_sub_key_list.hiv",
        "yarp-NewDirtyHive1/NewDirtyHive",
        "regipy__NTUSER.DAT",
    ] {
        let bytes = std::fs::read(corpus.join("hives").join(name)).unwrap();
        if let Some(h) = Hive::new(&bytes) {
            let ccs = current_control_set(&h);
            let _ = h.value(
                &format!(r"{ccs}\Control\ComputerName\ComputerName"),
                "ComputerName",
            );
            let _ = h
                .key(r"Software\Microsoft\Terminal Server Client\Servers")
                .map(|k| k.subkeys());
            if let Some(root) = h.root() {
                for k in root.subkeys() {
                    let _ = k.name();
                    let _ = k.subkeys().len();
                }
            }
        }
    }
}
