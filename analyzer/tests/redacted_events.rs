#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The collector keeps, under `--redact`, the event log records of
//! `rdpdiag_schemas::event_interest` (it cannot depend on this crate); that set must hold every
//! record this analyzer reads: its built-in interest table and every event the embedded rule
//! catalog names.

use rdpdiag::evtx_ingest::interest::DEFAULT_RULES;
use rdpdiag::rules::Catalog;
use rdpdiag_schemas::event_interest::wanted;

#[test]
fn the_redaction_keeps_every_event_the_analyzer_reads() {
    let mut missing = Vec::new();
    for rule in DEFAULT_RULES {
        for &(lo, hi) in rule.ids.iter() {
            for id in lo..=hi {
                if !wanted(&rule.channel, id) {
                    missing.push(format!("built-in {} {id} ({})", rule.channel, rule.why));
                }
            }
        }
    }
    for ev in Catalog::embedded().unwrap().wanted_events() {
        for id in &ev.ids {
            if !wanted(&ev.channel, *id) {
                missing.push(format!("rule {} {id} ({})", ev.channel, ev.why));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "add these to schemas/src/event_interest.rs:\n{}",
        missing.join("\n")
    );
}
