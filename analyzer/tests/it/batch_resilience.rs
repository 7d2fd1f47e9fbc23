//! A corrupt, empty, hostile or half-copied ticket becomes a row in `errors`, the batch goes on,
//! and the exit code says "partial"; an interrupted batch writes what was done.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::batch_common;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use batch_common::*;
use rdpdiag::batch::{self, BatchOptions, ProgressMode};
use rdpdiag::rules::Catalog;
use rdpdiag_schemas::tables::BatchSummary;

#[test]
fn broken_tickets_become_error_rows_and_the_exit_code_says_partial() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tickets");
    let out = dir.path().join("out");
    let good = make_tickets(&input, 4, 300);

    // Corrupt: random bytes named .zip.
    let noise: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(input.join("corrupt.zip"), &noise).unwrap();
    // Empty: a folder with nothing, and a zero-byte zip.
    std::fs::create_dir(input.join("empty-folder")).unwrap();
    std::fs::write(input.join("zero-bytes.zip"), b"").unwrap();
    // Half-copied: the first 40% of a ticket zip of bundle zips.
    let whole = std::fs::read(input.join(&good[1].id)).unwrap();
    assert!(good[1].id.ends_with(".zip"), "packaging 1 is a zip of zips");
    std::fs::write(input.join("half-copied.zip"), &whole[..whole.len() * 2 / 5]).unwrap();
    // Hostile: a ticket zip whose inner zip is named to escape, next to a real bundle zip.
    let client = std::fs::read(
        std::fs::read_dir(input.join(&good[0].id))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with("-client.zip"))
            .unwrap(),
    )
    .unwrap();
    write_zip(
        &input.join("zip-slip.zip"),
        &[
            ("../../evil.zip", client.clone()),
            ("ok/client.zip", client.clone()),
            ("C:/Windows/evil2.zip", client),
        ],
    );
    // A symlink is not followed.
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc", input.join("link-to-etc")).unwrap();

    let run = bin()
        .args(["batch", "--progress", "none", "-o"])
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(4),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("Failed tickets:"), "{stdout}");

    let tickets = read_dataset(&out, "tickets");
    let status = by_ticket(&tickets, "status");
    for g in &good {
        assert_eq!(status[&g.id].as_deref(), Some("ok"), "{}", g.id);
    }
    let mut expect: BTreeMap<&str, &[&str]> = BTreeMap::new();
    expect.insert("corrupt.zip", &["failed"]);
    expect.insert("empty-folder", &["failed"]);
    expect.insert("zero-bytes.zip", &["failed"]);
    expect.insert("half-copied.zip", &["failed", "partial"]);
    expect.insert("zip-slip.zip", &["partial"]);
    #[cfg(unix)]
    expect.insert("link-to-etc", &["failed"]);
    for (id, allowed) in &expect {
        let got = status.get(*id).cloned().flatten();
        assert!(
            got.as_deref().is_some_and(|g| allowed.contains(&g)),
            "{id}: status {got:?}, want one of {allowed:?}"
        );
    }
    assert_eq!(tickets.height(), good.len() + expect.len());

    // Every broken ticket has rows in errors; fatal ones exactly for failed tickets.
    let errors = read_dataset(&out, "errors");
    let e_ticket = strs(&errors, "ticket_id");
    let e_reason = strs(&errors, "reason");
    let e_file = strs(&errors, "file");
    let e_loc = strs(&errors, "location");
    let fatal = errors.column("fatal").unwrap().bool().unwrap();
    for id in expect.keys() {
        assert!(
            e_ticket.iter().any(|t| t.as_deref() == Some(*id)),
            "no error row for {id}"
        );
        let fatal_rows = (0..errors.height())
            .filter(|&i| e_ticket[i].as_deref() == Some(*id) && fatal.get(i) == Some(true))
            .count();
        let failed = status[*id].as_deref() == Some("failed");
        assert_eq!(fatal_rows, usize::from(failed), "{id}");
    }
    for g in &good {
        assert!(!e_ticket.contains(&Some(g.id.clone())), "{}", g.id);
    }
    // The zip-slip entries are named and rejected; the good inner bundle was analysed.
    let slip: Vec<usize> = (0..errors.height())
        .filter(|&i| e_ticket[i].as_deref() == Some("zip-slip.zip"))
        .collect();
    assert!(
        slip.iter().any(|&i| e_loc[i].as_deref() == Some("../../evil.zip")
            && e_reason[i].as_deref().unwrap().contains("zip slip")),
        "{errors:?}"
    );
    assert!(
        slip.iter()
            .any(|&i| e_loc[i].as_deref() == Some("C:/Windows/evil2.zip"))
    );
    assert!(
        slip.iter()
            .all(|&i| e_file[i].as_deref().unwrap().ends_with("zip-slip.zip"))
    );
    let inputs = tickets.column("inputs").unwrap().i64().unwrap();
    let ids = strs(&tickets, "ticket_id");
    let k = ids
        .iter()
        .position(|t| t.as_deref() == Some("zip-slip.zip"))
        .unwrap();
    assert_eq!(inputs.get(k), Some(1), "the one safe inner zip was read");

    // Nothing was written outside OUTDIR, and the scratch folder is gone.
    for p in [
        dir.path().join("evil.zip"),
        out.join("evil.zip"),
        input.join("evil.zip"),
    ] {
        assert!(!p.exists(), "{}", p.display());
    }
    assert!(!out.join(".work").exists());

    let s: BatchSummary = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s.tickets_done as usize, good.len() + expect.len());
    assert!(s.tickets_failed >= 4);
    assert!(
        s.failed
            .iter()
            .any(|f| f.ticket_id == "corrupt.zip" && !f.reason.is_empty())
    );
    assert!(
        out.join("_SUCCESS").is_file(),
        "partial is still a complete batch"
    );
}

#[test]
fn a_stopped_batch_writes_what_was_done_and_says_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tickets");
    let out = dir.path().join("out");
    make_tickets(&input, 3, 500);
    let mut opts = BatchOptions::new(vec![input], out.clone());
    opts.progress = ProgressMode::Off;
    opts.stop.store(true, Ordering::Relaxed);
    let o = batch::run(&opts, &Catalog::embedded().unwrap()).unwrap();
    assert!(o.summary.interrupted);
    assert_eq!(o.summary.tickets_not_started, 3);
    assert_eq!(o.exit_code(), batch::EXIT_INTERRUPTED);
    // The tables exist (empty, with their schema), the summary says interrupted, no _SUCCESS.
    assert_eq!(read_dataset(&out, "tickets").height(), 0);
    let s: BatchSummary = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert!(s.interrupted);
    assert!(!out.join("_SUCCESS").exists());
}

/// A real SIGINT in the middle: the tickets finished are written, the summary agrees with the
/// tables, and the exit status is 130 (or 0 if the batch won the race and finished first).
#[cfg(unix)]
#[test]
fn ctrl_c_finishes_in_flight_tickets_and_writes_them() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tickets");
    let out = dir.path().join("out");
    // One ticket with 8 MB of event logs (a fraction of a second each), hard-linked 30 times:
    // a batch of several seconds on one thread, cheaply.
    let spec = rdpdiag_samples::scenario::find("cert-key-unreadable").unwrap();
    let opts = rdpdiag_samples::scenario::GenerateOptions {
        evtx_mb: Some(8),
        ..Default::default()
    };
    let src = dir.path().join("big");
    rdpdiag_samples::scenario::generate(spec, &opts, &src).unwrap();
    for i in 0..30 {
        let dst = input.join(format!("copy-{i:03}"));
        std::fs::create_dir_all(&dst).unwrap();
        for f in std::fs::read_dir(&src).unwrap().flatten() {
            std::fs::hard_link(f.path(), dst.join(f.file_name())).unwrap();
        }
    }
    let mut child = bin()
        .args([
            "batch",
            "--jobs",
            "1",
            "--chunk",
            "1",
            "--progress",
            "plain",
            "--progress-every",
            "1",
            "-o",
        ])
        .arg(&out)
        .arg(&input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("tickets"), "{line}");
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
    let status = child.wait().unwrap();
    let s: BatchSummary = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let tickets = read_dataset(&out, "tickets");
    assert_eq!(
        tickets.height() as u64,
        s.tickets_done,
        "tables hold exactly what was done"
    );
    eprintln!(
        "stopped after {} of {} tickets, exit {:?}",
        s.tickets_done, s.tickets_assigned, status
    );
    if s.interrupted {
        assert_eq!(status.code(), Some(130), "{rest}");
        assert!(s.tickets_not_started > 0);
        assert!(rest.contains("interrupted"), "{rest}");
        assert!(!out.join("_SUCCESS").exists());
    } else {
        assert_eq!(status.code(), Some(0));
    }
}
