//! Redacting a bundle after the fact: the same redaction `--redact` applies while collecting,
//! applied to a bundle zip that was written without it (or generated), with a key shared by
//! the client and the server bundle of one ticket so that the analyzer can still pair them.
//!
//! Event logs become redacted-events files ([`crate::redact_events`]; the raw `.evtx` is not
//! copied), hives (with their transaction logs replayed) and `reg export`s become `.reg` files of
//! the keys the analyzer reads, redacted ([`crate::redact_registry`]; a hive `X` becomes
//! `X.reduced.reg`, the raw hive and logs are not copied), ETL traces are left out (their entry
//! says why), text artifacts are redacted in place (encoding kept), the manifest's host is
//! redacted and `redaction` says what was done.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;

use chrono::Utc;
use rdpdiag_schemas::manifest::{Manifest, Redaction, ToolInfo};
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus};

use crate::bundle::{ArtifactMeta, BundleError, BundleWriter, ManifestHeader};
use crate::redact::{Category, Counts, ETL_LEFT_OUT, METHOD, Redactor, redact_text_bytes};
use crate::redact_events::redact_evtx;
use crate::redact_registry::{RAW_HIVE_LEFT_OUT, Reduced, reduce_hive, reduce_reg_export};

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
    /// Artifacts copied as they are (redacted-events files, redacted already).
    pub copied: Vec<String>,
    /// (registry artifact in the input, reduced `.reg` written): hives and `reg export`s.
    pub registry: Vec<(String, String)>,
    /// Artifacts left out: raw hives and their transaction logs, ETL traces, unreadable
    /// `reg export`s.
    pub dropped: Vec<String>,
}

/// The hive path of a transaction log path (`registry/SYSTEM.LOG1` → `registry/SYSTEM`).
fn hive_log_stem(path: &str) -> Option<&str> {
    let upper = path.to_ascii_uppercase();
    [".LOG1", ".LOG2", ".LOG"]
        .iter()
        .find(|s| upper.ends_with(*s))
        .map(|s| &path[..path.len() - s.len()])
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
    // The registry first: the names it holds (profile folders, the client's servers and
    // username hints) are then replaced in every artifact, event logs included.
    let mut reduced: HashMap<String, Result<Reduced, String>> = HashMap::new();
    for a in &manifest.artifacts {
        let is_hive = a.kind == ArtifactKind::Hive && hive_log_stem(&a.path).is_none();
        if a.sha256.is_none() || !(is_hive || a.kind == ArtifactKind::Reg) {
            continue;
        }
        let result = read_entry(&mut zip, &a.path).and_then(|bytes| {
            if is_hive {
                let logs: Vec<Vec<u8>> = manifest
                    .artifacts
                    .iter()
                    .filter(|l| {
                        l.sha256.is_some()
                            && hive_log_stem(&l.path).is_some_and(|s| s.eq_ignore_ascii_case(&a.path))
                    })
                    .filter_map(|l| read_entry(&mut zip, &l.path).ok())
                    .collect();
                let log_refs: Vec<&[u8]> = logs.iter().map(Vec::as_slice).collect();
                reduce_hive(&bytes, &log_refs, &a.path)
                    .map(|mut x| {
                        x.notes
                            .insert(0, format!("{} transaction log(s) replayed", log_refs.len()));
                        x
                    })
                    .map_err(|e| e.to_string())
            } else {
                reduce_reg_export(&bytes).map_err(|e| e.to_string())
            }
        });
        if let Ok(x) = &result {
            x.learn_names(&mut r);
        }
        reduced.insert(a.path.clone(), result);
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
        // Registry artifacts were read above; traces are left out unread.
        let read_above = matches!(a.kind, ArtifactKind::Hive | ArtifactKind::Reg | ArtifactKind::Etl);
        let bytes = match read_above
            .then(Vec::new)
            .map_or_else(|| read_entry(&mut zip, &a.path), Ok)
        {
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
            ArtifactKind::Hive if hive_log_stem(&a.path).is_some() => {
                // Replayed with its hive below (or, without one, left out with the hive).
                report.dropped.push(a.path.clone());
            }
            ArtifactKind::Hive | ArtifactKind::Reg => {
                let is_hive = a.kind == ArtifactKind::Hive;
                let path = if is_hive {
                    format!("{}.reduced.reg", a.path)
                } else {
                    a.path.clone()
                };
                meta.kind = ArtifactKind::Reg;
                match reduced.remove(&a.path) {
                    Some(Ok(mut x)) => {
                        x.redact(&r, &mut counts);
                        meta.method = if is_hive {
                            format!("{}, then {}; {}", a.method, x.summary(), RAW_HIVE_LEFT_OUT)
                        } else {
                            format!("{}, then {}", a.method, x.summary())
                        };
                        writer.add_bytes(&path, &x.to_reg(), meta)?;
                        rewritten.push(path.clone());
                        report.registry.push((a.path.clone(), path));
                        if is_hive {
                            report.dropped.push(a.path.clone());
                        }
                    }
                    other => {
                        let why = match other {
                            Some(Err(e)) => e,
                            _ => "not read".to_string(),
                        };
                        meta.status = ArtifactStatus::Failed;
                        meta.error = Some(format!("left out by --redact: {why}"));
                        writer.record_step(&path, meta)?;
                        report.dropped.push(a.path.clone());
                    }
                }
            }
            ArtifactKind::Etl => {
                meta.status = ArtifactStatus::Skipped;
                meta.error = Some(ETL_LEFT_OUT.to_string());
                writer.record_step(&a.path, meta)?;
                report.dropped.push(a.path.clone());
            }
            ArtifactKind::RedactedEvents => {
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
