//! Server connections: RdpCoreTS 131 / RCM 261 (same ActivityID) with their outcome, and every
//! server-side sighting of a client address (131, 5152/5157, 4625, 140, 1149) for skew estimation.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::ip_only;
use crate::model::Event;

/// RdpCoreTS operational channel.
pub const RDPCORETS_CHANNEL: &str = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational";
/// RCM operational channel.
pub const RCM_CHANNEL: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational";

/// One inbound connection as the server logged it (server clock).
#[derive(Debug, Clone, Serialize)]
pub struct ServerConnection {
    /// ActivityID shared by RdpCoreTS and RCM events of the connection (Windows 10+).
    pub activity_id: Option<String>,
    /// 131 time (or 261 when there is no 131).
    pub accept: DateTime<Utc>,
    /// Client address as `ip:port` (131 ClientIP), when logged.
    pub client_ip: Option<String>,
    /// RCM 1149 for this connection.
    pub authenticated: bool,
    /// Last event of the connection.
    pub end: DateTime<Utc>,
    /// Record ids of its events.
    pub records: Vec<u64>,
    /// Event ids seen, in order.
    pub event_ids: Vec<u32>,
}

/// What kind of server event saw a client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SightingKind {
    /// RdpCoreTS 131 (connection accepted): the sharpest anchor.
    Accept,
    /// WFP drop/block, failed logon, NLA failure, 1149: later or rarer.
    Other,
}

/// A server event that names a client address.
#[derive(Debug, Clone, Serialize)]
pub struct Sighting {
    /// Server time.
    pub time: DateTime<Utc>,
    /// Address (no port).
    pub ip: String,
    /// Kind.
    pub kind: SightingKind,
    /// For accepts: how long the connection lasted (ms) and whether it authenticated, so that
    /// an alignment can prefer the attempt whose outcome agrees.
    pub outcome: Option<(i64, bool)>,
}

fn is(e: &Event, channel: &str, id: u32) -> bool {
    e.event_id == id && e.channel.eq_ignore_ascii_case(channel)
}

/// Rebuilds the server's inbound connections from its events, in accept order.
pub fn server_connections(events: &[Event]) -> Vec<ServerConnection> {
    let mut out: Vec<ServerConnection> = Vec::new();
    let mut by_act: std::collections::HashMap<String, usize> = Default::default();
    let mut sorted: Vec<&Event> = events
        .iter()
        .filter(|e| {
            e.channel.eq_ignore_ascii_case(RDPCORETS_CHANNEL) || e.channel.eq_ignore_ascii_case(RCM_CHANNEL)
        })
        .collect();
    sorted.sort_by_key(|e| (e.time_utc, e.record_id));
    for e in &sorted {
        let act = e.activity_id.as_ref().map(|a| a.to_ascii_lowercase());
        let starts = is(e, RDPCORETS_CHANNEL, 131)
            || (is(e, RCM_CHANNEL, 261) && act.as_ref().is_none_or(|a| !by_act.contains_key(a)));
        if starts {
            if let Some(a) = &act
                && let Some(&i) = by_act.get(a)
            {
                // 261 after its 131, or a second 131 of one activity: same connection.
                let c = &mut out[i];
                c.records.push(e.record_id);
                c.event_ids.push(e.event_id);
                if c.client_ip.is_none() {
                    c.client_ip = e.field_text("ClientIP");
                }
                continue;
            }
            out.push(ServerConnection {
                activity_id: act.clone(),
                accept: e.time_utc,
                client_ip: e.field_text("ClientIP"),
                authenticated: false,
                end: e.time_utc,
                records: vec![e.record_id],
                event_ids: vec![e.event_id],
            });
            if let Some(a) = act {
                by_act.insert(a, out.len() - 1);
            }
            continue;
        }
        // Windows 7 RCM events have no ActivityID: join 1149 by address and time instead.
        let idx = match &act {
            Some(a) => by_act.get(a).copied(),
            None if is(e, RCM_CHANNEL, 1149) => {
                let ip = e.field_text("Param3").map(|p| ip_only(&p));
                out.iter().rposition(|c| {
                    e.time_utc - c.accept <= Duration::seconds(30)
                        && e.time_utc >= c.accept
                        && ip.is_some()
                        && c.client_ip.as_deref().map(ip_only) == ip
                })
            }
            None => None,
        };
        if let Some(i) = idx {
            let c = &mut out[i];
            c.records.push(e.record_id);
            c.event_ids.push(e.event_id);
            c.end = c.end.max(e.time_utc);
            if is(e, RCM_CHANNEL, 1149) {
                c.authenticated = true;
            }
        }
    }
    out
}

/// Every server-side sighting of a client address.
pub fn sightings(events: &[Event], connections: &[ServerConnection]) -> Vec<Sighting> {
    let mut out: Vec<Sighting> = connections
        .iter()
        .filter_map(|c| {
            Some(Sighting {
                time: c.accept,
                ip: ip_only(c.client_ip.as_deref()?),
                kind: SightingKind::Accept,
                outcome: Some(((c.end - c.accept).num_milliseconds(), c.authenticated)),
            })
        })
        .collect();
    for e in events {
        let field = match (e.channel.as_str(), e.event_id) {
            ("Security", 5152 | 5157 | 5156) => "SourceAddress",
            ("Security", 4625) => "IpAddress",
            (c, 140) if c.eq_ignore_ascii_case(RDPCORETS_CHANNEL) => "IPString",
            (c, 1149) if c.eq_ignore_ascii_case(RCM_CHANNEL) => "Param3",
            _ => continue,
        };
        if let Some(ip) = e.field_text(field) {
            let ip = ip_only(&ip);
            if !ip.is_empty() && ip != "-" && ip != "127.0.0.1" && ip != "::1" {
                out.push(Sighting {
                    time: e.time_utc,
                    ip,
                    kind: SightingKind::Other,
                    outcome: None,
                });
            }
        }
    }
    out.sort_by_key(|s| s.time);
    out
}
