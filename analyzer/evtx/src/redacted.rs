//! Reading a redacted-events file: an event log the collector reduced to the records the
//! analyzer uses and redacted (`--redact`; format in `collector/README.md`). Each line holds a
//! record as the evtx crate renders it to JSON, so it becomes an [`Event`] through the same
//! [`json_tree::event_from_tree`] as a record of a raw log: the analysis of a redacted bundle
//! sees the same events, with pseudonyms for names, SIDs and addresses.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::EvtxOutput;
use super::interest::Interest;
use super::json_tree::{self, Provenance};
use crate::model::{Event, Problem, Severity};

/// The first key of the header line.
pub const HEADER_KEY: &str = "rdpdiag-redacted-events";

/// Problems listed per file; more are counted in the last one.
const MAX_PROBLEMS: usize = 50;

/// Whether `text` (the start of a file) is a redacted-events file.
pub fn is_redacted_events(text: &str) -> bool {
    text.starts_with(&format!("{{\"{HEADER_KEY}\":"))
}

/// Reads a redacted-events file and keeps the records `interest` wants.
pub fn ingest_redacted(bytes: &[u8], prov: &Provenance, interest: &Interest) -> EvtxOutput {
    let mut out = EvtxOutput::default();
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            out.problems.push(Problem::whole(
                Severity::Error,
                format!("redacted events are not UTF-8: {e}"),
            ));
            out.read_error = Some("not UTF-8".into());
            return out;
        }
    };
    let mut lines = text.lines().enumerate();
    let header_ok = lines
        .next()
        .and_then(|(_, l)| serde_json::from_str::<serde_json::Value>(l).ok())
        .is_some_and(|h| h.get(HEADER_KEY).and_then(|v| v.as_u64()) == Some(1));
    if !header_ok {
        out.problems.push(Problem::whole(
            Severity::Error,
            format!("the first line is not a {HEADER_KEY} version 1 header"),
        ));
        out.read_error = Some("unknown redacted-events header".into());
        return out;
    }
    let mut kept_by_id: BTreeMap<u32, u64> = BTreeMap::new();
    let mut channels: BTreeMap<String, u64> = BTreeMap::new();
    let mut failed = 0usize;
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        out.stats.records_read += 1;
        match event_of_line(line, prov) {
            Ok(event) => {
                out.stats.records_rendered += 1;
                let t = event.time_utc;
                out.stats.first_utc = Some(out.stats.first_utc.map_or(t, |f| f.min(t)));
                out.stats.last_utc = Some(out.stats.last_utc.map_or(t, |l| l.max(t)));
                *channels.entry(event.channel.to_string()).or_insert(0) += 1;
                if interest.matches(&event) {
                    out.stats.records_kept += 1;
                    *kept_by_id.entry(event.event_id).or_insert(0) += 1;
                    out.events.push(event);
                }
            }
            Err(msg) => {
                out.stats.records_failed += 1;
                failed += 1;
                if failed <= MAX_PROBLEMS {
                    // `n` counts from the header line, numbered 0.
                    out.problems
                        .push(Problem::at_line(Severity::Warning, n as u64 + 1, msg));
                }
            }
        }
    }
    if failed > MAX_PROBLEMS {
        out.problems.push(Problem::whole(
            Severity::Warning,
            format!("{} more unreadable lines", failed - MAX_PROBLEMS),
        ));
    }
    out.stats.kept_by_event_id = kept_by_id.into_iter().collect();
    out.stats.channels = channels.into_iter().collect();
    out.stats.header_crc_ok = true;
    out
}

fn event_of_line(line: &str, prov: &Provenance) -> Result<Event, String> {
    let tree = json_tree::parse(line.as_bytes()).map_err(|e| format!("not JSON: {e}"))?;
    let record_id = tree
        .get("record_id")
        .and_then(|v| v.as_u64())
        .ok_or("no record_id")?;
    let header_time = tree
        .get("header_time")
        .and_then(|v| v.as_str())
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or("no header_time")?;
    json_tree::event_from_tree(&tree, prov, record_id, header_time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn lines_become_events_and_bad_lines_are_named() {
        let file = concat!(
            "{\"rdpdiag-redacted-events\":1,\"records_read\":3}\n",
            "{\"record_id\":7,\"header_time\":\"2026-03-01T10:15:00Z\",\"Event\":{\"System\":{\"EventID\":4625,\"Channel\":\"Security\",\"Computer\":\"host-0a1b2c3d4e5f\",\"TimeCreated\":{\"#attributes\":{\"SystemTime\":\"2026-03-01T10:15:00.5Z\"}}},\"EventData\":{\"IpAddress\":\"100.70.1.2\",\"LogonType\":3}}}\n",
            "{\"record_id\":8}\n",
        );
        let prov = Provenance {
            input: Arc::from("b.zip"),
            artifact: Arc::from("evtx/Security.redacted-events.jsonl"),
        };
        let out = ingest_redacted(file.as_bytes(), &prov, &Interest::everything());
        assert_eq!(out.events.len(), 1);
        let e = &out.events[0];
        assert_eq!(
            (e.event_id, e.record_id, &*e.host),
            (4625, 7, "host-0a1b2c3d4e5f")
        );
        assert_eq!(
            e.field("IpAddress").and_then(|v| v.as_text()).as_deref(),
            Some("100.70.1.2")
        );
        assert_eq!(out.stats.records_failed, 1);
        assert_eq!(out.problems[0].line(), Some(3), "{:?}", out.problems);
        assert_eq!(out.problems[0].message, "no header_time");
        let bad = ingest_redacted(b"{\"other\":1}\n", &prov, &Interest::everything());
        assert!(bad.read_error.is_some() && bad.events.is_empty());
    }
}
