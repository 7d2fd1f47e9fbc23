//! The executor: runs a [`Plan`] step by step into a bundle.
//!
//! Every step ends as one or more manifest artifacts with a status and, when it did not fully
//! succeed, the error text. A step that fails, times out or even panics is recorded and the next
//! one runs: no step can stop the others. The bundle is written under a temporary name and only
//! renamed when complete ([`BundleWriter`]); the collection log is the last file added.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use rdpdiag_schemas::domain::TextFormat;
use rdpdiag_schemas::manifest::{
    ArtifactSource, ClockStatus, CollectionMode, CollectionWindow, HostInfo, Manifest, Redaction, ToolInfo,
};
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus, Role};

use crate::bundle::{ArtifactMeta, BundleError, BundleWriter, ManifestHeader};
use crate::decode::{console_to_bundle_text, decode_console, utf16le_with_bom};
use crate::exec::{CommandSpec, RunEnd, RunLimits, RunOutput, run};
use crate::plan::{self, Action, Output, Plan, PlanOptions, Source, Step, channel_file_stem, timeouts};
use crate::redact::{Category, Counts, ETL_LEFT_OUT, Redactor};
use crate::redact_registry::{MAX_HIVE_BYTES, RAW_HIVE_LEFT_OUT};
use crate::volume::{self, VolumeLayout};

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

fn default_file_name(host: &str, role: Role, at: DateTime<Utc>) -> String {
    let safe: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let role = match role {
        Role::Client => "client",
        Role::Server => "server",
        Role::Both => "both",
        Role::Unknown => "host",
    };
    format!("rdpdiag-{safe}-{role}-{}.zip", at.format("%Y%m%d-%H%M%S"))
}

fn resolve_output(output: &Path, host: &str, role: Role, at: DateTime<Utc>) -> PathBuf {
    let as_dir = output.is_dir()
        || output
            .to_string_lossy()
            .ends_with(['/', std::path::MAIN_SEPARATOR]);
    if as_dir {
        output.join(default_file_name(host, role, at))
    } else {
        output.to_path_buf()
    }
}

/// Gathers facts, decides the role and builds the plan. Live dry runs query nothing: with
/// `--role auto` they show the steps of both roles.
pub fn prepare(opts: &CollectOptions, dry_run: bool) -> Result<Prepared, CollectError> {
    let now = Utc::now();
    let mut facts_log = Vec::new();
    let mut sensitive: Vec<(String, Category)> = Vec::new();
    let (role, role_reason, mut host, until, oem_cp, mode) = match &opts.source {
        Source::Live => {
            let facts = if dry_run {
                crate::live::LiveFacts::default()
            } else {
                crate::live::gather(opts.role == RoleChoice::Auto)
            };
            facts_log.extend(facts.log.iter().cloned());
            let (role, reason) = match opts.role {
                RoleChoice::Fixed(r) => (r, "given with --role".to_string()),
                RoleChoice::Auto if dry_run => (
                    Role::Both,
                    "auto: decided when collecting (server when the RDP listener is enabled, client otherwise); steps of both roles shown".to_string(),
                ),
                RoleChoice::Auto => match (facts.rdp_enabled, facts.client_log_records) {
                    (Some(true), Some(n)) if n > 0 => (
                        Role::Both,
                        format!("auto: RDP connections are allowed (fDenyTSConnections=0) and the RDP client log has {n} records"),
                    ),
                    (Some(true), _) => (Role::Server, "auto: RDP connections are allowed (fDenyTSConnections=0)".to_string()),
                    (Some(false), _) => (Role::Client, "auto: RDP connections are denied (fDenyTSConnections=1)".to_string()),
                    (None, _) => (Role::Client, "auto: the RDP listener setting could not be read".to_string()),
                },
            };
            let name = opts
                .host
                .clone()
                .or(facts.computer_name.clone())
                .unwrap_or_else(|| "unknown-host".into());
            if let Some(u) = &facts.user {
                sensitive.push((u.clone(), Category::User));
            }
            for s in &facts.mru_servers {
                sensitive.push((s.clone(), Category::Host));
            }
            let (users_root, _) = crate::live::trace_roots();
            for p in volume::user_profiles(&users_root) {
                sensitive.push((p.name, Category::User));
            }
            let host = HostInfo {
                name,
                domain: facts.domain.clone(),
                os: facts.os.clone(),
                role,
                addresses: Vec::new(),
                time_zone: facts.time_zone.clone(),
                culture: facts.culture.clone(),
                clock: None,
            };
            (role, reason, host, now, facts.oem_cp, CollectionMode::Live)
        }
        Source::Volume(root) => {
            if !root.is_dir() {
                return Err(CollectError::Volume(root.clone()));
            }
            let v = VolumeLayout::scan(root);
            let facts = v.facts();
            facts_log.extend(facts.notes.iter().map(|n| format!("volume: {n}")));
            let (client, server) = v.activity();
            let (role, reason) = match opts.role {
                RoleChoice::Fixed(r) => (r, "given with --role".to_string()),
                RoleChoice::Auto => {
                    let listener = facts.rdp_enabled == Some(true);
                    match (client, server || listener) {
                        (true, true) => (Role::Both, "auto: the volume shows RDP client activity and an enabled RDP listener or server logs".to_string()),
                        (false, true) => (Role::Server, "auto: the SYSTEM hive allows RDP connections or the RCM/RdpCoreTS logs have records".to_string()),
                        (true, false) => (Role::Client, "auto: the RDP client log has records or RdClientAutoTrace traces exist".to_string()),
                        (false, false) => (Role::Client, "auto: no server evidence on the volume".to_string()),
                    }
                }
            };
            let fallback_name = root
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "offline-volume".into());
            let name = opts
                .host
                .clone()
                .or(facts.computer_name.clone())
                .unwrap_or(fallback_name);
            for p in volume::user_profiles(&v.users_root()) {
                sensitive.push((p.name, Category::User));
            }
            for s in v.mru_servers() {
                sensitive.push((s, Category::Host));
            }
            let host = HostInfo {
                name,
                domain: facts.domain.clone(),
                os: facts.os.clone(),
                role,
                addresses: Vec::new(),
                time_zone: facts.time_zone.clone(),
                culture: facts.culture.clone(),
                clock: None,
            };
            // The window ends when the volume's logs were last written, not today.
            let until = match opts.since {
                Since::At(_) => now,
                Since::Ago(_) => v.latest_log_time().unwrap_or(now).min(now),
            };
            (role, reason, host, until, None, CollectionMode::Volume)
        }
    };
    host.role = role;
    sensitive.push((host.name.clone(), Category::Host));
    if let Some(d) = &host.domain {
        sensitive.push((format!("{}.{d}", host.name), Category::Host));
        sensitive.push((d.clone(), Category::Host));
    }
    if let Some(server) = &opts.server
        && let Ok((h, _)) = plan::split_target(server)
    {
        sensitive.push((h, Category::Host));
    }
    let since = match opts.since {
        Since::Ago(d) => until - d,
        Since::At(t) => t,
    }
    .min(until);
    let plan = plan::build(&PlanOptions {
        source: opts.source.clone(),
        role,
        since,
        security: opts.security,
        server: opts.server.clone(),
        probe_timeout: opts.probe_timeout,
        skip: opts.skip.clone(),
    });
    // The file name is seen before the zip is opened: with --redact it does not name the host.
    let name_in_file = if opts.redact {
        "redacted"
    } else {
        host.name.as_str()
    };
    let output = resolve_output(&opts.output, name_in_file, role, now);
    Ok(Prepared {
        plan,
        role,
        role_reason,
        host,
        window: CollectionWindow {
            since_utc: since,
            until_utc: until,
        },
        facts_log,
        oem_cp,
        sensitive,
        mode,
        output,
    })
}

/// A temporary folder removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, CollectError> {
        let mut r = [0u8; 6];
        getrandom::fill(&mut r).map_err(|e| CollectError::Random(e.to_string()))?;
        let name = format!("rdpdiag-{}-{}", std::process::id(), crate::bundle::hex(&r));
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).map_err(|e| {
            CollectError::Output(format!("creating temporary folder {}: {e}", path.display()))
        })?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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

/// Per-step bookkeeping.
#[derive(Default)]
struct StepAcc {
    statuses: Vec<ArtifactStatus>,
    files: usize,
    bytes: u64,
    errors: Vec<String>,
}

impl StepAcc {
    fn status(&self) -> ArtifactStatus {
        use ArtifactStatus as S;
        if self.statuses.is_empty() {
            return S::Skipped;
        }
        if self.statuses.iter().all(|s| *s == S::Ok) {
            S::Ok
        } else if self.statuses.iter().all(|s| *s == S::Skipped) {
            S::Skipped
        } else if self.files == 0 && self.statuses.iter().all(|s| matches!(s, S::Failed | S::Skipped)) {
            S::Failed
        } else {
            S::Partial
        }
    }
}

struct Run {
    writer: BundleWriter,
    tmp: TempDir,
    since: DateTime<Utc>,
    oem_cp: Option<u16>,
    redactor: Option<Redactor>,
    counts: Counts,
    redacted: Vec<String>,
    log: Vec<String>,
    addresses: Vec<String>,
    w32tm: Option<String>,
    current_user: Option<String>,
    acc: StepAcc,
    deadline: Instant,
}

fn meta(
    step: &Step,
    kind: ArtifactKind,
    method: &str,
    source: ArtifactSource,
    started: DateTime<Utc>,
) -> ArtifactMeta {
    ArtifactMeta {
        kind,
        text_format: if kind == ArtifactKind::Text {
            step.text_format.or(Some(TextFormat::Other))
        } else {
            None
        },
        source,
        method: method.to_string(),
        started_utc: started,
        finished_utc: Utc::now().max(started),
        status: ArtifactStatus::Ok,
        error: None,
    }
}

fn with_status(mut m: ArtifactMeta, status: ArtifactStatus, error: Option<String>) -> ArtifactMeta {
    m.status = status;
    m.error = error;
    m.finished_utc = Utc::now().max(m.started_utc);
    m
}

fn cmd_source(c: &CommandSpec) -> ArtifactSource {
    ArtifactSource {
        command: Some(shown_command(c)),
        ..ArtifactSource::default()
    }
}

/// The command line for the manifest: PowerShell scripts are named, not base64.
fn shown_command(c: &CommandSpec) -> String {
    if c.program == "powershell" && c.args.iter().any(|a| a == "-EncodedCommand") {
        let script = plan::COMMANDS
            .iter()
            .filter(|r| r.program == "ps:")
            .find(|r| plan::powershell(r.args.first().copied().unwrap_or("")) == *c)
            .map(|r| {
                r.args
                    .first()
                    .copied()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_default();
        format!("powershell -EncodedCommand <{script} ...>")
    } else {
        c.display()
    }
}

fn is_text_kind(kind: ArtifactKind) -> bool {
    matches!(
        kind,
        ArtifactKind::Text
            | ArtifactKind::Json
            | ArtifactKind::Reg
            | ArtifactKind::TraceXml
            | ArtifactKind::TraceCsv
            | ArtifactKind::CollectionLog
    )
}

impl Run {
    fn limits(&self, timeout: Duration) -> RunLimits {
        let left = self.deadline.saturating_duration_since(Instant::now());
        RunLimits {
            timeout: timeout.min(left).max(Duration::from_millis(100)),
            ..RunLimits::default()
        }
    }

    fn note_error(&mut self, e: &str) {
        self.acc.errors.push(e.to_string());
    }

    /// Records a step entry that has no file.
    fn record(&mut self, path: &str, m: ArtifactMeta) {
        let status = m.status;
        if let Some(e) = &m.error {
            self.note_error(e);
        }
        let m = self.redact_meta(m);
        match self.writer.record_step(path, m) {
            Ok(()) => self.acc.statuses.push(status),
            Err(e) => {
                self.log.push(format!("    could not record {path}: {e}"));
                self.acc.statuses.push(ArtifactStatus::Failed);
            }
        }
    }

    fn redact_meta(&self, mut m: ArtifactMeta) -> ArtifactMeta {
        if let Some(r) = &self.redactor {
            let mut c = Counts::new();
            m.source.file_path = m.source.file_path.map(|p| r.redact(&p, &mut c));
            m.source.command = m.source.command.map(|p| r.redact(&p, &mut c));
            m.error = m.error.map(|e| r.redact(&e, &mut c));
        }
        m
    }

    /// Redacts text-like bytes when `--redact` is on: UTF-16LE (BOM) stays UTF-16LE, UTF-8
    /// stays UTF-8; anything else is binary and kept.
    fn maybe_redact(&mut self, path: &str, kind: ArtifactKind, bytes: Vec<u8>) -> Vec<u8> {
        let Some(r) = &self.redactor else {
            return bytes;
        };
        if !is_text_kind(kind) || path.contains("/LocaleMetaData/") {
            return bytes;
        }
        let out = if bytes.starts_with(&[0xFF, 0xFE]) {
            utf16le_with_bom(&r.redact(&decode_console(&bytes, None), &mut self.counts))
        } else if let Ok(s) = std::str::from_utf8(&bytes) {
            r.redact(s, &mut self.counts).into_bytes()
        } else {
            return bytes;
        };
        self.redacted.push(path.to_string());
        out
    }

    /// Adds in-memory content, or records the failure.
    fn add_bytes(&mut self, path: &str, bytes: Vec<u8>, m: ArtifactMeta) {
        let bytes = self.maybe_redact(path, m.kind, bytes);
        self.add_redacted_bytes(path, bytes, m);
    }

    /// `--redact`: a `reg export` reduced to the keys the analyzer reads and redacted; when it
    /// cannot be read it is left out (never added raw).
    fn add_reduced_reg(&mut self, path: &str, bytes: &[u8], mut m: ArtifactMeta) {
        match crate::redact_registry::reduce_reg_export(bytes) {
            Ok(reduced) => {
                m.method = format!("{}, then {}", m.method, reduced.summary());
                let reg = self.redact_reduced(reduced);
                self.redacted.push(path.to_string());
                self.add_redacted_bytes(path, reg, m);
            }
            Err(e) => {
                let why = format!("left out by --redact: {e}");
                self.record(path, with_status(m, ArtifactStatus::Failed, Some(why)));
            }
        }
    }

    /// Learns the registry's names into the run's redactor (the artifacts after this one are
    /// redacted with them too), redacts, writes the `.reg` bytes.
    fn redact_reduced(&mut self, mut reduced: crate::redact_registry::Reduced) -> Vec<u8> {
        if let Some(r) = &mut self.redactor {
            reduced.learn_names(r);
            reduced.redact(r, &mut self.counts);
        }
        reduced.to_reg()
    }

    /// Adds content that is redacted already (or needs none), or records the failure.
    fn add_redacted_bytes(&mut self, path: &str, bytes: Vec<u8>, m: ArtifactMeta) {
        if let Some(left) = self.writer.remaining()
            && bytes.len() as u64 > left
        {
            let why = format!(
                "not added: {} bytes would exceed --max-size ({left} bytes left)",
                bytes.len()
            );
            self.record(path, with_status(m, ArtifactStatus::Failed, Some(why)));
            return;
        }
        let status = m.status;
        let m = self.redact_meta(m);
        let len = bytes.len() as u64;
        match self.writer.add_bytes(path, &bytes, m.clone()) {
            Ok(()) => {
                self.acc.statuses.push(status);
                self.acc.files += 1;
                self.acc.bytes += len;
                if let Some(e) = &m.error {
                    self.note_error(e);
                }
            }
            Err(e) => self.record(path, with_status(m, ArtifactStatus::Failed, Some(e.to_string()))),
        }
    }

    /// Adds a file from disk (streamed unless it must be redacted), or records the failure.
    fn add_file(&mut self, path: &str, src: &Path, m: ArtifactMeta) {
        let size = match std::fs::metadata(src) {
            Ok(md) => md.len(),
            Err(e) => {
                let why = format!("cannot read {}: {e}", src.display());
                self.record(path, with_status(m, ArtifactStatus::Failed, Some(why)));
                return;
            }
        };
        if let (ArtifactKind::Evtx, Some(r)) = (m.kind, self.redactor.clone()) {
            // `--redact`: the records the analyzer uses, redacted; the raw log never goes in.
            let target = crate::redact_bundle::redacted_events_path(path);
            let redacted = File::open(src)
                .map_err(|e| format!("cannot open {}: {e}", src.display()))
                .and_then(|f| {
                    crate::redact_events::redact_evtx(std::io::BufReader::new(f), path, &r, &mut self.counts)
                        .map_err(|e| e.to_string())
                });
            let mut m = m;
            m.kind = ArtifactKind::RedactedEvents;
            m.method = format!(
                "{}, then reduced to the records the analyzer uses and redacted",
                m.method
            );
            match redacted {
                Ok(ev) => {
                    if ev.truncated || ev.records_unreadable > 0 {
                        m.status = ArtifactStatus::Partial;
                        m.error = Some(format!(
                            "{} records unreadable{}",
                            ev.records_unreadable,
                            if ev.truncated { ", output cap reached" } else { "" }
                        ));
                    }
                    // add_bytes redacts text kinds only; this one is redacted already.
                    self.redacted.push(target.clone());
                    self.add_bytes(&target, ev.jsonl, m);
                }
                Err(why) => self.record(&target, with_status(m, ArtifactStatus::Failed, Some(why))),
            }
            return;
        }
        if self.redactor.is_some() && is_text_kind(m.kind) && size <= 256 * 1024 * 1024 {
            match std::fs::read(src) {
                Ok(b) => match (m.kind, self.redactor.clone()) {
                    (ArtifactKind::Reg, Some(_)) => self.add_reduced_reg(path, &b, m),
                    _ => self.add_bytes(path, b, m),
                },
                Err(e) => {
                    let why = format!("cannot read {}: {e}", src.display());
                    self.record(path, with_status(m, ArtifactStatus::Failed, Some(why)));
                }
            }
            return;
        }
        if let Some(left) = self.writer.remaining()
            && size > left
        {
            let why = format!("not added: {size} bytes would exceed --max-size ({left} bytes left)");
            self.record(path, with_status(m, ArtifactStatus::Failed, Some(why)));
            return;
        }
        let file = match File::open(src) {
            Ok(f) => f,
            Err(e) => {
                let why = format!("cannot open {}: {e}", src.display());
                self.record(path, with_status(m, ArtifactStatus::Failed, Some(why)));
                return;
            }
        };
        let status = m.status;
        let m = self.redact_meta(m);
        match self
            .writer
            .add_reader(path, std::io::BufReader::new(file), m.clone())
        {
            Ok(()) => {
                self.acc.statuses.push(status);
                self.acc.files += 1;
                self.acc.bytes += size;
                if let Some(e) = &m.error {
                    self.note_error(e);
                }
            }
            Err(e) => self.record(path, with_status(m, ArtifactStatus::Failed, Some(e.to_string()))),
        }
    }

    fn run_step(&mut self, step: &Step) {
        let started = Utc::now();
        match &step.action {
            Action::Skip { reason } => {
                let m = meta(step, step.kind, "none", ArtifactSource::default(), started);
                self.record(
                    &step.target,
                    with_status(m, ArtifactStatus::Skipped, Some(reason.clone())),
                );
            }
            Action::ExportLog { channel } => self.export_log(step, channel, started),
            Action::RegExport { key } => self.reg_export(step, key, started),
            Action::Capture {
                command,
                fallback,
                output,
            } => self.capture(step, command, fallback.as_ref(), *output, started),
            Action::CopyLog { channel, source } => {
                let src = ArtifactSource {
                    channel: Some(channel.clone()),
                    file_path: source.as_ref().map(|p| p.display().to_string()),
                    ..ArtifactSource::default()
                };
                let m = meta(step, ArtifactKind::Evtx, "copy", src, started);
                match source {
                    Some(p) => self.add_file(&step.target, p, m),
                    None => self.record(
                        &step.target,
                        with_status(
                            m,
                            ArtifactStatus::Skipped,
                            Some(format!(
                                "{}.evtx is not on the volume",
                                channel_file_stem(channel)
                            )),
                        ),
                    ),
                }
            }
            Action::CopyHive { name, source } => self.copy_hive(step, name, source.as_deref(), started),
            Action::UserHives { users_root } => self.user_hives(step, users_root, started),
            Action::ListMachineKeys { dir } => {
                let src = ArtifactSource {
                    file_path: dir.as_ref().map(|d| d.display().to_string()),
                    ..ArtifactSource::default()
                };
                let m = meta(step, ArtifactKind::Text, "directory listing", src, started);
                match dir {
                    None => self.record(
                        &step.target,
                        with_status(
                            m,
                            ArtifactStatus::Skipped,
                            Some("MachineKeys is not on the volume".into()),
                        ),
                    ),
                    Some(d) => {
                        match volume::machinekeys_listing(d, r"ProgramData\Microsoft\Crypto\RSA\MachineKeys")
                        {
                            Ok(text) => self.add_bytes(&step.target, text.into_bytes(), m),
                            Err(e) => self.record(
                                &step.target,
                                with_status(
                                    m,
                                    ArtifactStatus::Failed,
                                    Some(format!("cannot list {}: {e}", d.display())),
                                ),
                            ),
                        }
                    }
                }
            }
            Action::Traces {
                users_root,
                extra_dirs,
                convert,
            } => self.traces(step, users_root, extra_dirs, *convert, started),
            Action::Probe { target, timeout } => self.probe(step, target, *timeout, started),
        }
    }

    fn export_log(&mut self, step: &Step, channel: &str, started: DateTime<Utc>) {
        let stem = channel_file_stem(channel);
        let file = self.tmp.0.join(format!("{stem}.evtx"));
        let _ = std::fs::remove_file(&file);
        let epl = CommandSpec::new(
            "wevtutil",
            [
                "epl".to_string(),
                channel.to_string(),
                file.display().to_string(),
                format!("/q:{}", plan::window_query(self.since)),
                "/ow:true".to_string(),
            ],
        );
        let src = ArtifactSource {
            channel: Some(channel.to_string()),
            command: Some(epl.display().replace(&self.tmp.0.display().to_string(), "%TEMP%")),
            ..ArtifactSource::default()
        };
        let m = meta(step, ArtifactKind::Evtx, "wevtutil epl", src.clone(), started);
        let out = run(&epl, None, self.limits(step.timeout));
        if let Some(why) = out.failure() {
            // ERROR_EVT_CHANNEL_NOT_FOUND: the channel does not exist on this edition/build.
            let status = if out.end == RunEnd::Exited(Some(15007)) {
                ArtifactStatus::Skipped
            } else {
                ArtifactStatus::Failed
            };
            self.record(&step.target, with_status(m, status, Some(why)));
            return;
        }
        match std::fs::metadata(&file) {
            Ok(md) if md.len() > 0 => {}
            _ => {
                let why = "wevtutil exited 0 but wrote no file (wevtutil is a stub under Wine; is the event log service running?)";
                self.record(
                    &step.target,
                    with_status(m, ArtifactStatus::Failed, Some(why.into())),
                );
                return;
            }
        }
        self.add_file(&step.target, &file, m);
        // Message text for readers on other machines (field guide 6.1).
        let al = CommandSpec::new(
            "wevtutil",
            ["al".to_string(), file.display().to_string(), "/l:en-us".into()],
        );
        let al_src = ArtifactSource {
            channel: Some(channel.to_string()),
            command: Some(al.display().replace(&self.tmp.0.display().to_string(), "%TEMP%")),
            ..ArtifactSource::default()
        };
        let al_started = Utc::now();
        let out = run(&al, None, self.limits(timeouts::ARCHIVE_LOG));
        let meta_dir = self.tmp.0.join("LocaleMetaData");
        let mut added = 0;
        if out.success() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&meta_dir)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.path())
                        .filter(|p| {
                            p.file_name().is_some_and(|n| {
                                n.to_string_lossy()
                                    .to_lowercase()
                                    .starts_with(&stem.to_lowercase())
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            for f in found {
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                let mut m = meta(
                    step,
                    ArtifactKind::Text,
                    "wevtutil al",
                    al_src.clone(),
                    al_started,
                );
                m.text_format = Some(TextFormat::Other);
                self.add_file(&format!("evtx/LocaleMetaData/{name}"), &f, m);
                let _ = std::fs::remove_file(&f);
                added += 1;
            }
        }
        if added == 0 {
            let why = out
                .failure()
                .unwrap_or_else(|| "wevtutil al wrote no LocaleMetaData file".into());
            let mut m = meta(step, ArtifactKind::Text, "wevtutil al", al_src, al_started);
            m.text_format = Some(TextFormat::Other);
            self.record(
                &format!("evtx/LocaleMetaData/{stem}_1033.MTA"),
                with_status(m, ArtifactStatus::Failed, Some(why)),
            );
        }
        let _ = std::fs::remove_file(&file);
    }

    fn reg_export(&mut self, step: &Step, key: &str, started: DateTime<Utc>) {
        let file = self.tmp.0.join(
            Path::new(&step.target)
                .file_name()
                .map(|n| n.to_os_string())
                .unwrap_or_else(|| "export.reg".into()),
        );
        let _ = std::fs::remove_file(&file);
        let cmd = CommandSpec::new(
            "reg",
            [
                "export".to_string(),
                key.to_string(),
                file.display().to_string(),
                "/y".into(),
            ],
        );
        let src = ArtifactSource {
            registry_key: Some(key.to_string()),
            command: Some(cmd.display().replace(&self.tmp.0.display().to_string(), "%TEMP%")),
            ..ArtifactSource::default()
        };
        let m = meta(step, ArtifactKind::Reg, "reg export", src, started);
        let out = run(&cmd, None, self.limits(step.timeout));
        if let Some(why) = out.failure() {
            let text = format!(
                "{} {}",
                decode_console(&out.stderr, self.oem_cp),
                decode_console(&out.stdout, self.oem_cp)
            );
            let status = if text.to_lowercase().contains("unable to find") {
                ArtifactStatus::Skipped
            } else {
                ArtifactStatus::Failed
            };
            self.record(&step.target, with_status(m, status, Some(why)));
            return;
        }
        match std::fs::metadata(&file) {
            Ok(md) if md.len() > 0 => self.add_file(&step.target, &file, m),
            _ => self.record(
                &step.target,
                with_status(
                    m,
                    ArtifactStatus::Failed,
                    Some("reg export exited 0 but wrote no file".into()),
                ),
            ),
        }
        let _ = std::fs::remove_file(&file);
    }

    fn capture(
        &mut self,
        step: &Step,
        command: &CommandSpec,
        fallback: Option<&CommandSpec>,
        output: Output,
        started: DateTime<Utc>,
    ) {
        let empty = |o: &RunOutput| o.stdout.iter().all(|b| b.is_ascii_whitespace() || *b == 0);
        let first = run(command, None, self.limits(step.timeout));
        let (used, out, note) = match fallback {
            Some(fb) if first.failure().is_some() || empty(&first) => {
                let why = first.failure().unwrap_or_else(|| "printed nothing".into());
                let second = run(fb, None, self.limits(step.timeout));
                let note = format!(
                    "`{}` failed ({why}); used `{}` instead",
                    command.display(),
                    fb.display()
                );
                (fb, second, Some(note))
            }
            _ => (command, first, None),
        };
        let m = meta(step, step.kind, "command", cmd_source(used), started);
        if empty(&out) {
            let why = out
                .failure()
                .unwrap_or_else(|| "the command printed nothing".into());
            let why = match note {
                Some(n) => format!("{n}; {why}"),
                None => why,
            };
            self.record(&step.target, with_status(m, ArtifactStatus::Failed, Some(why)));
            return;
        }
        if output == Output::Json && !out.success() {
            let why = out.failure().unwrap_or_default();
            self.record(&step.target, with_status(m, ArtifactStatus::Failed, Some(why)));
            return;
        }
        let mut problems: Vec<String> = note.into_iter().collect();
        if let Some(why) = out.failure() {
            problems.push(why);
        }
        if out.stdout_truncated {
            problems.push(format!("output cut at {} bytes", out.stdout.len()));
        }
        let bytes = match output {
            Output::Text => console_to_bundle_text(&out.stdout, self.oem_cp).into_bytes(),
            Output::Json => {
                let text = decode_console(&out.stdout, self.oem_cp);
                if serde_json::from_str::<serde_json::Value>(text.trim()).is_err() {
                    problems.push("the output is not valid JSON".into());
                }
                text.into_bytes()
            }
        };
        if step.id == "w32tm-status" {
            self.w32tm = Some(String::from_utf8_lossy(&bytes).into_owned());
        }
        if step.id == "ipconfig" {
            self.addresses
                .extend(crate::live::addresses_from_ipconfig(&String::from_utf8_lossy(
                    &bytes,
                )));
        }
        let (status, error) = if problems.is_empty() {
            (ArtifactStatus::Ok, None)
        } else {
            (ArtifactStatus::Partial, Some(problems.join("; ")))
        };
        self.add_bytes(&step.target, bytes, with_status(m, status, error));
    }

    fn copy_hive(&mut self, step: &Step, name: &str, source: Option<&Path>, started: DateTime<Utc>) {
        let Some(src) = source else {
            let m = meta(
                step,
                ArtifactKind::Hive,
                "copy",
                ArtifactSource::default(),
                started,
            );
            let why = format!(r"Windows\System32\config\{name} is not on the volume");
            self.record(&step.target, with_status(m, ArtifactStatus::Skipped, Some(why)));
            return;
        };
        self.copy_with_logs(step, &step.target, src, started);
    }

    /// A hive and its `.LOG1`/`.LOG2` beside it in the bundle; with `--redact`, a `.reg` of the
    /// keys the analyzer reads instead (the logs replayed), the raw files left out.
    fn copy_with_logs(&mut self, step: &Step, target: &str, src: &Path, started: DateTime<Utc>) {
        let source = |p: &Path| ArtifactSource {
            file_path: Some(p.display().to_string()),
            ..ArtifactSource::default()
        };
        if self.redactor.is_some() {
            self.reduce_hive_file(step, target, src, started);
            return;
        }
        self.add_file(
            target,
            src,
            meta(step, ArtifactKind::Hive, "copy", source(src), started),
        );
        for log in volume::hive_logs(src) {
            let suffix = log
                .extension()
                .map(|e| e.to_string_lossy().to_uppercase())
                .unwrap_or_default();
            self.add_file(
                &format!("{target}.{suffix}"),
                &log,
                meta(step, ArtifactKind::Hive, "copy", source(&log), started),
            );
        }
    }

    fn reduce_hive_file(&mut self, step: &Step, target: &str, src: &Path, started: DateTime<Utc>) {
        let path = format!("{target}.reduced.reg");
        let logs = volume::hive_logs(src);
        let mut m = meta(
            step,
            ArtifactKind::Reg,
            "copy",
            ArtifactSource {
                file_path: Some(src.display().to_string()),
                ..ArtifactSource::default()
            },
            started,
        );
        let read = |p: &Path| -> Result<Vec<u8>, String> {
            let size = std::fs::metadata(p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?
                .len();
            if size > MAX_HIVE_BYTES {
                return Err(format!(
                    "{}: {size} bytes, over the {MAX_HIVE_BYTES}-byte limit",
                    p.display()
                ));
            }
            std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        };
        let primary = match read(src) {
            Ok(b) => b,
            Err(why) => {
                self.record(
                    &path,
                    with_status(
                        m,
                        ArtifactStatus::Failed,
                        Some(format!("left out by --redact: {why}")),
                    ),
                );
                return;
            }
        };
        // A log that cannot be read is left out; the hive is then read without it (noted).
        let log_bytes: Vec<Vec<u8>> = logs.iter().filter_map(|l| read(l).ok()).collect();
        let log_refs: Vec<&[u8]> = log_bytes.iter().map(Vec::as_slice).collect();
        let name = src
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        match crate::redact_registry::reduce_hive(&primary, &log_refs, &name) {
            Ok(reduced) => {
                m.method = format!(
                    "copy with {} transaction log(s) replayed, then {}; {}",
                    log_refs.len(),
                    reduced.summary(),
                    RAW_HIVE_LEFT_OUT
                );
                let reg = self.redact_reduced(reduced);
                self.redacted.push(path.clone());
                self.add_redacted_bytes(&path, reg, m);
            }
            Err(e) => {
                let why = format!("left out by --redact: {e}");
                self.record(&path, with_status(m, ArtifactStatus::Failed, Some(why)));
            }
        }
    }

    fn user_dir_name(&self, user: &str) -> String {
        match &self.redactor {
            Some(r) => r.token(Category::User, user),
            None => user
                .chars()
                .map(|c| {
                    if c.is_control() || matches!(c, '/' | '\\' | ':') {
                        '_'
                    } else {
                        c
                    }
                })
                .collect::<String>()
                .trim_start_matches('.')
                .to_string(),
        }
    }

    fn user_hives(&mut self, step: &Step, users_root: &Path, started: DateTime<Utc>) {
        let mut any = false;
        for p in volume::user_profiles(users_root) {
            let Some(hive) = volume::resolve_ci(&p.path, &["NTUSER.DAT"]).filter(|h| h.is_file()) else {
                continue;
            };
            any = true;
            let dir = self.user_dir_name(&p.name);
            if dir.is_empty() {
                continue;
            }
            self.copy_with_logs(step, &format!("{}/{dir}/NTUSER.DAT", step.target), &hive, started);
        }
        if !any {
            let m = meta(
                step,
                ArtifactKind::Hive,
                "copy",
                ArtifactSource::default(),
                started,
            );
            self.record(
                &step.target,
                with_status(
                    m,
                    ArtifactStatus::Skipped,
                    Some("no user profile with NTUSER.DAT".into()),
                ),
            );
        }
    }

    fn traces(
        &mut self,
        step: &Step,
        users_root: &Path,
        extra_dirs: &[PathBuf],
        convert: bool,
        started: DateTime<Utc>,
    ) {
        let user = self.current_user.clone().unwrap_or_else(|| "current-user".into());
        let extra: Vec<(String, PathBuf)> = extra_dirs.iter().map(|d| (user.clone(), d.clone())).collect();
        let (files, older) = volume::find_traces(users_root, &extra, self.since);
        self.log.push(format!(
            "    {} trace file(s) in the window, {older} older left out",
            files.len()
        ));
        if files.is_empty() {
            let m = meta(
                step,
                ArtifactKind::Etl,
                "copy",
                ArtifactSource::default(),
                started,
            );
            let why = format!(
                "no RdClientAutoTrace .etl file modified since {} ({older} older file(s) left out)",
                self.since.to_rfc3339_opts(SecondsFormat::Secs, true)
            );
            self.record(&step.target, with_status(m, ArtifactStatus::Skipped, Some(why)));
            return;
        }
        let mut used = std::collections::HashSet::new();
        for f in files {
            let dir = self.user_dir_name(&f.user);
            let name = f
                .path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let mut path = format!("{}/{dir}/{name}", step.target);
            let mut n = 1;
            while !used.insert(path.clone()) {
                n += 1;
                path = format!("{}/{dir}/{n}-{name}", step.target);
            }
            let src = ArtifactSource {
                file_path: Some(f.path.display().to_string()),
                ..ArtifactSource::default()
            };
            if Instant::now() >= self.deadline {
                let m = meta(step, ArtifactKind::Etl, "copy", src, started);
                self.record(
                    &path,
                    with_status(m, ArtifactStatus::Failed, Some("step deadline passed".into())),
                );
                continue;
            }
            if self.redactor.is_some() {
                let m = meta(step, ArtifactKind::Etl, "copy", src, started);
                self.record(
                    &path,
                    with_status(m, ArtifactStatus::Skipped, Some(ETL_LEFT_OUT.into())),
                );
            } else {
                self.add_file(
                    &path,
                    &f.path,
                    meta(step, ArtifactKind::Etl, "copy", src, started),
                );
            }
            if !convert {
                continue;
            }
            let stem = path.trim_end_matches(".etl").trim_end_matches(".ETL").to_string();
            let xml_path = format!("{stem}.xml");
            let xml = self.tmp.0.join(format!("trace-{}.xml", self.acc.files));
            let cmd = CommandSpec::new(
                "tracerpt",
                [
                    f.path.display().to_string(),
                    "-o".into(),
                    xml.display().to_string(),
                    "-of".into(),
                    "XML".into(),
                    "-y".into(),
                ],
            );
            let xsrc = ArtifactSource {
                file_path: Some(f.path.display().to_string()),
                command: Some(cmd.display().replace(&self.tmp.0.display().to_string(), "%TEMP%")),
                ..ArtifactSource::default()
            };
            let xstarted = Utc::now();
            let out = run(&cmd, None, self.limits(timeouts::TRACERPT));
            let m = meta(step, ArtifactKind::TraceXml, "tracerpt -of XML", xsrc, xstarted);
            match (out.failure(), std::fs::metadata(&xml)) {
                (None, Ok(md)) if md.len() > 0 => self.add_file(&xml_path, &xml, m),
                (why, _) => self.record(
                    &xml_path,
                    with_status(
                        m,
                        ArtifactStatus::Failed,
                        Some(why.unwrap_or_else(|| "tracerpt wrote no XML".into())),
                    ),
                ),
            }
            let _ = std::fs::remove_file(&xml);
        }
    }

    #[cfg(feature = "probe")]
    fn probe(&mut self, step: &Step, target: &str, timeout: Duration, started: DateTime<Utc>) {
        let report = crate::probe::probe(target, timeout);
        if let Some(local) = &report.tcp.local
            && let Ok(addr) = local.parse::<std::net::SocketAddr>()
        {
            let ip = addr.ip().to_string();
            if !self.addresses.contains(&ip) {
                self.addresses.push(ip);
            }
        }
        self.log.push(format!("    probe verdict: {}", report.verdict));
        let src = ArtifactSource {
            command: Some(format!("rdpdiag-collect probe {target}")),
            ..ArtifactSource::default()
        };
        let m = meta(step, ArtifactKind::Json, "probe", src, started);
        match serde_json::to_vec_pretty(&report) {
            Ok(bytes) => self.add_bytes(&step.target, bytes, m),
            Err(e) => self.record(
                &step.target,
                with_status(m, ArtifactStatus::Failed, Some(e.to_string())),
            ),
        }
    }

    #[cfg(not(feature = "probe"))]
    fn probe(&mut self, step: &Step, _target: &str, _timeout: Duration, started: DateTime<Utc>) {
        let m = meta(
            step,
            ArtifactKind::Json,
            "probe",
            ArtifactSource::default(),
            started,
        );
        self.record(
            &step.target,
            with_status(
                m,
                ArtifactStatus::Skipped,
                Some("this build has no probe (built without the `probe` feature)".into()),
            ),
        );
    }
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
