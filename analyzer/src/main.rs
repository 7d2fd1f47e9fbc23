//! `rdpdiag`: thin command line over the library.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use rdpdiag::analyze::{AnalyzeOptions, analyze};
use rdpdiag::artifact::Outcome;
use rdpdiag::evtx_ingest::Interest;
use rdpdiag::input::Limits;
use rdpdiag::report::text::terminal_safe;
use rdpdiag::report::{self, Format as ReportFormat};
use rdpdiag::rules::{Catalog, check_dir};
use rdpdiag::{IngestOptions, inspect, render_json, render_text};

/// Diagnoses Windows Remote Desktop failures ("Error code 0x904, Extended error code 0x7").
#[derive(Debug, Parser)]
#[command(name = "rdpdiag", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what each input is and what could be read from it.
    ///
    /// Inputs: rdpdiag bundles (zip or folder), MSRD-Collect results (zip or folder), ad-hoc
    /// zips or folders of .evtx/.reg/.txt files, or single files. Nothing is extracted to disk.
    /// Exit status 1 when an input could not be opened at all.
    Inspect(InspectArgs),
    /// Diagnose a ticket: pair client and server, correct clock skew, name the root cause.
    ///
    /// PATH may be bundles, MSRD-Collect results, ad-hoc zips/folders, single files, or a ticket
    /// folder holding such bundles. Exit status: 0 a cause was diagnosed, 1 nothing failed
    /// (or no attempt was found, or every failure ended with a code that is not a 0x904 one,
    /// such as 0x807 credentials refused), 2 bad input or usage, 3 failures found but the
    /// evidence is insufficient (the report says what to collect next).
    Analyze(AnalyzeArgs),
    /// Explain a disconnect reason and, optionally, an extended reason (decimal or 0x hex).
    Explain {
        /// Disconnect reason, e.g. 0x904 or 2308.
        code: String,
        /// Extended reason, e.g. 0x7.
        ext: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// One merged, skew-corrected timeline of both hosts.
    Timeline(TimelineArgs),
    /// List or check the rule catalog.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Analyse many tickets: Parquet and CSV tables, a summary, progress while it runs.
    ///
    /// INPUT is a folder of tickets (each subfolder or zip is one ticket) or a ticket (a bundle
    /// folder, a zip, a folder of logs). Tables go to OUTDIR/<table>/shard=<K>/part-NNNNN.parquet
    /// and OUTDIR/csv/<table>/shard=<K>/part-NNNNN.csv; the summary to OUTDIR/summary.json.
    /// Ctrl-C (or SIGTERM) finishes the tickets in progress and writes what was done.
    /// Exit status: 0 every ticket analysed, 4 partial (some tickets failed or were read only
    /// in part: see the errors table), 2 bad usage or output folder, 130 interrupted.
    #[cfg(feature = "batch")]
    Batch(BatchArgs),
}

#[cfg(feature = "batch")]
#[derive(Debug, clap::Args)]
struct BatchArgs {
    /// Folders of tickets, or tickets.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Output folder (created; may already hold other shards of the same batch).
    #[arg(short, long, value_name = "OUTDIR")]
    output: PathBuf,
    /// Process only shard K of N (0-based), e.g. 2/8; tickets go to shard FNV-1a(id) % N.
    /// `auto`: K/N of this array-job task (Kubernetes JOB_COMPLETION_INDEX and JOB_COMPLETIONS,
    /// Slurm SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, AWS Batch AWS_BATCH_JOB_ARRAY_INDEX
    /// and AWS_BATCH_JOB_ARRAY_SIZE).
    #[arg(long, value_name = "K/N|auto")]
    shard: Option<rdpdiag::batch::ShardSpec>,
    /// Worker threads (default: one per core).
    #[arg(short, long)]
    jobs: Option<usize>,
    /// Tickets analysed per chunk; bounds how many analyses are in memory at once.
    #[arg(long, default_value_t = 64)]
    chunk: usize,
    /// Write Parquet only.
    #[arg(long)]
    no_csv: bool,
    /// Tickets per part file (a shard starts part-00001 ... after that many).
    #[arg(long, default_value_t = 2048)]
    tickets_per_part: usize,
    /// Treat each INPUT as one ticket, even a folder of bundle zips.
    #[arg(long)]
    input_is_ticket: bool,
    /// Progress display (auto: a bar on a terminal, plain lines otherwise).
    #[arg(long, value_enum, default_value_t = ProgressArg::Auto)]
    progress: ProgressArg,
    /// Seconds between plain progress lines.
    #[arg(long, default_value_t = 10)]
    progress_every: u64,
    /// Folder of rule files that add to or override the embedded rules.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Summary format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 0, not 4, when some tickets failed or were read in part (they are in the errors
    /// table): for job runners that retry a task on any other status.
    #[arg(long)]
    partial_ok: bool,
    /// The codes every ticket's user saw, DISCONNECT[/EXTENDED] (as `analyze --reported`).
    #[arg(long, value_name = "CODES")]
    reported: Option<rdpdiag::diagnose::ReportedCode>,
    /// CSV of what each user reported: a header with `ticket` (the ticket id) and any of
    /// `reported` (0x904/0x7), `since`, `until` (RFC 3339). Listed tickets use these instead
    /// of --reported.
    #[arg(long, value_name = "FILE")]
    ticket_info: Option<PathBuf>,
}

#[cfg(feature = "batch")]
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProgressArg {
    Auto,
    Bar,
    Plain,
    None,
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// List the rules in force (embedded, plus --rules DIR).
    List {
        /// Folder of rule files that add to or override the embedded ones.
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Validate every rule file in DIR; errors name the file and line. Exit 2 on errors.
    Check {
        /// Folder of rule files.
        dir: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct AnalyzeArgs {
    /// Inputs (see `inspect`), or a ticket folder of them.
    paths: Vec<PathBuf>,
    /// Keep every network logon (Security 4624 type 3), not only those from addresses the RDP
    /// channels and the hosts show: the same diagnosis, slower on a busy server (for
    /// comparisons and the benchmark).
    #[arg(long, hide = true)]
    keep_every_network_logon: bool,
    /// Inputs to treat as the client, whatever they look like.
    #[arg(long)]
    client: Vec<PathBuf>,
    /// Inputs to treat as the server, whatever they look like.
    #[arg(long)]
    server: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Write the report here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Folder of rule files that add to or override the embedded rules.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// The codes the user saw, DISCONNECT[/EXTENDED], e.g. 0x904/0x7. Used where the client's
    /// log has no 1026 (server-only tickets) and for the extended code, which 1026 never logs.
    #[arg(long, value_name = "CODES")]
    reported: Option<rdpdiag::diagnose::ReportedCode>,
    /// Only attempts from this time on (RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` in UTC; each
    /// attempt's own host clock).
    #[arg(long, value_parser = parse_time)]
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only attempts up to this time (same forms as --since).
    #[arg(long, value_parser = parse_time)]
    until: Option<chrono::DateTime<chrono::Utc>>,
}

/// `2024-08-22T14:09:00+02:00`, `2024-08-22T12:09:00Z`, `2024-08-22 12:09[:00]` (UTC).
fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s.trim(), f) {
            return Ok(t.and_utc());
        }
    }
    Err(format!(
        "{s:?}: give a time as 2024-08-22T14:09:00+02:00, 2024-08-22T12:09:00Z or 2024-08-22 12:09 (UTC)"
    ))
}

#[derive(Debug, clap::Args)]
struct TimelineArgs {
    /// Inputs (see `inspect`), or a ticket folder of them.
    paths: Vec<PathBuf>,
    /// Inputs to treat as the client.
    #[arg(long)]
    client: Vec<PathBuf>,
    /// Inputs to treat as the server.
    #[arg(long)]
    server: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TimelineFormat::Text)]
    format: TimelineFormat,
    /// Write here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TimelineFormat {
    Text,
    Csv,
    Jsonl,
    /// JSONL for Timesketch's importer (message, datetime, timestamp_desc, ...).
    Timesketch,
}

#[derive(Debug, clap::Args)]
struct InspectArgs {
    /// Inputs: zip files, folders or single files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Largest uncompressed file read from an input, MiB.
    #[arg(long, default_value_t = 1024)]
    max_entry_mib: u64,
    /// Most uncompressed bytes read from one input, MiB.
    #[arg(long, default_value_t = 4096)]
    max_total_mib: u64,
    /// Highest compression ratio accepted for a zip entry over 1 MiB.
    #[arg(long, default_value_t = 200)]
    max_ratio: u64,
    /// Keep every event record, not only those the rules need (slower; for debugging).
    #[arg(long)]
    all_events: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rdpdiag: {}", terminal_safe(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

fn catalog(dir: Option<&PathBuf>) -> anyhow::Result<Catalog> {
    let c = match dir {
        Some(d) => Catalog::with_overrides(d),
        None => Catalog::embedded(),
    };
    c.map_err(|errs| {
        anyhow::anyhow!(
            "{}",
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
        )
    })
}

/// One line on why nothing of input `i` could be used.
fn why_unusable(i: &rdpdiag::InputReport) -> String {
    if i.container.is_none() {
        // The error names the input already.
        return i
            .problems
            .first()
            .map(|p| p.message.clone())
            .unwrap_or_else(|| format!("{}: could not be opened", i.input));
    }
    let count = |f: fn(&Outcome) -> bool| i.artifacts.iter().filter(|a| f(&a.outcome)).count();
    let rejected = count(|o| matches!(o, Outcome::Rejected { .. }));
    let unreadable = count(|o| matches!(o, Outcome::Unreadable { .. }));
    let not_parsed = count(|o| matches!(o, Outcome::NotParsed { .. }));
    let first = i
        .artifacts
        .iter()
        .find_map(|a| match &a.outcome {
            Outcome::Rejected { reason } | Outcome::Unreadable { reason } | Outcome::NotParsed { reason } => {
                Some(format!("; first: {}: {reason}", a.path))
            }
            Outcome::Parsed => None,
        })
        .or_else(|| i.problems.first().map(|p| format!("; {}", p.message)))
        .unwrap_or_default();
    format!(
        "{}: nothing usable in {} entries ({rejected} rejected, {unreadable} unreadable, {not_parsed} of no known kind){first}",
        i.input,
        i.artifacts.len()
    )
}

fn write_out(output: Option<&PathBuf>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display())),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .context("writing to standard output"),
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze(args) => {
            if args.paths.is_empty() && args.client.is_empty() && args.server.is_empty() {
                anyhow::bail!("give at least one input (bundle, zip, folder or file)");
            }
            let cat = catalog(args.rules.as_ref())?;
            let mut paths = args.paths.clone();
            paths.extend(args.client.iter().cloned());
            paths.extend(args.server.iter().cloned());
            if let (Some(s), Some(u)) = (args.since, args.until)
                && s > u
            {
                anyhow::bail!("--since {s} is after --until {u}");
            }
            let opts = AnalyzeOptions {
                ingest: rdpdiag::ingest::IngestOptions {
                    keep_every_network_logon: args.keep_every_network_logon,
                    ..Default::default()
                },
                force_client: args.client,
                force_server: args.server,
                diagnose: rdpdiag::diagnose::DiagnoseOptions {
                    reported: args.reported,
                    since: args.since,
                    until: args.until,
                },
            };
            let a = analyze(&paths, &cat, &opts);
            write_out(args.output.as_ref(), &report::render(&a.report, args.format))?;
            // Bad input: not one artifact of any input could be used (unopenable inputs, or
            // every entry rejected, unreadable or of no known kind). Say why, per input.
            let usable = a
                .inputs
                .iter()
                .any(|i| i.artifacts.iter().any(|x| matches!(x.outcome, Outcome::Parsed)));
            if !usable {
                for i in &a.inputs {
                    eprintln!("rdpdiag: {}", terminal_safe(&why_unusable(i)));
                }
                eprintln!("rdpdiag: no input could be read");
                return Ok(ExitCode::from(2));
            }
            let code = match a.report.verdict.as_str() {
                "diagnosed" => 0,
                "insufficient-evidence" => 3,
                _ => 1,
            };
            // The process ends here: freeing a big ticket's events one by one would take a
            // tenth of the run, and the OS takes the memory back at once.
            std::mem::forget(a);
            Ok(ExitCode::from(code))
        }
        Command::Explain { code, ext, format } => {
            let c = rdpdiag_schemas::codes::parse_code(&code)
                .with_context(|| format!("disconnect reason {code:?}"))?;
            let e = match ext {
                Some(x) => Some(
                    rdpdiag_schemas::codes::parse_code(&x)
                        .with_context(|| format!("extended reason {x:?}"))?,
                ),
                None => None,
            };
            let ex = rdpdiag_schemas::codes::explain(c, e);
            let text = match format {
                Format::Text => format!("{ex}"),
                Format::Json => serde_json::to_string_pretty(&ex).context("rendering JSON")? + "\n",
            };
            write_out(None, &text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Timeline(args) => {
            let cat = catalog(None)?;
            let mut paths = args.paths.clone();
            paths.extend(args.client.iter().cloned());
            paths.extend(args.server.iter().cloned());
            let opts = AnalyzeOptions {
                force_client: args.client,
                force_server: args.server,
                ..AnalyzeOptions::default()
            };
            let a = analyze(&paths, &cat, &opts);
            let rows = rdpdiag::timeline::merged(&a.ticket, &a.correlation);
            let text = match args.format {
                TimelineFormat::Text => rdpdiag::timeline::to_text(&rows, &a.correlation),
                TimelineFormat::Csv => rdpdiag::timeline::to_csv(&rows),
                TimelineFormat::Jsonl => rdpdiag::timeline::to_jsonl(&rows),
                TimelineFormat::Timesketch => rdpdiag::timeline::to_timesketch(&rows, &a.correlation),
            };
            write_out(args.output.as_ref(), &text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules {
            command: RulesCommand::List { rules },
        } => {
            let cat = catalog(rules.as_ref())?;
            let mut s = String::new();
            for r in &cat.rules {
                let sup = r.evidence.iter().filter(|e| e.weight > 0.0).count();
                let refu = r.evidence.len() - sup;
                s.push_str(&format!(
                    "{:<28} prior {:.2}  {} supporting, {} refuting  {}  [{}]\n",
                    r.id.to_string(),
                    r.prior,
                    sup,
                    refu,
                    r.title,
                    r.origin
                ));
            }
            write_out(None, &s)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules {
            command: RulesCommand::Check { dir },
        } => {
            let (rules, errors) = check_dir(&dir);
            for e in &errors {
                eprintln!("{e}");
            }
            println!("{} rule file(s) valid, {} error(s)", rules.len(), errors.len());
            Ok(if errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        #[cfg(feature = "batch")]
        Command::Batch(args) => run_batch(args),
        Command::Inspect(args) => {
            let limits = Limits {
                max_entry_bytes: args.max_entry_mib.saturating_mul(1 << 20),
                max_total_bytes: args.max_total_mib.saturating_mul(1 << 20),
                max_ratio: args.max_ratio,
                ..Limits::default()
            };
            let opts = IngestOptions {
                limits,
                interest: if args.all_events {
                    Interest::everything()
                } else {
                    Interest::default()
                },
                keep_every_network_logon: false,
            };
            let report = inspect(&args.paths, &opts);
            let text = match args.format {
                Format::Text => render_text(&report),
                Format::Json => render_json(&report),
            };
            std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .context("writing the report")?;
            Ok(if report.totals.inputs_unreadable > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// `rdpdiag batch`: the library does the work; here are the Ctrl-C handler and the printing.
#[cfg(feature = "batch")]
fn run_batch(args: BatchArgs) -> anyhow::Result<ExitCode> {
    use rdpdiag::batch::{self, BatchOptions, ProgressMode};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let cat = catalog(args.rules.as_ref())?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // A second Ctrl-C stops at once; the parts being written stay under their temporary names.
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            eprintln!("rdpdiag batch: stopped; this shard's output is incomplete");
            std::process::exit(i32::from(batch::EXIT_INTERRUPTED));
        }
        eprintln!(
            "rdpdiag batch: interrupted: finishing the tickets in progress and writing what was done \
             (press Ctrl-C again to stop at once)"
        );
    })
    .context("installing the Ctrl-C handler")?;
    let mut opts = BatchOptions::new(args.inputs, args.output);
    opts.shard = match args.shard {
        Some(spec) => spec.resolve(|var| std::env::var(var).ok())?,
        None => batch::Shard::ALL,
    };
    opts.jobs = args.jobs;
    opts.chunk_size = args.chunk.max(1);
    opts.csv = !args.no_csv;
    opts.writer.part_tickets = args.tickets_per_part.max(1);
    opts.each_input_is_ticket = args.input_is_ticket;
    opts.analyze.diagnose.reported = args.reported;
    if let Some(f) = &args.ticket_info {
        match batch::ticket_info::read(f) {
            Ok(m) => opts.ticket_info = m,
            Err(errors) => {
                for e in &errors {
                    eprintln!("rdpdiag batch: {}", terminal_safe(&e.to_string()));
                }
                return Ok(ExitCode::from(2));
            }
        }
    }
    opts.progress = match args.progress {
        ProgressArg::Auto => ProgressMode::Auto,
        ProgressArg::Bar => ProgressMode::Bar,
        ProgressArg::Plain => ProgressMode::Plain,
        ProgressArg::None => ProgressMode::Off,
    };
    opts.progress_every = std::time::Duration::from_secs(args.progress_every.max(1));
    opts.stop = stop;
    let outcome = match batch::run(&opts, &cat) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("rdpdiag batch: {e}");
            return Ok(ExitCode::from(e.exit_code()));
        }
    };
    let text = match args.format {
        Format::Text => {
            let mut t = batch::summary::render_text(&outcome.summary);
            t.push_str(&format!("Output: {}\n", opts.out_dir.display()));
            if opts.shard.count > 1 && outcome.merged.is_some() {
                t.push_str(&format!(
                    "All {} shards are done: {} covers them all.\n",
                    opts.shard.count,
                    opts.out_dir.join("summary.json").display()
                ));
            }
            t
        }
        Format::Json => serde_json::to_string_pretty(&outcome.summary).context("rendering JSON")? + "\n",
    };
    write_out(None, &text)?;
    Ok(ExitCode::from(match outcome.exit_code() {
        batch::EXIT_PARTIAL if args.partial_ok => batch::EXIT_OK,
        code => code,
    }))
}
