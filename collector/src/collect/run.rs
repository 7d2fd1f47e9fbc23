//! The run's state and the one path every artifact takes into the bundle: status
//! bookkeeping per step, the `--max-size` cap, and the `--redact` hooks.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rdpdiag_schemas::domain::TextFormat;
use rdpdiag_schemas::manifest::ArtifactSource;
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus};

use super::CollectError;
use crate::bundle::{ArtifactMeta, BundleWriter};
use crate::decode::{decode_console, utf16le_with_bom};
use crate::exec::RunLimits;
use crate::plan::Step;
use crate::redact::{Category, Counts, Redactor};

/// A temporary folder removed on drop.
pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn new() -> Result<TempDir, CollectError> {
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

/// Per-step bookkeeping.
#[derive(Default)]
pub(super) struct StepAcc {
    pub(super) statuses: Vec<ArtifactStatus>,
    pub(super) files: usize,
    pub(super) bytes: u64,
    pub(super) errors: Vec<String>,
}

impl StepAcc {
    pub(super) fn status(&self) -> ArtifactStatus {
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

/// The state of one collection run; the steps are its methods (`steps`, `live_steps`,
/// `volume_steps`, `traces`).
pub(super) struct Run {
    pub(super) writer: BundleWriter,
    pub(super) tmp: TempDir,
    pub(super) since: DateTime<Utc>,
    pub(super) oem_cp: Option<u16>,
    pub(super) redactor: Option<Redactor>,
    pub(super) counts: Counts,
    pub(super) redacted: Vec<String>,
    pub(super) log: Vec<String>,
    pub(super) addresses: Vec<String>,
    pub(super) w32tm: Option<String>,
    pub(super) current_user: Option<String>,
    pub(super) acc: StepAcc,
    pub(super) deadline: Instant,
}

pub(super) fn meta(
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

pub(super) fn with_status(
    mut m: ArtifactMeta,
    status: ArtifactStatus,
    error: Option<String>,
) -> ArtifactMeta {
    m.status = status;
    m.error = error;
    m.finished_utc = Utc::now().max(m.started_utc);
    m
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
    pub(super) fn limits(&self, timeout: Duration) -> RunLimits {
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
    pub(super) fn record(&mut self, path: &str, m: ArtifactMeta) {
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
    pub(super) fn maybe_redact(&mut self, path: &str, kind: ArtifactKind, bytes: Vec<u8>) -> Vec<u8> {
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
    pub(super) fn add_bytes(&mut self, path: &str, bytes: Vec<u8>, m: ArtifactMeta) {
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
    pub(super) fn redact_reduced(&mut self, mut reduced: crate::redact_registry::Reduced) -> Vec<u8> {
        if let Some(r) = &mut self.redactor {
            reduced.learn_names(r);
            reduced.redact(r, &mut self.counts);
        }
        reduced.to_reg()
    }

    /// Adds content that is redacted already (or needs none), or records the failure.
    pub(super) fn add_redacted_bytes(&mut self, path: &str, bytes: Vec<u8>, m: ArtifactMeta) {
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
    pub(super) fn add_file(&mut self, path: &str, src: &Path, m: ArtifactMeta) {
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

    /// A user's folder in the bundle: a pseudonym with `--redact`, else the name made safe.
    pub(super) fn user_dir_name(&self, user: &str) -> String {
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
}
