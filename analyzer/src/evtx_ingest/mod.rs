//! EVTX files through the evtx crate: only the records the rules need become [`Event`]s.
//!
//! Per file, chunk by chunk (never the crate's own thread pool: files are parsed in parallel
//! by the caller, and evtx 0.15 deadlocks with `num_threads > 1` inside a rayon pool; this
//! crate also builds evtx without its `multithreading` feature):
//! 1. every record's header and BinXml are read (`EvtxChunk::iter`), which is where damaged
//!    records show up; each failure is reported with its chunk and record id or offset;
//! 2. the record's channel and event id are read from its substitution values
//!    ([`raw_instance`], [`template_slots`]) and records no rule wants are skipped unrendered;
//! 3. the rest are rendered to JSON, normalized ([`json_tree`]) and checked against the whole
//!    rule ([`Interest::matches`]).
//!
//! What the crate does not report is counted here: a partial last chunk (the crate silently
//! ignores it), chunks whose CRC32 does not match (read anyway, see [`EvtxStats`]).
//!
//! Payload field naming: a named `<Data Name="X">` is `X`; unnamed `<Data>` are `Data` (a list
//! when there are several); `UserData`'s wrapper element is dropped (`listenerName`,
//! `Param1`); nested elements are `Parent.Child` and attributes `Element@attr`
//! (`Certificate@fileRef`, `Result@value`).
//!
//! Errors here are values (no `anyhow`, no backtraces): with `RUST_BACKTRACE=1`, capturing a
//! backtrace per damaged record would cost more than parsing it.

pub mod interest;
pub mod json_tree;
mod raw_instance;
mod template_slots;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use evtx::err::EvtxError;
use evtx::{EvtxParser, ParserSettings};

pub use interest::{Condition, Interest, InterestRule};
pub use json_tree::Provenance;
use raw_instance::RawInstance;
use template_slots::{Decision, TemplateSlots};

use crate::model::{Event, EvtxStats, Location, Problem, Severity};

/// Size of the EVTX file header block.
const FILE_HEADER_SIZE: u64 = 4096;
/// Size of one EVTX chunk.
const CHUNK_SIZE: u64 = 65536;
/// Unix seconds of FILETIME 0 (1601-01-01T00:00:00Z).
const FILETIME_ZERO_SECONDS: i64 = -11_644_473_600;
/// At most this many record problems are listed per file (all are counted).
const MAX_LISTED_PROBLEMS: usize = 50;

/// The result of reading one EVTX file.
#[derive(Debug, Clone, Default)]
pub struct EvtxOutput {
    /// The kept events, in file order.
    pub events: Vec<Event>,
    /// Counts.
    pub stats: EvtxStats,
    /// What went wrong, with chunk / record locations.
    pub problems: Vec<Problem>,
}

/// The parser settings used everywhere (also by tests that compare with a full iteration).
pub fn parser_settings() -> ParserSettings {
    ParserSettings::new()
        .num_threads(1)
        .validate_checksums(false)
        .separate_json_attributes(false)
        .indent(false)
}

fn to_utc(ts: evtx::Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp(ts.as_second(), u32::try_from(ts.subsec_nanosecond()).unwrap_or(0))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The innermost message of an evtx error chain: the outer layers only say "failed to parse
/// record N", which the location already tells.
fn root_cause(err: &EvtxError) -> String {
    let mut msg = err.to_string();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = cur {
        msg = e.to_string();
        cur = e.source();
    }
    msg
}

fn location_of(err: &EvtxError, chunk: Option<u64>) -> Location {
    match err {
        EvtxError::FailedToParseChunk { chunk_id, .. } => Location::Chunk { chunk: *chunk_id },
        EvtxError::FailedToParseRecord { record_id, .. } => Location::Record {
            chunk,
            record_id: Some(*record_id),
            offset: None,
        },
        EvtxError::FailedToReadRecordAt { chunk: c, offset, .. } => Location::Record {
            chunk: c.or(chunk),
            record_id: None,
            offset: Some(*offset),
        },
        _ => match chunk {
            Some(chunk) => Location::Chunk { chunk },
            None => Location::Whole,
        },
    }
}

struct Collector {
    out: EvtxOutput,
    record_problems: usize,
    kept_by_id: BTreeMap<u32, u64>,
    channels: BTreeMap<String, u64>,
}

impl Collector {
    fn record_problem(&mut self, location: Location, message: String) {
        self.out.stats.records_failed += 1;
        self.record_problems += 1;
        if self.record_problems <= MAX_LISTED_PROBLEMS {
            self.out
                .problems
                .push(Problem::at(Severity::Error, location, message));
        }
    }

    fn count_channel(&mut self, channel: String) {
        *self.channels.entry(channel).or_insert(0) += 1;
    }

    fn time(&mut self, t: DateTime<Utc>) {
        let s = &mut self.out.stats;
        s.first_utc = Some(s.first_utc.map_or(t, |f| f.min(t)));
        s.last_utc = Some(s.last_utc.map_or(t, |l| l.max(t)));
    }
}

/// Reads one EVTX file held in memory and keeps the records `interest` wants.
pub fn ingest_evtx(bytes: Vec<u8>, prov: &Provenance, interest: &Interest) -> EvtxOutput {
    let len = bytes.len() as u64;
    let mut c = Collector {
        out: EvtxOutput::default(),
        record_problems: 0,
        kept_by_id: BTreeMap::new(),
        channels: BTreeMap::new(),
    };
    let parser = match EvtxParser::from_buffer(bytes) {
        Ok(p) => p,
        Err(e) => {
            c.out.problems.push(Problem::whole(
                Severity::Error,
                format!("not a readable EVTX file: {}", root_cause(&e)),
            ));
            return c.out;
        }
    };
    let header = parser.header();
    c.out.stats.header_crc_ok = header.validate_checksum();
    c.out.stats.dirty = header.flags.contains(evtx::HeaderFlags::DIRTY);
    let block = u64::from(header.header_block_size).max(FILE_HEADER_SIZE);
    let body = len.saturating_sub(block);
    c.out.stats.chunks_in_file = body / CHUNK_SIZE;
    c.out.stats.partial_tail_bytes = body % CHUNK_SIZE;
    if !c.out.stats.header_crc_ok {
        c.out.problems.push(Problem::whole(
            Severity::Warning,
            "file header CRC32 does not match (chunks are read anyway)",
        ));
    }
    if c.out.stats.partial_tail_bytes > 0 {
        c.out.problems.push(Problem::at(
            Severity::Error,
            Location::Chunk {
                chunk: c.out.stats.chunks_in_file,
            },
            format!(
                "file ends with a partial chunk of {} bytes (truncated copy?): its records are not read",
                c.out.stats.partial_tail_bytes
            ),
        ));
    }
    let settings = std::sync::Arc::new(parser_settings());
    let mut parser = parser.with_configuration(parser_settings());
    for chunk in parser.chunks() {
        let mut data = match chunk {
            Ok(d) => d,
            Err(e) => {
                c.out.stats.chunks_failed += 1;
                let location = location_of(&e, None);
                c.out.problems.push(Problem::at(
                    Severity::Error,
                    location,
                    format!("chunk unreadable, its records are lost: {}", root_cause(&e)),
                ));
                continue;
            }
        };
        let number = data.number;
        if !data.validate_header_checksum() || !data.validate_data_checksum() {
            c.out.stats.chunks_bad_crc += 1;
            let which = if data.validate_header_checksum() {
                "records"
            } else {
                "header"
            };
            c.out.problems.push(Problem::at(
                Severity::Warning,
                number.map_or(Location::Whole, |chunk| Location::Chunk { chunk }),
                format!("chunk {which} CRC32 does not match: records read anyway, values may be damaged"),
            ));
        }
        let mut chunk = match data.parse(settings.clone()) {
            Ok(ch) => ch,
            Err(e) => {
                c.out.stats.chunks_failed += 1;
                c.out.problems.push(Problem::at(
                    Severity::Error,
                    number.map_or(Location::Whole, |chunk| Location::Chunk { chunk }),
                    format!("chunk unreadable, its records are lost: {e}"),
                ));
                continue;
            }
        };
        c.out.stats.chunks_read += 1;
        read_chunk(&mut chunk, number, prov, interest, &mut c);
    }
    if c.record_problems > MAX_LISTED_PROBLEMS {
        c.out.problems.push(Problem::whole(
            Severity::Error,
            format!(
                "{} more unreadable records not listed",
                c.record_problems - MAX_LISTED_PROBLEMS
            ),
        ));
    }
    if c.out.stats.filter_layout_mismatches > 0 {
        c.out.problems.push(Problem::whole(
            Severity::Warning,
            format!(
                "{} records did not match their template's learned layout; those templates were rendered in full afterwards",
                c.out.stats.filter_layout_mismatches
            ),
        ));
    }
    c.out.stats.chunks_empty = c
        .out
        .stats
        .chunks_in_file
        .saturating_sub(c.out.stats.chunks_read + c.out.stats.chunks_failed);
    // The crate walks chunks from the oldest; the report reads better in file order.
    c.out.problems.sort_by_key(|p| match p.location {
        Location::Whole | Location::Entry { .. } => (0, 0),
        Location::Chunk { chunk } => (1, chunk),
        Location::Record { chunk, .. } => (1, chunk.unwrap_or(u64::MAX)),
    });
    c.out.stats.kept_by_event_id = c.kept_by_id.into_iter().collect();
    c.out.stats.channels = c.channels.into_iter().collect();
    c.out
}

fn read_chunk(
    chunk: &mut evtx::EvtxChunk<'_>,
    number: Option<u64>,
    prov: &Provenance,
    interest: &Interest,
    c: &mut Collector,
) {
    let mut slots = TemplateSlots::default();
    for record in chunk.iter() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let location = location_of(&e, number);
                c.record_problem(location, root_cause(&e));
                continue;
            }
        };
        c.out.stats.records_read += 1;
        let record_id = record.event_record_id;
        let header_time = to_utc(record.timestamp);
        // FILETIME 0 (1601-01-01) is a blank, not a time: keep it out of the range.
        if record.timestamp.as_second() != FILETIME_ZERO_SECONDS {
            c.time(header_time);
        }
        let start = usize::try_from(record.binxml_offset).unwrap_or(usize::MAX);
        let size = record.binxml_size as usize;
        let outer = if interest.keeps_everything() {
            None
        } else {
            RawInstance::parse(record.chunk.data, start, size)
        };
        if let Some(values) = &outer {
            let raw = record
                .chunk
                .data
                .get(start..start.saturating_add(size))
                .unwrap_or(&[]);
            let (decision, channel) = slots.decide(values, raw, interest);
            if decision == Decision::Skip {
                if let Some(channel) = channel {
                    c.count_channel(channel);
                }
                continue;
            }
        }
        c.out.stats.records_rendered += 1;
        let location = Location::Record {
            chunk: number,
            record_id: Some(record_id),
            offset: None,
        };
        let rendered = match record.into_json_bytes() {
            Ok(r) => r,
            Err(e) => {
                c.record_problem(location, format!("cannot render: {}", root_cause(&e)));
                continue;
            }
        };
        let event = json_tree::parse(&rendered.data)
            .map_err(|e| format!("rendered JSON does not parse: {e}"))
            .and_then(|tree| json_tree::event_from_tree(&tree, prov, record_id, header_time));
        let event = match event {
            Ok(ev) => ev,
            Err(msg) => {
                c.record_problem(location, msg);
                continue;
            }
        };
        if let Some(values) = &outer
            && !slots.observe(values, event.event_id, &event.channel)
        {
            c.out.stats.filter_layout_mismatches += 1;
        }
        c.count_channel(event.channel.clone());
        if interest.matches(&event) {
            c.out.stats.records_kept += 1;
            *c.kept_by_id.entry(event.event_id).or_insert(0) += 1;
            c.out.events.push(event);
        }
    }
}
