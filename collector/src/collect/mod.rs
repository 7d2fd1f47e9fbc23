//! The executor: runs a [`Plan`] step by step into a bundle.
//!
//! Every step ends as one or more manifest artifacts with a status and, when it did not fully
//! succeed, the error text. A step that fails, times out or even panics is recorded and the next
//! one runs: no step can stop the others. The bundle is written under a temporary name and only
//! renamed when complete ([`BundleWriter`]); the collection log is the last file added.
//!
//! One job per file:
//! - this file: the options, the outcome types, [`collect`] (the step loop, the collection log,
//!   the manifest header) and [`collect_plan`];
//! - `prepare`: [`prepare`], from the options to a role, host facts, a window and a plan;
//! - `run`: the run's state (`Run`): recording artifacts and failures, the size cap and the
//!   `--redact` hooks every step goes through;
//! - `steps`: the dispatch from a plan step to its acquisition, and the server probe;
//! - `live_steps`: the tools of a live Windows host (`wevtutil epl`/`al`, `reg export`,
//!   captured commands);
//! - `volume_steps`: copies from an offline volume (event logs, hives with their transaction
//!   logs, user hives, the MachineKeys listing);
//! - `traces`: the RdClientAutoTrace `.etl` files and their `tracerpt` conversion.

mod live_steps;
mod prepare;
mod run;
mod steps;
mod traces;
mod volume_steps;

pub use prepare::prepare;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use rdpdiag_schemas::manifest::{
    ArtifactSource, ClockStatus, CollectionMode, CollectionWindow, HostInfo, Manifest, Redaction, ToolInfo,
};
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus, Role};

use crate::bundle::{ArtifactMeta, BundleError, BundleWriter, ManifestHeader};
use crate::plan::{self, Plan, Source, Step};
use crate::redact::{Category, Counts, Redactor};
use run::{Run, StepAcc, TempDir, meta, with_status};

/// `--role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChoice {
    /// Decide from the host (live: RDP listener enabled → server; volume: hives and logs).
    Auto,
    /// As given.
    Fixed(Role),
}

/// `--since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// This long before the end of the window.
    Ago(chrono::Duration),
    /// From this instant.
    At(DateTime<Utc>),
}

/// Everything the user chose.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Live or `--from-volume`.
    pub source: Source,
    /// `--role`.
    pub role: RoleChoice,
    /// `--since`.
    pub since: Since,
    /// `--ticket`.
    pub ticket: Option<String>,
    /// `-o`: a file, or a folder to put the default name in.
    pub output: PathBuf,
    /// `--redact`.
    pub redact: bool,
    /// `--redact-key-file`: the key of the pseudonyms (the same for the client and the server
    /// bundle of one ticket keeps them joinable); `None`: random per bundle.
    pub redact_key: Option<Vec<u8>>,
    /// `--max-size`, bytes of uncompressed content.
    pub max_size: u64,
    /// `--security`.
    pub security: bool,
    /// `--server`.
    pub server: Option<String>,
    /// `--probe-timeout`.
    pub probe_timeout: Duration,
    /// `--host`: the host name to record (volume mode mostly).
    pub host: Option<String>,
    /// `--skip`.
    pub skip: Vec<String>,
}

impl CollectOptions {
    /// Defaults for a live collection into `output`.
    pub fn live(output: PathBuf) -> CollectOptions {
        CollectOptions {
            source: Source::Live,
            role: RoleChoice::Auto,
            since: Since::Ago(chrono::Duration::days(7)),
            ticket: None,
            output,
            redact: false,
            redact_key: None,
            max_size: 2 * 1024 * 1024 * 1024,
            security: false,
            server: None,
            probe_timeout: Duration::from_secs(5),
            host: None,
            skip: Vec::new(),
        }
    }
}

/// Why a collection could not produce a bundle at all (step failures never get here).
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// Writing the bundle failed.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The output path cannot be used.
    #[error("{0}")]
    Output(String),
    /// The operating system gave no randomness (bundle id, redaction salt).
    #[error("no randomness from the operating system: {0}")]
    Random(String),
    /// `--from-volume` is not a folder.
    #[error("{0} is not a folder")]
    Volume(PathBuf),
}

/// What was decided before collecting: role, host facts, window, plan.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The plan.
    pub plan: Plan,
    /// Role collected as.
    pub role: Role,
    /// Why that role.
    pub role_reason: String,
    /// Host facts (clock and addresses are filled while collecting).
    pub host: HostInfo,
    /// Event log window.
    pub window: CollectionWindow,
    /// How the facts were obtained.
    pub facts_log: Vec<String>,
    /// OEM code page for console output.
    pub oem_cp: Option<u16>,
    /// Names to redact: (value, category).
    pub sensitive: Vec<(String, Category)>,
    /// Live or volume.
    pub mode: CollectionMode,
    /// The bundle that will be written.
    pub output: PathBuf,
}

/// Outcome of one step, for progress output.
#[derive(Debug, Clone)]
pub struct StepResult {
    /// Step id.
    pub id: String,
    /// Overall status.
    pub status: ArtifactStatus,
    /// Short text: files written, or the first error.
    pub detail: String,
    /// Files added.
    pub files: usize,
    /// Bytes added.
    pub bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// Receives progress.
pub trait Progress {
    /// A step is about to run.
    fn started(&mut self, index: usize, total: usize, step: &Step);
    /// A step finished.
    fn finished(&mut self, index: usize, total: usize, step: &Step, result: &StepResult);
}

/// Progress that goes nowhere.
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn started(&mut self, _: usize, _: usize, _: &Step) {}
    fn finished(&mut self, _: usize, _: usize, _: &Step, _: &StepResult) {}
}

/// A finished collection.
#[derive(Debug, Clone)]
pub struct Collected {
    /// The bundle.
    pub bundle: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// One result per step.
    pub steps: Vec<StepResult>,
}

fn uuid_v4() -> Result<String, CollectError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| CollectError::Random(e.to_string()))?;
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    let h = crate::bundle::hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

fn human_bytes(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

fn status_word(s: ArtifactStatus) -> &'static str {
    match s {
        ArtifactStatus::Ok => "ok",
        ArtifactStatus::Partial => "partial",
        ArtifactStatus::Failed => "failed",
        ArtifactStatus::Skipped => "skipped",
    }
}

/// Runs the plan and writes the bundle.
pub fn collect(
    prepared: Prepared,
    opts: &CollectOptions,
    progress: &mut dyn Progress,
) -> Result<Collected, CollectError> {
    if prepared.output.exists() {
        return Err(CollectError::Output(format!(
            "{} already exists; choose another -o",
            prepared.output.display()
        )));
    }
    if let Some(parent) = prepared.output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| CollectError::Output(format!("creating {}: {e}", parent.display())))?;
    }
    let redactor = if opts.redact {
        let mut r = match &opts.redact_key {
            Some(key) => Redactor::with_key(key),
            None => Redactor::random().map_err(|e| CollectError::Random(e.to_string()))?,
        };
        for (name, cat) in &prepared.sensitive {
            match cat {
                Category::Host => r.add_host(
                    plan::split_target(name)
                        .map(|(h, _)| h)
                        .as_deref()
                        .unwrap_or(name),
                ),
                c => r.add_name(name, *c),
            }
        }
        Some(r)
    } else {
        None
    };
    let writer = BundleWriter::create_zip(&prepared.output)?.max_size(opts.max_size);
    let started = Utc::now();
    let mut run_state = Run {
        writer,
        tmp: TempDir::new()?,
        since: prepared.window.since_utc,
        oem_cp: prepared.oem_cp,
        redactor,
        counts: Counts::new(),
        redacted: Vec::new(),
        log: Vec::new(),
        addresses: Vec::new(),
        w32tm: None,
        current_user: prepared
            .sensitive
            .iter()
            .find(|(_, c)| *c == Category::User)
            .map(|(n, _)| n.clone()),
        acc: StepAcc::default(),
        deadline: Instant::now(),
    };
    let mode = match prepared.mode {
        CollectionMode::Live => "live",
        CollectionMode::Volume => "volume",
        _ => "other",
    };
    run_state.log.push(format!(
        "{} rdpdiag-collect {} ({mode} mode) on {}",
        started.to_rfc3339_opts(SecondsFormat::Secs, true),
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS
    ));
    if let Source::Volume(root) = &opts.source {
        run_state.log.push(format!("volume: {}", root.display()));
    }
    run_state.log.push(format!("host: {}", prepared.host.name));
    run_state
        .log
        .push(format!("role: {:?} ({})", prepared.role, prepared.role_reason));
    run_state.log.push(format!(
        "window: {} .. {}",
        prepared
            .window
            .since_utc
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        prepared
            .window
            .until_utc
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    ));
    run_state.log.push(format!(
        "options: redact={} security={} max_size={} server={}",
        opts.redact,
        opts.security,
        opts.max_size,
        opts.server.as_deref().unwrap_or("-")
    ));
    run_state.log.extend(prepared.facts_log.iter().cloned());

    let total = prepared.plan.steps.len();
    let mut results = Vec::with_capacity(total);
    // With --redact, artifacts are redacted as they are written, with the names known so far:
    // the registry steps go first, so that the names only the registry tells (ProfileList
    // folders, UsernameHint, MRU servers) are learned before any event log or text is written.
    let mut order: Vec<&Step> = prepared.plan.steps.iter().collect();
    if opts.redact {
        order.sort_by_key(|s| !matches!(s.kind, ArtifactKind::Reg | ArtifactKind::Hive));
    }
    for (i, step) in order.into_iter().enumerate() {
        progress.started(i + 1, total, step);
        let t0 = Instant::now();
        run_state.acc = StepAcc::default();
        run_state.deadline = t0 + step.timeout;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_state.run_step(step)));
        if outcome.is_err() {
            // A bug in one step must not lose the others: record it and go on.
            let m = meta(step, step.kind, "none", ArtifactSource::default(), Utc::now());
            run_state.record(
                &format!("{}.panic", step.target),
                with_status(
                    m,
                    ArtifactStatus::Failed,
                    Some("internal error in this step (panic)".into()),
                ),
            );
        }
        let status = run_state.acc.status();
        let detail = match status {
            ArtifactStatus::Ok | ArtifactStatus::Partial if run_state.acc.files > 0 => {
                let mut d = format!(
                    "{} file(s), {}",
                    run_state.acc.files,
                    human_bytes(run_state.acc.bytes)
                );
                if let Some(e) = run_state.acc.errors.first() {
                    d.push_str(&format!("; {e}"));
                }
                d
            }
            _ => run_state.acc.errors.first().cloned().unwrap_or_default(),
        };
        let result = StepResult {
            id: step.id.clone(),
            status,
            detail: detail.clone(),
            files: run_state.acc.files,
            bytes: run_state.acc.bytes,
            elapsed: t0.elapsed(),
        };
        run_state.log.push(format!(
            "[{:>2}/{total}] {} {} in {:.1} s{}",
            i + 1,
            step.id,
            status_word(status),
            result.elapsed.as_secs_f64(),
            if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            }
        ));
        for e in run_state.acc.errors.iter().skip(1) {
            run_state.log.push(format!("    {e}"));
        }
        progress.finished(i + 1, total, step, &result);
        results.push(result);
    }

    let finished = Utc::now();
    let count = |s: ArtifactStatus| results.iter().filter(|r| r.status == s).count();
    run_state.log.push(format!(
        "done: {} ok, {} partial, {} failed, {} skipped; {} file(s), {} in {:.1} s",
        count(ArtifactStatus::Ok),
        count(ArtifactStatus::Partial),
        count(ArtifactStatus::Failed),
        count(ArtifactStatus::Skipped),
        results.iter().map(|r| r.files).sum::<usize>(),
        human_bytes(results.iter().map(|r| r.bytes).sum()),
        (finished - started).num_milliseconds() as f64 / 1000.0
    ));
    let log_text = crate::decode::to_crlf(&(run_state.log.join("\n") + "\n"));
    let log_meta = ArtifactMeta {
        kind: ArtifactKind::CollectionLog,
        text_format: None,
        source: ArtifactSource::default(),
        method: "rdpdiag-collect".into(),
        started_utc: started,
        finished_utc: finished.max(started),
        status: ArtifactStatus::Ok,
        error: None,
    };
    run_state.acc = StepAcc::default();
    // The log is small; it is added even when the size cap is reached.
    let log_bytes = run_state.maybe_redact(
        "collection-log.txt",
        ArtifactKind::CollectionLog,
        log_text.into_bytes(),
    );
    run_state.writer.set_max_size(None);
    run_state
        .writer
        .add_bytes("collection-log.txt", &log_bytes, log_meta)?;

    let mut host = prepared.host.clone();
    for a in &run_state.addresses {
        if !host.addresses.contains(a) {
            host.addresses.push(a.clone());
        }
    }
    if prepared.mode == CollectionMode::Live {
        let offset = host.time_zone.as_ref().map(|t| t.utc_offset_minutes);
        host.clock = Some(match &run_state.w32tm {
            Some(text) => crate::live::clock_from_w32tm(text, offset, finished),
            None => ClockStatus {
                host_utc_at_collection: finished,
                sync_source: None,
                last_sync_utc: None,
                stratum: None,
                measured_offset_ms: None,
            },
        });
    }
    let redaction = run_state.redactor.as_ref().map(|r| {
        let mut c = Counts::new();
        // As the events' Computer is tokenized (first label and domain), so that both match.
        host.name = r.host_token(&host.name);
        host.domain = host.domain.as_ref().map(|d| r.domain_token(d));
        host.addresses = host.addresses.iter().map(|a| r.redact(a, &mut c)).collect();
        if let Some(clock) = &mut host.clock {
            clock.sync_source = clock.sync_source.as_ref().map(|s| r.redact(s, &mut c));
        }
        let mut redacted = run_state.redacted.clone();
        redacted.sort();
        redacted.dedup();
        Redaction {
            what: [Category::User, Category::Host, Category::Ip, Category::Sid]
                .iter()
                .map(|c| c.manifest_name().to_string())
                .collect(),
            method: crate::redact::METHOD.to_string(),
            artifacts: redacted,
        }
    });
    let header = ManifestHeader {
        bundle_id: uuid_v4()?,
        tool: ToolInfo {
            name: "rdpdiag-collect".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        created_utc: finished,
        ticket: opts.ticket.clone(),
        collection_mode: prepared.mode,
        host,
        window: prepared.window.clone(),
        redaction,
    };
    let Run { writer, tmp, .. } = run_state;
    let (bundle, manifest) = writer.finish(header)?;
    drop(tmp);
    Ok(Collected {
        bundle,
        manifest,
        steps: results,
    })
}

/// Runs an arbitrary plan (tests build plans with their own commands).
pub fn collect_plan(
    plan: Plan,
    opts: &CollectOptions,
    progress: &mut dyn Progress,
) -> Result<Collected, CollectError> {
    let now = Utc::now();
    let role = plan.options.role;
    let prepared = Prepared {
        role,
        role_reason: "given".into(),
        host: HostInfo {
            name: opts.host.clone().unwrap_or_else(|| "test-host".into()),
            domain: None,
            os: None,
            role,
            addresses: Vec::new(),
            time_zone: None,
            culture: None,
            clock: None,
        },
        window: CollectionWindow {
            since_utc: plan.options.since.min(now),
            until_utc: now,
        },
        facts_log: Vec::new(),
        oem_cp: None,
        sensitive: Vec::new(),
        mode: match plan.options.source {
            Source::Live => CollectionMode::Live,
            Source::Volume(_) => CollectionMode::Volume,
        },
        output: opts.output.clone(),
        plan,
    };
    collect(prepared, opts, progress)
}
