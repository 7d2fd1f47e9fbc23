#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The collector keeps, under `--redact`, the event log records of
//! `rdpdiag_schemas::event_interest` (it cannot depend on this crate); that set must hold every
//! record this analyzer reads: its built-in interest table and every event the embedded rule
//! catalog names.

use rdpdiag::evtx_ingest::interest::{Condition, DEFAULT_RULES};
use rdpdiag::rules::Catalog;
use rdpdiag_schemas::event_interest::{PAYLOAD_CONDITIONS, wanted};

/// The collector drops records that fail a payload condition; that is safe only while the
/// analyzer applies the same condition and no rule reads those records otherwise.
#[test]
fn payload_conditions_are_the_analyzers() {
    let mut builtin = Vec::new();
    for rule in DEFAULT_RULES {
        if let Condition::DataIn { field, values } = rule.condition {
            for &(lo, hi) in rule.ids.iter() {
                for id in lo..=hi {
                    builtin.push((rule.channel.to_string(), id, field, values.to_vec()));
                }
            }
        }
    }
    let shared: Vec<_> = PAYLOAD_CONDITIONS
        .iter()
        .map(|c| (c.channel.to_string(), c.event_id, c.field, c.values.to_vec()))
        .collect();
    assert_eq!(shared, builtin);
    for ev in Catalog::embedded().unwrap().wanted_events() {
        for c in PAYLOAD_CONDITIONS {
            assert!(
                !(ev.channel.eq_ignore_ascii_case(c.channel) && ev.ids.contains(&c.event_id)),
                "{} names {} {}: drop the collector's payload condition",
                ev.why,
                c.channel,
                c.event_id
            );
        }
    }
}

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
