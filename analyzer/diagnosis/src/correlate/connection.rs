//! Server connections: RdpCoreTS 131 / RCM 261 (same ActivityID) with their outcome, and every
//! server-side sighting of a client address (131, 5152/5157, 4625, 140, 1149) for skew estimation.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasher;

use chrono::{DateTime, Duration, Utc};
use rayon::prelude::*;
use serde::Serialize;

use super::{ip_only, ip_part};
use rdpdiag_evtx::model::{Event, FieldValue};
use rdpdiag_schemas::channels::{GATEWAY, RCM_OPERATIONAL, RDPCORETS, SECURITY};

/// One inbound connection as the server logged it (server clock).
#[derive(Debug, Clone, Serialize)]
pub struct ServerConnection {
    /// ActivityID shared by RdpCoreTS and RCM events of the connection (Windows 10+).
    pub activity_id: Option<String>,
    /// 131 time (or 261 when there is no 131).
    pub accept: DateTime<Utc>,
    /// Client address as `ip:port` (131 ClientIP), when logged.
    pub client_ip: Option<String>,
    /// When its first RCM 1149 was logged (`None`: never authenticated). What happens once the
    /// user is logged on (profile load) is timed from it, not from the accept (audit section 1,
    /// profile row). Serialized as the `authenticated` flag.
    #[serde(rename = "authenticated", serialize_with = "serialize_is_some")]
    pub authenticated_at: Option<DateTime<Utc>>,
    /// Last event of the connection.
    pub end: DateTime<Utc>,
    /// Record ids of its events.
    pub records: Vec<u64>,
    /// Event ids seen, in order.
    pub event_ids: Vec<u32>,
}

impl ServerConnection {
    /// Whether RCM 1149 was logged for this connection.
    pub fn authenticated(&self) -> bool {
        self.authenticated_at.is_some()
    }
}

fn serialize_is_some<S: serde::Serializer>(v: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(v.is_some())
}

/// What kind of server event saw a client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SightingKind {
    /// RdpCoreTS 131 (connection accepted): the sharpest anchor.
    Accept,
    /// WFP drop/block: at the TCP connection's start, less sharp than 131.
    Other,
    /// Failed logon (4625), NLA failure (140), 1149, RD Gateway events: after the user typed
    /// credentials, so they line up with the client's 1029 (user name known), not its 1024
    /// (audit 2026-12 finding 1: a prompt lasts seconds to minutes).
    AfterCredentials,
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
    server_connections_in(events, rayon::current_num_threads(), PARALLEL_FROM)
}

/// Fewer events than this are not worth a thread.
const PARALLEL_FROM: usize = 4096;

/// [`server_connections`] in up to `shards` parts at once, from `parallel_from` events on.
fn server_connections_in(events: &[Event], shards: usize, parallel_from: usize) -> Vec<ServerConnection> {
    let mut sorted: Vec<&Event> = events
        .iter()
        .filter(|e| on_channel(e, RDPCORETS) || on_channel(e, RCM_OPERATIONAL))
        .collect();
    // Host events come sorted by time already; ties across the two logs go by record id.
    if !sorted.is_sorted_by_key(|e| (e.time_utc, e.record_id)) {
        sorted.sort_by_key(|e| (e.time_utc, e.record_id));
    }
    let parallel = sorted.len() >= parallel_from;
    let keys: Vec<Option<ActivityKey<'_>>> = if parallel {
        sorted
            .par_iter()
            .map(|e| e.activity_id.as_deref().map(activity_key))
            .collect()
    } else {
        sorted
            .iter()
            .map(|e| e.activity_id.as_deref().map(activity_key))
            .collect()
    };
    let shards = shards.clamp(1, 64);
    // When every event that starts or authenticates a connection has an ActivityID, a connection
    // is the events of one activity: activities split into shards built at once give the same
    // connections. Windows 7 events (no ActivityID) are joined by address and time across
    // activities, so they are built in one pass.
    let joined_by_address = |(e, k): (&&Event, &Option<ActivityKey<'_>>)| {
        k.is_none() && (is(e, RDPCORETS, 131) || is(e, RCM_OPERATIONAL, 261) || is(e, RCM_OPERATIONAL, 1149))
    };
    if shards == 1 || !parallel || sorted.iter().zip(&keys).any(joined_by_address) {
        return build_connections(&sorted, &keys, None)
            .into_iter()
            .map(|(_, c)| c)
            .collect();
    }
    let hasher = foldhash::fast::FixedState::default();
    let shard_of: Vec<u8> = keys
        .iter()
        .map(|k| (hasher.hash_one(k) % shards as u64) as u8)
        .collect();
    let mut parts: Vec<(usize, ServerConnection)> = (0..shards)
        .into_par_iter()
        .flat_map_iter(|n| build_connections(&sorted, &keys, Some((&shard_of, n as u8))))
        .collect();
    // Back in the order the connections started, as one pass would have made them.
    parts.sort_unstable_by_key(|(first, _)| *first);
    parts.into_iter().map(|(_, c)| c).collect()
}

/// The connections of `sorted`'s events (of one shard when given: the events whose shard is
/// the one named), each with the position of its first event.
fn build_connections(
    sorted: &[&Event],
    keys: &[Option<ActivityKey<'_>>],
    shard: Option<(&[u8], u8)>,
) -> Vec<(usize, ServerConnection)> {
    let mut out: Vec<(usize, ServerConnection)> = Vec::new();
    // foldhash, not SipHash: one lookup per event of a busy server, on keys it wrote itself.
    let mut by_act: HashMap<&ActivityKey<'_>, usize, foldhash::fast::RandomState> = HashMap::default();
    for (pos, (e, act)) in sorted.iter().zip(keys).enumerate() {
        if let Some((of, n)) = shard
            && of.get(pos) != Some(&n)
        {
            continue;
        }
        let known = act.as_ref().and_then(|a| by_act.get(a).copied());
        // A 131 of the UDP leg (ConnType UDP) is no new connection: it joins its activity when
        // that is known and is dropped otherwise (audit 2026-12 section 2: a phantom
        // connection; whether UDP 131 shares the ActivityID is unverified).
        let udp_131 = is(e, RDPCORETS, 131)
            && e.field_text("ConnType")
                .is_some_and(|t| t.eq_ignore_ascii_case("UDP"));
        let starts = (is(e, RDPCORETS, 131) && !udp_131) || (is(e, RCM_OPERATIONAL, 261) && known.is_none());
        if starts {
            if let Some(i) = known {
                // 261 after its 131, or a second 131 of one activity: same connection.
                let c = &mut out[i].1;
                c.records.push(e.record_id);
                c.event_ids.push(e.event_id);
                if c.client_ip.is_none() {
                    c.client_ip = e.field_text("ClientIP");
                }
                continue;
            }
            out.push((
                pos,
                ServerConnection {
                    activity_id: e.activity_id.as_deref().map(str::to_ascii_lowercase),
                    accept: e.time_utc,
                    client_ip: e.field_text("ClientIP"),
                    authenticated_at: None,
                    end: e.time_utc,
                    // Room for a connection's usual events (131, 261, 1149, ...): no regrowth.
                    records: with_first(e.record_id),
                    event_ids: with_first(e.event_id),
                },
            ));
            if let Some(a) = act {
                by_act.insert(a, out.len() - 1);
            }
            continue;
        }
        // Windows 7 RCM events have no ActivityID: join 1149 by address and time instead.
        let idx = match &act {
            Some(_) => known,
            None if is(e, RCM_OPERATIONAL, 1149) => {
                let ip = e.field_text("Param3").map(|p| ip_only(&p));
                // Connections are in accept order: walk back only through the last 30 s.
                let window = out
                    .iter()
                    .enumerate()
                    .rev()
                    .take_while(|(_, (_, c))| e.time_utc - c.accept <= Duration::seconds(30));
                let mut found = None;
                for (i, (_, c)) in window {
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
            let c = &mut out[i].1;
            c.records.push(e.record_id);
            c.event_ids.push(e.event_id);
            c.end = c.end.max(e.time_utc);
            if is(e, RCM_OPERATIONAL, 1149) {
                c.authenticated_at.get_or_insert(e.time_utc);
            }
        }
    }
    out
}

/// A WFP 5152/5156/5157 record that is not known to be UDP/ICMP or outbound: Protocol 6 (or
/// absent) and Direction `%%14592` inbound (or absent) (Microsoft 5152 event documentation).
fn wfp_inbound_tcp(e: &Event) -> bool {
    let protocol_ok = e
        .field("Protocol")
        .and_then(FieldValue::as_u64)
        .is_none_or(|p| p == 6);
    let inbound = e
        .field_text("Direction")
        .is_none_or(|d| d.eq_ignore_ascii_case("%%14592") || d.eq_ignore_ascii_case("inbound"));
    protocol_ok && inbound
}

/// The sightings that are events of their own (WFP, failed logons, NLA failures, 1149), in
/// event order: independent of the connections, so both are built at once.
pub fn event_sightings(events: &[Event]) -> Vec<Sighting> {
    let mut out = Vec::new();
    for e in events {
        let field = match (&*e.channel, e.event_id) {
            (SECURITY, 5152 | 5157 | 5156) => "SourceAddress",
            (SECURITY, 4625) => "IpAddress",
            (c, 140) if c.eq_ignore_ascii_case(RDPCORETS) => "IPString",
            (c, 1149) if c.eq_ignore_ascii_case(RCM_OPERATIONAL) => "Param3",
            // RD Gateway events name the client's address (TechNet ee891388): a gateway's
            // bundle aligns with the client's clock through 200, the connection authorisation
            // (CAP) right after the credentials; the later ones (300 RAP, 302/304 the leg to
            // the resource) come up to seconds after it and would blur the alignment.
            (c, 200) if c.eq_ignore_ascii_case(GATEWAY) => "IpAddress",
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
        // A WFP record of a UDP packet (the multitransport leg, after the credential prompt) or
        // of an outbound connection is no sighting of the TCP connection's start (audit
        // 2026-12 section 1, firewall row). Unknown protocol or direction: kept.
        if &*e.channel == SECURITY && e.event_id != 4625 && !wfp_inbound_tcp(e) {
            continue;
        }
        let ip = ip_part(&text);
        if !ip.is_empty() && ip != "-" && ip != "127.0.0.1" && ip != "::1" {
            let kind = if &*e.channel == SECURITY && e.event_id != 4625 {
                SightingKind::Other
            } else {
                SightingKind::AfterCredentials
            };
            out.push(Sighting {
                time: e.time_utc,
                ip: ip.to_string(),
                kind,
                outcome: None,
            });
        }
    }
    out
}

/// The connections' accepts and the [`event_sightings`], by time (accepts first on a tie).
pub fn merge_sightings(connections: &[ServerConnection], others: Vec<Sighting>) -> Vec<Sighting> {
    let accepts = connections.iter().filter_map(|c| {
        Some(Sighting {
            time: c.accept,
            ip: ip_only(c.client_ip.as_deref()?),
            kind: SightingKind::Accept,
            outcome: Some(((c.end - c.accept).num_milliseconds(), c.authenticated())),
        })
    });
    let mut out: Vec<Sighting> = Vec::with_capacity(connections.len() + others.len());
    // Both come in time order from a host's sorted events: merged in one pass (a busy server
    // has hundreds of thousands). Anything else is sorted, stably, as a whole.
    if connections.is_sorted_by_key(|c| c.accept) && others.is_sorted_by_key(|s| s.time) {
        let mut others = others.into_iter().peekable();
        for a in accepts {
            while let Some(o) = others.next_if(|o| o.time < a.time) {
                out.push(o);
            }
            out.push(a);
        }
        out.extend(others);
    } else {
        out.extend(accepts);
        out.extend(others);
        out.sort_by_key(|s| s.time);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_700_000_000_000 + ms)
            .single()
            .unwrap_or_default()
    }

    fn connection(accept_ms: i64, ip: Option<String>) -> ServerConnection {
        ServerConnection {
            activity_id: None,
            accept: at(accept_ms),
            client_ip: ip,
            authenticated_at: (accept_ms % 2 == 0).then(|| at(accept_ms + 700)),
            end: at(accept_ms + 1500),
            records: Vec::new(),
            event_ids: Vec::new(),
        }
    }

    const RDP: [(&str, u32); 6] = [
        (RDPCORETS, 131),
        (RDPCORETS, 129),
        (RDPCORETS, 140),
        (RCM_OPERATIONAL, 261),
        (RCM_OPERATIONAL, 1149),
        (RCM_OPERATIONAL, 258),
    ];

    /// A server RDP event: `kind` indexes [`RDP`]; `act` picks one of a few ActivityIDs.
    fn rdp_event(record: u64, ms: i64, kind: usize, act: Option<u8>, ip: u8) -> Event {
        let (channel, id) = RDP[kind % RDP.len()];
        let field = if id == 1149 { "Param3" } else { "ClientIP" };
        Event {
            input: Arc::from("server.zip"),
            artifact: Arc::from("evtx/x.evtx"),
            record_id: record,
            time_utc: at(ms),
            host: Arc::from("SRV"),
            channel: Arc::from(channel),
            provider: Arc::from("p"),
            source_name: None,
            event_id: id,
            qualifiers: None,
            level: None,
            activity_id: act.map(|a| format!("{{{a:08X}-0000-0000-0000-000000000000}}")),
            process_id: None,
            user_sid: None,
            fields: vec![(Arc::from(field), FieldValue::Str(format!("10.0.0.{ip}:5000")))],
        }
    }

    fn conn_key(c: &ServerConnection) -> String {
        format!(
            "{:?} {} {:?} {:?} {} {:?} {:?}",
            c.activity_id, c.accept, c.client_ip, c.authenticated_at, c.end, c.records, c.event_ids
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// Built in shards or in one pass, the connections are the same, with or without
        /// Windows 7 events (no ActivityID) among them.
        #[test]
        fn shards_build_what_one_pass_builds(
            events in prop::collection::vec(
                (0i64..40, 0usize..6, prop::option::weighted(0.95, 0u8..12), 0u8..3),
                0..80,
            ),
            shards in 2usize..5,
        ) {
            let events: Vec<Event> = events
                .iter()
                .enumerate()
                .map(|(n, &(s, kind, act, ip))| rdp_event(n as u64, s * 1000, kind, act, ip))
                .collect();
            let one = server_connections_in(&events, 1, 0);
            let sharded = server_connections_in(&events, shards, 0);
            prop_assert_eq!(
                sharded.iter().map(conn_key).collect::<Vec<_>>(),
                one.iter().map(conn_key).collect::<Vec<_>>()
            );
        }
    }

    fn key(s: &Sighting) -> (DateTime<Utc>, String, SightingKind, Option<(i64, bool)>) {
        (s.time, s.ip.clone(), s.kind, s.outcome)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        /// The one-pass merge gives what the old extend-and-sort gave: time order, accepts
        /// first on a tie, each side's own order kept; unsorted input still comes out sorted.
        #[test]
        fn the_merge_equals_a_stable_sort(
            accepts in prop::collection::vec((0i64..50, prop::option::of(0u8..4)), 0..30),
            others in prop::collection::vec((0i64..50, 0u8..4), 0..30),
            sort_accepts in any::<bool>(),
            sort_others in any::<bool>(),
        ) {
            let mut accepts = accepts;
            let mut others = others;
            if sort_accepts {
                accepts.sort_by_key(|a| a.0);
            }
            if sort_others {
                others.sort_by_key(|o| o.0);
            }
            let connections: Vec<ServerConnection> = accepts
                .iter()
                .map(|&(ms, ip)| connection(ms, ip.map(|i| format!("10.0.0.{i}:3389"))))
                .collect();
            let others: Vec<Sighting> = others
                .iter()
                .map(|&(ms, ip)| Sighting {
                    time: at(ms),
                    ip: format!("10.0.1.{ip}"),
                    kind: SightingKind::Other,
                    outcome: None,
                })
                .collect();
            let mut oracle: Vec<Sighting> = connections
                .iter()
                .filter_map(|c| {
                    Some(Sighting {
                        time: c.accept,
                        ip: ip_only(c.client_ip.as_deref()?),
                        kind: SightingKind::Accept,
                        outcome: Some(((c.end - c.accept).num_milliseconds(), c.authenticated())),
                    })
                })
                .collect();
            oracle.extend(others.iter().cloned());
            oracle.sort_by_key(|s| s.time);
            let merged = merge_sightings(&connections, others);
            prop_assert_eq!(
                merged.iter().map(key).collect::<Vec<_>>(),
                oracle.iter().map(key).collect::<Vec<_>>()
            );
        }
    }
}
