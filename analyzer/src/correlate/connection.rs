//! Server connections: RdpCoreTS 131 / RCM 261 (same ActivityID) with their outcome, and every
//! server-side sighting of a client address (131, 5152/5157, 4625, 140, 1149) for skew estimation.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{ip_only, ip_part};
use crate::model::{Event, FieldValue};

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

/// Channel names as Windows writes them; the case-insensitive compare only when they differ
/// (a busy server has hundreds of thousands of events to classify).
fn on_channel(e: &Event, channel: &str) -> bool {
    &*e.channel == channel || e.channel.eq_ignore_ascii_case(channel)
}

fn is(e: &Event, channel: &str, id: u32) -> bool {
    e.event_id == id && on_channel(e, channel)
}

/// An ActivityID as a join key: a GUID as its 128 bits (no string to chase when hashing or
/// comparing), anything else as upper-case text, borrowed when it already is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ActivityKey<'e> {
    Guid(u128),
    Text(Cow<'e, str>),
}

fn activity_key(a: &str) -> ActivityKey<'_> {
    let mut bits: u128 = 0;
    let mut digits = 0;
    for b in a.bytes() {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            b'{' | b'}' | b'-' => continue,
            _ => {
                digits = 0;
                break;
            }
        };
        bits = (bits << 4) | u128::from(d);
        digits += 1;
        if digits > 32 {
            break;
        }
    }
    if digits == 32 {
        return ActivityKey::Guid(bits);
    }
    if a.bytes().any(|b| b.is_ascii_lowercase()) {
        ActivityKey::Text(Cow::Owned(a.to_ascii_uppercase()))
    } else {
        ActivityKey::Text(Cow::Borrowed(a))
    }
}

fn with_first<T>(first: T) -> Vec<T> {
    let mut v = Vec::with_capacity(4);
    v.push(first);
    v
}

/// Rebuilds the server's inbound connections from its events, in accept order.
pub fn server_connections(events: &[Event]) -> Vec<ServerConnection> {
    let mut sorted: Vec<&Event> = events
        .iter()
        .filter(|e| on_channel(e, RDPCORETS_CHANNEL) || on_channel(e, RCM_CHANNEL))
        .collect();
    let accepts = sorted.iter().filter(|e| e.event_id == 131).count();
    let mut out: Vec<ServerConnection> = Vec::with_capacity(accepts);
    // foldhash, not SipHash: one lookup per event of a busy server, on keys it wrote itself.
    let mut by_act: HashMap<ActivityKey<'_>, usize, foldhash::fast::RandomState> =
        HashMap::with_capacity_and_hasher(accepts, foldhash::fast::RandomState::default());
    // Host events come sorted by time already; ties across the two logs go by record id.
    if !sorted.is_sorted_by_key(|e| (e.time_utc, e.record_id)) {
        sorted.sort_by_key(|e| (e.time_utc, e.record_id));
    }
    for e in &sorted {
        let act = e.activity_id.as_deref().map(activity_key);
        let known = act.as_ref().and_then(|a| by_act.get(a).copied());
        let starts = is(e, RDPCORETS_CHANNEL, 131) || (is(e, RCM_CHANNEL, 261) && known.is_none());
        if starts {
            if let Some(i) = known {
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
                activity_id: e.activity_id.as_deref().map(str::to_ascii_lowercase),
                accept: e.time_utc,
                client_ip: e.field_text("ClientIP"),
                authenticated: false,
                end: e.time_utc,
                // Room for a connection's usual events (131, 261, 1149, ...): no regrowth.
                records: with_first(e.record_id),
                event_ids: with_first(e.event_id),
            });
            if let Some(a) = act {
                by_act.insert(a, out.len() - 1);
            }
            continue;
        }
        // Windows 7 RCM events have no ActivityID: join 1149 by address and time instead.
        let idx = match &act {
            Some(_) => known,
            None if is(e, RCM_CHANNEL, 1149) => {
                let ip = e.field_text("Param3").map(|p| ip_only(&p));
                // Connections are in accept order: walk back only through the last 30 s.
                let window = out
                    .iter()
                    .enumerate()
                    .rev()
                    .take_while(|(_, c)| e.time_utc - c.accept <= Duration::seconds(30));
                let mut found = None;
                for (i, c) in window {
                    if e.time_utc >= c.accept
                        && ip.is_some()
                        && c.client_ip.as_deref().map(ip_part) == ip.as_deref()
                    {
                        found = Some(i);
                        break;
                    }
                }
                found
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

/// The sightings that are events of their own (WFP, failed logons, NLA failures, 1149), in
/// event order: independent of the connections, so both are built at once.
pub fn event_sightings(events: &[Event]) -> Vec<Sighting> {
    let mut out = Vec::new();
    for e in events {
        let field = match (&*e.channel, e.event_id) {
            ("Security", 5152 | 5157 | 5156) => "SourceAddress",
            ("Security", 4625) => "IpAddress",
            (c, 140) if c.eq_ignore_ascii_case(RDPCORETS_CHANNEL) => "IPString",
            (c, 1149) if c.eq_ignore_ascii_case(RCM_CHANNEL) => "Param3",
            _ => continue,
        };
        let text = match e.field(field) {
            Some(FieldValue::Str(s)) => Cow::Borrowed(s.as_str()),
            Some(v) => match v.as_text() {
                Some(t) => Cow::Owned(t),
                None => continue,
            },
            None => continue,
        };
        let ip = ip_part(&text);
        if !ip.is_empty() && ip != "-" && ip != "127.0.0.1" && ip != "::1" {
            out.push(Sighting {
                time: e.time_utc,
                ip: ip.to_string(),
                kind: SightingKind::Other,
                outcome: None,
            });
        }
    }
    out
}

/// The connections' accepts and the [`event_sightings`], by time (accepts first on a tie).
pub fn merge_sightings(connections: &[ServerConnection], others: Vec<Sighting>) -> Vec<Sighting> {
    let mut out: Vec<Sighting> = Vec::with_capacity(connections.len() + others.len());
    out.extend(connections.iter().filter_map(|c| {
        Some(Sighting {
            time: c.accept,
            ip: ip_only(c.client_ip.as_deref()?),
            kind: SightingKind::Accept,
            outcome: Some(((c.end - c.accept).num_milliseconds(), c.authenticated)),
        })
    }));
    out.extend(others);
    out.sort_by_key(|s| s.time);
    out
}
