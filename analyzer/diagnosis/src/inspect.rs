//! `rdpdiag inspect`: what each input is and what could be read from it, as text or JSON.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use rdpdiag_evtx::model::{Problem, Severity};
use rdpdiag_ingest::artifact::Outcome;
use rdpdiag_ingest::{IngestOptions, InputReport, Source, ingest};

/// The inspect report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InspectReport {
    /// `rdpdiag` and its version.
    pub tool: String,
    /// Totals over all inputs.
    pub totals: Totals,
    /// One report per input.
    pub inputs: Vec<InputReport>,
}

/// Totals over all inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Inputs given.
    pub inputs: usize,
    /// Inputs that could not be opened at all.
    pub inputs_unreadable: usize,
    /// Artifacts (files) read.
    pub artifacts: usize,
    /// Entries rejected or unreadable.
    pub artifacts_lost: usize,
    /// EVTX records read.
    pub records_read: u64,
    /// EVTX records that failed.
    pub records_failed: u64,
    /// EVTX chunks that failed.
    pub chunks_failed: u64,
    /// Events kept for the rules.
    pub events_kept: u64,
    /// Problems of severity error.
    pub errors: usize,
}

/// Builds the inspect report for these inputs.
pub fn inspect(paths: &[PathBuf], opts: &IngestOptions) -> InspectReport {
    let ingested = ingest(paths, opts);
    let mut totals = Totals {
        inputs: ingested.inputs.len(),
        ..Totals::default()
    };
    for i in &ingested.inputs {
        if i.container.is_none() {
            totals.inputs_unreadable += 1;
        }
        totals.errors += count_errors(&i.problems);
        for a in &i.artifacts {
            totals.errors += count_errors(&a.problems);
            match a.outcome {
                Outcome::Rejected { .. } | Outcome::Unreadable { .. } => totals.artifacts_lost += 1,
                _ => totals.artifacts += 1,
            }
            if let Some(s) = &a.evtx {
                totals.records_read += s.records_read;
                totals.records_failed += s.records_failed;
                totals.chunks_failed += s.chunks_failed;
                totals.events_kept += s.records_kept;
            }
        }
    }
    InspectReport {
        tool: format!("rdpdiag {}", env!("CARGO_PKG_VERSION")),
        totals,
        inputs: ingested.inputs,
    }
}

fn count_errors(problems: &[Problem]) -> usize {
    problems.iter().filter(|p| p.severity == Severity::Error).count()
}

/// The report as pretty JSON.
pub fn render_json(report: &InspectReport) -> String {
    let mut s = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\": \"could not serialise the report: {e}\"}}"));
    s.push('\n');
    s
}

fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn source_name(s: Option<Source>) -> &'static str {
    match s {
        Some(Source::Manifest) => "manifest",
        Some(Source::MsrdNames) => "MSRD file names",
        Some(Source::Events) => "events",
        None => "unknown",
    }
}

/// The report as text for a terminal.
pub fn render_text(report: &InspectReport) -> String {
    let mut out = String::new();
    for input in &report.inputs {
        render_input(&mut out, input);
        out.push('\n');
    }
    let t = &report.totals;
    let _ = writeln!(
        out,
        "{} input(s), {} artifact(s) read, {} lost; {} records read, {} failed, {} chunk(s) failed; {} events kept; {} error(s)",
        t.inputs,
        t.artifacts,
        t.artifacts_lost,
        t.records_read,
        t.records_failed,
        t.chunks_failed,
        t.events_kept,
        t.errors
    );
    crate::report::text::terminal_safe(&out)
}

fn render_input(out: &mut String, input: &InputReport) {
    let _ = writeln!(out, "{}", input.input);
    let (Some(container), Some(layout)) = (input.container, input.layout.as_ref()) else {
        for p in &input.problems {
            let _ = writeln!(out, "  {p}");
        }
        return;
    };
    let container = match container {
        rdpdiag_input::Container::Zip => "zip",
        rdpdiag_input::Container::Dir => "folder",
        rdpdiag_input::Container::File => "file",
    };
    let _ = writeln!(out, "  what:  {} ({container})", layout.kind.describe());
    if let Some(m) = &input.manifest {
        let _ = writeln!(
            out,
            "  manifest: bundle {}, {}, created {}, window {} .. {}, {} artifacts listed{}",
            m.bundle_id,
            m.tool,
            m.created_utc.format("%Y-%m-%d %H:%M:%SZ"),
            m.since_utc.format("%Y-%m-%d %H:%M:%SZ"),
            m.until_utc.format("%Y-%m-%d %H:%M:%SZ"),
            m.artifacts_listed,
            m.ticket
                .as_deref()
                .map(|t| format!(", ticket {t}"))
                .unwrap_or_default()
        );
    }
    match &input.host {
        Some(h) => {
            let _ = writeln!(out, "  host:  {h} (from {})", source_name(input.host_source));
        }
        None => out.push_str("  host:  unknown\n"),
    }
    let role = serde_json::to_value(input.role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    match input.role_source {
        Some(src) => {
            let _ = writeln!(out, "  role:  {role} (from {})", source_name(Some(src)));
        }
        None => {
            let _ = writeln!(out, "  role:  {role}");
        }
    }
    for p in &input.problems {
        let _ = writeln!(out, "  {p}");
    }
    let _ = writeln!(out, "  artifacts ({}):", input.artifacts.len());
    for a in &input.artifacts {
        let kind = a.content.map(|c| c.name()).unwrap_or("-");
        let size = a.size.map(human_size).unwrap_or_default();
        let _ = write!(
            out,
            "    {}  [{kind}{}{size}]",
            a.path,
            if size.is_empty() { "" } else { ", " }
        );
        match &a.outcome {
            Outcome::Parsed => {}
            Outcome::NotParsed { reason } => {
                let _ = write!(out, "  not parsed: {reason}");
            }
            Outcome::Rejected { reason } => {
                let _ = write!(out, "  REJECTED: {reason}");
            }
            Outcome::Unreadable { reason } => {
                let _ = write!(out, "  UNREADABLE: {reason}");
            }
        }
        out.push('\n');
        if let Some(s) = &a.evtx {
            let range = match (s.first_utc, s.last_utc) {
                (Some(f), Some(l)) => format!(
                    "{} .. {}",
                    f.format("%Y-%m-%d %H:%M:%SZ"),
                    l.format("%Y-%m-%d %H:%M:%SZ")
                ),
                _ => "no records".into(),
            };
            let channels = s
                .channels
                .iter()
                .map(|(c, n)| format!("{c} ({n})"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(out, "      time:    {range}");
            if !channels.is_empty() {
                let _ = writeln!(out, "      channel: {channels}");
            }
            let _ = writeln!(
                out,
                "      records: {} read, {} failed, {} kept; chunks: {} in file, {} read, {} failed, {} empty, {} bad CRC{}{}",
                s.records_read,
                s.records_failed,
                s.records_kept,
                s.chunks_in_file,
                s.chunks_read,
                s.chunks_failed,
                s.chunks_empty,
                s.chunks_bad_crc,
                if s.dirty {
                    "; log was not closed cleanly (dirty)"
                } else {
                    ""
                },
                if s.partial_tail_bytes > 0 {
                    format!("; {} bytes of a partial last chunk", s.partial_tail_bytes)
                } else {
                    String::new()
                }
            );
            if !s.kept_by_event_id.is_empty() {
                let ids = s
                    .kept_by_event_id
                    .iter()
                    .map(|(id, n)| format!("{id}x{n}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                let _ = writeln!(out, "      kept:    {ids}");
            }
        }
        for p in &a.problems {
            if matches!(a.outcome, Outcome::Rejected { .. } | Outcome::Unreadable { .. })
                && p.severity == Severity::Error
                && matches!(p.location, rdpdiag_evtx::model::Location::Whole)
            {
                continue; // already on the artifact's line
            }
            let _ = writeln!(out, "      {p}");
        }
    }
}
