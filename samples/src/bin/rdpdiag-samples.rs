//! `rdpdiag-samples`: lists and generates scenario bundles for RDP 0x904 / extended 0x7.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use rdpdiag_samples::committed::committed_set;
use rdpdiag_samples::scenario::{self, GenerateOptions, Layout, Packaging, ScaleShape, TimeZoneOpt};

#[derive(Parser)]
#[command(
    name = "rdpdiag-samples",
    version,
    about = "Generate realistic client/server diagnostic bundles for each root cause of RDP error 0x904 / extended 0x7"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the scenarios with their expected root cause.
    List,
    /// Generate the client and server bundles of one or more scenarios.
    Generate(GenerateArgs),
    /// Regenerate the committed sample set (samples/bundles) and its README.
    Committed {
        /// Output folder.
        #[arg(short, long, default_value = "samples/bundles")]
        out: PathBuf,
    },
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// Scenario names (see `list`); none or `all` means every scenario.
    scenarios: Vec<String>,
    /// Output folder.
    #[arg(short, long, default_value = "out/samples")]
    out: PathBuf,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Connection attempts by the user.
    #[arg(long, default_value_t = 3)]
    attempts: usize,
    /// Client clock minus server clock: seconds, or with a unit (90s, 15m, -3h).
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    skew: String,
    /// Client time zone as NAME=OFFSET_MINUTES.
    #[arg(
        long,
        default_value = "Pacific Standard Time=-480",
        allow_hyphen_values = true
    )]
    client_tz: String,
    /// Server time zone as NAME=OFFSET_MINUTES.
    #[arg(long, default_value = "UTC=0", allow_hyphen_values = true)]
    server_tz: String,
    /// Unrelated records per host (System, Application, Security).
    #[arg(long, default_value_t = 600)]
    noise: u64,
    /// Layout: bundle (ours, with manifest), msrd (MSRD-Collect), adhoc (loose files).
    #[arg(long, default_value = "bundle")]
    layout: Layout,
    /// Write folders instead of zips.
    #[arg(long)]
    dir: bool,
    /// Scale mode for benchmarks: about this many MB of EVTX per ticket.
    #[arg(long)]
    evtx_mb: Option<u64>,
    /// Scale mode's kind of ticket: ticket (the benchmark's: Security 55%, System 15%, RDP
    /// channels most of the rest) or busy-server (Security ~92%: network logons and 4688
    /// process creations; System ~5.5%: SCM 7036).
    #[arg(long, default_value = "ticket")]
    scale_shape: ScaleShape,
    /// Put hostile strings (script tags, attribute breakers, bidi overrides, NUL, lone
    /// surrogates) into every free-text field, for testing what renders reports.
    #[arg(long)]
    hostile_strings: bool,
    /// Leave out the audit's traps (a DC's LDAPS 36870, an outbound 36871, a UDP/3389 drop, a
    /// planned reboot, a certificate fall-back, CAPI2 successes, oracle=2 clients): events real
    /// servers log that must not count as evidence.
    #[arg(long)]
    without_traps: bool,
    /// Language and format culture of the command outputs: en, de, fr, ja.
    #[arg(long, default_value = "en")]
    locale: String,
}

fn parse_skew(s: &str) -> Result<i64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last() {
        Some('s') => (&s[..s.len() - 1], 1),
        Some('m') => (&s[..s.len() - 1], 60),
        Some('h') => (&s[..s.len() - 1], 3600),
        _ => (s, 1),
    };
    let v: i64 = num
        .parse()
        .with_context(|| format!("--skew {s:?}: expected seconds or 90s/15m/-3h"))?;
    Ok(v * mult)
}

fn parse_tz(s: &str) -> Result<TimeZoneOpt> {
    let (name, off) = s
        .rsplit_once('=')
        .with_context(|| format!("time zone {s:?}: expected NAME=OFFSET_MINUTES"))?;
    let offset_minutes: i32 = off
        .trim()
        .parse()
        .with_context(|| format!("time zone {s:?}: offset is not a number of minutes"))?;
    if offset_minutes.abs() > 14 * 60 {
        bail!("time zone {s:?}: offset beyond +-14 h");
    }
    Ok(TimeZoneOpt {
        name: name.trim().to_string(),
        offset_minutes,
    })
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::List => {
            println!("{:<30} {:<28} summary", "scenario", "expected top cause");
            for s in scenario::catalog() {
                let top = s
                    .expected_top
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into());
                println!("{:<30} {:<28} {}", s.name, top, s.summary);
            }
        }
        Command::Generate(a) => {
            let specs = if a.scenarios.is_empty() || a.scenarios.iter().any(|s| s == "all") {
                scenario::catalog()
            } else {
                a.scenarios
                    .iter()
                    .map(|n| {
                        scenario::find(n)
                            .with_context(|| format!("unknown scenario {n:?}; run `rdpdiag-samples list`"))
                    })
                    .collect::<Result<Vec<_>>>()?
            };
            let opts = GenerateOptions {
                seed: a.seed,
                attempts: a.attempts,
                skew_seconds: parse_skew(&a.skew)?,
                client_tz: parse_tz(&a.client_tz)?,
                server_tz: parse_tz(&a.server_tz)?,
                noise: a.noise,
                layout: a.layout,
                packaging: if a.dir { Packaging::Dir } else { Packaging::Zip },
                evtx_mb: a.evtx_mb,
                scale_shape: a.scale_shape,
                hostile_strings: a.hostile_strings,
                without_traps: a.without_traps,
                locale: rdpdiag_samples::text::Locale::parse(&a.locale)
                    .with_context(|| format!("--locale {:?}: expected en, de, fr or ja", a.locale))?,
            };
            for spec in specs {
                let t = Instant::now();
                let g = scenario::generate(spec, &opts, &a.out)
                    .with_context(|| format!("generating scenario {}", spec.name))?;
                println!(
                    "{:<28} {} + {} ({:.1?}, {} + {})",
                    spec.name,
                    g.client.display(),
                    g.server.display(),
                    t.elapsed(),
                    human(size_of(&g.client)),
                    human(size_of(&g.server)),
                );
            }
        }
        Command::Committed { out } => {
            let mut worlds = Vec::new();
            for (spec, opts) in committed_set() {
                let g = scenario::generate(spec, &opts, &out)
                    .with_context(|| format!("generating {} ({})", spec.name, opts.layout.as_str()))?;
                println!("{}  {}", g.client.display(), g.server.display());
                if opts.layout == Layout::Bundle {
                    worlds.push((opts.skew_seconds, g.world));
                }
            }
            let readme = rdpdiag_samples::committed::readme(&worlds);
            std::fs::write(out.join("README.md"), readme).context("writing README.md")?;
        }
    }
    Ok(())
}

fn size_of(p: &Path) -> u64 {
    if p.is_dir() {
        std::fs::read_dir(p)
            .map(|rd| rd.flatten().map(|e| size_of(&e.path())).sum())
            .unwrap_or(0)
    } else {
        std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
    }
}

fn human(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1 << 20) as f64)
    } else {
        format!("{:.0} KiB", n as f64 / 1024.0)
    }
}
