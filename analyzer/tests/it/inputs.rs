//! Folder and single-file inputs, MSRD layout, sniffing renamed files, and `inspect --format
//! json` from the binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::process::Command;

use rdpdiag::artifact::Outcome;
use rdpdiag::input::{ContentKind, LayoutKind};
use rdpdiag::{IngestOptions, ingest};
use rdpdiag_schemas::Role;

const REG_UTF16: fn() -> Vec<u8> = || {
    let text = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server]\r\n\"fDenyTSConnections\"=dword:00000000\r\n";
    let mut v = vec![0xFF, 0xFE];
    v.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    v
};

#[test]
fn folder_input_sniffs_content_and_skips_symlinks() {
    let s = common::Scratch::new("folder");
    let root = s.path("ticket");
    std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
    std::fs::write(root.join("sub/deeper/settings.txt"), REG_UTF16()).unwrap();
    std::fs::write(root.join("notes.evtx"), b"not an event log, just text\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", root.join("link.evtx")).unwrap();
    let corpus = common::corpus();
    if let Some(c) = &corpus {
        std::fs::copy(
            c.join("evtx/rdp/evtx2mitre__RdpCoreTS__131_bruteforce.evtx"),
            root.join("sub/System.log"),
        )
        .unwrap();
    }
    let out = ingest(std::slice::from_ref(&root), &IngestOptions::default());
    let r = &out.inputs[0];
    assert_eq!(r.layout.as_ref().unwrap().kind, LayoutKind::AdHoc);
    let by_path = |p: &str| r.artifacts.iter().find(|a| a.path == p).unwrap();
    assert_eq!(by_path("sub/deeper/settings.txt").content, Some(ContentKind::Reg));
    assert!(matches!(
        by_path("notes.evtx").content,
        Some(ContentKind::Text(_))
    ));
    #[cfg(unix)]
    assert!(
        matches!(&by_path("link.evtx").outcome, Outcome::Rejected { reason } if reason.contains("symbolic link"))
    );
    if corpus.is_some() {
        let log = by_path("sub/System.log");
        assert_eq!(log.content, Some(ContentKind::Evtx));
        assert_eq!(log.evtx.as_ref().unwrap().records_kept, 154);
        assert_eq!(out.events.iter().map(Vec::len).sum::<usize>(), 154);
        assert_eq!(r.role, Role::Server, "RdpCoreTS records make it a server");
        assert!(r.host.is_some());
    }
}

#[test]
fn single_files_renamed() {
    let s = common::Scratch::new("single");
    let reg = s.path("export.txt");
    std::fs::write(&reg, REG_UTF16()).unwrap();
    let out = ingest(&[reg], &IngestOptions::default());
    let r = &out.inputs[0];
    assert_eq!(r.layout.as_ref().unwrap().kind, LayoutKind::SingleFile);
    assert_eq!(r.artifacts.len(), 1);
    assert_eq!(r.artifacts[0].path, "export.txt");
    assert_eq!(r.artifacts[0].content, Some(ContentKind::Reg));

    let Some(corpus) = common::corpus() else { return };
    let log = s.path("client-log.log");
    std::fs::copy(
        corpus.join("reg/pssl__SCHANNEL_export_utf16le.reg"),
        s.path("schannel.txt"),
    )
    .unwrap();
    std::fs::copy(
        corpus.join("evtx/rdp/evtxcrate__Security__short_selected_4625-LT10_5152-3389.evtx"),
        &log,
    )
    .unwrap();
    let out = ingest(&[log, s.path("schannel.txt")], &IngestOptions::default());
    let evtx = &out.inputs[0].artifacts[0];
    assert_eq!(evtx.content, Some(ContentKind::Evtx));
    assert_eq!(evtx.evtx.as_ref().unwrap().records_kept, 4);
    assert_eq!(out.inputs[1].artifacts[0].content, Some(ContentKind::Reg));
    assert!(out.events.iter().flatten().all(|e| &*e.channel == "Security"));
}

#[test]
fn msrd_folder_gives_host_and_role_from_names() {
    let s = common::Scratch::new("msrd");
    let root = s.path("MSRD-Results-SRV01-20240501_101500");
    std::fs::create_dir_all(root.join("SRV01_EventLogs")).unwrap();
    std::fs::create_dir_all(root.join("SRV01_RegistryKeys")).unwrap();
    std::fs::write(
        root.join("SRV01_RegistryKeys/SRV01_HKLM-System-CCS-Control-TerminalServer.txt"),
        REG_UTF16(),
    )
    .unwrap();
    let evtx = match common::corpus() {
        Some(c) => {
            std::fs::read(c.join("evtx/rdp/attacksamples__RdpCoreTS__131_68_168_sharprdp.evtx")).unwrap()
        }
        None => b"ElfFile\0".to_vec(),
    };
    std::fs::write(
        root.join("SRV01_EventLogs/SRV01_RemoteDesktopServicesRdpCoreTS-Operational.evtx"),
        evtx,
    )
    .unwrap();
    let out = ingest(&[root], &IngestOptions::default());
    let r = &out.inputs[0];
    let layout = r.layout.as_ref().unwrap();
    assert_eq!(layout.kind, LayoutKind::Msrd);
    assert_eq!(layout.msrd_computer.as_deref(), Some("SRV01"));
    assert_eq!(r.role, Role::Server);
    assert!(r.host.is_some());
    assert!(r.artifacts.iter().any(|a| a.content == Some(ContentKind::Reg)));
}

#[test]
fn inspect_json_parses_and_has_per_artifact_counts() {
    let s = common::Scratch::new("cli");
    let reg = s.path("rdp.txt");
    std::fs::write(&reg, REG_UTF16()).unwrap();
    let mut args = vec![
        "inspect".to_string(),
        "--format".into(),
        "json".into(),
        reg.display().to_string(),
        s.path("does-not-exist.zip").display().to_string(),
    ];
    let corpus = common::corpus();
    if let Some(c) = &corpus {
        args.push(
            c.join("evtx/broken/evtxcrate__bad_chunk_magic.evtx")
                .display()
                .to_string(),
        );
        args.push(
            c.join("evtx/rdp/evtxcrate__RdpCoreTS-Operational__vss0_dirty.evtx")
                .display()
                .to_string(),
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_rdpdiag"))
        .args(&args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    // An input that cannot be opened makes the exit status 1; the report is still printed.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let inputs = v["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), args.len() - 3);
    assert_eq!(inputs[0]["artifacts"][0]["content"]["kind"], "reg");
    assert_eq!(
        inputs[0]["artifacts"][0]["outcome"]["status"], "parsed",
        "a .reg export feeds host facts"
    );
    assert!(
        inputs[1]["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("does-not-exist.zip")
    );
    assert_eq!(v["totals"]["inputs_unreadable"], 1);
    if corpus.is_some() {
        let broken = &inputs[2]["artifacts"][0];
        assert_eq!(broken["evtx"]["chunks_failed"], 2);
        assert_eq!(broken["evtx"]["records_read"], 301);
        assert!(
            broken["problems"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["location"]["at"] == "chunk" && p["location"]["chunk"] == 10)
        );
        let dirty = &inputs[3]["artifacts"][0]["evtx"];
        assert_eq!(dirty["records_read"], 1910);
        assert_eq!(dirty["records_failed"], 4);
        assert_eq!(dirty["records_kept"], 1262);
        assert_eq!(v["totals"]["events_kept"], 1262);
        assert_eq!(inputs[3]["role"], "server");
    }

    // Text output names the artifacts too.
    let out = Command::new(env!("CARGO_BIN_EXE_rdpdiag"))
        .args(["inspect", &reg.display().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("rdp.txt") && text.contains("[reg,"), "{text}");
}
