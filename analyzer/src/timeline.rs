//! `rdpdiag timeline`: both hosts' kept events on one clock (the server's), in order.

use serde::Serialize;

use crate::correlate::Correlation;
use crate::report::TicketInput;

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
pub fn merged(t: &TicketInput, corr: &Correlation) -> Vec<TimelineRow> {
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
