//! Helpers of the `batch_*` tests: generated tickets in several packagings, and reading the
//! hive-style dataset back with polars.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use ::zip::ZipWriter;
use ::zip::write::SimpleFileOptions;
use polars::prelude::*;
use rdpdiag_samples::scenario::{self, GenerateOptions, Layout, Packaging};

/// A generated ticket and the cause a correct diagnosis names.
#[derive(Debug, Clone)]
pub struct GenTicket {
    /// Ticket id (name in the tickets folder).
    pub id: String,
    /// Expected top cause id (`None`: healthy).
    pub expected: Option<String>,
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rdpdiag"))
}

/// Writes a zip of `entries` (name, bytes), stored.
pub fn write_zip(path: &Path, entries: &[(&str, Vec<u8>)]) {
    let mut w = ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in entries {
        w.start_file(*name, SimpleFileOptions::default()).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

/// `n` tickets under `root`, cycling the scenarios and four packagings: a folder of the two
/// bundle zips, a zip of the two bundle zips, a folder of two bundle folders, a folder of two
/// MSRD-Collect zips.
pub fn make_tickets(root: &Path, n: usize, seed: u64) -> Vec<GenTicket> {
    std::fs::create_dir_all(root).unwrap();
    let specs = scenario::catalog();
    let scratch = root.join(".gen");
    let mut out = Vec::new();
    for i in 0..n {
        let spec = specs[i % specs.len()];
        let kind = i % 4;
        let (layout, packaging) = match kind {
            2 => (Layout::Bundle, Packaging::Dir),
            3 => (Layout::Msrd, Packaging::Zip),
            _ => (Layout::Bundle, Packaging::Zip),
        };
        let opts = GenerateOptions {
            seed: seed + i as u64,
            noise: 60,
            attempts: 2,
            skew_seconds: (i as i64 % 7 - 3) * 97,
            layout,
            packaging,
            ..GenerateOptions::default()
        };
        let name = format!("T{i:04}-{}", spec.name);
        let id = if kind == 1 {
            let tmp = scratch.join(&name);
            let g = scenario::generate(spec, &opts, &tmp).unwrap();
            let zip = root.join(format!("{name}.zip"));
            let entries: Vec<(String, Vec<u8>)> = [g.client, g.server]
                .iter()
                .map(|p| {
                    (
                        format!("{name}/{}", p.file_name().unwrap().to_string_lossy()),
                        std::fs::read(p).unwrap(),
                    )
                })
                .collect();
            let refs: Vec<(&str, Vec<u8>)> = entries.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
            write_zip(&zip, &refs);
            format!("{name}.zip")
        } else {
            scenario::generate(spec, &opts, &root.join(&name)).unwrap();
            name
        };
        out.push(GenTicket {
            id,
            expected: spec.expected_top.map(|c| c.as_str().to_string()),
        });
    }
    let _ = std::fs::remove_dir_all(&scratch);
    out
}

/// Every part file of `table` (`ext` = `parquet` or `csv`), with its shard number.
pub fn parts(out: &Path, table: &str, ext: &str) -> Vec<(u32, PathBuf)> {
    let base = if ext == "csv" {
        out.join("csv").join(table)
    } else {
        out.join(table)
    };
    let mut found = Vec::new();
    for d in std::fs::read_dir(&base).unwrap().flatten() {
        let name = d.file_name().to_string_lossy().into_owned();
        let k: u32 = name.strip_prefix("shard=").unwrap().parse().unwrap();
        for f in std::fs::read_dir(d.path()).unwrap().flatten() {
            let fname = f.file_name().to_string_lossy().into_owned();
            assert!(
                !fname.starts_with('.'),
                "temporary file left: {}",
                f.path().display()
            );
            if fname.ends_with(&format!(".{ext}")) {
                found.push((k, f.path()));
            }
        }
    }
    found.sort();
    found
}

pub fn read_parquet(p: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(p).unwrap())
        .finish()
        .unwrap()
}

/// The table read as one hive-partitioned dataset: every part, with `shard` taken from the
/// folder name (as Spark, DuckDB and polars' `scan_parquet(hive_partitioning=True)` do).
pub fn read_dataset(out: &Path, table: &str) -> DataFrame {
    let mut all: Option<DataFrame> = None;
    for (k, p) in parts(out, table, "parquet") {
        let mut df = read_parquet(&p);
        let h = df.height();
        df.with_column(Column::new("shard".into(), vec![k as i64; h]))
            .unwrap();
        match &mut all {
            None => all = Some(df),
            Some(a) => {
                assert_eq!(a.schema(), df.schema(), "parts of {table} disagree on the schema");
                a.vstack_mut(&df).unwrap();
            }
        }
    }
    all.unwrap()
}

/// (name, polars dtype) of a frame.
pub fn columns(df: &DataFrame) -> Vec<(String, DataType)> {
    df.schema()
        .iter()
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect()
}

/// The string column `col` as `Option<String>`s.
pub fn strs(df: &DataFrame, col: &str) -> Vec<Option<String>> {
    df.column(col)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

/// ticket_id -> value of `col` in the tickets table.
pub fn by_ticket(df: &DataFrame, col: &str) -> BTreeMap<String, Option<String>> {
    strs(df, "ticket_id")
        .into_iter()
        .map(Option::unwrap)
        .zip(strs(df, col))
        .collect()
}
