//! One ticket's analysis as table rows. The [`Analysis`] (all events of both hosts) is turned
//! into these small rows at once and dropped, so memory does not grow with the batch.

use chrono::{DateTime, Utc};
use rdpdiag_schemas::report::ReportProblem;

use super::tables::{Row, Value, int, os, s};
use super::ticket::{Prepared, TicketRef};
use rdpdiag_diagnosis::analyze::Analysis;

/// How a ticket went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Analysed cleanly.
    Ok,
    /// Analysed, with some files or entries unreadable or rejected.
    Partial,
    /// Nothing usable could be read.
    Failed,
}

impl Status {
    /// Name in the `tickets.status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Partial => "partial",
            Status::Failed => "failed",
        }
    }
}

/// Rows of one ticket, per table.
#[derive(Debug, Default)]
pub struct TicketRows {
    /// One row.
    pub tickets: Vec<Row>,
    /// One per attempt.
    pub attempts: Vec<Row>,
    /// One per ranked cause of a failed attempt.
    pub findings: Vec<Row>,
    /// One per evidence item.
    pub evidence: Vec<Row>,
    /// One per error.
    pub errors: Vec<Row>,
}

/// What the summary needs of a ticket, plus its rows.
#[derive(Debug)]
pub struct TicketOutcome {
    /// Ticket id.
    pub ticket_id: String,
    /// How it went.
    pub status: Status,
    /// Report verdict (none when failed).
    pub verdict: Option<String>,
    /// Top cause id.
    pub top_cause: Option<String>,
    /// Its confidence.
    pub confidence: Option<f64>,
    /// Why it failed.
    pub failure: Option<String>,
    /// Its rows.
    pub rows: TicketRows,
}

/// When and how long.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Start of the ticket's analysis.
    pub started: DateTime<Utc>,
    /// Milliseconds it took.
    pub elapsed_ms: i64,
}

fn flt(v: f64) -> Value {
    Value::Float(Some(v))
}

fn error_row(t: &TicketRef, file: String, location: Option<String>, reason: String, fatal: bool) -> Row {
    vec![
        ("ticket_id", s(&t.id)),
        ("ticket_path", s(t.path.display().to_string())),
        ("file", s(file)),
        ("location", os(location.filter(|l| !l.is_empty()))),
        ("reason", s(reason)),
        ("fatal", Value::Bool(Some(fatal))),
    ]
}

/// Counts of an input set, for the `tickets` row.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    inputs: usize,
    inputs_unreadable: usize,
    artifacts: usize,
    attempts: usize,
    failed_attempts: usize,
    records_read: u64,
    records_failed: u64,
    events_kept: usize,
    errors: usize,
    warnings: usize,
}

fn ticket_row(t: &TicketRef, status: Status, a: Option<&Analysis>, c: Counts, timing: Timing) -> Row {
    let report = a.map(|a| &a.report);
    let top = report.and_then(|r| r.top_cause);
    let top_conf = top.and_then(|id| {
        report
            .and_then(|r| r.causes.iter().find(|c| c.id == id))
            .map(|c| c.confidence)
    });
    let second = top.and_then(|t| report.and_then(|r| r.causes.iter().find(|c| c.id != t)));
    let skew = report.map(|r| &r.skew);
    let known_skew = skew.filter(|k| k.basis != "unknown");
    let host =
        |role: &str| report.and_then(|r| r.hosts.iter().find(|h| h.role == role).map(|h| h.name.clone()));
    vec![
        ("ticket_id", s(&t.id)),
        ("ticket_path", s(t.path.display().to_string())),
        ("status", s(status.as_str())),
        ("verdict", os(report.map(|r| r.verdict.clone()))),
        ("top_cause", os(top.map(|c| c.as_str()))),
        ("confidence", Value::Float(top_conf)),
        ("second_cause", os(second.map(|c| c.id.as_str()))),
        ("second_confidence", Value::Float(second.map(|c| c.confidence))),
        ("skew_ms", Value::Int(known_skew.map(|k| k.offset_ms))),
        (
            "skew_uncertainty_ms",
            Value::Int(known_skew.and_then(|k| k.uncertainty_ms)),
        ),
        ("skew_basis", os(skew.map(|k| k.basis.clone()))),
        ("client_host", os(host("client"))),
        ("server_host", os(host("server"))),
        ("inputs", int(c.inputs)),
        ("inputs_unreadable", int(c.inputs_unreadable)),
        ("artifacts", int(c.artifacts)),
        ("attempts", int(c.attempts)),
        ("failed_attempts", int(c.failed_attempts)),
        ("records_read", int(c.records_read)),
        ("records_failed", int(c.records_failed)),
        ("events_kept", int(c.events_kept)),
        ("errors", int(c.errors)),
        ("warnings", int(c.warnings)),
        ("started_utc", Value::Time(Some(timing.started))),
        ("elapsed_ms", Value::Int(Some(timing.elapsed_ms))),
    ]
}

/// A ticket that could not be analysed at all (listing problem, panic).
pub fn failed_outcome(t: &TicketRef, reason: String, timing: Timing) -> TicketOutcome {
    let c = Counts {
        errors: 1,
        ..Counts::default()
    };
    TicketOutcome {
        ticket_id: t.id.clone(),
        status: Status::Failed,
        verdict: None,
        top_cause: None,
        confidence: None,
        failure: Some(reason.clone()),
        rows: TicketRows {
            tickets: vec![ticket_row(t, Status::Failed, None, c, timing)],
            errors: vec![error_row(t, t.path.display().to_string(), None, reason, true)],
            ..TicketRows::default()
        },
    }
}

/// Rows of an analysed ticket.
pub fn outcome(t: &TicketRef, prepared: &Prepared, a: &Analysis, timing: Timing) -> TicketOutcome {
    let problems: Vec<&ReportProblem> = prepared.problems.iter().chain(&a.report.problems).collect();
    let errors: Vec<&ReportProblem> = problems
        .iter()
        .copied()
        .filter(|p| p.severity == "error")
        .collect();
    let mut c = Counts {
        inputs: a.inputs.len(),
        inputs_unreadable: a.inputs.iter().filter(|i| i.container.is_none()).count(),
        artifacts: a.inputs.iter().map(|i| i.artifacts.len()).sum(),
        attempts: a.report.attempts.len(),
        failed_attempts: a.report.attempts.iter().filter(|x| x.failed).count(),
        events_kept: a.report.hosts.iter().map(|h| h.events).sum(),
        errors: errors.len(),
        warnings: problems.iter().filter(|p| p.severity == "warning").count(),
        ..Counts::default()
    };
    for art in a.inputs.iter().flat_map(|i| &i.artifacts) {
        if let Some(e) = &art.evtx {
            c.records_read += e.records_read;
            c.records_failed += e.records_failed;
        }
    }
    let hosts = [a.ticket.client.as_ref(), a.ticket.server.as_ref()];
    let anything_read = hosts
        .iter()
        .flatten()
        .any(|h| !h.events.is_empty() || h.facts.is_some());
    let failure = if c.inputs == 0 || c.inputs_unreadable == c.inputs || !anything_read {
        Some(
            errors
                .first()
                .map(|p| format!("nothing usable could be read: {}", p.message))
                .unwrap_or_else(|| {
                    "nothing usable could be read: no event log or host fact in the ticket".into()
                }),
        )
    } else {
        None
    };
    let status = match (&failure, c.errors) {
        (Some(_), _) => Status::Failed,
        (None, 0) => Status::Ok,
        (None, _) => Status::Partial,
    };
    let mut rows = TicketRows::default();
    for p in &errors {
        rows.errors.push(error_row(
            t,
            prepared.show(&p.input),
            Some(prepared.show(&p.location)),
            prepared.show(&p.message),
            false,
        ));
    }
    if let Some(reason) = &failure {
        c.errors += 1;
        rows.errors.push(error_row(
            t,
            t.path.display().to_string(),
            None,
            reason.clone(),
            true,
        ));
    }
    rows.tickets
        .push(ticket_row(t, status, (failure.is_none()).then_some(a), c, timing));
    if failure.is_none() {
        attempt_rows(t, prepared, a, &mut rows);
    }
    let top_cause = a.report.top_cause.filter(|_| failure.is_none());
    TicketOutcome {
        ticket_id: t.id.clone(),
        status,
        verdict: failure.is_none().then(|| a.report.verdict.clone()),
        top_cause: top_cause.map(|c| c.as_str().to_string()),
        confidence: top_cause
            .and_then(|id| a.report.causes.iter().find(|c| c.id == id).map(|c| c.confidence)),
        failure,
        rows,
    }
}

fn attempt_rows(t: &TicketRef, prepared: &Prepared, a: &Analysis, rows: &mut TicketRows) {
    for at in &a.report.attempts {
        let n = int(at.number);
        let top = at.findings.first().filter(|_| at.failed);
        rows.attempts.push(vec![
            ("ticket_id", s(&t.id)),
            ("attempt", n.clone()),
            ("client_start_utc", Value::Time(Some(at.client_start_utc))),
            ("server_start_utc", Value::Time(Some(at.server_start_utc))),
            ("target", os(at.target.clone())),
            (
                "disconnect_reason",
                Value::Int(at.disconnect_reason.map(i64::from)),
            ),
            ("disconnect_hex", os(at.disconnect_hex.clone())),
            ("duration_s", Value::Float(at.duration_s)),
            ("failed", Value::Bool(Some(at.failed))),
            ("reached_server", Value::Bool(at.reached_server)),
            ("authenticated", Value::Bool(Some(at.authenticated))),
            ("seen_from", os(at.seen_from.clone())),
            ("verdict", os(at.verdict.clone())),
            ("top_cause", os(top.map(|f| f.id.as_str()))),
            ("confidence", Value::Float(top.map(|f| f.confidence))),
            ("findings", int(at.findings.len())),
            ("timeline_events", int(at.timeline.len())),
        ]);
        for (rank, f) in at.findings.iter().enumerate() {
            rows.findings.push(vec![
                ("ticket_id", s(&t.id)),
                ("attempt", n.clone()),
                ("rank", int(rank + 1)),
                ("cause", s(f.id.as_str())),
                ("title", s(&f.title)),
                ("confidence", flt(f.confidence)),
                ("prior", flt(f.prior)),
                ("evidence_items", int(f.evidence.len())),
                (
                    "supporting",
                    int(f.evidence.iter().filter(|e| e.weight > 0.0).count()),
                ),
                (
                    "refuting",
                    int(f.evidence.iter().filter(|e| e.weight < 0.0).count()),
                ),
            ]);
            for e in &f.evidence {
                let l = e.lines.first();
                rows.evidence.push(vec![
                    ("ticket_id", s(&t.id)),
                    ("attempt", n.clone()),
                    ("cause", s(f.id.as_str())),
                    ("evidence_id", s(&e.id)),
                    ("says", s(&e.says)),
                    ("weight", flt(e.weight)),
                    ("before", flt(e.before)),
                    ("after", flt(e.after)),
                    ("matched", int(e.matched)),
                    ("records_cited", int(e.lines.len())),
                    ("host", os(l.map(|l| l.host.clone()))),
                    ("channel", os(l.map(|l| l.channel.clone()))),
                    ("event_id", Value::Int(l.map(|l| i64::from(l.event_id)))),
                    (
                        "record_id",
                        Value::Int(l.and_then(|l| i64::try_from(l.record_id).ok())),
                    ),
                    ("host_time_utc", Value::Time(l.and_then(|l| l.host_time_utc))),
                    ("server_time_utc", Value::Time(l.and_then(|l| l.server_time_utc))),
                    (
                        "source",
                        os(l.map(|l| prepared.show(&l.source)).filter(|s| !s.is_empty())),
                    ),
                    ("summary", os(l.map(|l| l.summary.clone()))),
                ]);
            }
        }
    }
}
