//! Evaluating one rule on one attempt.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::{AttemptCodes, EvidenceHit, EvidenceLine, Finding};
use crate::correlate::{Correlation, PairedAttempt, ip_only};
use crate::fact_vocabulary::FactView;
use crate::hosts::Host;
use crate::rules::spec::{
    Anchor, AttemptMatch, EventMatch, EvidenceKind, FactMatch, HostSel, LISTENER_PORT_TOKEN, Op, Predicate,
    Rule, Unless, Window,
};
use rdpdiag_evtx::model::{Event, parse_number};

/// A cause whose rule does not list the attempt's disconnect code stays at or below this:
/// the code says what happened on the wire (0x204 nothing accepted, 0x904 accepted then
/// closed, 0x807 credentials refused ...), and evidence cannot overrule it.
pub const CODE_NOT_EXPLAINED_CAP: f64 = 0.3;

/// A client-only ticket keeps this share of what the evidence gained: the server's side,
/// where most causes leave their decisive events, was not seen.
pub const CLIENT_ONLY_SHARE: f64 = 0.75;

/// Events of one host indexed by event id, each list in time order.
#[derive(Debug, Default)]
pub struct HostIndex {
    by_id: HashMap<u32, Vec<usize>>,
}

impl HostIndex {
    /// Builds the index.
    pub fn new(host: &Host) -> HostIndex {
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
        // A value is present, so it is not missing.
        Op::Missing => false,
    }
}

/// Strict: a predicate on a field the event does not carry (or carries as NULL) is false for
/// every operator, `ne` and `not_in` included (audit 2026-12 finding 2: a missing field made
/// every CAPI2 70, successes too, count as a failure).
fn predicates_hold(e: &Event, preds: &[Predicate]) -> bool {
    preds.iter().all(|p| match e.field_text(&p.field) {
        Some(actual) => compare(p.op, &actual, &p.values),
        None => p.op == Op::Missing,
    })
}

fn event_matches(m: &EventMatch, e: &Event) -> bool {
    m.ids.contains(&e.event_id)
        && m.channel
            .as_deref()
            .is_none_or(|c| c.eq_ignore_ascii_case(&e.channel))
        && m.provider
            .as_deref()
            .is_none_or(|p| p.eq_ignore_ascii_case(&e.provider))
}

/// Whether an event that `unless` names is logged within its distance of `e` on the host.
fn explained_away(u: &Unless, e: &Event, h: &Host, idx: &HostIndex) -> bool {
    let (lo, hi) = (e.time_utc - u.within, e.time_utc + u.within);
    u.matcher.ids.iter().any(|id| {
        let Some(list) = idx.by_id.get(id) else {
            return false;
        };
        let start = list.partition_point(|&i| h.events[i].time_utc < lo);
        list[start..]
            .iter()
            .map(|&i| &h.events[i])
            .take_while(|x| x.time_utc <= hi)
            .any(|x| event_matches(&u.matcher, x) && predicates_hold(x, &u.predicates))
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
    client: Option<(&'a Host, &'a HostIndex)>,
    server: Option<(&'a Host, &'a HostIndex)>,
}

impl Ctx<'_> {
    /// The attempt's span on one host's clock: on the server the paired connection's first to
    /// last event, else the client's 1024 .. 1026 moved by the skew; on the client 1024 .. 1026.
    fn span(&self, is_client: bool) -> (DateTime<Utc>, DateTime<Utc>) {
        let a = &self.pa.attempt;
        let skew = self.corr.skew.offset;
        if is_client {
            return (a.start, a.end.unwrap_or(a.start).max(a.start));
        }
        // A server-only attempt always has its connection.
        if let Some(c) = self.pa.connection.and_then(|i| self.corr.connections.get(i)) {
            return (c.accept, c.end.max(c.accept));
        }
        let start = a.start - skew;
        (start, a.end.map(|e| e - skew).unwrap_or(start).max(start))
    }

    #[allow(clippy::too_many_arguments)]
    fn event_lines(
        &self,
        m: &EventMatch,
        window: Window,
        anchor: Anchor,
        preds: &[Predicate],
        same_conn: bool,
        ip_field: Option<&str>,
        host: HostSel,
        unless: Option<&Unless>,
    ) -> Vec<EvidenceLine> {
        let mut out = Vec::new();
        let sides: Vec<(&str, (&Host, &HostIndex))> = match host {
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
            // Anchor on this host's clock: the connection's whole span by default, so that a
            // failure after a credential prompt of any length is inside the window.
            let (first, last) = self.span(is_client);
            let logon = conn.and_then(|c| c.authenticated_at).filter(|_| !is_client);
            let (lo_anchor, hi_anchor) = match (anchor, logon) {
                (Anchor::Connection, _) | (Anchor::Logon, None) => (first, last),
                (Anchor::Start, _) => (first, first),
                (Anchor::End, _) => (last, last),
                (Anchor::Logon, Some(t)) => (t, t),
            };
            let range = match window {
                Window::Anywhere => None,
                Window::Around { from, to } => {
                    // Without a known skew and no paired connection (a server-only attempt has
                    // its own), a server-side window is widened: the anchor is a guess.
                    let widen = if unknown_skew && !is_client && conn.is_none() {
                        Duration::minutes(5)
                    } else {
                        Duration::zero()
                    };
                    Some((lo_anchor + from - widen, hi_anchor + to + widen))
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
                    if unless.is_some_and(|u| explained_away(u, e, h, idx)) {
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

    /// Whether the server saw connections from addresses other than this client's within 30
    /// minutes of the attempt (server clock); `None` without server connections to look at.
    fn other_clients_reached(&self) -> Option<bool> {
        self.server?;
        let (start, _) = self.span(false);
        let near = Duration::minutes(30);
        let mine: Vec<&str> = self
            .pa
            .seen_from
            .as_deref()
            .into_iter()
            .chain(self.corr.client_addresses.iter().map(String::as_str))
            .collect();
        // Connections are in accept order (correlate): only the window is looked at, not a
        // busy server's every connection for each attempt and rule.
        let conns = &self.corr.connections;
        let from = conns.partition_point(|c| c.accept < start - near);
        Some(
            conns[from..]
                .iter()
                .take_while(|c| c.accept <= start + near)
                .any(|c| {
                    c.client_ip
                        .as_deref()
                        .map(ip_only)
                        .is_some_and(|ip| !mine.contains(&ip.as_str()))
                }),
        )
    }

    fn attempt_holds(&self, a: &AttemptMatch) -> bool {
        let pa = self.pa;
        let checks: [Option<bool>; 12] = [
            a.reached_server.map(|want| pa.reached_server == Some(want)),
            a.authenticated.map(|want| {
                pa.authenticated == want && (want || pa.reached_server.is_some() || pa.attempt.end.is_some())
            }),
            a.client_logged_on.map(|want| pa.attempt.logged_on == want),
            // Setup time without the credential prompt (from 1029 when the client logged it).
            a.duration_s
                .map(|[lo, hi]| pa.attempt.setup_s().is_some_and(|d| d >= lo && d <= hi)),
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
            a.seen_from_public_address
                .map(|want| pa.seen_from.as_deref().and_then(is_public_address) == Some(want)),
            a.target_is_public_address.map(|want| {
                let public = pa
                    .attempt
                    .target
                    .as_deref()
                    .and_then(|t| is_public_address(&ip_only(t)));
                public == Some(want)
            }),
            // 1028 follows the X.224 answer (TechNet Wiki 37847 client timeline: 1024, then 1028
            // at +0.2 s); a client that logged neither 1028 nor the end tells nothing.
            a.x224_answered.map(|want| {
                let known = !pa.attempt.from_server && pa.attempt.end.is_some();
                known && pa.attempt.event_ids.contains(&1028) == want
            }),
            a.other_clients_reached
                .map(|want| self.other_clients_reached() == Some(want)),
        ];
        checks.iter().all(|c| c.unwrap_or(true)) && checks.iter().any(Option::is_some)
    }
}

/// `predicates` with [`LISTENER_PORT_TOKEN`] replaced by the server's listener port (3389, the
/// port every client assumes, when unknown).
fn with_listener_port<'p>(
    predicates: &'p [Predicate],
    server: &FactView,
) -> std::borrow::Cow<'p, [Predicate]> {
    if !predicates
        .iter()
        .any(|p| p.values.iter().any(|v| v == LISTENER_PORT_TOKEN))
    {
        return std::borrow::Cow::Borrowed(predicates);
    }
    let port = server
        .get("listener.port")
        .map(|d| d.value.to_string())
        .unwrap_or_else(|| "3389".into());
    std::borrow::Cow::Owned(
        predicates
            .iter()
            .map(|p| Predicate {
                field: p.field.clone(),
                op: p.op,
                values: p
                    .values
                    .iter()
                    .map(|v| {
                        if v == LISTENER_PORT_TOKEN {
                            port.clone()
                        } else {
                            v.clone()
                        }
                    })
                    .collect(),
            })
            .collect(),
    )
}

/// Whether `addr` is a public (globally routable) IP address; `None` when it is no IP literal
/// (a host name: unknown). Private, shared (CGNAT 100.64/10), loopback, link-local and
/// unique-local ranges are not public (RFC 1918, RFC 6598, RFC 4193).
pub fn is_public_address(addr: &str) -> Option<bool> {
    let ip: std::net::IpAddr = addr.trim().trim_matches(|c| c == '[' || c == ']').parse().ok()?;
    Some(match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0] == 100 && (o[1] & 0xC0) == 64))
        }
        std::net::IpAddr::V6(v6) => {
            let seg = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80)
        }
    })
}

/// The fact's value as text when the fact is known and the comparison holds, with its source.
fn fact_holds(f: &FactMatch, facts: &FactView) -> Option<(String, String)> {
    let d = facts.get(&f.path)?;
    let actual = match &d.value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let want = match &f.value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    compare(f.op, &actual, &[want]).then(|| (actual, d.source_text()))
}

/// What one evaluation looks at besides the rule: the correlation, the attempt, each host's
/// events and facts, and the codes the attempt ended with.
pub struct EvalInput<'a> {
    /// The ticket's correlation.
    pub corr: &'a Correlation,
    /// The client host and its index.
    pub client: Option<(&'a Host, &'a HostIndex)>,
    /// The server host and its index.
    pub server: Option<(&'a Host, &'a HostIndex)>,
    /// The client's facts.
    pub client_facts: &'a FactView,
    /// The server's facts.
    pub server_facts: &'a FactView,
}

/// Evaluates `rule` on attempt `index` of `corr`.
pub fn evaluate_attempt(rule: &Rule, index: usize, input: &EvalInput<'_>, codes: &AttemptCodes) -> Finding {
    let EvalInput {
        corr,
        client,
        server,
        client_facts,
        server_facts,
    } = *input;
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
    // Unknown is never "no": an attempt whose code is unknown is not held against any rule.
    let explains_code = codes
        .disconnect
        .is_none_or(|r| rule.explains_disconnect.contains(&r));
    let mut c = rule.prior;
    let mut hits = Vec::new();
    // Supporting items first, then refuting ones, so "before/after" read as a story.
    let mut items: Vec<_> = rule.evidence.iter().collect();
    items.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    for ev in items {
        if let Some(d) = codes.disconnect
            && !ev.only_if_disconnect.is_empty()
            && !ev.only_if_disconnect.contains(&d)
        {
            continue;
        }
        let lines: Vec<EvidenceLine> = match &ev.kind {
            EvidenceKind::Event {
                matcher,
                window,
                predicates,
                same_connection,
                client_ip_field,
                min_count,
                anchor,
                unless,
            } => {
                let predicates = with_listener_port(predicates, server_facts);
                let lines = ctx.event_lines(
                    matcher,
                    *window,
                    *anchor,
                    &predicates,
                    *same_connection,
                    client_ip_field.as_deref(),
                    ev.host,
                    unless.as_deref(),
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
                let sides: Vec<(&str, &FactView)> = match ev.host {
                    HostSel::Client => vec![("client", client_facts)],
                    HostSel::Server => vec![("server", server_facts)],
                    HostSel::Any => vec![("client", client_facts), ("server", server_facts)],
                };
                let found: Vec<EvidenceLine> = sides
                    .into_iter()
                    .filter_map(|(side, facts)| {
                        fact_holds(f, facts).map(|(actual, source)| EvidenceLine {
                            host: side.into(),
                            input: String::new(),
                            artifact: source,
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
    if !explains_code && c > CODE_NOT_EXPLAINED_CAP {
        // The code says what happened on the wire; a cause that does not produce it is not
        // this attempt's cause, whatever else matched.
        let before = c;
        c = CODE_NOT_EXPLAINED_CAP;
        hits.push(EvidenceHit {
            id: "code-not-explained".into(),
            says: format!(
                "the attempt ended with {} ({}), which this cause does not produce",
                codes.describe_disconnect(),
                codes.disconnect_source
            ),
            weight: -1.0,
            before,
            after: c,
            lines: vec![],
            matched: 0,
        });
    }
    if let Some(x) = codes.extended
        && !rule.explains_extended.is_empty()
        && !rule.explains_extended.contains(&x)
        && c > rule.prior
    {
        // The extended code is what the user reported (1026 does not log it): weaker than the
        // disconnect code, so it halves what the evidence gained instead of capping it.
        let before = c;
        c = rule.prior + (c - rule.prior) * 0.5;
        hits.push(EvidenceHit {
            id: "extended-not-explained".into(),
            says: format!(
                "the reported extended code 0x{x:X} is not among the ones this cause produces ({})",
                rule.explains_extended
                    .iter()
                    .map(|e| format!("0x{e:X}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            weight: -0.5,
            before,
            after: c,
            lines: vec![],
            matched: 0,
        });
    }
    if server.is_none() && !pa.attempt.from_server && c > rule.prior {
        let before = c;
        c = rule.prior + (c - rule.prior) * CLIENT_ONLY_SHARE;
        hits.push(EvidenceHit {
            id: "client-only".into(),
            says: "only the client's logs were given: the server's side of this cause was not seen".into(),
            weight: -(1.0 - CLIENT_ONLY_SHARE),
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use rdpdiag_evtx::model::FieldValue;

    fn event(fields: &[(&str, &str)]) -> Event {
        Event {
            input: Arc::from("i"),
            artifact: Arc::from("a"),
            record_id: 1,
            time_utc: DateTime::<Utc>::default(),
            host: Arc::from("h"),
            channel: Arc::from("Microsoft-Windows-CAPI2/Operational"),
            provider: Arc::from("Microsoft-Windows-CAPI2"),
            source_name: None,
            event_id: 70,
            qualifiers: None,
            level: None,
            activity_id: None,
            process_id: None,
            user_sid: None,
            fields: fields
                .iter()
                .map(|(k, v)| (Arc::from(*k), FieldValue::Str((*v).to_string())))
                .collect(),
        }
    }

    fn pred(field: &str, op: Op, values: &[&str]) -> Predicate {
        Predicate {
            field: field.into(),
            op,
            values: values.iter().map(|v| (*v).to_string()).collect(),
        }
    }

    #[test]
    fn a_missing_field_makes_every_operator_false() {
        let e = event(&[("Result@value", "0")]);
        for op in [
            Op::Eq,
            Op::Ne,
            Op::In,
            Op::NotIn,
            Op::Contains,
            Op::StartsWith,
            Op::Ge,
            Op::Le,
        ] {
            assert!(
                !predicates_hold(&e, &[pred("Result", op, &["80090016"])]),
                "{op:?}"
            );
        }
        // On the field the event does carry, a success is not a failure ...
        assert!(!predicates_hold(&e, &[pred("Result@value", Op::Ne, &["0"])]));
        // ... and a failure is.
        let failed = event(&[("Result@value", "80090016")]);
        assert!(predicates_hold(&failed, &[pred("Result@value", Op::Ne, &["0"])]));
    }
}
