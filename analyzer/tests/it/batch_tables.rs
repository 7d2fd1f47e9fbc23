//! `rdpdiag batch` as a user runs it: generated tickets in four packagings in, Parquet and CSV
//! tables out, read back with polars; the printed summary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::batch_common;

use std::collections::{BTreeMap, BTreeSet};

use batch_common::*;
use polars::prelude::*;
use rdpdiag::batch::tables::dtype;
use rdpdiag_schemas::tables::{BatchSummary, tables};

#[test]
fn tables_read_back_with_polars_match_the_scenarios() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tickets");
    let out = dir.path().join("out");
    let generated = make_tickets(&input, 28, 100);
    std::fs::write(input.join("README.txt"), "not a ticket").unwrap();

    let run = bin()
        .args(["batch", "--progress", "plain", "--progress-every", "1", "-o"])
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stdout}\n{stderr}");

    // The summary: cause distribution, confidence histogram, throughput.
    assert!(stdout.contains("Cause distribution"), "{stdout}");
    assert!(stdout.contains("Confidence of the top cause"), "{stdout}");
    assert!(stdout.contains("tickets/s"), "{stdout}");
    assert!(stdout.contains("1 other files skipped"), "{stdout}");
    // Plain progress lines (stderr is not a terminal), ending with all tickets.
    assert!(stderr.contains("28/28 tickets (100.0%)"), "{stderr}");

    // Every table has one part per format, with exactly the documented columns and types.
    for spec in tables() {
        let p = parts(&out, spec.name, "parquet");
        assert_eq!(p.len(), 1, "{}", spec.name);
        let df = read_parquet(&p[0].1);
        let want: Vec<(String, DataType)> = spec
            .columns
            .iter()
            .map(|c| (c.name.to_string(), dtype(c.ty, false)))
            .collect();
        assert_eq!(columns(&df), want, "{}", spec.name);

        let c = parts(&out, spec.name, "csv");
        assert_eq!(c.len(), 1, "{}", spec.name);
        let csv = CsvReadOptions::default()
            .with_has_header(true)
            .try_into_reader_with_file_path(Some(c[0].1.clone()))
            .unwrap()
            .finish()
            .unwrap();
        let names: Vec<String> = csv.get_column_names().iter().map(|n| n.to_string()).collect();
        let want_names: Vec<String> = spec.columns.iter().map(|c| c.name.to_string()).collect();
        assert_eq!(names, want_names, "{} csv header", spec.name);
        assert_eq!(csv.height(), df.height(), "{} csv rows", spec.name);
    }

    // tickets: one row each, all analysed cleanly, the expected top cause.
    let tickets = read_dataset(&out, "tickets");
    assert_eq!(tickets.height(), generated.len());
    let status = by_ticket(&tickets, "status");
    let top = by_ticket(&tickets, "top_cause");
    let verdict = by_ticket(&tickets, "verdict");
    for g in &generated {
        assert_eq!(status[&g.id].as_deref(), Some("ok"), "{}", g.id);
        assert_eq!(top[&g.id], g.expected, "{}: verdict {:?}", g.id, verdict[&g.id]);
        // A ticket whose failures are not 0x904 ones (a mistyped password) is reported as such.
        let want = if g.expected.is_some() {
            "diagnosed"
        } else if g.id.contains("wrong-password") {
            "other-failure"
        } else {
            "nothing-failed"
        };
        assert_eq!(verdict[&g.id].as_deref(), Some(want), "{}", g.id);
    }
    let conf = tickets.column("confidence").unwrap().f64().unwrap();
    for (c, t) in conf.iter().zip(strs(&tickets, "top_cause")) {
        assert_eq!(c.is_some(), t.is_some());
        assert!(c.is_none_or(|c| (0.0..=1.0).contains(&c)));
    }
    let inputs = tickets.column("inputs").unwrap().i64().unwrap();
    assert!(
        inputs.iter().all(|n| n == Some(2)),
        "client + server bundle per ticket"
    );
    let records = tickets.column("records_read").unwrap().i64().unwrap();
    assert!(records.iter().all(|n| n.unwrap() > 0));
    assert!(
        tickets
            .column("errors")
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .all(|n| n == Some(0))
    );

    // attempts: two per ticket; every failed attempt of a diagnosed ticket names a cause, and
    // findings rank 1 is that cause.
    let attempts = read_dataset(&out, "attempts");
    assert_eq!(attempts.height(), 2 * generated.len());
    let a_ids: BTreeSet<String> = strs(&attempts, "ticket_id").into_iter().flatten().collect();
    assert_eq!(a_ids.len(), generated.len());
    let failed = attempts.column("failed").unwrap().bool().unwrap();
    let a_top = strs(&attempts, "top_cause");
    for (f, t) in failed.iter().zip(&a_top) {
        assert_eq!(f.unwrap(), t.is_some());
    }
    let findings = read_dataset(&out, "findings");
    let rank = findings.column("rank").unwrap().i64().unwrap();
    let f_cause = strs(&findings, "cause");
    let f_ticket = strs(&findings, "ticket_id");
    let f_attempt = findings.column("attempt").unwrap().i64().unwrap();
    let mut rank1: BTreeMap<(String, i64), String> = BTreeMap::new();
    for i in 0..findings.height() {
        if rank.get(i) == Some(1) {
            rank1.insert(
                (f_ticket[i].clone().unwrap(), f_attempt.get(i).unwrap()),
                f_cause[i].clone().unwrap(),
            );
        }
    }
    let a_ticket = strs(&attempts, "ticket_id");
    let a_number = attempts.column("attempt").unwrap().i64().unwrap();
    for i in 0..attempts.height() {
        if let Some(t) = &a_top[i] {
            let key = (a_ticket[i].clone().unwrap(), a_number.get(i).unwrap());
            assert_eq!(rank1.get(&key), Some(t), "{key:?}");
        }
    }

    // evidence: cites records of the tickets, with sane confidences.
    let evidence = read_dataset(&out, "evidence");
    assert!(evidence.height() > 0);
    let e_ids: BTreeSet<String> = strs(&evidence, "ticket_id").into_iter().flatten().collect();
    assert!(e_ids.is_subset(&a_ids));
    let after = evidence.column("after").unwrap().f64().unwrap();
    assert!(after.iter().all(|v| (0.0..=1.0).contains(&v.unwrap())));
    assert!(
        matches!(
            evidence.column("host_time_utc").unwrap().dtype(),
            DataType::Datetime(TimeUnit::Milliseconds, Some(tz)) if tz.as_str() == "UTC"
        ),
        "timestamps are zoned UTC"
    );

    // errors: none.
    assert_eq!(read_dataset(&out, "errors").height(), 0);

    // summary.json (valid against its published schema) and _SUCCESS; the distribution counts
    // the tickets.
    assert!(out.join("_SUCCESS").is_file());
    let raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let schemas = rdpdiag_schemas::json_schemas();
    let (_, schema) = schemas
        .iter()
        .find(|(n, _)| *n == "batch-summary.v1.schema.json")
        .unwrap();
    let validator = jsonschema::validator_for(schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&raw).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let s: BatchSummary = serde_json::from_value(raw).unwrap();
    assert!(!s.interrupted);
    assert_eq!(s.tickets_done, 28);
    assert_eq!(s.tickets_ok, 28);
    assert_eq!(s.not_tickets, 1);
    assert_eq!(s.causes.values().sum::<u64>(), 28);
    let healthy = generated.iter().filter(|g| g.expected.is_none()).count() as u64;
    assert_eq!(s.causes.get("none").copied().unwrap_or(0), healthy);
    assert_eq!(s.confidence_histogram.iter().sum::<u64>(), 28 - healthy);
    assert_eq!(s.rows.get("tickets"), Some(&28));
    assert_eq!(s.rows.get("attempts"), Some(&56));
    for (cause, n) in &s.causes {
        if cause != "none" {
            assert!(stdout.contains(cause.as_str()), "{cause} missing from:\n{stdout}");
            let want = generated
                .iter()
                .filter(|g| g.expected.as_deref() == Some(cause))
                .count();
            assert_eq!(*n as usize, want, "{cause}");
        }
    }
    assert!(!out.join(".work").exists(), "work folder removed");
}

#[test]
fn json_summary_and_parquet_only() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tickets");
    let out = dir.path().join("out");
    make_tickets(&input, 3, 7);
    let run = bin()
        .args([
            "batch",
            "--no-csv",
            "--format",
            "json",
            "--progress",
            "none",
            "-o",
        ])
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let s: BatchSummary = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(s.tickets_done, 3);
    assert_eq!(s.shards, vec![0]);
    assert!(s.peak_rss_bytes.is_some_and(|b| b > 0));
    assert!(!out.join("csv").exists());
    assert_eq!(read_dataset(&out, "tickets").height(), 3);
    assert!(
        run.stderr.is_empty(),
        "no progress: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}
