//! `rdpdiag-collect`: builds a diagnostic bundle for an RDP 0x904 / extended 0x7 failure.
#![forbid(unsafe_code)]

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use rdpdiag_collect::collect::{self, CollectOptions, Progress, RoleChoice, Since, StepResult};
use rdpdiag_collect::notice::{NoticeFacts, notice};
use rdpdiag_collect::pack::{PackOptions, pack};
use rdpdiag_collect::plan::{Source, Step};
use rdpdiag_schemas::{ArtifactStatus, Role};

#[derive(Parser)]
#[command(
    name = "rdpdiag-collect",
    version,
    about = "Collect a diagnostic bundle for a failing Remote Desktop connection (0x904 / 0x7)",
    long_about = "Collect a diagnostic bundle for a failing Remote Desktop connection \
                  (\"Error code 0x904, Extended error code 0x7\").\n\n\
                  Without a subcommand it collects from this Windows machine with its built-in tools \
                  (run it as administrator), or from an offline Windows volume with --from-volume \
                  (any OS), into one zip. Run it on the client and, if you can, on the server.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    collect: CollectArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Client,
    Server,
    Both,
    Unknown,
}

#[derive(Clone, Copy, ValueEnum)]
enum CollectRoleArg {
    /// Server when the RDP listener is enabled, client otherwise (on a volume: from its hives and logs).
    Auto,
    /// The machine running mstsc / MSRDC / Windows App.
    Client,
    /// The machine accepting RDP connections.
    Server,
    /// Both (e.g. a jump host).
    Both,
}

#[derive(Args)]
struct CollectArgs {
    /// Role of this machine in the failing connection.
    #[arg(long, value_enum, default_value = "auto")]
    role: CollectRoleArg,
    /// Start of the window: a duration back from now (7d, 36h, 90m, 2w) or a UTC time
    /// (2024-01-15, 2024-01-15T08:00:00Z).
    #[arg(long, default_value = "7d", value_name = "WHEN")]
    since: String,
    /// Support ticket id, recorded in the manifest.
    #[arg(long)]
    ticket: Option<String>,
    /// Bundle to write (.zip), or a folder to write rdpdiag-<host>-<role>-<time>.zip into.
    #[arg(short, long, default_value = ".", value_name = "PATH")]
    output: PathBuf,
    /// Print every step that would be taken, then stop (nothing is run or written).
    #[arg(long)]
    dry_run: bool,
    /// Replace user names, host names, SIDs and IP addresses with keyed pseudonyms; event logs
    /// are reduced to the records the analyzer uses and redacted (the raw .evtx is left out),
    /// hives and reg exports to the keys it reads (raw hives left out); ETL traces are left out.
    #[arg(long)]
    redact: bool,
    /// Key of the pseudonyms (implies --redact): give the client and the server collection of
    /// one ticket the same file so that their bundles stay joinable. Default: a random key.
    #[arg(long, value_name = "FILE")]
    redact_key_file: Option<PathBuf>,
    /// Cap on the uncompressed size of the bundle's files (e.g. 500M, 2G; a bare number is bytes).
    #[arg(long, default_value = "2G", value_name = "SIZE")]
    max_size: String,
    /// Collect from an offline Windows volume mounted or copied at DIR, on any OS.
    #[arg(long, value_name = "DIR")]
    from_volume: Option<PathBuf>,
    /// Host name to record (default: the computer name, read from the host or volume).
    #[arg(long)]
    host: Option<String>,
    /// Probe this RDP server from here: TCP connect, X.224 negotiation, TLS handshake (no credentials).
    #[arg(long, value_name = "HOST[:PORT]")]
    server: Option<String>,
    /// Timeout of each probe phase, milliseconds.
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    probe_timeout: u64,
    /// Also collect the Security event log (every logon of every user: opt-in).
    #[arg(long)]
    security: bool,
    /// Step ids not to run (see --dry-run), or a group: evtx, reg, hive, traces, probe ...
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    skip: Vec<String>,
    /// Do not ask for confirmation after the personal-data notice.
    #[arg(short, long)]
    yes: bool,
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
    /// Probe an RDP server and print the result as JSON (what --server stores in probe/probe.json).
    Probe {
        /// HOST[:PORT] (default port 3389).
        server: String,
        /// Timeout of each phase, milliseconds.
        #[arg(long, default_value_t = 5000, value_name = "MS")]
        timeout: u64,
    },
    /// Print the JSON Schema of probe/probe.json.
    ProbeSchema,
    /// Redact a bundle zip written without --redact: event logs reduced to the records the
    /// analyzer uses and redacted, hives and reg exports reduced to the keys it reads and
    /// redacted, ETL traces left out, text artifacts and the manifest's host redacted. Give the
    /// client and the server bundle of one ticket the same key file.
    Redact {
        /// Bundle zip to redact.
        input: PathBuf,
        /// Redacted bundle to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Key of the pseudonyms (at least 16 bytes; the same for both bundles of a ticket).
        #[arg(long, value_name = "FILE")]
        key_file: PathBuf,
    },
}

/// `7d`, `36h`, `90m`, `2w`, `600s`, or a date/time (UTC).
fn parse_since(s: &str) -> Result<Since> {
    let t = s.trim();
    if let Some(unit) = t.chars().last().filter(|c| c.is_ascii_alphabetic()) {
        let num = &t[..t.len() - 1];
        if let Ok(n) = num.parse::<i64>() {
            let d = match unit.to_ascii_lowercase() {
                'w' => chrono::Duration::try_weeks(n),
                'd' => chrono::Duration::try_days(n),
                'h' => chrono::Duration::try_hours(n),
                'm' => chrono::Duration::try_minutes(n),
                's' => chrono::Duration::try_seconds(n),
                _ => None,
            };
            return match d {
                Some(d) if n > 0 => Ok(Since::Ago(d)),
                _ => bail!("--since {s:?}: use a positive number with w, d, h, m or s"),
            };
        }
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(t) {
        return Ok(Since::At(t.with_timezone(&Utc)));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S") {
        return Ok(Since::At(t.and_utc()));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(Since::At(t.and_utc()));
    }
    bail!("--since {s:?}: expected e.g. 7d, 36h, 2024-01-15 or 2024-01-15T08:00:00Z")
}

/// `500M`, `2G`, `1.5GiB`, `1048576`.
fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .with_context(|| format!("--max-size {s:?}: not a number"))?;
    let mult: u64 = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => bail!("--max-size {s:?}: unknown unit {unit:?} (use K, M, G, T)"),
    };
    let bytes = n * mult as f64;
    if !(bytes.is_finite() && bytes >= 1.0) {
        bail!("--max-size {s:?} is too small");
    }
    Ok(bytes as u64)
}

/// One line per step on stderr: `[ 3/41] evtx:System  ok  1.2 s  1 file(s), 12.0 MB`.
struct StderrProgress {
    tty: bool,
}

impl Progress for StderrProgress {
    fn started(&mut self, index: usize, total: usize, step: &Step) {
        if self.tty {
            eprint!("[{index:>2}/{total}] {:<52} ", step.id);
            let _ = std::io::stderr().flush();
        }
    }

    fn finished(&mut self, index: usize, total: usize, step: &Step, r: &StepResult) {
        let status = match r.status {
            ArtifactStatus::Ok => "ok",
            ArtifactStatus::Partial => "partial",
            ArtifactStatus::Failed => "FAILED",
            ArtifactStatus::Skipped => "skipped",
        };
        let mut detail = r.detail.clone();
        if detail.chars().count() > 110 {
            detail = detail.chars().take(107).collect::<String>() + "...";
        }
        if !self.tty {
            eprint!("[{index:>2}/{total}] {:<52} ", step.id);
        }
        eprintln!("{status:<7} {:>6.1} s  {detail}", r.elapsed.as_secs_f64());
    }
}

fn role_of(r: CollectRoleArg) -> RoleChoice {
    match r {
        CollectRoleArg::Auto => RoleChoice::Auto,
        CollectRoleArg::Client => RoleChoice::Fixed(Role::Client),
        CollectRoleArg::Server => RoleChoice::Fixed(Role::Server),
        CollectRoleArg::Both => RoleChoice::Fixed(Role::Both),
    }
}

fn run_collect(a: CollectArgs) -> Result<()> {
    let since = parse_since(&a.since)?;
    let opts = CollectOptions {
        source: match &a.from_volume {
            Some(dir) => Source::Volume(dir.clone()),
            None => Source::Live,
        },
        role: role_of(a.role),
        since,
        ticket: a.ticket.clone(),
        output: a.output.clone(),
        redact: a.redact || a.redact_key_file.is_some(),
        redact_key: match &a.redact_key_file {
            Some(p) => Some(read_redact_key(p)?),
            None => None,
        },
        max_size: parse_size(&a.max_size)?,
        security: a.security,
        server: a.server.clone(),
        probe_timeout: Duration::from_millis(a.probe_timeout.max(1)),
        host: a.host.clone(),
        skip: a.skip.clone(),
    };
    if opts.source == Source::Live && !cfg!(windows) && !a.dry_run {
        eprintln!(
            "note: live collection uses Windows' own tools; on {} every such step will be recorded as failed \
             (use --from-volume DIR for an offline Windows volume)",
            std::env::consts::OS
        );
    }
    let prepared = collect::prepare(&opts, a.dry_run)?;
    if !a.dry_run {
        clean_stale_partials(&prepared.output);
    }
    let days = (prepared.window.until_utc - prepared.window.since_utc)
        .num_days()
        .max(1);
    let text = notice(&NoticeFacts {
        output: &prepared.output.display().to_string(),
        role: prepared.role,
        volume: matches!(opts.source, Source::Volume(_)),
        security: opts.security,
        redact: opts.redact,
        server: opts.server.as_deref(),
        days,
    });
    if a.dry_run {
        println!(
            "Dry run: nothing is run or written. Source: {}. Role: {:?} ({}).",
            match &opts.source {
                Source::Live => "this machine (live)".to_string(),
                Source::Volume(d) => format!("volume {}", d.display()),
            },
            prepared.role,
            prepared.role_reason
        );
        println!(
            "Window: {} .. {}. Bundle: {}\n",
            prepared.window.since_utc.to_rfc3339(),
            prepared.window.until_utc.to_rfc3339(),
            prepared.output.display()
        );
        print!("{}", prepared.plan.render());
        println!("\nThe user is shown this notice first:\n\n{text}");
        return Ok(());
    }
    eprintln!("{text}");
    if !a.yes && std::io::stdin().is_terminal() {
        eprint!("Collect now? [Y/n] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if matches!(answer.trim().to_ascii_lowercase().as_str(), "n" | "no") {
            bail!("cancelled: nothing was collected");
        }
    }
    eprintln!(
        "Collecting as {:?} ({}), window {} .. {}",
        prepared.role,
        prepared.role_reason,
        prepared.window.since_utc.to_rfc3339(),
        prepared.window.until_utc.to_rfc3339()
    );
    let mut progress = StderrProgress {
        tty: std::io::stderr().is_terminal(),
    };
    let done = collect::collect(prepared, &opts, &mut progress)?;
    let failed = done
        .steps
        .iter()
        .filter(|s| s.status == ArtifactStatus::Failed)
        .count();
    let partial = done
        .steps
        .iter()
        .filter(|s| s.status == ArtifactStatus::Partial)
        .count();
    eprintln!(
        "{} steps: {} failed, {} partial (details in collection-log.txt inside the bundle)",
        done.steps.len(),
        failed,
        partial
    );
    println!("bundle: {}", done.bundle.display());
    Ok(())
}

/// On SIGINT, SIGTERM or SIGHUP (Ctrl-C or Ctrl-Break on Windows) the unfinished bundle's
/// temporary output is removed and the process exits 128 + the signal (130, 143, 129; 130 on
/// Windows): no file ever appears at the target path of an interrupted run.
fn install_interrupt_handler() -> Result<()> {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            .context("installing the signal handler")?;
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let name = match sig {
                    SIGINT => "SIGINT",
                    SIGTERM => "SIGTERM",
                    _ => "SIGHUP",
                };
                on_interrupt(name, 128 + sig);
            }
        });
    }
    #[cfg(windows)]
    {
        ctrlc::set_handler(|| on_interrupt("Ctrl-C", 130)).context("installing the Ctrl-C handler")?;
    }
    Ok(())
}

fn on_interrupt(signal: &str, code: i32) -> ! {
    // The tools a live collection started (wevtutil, certutil ...) end with it.
    let killed = rdpdiag_collect::exec::kill_running();
    if killed > 0 {
        eprintln!("\nrdpdiag-collect: interrupted ({signal}): stopped {killed} running tool(s)");
    }
    let removed = rdpdiag_collect::bundle::interrupt();
    if removed.is_empty() {
        eprintln!("\nrdpdiag-collect: interrupted ({signal}); no bundle was being written");
    }
    for (path, err) in removed {
        match err {
            None => eprintln!(
                "\nrdpdiag-collect: interrupted ({signal}): removed the unfinished bundle {}",
                path.display()
            ),
            Some(e) => eprintln!(
                "\nrdpdiag-collect: interrupted ({signal}): could not remove the unfinished bundle {}: {e}",
                path.display()
            ),
        }
    }
    std::process::exit(code)
}

/// Whether process `pid` is running, where that can be known without unsafe code.
fn pid_alive(pid: u32) -> Option<bool> {
    if cfg!(target_os = "linux") {
        Some(std::path::Path::new("/proc").join(pid.to_string()).exists())
    } else {
        None
    }
}

/// Temporary outputs of earlier runs killed outright (SIGKILL, power loss) beside the target:
/// removed when their process is known to be gone, otherwise reported. They never count as
/// bundles (hidden names, never renamed), so they cannot confuse this run either way.
fn clean_stale_partials(target: &std::path::Path) {
    for p in rdpdiag_collect::bundle::stale_partials(target) {
        let pid = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .and_then(|n| {
                n.strip_suffix(".partial")?
                    .rsplit('.')
                    .next()?
                    .parse::<u32>()
                    .ok()
            });
        let gone = pid.and_then(pid_alive) == Some(false);
        let removed = gone
            && if p.is_dir() {
                std::fs::remove_dir_all(&p).is_ok()
            } else {
                std::fs::remove_file(&p).is_ok()
            };
        if removed {
            eprintln!(
                "note: removed {}, left by an earlier run that was killed before it finished",
                p.display()
            );
        } else {
            eprintln!(
                "note: {} is the unfinished output of another or an earlier run (not a bundle; delete it if no collector is running)",
                p.display()
            );
        }
    }
}

fn main() -> std::process::ExitCode {
    let result = run();
    if rdpdiag_collect::bundle::interrupted() {
        // A signal arrived: its handler is removing the unfinished bundle and exits with
        // 128 + the signal; an error this thread met because of it must not exit first.
        loop {
            std::thread::park();
        }
    }
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:?}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The key of the pseudonyms: a file of at least 16 bytes.
fn read_redact_key(p: &std::path::Path) -> Result<Vec<u8>> {
    let key = std::fs::read(p).with_context(|| format!("reading the redaction key file {}", p.display()))?;
    if key.len() < 16 {
        bail!(
            "redaction key file {}: {} bytes; use at least 16 random bytes (e.g. head -c 32 /dev/urandom)",
            p.display(),
            key.len()
        );
    }
    Ok(key)
}

fn run() -> Result<()> {
    install_interrupt_handler()?;
    let cli = Cli::parse();
    match cli.command {
        None => run_collect(cli.collect)?,
        Some(Command::Pack {
            source,
            output,
            host,
            role,
            ticket,
            max_file_mib,
        }) => {
            if !source.is_dir() {
                bail!("{} is not a folder", source.display());
            }
            let role = match role {
                RoleArg::Client => Role::Client,
                RoleArg::Server => Role::Server,
                RoleArg::Both => Role::Both,
                RoleArg::Unknown => Role::Unknown,
            };
            clean_stale_partials(&output);
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
        Some(Command::Probe { server, timeout }) => probe_command(&server, timeout)?,
        Some(Command::ProbeSchema) => probe_schema_command()?,
        Some(Command::Redact {
            input,
            output,
            key_file,
        }) => {
            let key = read_redact_key(&key_file)?;
            clean_stale_partials(&output);
            let report = rdpdiag_collect::redact_bundle::redact_bundle(&input, &output, &key)
                .with_context(|| format!("redacting {}", input.display()))?;
            for (from, to, read, kept) in &report.event_logs {
                println!("event log {from} -> {to}: {kept} of {read} records kept, redacted");
            }
            println!("text artifacts redacted: {}", report.texts.len());
            for (from, to) in &report.registry {
                println!("registry {from} -> {to}: reduced to the keys the analyzer reads, redacted");
            }
            for path in &report.copied {
                println!("copied (redacted already): {path}");
            }
            for path in &report.dropped {
                println!("left out: {path}");
            }
            println!("bundle: {}", output.display());
        }
    }
    Ok(())
}

#[cfg(feature = "probe")]
fn probe_command(server: &str, timeout_ms: u64) -> Result<()> {
    let report = rdpdiag_collect::probe::probe(server, Duration::from_millis(timeout_ms.max(1)));
    eprintln!("{}", report.verdict);
    if let Some(view) = &report.client_view {
        for c in &view.server_causes {
            eprintln!("  check on the server: {}: {}", c.cause, c.evidence);
        }
    }
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

#[cfg(feature = "probe")]
fn probe_schema_command() -> Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(&rdpdiag_collect::probe::probe_schema())?
    );
    Ok(())
}

#[cfg(not(feature = "probe"))]
fn probe_command(_server: &str, _timeout_ms: u64) -> Result<()> {
    bail!("this build has no probe (built without the `probe` feature)")
}

#[cfg(not(feature = "probe"))]
fn probe_schema_command() -> Result<()> {
    bail!("this build has no probe (built without the `probe` feature)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_forms() {
        assert_eq!(parse_since("7d").unwrap(), Since::Ago(chrono::Duration::days(7)));
        assert_eq!(
            parse_since("36h").unwrap(),
            Since::Ago(chrono::Duration::hours(36))
        );
        assert!(
            matches!(parse_since("2024-01-15").unwrap(), Since::At(t) if t.to_rfc3339() == "2024-01-15T00:00:00+00:00")
        );
        assert!(matches!(
            parse_since("2024-01-15T08:00:00Z").unwrap(),
            Since::At(_)
        ));
        assert!(parse_since("0d").is_err());
        assert!(parse_since("yesterday").is_err());
    }

    #[test]
    fn size_forms() {
        assert_eq!(parse_size("2G").unwrap(), 2 << 30);
        assert_eq!(parse_size("500M").unwrap(), 500 << 20);
        assert_eq!(parse_size("1.5GiB").unwrap(), 3 << 29);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("12X").is_err());
        assert!(parse_size("0").is_err());
    }
}
