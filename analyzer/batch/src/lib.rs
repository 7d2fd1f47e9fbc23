//! `rdpdiag batch`: many tickets in, tables out.
//!
//! - [`ticket`]: finding tickets, their stable ids, shard assignment, opening a zip of zips;
//! - [`array_env`]: `--shard auto`, K/N from a Kubernetes, Slurm or AWS Batch array job;
//! - [`rows`]: one ticket's [`Analysis`](rdpdiag_diagnosis::analyze::Analysis) as table rows;
//! - [`tables`]: rows to polars DataFrames typed by `rdpdiag_schemas::tables`;
//! - [`writer`]: streaming Parquet/CSV parts in a hive-style layout;
//! - [`progress`], [`summary`]: what the user sees while and after it runs.
//!
//! Memory stays bounded: tickets are processed in chunks (in parallel within a chunk), each
//! analysis is turned into rows and dropped at once, the rows are written as a row group every
//! 128 tickets, and a new part file starts every 2,048 tickets (a Parquet footer holds every
//! row group's metadata). Nothing holds all tickets' events or rows.

#![forbid(unsafe_code)]

pub mod array_env;
pub mod progress;
pub mod rows;
pub mod summary;
pub mod tables;
pub mod ticket;
pub mod ticket_info;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use rayon::prelude::*;
use rdpdiag_schemas::tables::BatchSummary;

pub use array_env::{ShardEnvError, ShardSpec};
use progress::Progress;
pub use progress::ProgressMode;
use rdpdiag_diagnosis::analyze::{AnalyzeOptions, analyze};
use rdpdiag_diagnosis::rules::Catalog;
use rows::{Status, TicketOutcome, Timing};
pub use ticket::{Shard, TicketRef};
pub use writer::WriterLimits;
use writer::{DatasetWriter, WriteError};

/// Exit status: every ticket analysed cleanly.
pub const EXIT_OK: u8 = 0;
/// Exit status: bad usage or output folder (nothing or not all was written).
pub const EXIT_USAGE: u8 = 2;
/// Exit status: some tickets failed or were read only in part (see the `errors` table).
pub const EXIT_PARTIAL: u8 = 4;
/// Exit status: interrupted (Ctrl-C); what was done is written.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Folder of per-shard summaries inside OUTDIR.
pub const SHARDS_DIR: &str = "_shards";
/// Scratch folder inside OUTDIR for zips taken out of ticket zips.
pub const WORK_DIR: &str = ".work";

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Folders of tickets, or tickets.
    pub inputs: Vec<PathBuf>,
    /// Output folder.
    pub out_dir: PathBuf,
    /// This process's shard.
    pub shard: Shard,
    /// Worker threads (None: one per core).
    pub jobs: Option<usize>,
    /// Tickets per chunk: the most analyses (and their rows) in memory at once.
    pub chunk_size: usize,
    /// Also write CSV.
    pub csv: bool,
    /// Row groups and part files.
    pub writer: WriterLimits,
    /// Treat each INPUT as one ticket, even a folder.
    pub each_input_is_ticket: bool,
    /// How each ticket is analysed.
    pub analyze: AnalyzeOptions,
    /// What users reported per ticket id (`--ticket-info`): replaces `analyze.diagnose` for
    /// the tickets it lists.
    pub ticket_info: std::collections::HashMap<String, rdpdiag_diagnosis::diagnose::DiagnoseOptions>,
    /// Progress display.
    pub progress: ProgressMode,
    /// Seconds between plain progress lines.
    pub progress_every: Duration,
    /// Set (e.g. by a Ctrl-C handler) to stop: tickets not yet started are skipped, the rest is
    /// written.
    pub stop: Arc<AtomicBool>,
}

impl BatchOptions {
    /// Defaults for `inputs` and `out_dir`.
    pub fn new(inputs: Vec<PathBuf>, out_dir: PathBuf) -> Self {
        BatchOptions {
            inputs,
            out_dir,
            shard: Shard::ALL,
            jobs: None,
            chunk_size: 64,
            csv: true,
            writer: WriterLimits::default(),
            each_input_is_ticket: false,
            analyze: AnalyzeOptions::default(),
            ticket_info: Default::default(),
            progress: ProgressMode::Auto,
            progress_every: Duration::from_secs(10),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Why a batch could not run or could not write its output.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// Inputs missing or the output inside a ticket.
    #[error(transparent)]
    Discover(#[from] ticket::DiscoverError),
    /// The output folder is unusable.
    #[error("output folder {path}: {message}")]
    OutDir {
        /// Folder.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Writing the tables failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Bad options.
    #[error("{0}")]
    Options(String),
}

impl BatchError {
    /// Exit status for this error.
    pub fn exit_code(&self) -> u8 {
        EXIT_USAGE
    }
}

/// What a batch did.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    /// This shard's summary (also in `_shards/K-of-N.json`).
    pub summary: BatchSummary,
    /// The summary over all shards, once every shard has written its own (`summary.json`).
    pub merged: Option<BatchSummary>,
}

impl BatchOutcome {
    /// 0 all analysed cleanly, 4 some tickets failed or partial, 130 interrupted.
    pub fn exit_code(&self) -> u8 {
        let s = &self.summary;
        if s.interrupted {
            EXIT_INTERRUPTED
        } else if s.tickets_failed + s.tickets_partial > 0 {
            EXIT_PARTIAL
        } else {
            EXIT_OK
        }
    }
}

fn out_err(path: &Path, message: impl Into<String>) -> BatchError {
    BatchError::OutDir {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// `_shards/K-of-N.json`.
pub fn shard_summary_path(out_dir: &Path, shard: Shard) -> PathBuf {
    out_dir
        .join(SHARDS_DIR)
        .join(format!("{}-of-{}.json", shard.index, shard.count))
}

/// Shard summaries present in `out_dir`: (K, N, path).
fn shard_summaries(out_dir: &Path) -> Vec<(u32, u32, PathBuf)> {
    let Ok(rd) = std::fs::read_dir(out_dir.join(SHARDS_DIR)) else {
        return Vec::new();
    };
    let mut out: Vec<(u32, u32, PathBuf)> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".json")?;
            let (k, n) = stem.split_once("-of-")?;
            Some((k.parse().ok()?, n.parse().ok()?, e.path()))
        })
        .collect();
    out.sort();
    out
}

fn write_json_atomically(path: &Path, value: &BatchSummary) -> Result<(), BatchError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| out_err(path, format!("rendering JSON: {e}")))?
        + "\n";
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    ));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| out_err(dir, e.to_string()))?;
    }
    std::fs::write(&tmp, text).map_err(|e| out_err(&tmp, e.to_string()))?;
    if std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(path);
        std::fs::rename(&tmp, path).map_err(|e| out_err(path, e.to_string()))?;
    }
    Ok(())
}

/// Prepares OUTDIR: creates it, refuses one holding a batch split into a different number of
/// shards (the datasets would mix), and removes this shard's stale markers.
fn prepare_out_dir(out: &Path, shard: Shard) -> Result<(), BatchError> {
    if out.exists() && !out.is_dir() {
        return Err(out_err(out, "exists and is not a folder"));
    }
    std::fs::create_dir_all(out).map_err(|e| out_err(out, e.to_string()))?;
    if let Some((_, n, p)) = shard_summaries(out)
        .into_iter()
        .find(|(_, n, _)| *n != shard.count)
    {
        return Err(out_err(
            out,
            format!(
                "holds a batch split into {n} shards ({}), this run uses {}; use another output folder",
                p.display(),
                shard.count
            ),
        ));
    }
    for stale in [
        shard_summary_path(out, shard),
        out.join("summary.json"),
        out.join("_SUCCESS"),
    ] {
        if stale.exists() {
            std::fs::remove_file(&stale).map_err(|e| out_err(&stale, e.to_string()))?;
        }
    }
    Ok(())
}

fn work_root(out: &Path, shard: Shard) -> PathBuf {
    out.join(WORK_DIR).join(format!("shard={}", shard.index))
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Analyses one ticket; never fails, never panics outward.
pub fn process_ticket(
    t: &TicketRef,
    catalog: &Catalog,
    opts: &AnalyzeOptions,
    work_root: &Path,
) -> TicketOutcome {
    let started = Utc::now();
    let clock = Instant::now();
    let timing = |clock: Instant| Timing {
        started,
        elapsed_ms: i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX),
    };
    if let Some(problem) = &t.problem {
        return rows::failed_outcome(t, problem.clone(), timing(clock));
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let prepared = ticket::prepare(t, work_root, &opts.ingest.limits);
        let analysis = analyze(&prepared.inputs, catalog, opts);
        rows::outcome(t, &prepared, &analysis, timing(clock))
        // `analysis` (every event of both hosts) and the extracted zips are dropped here.
    }));
    match result {
        Ok(o) => o,
        Err(p) => rows::failed_outcome(
            t,
            format!(
                "the analyzer panicked (a bug; please report it with this ticket): {}",
                panic_message(p.as_ref())
            ),
            timing(clock),
        ),
    }
}

/// Runs a batch: discovers the tickets, keeps this shard's, analyses them in chunks, streams
/// the tables, and writes the summaries. Stops early (writing what was done) when
/// `opts.stop` is set.
pub fn run(opts: &BatchOptions, catalog: &Catalog) -> Result<BatchOutcome, BatchError> {
    if opts.inputs.is_empty() {
        return Err(BatchError::Options("give at least one INPUT".into()));
    }
    let started = Utc::now();
    let out = &opts.out_dir;
    prepare_out_dir(out, opts.shard)?;
    let found = ticket::discover(&opts.inputs, opts.each_input_is_ticket, out)?;
    let tickets_found = found.tickets.len() as u64;
    let mine: Vec<TicketRef> = found
        .tickets
        .into_iter()
        .filter(|t| opts.shard.owns(&t.id))
        .collect();
    let work = work_root(out, opts.shard);
    let _ = std::fs::remove_dir_all(&work);

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .thread_name(|i| format!("rdpdiag-batch-{i}"))
        .build()
        .map_err(|e| BatchError::Options(format!("cannot start worker threads: {e}")))?;
    let mut writer = DatasetWriter::create(out, opts.shard, opts.csv, opts.writer)?;
    let progress = Progress::new(opts.progress, mine.len() as u64, opts.progress_every);
    let mut tally = summary::Tally::default();
    let mut announced = false;
    for chunk in mine.chunks(opts.chunk_size.max(1)) {
        if opts.stop.load(Ordering::Relaxed) {
            break;
        }
        let outcomes: Vec<Option<TicketOutcome>> = pool.install(|| {
            chunk
                .par_iter()
                .with_max_len(1)
                .map(|t| {
                    if opts.stop.load(Ordering::Relaxed) {
                        return None;
                    }
                    let o = match opts.ticket_info.get(&t.id) {
                        Some(d) => {
                            let mut a = opts.analyze.clone();
                            a.diagnose = d.clone();
                            process_ticket(t, catalog, &a, &work)
                        }
                        None => process_ticket(t, catalog, &opts.analyze, &work),
                    };
                    progress.ticket_done(o.status == Status::Failed);
                    Some(o)
                })
                .collect()
        });
        for o in outcomes.into_iter().flatten() {
            tally.add(&o);
            writer.add(o.rows)?;
        }
        if opts.stop.load(Ordering::Relaxed) && !announced {
            announced = true;
            progress.note("rdpdiag batch: interrupted; writing what was done");
        }
    }
    progress.finish();
    let rows = writer.finish()?;
    let _ = std::fs::remove_dir_all(&work);
    let _ = std::fs::remove_dir(out.join(WORK_DIR));

    let summary = tally.into_summary(
        (opts.shard.index, opts.shard.count),
        started,
        Utc::now(),
        tickets_found,
        mine.len() as u64,
        found.not_tickets,
        rows,
    );
    write_json_atomically(&shard_summary_path(out, opts.shard), &summary)?;
    let merged = merge_if_complete(out, opts.shard.count)?;
    Ok(BatchOutcome { summary, merged })
}

/// Once every shard has written its summary, writes `summary.json` (merged) and, when none
/// was interrupted, `_SUCCESS`. Two shards finishing together may both do it; the result is
/// the same.
pub fn merge_if_complete(out: &Path, count: u32) -> Result<Option<BatchSummary>, BatchError> {
    let present = shard_summaries(out);
    let mut parts = Vec::new();
    for k in 0..count {
        let Some((_, _, path)) = present.iter().find(|(i, n, _)| *i == k && *n == count) else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(|e| out_err(path, e.to_string()))?;
        let s: BatchSummary =
            serde_json::from_str(&text).map_err(|e| out_err(path, format!("unreadable summary: {e}")))?;
        parts.push(s);
    }
    let Some(merged) = summary::merge(&parts) else {
        return Ok(None);
    };
    write_json_atomically(&out.join("summary.json"), &merged)?;
    if !merged.interrupted {
        let ok = out.join("_SUCCESS");
        std::fs::write(&ok, b"").map_err(|e| out_err(&ok, e.to_string()))?;
    }
    Ok(Some(merged))
}
