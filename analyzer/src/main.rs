//! `rdpdiag`: thin command line over the library.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use rdpdiag::evtx_ingest::Interest;
use rdpdiag::input::Limits;
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
            eprintln!("rdpdiag: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
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
