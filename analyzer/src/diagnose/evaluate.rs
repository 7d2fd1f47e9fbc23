//! Evaluating one rule on one attempt.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::{EvidenceHit, EvidenceLine, Finding};
use crate::correlate::{Correlation, HostEvidence, PairedAttempt, ip_only};
use crate::model::{Event, parse_number};
use crate::rules::spec::{
    AttemptMatch, EventMatch, EvidenceKind, FactMatch, HostSel, Op, Predicate, Rule, Window,
};

/// Events of one host indexed by event id, each list in time order.
#[derive(Debug, Default)]
pub struct HostIndex {
    by_id: HashMap<u32, Vec<usize>>,
}

impl HostIndex {
    /// Builds the index.
    pub fn new(host: &HostEvidence) -> HostIndex {
        let mut by_id: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, e) in host.events.iter().enumerate() {
            by_id.entry(e.event_id).or_default().push(i);
        }
        for v in by_id.values_mut() {
            v.sort_by_key(|&i| host.events[i].time_utc);
        }
        HostIndex { by_id }
    }
}

/// Most records listed per evidence item (the count says how many matched).
const MAX_LINES: usize = 3;

fn compare(op: Op, actual: &str, values: &[String]) -> bool {
    let num = |s: &str| {
        parse_number(s)
            .map(|n| n as f64)
            .or_else(|| s.trim().parse::<f64>().ok())
    };
    let eq = |v: &String| match (num(actual), num(v)) {
        (Some(a), Some(b)) => a == b,
        _ => actual.trim().eq_ignore_ascii_case(v.trim()),
    };
    match op {
        Op::Eq | Op::In => values.iter().any(eq),
        Op::Ne | Op::NotIn => !values.iter().any(eq),
        Op::Contains => values
            .iter()
            .any(|v| actual.to_ascii_lowercase().contains(&v.to_ascii_lowercase())),
        Op::StartsWith => values
            .iter()
            .any(|v| actual.to_ascii_lowercase().starts_with(&v.to_ascii_lowercase())),
        Op::Ge => values
            .iter()
            .any(|v| matches!((num(actual), num(v)), (Some(a), Some(b)) if a >= b)),
        Op::Le => values
            .iter()
            .any(|v| matches!((num(actual), num(v)), (Some(a), Some(b)) if a <= b)),
    }
}

fn predicates_hold(e: &Event, preds: &[Predicate]) -> bool {
    preds.iter().all(|p| match e.field_text(&p.field) {
        Some(actual) => compare(p.op, &actual, &p.values),
        None => matches!(p.op, Op::Ne | Op::NotIn),
    })
}

fn summary(e: &Event) -> String {
    let mut parts: Vec<String> = e
        .fields
        .iter()
        .filter_map(|(k, v)| {
            v.as_text()
                .filter(|t| !t.is_empty())
                .map(|t| format!("{k}={}", truncate(&t, 80)))
        })
        .take(6)
        .collect();
    if parts.is_empty() {
        parts.push("(no data)".into());
    }
    format!("{} {} {}", e.provider, e.event_id, parts.join(" "))
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

struct Ctx<'a> {
    corr: &'a Correlation,
    pa: &'a PairedAttempt,
    client: Option<(&'a HostEvidence, &'a HostIndex)>,
    server: Option<(&'a HostEvidence, &'a HostIndex)>,
}

impl Ctx<'_> {
    fn event_lines(
        &self,
        m: &EventMatch,
        window: Window,
        preds: &[Predicate],
        same_conn: bool,
        ip_field: Option<&str>,
        host: HostSel,
    ) -> Vec<EvidenceLine> {
        let mut out = Vec::new();
        let sides: Vec<(&str, (&HostEvidence, &HostIndex))> = match host {
            HostSel::Client => self.client.map(|c| ("client", c)).into_iter().collect(),
            HostSel::Server => self.server.map(|s| ("server", s)).into_iter().collect(),
            HostSel::Any => self
                .client
                .map(|c| ("client", c))
                .into_iter()
                .chain(self.server.map(|s| ("server", s)))
                .collect(),
        };
        let skew = self.corr.skew.offset;
        let unknown_skew = !self.corr.skew.is_known();
        let conn = self.pa.connection.and_then(|i| self.corr.connections.get(i));
        for (side, (h, idx)) in sides {
            let is_client = side == "client";
            // Anchor on this host's clock.
            let anchor: DateTime<Utc> = if is_client {
                self.pa.attempt.start
            } else {
                conn.map(|c| c.accept).unwrap_or(self.pa.server_time)
            };
            let range = match window {
                Window::Anywhere => None,
                Window::Around { from, to } => {
                    // Without a known skew a server-side window is widened: the anchor is a guess.
                    let widen = if unknown_skew && !is_client {
                        Duration::minutes(5)
                    } else {
                        Duration::zero()
                    };
                    Some((anchor + from - widen, anchor + to + widen))
                }
            };
            for id in &m.ids {
                let Some(list) = idx.by_id.get(id) else { continue };
                let start = match range {
                    Some((lo, _)) => list.partition_point(|&i| h.events[i].time_utc < lo),
                    None => 0,
                };
                for &i in &list[start..] {
                    let e = &h.events[i];
                    if let Some((_, hi)) = range
                        && e.time_utc > hi
                    {
                        break;
                    }
                    if m.channel
                        .as_deref()
                        .is_some_and(|c| !c.eq_ignore_ascii_case(&e.channel))
                    {
                        continue;
                    }
                    if m.provider
                        .as_deref()
                        .is_some_and(|p| !p.eq_ignore_ascii_case(&e.provider))
                    {
                        continue;
                    }
                    if same_conn {
                        let same = match (
                            conn.and_then(|c| c.activity_id.as_deref()),
                            e.activity_id.as_deref(),
                        ) {
                            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                            _ => false,
                        };
                        if !same {
                            continue;
                        }
                    }
                    if let Some(f) = ip_field {
                        let want: Vec<String> = match &self.pa.seen_from {
                            Some(ip) => vec![ip.clone()],
                            None => self.corr.client_addresses.clone(),
                        };
                        let got = e.field_text(f).map(|v| ip_only(&v));
                        if want.is_empty() || !got.is_some_and(|g| want.contains(&g)) {
                            continue;
                        }
                    }
                    if !predicates_hold(e, preds) {
                        continue;
                    }
                    out.push(EvidenceLine {
                        host: side.into(),
                        input: e.input.to_string(),
                        artifact: e.artifact.to_string(),
                        channel: e.channel.to_string(),
                        event_id: e.event_id,
                        record_id: e.record_id,
                        host_time: Some(e.time_utc),
                        server_time: Some(if is_client { e.time_utc - skew } else { e.time_utc }),
                        summary: summary(e),
                    });
                }
            }
        }
        out.sort_by_key(|l| l.server_time);
        out
    }

    fn attempt_holds(&self, a: &AttemptMatch) -> bool {
        let pa = self.pa;
        let checks: [Option<bool>; 8] = [
            a.reached_server.map(|want| pa.reached_server == Some(want)),
            a.authenticated.map(|want| {
                pa.authenticated == want && (want || pa.reached_server.is_some() || pa.attempt.end.is_some())
            }),
            a.client_logged_on.map(|want| pa.attempt.logged_on == want),
            a.duration_s
                .map(|[lo, hi]| pa.attempt.duration_s().is_some_and(|d| d >= lo && d <= hi)),
            a.disconnect_reason
                .as_ref()
                .map(|list| pa.attempt.disconnect_reason.is_some_and(|r| list.contains(&r))),
            a.target_is_server.map(|want| pa.target_is_server == Some(want)),
            a.seen_from_other_ip
                .map(|want| pa.seen_from_other_ip == Some(want)),
            a.other_attempts_succeeded.map(|want| {
                let others = self
                    .corr
                    .attempts
                    .iter()
                    .any(|o| !std::ptr::eq(o, pa) && o.attempt.end.is_some() && !o.attempt.failed());
                others == want
            }),
        ];
        checks.iter().all(|c| c.unwrap_or(true)) && checks.iter().any(Option::is_some)
    }
}

fn fact_lookup<'v>(facts: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    let mut cur = facts;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    (!cur.is_null()).then_some(cur)
}

fn fact_holds(f: &FactMatch, facts: &serde_json::Value) -> Option<String> {
    let v = fact_lookup(facts, &f.path)?;
    let actual = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let want = match &f.value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    compare(f.op, &actual, &[want]).then_some(actual)
}

/// Evaluates `rule` on attempt `index` of `corr`.
pub fn evaluate_attempt(
    rule: &Rule,
    index: usize,
    corr: &Correlation,
    client: Option<(&HostEvidence, &HostIndex)>,
    server: Option<(&HostEvidence, &HostIndex)>,
    client_facts: &serde_json::Value,
    server_facts: &serde_json::Value,
) -> Finding {
    let Some(pa) = corr.attempts.get(index) else {
        return Finding {
            id: rule.id,
            title: rule.title.clone(),
            confidence: 0.0,
            prior: rule.prior,
            evidence: vec![],
            explains_code: false,
            fix: rule.fix.clone(),
            references: rule.references.clone(),
        };
    };
    let ctx = Ctx {
        corr,
        pa,
        client,
        server,
    };
    let explains_code = pa
        .attempt
        .disconnect_reason
        .is_some_and(|r| rule.explains_disconnect.contains(&r));
    let mut c = rule.prior;
    let mut hits = Vec::new();
    // Supporting items first, then refuting ones, so "before/after" read as a story.
    let mut items: Vec<_> = rule.evidence.iter().collect();
    items.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    for ev in items {
        let lines: Vec<EvidenceLine> = match &ev.kind {
            EvidenceKind::Event {
                matcher,
                window,
                predicates,
                same_connection,
                client_ip_field,
                min_count,
            } => {
                let lines = ctx.event_lines(
                    matcher,
                    *window,
                    predicates,
                    *same_connection,
                    client_ip_field.as_deref(),
                    ev.host,
                );
                if lines.len() < *min_count as usize {
                    continue;
                }
                lines
            }
            EvidenceKind::Attempt(a) => {
                if !ctx.attempt_holds(a) {
                    continue;
                }
                vec![]
            }
            EvidenceKind::Fact(f) => {
                let sides: Vec<(&str, &serde_json::Value)> = match ev.host {
                    HostSel::Client => vec![("client", client_facts)],
                    HostSel::Server => vec![("server", server_facts)],
                    HostSel::Any => vec![("client", client_facts), ("server", server_facts)],
                };
                let found: Vec<EvidenceLine> = sides
                    .into_iter()
                    .filter_map(|(side, facts)| {
                        fact_holds(f, facts).map(|actual| EvidenceLine {
                            host: side.into(),
                            input: String::new(),
                            artifact: fact_lookup(facts, "sources")
                                .and_then(|s| s.get(f.path.split('.').next().unwrap_or("")))
                                .and_then(|v| v.as_str())
                                .unwrap_or_default()
                                .to_string(),
                            channel: f.path.clone(),
                            event_id: 0,
                            record_id: 0,
                            host_time: None,
                            server_time: None,
                            summary: format!("{} = {actual}", f.path),
                        })
                    })
                    .collect();
                if found.is_empty() {
                    continue;
                }
                found
            }
        };
        let before = c;
        if ev.weight > 0.0 {
            c = 1.0 - (1.0 - c) * (1.0 - ev.weight);
        } else {
            c *= 1.0 + ev.weight;
        }
        let matched = lines.len();
        hits.push(EvidenceHit {
            id: ev.id.clone(),
            says: ev.says.clone(),
            weight: ev.weight,
            before,
            after: c,
            lines: lines.into_iter().take(MAX_LINES).collect(),
            matched,
        });
    }
    if !explains_code && c > rule.prior {
        // The rule does not list this disconnect code: keep the finding, halve what it gained.
        let before = c;
        c = rule.prior + (c - rule.prior) * 0.5;
        hits.push(EvidenceHit {
            id: "code-not-explained".into(),
            says: format!(
                "the attempt's disconnect reason {} is not among the codes this cause usually produces",
                pa.attempt
                    .disconnect_reason
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "(unknown)".into())
            ),
            weight: -0.5,
            before,
            after: c,
            lines: vec![],
            matched: 0,
        });
    }
    Finding {
        id: rule.id,
        title: rule.title.clone(),
        confidence: (c * 1000.0).round() / 1000.0,
        prior: rule.prior,
        evidence: hits,
        explains_code,
        fix: rule.fix.clone(),
        references: rule.references.clone(),
    }
}
