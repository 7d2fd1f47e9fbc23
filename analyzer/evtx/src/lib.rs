//! EVTX files: only the records the rules need become [`Event`]s.
//!
//! A file is streamed chunk by chunk (64 KiB each, never the whole file in memory, so a
//! 2 GB log or a zip entry costs the same memory as a small one). Chunks are independent, so
//! a batch of them is decoded in parallel (rayon) while the next batch is read; each chunk's
//! results are merged in file order. Per chunk:
//! 1. [`chunk_walk`] walks the record headers; [`binxml`] parses each template once and reads a
//!    record's channel and event id (and, for some rules, one payload field) straight from
//!    its substitution values: records no rule wants are skipped without being built;
//! 2. the wanted ones are decoded into [`Event`]s from their values ([`binxml`]), and checked
//!    against the whole rule ([`Interest::matches`]);
//! 3. records that step 1 or 2 cannot read (an unusual template, a value type not reproduced,
//!    a damaged chunk) go through the evtx crate: rendered to JSON and normalized
//!    ([`json_tree`]), as every record once was. Damaged records are reported there, with
//!    their chunk and record id or offset. The crate is never given its own thread pool: we
//!    hand it one chunk at a time, from our own rayon tasks (evtx 0.15 deadlocks with
//!    `num_threads > 1` inside a rayon pool; it is also built without its `multithreading`
//!    feature).
//!
//! What the crate does not report is counted here: a partial last chunk, chunks whose CRC32
//! does not match (read anyway, see [`EvtxStats`]).
//!
//! Payload field naming: a named `<Data Name="X">` is `X`; unnamed `<Data>` are `Data` (a list
//! when there are several); `UserData`'s wrapper element is dropped (`listenerName`,
//! `Param1`); nested elements are `Parent.Child` and attributes `Element@attr`
//! (`Certificate@fileRef`, `Result@value`).
//!
//! Errors here are values (no `anyhow`, no backtraces): with `RUST_BACKTRACE=1`, capturing a
//! backtrace per damaged record would cost more than parsing it.

#![forbid(unsafe_code)]

mod binxml;
mod chunk_walk;
pub mod interest;
pub mod json_tree;
pub mod model;
mod raw_instance;
pub mod redacted;

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::sync::Arc;

use rayon::prelude::*;

use chrono::{DateTime, Utc};
use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxFileHeader, ParserSettings};

pub use interest::{Condition, Interest, InterestRule, LogonAddresses, WantedEvent};
pub use json_tree::Provenance;

pub use crate::model::{Event, EvtxStats, FieldValue, Location, Problem, Severity};

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
    /// Why reading the file stopped early (a cap, a damaged zip entry), if it did.
    pub read_error: Option<String>,
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

/// What a file, or one chunk of it, contributed. Chunks are read in parallel, each into its
/// own `Collector`, and merged into the file's in chunk order.
#[derive(Default)]
struct Collector {
    out: EvtxOutput,
    /// Every unreadable record, counted.
    record_problems: usize,
    /// The first [`MAX_LISTED_PROBLEMS`] of them (chunk-level problems are in `out.problems`).
    listed_record_problems: Vec<Problem>,
    kept_by_id: BTreeMap<u32, u64>,
    channels: BTreeMap<String, u64>,
    /// Events of merged chunks, joined once at the end: an event is a few hundred bytes, and a
    /// big log keeps a hundred thousand of them; growing one vector would copy them again and
    /// again.
    event_parts: Vec<Vec<Event>>,
}

impl Collector {
    fn record_problem(&mut self, location: Location, message: String) {
        self.out.stats.records_failed += 1;
        self.record_problems += 1;
        if self.listed_record_problems.len() < MAX_LISTED_PROBLEMS {
            self.listed_record_problems
                .push(Problem::at(Severity::Error, location, message));
        }
    }

    fn count_channel(&mut self, channel: &str) {
        match self.channels.get_mut(channel) {
            Some(n) => *n += 1,
            None => {
                self.channels.insert(channel.to_string(), 1);
            }
        }
    }

    fn time(&mut self, t: DateTime<Utc>) {
        let s = &mut self.out.stats;
        s.first_utc = Some(s.first_utc.map_or(t, |f| f.min(t)));
        s.last_utc = Some(s.last_utc.map_or(t, |l| l.max(t)));
    }

    /// Adds a later chunk's part.
    fn merge(&mut self, part: Collector) {
        let (s, p) = (&mut self.out.stats, &part.out.stats);
        s.chunks_read += p.chunks_read;
        s.chunks_failed += p.chunks_failed;
        s.chunks_bad_crc += p.chunks_bad_crc;
        s.records_read += p.records_read;
        s.records_failed += p.records_failed;
        s.records_rendered += p.records_rendered;
        s.records_decoded += p.records_decoded;
        s.records_kept += p.records_kept;
        if let Some(t) = p.first_utc {
            self.time(t);
        }
        if let Some(t) = part.out.stats.last_utc {
            self.time(t);
        }
        self.out.problems.extend(part.out.problems);
        self.record_problems += part.record_problems;
        let room = MAX_LISTED_PROBLEMS.saturating_sub(self.listed_record_problems.len());
        self.listed_record_problems
            .extend(part.listed_record_problems.into_iter().take(room));
        for (id, n) in part.kept_by_id {
            *self.kept_by_id.entry(id).or_insert(0) += n;
        }
        for (name, n) in part.channels {
            *self.channels.entry(name).or_insert(0) += n;
        }
        if !part.out.events.is_empty() {
            self.event_parts.push(part.out.events);
        }
    }
}

/// Reads one EVTX file held in memory and keeps the records `interest` wants.
pub fn ingest_evtx(bytes: Vec<u8>, prov: &Provenance, interest: &Interest) -> EvtxOutput {
    ingest_evtx_stream(&mut std::io::Cursor::new(bytes), prov, interest)
}

/// Which reader turns records into events (tests compare the two).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// Decode from template values where possible, the crate for the rest (normal use).
    Decode,
    /// The evtx crate renders every record.
    CrateOnly,
}

/// Reads one EVTX file from a stream, chunk by chunk, and keeps the records `interest` wants.
/// Read errors end the file with a problem; what was read is kept.
pub fn ingest_evtx_stream(reader: &mut dyn Read, prov: &Provenance, interest: &Interest) -> EvtxOutput {
    ingest_evtx_with(reader, prov, interest, Path::Decode)
}

/// Fills `buf` as far as the stream goes: the number of bytes read.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";

/// [`ingest_evtx_stream`] with a chosen record reader.
#[doc(hidden)]
pub fn ingest_evtx_with(
    reader: &mut dyn Read,
    prov: &Provenance,
    interest: &Interest,
    path: Path,
) -> EvtxOutput {
    let mut c = Collector::default();
    let mut header_bytes = vec![0u8; FILE_HEADER_SIZE as usize];
    let got = match read_full(reader, &mut header_bytes) {
        Ok(n) => n,
        Err(e) => {
            c.out
                .problems
                .push(Problem::whole(Severity::Error, format!("read failed: {e}")));
            c.out.read_error = Some(e.to_string());
            return c.out;
        }
    };
    let header = match EvtxFileHeader::from_bytes(&header_bytes[..got]) {
        Ok(h) => h,
        Err(e) => {
            c.out.problems.push(Problem::whole(
                Severity::Error,
                format!("not a readable EVTX file: {e}"),
            ));
            return c.out;
        }
    };
    c.out.stats.header_crc_ok = header.validate_checksum();
    c.out.stats.dirty = header.flags.contains(evtx::HeaderFlags::DIRTY);
    if !c.out.stats.header_crc_ok {
        c.out.problems.push(Problem::whole(
            Severity::Warning,
            "file header CRC32 does not match (chunks are read anyway)",
        ));
    }
    let settings = Arc::new(parser_settings());
    let file_templates = binxml::FileTemplates::default();
    let mut number: u64 = 0;
    let mut spares: Vec<Vec<u8>> = Vec::new();
    // Chunks are independent: a batch is decoded in parallel while the next one is read (and
    // hashed, or inflated from a zip) on this thread. Memory: two batches per file.
    let (mut batch, mut ended) = read_batch(reader, &mut number, &mut c, &mut spares);
    while !batch.is_empty() {
        let mut parts: Vec<(Collector, Option<Vec<u8>>)> = Vec::new();
        let mut next = (Vec::new(), true);
        rayon::in_place_scope(|scope| {
            let parts = &mut parts;
            let settings = &settings;
            let file_templates = &file_templates;
            scope.spawn(move |_| {
                *parts = batch
                    .into_par_iter()
                    .map(|(this, data)| {
                        let ctx = ChunkContext {
                            prov,
                            interest,
                            path,
                            settings,
                            templates: file_templates,
                        };
                        process_chunk(data, this, &ctx)
                    })
                    .collect();
            });
            if !ended {
                next = read_batch(reader, &mut number, &mut c, &mut spares);
            }
        });
        for (part, spare) in parts {
            c.merge(part);
            spares.extend(spare);
        }
        (batch, ended) = next;
    }
    finish(c)
}

/// Chunks decoded together (2 MiB): enough to keep both cores busy, little memory.
const BATCH_CHUNKS: usize = 32;

/// Reads up to [`BATCH_CHUNKS`] whole chunks, numbered from `number`. Read errors and a partial
/// last chunk are reported into `c`; `true` when the stream has ended.
fn read_batch(
    reader: &mut dyn Read,
    number: &mut u64,
    c: &mut Collector,
    spares: &mut Vec<Vec<u8>>,
) -> (Vec<(u64, Vec<u8>)>, bool) {
    let mut batch = Vec::with_capacity(BATCH_CHUNKS);
    while batch.len() < BATCH_CHUNKS {
        let mut data = spares.pop().unwrap_or_default();
        data.resize(CHUNK_SIZE as usize, 0);
        let n = match read_full(reader, &mut data) {
            Ok(n) => n,
            Err(e) => {
                c.out.problems.push(Problem::at(
                    Severity::Error,
                    Location::Chunk { chunk: *number },
                    format!("read failed, the rest of the file is lost: {e}"),
                ));
                c.out.read_error = Some(e.to_string());
                return (batch, true);
            }
        };
        if n == 0 {
            return (batch, true);
        }
        if n < data.len() {
            c.out.stats.partial_tail_bytes = n as u64;
            c.out.problems.push(Problem::at(
                Severity::Error,
                Location::Chunk { chunk: *number },
                format!(
                    "file ends with a partial chunk of {n} bytes (truncated copy?): its records are not read"
                ),
            ));
            return (batch, true);
        }
        c.out.stats.chunks_in_file += 1;
        batch.push((*number, data));
        *number += 1;
    }
    (batch, false)
}

/// What every chunk of one file is read with.
struct ChunkContext<'a> {
    prov: &'a Provenance,
    interest: &'a Interest,
    path: Path,
    settings: &'a Arc<ParserSettings>,
    templates: &'a binxml::FileTemplates,
}

/// Reads one chunk into its own part; gives the buffer back for reuse.
fn process_chunk(data: Vec<u8>, this: u64, ctx: &ChunkContext<'_>) -> (Collector, Option<Vec<u8>>) {
    let ChunkContext {
        prov,
        interest,
        path,
        settings,
        ..
    } = *ctx;
    let mut c = Collector::default();
    if !data.starts_with(CHUNK_MAGIC) && data.iter().all(|&b| b == 0) {
        return (c, Some(data)); // empty (counted at the end)
    }
    let mut chunk = match EvtxChunkData::new(data, false) {
        Ok(ch) => ch,
        Err(e) => {
            c.out.stats.chunks_failed += 1;
            c.out.problems.push(Problem::at(
                Severity::Error,
                Location::Chunk { chunk: this },
                format!("chunk unreadable, its records are lost: {e}"),
            ));
            return (c, None);
        }
    };
    chunk.number = Some(this);
    let header_ok = chunk.validate_header_checksum();
    if !header_ok || !chunk.validate_data_checksum() {
        c.out.stats.chunks_bad_crc += 1;
        let which = if header_ok { "records" } else { "header" };
        c.out.problems.push(Problem::at(
            Severity::Warning,
            Location::Chunk { chunk: this },
            format!("chunk {which} CRC32 does not match: records read anyway, values may be damaged"),
        ));
    }
    c.out.stats.chunks_read += 1;
    let crate_work = match path {
        Path::Decode => decode_chunk(&chunk, ctx, &mut c),
        Path::CrateOnly => CrateWork::All,
    };
    if crate_work != CrateWork::None {
        match chunk.parse(settings.clone()) {
            Ok(mut parsed) => render_chunk(&mut parsed, this, prov, interest, &mut c, &crate_work),
            Err(e) => {
                c.out.stats.chunks_read -= 1;
                c.out.stats.chunks_failed += 1;
                c.out.problems.push(Problem::at(
                    Severity::Error,
                    Location::Chunk { chunk: this },
                    format!("chunk unreadable, its records are lost: {e}"),
                ));
            }
        }
    }
    (c, Some(chunk.data))
}

fn finish(mut c: Collector) -> EvtxOutput {
    if !c.event_parts.is_empty() {
        let total = c.out.events.len() + c.event_parts.iter().map(Vec::len).sum::<usize>();
        let mut events = Vec::with_capacity(total);
        events.append(&mut c.out.events);
        for mut part in c.event_parts.drain(..) {
            events.append(&mut part);
        }
        c.out.events = events;
    }
    c.out.problems.append(&mut c.listed_record_problems);
    if c.record_problems > MAX_LISTED_PROBLEMS {
        c.out.problems.push(Problem::whole(
            Severity::Error,
            format!(
                "{} more unreadable records not listed",
                c.record_problems - MAX_LISTED_PROBLEMS
            ),
        ));
    }
    c.out.stats.chunks_empty = c
        .out
        .stats
        .chunks_in_file
        .saturating_sub(c.out.stats.chunks_read + c.out.stats.chunks_failed);
    c.out.problems.sort_by_key(|p| match p.location {
        // An EVTX file has no text lines; `Line` sorts with the file-wide problems.
        Location::Whole | Location::Entry { .. } | Location::Line { .. } => (0, 0),
        Location::Chunk { chunk } => (1, chunk),
        Location::Record { chunk, .. } => (1, chunk.unwrap_or(u64::MAX)),
    });
    c.out.stats.kept_by_event_id = c.kept_by_id.into_iter().collect();
    c.out.stats.channels = c.channels.into_iter().collect();
    c.out
}

/// What is left for the crate after decoding a chunk.
#[derive(Debug, PartialEq, Eq)]
enum CrateWork {
    /// Nothing.
    None,
    /// These records (by BinXml offset): their templates or values are not reproduced.
    Records(HashSet<u64>),
    /// Every record: the chunk could not be walked.
    All,
}

/// Per-chunk results of decoding, committed only when the whole chunk could be walked.
#[derive(Default)]
struct ChunkTally {
    records: u64,
    rendered: u64,
    /// Oldest and newest record header times.
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    events: Vec<Event>,
}

/// The channels of one chunk: (stored bytes, name, records counted), and what the rules say
/// per (channel, event id). A chunk holds a handful of channels and ids: a list is faster
/// than hashing per record.
#[derive(Default)]
struct ChannelCache {
    channels: Vec<(Vec<u8>, String, u64)>,
    plans: Vec<((usize, u32), interest::IdPlan)>,
}

fn filetime_utc(ticks: u64) -> Option<DateTime<Utc>> {
    binxml::value::filetime(&ticks.to_le_bytes())
}

/// Reads a chunk's records from their template values: skips, keeps, or leaves to the crate.
fn decode_chunk(chunk: &EvtxChunkData, ctx: &ChunkContext<'_>, c: &mut Collector) -> CrateWork {
    let ChunkContext {
        prov,
        interest,
        templates: file_templates,
        ..
    } = *ctx;
    let data = chunk.data.as_slice();
    let h = &chunk.header;
    let mut walk = Vec::new();
    if chunk_walk::walk(data, h.free_space_offset, h.last_event_record_id, &mut walk).is_none() {
        return CrateWork::All;
    }
    let mut templates = binxml::ChunkTemplates::of_file(file_templates);
    let mut tally = ChunkTally::default();
    let mut cache = ChannelCache::default();
    let mut left = HashSet::new();
    for raw in walk.iter() {
        let rec = binxml::Record::open(data, raw.binxml_offset, raw.binxml_len, &mut templates);
        let known = rec.as_ref().and_then(|r| {
            let key = r.channel_key()?;
            let ci = match cache.channels.iter().position(|(k, ..)| k.as_slice() == key) {
                Some(ci) => ci,
                None => {
                    cache.channels.push((key.to_vec(), r.channel()?, 0));
                    cache.channels.len() - 1
                }
            };
            Some((ci, r.event_id()?))
        });
        let (Some(rec), Some((ci, id))) = (rec, known) else {
            left.insert(raw.binxml_offset as u64);
            continue;
        };
        let header_time = filetime_utc(raw.filetime);
        let channel = cache.channels[ci].1.as_str();
        let raw_bytes = data
            .get(raw.binxml_offset..raw.binxml_offset + raw.binxml_len)
            .unwrap_or(&[]);
        let pi = match cache.plans.iter().position(|(k, _)| *k == (ci, id)) {
            Some(pi) => pi,
            None => {
                cache.plans.push(((ci, id), interest.plan(channel, id)));
                cache.plans.len() - 1
            }
        };
        let plan = &cache.plans[pi].1;
        let wanted = plan.may_want()
            && plan.raw_ok(raw_bytes)
            && match plan.data_condition {
                Some((field, values)) => match rec.data_number(field, &mut templates) {
                    Some(Some(n)) => values.contains(&n) && logon_address_ok(plan, &rec, n, &mut templates),
                    Some(None) => false,
                    None => true,
                },
                None => true,
            };
        if wanted {
            let time = header_time.unwrap_or(DateTime::<Utc>::MIN_UTC);
            let Some(ev) = rec.event(&mut templates, prov, raw.record_id, time) else {
                // Counted when the crate renders it.
                left.insert(raw.binxml_offset as u64);
                continue;
            };
            tally.rendered += 1;
            if interest.matches_planned(plan, &ev) {
                tally.events.push(ev);
            }
        }
        tally.records += 1;
        cache.channels[ci].2 += 1;
        if let Some(t) = header_time
            && t.timestamp() != FILETIME_ZERO_SECONDS
        {
            tally.span = Some(tally.span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        }
    }
    let s = &mut c.out.stats;
    s.records_read += tally.records;
    s.records_rendered += tally.rendered;
    s.records_decoded += tally.rendered;
    if let Some((first, last)) = tally.span {
        c.time(first);
        c.time(last);
    }
    for (_, name, n) in cache.channels {
        if n > 0 {
            *c.channels.entry(name).or_insert(0) += n;
        }
    }
    for ev in tally.events {
        c.out.stats.records_kept += 1;
        *c.kept_by_id.entry(ev.event_id).or_insert(0) += 1;
        c.out.events.push(ev);
    }
    if left.is_empty() {
        CrateWork::None
    } else {
        CrateWork::Records(left)
    }
}

/// The address filter on network logons, before the record is built: false only when the
/// plan filters by address, the logon type `logon_type` is one it filters, and the record's
/// address is readable and outside the set (what cannot be read here is decided after
/// decoding, by [`Interest::matches_planned`]).
fn logon_address_ok(
    plan: &interest::IdPlan,
    rec: &binxml::Record<'_>,
    logon_type: u64,
    templates: &mut binxml::ChunkTemplates<'_>,
) -> bool {
    let Some(set) = &plan.logon_addresses else {
        return true;
    };
    if !interest::LOGON_TYPES_BY_ADDRESS.contains(&logon_type) {
        return true;
    }
    // Read from the value's UTF-16 without building a string (one look-up per network logon).
    let keeps = |t: u8, b: &[u8]| match t {
        binxml::value::ty::STRING => Some(set.keeps_utf16(b)),
        _ => None,
    };
    match rec.data_value(interest::LOGON_ADDRESS_FIELD, templates, keeps) {
        Some(Some(keep)) => keep,
        Some(None) | None => true,
    }
}

/// Renders a chunk's records through the evtx crate: all, or the ones decoding left.
fn render_chunk(
    chunk: &mut evtx::EvtxChunk<'_>,
    number: u64,
    prov: &Provenance,
    interest: &Interest,
    c: &mut Collector,
    work: &CrateWork,
) {
    let number = Some(number);
    for record in chunk.iter() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                // With a clean walk, the crate's complaints about records decoded fine are
                // not news; the ones left to it are reported when it renders them.
                if *work == CrateWork::All {
                    let location = location_of(&e, number);
                    c.record_problem(location, root_cause(&e));
                }
                continue;
            }
        };
        if let CrateWork::Records(left) = work
            && !left.contains(&record.binxml_offset)
        {
            continue;
        }
        c.out.stats.records_read += 1;
        let record_id = record.event_record_id;
        let header_time = to_utc(record.timestamp);
        if record.timestamp.as_second() != FILETIME_ZERO_SECONDS {
            c.time(header_time);
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
        c.count_channel(&event.channel);
        if interest.matches(&event) {
            c.out.stats.records_kept += 1;
            *c.kept_by_id.entry(event.event_id).or_insert(0) += 1;
            c.out.events.push(event);
        }
    }
}
