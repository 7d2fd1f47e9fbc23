//! Every EVTX file of the shared corpus: no panic, and exactly the records the evtx crate's own
//! full iteration (what `evtx_dump` does) yields for the kept channels and ids.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::DateTime;
use evtx::EvtxParser;
use rdpdiag::evtx_ingest::{Interest, Provenance, ingest_evtx, parser_settings};
use rdpdiag::{Event, FieldValue, Location};
use serde_json::Value;

fn prov(name: &str) -> Provenance {
    Provenance {
        input: Arc::from("corpus"),
        artifact: Arc::from(name),
    }
}

/// A minimal event built from the crate's own JSON rendering, independently of the analyzer's
/// converter: just what the interest rules look at.
fn reference_event(v: &Value) -> Event {
    let sys = &v["Event"]["System"];
    let text = |x: &Value| match x {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let id_node = &sys["EventID"];
    let id_value = if id_node.is_object() {
        &id_node["#text"]
    } else {
        id_node
    };
    let event_id = text(id_value)
        .and_then(|s| s.parse().ok())
        .expect("numeric EventID");
    let mut fields = Vec::new();
    for (k, val) in v["Event"]["EventData"].as_object().into_iter().flatten() {
        if let Some(s) = text(val) {
            fields.push((Arc::from(k.as_str()), FieldValue::Str(s)));
        }
    }
    Event {
        input: Arc::from("corpus"),
        artifact: Arc::from("x"),
        record_id: 0,
        time_utc: DateTime::UNIX_EPOCH,
        host: Arc::from(""),
        channel: text(&sys["Channel"]).unwrap_or_default().into(),
        provider: text(&sys["Provider"]["#attributes"]["Name"])
            .unwrap_or_default()
            .into(),
        source_name: text(&sys["Provider"]["#attributes"]["EventSourceName"]),
        event_id,
        qualifiers: None,
        level: None,
        activity_id: None,
        process_id: None,
        user_sid: None,
        fields,
    }
}

struct Reference {
    ok_ids: BTreeSet<u64>,
    wanted_ids: BTreeSet<u64>,
    errors: usize,
}

fn full_iteration(bytes: &[u8], interest: &Interest) -> Reference {
    let mut parser = EvtxParser::from_buffer(bytes.to_vec())
        .expect("corpus files have an EVTX header")
        .with_configuration(parser_settings());
    let mut r = Reference {
        ok_ids: BTreeSet::new(),
        wanted_ids: BTreeSet::new(),
        errors: 0,
    };
    for rec in parser.records_json_value() {
        match rec {
            Ok(rec) => {
                r.ok_ids.insert(rec.event_record_id);
                if interest.matches(&reference_event(&rec.data)) {
                    r.wanted_ids.insert(rec.event_record_id);
                }
            }
            Err(_) => r.errors += 1,
        }
    }
    r
}

#[test]
fn kept_records_equal_the_crates_full_iteration() {
    let Some(corpus) = common::corpus() else { return };
    let files = common::evtx_files(&corpus.join("evtx"));
    assert!(
        files.len() >= 20,
        "expected the whole corpus, found {}",
        files.len()
    );
    let interest = Interest::default();
    let mut total_kept = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let reference = full_iteration(&bytes, &interest);
        let out = ingest_evtx(bytes, &prov(&name), &interest);
        let kept: BTreeSet<u64> = out.events.iter().map(|e| e.record_id).collect();
        assert_eq!(kept.len(), out.events.len(), "{name}: duplicate record ids kept");
        assert_eq!(
            kept, reference.wanted_ids,
            "{name}: kept records differ from the full iteration"
        );
        assert_eq!(out.stats.records_kept as usize, kept.len(), "{name}");
        assert!(out.stats.records_decoded <= out.stats.records_rendered, "{name}");
        // Every record the full iteration renders was read here (skipped ones unrendered).
        assert!(
            out.stats.records_read as usize >= reference.ok_ids.len(),
            "{name}"
        );
        // Provenance on every event.
        for e in &out.events {
            assert_eq!((&*e.input, &*e.artifact), ("corpus", name.as_str()));
        }
        if reference.errors > 0 {
            assert!(
                out.stats.records_failed + out.stats.chunks_failed > 0,
                "{name}: the full iteration reports {} errors, the analyzer none",
                reference.errors
            );
        }
        total_kept += kept.len();
        eprintln!(
            "{name}: read {} failed {} rendered {} kept {} (reference ok {} err {})",
            out.stats.records_read,
            out.stats.records_failed,
            out.stats.records_rendered,
            kept.len(),
            reference.ok_ids.len(),
            reference.errors
        );
    }
    assert!(
        total_kept > 1000,
        "the RDP corpus has thousands of wanted records"
    );
}

#[test]
fn every_record_converts_when_keeping_everything() {
    let Some(corpus) = common::corpus() else { return };
    let everything = Interest::everything();
    for path in common::evtx_files(&corpus.join("evtx")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let reference = full_iteration(&bytes, &everything);
        let out = ingest_evtx(bytes, &prov(&name), &everything);
        let kept: BTreeSet<u64> = out.events.iter().map(|e| e.record_id).collect();
        assert_eq!(kept, reference.ok_ids, "{name}");
    }
}

#[test]
fn broken_files_report_file_chunk_and_record() {
    let Some(corpus) = common::corpus() else { return };
    let broken = corpus.join("evtx/broken");
    let read = |name: &str| {
        let bytes = std::fs::read(broken.join(name)).unwrap();
        ingest_evtx(bytes, &prov(name), &Interest::default())
    };

    let out = read("evtxcrate__bad_chunk_magic.evtx");
    assert_eq!(out.stats.chunks_failed, 2);
    let failed_chunks: BTreeSet<u64> = out
        .problems
        .iter()
        .filter_map(|p| match p.location {
            Location::Chunk { chunk } if p.message.contains("unreadable") => Some(chunk),
            _ => None,
        })
        .collect();
    assert_eq!(failed_chunks, BTreeSet::from([6, 10]));
    assert!(out.problems.iter().any(|p| matches!(
        p.location,
        Location::Record {
            chunk: Some(7),
            offset: Some(_),
            ..
        }
    )));
    assert!(out.stats.chunks_bad_crc >= 3);

    let out = read("plaso__System2_truncated-200000B.evtx");
    assert_eq!(out.stats.partial_tail_bytes, 200_000 - 4096 - 2 * 65536);
    assert!(
        out.problems
            .iter()
            .any(|p| p.location == Location::Chunk { chunk: 2 } && p.message.contains("partial chunk"))
    );
    // 47 4624s in the two whole chunks, 4 of them network/RDP logons (LogonType 3, 7 or 10).
    assert_eq!(
        out.stats.records_kept, 4,
        "the RDP-relevant 4624s of the two whole chunks"
    );

    let dirty = corpus.join("evtx/rdp/evtxcrate__RdpCoreTS-Operational__vss0_dirty.evtx");
    let out = ingest_evtx(
        std::fs::read(dirty).unwrap(),
        &prov("dirty"),
        &Interest::default(),
    );
    assert_eq!(out.stats.records_failed, 4);
    assert_eq!(out.stats.chunks_bad_crc, 2);
    assert!(out.problems.iter().any(|p| matches!(
        p.location,
        Location::Record {
            chunk: Some(13),
            record_id: Some(6914519),
            ..
        }
    )));

    // Not an EVTX file at all: one error about the whole file, no panic.
    let out = ingest_evtx(
        b"ElfFile\0 too short".to_vec(),
        &prov("short"),
        &Interest::default(),
    );
    assert_eq!(out.problems.len(), 1);
    assert_eq!(out.problems[0].location, Location::Whole);
}

#[test]
fn rdp_events_are_normalized() {
    let Some(corpus) = common::corpus() else { return };
    let path = corpus.join("evtx/rdp/attacksamples__RCM-Operational__1149_1136_1155_258_261.evtx");
    let out = ingest_evtx(std::fs::read(path).unwrap(), &prov("rcm"), &Interest::default());
    let e1149 = out.events.iter().find(|e| e.event_id == 1149).expect("a 1149");
    assert_eq!(
        &*e1149.channel,
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"
    );
    assert!(e1149.field("Param1").is_some() && e1149.field("Param3").is_some());
    let e261 = out.events.iter().find(|e| e.event_id == 261).expect("a 261");
    assert_eq!(e261.field_text("listenerName").as_deref(), Some("RDP-Tcp"));
    assert!(
        out.events
            .iter()
            .all(|e| e.event_id != 1136 && e.event_id != 1155)
    );

    let path = corpus.join("evtx/rdp/pyevtx__System__SCM-RDP-services_TermDD.evtx");
    let out = ingest_evtx(std::fs::read(path).unwrap(), &prov("scm"), &Interest::default());
    assert!(!out.events.is_empty());
    assert!(out.events.iter().all(|e| {
        e.event_id == 7036
            && e.field_text("Binary")
                .is_some_and(|b| b.starts_with("5400650072006D00"))
    }));

    let path = corpus.join("evtx/rdp/evtxcrate__System__zero-data-size-event_RCM1056.evtx");
    let out = ingest_evtx(std::fs::read(path).unwrap(), &prov("sys"), &Interest::default());
    let e1056 = out
        .events
        .iter()
        .find(|e| e.event_id == 1056)
        .expect("the TermService 1056");
    assert_eq!(e1056.source_name.as_deref(), Some("TermService"));
    assert_eq!(e1056.qualifiers, Some(49152));
}
