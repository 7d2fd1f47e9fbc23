//! `rdpdiag timeline`: both hosts' kept events on one clock (the server's), in order.

use serde::Serialize;

use crate::correlate::Correlation;
use crate::hosts::Ticket;

/// One row of the merged timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineRow {
    /// Server-clock time (client events corrected for skew).
    pub server_time_utc: chrono::DateTime<chrono::Utc>,
    /// Time as the host wrote it.
    pub host_time_utc: chrono::DateTime<chrono::Utc>,
    /// `client` or `server`.
    pub host: String,
    /// Host name.
    pub computer: String,
    /// Channel.
    pub channel: String,
    /// Provider.
    pub provider: String,
    /// Event id.
    pub event_id: u32,
    /// Record id.
    pub record_id: u64,
    /// ActivityID.
    pub activity_id: Option<String>,
    /// Input and artifact.
    pub source: String,
    /// Fields as `name=value` pairs.
    pub summary: String,
}

/// Merges both hosts' events, skew-corrected.
pub fn merged(t: &Ticket, corr: &Correlation) -> Vec<TimelineRow> {
    let mut rows = Vec::new();
    for (side, h, shift) in [
        ("client", &t.client, corr.skew.offset),
        ("server", &t.server, chrono::Duration::zero()),
    ] {
        let Some(h) = h else { continue };
        for e in &h.events {
            rows.push(TimelineRow {
                server_time_utc: e.time_utc - shift,
                host_time_utc: e.time_utc,
                host: side.into(),
                computer: e.host.to_string(),
                channel: e.channel.to_string(),
                provider: e.provider.to_string(),
                event_id: e.event_id,
                record_id: e.record_id,
                activity_id: e.activity_id.clone(),
                source: format!("{} :: {}", e.input, e.artifact),
                summary: e
                    .fields
                    .iter()
                    .filter_map(|(k, v)| v.as_text().map(|t| format!("{k}={t}")))
                    .collect::<Vec<_>>()
                    .join(" "),
            });
        }
    }
    rows.sort_by(|a, b| {
        a.server_time_utc
            .cmp(&b.server_time_utc)
            .then(a.host.cmp(&b.host))
    });
    rows
}

/// Text, one line per event.
pub fn to_text(rows: &[TimelineRow], corr: &Correlation) -> String {
    let mut s = format!(
        "# server clock; client times corrected by {}\n",
        corr.skew.describe()
    );
    for r in rows {
        s.push_str(&format!(
            "{}  {:<6} {:<40} {:>5}  {}\n",
            r.server_time_utc.format("%Y-%m-%d %H:%M:%S%.3f"),
            r.host,
            crate::report::text::short_channel(&r.channel),
            r.event_id,
            r.summary.replace(['\r', '\n'], " ")
        ));
    }
    crate::report::text::terminal_safe(&s)
}

fn csv_field(s: &str) -> String {
    // Quote always; neutralise spreadsheet formulas from hostile event text.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// CSV with a header row.
pub fn to_csv(rows: &[TimelineRow]) -> String {
    let mut s = String::from(
        "server_time_utc,host_time_utc,host,computer,channel,provider,event_id,record_id,activity_id,source,summary\n",
    );
    for r in rows {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            r.server_time_utc.to_rfc3339(),
            r.host_time_utc.to_rfc3339(),
            r.host,
            csv_field(&r.computer),
            csv_field(&r.channel),
            csv_field(&r.provider),
            r.event_id,
            r.record_id,
            csv_field(r.activity_id.as_deref().unwrap_or("")),
            csv_field(&r.source),
            csv_field(&r.summary),
        ));
    }
    s
}

/// One JSON object per line.
pub fn to_jsonl(rows: &[TimelineRow]) -> String {
    rows.iter()
        .filter_map(|r| serde_json::to_string(r).ok())
        .map(|l| l + "\n")
        .collect()
}

/// Timesketch's JSONL import (one event per line with `message`, `datetime` (ISO 8601) and
/// `timestamp_desc`, other keys become attributes): the server-clock time, so both hosts sit on
/// one axis, with `skew_corrected` saying whether the row was moved (client rows, by the skew)
/// and `host_time` keeping what the host's clock wrote.
pub fn to_timesketch(rows: &[TimelineRow], corr: &Correlation) -> String {
    let skew_known = corr.skew.is_known();
    rows.iter()
        .filter_map(|r| {
            let moved = r.host == "client" && r.server_time_utc != r.host_time_utc;
            let v = serde_json::json!({
                "message": format!("{} {} {}: {}", r.computer, crate::report::text::short_channel(&r.channel), r.event_id, r.summary),
                "datetime": r.server_time_utc.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "timestamp_desc": "Event Recorded (server clock)",
                "host": r.host,
                "computer": r.computer,
                "channel": r.channel,
                "provider": r.provider,
                "event_id": r.event_id,
                "record_id": r.record_id,
                "activity_id": r.activity_id,
                "source": r.source,
                "host_time": r.host_time_utc.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "skew_corrected": moved,
                "skew_known": skew_known,
            });
            serde_json::to_string(&v).ok()
        })
        .map(|l| l + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timesketch_lines_carry_the_fields_it_imports() {
        let t = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH + chrono::Duration::seconds(1_700_000_000);
        let row = |host: &str, shift: i64| TimelineRow {
            server_time_utc: t,
            host_time_utc: t + chrono::Duration::seconds(shift),
            host: host.into(),
            computer: "RDS01".into(),
            channel: "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational".into(),
            provider: "p".into(),
            event_id: 131,
            record_id: 7,
            activity_id: None,
            source: "s.zip :: a.evtx".into(),
            summary: "ClientIP=10.0.0.1:5000".into(),
        };
        let corr = crate::correlate::correlate(None, None);
        let out = to_timesketch(&[row("server", 0), row("client", 30)], &corr);
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_default())
            .collect();
        assert_eq!(lines.len(), 2);
        for l in &lines {
            for key in [
                "message",
                "datetime",
                "timestamp_desc",
                "host",
                "channel",
                "event_id",
                "record_id",
                "skew_corrected",
            ] {
                assert!(l.get(key).is_some(), "{key} missing in {l}");
            }
            assert_eq!(l["datetime"], "2023-11-14T22:13:20.000000Z");
            assert_eq!(
                l["message"],
                "RDS01 RdpCoreTS/Operational 131: ClientIP=10.0.0.1:5000"
            );
        }
        assert_eq!(lines[0]["skew_corrected"], false);
        assert_eq!(lines[1]["skew_corrected"], true);
    }
}
