//! `rdpdiag-collect`: builds a diagnostic bundle for an RDP 0x904 / extended 0x7 failure.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use rdpdiag_collect::pack::{PackOptions, pack};
use rdpdiag_schemas::Role;

#[derive(Parser)]
#[command(
    name = "rdpdiag-collect",
    version,
    about = "Collect a diagnostic bundle for a failing Remote Desktop connection (0x904 / 0x7)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Client,
    Server,
    Both,
    Unknown,
}

#[derive(Subcommand)]
enum Command {
    /// Pack files you already exported (.evtx, reg export files, command outputs) into a bundle
    /// with a manifest and SHA-256 hashes. Kinds are recognised by content.
    Pack {
        /// Folder with the files.
        source: PathBuf,
        /// Bundle to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Name of the machine the files come from.
        #[arg(long)]
        host: String,
        /// Whether that machine was the RDP client or the server.
        #[arg(long, value_enum, default_value = "unknown")]
        role: RoleArg,
        /// Support ticket id.
        #[arg(long)]
        ticket: Option<String>,
        /// Largest file packed, in MiB.
        #[arg(long, default_value_t = 2048)]
        max_file_mib: u64,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Pack {
            source,
            output,
            host,
            role,
            ticket,
            max_file_mib,
        } => {
            if !source.is_dir() {
                anyhow::bail!("{} is not a folder", source.display());
            }
            let role = match role {
                RoleArg::Client => Role::Client,
                RoleArg::Server => Role::Server,
                RoleArg::Both => Role::Both,
                RoleArg::Unknown => Role::Unknown,
            };
            let report = pack(&PackOptions {
                source: source.clone(),
                output,
                host,
                role,
                ticket,
                max_file_bytes: max_file_mib.saturating_mul(1024 * 1024),
            })
            .with_context(|| format!("packing {}", source.display()))?;
            for (path, kind, size) in &report.packed {
                println!("packed  {path}  ({kind:?}, {size} bytes)");
            }
            for (file, why) in &report.skipped {
                eprintln!("skipped {}: {why}", file.display());
            }
            println!("bundle: {}", report.bundle.display());
        }
    }
    Ok(())
}
