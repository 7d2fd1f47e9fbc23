//! `--shard K/N`: shards partition the tickets exactly (by a hash of the ticket id), write
//! their parts into one hive-style dataset that reads as one, and the last shard to finish
//! writes the merged summary and `_SUCCESS`. Parts roll every `--tickets-per-part` tickets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::batch_common;

use std::collections::BTreeSet;

use batch_common::*;
use rdpdiag_schemas::tables::BatchSummary;

fn ids(out: &std::path::Path, shard: u32) -> BTreeSet<String> {
    let p = out
        .join("tickets")
        .join(format!("shard={shard}"))
        .join("part-00000.parquet");
    strs(&read_parquet(&p), "ticket_id")
        .into_iter()
        .flatten()
        .collect()
}

#[test]
fn shards_partition_the_tickets_and_read_as_one_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tickets");
    let out = dir.path().join("out");
    let whole = dir.path().join("whole");
    let generated = make_tickets(&input, 20, 700);
    let all: BTreeSet<String> = generated.iter().map(|g| g.id.clone()).collect();

    let shard = |k: u32| {
        let run = bin()
            .args(["batch", "--progress", "none", "--shard", &format!("{k}/2"), "-o"])
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
        String::from_utf8(run.stdout).unwrap()
    };
    let first = shard(0);
    assert!(first.contains("shard 0/2"), "{first}");
    assert!(
        !out.join("_SUCCESS").exists(),
        "one shard of two is not the whole batch"
    );
    assert!(!out.join("summary.json").exists());
    let second = shard(1);
    assert!(second.contains("All 2 shards are done"), "{second}");
    assert!(out.join("_SUCCESS").is_file());

    // Exact partition.
    let (a, b) = (ids(&out, 0), ids(&out, 1));
    assert!(a.is_disjoint(&b), "{:?}", a.intersection(&b).collect::<Vec<_>>());
    assert_eq!(a.union(&b).cloned().collect::<BTreeSet<_>>(), all);
    assert!(
        !a.is_empty() && !b.is_empty(),
        "20 tickets over 2 shards: both get some"
    );

    // One dataset: every table's parts share a schema and read as one; `shard` comes from the
    // folder names and agrees with the per-shard files.
    for table in ["tickets", "attempts", "findings", "evidence", "errors"] {
        assert_eq!(parts(&out, table, "parquet").len(), 2, "{table}");
        assert_eq!(parts(&out, table, "csv").len(), 2, "{table}");
        let _ = read_dataset(&out, table);
    }
    let tickets = read_dataset(&out, "tickets");
    assert_eq!(tickets.height(), 20);
    let shard_col = tickets.column("shard").unwrap().i64().unwrap();
    for (id, k) in strs(&tickets, "ticket_id").into_iter().zip(shard_col.iter()) {
        let id = id.unwrap();
        assert_eq!(k == Some(0), a.contains(&id), "{id}");
    }

    // The same results as one unsharded run.
    let run = bin()
        .args(["batch", "--progress", "none", "-o"])
        .arg(&whole)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let one = read_dataset(&whole, "tickets");
    assert_eq!(by_ticket(&one, "top_cause"), by_ticket(&tickets, "top_cause"));
    assert_eq!(
        read_dataset(&whole, "attempts").height(),
        read_dataset(&out, "attempts").height()
    );

    // Parts roll every --tickets-per-part tickets and still read as one dataset; a re-run
    // replaces them all (no stale part survives).
    let rolled = dir.path().join("rolled");
    let run_rolled = |per_part: &str| {
        let run = bin()
            .args([
                "batch",
                "--progress",
                "none",
                "--tickets-per-part",
                per_part,
                "-o",
            ])
            .arg(&rolled)
            .arg(&input)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(0));
    };
    run_rolled("3");
    for table in ["tickets", "attempts", "findings", "evidence", "errors"] {
        assert_eq!(
            parts(&rolled, table, "parquet").len(),
            7,
            "{table}: 20 tickets, 3 per part"
        );
        assert_eq!(parts(&rolled, table, "csv").len(), 7, "{table}");
    }
    for (_, p) in parts(&rolled, "tickets", "parquet") {
        assert!(read_parquet(&p).height() <= 3);
    }
    assert_eq!(
        by_ticket(&read_dataset(&rolled, "tickets"), "top_cause"),
        by_ticket(&one, "top_cause")
    );
    assert_eq!(
        read_dataset(&rolled, "evidence").height(),
        read_dataset(&whole, "evidence").height()
    );
    run_rolled("2048");
    assert_eq!(parts(&rolled, "tickets", "parquet").len(), 1);
    assert_eq!(read_dataset(&rolled, "tickets").height(), 20);

    // The merged summary covers both shards.
    let s: BatchSummary = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s.shards, vec![0, 1]);
    assert_eq!(s.shard_count, 2);
    assert_eq!(s.tickets_done, 20);
    assert_eq!(s.tickets_found, 20);
    assert_eq!(s.causes.values().sum::<u64>(), 20);
    let per_shard: u64 = (0..2)
        .map(|k| {
            let p = out.join("_shards").join(format!("{k}-of-2.json"));
            let s: BatchSummary = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
            assert_eq!(s.tickets_found, 20);
            s.tickets_assigned
        })
        .sum();
    assert_eq!(per_shard, 20);

    // A run with another shard count into the same folder is refused (exit 2): the datasets
    // would mix.
    let run = bin()
        .args(["batch", "--progress", "none", "--shard", "0/3", "-o"])
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("2 shards"));

    // Bad usage: K >= N, output folder is a file.
    let run = bin()
        .args(["batch", "--shard", "2/2", "-o"])
        .arg(dir.path().join("x"))
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let run = bin()
        .args(["batch", "-o"])
        .arg(&file)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
}

/// `--shard auto`: K/N from the array-job runner's variables (here Kubernetes, then Slurm with
/// ids counted from 1); none set is a usage error that names them, before anything is written.
/// `--partial-ok`: a shard with a failed ticket exits 0 instead of 4.
#[test]
fn shard_auto_reads_the_array_job_environment() {
    const VARS: [&str; 9] = [
        "JOB_COMPLETION_INDEX",
        "JOB_COMPLETIONS",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_MAX",
        "SLURM_ARRAY_TASK_STEP",
        "AWS_BATCH_JOB_ARRAY_INDEX",
        "AWS_BATCH_JOB_ARRAY_SIZE",
    ];
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tickets");
    make_tickets(&input, 6, 900);
    let batch = |out: &std::path::Path, input: &std::path::Path, env: &[(&str, &str)], extra: &[&str]| {
        let mut cmd = bin();
        for v in VARS {
            cmd.env_remove(v);
        }
        cmd.envs(env.iter().copied())
            .args(["batch", "--progress", "none"])
            .args(extra)
            .arg("-o")
            .arg(out)
            .arg(input)
            .output()
            .unwrap()
    };
    let auto = ["--shard", "auto"];

    let none = dir.path().join("none");
    let run = batch(&none, &input, &[], &auto);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    for v in [
        "JOB_COMPLETION_INDEX",
        "JOB_COMPLETIONS",
        "SLURM_ARRAY_TASK_ID",
        "AWS_BATCH_JOB_ARRAY_INDEX",
    ] {
        assert!(err.contains(v), "{err}");
    }
    assert!(!none.exists(), "nothing is written without a shard");

    let out = dir.path().join("out");
    let k8s = [("JOB_COMPLETION_INDEX", "1"), ("JOB_COMPLETIONS", "2")];
    let run = batch(&out, &input, &k8s, &auto);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("shard 1/2"), "{stdout}");
    assert!(out.join("_shards").join("1-of-2.json").is_file());
    assert!(!out.join("_SUCCESS").exists());
    // Slurm --array=1-2, task 1: shard 0 of 2, which completes the batch.
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "2"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_MAX", "2"),
    ];
    let run = batch(&out, &input, &slurm, &auto);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("shard 0/2") && stdout.contains("All 2 shards are done"),
        "{stdout}"
    );
    assert!(out.join("_SUCCESS").is_file());
    assert_eq!(read_dataset(&out, "tickets").height(), 6);

    // A ticket that is not a zip at all fails: exit 4, or 0 with --partial-ok.
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("T-broken.zip"), b"PK\x03\x04 not a zip").unwrap();
    let run = batch(&dir.path().join("bad-out"), &bad, &[], &[]);
    assert_eq!(
        run.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let run = batch(&dir.path().join("bad-ok"), &bad, &[], &["--partial-ok"]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}
