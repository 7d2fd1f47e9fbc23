//! From diagnosis to report.

use std::collections::HashSet;

use chrono::Duration;

use crate::correlate::{Correlation, SkewBasis};
use crate::diagnose::{Diagnosis, EvidenceLine, Verdict};
use crate::hosts::{Host, Ticket};
use rdpdiag_schemas::channels;
use rdpdiag_schemas::report::*;

fn verdict_name(v: Verdict) -> String {
    match v {
        Verdict::Diagnosed => "diagnosed",
        Verdict::InsufficientEvidence => "insufficient-evidence",
        Verdict::NothingFailed => "nothing-failed",
        Verdict::NoAttempts => "no-attempts",
        Verdict::OtherFailure => "other-failure",
    }
    .into()
}

/// A duration for a reader: `850 ms`, `12.4 s`, `3 min 20 s`, `1 h 47 min`, `2 d 3 h`.
pub fn human_duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "?".into();
    }
    let sign = if seconds < 0.0 { "-" } else { "" };
    let s = seconds.abs();
    let text = if s < 1.0 {
        format!("{} ms", (s * 1000.0).round() as u64)
    } else if s < 60.0 {
        format!("{:.1} s", s)
    } else if s < 3600.0 {
        let m = (s / 60.0).floor() as u64;
        format!("{m} min {} s", (s - m as f64 * 60.0).round() as u64)
    } else if s < 86_400.0 {
        let h = (s / 3600.0).floor() as u64;
        format!("{h} h {} min", ((s - h as f64 * 3600.0) / 60.0).round() as u64)
    } else {
        let d = (s / 86_400.0).floor() as u64;
        format!("{d} d {} h", ((s - d as f64 * 86_400.0) / 3600.0).round() as u64)
    };
    format!("{sign}{text}")
}

/// The server summary's first line, the same in every format.
pub fn server_summary_line(sv: &ReportServerSummary) -> String {
    format!(
        "Server: {} connection(s) from {} address(es); {} authenticated, {} ended during setup ({:.0}%)",
        sv.connections,
        sv.client_addresses,
        sv.authenticated,
        sv.failed_in_setup,
        sv.failed_share * 100.0
    )
}

/// Ranks of an attempt's findings: the top one, the runner-up when it is close (within 0.2) or
/// itself above the diagnosis threshold, the rest considered.
fn rank(i: usize, conf: f64, top: f64) -> String {
    match i {
        0 => "top",
        1 if top - conf <= 0.2 || conf >= crate::diagnose::SUFFICIENT => "runner-up",
        _ => "considered",
    }
    .into()
}

/// The server's connections as a whole: how many ended during setup, since when all do, and
/// the server-wide conditions its logs show.
fn server_summary(server: &Host, corr: &Correlation) -> Option<ReportServerSummary> {
    let conns = &corr.connections;
    if conns.is_empty() {
        return None;
    }
    let failed: Vec<&crate::correlate::ServerConnection> =
        conns.iter().filter(|c| !c.authenticated()).collect();
    let last_success = conns.iter().filter(|c| c.authenticated()).map(|c| c.accept).max();
    // Connections come in accept order (`server_connections`).
    let trailing = conns.iter().rev().take_while(|c| !c.authenticated()).count();
    let all_failing_since = (trailing >= 3)
        .then(|| conns.get(conns.len() - trailing).map(|c| c.accept))
        .flatten();
    let mut addrs: Vec<&str> = conns
        .iter()
        .filter_map(|c| c.client_ip.as_deref())
        .map(crate::correlate::ip_part)
        .collect();
    addrs.sort_unstable();
    addrs.dedup();
    let mut conditions = Vec::new();
    let count = |pred: &dyn Fn(&rdpdiag_evtx::model::Event) -> bool| {
        let hits: Vec<&rdpdiag_evtx::model::Event> = server.events.iter().filter(|e| pred(e)).collect();
        (
            hits.len(),
            hits.first().map(|e| e.time_utc),
            hits.last().map(|e| e.time_utc),
        )
    };
    let rcm = |e: &rdpdiag_evtx::model::Event| {
        e.provider
            .to_ascii_lowercase()
            .contains("remoteconnectionmanager")
    };
    let (n1006, f, l) = count(&|e| e.event_id == 1006 && rcm(e));
    if let (true, Some(f), Some(l)) = (n1006 > 0, f, l) {
        conditions.push(format!(
            "RCM 1006 (too many incomplete connections) {n1006} time(s), {} .. {} (server clock)",
            f.format("%Y-%m-%d %H:%M:%S"),
            l.format("%Y-%m-%d %H:%M:%S")
        ));
    }
    let (nstop, f, l) = count(&|e| matches!(e.event_id, 259 | 262) && rcm(e));
    if let (true, Some(f), Some(l)) = (nstop > 0, f, l) {
        conditions.push(format!(
            "the RDP listener stopped or failed (RCM 259/262) {nstop} time(s), {} .. {}",
            f.format("%Y-%m-%d %H:%M:%S"),
            l.format("%Y-%m-%d %H:%M:%S")
        ));
    }
    if let Some(t) = all_failing_since {
        conditions.push(format!(
            "every connection since {} ended during setup ({trailing} in a row{})",
            t.format("%Y-%m-%d %H:%M:%S"),
            last_success
                .map(|s| format!(
                    "; the last one that authenticated was at {}",
                    s.format("%Y-%m-%d %H:%M:%S")
                ))
                .unwrap_or_else(|| "; none authenticated in the logs".into())
        ));
    }
    Some(ReportServerSummary {
        connections: conns.len(),
        authenticated: conns.len() - failed.len(),
        failed_in_setup: failed.len(),
        failed_share: ((failed.len() as f64 / conns.len() as f64) * 1000.0).round() / 1000.0,
        first_failure_utc: failed.iter().map(|c| c.accept).min(),
        last_failure_utc: failed.iter().map(|c| c.accept).max(),
        last_success_utc: last_success,
        all_failing_since_utc: all_failing_since,
        client_addresses: addrs.len(),
        conditions,
    })
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

fn host(h: &Host) -> ReportHost {
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
/// The RDP, CAPI2 and firewall logs match by a part of their name (any log of those providers,
/// RCM Admin too), System, Security and Application by the whole name.
fn on_timeline(channel: &str, id: u32) -> bool {
    let c = channel.to_ascii_lowercase();
    let is = |name: &str| channels::same(channel, name);
    c.contains("rdpclient")
        || c.contains("rdpcorets")
        || c.contains("remoteconnectionmanager")
        || c.contains("localsessionmanager")
        || c.contains("capi2")
        || c.contains("firewall")
        || (is(channels::SYSTEM) && (33000..37000).contains(&id))
        || (is(channels::SYSTEM) && (1050..1074).contains(&id))
        || (is(channels::SECURITY) && matches!(id, 4625 | 5152 | 5157 | 5058))
        || (is(channels::APPLICATION) && (1500..1560).contains(&id))
}

fn summary(e: &rdpdiag_evtx::model::Event) -> String {
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
pub fn build_report(t: &Ticket, corr: &Correlation, d: &Diagnosis) -> Report {
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
                let top = x.findings.first().map(|f| f.confidence).unwrap_or(0.0);
                x.findings
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| !f.evidence.is_empty() || f.confidence > f.prior)
                    .map(|(i, f)| ReportFinding {
                        id: f.id,
                        title: f.title.clone(),
                        confidence: f.confidence,
                        rank: rank(i, f.confidence, top),
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
                .filter(|e| &*e.channel == channels::SYSTEM && (36000..37000).contains(&e.event_id))
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
        let codes = diag.map(|x| &x.codes);
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
            duration_text: a.duration_s().map(human_duration),
            setup_s: a.user_known.and(a.setup_s()),
            origin: if a.from_server {
                "server-connection"
            } else {
                "client"
            }
            .into(),
            extended_reason: codes.and_then(|c| c.extended),
            code_source: codes.map(|c| c.disconnect_source.to_string()).unwrap_or_else(|| {
                if reason.is_some() {
                    "client 1026"
                } else {
                    "unknown"
                }
                .into()
            }),
            other_failure: diag.and_then(|x| x.other_failure.clone()),
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
        notes: notes(t, corr, d),
        server_summary: t.server.as_ref().and_then(|s| server_summary(s, corr)),
    }
}

/// What the analysis could not see or left out.
fn notes(t: &Ticket, corr: &Correlation, d: &Diagnosis) -> Vec<String> {
    let mut out = Vec::new();
    match (&t.client, &t.server) {
        (None, Some(_)) => {
            let total = corr.server_only_connections.unwrap_or(0);
            let shown = corr.attempts.iter().filter(|a| a.attempt.from_server).count();
            out.push(format!(
                "Server only: no client logs were given. Each of the {total} connection(s) the server accepted that ended during setup is diagnosed as an attempt of an unknown client{}. The client's RDPClient/Operational log would give each attempt's disconnect code and pair it with its server connection.",
                if shown < total {
                    format!(" (the latest {shown} of them)")
                } else {
                    String::new()
                }
            ));
        }
        (Some(_), None) => out.push(
            "Client only: no server logs were given, so causes are judged from the client's side with lower confidence (the server's events, where most causes leave their decisive evidence, were not seen). The server's bundle would add its RdpCoreTS/RCM connection events, Schannel and TermService errors, and its certificate, listener and firewall settings."
                .into(),
        ),
        _ => {}
    }
    if d.outside_window > 0 {
        out.push(format!(
            "{} failed attempt(s) outside the time window given (--since/--until) were not diagnosed.",
            d.outside_window
        ));
    }
    let other: Vec<String> = d
        .attempts
        .iter()
        .filter_map(|a| a.other_failure.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for o in other {
        out.push(format!(
            "Not a 0x904 failure: {o}. No 0x904 cause is given for attempts that ended this way."
        ));
    }
    out
}
