//! Correlation: rebuild each connection attempt on each host, estimate the client/server clock
//! skew, and pair every client attempt with what the server saw of it (or nothing).
//!
//! Input: normalized events per host ([`Host`], from the hosts stage). Output: [`Correlation`]. This stage
//! knows the evidence model before it and nothing about rules or reports after it.

pub mod attempt;
pub mod connection;
pub mod skew;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

pub use attempt::{ClientAttempt, client_attempts};
pub use connection::{
    ServerConnection, Sighting, SightingKind, event_sightings, merge_sightings, server_connections,
};
pub use skew::{ClockSkew, SkewBasis, estimate_skew};

use crate::hosts::Host;

/// One client attempt and what the server saw of it.
#[derive(Debug, Clone, Serialize)]
pub struct PairedAttempt {
    /// The client's view.
    pub attempt: ClientAttempt,
    /// Index into [`Correlation::connections`] of the server connection that is this attempt.
    pub connection: Option<usize>,
    /// The attempt's start on the server clock (client start minus skew).
    pub server_time: DateTime<Utc>,
    /// Whether the server saw the attempt at all: `None` when it cannot be told (no server
    /// logs, or unknown skew and client address).
    pub reached_server: Option<bool>,
    /// Whether authentication finished (RCM 1149 of the connection, or client 1027).
    pub authenticated: bool,
    /// The address the server saw the attempt come from.
    pub seen_from: Option<String>,
    /// The server saw it from an address other than the client's (a hop in between).
    pub seen_from_other_ip: Option<bool>,
    /// The 1024 target names the server (name or address).
    pub target_is_server: Option<bool>,
}

/// The result of correlation for one ticket.
#[derive(Debug, Clone, Serialize)]
pub struct Correlation {
    /// Client clock minus server clock.
    pub skew: ClockSkew,
    /// The client's addresses (known or inferred from the pairing).
    pub client_addresses: Vec<String>,
    /// Every client attempt, in time order.
    pub attempts: Vec<PairedAttempt>,
    /// Every inbound connection the server logged.
    pub connections: Vec<ServerConnection>,
    /// Server-only ticket: how many connections ended during setup (the attempts hold the
    /// latest [`MAX_SERVER_ONLY_ATTEMPTS`] of them).
    pub server_only_connections: Option<usize>,
}

/// Strips `:port` (and IPv6 brackets) from an address.
pub fn ip_only(s: &str) -> String {
    ip_part(s).to_string()
}

/// [`ip_only`] without the copy.
pub fn ip_part(s: &str) -> &str {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => s,
    }
}

fn names_match(target: &str, server: &Host, server_computers: &[String]) -> bool {
    let t = ip_only(target).to_ascii_lowercase();
    let t = t.trim_end_matches('.');
    if t.is_empty() {
        return false;
    }
    let short = |s: &str| s.split('.').next().unwrap_or(s).to_ascii_lowercase();
    let candidates = std::iter::once(server.name.as_str())
        .chain(server.addresses.iter().map(String::as_str))
        .chain(server_computers.iter().map(String::as_str));
    for c in candidates {
        let c = c.to_ascii_lowercase();
        if c == t
            || (!t.contains('.') && short(&c) == t)
            || (t.contains('.') && !c.contains('.') && short(t) == c)
        {
            return true;
        }
    }
    false
}

/// The unused connection accepted nearest to `server_time`, within `tolerance`, from the
/// matched address when there is one (the first on a tie). Connections in accept order are
/// searched by time: only those within the tolerance need a look (a busy server has a hundred
/// thousand).
fn nearest_unused(
    connections: &[ServerConnection],
    in_accept_order: bool,
    used: &[bool],
    server_time: DateTime<Utc>,
    tolerance: Duration,
    matched_ip: Option<&str>,
) -> Option<usize> {
    let mut near = 0..connections.len();
    if in_accept_order
        && let (Some(from), Some(to)) = (
            server_time.checked_sub_signed(tolerance),
            server_time.checked_add_signed(tolerance),
        )
    {
        let lo = connections.partition_point(|c| c.accept < from);
        near = lo..connections.partition_point(|c| c.accept <= to).max(lo);
    }
    let mut best: Option<(usize, Duration)> = None;
    for (i, c) in connections.iter().enumerate().take(near.end).skip(near.start) {
        if used.get(i).copied().unwrap_or(true) {
            continue;
        }
        let ip_ok = match (matched_ip, &c.client_ip) {
            (Some(m), Some(ip)) => ip_part(ip) == m,
            _ => true,
        };
        let d = (c.accept - server_time).abs();
        if ip_ok && d <= tolerance && best.is_none_or(|(_, bd)| d < bd) {
            best = Some((i, d));
        }
    }
    best.map(|(i, _)| i)
}

/// The first unused connection accepted in `(from, to]` from one of `own` addresses: only an
/// address the client is known to have (or the skew matched) ties a late accept to an attempt,
/// so another user's connection in the same seconds is never taken for it.
fn late_accept_from(
    connections: &[ServerConnection],
    used: &[bool],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    own: &[&str],
) -> Option<usize> {
    if own.is_empty() || to <= from {
        return None;
    }
    connections
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            !used.get(*i).copied().unwrap_or(true)
                && c.accept > from
                && c.accept <= to
                && c.client_ip
                    .as_deref()
                    .map(ip_part)
                    .is_some_and(|ip| own.contains(&ip))
        })
        .min_by_key(|(_, c)| c.accept)
        .map(|(i, _)| i)
}

/// Most server connections rebuilt as attempts of a server-only ticket (the latest ones): a
/// scanner or password spray makes tens of thousands, and each would be diagnosed and reported.
pub const MAX_SERVER_ONLY_ATTEMPTS: usize = 200;

/// A server-only ticket: each connection the server accepted that ended during setup (no RCM
/// 1149) becomes a failed attempt of an unknown client, on the server's clock, so that the same
/// rules diagnose it. Returns the attempts (latest [`MAX_SERVER_ONLY_ATTEMPTS`]) and how many
/// such connections there were in all.
fn server_only_attempts(connections: &[ServerConnection]) -> (Vec<(usize, ClientAttempt)>, usize) {
    let failed: Vec<usize> = (0..connections.len())
        .filter(|&i| !connections[i].authenticated())
        .collect();
    let total = failed.len();
    let keep = &failed[total.saturating_sub(MAX_SERVER_ONLY_ATTEMPTS)..];
    let out = keep
        .iter()
        .map(|&i| {
            let c = &connections[i];
            (
                i,
                ClientAttempt {
                    activity_id: c.activity_id.clone(),
                    start: c.accept,
                    end: Some(c.end.max(c.accept)),
                    target: None,
                    disconnect_reason: None,
                    logged_on: false,
                    user_known: None,
                    from_server: true,
                    records: Vec::new(),
                    event_ids: Vec::new(),
                },
            )
        })
        .collect();
    (out, total)
}

/// Correlates a ticket: client and server may each be absent.
pub fn correlate(client: Option<&Host>, server: Option<&Host>) -> Correlation {
    let attempts = client.map(|c| client_attempts(&c.events)).unwrap_or_default();
    let (connections, sights) = match server {
        Some(s) => {
            let (connections, others) =
                rayon::join(|| server_connections(&s.events), || event_sightings(&s.events));
            let sights = merge_sightings(&connections, others);
            (connections, sights)
        }
        None => (Vec::new(), Vec::new()),
    };
    let known_client_ips: Vec<String> = client
        .map(|c| c.addresses.iter().map(|a| ip_only(a)).collect())
        .unwrap_or_default();
    let manifest_offset = client
        .and_then(|c| c.measured_offset_ms)
        .or_else(|| server.and_then(|s| s.measured_offset_ms.map(|m| -m)));
    let skew = estimate_skew(&attempts, &sights, &known_client_ips, manifest_offset);

    let mut client_addresses = known_client_ips.clone();
    if client_addresses.is_empty()
        && let Some(ip) = &skew.matched_ip
    {
        client_addresses.push(ip.clone());
    }
    let server_computers: Vec<String> = server
        .map(|s| {
            let mut v: Vec<String> = s.events.iter().take(2000).map(|e| e.host.to_string()).collect();
            v.sort();
            v.dedup();
            v
        })
        .unwrap_or_default();

    // On Server 2008 / 2008 R2 (SBS 2011) RCM 1149 is logged for failed logons too (audit
    // 2026-12 section 1, NLA row [V: cybertriage 1149 article, community]): there it proves no
    // logon. Builds before 9200 (Server 2012); an unknown build counts as a supported one.
    let rcm_1149_proves_logon = server
        .and_then(|s| s.facts.as_ref())
        .and_then(|f| f.os.as_ref())
        .and_then(|o| o.build)
        .is_none_or(|b| b >= 9200);
    let tolerance = Duration::milliseconds(2500) + skew.uncertainty.unwrap_or_else(Duration::zero);
    let mut paired = Vec::new();
    let mut used = vec![false; connections.len()];
    let in_accept_order = connections.is_sorted_by_key(|c| c.accept);
    for a in attempts {
        let server_time = a.start - skew.offset;
        let connection = if skew.is_known() {
            nearest_unused(
                &connections,
                in_accept_order,
                &used,
                server_time,
                tolerance,
                skew.matched_ip.as_deref(),
            )
        } else {
            None
        };
        // A dual-stack client that tries IPv6 first, or a slow DNS answer, can put many seconds
        // between 1024 and the TCP accept (audit section 2, an inference): a connection from the
        // client's own address accepted later within the attempt still is this attempt's.
        let connection = connection.or_else(|| {
            if !skew.is_known() {
                return None;
            }
            let end = a
                .end?
                .checked_sub_signed(skew.offset)?
                .checked_add_signed(tolerance)?;
            let from = server_time.checked_add_signed(tolerance)?;
            late_accept_from(&connections, &used, from, end, &{
                let mut own: Vec<&str> = known_client_ips.iter().map(String::as_str).collect();
                own.extend(skew.matched_ip.as_deref());
                own
            })
        });
        if let Some(i) = connection {
            used[i] = true;
        }
        let conn = connection.and_then(|i| connections.get(i));
        let reached_server = match (server, conn) {
            (None, _) => None,
            (_, Some(_)) => Some(true),
            (Some(_), None) if skew.is_known() => Some(false),
            // Unknown skew: the server saw it only if the client's address ever connected.
            (Some(_), None) => {
                let any_from_client = !client_addresses.is_empty()
                    && connections.iter().any(|c| {
                        c.client_ip
                            .as_deref()
                            .map(ip_part)
                            .is_some_and(|ip| client_addresses.iter().any(|a| a == ip))
                    });
                if any_from_client { None } else { Some(false) }
            }
        };
        let seen_from = conn.and_then(|c| c.client_ip.as_deref().map(ip_only));
        let seen_from_other_ip = match (&seen_from, known_client_ips.is_empty()) {
            (Some(ip), false) => Some(!known_client_ips.contains(ip)),
            _ => None,
        };
        let target_is_server = match (server, a.target.as_deref()) {
            (Some(s), Some(t)) => {
                let is_ip = ip_only(t).parse::<std::net::IpAddr>().is_ok();
                if names_match(t, s, &server_computers) {
                    Some(true)
                } else if is_ip && s.addresses.is_empty() {
                    // An address we cannot compare with anything: unknown, not "another host".
                    None
                } else {
                    Some(false)
                }
            }
            _ => None,
        };
        let authenticated = a.logged_on || (conn.is_some_and(|c| c.authenticated()) && rcm_1149_proves_logon);
        paired.push(PairedAttempt {
            attempt: a,
            connection,
            server_time,
            reached_server,
            authenticated,
            seen_from,
            seen_from_other_ip,
            target_is_server,
        });
    }
    let mut server_only_connections = None;
    if client.is_none() && server.is_some() {
        let (rebuilt, total) = server_only_attempts(&connections);
        server_only_connections = Some(total);
        for (i, a) in rebuilt {
            let c = &connections[i];
            paired.push(PairedAttempt {
                server_time: a.start,
                attempt: a,
                connection: Some(i),
                reached_server: Some(true),
                authenticated: false,
                seen_from: c.client_ip.as_deref().map(ip_only),
                seen_from_other_ip: None,
                target_is_server: None,
            });
        }
    }
    Correlation {
        skew,
        client_addresses,
        attempts: paired,
        connections,
        server_only_connections,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use rdpdiag_evtx::model::{Event, FieldValue};
    use rdpdiag_schemas::Role;

    fn connection(accept_ms: i64, ip: Option<&str>) -> ServerConnection {
        let accept = Utc
            .timestamp_millis_opt(1_700_000_000_000 + accept_ms)
            .single()
            .unwrap_or_default();
        ServerConnection {
            activity_id: None,
            accept,
            client_ip: ip.map(|i| format!("{i}:50000")),
            authenticated_at: None,
            end: accept,
            records: Vec::new(),
            event_ids: Vec::new(),
        }
    }

    fn event(channel: &str, id: u32, ms: i64, act: &str, fields: Vec<(&str, FieldValue)>) -> Event {
        Event {
            input: std::sync::Arc::from("t.zip"),
            artifact: std::sync::Arc::from("evtx/x.evtx"),
            record_id: ms as u64,
            time_utc: connection(ms, None).accept,
            host: std::sync::Arc::from("H"),
            channel: std::sync::Arc::from(channel),
            provider: std::sync::Arc::from("p"),
            source_name: None,
            event_id: id,
            qualifiers: None,
            level: None,
            activity_id: Some(act.to_string()),
            process_id: None,
            user_sid: None,
            fields: fields
                .into_iter()
                .map(|(k, v)| (std::sync::Arc::from(k), v))
                .collect(),
        }
    }

    fn host(role: Role, addresses: &[&str], events: Vec<Event>, offset: Option<i64>) -> Host {
        Host {
            name: "H".into(),
            role,
            addresses: addresses.iter().map(|a| a.to_string()).collect(),
            inputs: Vec::new(),
            events,
            facts: None,
            measured_offset_ms: offset,
            window: None,
        }
    }

    /// Client 10.0.0.5's one attempt to `srv`: 1024 at 0, 1026 (0x904) at `end_ms`, with the
    /// clocks' offset measured by the collector.
    fn client_attempt(end_ms: i64) -> Host {
        let channel = rdpdiag_schemas::channels::RDP_CLIENT;
        host(
            Role::Client,
            &["10.0.0.5"],
            vec![
                event(
                    channel,
                    1024,
                    0,
                    "a1",
                    vec![("Value", FieldValue::Str("srv".into()))],
                ),
                event(
                    channel,
                    1026,
                    end_ms,
                    "a1",
                    vec![("Value", FieldValue::UInt(2308))],
                ),
            ],
            Some(0),
        )
    }

    /// A client whose 1024 precedes the TCP accept by `delay_ms` (IPv6 tried first, or a slow
    /// DNS answer), with the clocks' offset measured by the collector.
    fn delayed_accept(delay_ms: i64, server_ip: &str) -> Correlation {
        let client = client_attempt(delay_ms + 900);
        let ip = FieldValue::Str(format!("{server_ip}:50123"));
        let server = host(
            Role::Server,
            &["10.0.0.9"],
            vec![event(
                rdpdiag_schemas::channels::RDPCORETS,
                131,
                delay_ms,
                "s1",
                vec![("ClientIP", ip)],
            )],
            Some(0),
        );
        correlate(Some(&client), Some(&server))
    }

    #[test]
    fn a_late_accept_from_the_clients_address_is_its_attempt() {
        // 21 s: one IPv6 connect timing out before IPv4 is tried (audit section 2, inference).
        let corr = delayed_accept(21_000, "10.0.0.5");
        assert_eq!(corr.attempts[0].connection, Some(0));
        assert_eq!(corr.attempts[0].reached_server, Some(true));
        // Another address accepted in the same seconds is someone else's connection.
        let corr = delayed_accept(21_000, "10.0.0.77");
        assert_eq!(corr.attempts[0].connection, None);
        assert_eq!(corr.attempts[0].reached_server, Some(false));
    }

    /// A server of `build` that logged 131 and 1149 for the client's attempt.
    fn logged_1149_on(build: Option<u32>) -> Correlation {
        let client = client_attempt(3_000);
        let ip = FieldValue::Str("10.0.0.5:50123".into());
        let mut server = host(
            Role::Server,
            &["10.0.0.9"],
            vec![
                event(
                    rdpdiag_schemas::channels::RDPCORETS,
                    131,
                    200,
                    "s1",
                    vec![("ClientIP", ip)],
                ),
                event(
                    rdpdiag_schemas::channels::RCM_OPERATIONAL,
                    1149,
                    2_500,
                    "s1",
                    vec![("Param3", FieldValue::Str("10.0.0.5".into()))],
                ),
            ],
            Some(0),
        );
        server.facts = Some(rdpdiag_ingest::facts::HostFacts {
            os: Some(rdpdiag_ingest::facts::OsVersionFacts {
                product_name_raw: None,
                product_name: None,
                edition_id: None,
                installation_type: Some("Server".into()),
                display_version: None,
                build,
                ubr: None,
                source: rdpdiag_ingest::facts::Provenance {
                    artifact: std::sync::Arc::from("registry/winnt-cv.reg"),
                    key: None,
                    value: None,
                    line: None,
                },
            }),
            ..Default::default()
        });
        correlate(Some(&client), Some(&server))
    }

    #[test]
    fn rcm_1149_proves_a_logon_only_from_server_2012_on() {
        assert!(logged_1149_on(Some(20348)).attempts[0].authenticated);
        assert!(
            logged_1149_on(None).attempts[0].authenticated,
            "an unknown build counts as supported"
        );
        // Server 2008 R2 / SBS 2011 log 1149 for failed logons too.
        assert!(!logged_1149_on(Some(7601)).attempts[0].authenticated);
    }

    /// The pairing as it was: every connection looked at.
    fn nearest_by_scan(
        connections: &[ServerConnection],
        used: &[bool],
        t: DateTime<Utc>,
        tolerance: Duration,
        matched_ip: Option<&str>,
    ) -> Option<usize> {
        let mut best: Option<(usize, Duration)> = None;
        for (i, c) in connections.iter().enumerate() {
            if used[i] {
                continue;
            }
            let ip_ok = match (matched_ip, &c.client_ip) {
                (Some(m), Some(ip)) => ip_part(ip) == m,
                _ => true,
            };
            let d = (c.accept - t).abs();
            if ip_ok && d <= tolerance && best.is_none_or(|(_, bd)| d < bd) {
                best = Some((i, d));
            }
        }
        best.map(|(i, _)| i)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn the_time_search_finds_what_the_scan_finds(
            // Tenths of seconds, so that times often sit exactly on the tolerance's edges.
            conns in prop::collection::vec((0i64..200, prop::option::of(0usize..3), any::<bool>()), 0..40),
            sort in any::<bool>(),
            at in -30i64..230,
            tolerance_ds in 0i64..60,
            matched in prop::option::of(0usize..3),
        ) {
            let ips = ["10.0.0.1", "10.0.0.2", "192.168.1.9"];
            let mut conns = conns;
            if sort {
                conns.sort_by_key(|c| c.0);
            }
            let connections: Vec<ServerConnection> =
                conns.iter().map(|&(ds, ip, _)| connection(ds * 100, ip.map(|i| ips[i]))).collect();
            let used: Vec<bool> = conns.iter().map(|c| c.2).collect();
            let t = connection(at * 100, None).accept;
            let tolerance = Duration::milliseconds(tolerance_ds * 100);
            let matched = matched.map(|i| ips[i]);
            let in_order = connections.is_sorted_by_key(|c| c.accept);
            prop_assert_eq!(
                nearest_unused(&connections, in_order, &used, t, tolerance, matched),
                nearest_by_scan(&connections, &used, t, tolerance, matched)
            );
        }
    }
}
