//! From diagnosis to report.

use std::collections::HashSet;

use chrono::Duration;

use crate::correlate::{Correlation, HostEvidence, SkewBasis};
use crate::diagnose::{Diagnosis, EvidenceLine, Verdict};
use rdpdiag_schemas::report::*;

/// The hosts of a ticket and the problems met reading them.
#[derive(Debug, Clone, Default)]
pub struct TicketInput {
    /// Client host, if any input was one.
    pub client: Option<HostEvidence>,
    /// Server host, if any input was one.
    pub server: Option<HostEvidence>,
    /// Problems while reading.
    pub problems: Vec<ReportProblem>,
}

fn verdict_name(v: Verdict) -> String {
    match v {
        Verdict::Diagnosed => "diagnosed",
        Verdict::InsufficientEvidence => "insufficient-evidence",
        Verdict::NothingFailed => "nothing-failed",
        Verdict::NoAttempts => "no-attempts",
    }
    .into()
}

fn line(l: &EvidenceLine) -> ReportLine {
    ReportLine {
        host: l.host.clone(),
        channel: l.channel.clone(),
        event_id: l.event_id,
        record_id: l.record_id,
        host_time_utc: l.host_time,
        server_time_utc: l.server_time,
        source: if l.input.is_empty() {
            l.artifact.clone()
        } else {
            format!("{} :: {}", l.input, l.artifact)
        },
        summary: l.summary.clone(),
    }
}

fn host(h: &HostEvidence) -> ReportHost {
    ReportHost {
        role: serde_json::to_value(h.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        name: h.name.clone(),
        addresses: h.addresses.clone(),
        inputs: h.inputs.clone(),
        events: h.events.len(),
    }
}

/// Channels shown on the timeline (the rest of the kept events are context for rules only).
fn on_timeline(channel: &str, id: u32) -> bool {
    let c = channel.to_ascii_lowercase();
    c.contains("rdpclient")
        || c.contains("rdpcorets")
        || c.contains("remoteconnectionmanager")
        || c.contains("localsessionmanager")
        || c.contains("capi2")
        || c.contains("firewall")
        || (c == "system" && (33000..37000).contains(&id))
        || (c == "system" && (1050..1074).contains(&id))
        || (c == "security" && matches!(id, 4625 | 5152 | 5157 | 5058))
        || (c == "application" && (1500..1560).contains(&id))
}

fn summary(e: &crate::model::Event) -> String {
    let parts: Vec<String> = e
        .fields
        .iter()
        .filter_map(|(k, v)| {
            let t = v.as_text()?.split_whitespace().collect::<Vec<_>>().join(" ");
            (!t.is_empty()).then(|| format!("{k}={t}"))
        })
        .take(5)
        .collect();
    let mut s = parts.join(" ");
    if s.chars().count() > 160 {
        s = format!("{}…", s.chars().take(160).collect::<String>());
    }
    s
}

/// Builds the report of a ticket.
pub fn build_report(t: &TicketInput, corr: &Correlation, d: &Diagnosis) -> Report {
    let skew = ReportSkew {
        offset_ms: corr.skew.offset.num_milliseconds(),
        uncertainty_ms: corr.skew.uncertainty.map(|u| u.num_milliseconds()),
        basis: match corr.skew.basis {
            SkewBasis::MatchedAttempts { .. } => "matched-attempts",
            SkewBasis::Measured => "measured",
            SkewBasis::Unknown => "unknown",
        }
        .into(),
        description: corr.skew.describe(),
    };
    let mut attempts = Vec::new();
    for (i, pa) in corr.attempts.iter().enumerate() {
        let a = &pa.attempt;
        let diag = d.attempts.iter().find(|x| x.attempt == i);
        let findings: Vec<ReportFinding> = diag
            .map(|x| {
                x.findings
                    .iter()
                    .filter(|f| !f.evidence.is_empty() || f.confidence > f.prior)
                    .map(|f| ReportFinding {
                        id: f.id,
                        title: f.title.clone(),
                        confidence: f.confidence,
                        prior: f.prior,
                        evidence: f
                            .evidence
                            .iter()
                            .map(|h| ReportEvidence {
                                id: h.id.clone(),
                                says: h.says.clone(),
                                weight: h.weight,
                                before: (h.before * 1000.0).round() / 1000.0,
                                after: (h.after * 1000.0).round() / 1000.0,
                                matched: h.matched,
                                lines: h.lines.iter().map(line).collect(),
                            })
                            .collect(),
                        fix: f.fix.clone(),
                        references: f.references.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let cited: HashSet<(String, String, u64)> = findings
            .first()
            .map(|f| {
                f.evidence
                    .iter()
                    .filter(|e| e.weight > 0.0)
                    .flat_map(|e| {
                        e.lines
                            .iter()
                            .map(|l| (l.host.clone(), l.channel.clone(), l.record_id))
                    })
                    .collect()
            })
            .unwrap_or_default();
        // Timeline: the client's attempt events, and the server's events around it.
        let mut timeline = Vec::new();
        let start_s = pa.server_time;
        let span = a
            .duration_s()
            .map(|d| Duration::milliseconds((d * 1000.0) as i64))
            .unwrap_or(Duration::seconds(10));
        let (lo, hi) = (
            start_s - Duration::seconds(5),
            start_s + span + Duration::seconds(5),
        );
        if let Some(c) = &t.client {
            let recs: HashSet<u64> = a.records.iter().copied().collect();
            for e in c.events.iter().filter(|e| {
                recs.contains(&e.record_id) && e.channel.to_ascii_lowercase().contains("rdpclient")
            }) {
                let st = e.time_utc - corr.skew.offset;
                timeline.push(TimelineEntry {
                    lane: "client".into(),
                    server_time_utc: st,
                    offset_ms: (st - start_s).num_milliseconds(),
                    channel: e.channel.to_string(),
                    event_id: e.event_id,
                    record_id: e.record_id,
                    summary: summary(e),
                    cited: cited.contains(&("client".to_string(), e.channel.to_string(), e.record_id)),
                });
            }
            for e in c
                .events
                .iter()
                .filter(|e| &*e.channel == "System" && (36000..37000).contains(&e.event_id))
            {
                let st = e.time_utc - corr.skew.offset;
                if st >= lo && st <= hi {
                    timeline.push(TimelineEntry {
                        lane: "client".into(),
                        server_time_utc: st,
                        offset_ms: (st - start_s).num_milliseconds(),
                        channel: e.channel.to_string(),
                        event_id: e.event_id,
                        record_id: e.record_id,
                        summary: summary(e),
                        cited: cited.contains(&("client".to_string(), e.channel.to_string(), e.record_id)),
                    });
                }
            }
        }
        if let Some(s) = &t.server {
            let conn_act = pa
                .connection
                .and_then(|c| corr.connections.get(c))
                .and_then(|c| c.activity_id.clone());
            for e in s
                .events
                .iter()
                .filter(|e| e.time_utc >= lo && e.time_utc <= hi && on_timeline(&e.channel, e.event_id))
            {
                // Other clients' connections are noise on this attempt's timeline.
                if let (Some(act), Some(mine)) = (&e.activity_id, &conn_act)
                    && !act.eq_ignore_ascii_case(mine)
                    && e.channel.to_ascii_lowercase().contains("rdpcorets")
                {
                    continue;
                }
                if conn_act.is_none() && e.activity_id.is_some() && (e.event_id == 131 || e.event_id == 261) {
                    continue;
                }
                timeline.push(TimelineEntry {
                    lane: "server".into(),
                    server_time_utc: e.time_utc,
                    offset_ms: (e.time_utc - start_s).num_milliseconds(),
                    channel: e.channel.to_string(),
                    event_id: e.event_id,
                    record_id: e.record_id,
                    summary: summary(e),
                    cited: cited.contains(&("server".to_string(), e.channel.to_string(), e.record_id)),
                });
            }
        }
        timeline.sort_by_key(|e| (e.server_time_utc, e.lane.clone()));
        timeline.truncate(400);
        let reason = a.disconnect_reason;
        attempts.push(ReportAttempt {
            number: i + 1,
            client_start_utc: a.start,
            server_start_utc: pa.server_time,
            target: a.target.clone(),
            disconnect_reason: reason,
            disconnect_hex: reason.map(|r| format!("0x{r:X}")),
            disconnect_meaning: reason
                .and_then(rdpdiag_schemas::codes::disconnect_reason)
                .map(|r| r.meaning.to_string()),
            duration_s: a.duration_s(),
            failed: a.failed(),
            reached_server: pa.reached_server,
            authenticated: pa.authenticated,
            seen_from: pa.seen_from.clone(),
            verdict: diag.map(|x| verdict_name(x.verdict)),
            findings,
            collect_next: diag.map(|x| x.collect_next.clone()).unwrap_or_default(),
            timeline,
        });
    }
    Report {
        schema_version: REPORT_VERSION,
        tool: format!("rdpdiag {}", env!("CARGO_PKG_VERSION")),
        verdict: verdict_name(d.verdict),
        top_cause: d.top_cause,
        causes: d
            .causes
            .iter()
            .map(|c| ReportCause {
                id: c.id,
                title: c.title.clone(),
                confidence: (c.confidence * 1000.0).round() / 1000.0,
                top_in_attempts: c.top_in_attempts,
            })
            .collect(),
        skew,
        hosts: t.client.iter().chain(t.server.iter()).map(host).collect(),
        attempts,
        problems: t.problems.clone(),
    }
}
