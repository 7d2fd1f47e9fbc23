//! Redacting a bundle after the fact: the same redaction `--redact` applies while collecting,
//! applied to a bundle zip that was written without it (or generated), with a key shared by
//! the client and the server bundle of one ticket so that the analyzer can still pair them.
//!
//! Event logs become redacted-events files ([`crate::redact_events`]; the raw `.evtx` is not
//! copied), text artifacts are redacted in place (encoding kept), the manifest's host is
//! redacted and `redaction` says what was done. ETL traces and registry hives are copied as
//! they are (not redacted) and the manifest's `redaction.method` says so.

use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;

use chrono::Utc;
use rdpdiag_schemas::manifest::{Manifest, Redaction, ToolInfo};
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus};

use crate::bundle::{ArtifactMeta, BundleError, BundleWriter, ManifestHeader};
use crate::redact::{Category, Counts, METHOD, Redactor, redact_text_bytes};
use crate::redact_events::redact_evtx;

/// Largest artifact read into memory to be redacted.
const MAX_ARTIFACT_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Why a bundle could not be redacted.
#[derive(Debug, thiserror::Error)]
pub enum RedactBundleError {
    /// The input is not a readable bundle zip.
    #[error("{path}: {reason}")]
    Input {
        /// The input.
        path: String,
        /// Why.
        reason: String,
    },
    /// Writing the output failed.
    #[error(transparent)]
    Output(#[from] BundleError),
}

/// What was redacted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedactBundleReport {
    /// (event log path in the input, redacted-events path, records read, records kept).
    pub event_logs: Vec<(String, String, u64, u64)>,
    /// Text artifacts rewritten.
    pub texts: Vec<String>,
    /// Artifacts copied unredacted (hives, traces).
    pub copied: Vec<String>,
}

/// The redacted-events path of an event log path: `evtx/System.evtx` →
/// `evtx/System.redacted-events.jsonl`.
pub fn redacted_events_path(evtx_path: &str) -> String {
    let stem = evtx_path
        .strip_suffix(".evtx")
        .or_else(|| evtx_path.strip_suffix(".EVTX"))
        .unwrap_or(evtx_path);
    format!("{stem}.redacted-events.jsonl")
}

/// Writes `output`, the redacted copy of the bundle zip `input`, with tokens keyed by `key`.
pub fn redact_bundle(
    input: &Path,
    output: &Path,
    key: &[u8],
) -> Result<RedactBundleReport, RedactBundleError> {
    let input_err = |reason: String| RedactBundleError::Input {
        path: input.display().to_string(),
        reason,
    };
    let file = File::open(input).map_err(|e| input_err(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| input_err(format!("not a zip: {e}")))?;
    let manifest_bytes = read_entry(&mut zip, "manifest.json").map_err(input_err)?;
    let manifest = Manifest::from_json_slice(&manifest_bytes).map_err(|e| input_err(e.to_string()))?;

    let mut r = Redactor::with_key(key);
    r.add_host(&manifest.host.name);
    if let Some(domain) = &manifest.host.domain {
        r.add_host(&format!("{}.{domain}", manifest.host.name));
        r.add_name(domain, Category::Host);
    }
    let mut counts = Counts::new();
    let mut report = RedactBundleReport::default();
    let mut writer = BundleWriter::create_zip(output)?;
    let mut rewritten = Vec::new();
    for a in &manifest.artifacts {
        let mut meta = ArtifactMeta {
            kind: a.kind,
            text_format: a.text_format,
            source: a.source.clone(),
            method: a.method.clone(),
            started_utc: a.started_utc,
            finished_utc: a.finished_utc,
            status: a.status,
            error: a.error.clone(),
        };
        meta.source.file_path = meta.source.file_path.map(|p| r.redact(&p, &mut counts));
        meta.source.command = meta.source.command.map(|p| r.redact(&p, &mut counts));
        meta.error = meta.error.map(|e| r.redact(&e, &mut counts));
        if a.sha256.is_none() || matches!(a.status, ArtifactStatus::Failed | ArtifactStatus::Skipped) {
            writer.record_step(&a.path, meta)?;
            continue;
        }
        let bytes = match read_entry(&mut zip, &a.path) {
            Ok(b) => b,
            Err(reason) => {
                meta.status = ArtifactStatus::Failed;
                meta.error = Some(format!("not redacted: {reason}"));
                writer.record_step(&a.path, meta)?;
                continue;
            }
        };
        match a.kind {
            ArtifactKind::Evtx => {
                let path = redacted_events_path(&a.path);
                match redact_evtx(Cursor::new(bytes), &a.path, &r, &mut counts) {
                    Ok(ev) => {
                        meta.kind = ArtifactKind::RedactedEvents;
                        meta.method = format!(
                            "{}, then reduced to the records the analyzer uses and redacted",
                            a.method
                        );
                        if ev.truncated || ev.records_unreadable > 0 {
                            meta.status = ArtifactStatus::Partial;
                            meta.error = Some(format!(
                                "{} records unreadable{}",
                                ev.records_unreadable,
                                if ev.truncated { ", output cap reached" } else { "" }
                            ));
                        }
                        writer.add_bytes(&path, &ev.jsonl, meta)?;
                        report.event_logs.push((
                            a.path.clone(),
                            path.clone(),
                            ev.records_read,
                            ev.records_kept,
                        ));
                        rewritten.push(path);
                    }
                    Err(e) => {
                        // Never ship the raw log: record the failure instead.
                        meta.status = ArtifactStatus::Failed;
                        meta.error = Some(format!("not redacted, left out: {e}"));
                        writer.record_step(&path, meta)?;
                    }
                }
            }
            ArtifactKind::Hive | ArtifactKind::Etl | ArtifactKind::RedactedEvents => {
                writer.add_bytes(&a.path, &bytes, meta)?;
                report.copied.push(a.path.clone());
            }
            _ => {
                let out = redact_text_bytes(&r, &bytes, &mut counts).unwrap_or(bytes);
                writer.add_bytes(&a.path, &out, meta)?;
                report.texts.push(a.path.clone());
                rewritten.push(a.path.clone());
            }
        }
    }
    let mut host = manifest.host.clone();
    host.name = r.host_token(&host.name);
    host.domain = host.domain.as_ref().map(|d| r.domain_token(d));
    host.addresses = host.addresses.iter().map(|a| r.redact(a, &mut counts)).collect();
    if let Some(clock) = &mut host.clock {
        clock.sync_source = clock.sync_source.as_ref().map(|s| r.redact(s, &mut counts));
    }
    rewritten.sort();
    let header = ManifestHeader {
        bundle_id: manifest.bundle_id.clone(),
        tool: ToolInfo {
            name: "rdpdiag-collect".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        created_utc: Utc::now(),
        ticket: manifest.ticket.clone(),
        collection_mode: manifest.collection_mode,
        host,
        window: manifest.window.clone(),
        redaction: Some(Redaction {
            what: [Category::User, Category::Host, Category::Ip, Category::Sid]
                .iter()
                .map(|c| c.manifest_name().to_string())
                .collect(),
            method: METHOD.to_string(),
            artifacts: rewritten,
        }),
    };
    writer.finish(header)?;
    Ok(report)
}

/// An entry's bytes, bounded.
fn read_entry(zip: &mut zip::ZipArchive<File>, name: &str) -> Result<Vec<u8>, String> {
    let entry = zip.by_name(name).map_err(|e| format!("{name}: {e}"))?;
    if entry.size() > MAX_ARTIFACT_BYTES {
        return Err(format!(
            "{name}: {} bytes, over the {MAX_ARTIFACT_BYTES}-byte limit",
            entry.size()
        ));
    }
    let mut out = Vec::new();
    entry
        .take(MAX_ARTIFACT_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("{name}: {e}"))?;
    Ok(out)
}
