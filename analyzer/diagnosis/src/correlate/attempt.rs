//! Client attempts: RDPClient/Operational 1024 -> ... -> 1026, grouped by ActivityID.

use chrono::{DateTime, Utc};
use serde::Serialize;

use rdpdiag_evtx::model::Event;
use rdpdiag_schemas::channels::RDP_CLIENT;

/// Reasons that end a connection normally (field guide 1.7): local, by user, by server.
pub const NORMAL_DISCONNECTS: [u32; 3] = [1, 2, 3];

/// One connection attempt as the client logged it (client clock).
#[derive(Debug, Clone, Serialize)]
pub struct ClientAttempt {
    /// Correlation ActivityID shared by the attempt's events.
    pub activity_id: Option<String>,
    /// 1024 time.
    pub start: DateTime<Utc>,
    /// 1026 time, when the attempt ended in the window.
    pub end: Option<DateTime<Utc>>,
    /// Server name or address as typed (1024 Value).
    pub target: Option<String>,
    /// Disconnect reason (1026 Value).
    pub disconnect_reason: Option<u32>,
    /// 1027: connected to a domain, i.e. logged on.
    pub logged_on: bool,
    /// 1029 time: the client knows the user name, i.e. any credential prompt is over.
    pub user_known: Option<DateTime<Utc>>,
    /// Rebuilt from a server connection (server clock, server-only ticket): no client logged it.
    pub from_server: bool,
    /// Record ids of the attempt's events on the client.
    pub records: Vec<u64>,
    /// Event ids seen in the attempt, in order.
    pub event_ids: Vec<u32>,
}

impl ClientAttempt {
    /// Seconds from 1024 to 1026 (including any time the user spent at a credential prompt).
    pub fn duration_s(&self) -> Option<f64> {
        self.end
            .map(|e| (e - self.start).num_milliseconds() as f64 / 1000.0)
    }

    /// Seconds of setup the user did not spend typing: from 1029 (user name known, after any
    /// credential prompt) to 1026, or from 1024 when the client logged no 1029 before the end.
    /// A TLS or credential failure is fast after the prompt however long the prompt took
    /// (audit 2026-12 finding 1: the TCP connection stays open while the user types).
    pub fn setup_s(&self) -> Option<f64> {
        // A connection rebuilt from the server's logs: how long the user typed is not in them,
        // so its setup time is unknown (its span still holds every event of it).
        if self.from_server {
            return None;
        }
        let end = self.end?;
        let from = self
            .user_known
            .filter(|u| *u >= self.start && *u <= end)
            .unwrap_or(self.start);
        Some((end - from).num_milliseconds() as f64 / 1000.0)
    }

    /// Whether the attempt failed (ended with a reason other than a normal disconnect). An
    /// attempt rebuilt from a server connection failed by construction: only connections that
    /// ended during setup become attempts.
    pub fn failed(&self) -> bool {
        if self.from_server {
            return !self.logged_on;
        }
        self.disconnect_reason
            .is_some_and(|r| !NORMAL_DISCONNECTS.contains(&r) && r != 0)
    }
}

/// Rebuilds attempts from the client's events (any order), in start order.
pub fn client_attempts(events: &[Event]) -> Vec<ClientAttempt> {
    let mut by_act: std::collections::BTreeMap<String, Vec<&Event>> = Default::default();
    let mut loose: Vec<&Event> = Vec::new();
    for e in events
        .iter()
        .filter(|e| e.channel.eq_ignore_ascii_case(RDP_CLIENT))
    {
        match &e.activity_id {
            Some(a) => by_act.entry(a.to_ascii_lowercase()).or_default().push(e),
            None => loose.push(e),
        }
    }
    let mut out = Vec::new();
    for (act, mut evs) in by_act {
        evs.sort_by_key(|e| (e.time_utc, e.record_id));
        // An activity may (rarely) hold several 1024s: split at each.
        let mut current: Option<ClientAttempt> = None;
        for e in evs {
            if e.event_id == 1024 {
                if let Some(a) = current.take() {
                    out.push(a);
                }
                current = Some(ClientAttempt {
                    activity_id: Some(act.clone()),
                    start: e.time_utc,
                    end: None,
                    target: e.field_text("Value"),
                    disconnect_reason: None,
                    logged_on: false,
                    user_known: None,
                    from_server: false,
                    records: vec![e.record_id],
                    event_ids: vec![1024],
                });
                continue;
            }
            let Some(a) = current.as_mut() else { continue };
            a.records.push(e.record_id);
            a.event_ids.push(e.event_id);
            match e.event_id {
                1026 => {
                    a.end = Some(e.time_utc);
                    a.disconnect_reason = e
                        .field("Value")
                        .and_then(|v| v.as_u64())
                        .and_then(|v| u32::try_from(v).ok());
                }
                1027 => a.logged_on = true,
                1029 if a.user_known.is_none() => a.user_known = Some(e.time_utc),
                _ => {}
            }
        }
        if let Some(a) = current {
            out.push(a);
        }
    }
    // Clients that log no ActivityID: pair each 1024 with the next 1026.
    loose.sort_by_key(|e| (e.time_utc, e.record_id));
    let mut open: Option<ClientAttempt> = None;
    for e in loose {
        match e.event_id {
            1024 => {
                if let Some(a) = open.take() {
                    out.push(a);
                }
                open = Some(ClientAttempt {
                    activity_id: None,
                    start: e.time_utc,
                    end: None,
                    target: e.field_text("Value"),
                    disconnect_reason: None,
                    logged_on: false,
                    user_known: None,
                    from_server: false,
                    records: vec![e.record_id],
                    event_ids: vec![1024],
                });
            }
            1026 => {
                if let Some(mut a) = open.take() {
                    a.end = Some(e.time_utc);
                    a.disconnect_reason = e
                        .field("Value")
                        .and_then(|v| v.as_u64())
                        .and_then(|v| u32::try_from(v).ok());
                    a.records.push(e.record_id);
                    a.event_ids.push(1026);
                    out.push(a);
                }
            }
            1027 => {
                if let Some(a) = open.as_mut() {
                    a.logged_on = true;
                }
            }
            1029 => {
                if let Some(a) = open.as_mut() {
                    a.user_known.get_or_insert(e.time_utc);
                }
            }
            _ => {}
        }
    }
    if let Some(a) = open {
        out.push(a);
    }
    out.sort_by_key(|a| a.start);
    out
}
