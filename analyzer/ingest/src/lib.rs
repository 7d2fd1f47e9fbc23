//! From input paths to normalized events and a report per input: open every input (serially;
//! listing is cheap), then read, sniff and parse all artifacts of all inputs in parallel
//! (rayon across files, the largest first so one big Security.evtx does not finish last).
#![forbid(unsafe_code)]

pub mod artifact;
pub mod facts;

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use rdpdiag_schemas::Role;
use rdpdiag_schemas::channels;
use rdpdiag_schemas::manifest::{CollectionMode, Manifest};
use serde::Serialize;

use crate::artifact::{ArtifactReport, Outcome};
use crate::facts::HostFacts;
use rdpdiag_evtx::model::{Event, Problem, Severity};
use rdpdiag_evtx::{EvtxOutput, Interest, Provenance};
use rdpdiag_input::content_hash::{ContentHash, ContentHasher, HashAlgo};
use rdpdiag_input::sniff::ContentKind;
use rdpdiag_input::{
    Container, Layout, LayoutKind, Limits, OpenedInput, PlannedEntry, manifest_check, sniff,
};

/// What the caller can tune.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Size caps.
    pub limits: Limits,
    /// Which records to keep.
    pub interest: Interest,
    /// Keep every network logon (4624 type 3), not only those from addresses the RDP
    /// channels and the hosts show (issue 18's filter off; for comparisons and debugging).
    pub keep_every_network_logon: bool,
}

/// Where a host name or role came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The bundle's manifest.
    Manifest,
    /// MSRD-Collect folder and file names.
    MsrdNames,
    /// The events themselves (`Computer`; which RDP channels have records).
    Events,
}

/// The parts of a manifest a reader of the report wants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestSummary {
    /// Bundle id.
    pub bundle_id: String,
    /// Writer, `name version`.
    pub tool: String,
    /// When it was written.
    pub created_utc: DateTime<Utc>,
    /// Ticket id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// How it was collected.
    pub collection_mode: CollectionMode,
    /// Collection window.
    pub since_utc: DateTime<Utc>,
    /// Collection window.
    pub until_utc: DateTime<Utc>,
    /// Addresses of the host the manifest records (used to pair client and server).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub host_addresses: Vec<String>,
    /// Clock offset the collector measured against a peer (peer minus host, ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured_offset_ms: Option<i64>,
    /// Artifacts it lists.
    pub artifacts_listed: usize,
}

impl ManifestSummary {
    fn of(m: &Manifest) -> Self {
        ManifestSummary {
            bundle_id: m.bundle_id.clone(),
            tool: format!("{} {}", m.tool.name, m.tool.version),
            created_utc: m.created_utc,
            ticket: m.ticket.clone(),
            collection_mode: m.collection_mode,
            since_utc: m.window.since_utc,
            until_utc: m.window.until_utc,
            host_addresses: m.host.addresses.clone(),
            measured_offset_ms: m.host.clock.as_ref().and_then(|c| c.measured_offset_ms),
            artifacts_listed: m.artifacts.len(),
        }
    }
}

/// The report on one input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputReport {
    /// The input as given.
    pub input: String,
    /// Zip, folder or file (absent when the input could not be opened).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
    /// What it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
    /// Host name, as far as known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Where the host name came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_source: Option<Source>,
    /// Role, as far as known.
    pub role: Role,
    /// Where the role came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_source: Option<Source>,
    /// The bundle's manifest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<ManifestSummary>,
    /// Problems of the input as a whole.
    pub problems: Vec<Problem>,
    /// One report per artifact and per rejected entry, sorted by path.
    pub artifacts: Vec<ArtifactReport>,
}

/// Everything read from a set of inputs.
#[derive(Debug, Clone)]
pub struct Ingest {
    /// One report per input, in the order given.
    pub inputs: Vec<InputReport>,
    /// The kept events of each input, aligned with `inputs`, by time (then artifact, record
    /// id): the hosts stage takes them as they are.
    pub events: Vec<Vec<Event>>,
    /// Typed host facts of each input (registry, command outputs), aligned with `inputs`;
    /// `None` when the input held no such artifact.
    pub facts: Vec<Option<HostFacts>>,
    /// Addresses of each input's host from `ipconfig /all`, aligned with `inputs`.
    pub addresses: Vec<Vec<String>>,
}

/// Opens, reads and parses every input.
pub fn ingest(paths: &[PathBuf], opts: &IngestOptions) -> Ingest {
    let opened: Vec<Result<OpenedInput, rdpdiag_input::InputError>> = paths
        .iter()
        .map(|p| rdpdiag_input::open_input(p, &opts.limits))
        .collect();
    let mut work: Vec<(usize, usize, u64)> = Vec::new();
    for (i, o) in opened.iter().enumerate() {
        if let Ok(o) = o {
            for (j, e) in o.entries.iter().enumerate() {
                work.push((i, j, e.declared_size));
            }
        }
    }
    work.sort_by_key(|&(i, j, size)| (std::cmp::Reverse(size), i, j));
    let run = |work: &[(usize, usize, u64)],
               opts: &IngestOptions|
     -> Vec<(usize, ArtifactReport, Vec<Event>, Option<FactItem>)> {
        work.par_iter()
            .filter_map(|&(i, j, _)| {
                let input = opened.get(i)?.as_ref().ok()?;
                let entry = input.entries.get(j)?;
                let (report, events, fact) = process_entry(input, entry, opts);
                Some((i, report, events, fact))
            })
            .collect()
    };
    // Two phases (issue 18): the big general logs (Security, System, Application) last, once
    // the RDP channels and the command outputs have shown where RDP connections came from, so
    // that a busy server's network logons from elsewhere are skipped unbuilt. System and
    // Application go with Security so that the second phase has more than one big file to
    // share the cores with. Each phase reads its files in parallel, and each file's chunks.
    let filter_logons = !opts.keep_every_network_logon && opts.interest.logon_addresses_apply();
    let results = if filter_logons {
        let (general, rest): (Vec<_>, Vec<_>) = work.iter().partition(|&&(i, j, _)| {
            opened
                .get(i)
                .and_then(|o| o.as_ref().ok())
                .and_then(|o| o.entries.get(j))
                .is_some_and(is_general_log)
        });
        let mut results = run(&rest, opts);
        let addresses = logon_addresses(&opened, &results);
        let general_opts = IngestOptions {
            interest: opts.interest.clone().with_logon_addresses(addresses),
            ..opts.clone()
        };
        results.extend(run(&general, &general_opts));
        results
    } else {
        run(&work, opts)
    };

    // Events stay in their per-file vectors until the one copy into their input's.
    type Slot = (Vec<ArtifactReport>, Vec<Vec<Event>>, Vec<FactItem>);
    let mut per_input: Vec<Slot> = paths
        .iter()
        .map(|_| (Vec::new(), Vec::new(), Vec::new()))
        .collect();
    for (i, report, events, fact) in results {
        if let Some(slot) = per_input.get_mut(i) {
            slot.0.push(report);
            if !events.is_empty() {
                slot.1.push(events);
            }
            slot.2.extend(fact);
        }
    }
    let mut inputs = Vec::new();
    let mut all_events = Vec::new();
    let mut all_facts = Vec::new();
    let mut all_addresses = Vec::new();
    for ((path, opened), (mut artifacts, events, fact_items)) in paths.iter().zip(opened).zip(per_input) {
        // Registry exports, hives and command outputs become typed host facts, per input.
        // The manifest's format culture reads ambiguous dates (`1/2/2024`) in command outputs.
        let culture = opened
            .as_ref()
            .ok()
            .and_then(|o| o.manifest.as_ref())
            .and_then(|m| m.host.culture.as_ref())
            .and_then(|c| c.format_culture.clone());
        let facts =
            (!fact_items.is_empty()).then(|| facts_of(&fact_items, &mut artifacts, culture.as_deref()));
        all_facts.push(facts);
        all_addresses.push(
            fact_items
                .iter()
                .filter(|(_, k, _)| *k == ContentKind::Text(rdpdiag_schemas::domain::TextFormat::Ipconfig))
                .flat_map(|(_, _, b)| rdpdiag_artifacts::host_addresses::ipconfig_addresses(b))
                .collect::<Vec<_>>(),
        );
        let report = match opened {
            Err(e) => InputReport {
                input: path.display().to_string(),
                container: None,
                layout: None,
                host: None,
                host_source: None,
                role: Role::Unknown,
                role_source: None,
                manifest: None,
                problems: vec![Problem::whole(Severity::Error, e.to_string())],
                artifacts: Vec::new(),
            },
            Ok(o) => {
                for r in &o.rejected {
                    artifacts.push(ArtifactReport {
                        path: r.name.clone(),
                        content: None,
                        size: None,
                        sha256: None,
                        blake3: None,
                        listed: None,
                        outcome: Outcome::Rejected {
                            reason: r.reason.clone(),
                        },
                        evtx: None,
                        problems: vec![Problem::whole(Severity::Error, format!("rejected: {}", r.reason))],
                    });
                }
                artifacts.sort_by(|a, b| a.path.cmp(&b.path));
                let (host, host_source) = infer_host(&o, &events);
                let (role, role_source) = infer_role(&o, &artifacts);
                InputReport {
                    input: o.label.to_string(),
                    container: Some(o.container),
                    layout: Some(o.layout.clone()),
                    host,
                    host_source,
                    role,
                    role_source,
                    manifest: o.manifest.as_ref().map(ManifestSummary::of),
                    problems: o.problems,
                    artifacts,
                }
            }
        };
        inputs.push(report);
        all_events.push(joined_by_time(events));
    }
    Ingest {
        inputs,
        events: all_events,
        facts: all_facts,
        addresses: all_addresses,
    }
}

/// The general logs read in the second phase: Security (whose network logons are filtered),
/// System and Application. Known by the manifest's channel, or by the file name (our bundles'
/// `Security.evtx`, MSRD-Collect's `HOST_Security.evtx`, a hand-made zip's). A log not
/// recognised is read in the first phase, unfiltered.
fn is_general_log(entry: &PlannedEntry) -> bool {
    const GENERAL: [&str; 3] = [channels::SECURITY, channels::SYSTEM, channels::APPLICATION];
    let listed = entry
        .listed
        .as_ref()
        .and_then(|l| l.channel.as_deref())
        .is_some_and(|c| GENERAL.iter().any(|g| c.eq_ignore_ascii_case(g)));
    let name = entry
        .path
        .rsplit('/')
        .next()
        .unwrap_or(&entry.path)
        .to_ascii_lowercase();
    listed
        || GENERAL
            .iter()
            .any(|g| name.ends_with(&format!("{}.evtx", g.to_ascii_lowercase())))
}

/// The addresses a kept network logon may come from, from what the first phase read: every
/// client address an RDP channel names and every host's own addresses (`ipconfig`, the
/// manifest). `None` (keep every logon) when no server RDP channel was read: then where RDP
/// came from is unknown, and unknown is never "from nowhere".
fn logon_addresses(
    opened: &[Result<OpenedInput, rdpdiag_input::InputError>],
    results: &[(usize, ArtifactReport, Vec<Event>, Option<FactItem>)],
) -> Option<rdpdiag_evtx::LogonAddresses> {
    let rdp_read = results.iter().any(|(_, report, ..)| {
        report.evtx.as_ref().is_some_and(|s| {
            s.channels
                .iter()
                .any(|(c, n)| *n > 0 && SERVER_CHANNELS.iter().any(|r| r.eq_ignore_ascii_case(c)))
        })
    });
    if !rdp_read {
        return None;
    }
    let mut set = rdpdiag_evtx::LogonAddresses::default();
    for o in opened.iter().flatten() {
        for a in o.manifest.iter().flat_map(|m| m.host.addresses.iter()) {
            set.insert(a);
        }
    }
    for (_, _, events, fact) in results {
        if let Some((_, ContentKind::Text(rdpdiag_schemas::domain::TextFormat::Ipconfig), bytes)) = fact {
            for a in rdpdiag_artifacts::host_addresses::ipconfig_addresses(bytes) {
                set.insert(&a);
            }
        }
        for e in events {
            if let Some(address) = client_address(e) {
                set.insert(&address);
            }
        }
    }
    Some(set)
}

/// The client address an RDP-side event names (field guide 3.3-3.4; the same fields the
/// correlation reads, `correlate::connection`): RdpCoreTS 131 `ClientIP` and 140 `IPString`,
/// RCM 1149 `Param3`, LSM 21/22/24/25 `Address`, RD Gateway `IpAddress`.
fn client_address(e: &Event) -> Option<String> {
    let c = e.channel.to_ascii_lowercase();
    let field = if c.contains("rdpcorets") {
        match e.event_id {
            131 => "ClientIP",
            140 => "IPString",
            _ => return None,
        }
    } else if c.contains("remoteconnectionmanager") && e.event_id == 1149 {
        "Param3"
    } else if c.contains("localsessionmanager") {
        "Address"
    } else if c.contains("terminalservices-gateway") {
        "IpAddress"
    } else {
        return None;
    };
    e.field(field).and_then(|v| v.as_text())
}

/// The order of an input's events: time, then artifact, then record id. The key is unique
/// (record ids are unique within an artifact).
fn by_time(a: &Event, b: &Event) -> std::cmp::Ordering {
    (a.time_utc, &a.artifact, a.record_id).cmp(&(b.time_utc, &b.artifact, b.record_id))
}

/// Parts merged by looking at each part's next event; past this many, one sort of the whole.
const MERGE_PARTS: usize = 16;

/// One input's events from its files, in one vector by [`by_time`].
///
/// Each file's events come in record order, which is time order unless the clock was set back:
/// the parts are sorted where they are not (in parallel), then merged, so that every event (a
/// few hundred bytes) is moved once. Sorting the joined vector moved them many times, serially:
/// 40 ms of a busy server's 180,000 events.
fn joined_by_time(parts: Vec<Vec<Event>>) -> Vec<Event> {
    let total = parts.iter().map(Vec::len).sum();
    let mut parts: Vec<Vec<Event>> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    if parts.len() > MERGE_PARTS {
        let mut events = Vec::with_capacity(total);
        for mut part in parts {
            events.append(&mut part);
        }
        events.par_sort_unstable_by(by_time);
        return events;
    }
    parts.par_iter_mut().for_each(|p| {
        if !p.is_sorted_by(|a, b| by_time(a, b).is_le()) {
            p.sort_unstable_by(by_time);
        }
    });
    if parts.len() <= 1 {
        return parts.pop().unwrap_or_default();
    }
    let mut runs: Vec<std::vec::IntoIter<Event>> = parts.into_iter().map(Vec::into_iter).collect();
    let mut events = Vec::with_capacity(total);
    loop {
        let mut next: Option<(usize, &Event)> = None;
        for (i, run) in runs.iter().enumerate() {
            if let Some(e) = run.as_slice().first()
                && next.is_none_or(|(_, best)| by_time(e, best).is_lt())
            {
                next = Some((i, e));
            }
        }
        let Some(i) = next.map(|(i, _)| i) else { break };
        if let Some(e) = runs.get_mut(i).and_then(Iterator::next) {
            events.push(e);
        }
    }
    events
}

/// A non-EVTX artifact kept for the host-facts stage: (path, kind, bytes).
type FactItem = (String, ContentKind, Vec<u8>);

fn facts_of(items: &[FactItem], artifacts: &mut [ArtifactReport], culture: Option<&str>) -> HostFacts {
    let facts = HostFacts::from_artifacts_in(
        items.iter().map(|(p, k, b)| (p.as_str(), *k, b.as_slice())),
        culture,
    );
    for a in artifacts.iter_mut() {
        if a.content == Some(ContentKind::Text(rdpdiag_schemas::domain::TextFormat::Ipconfig)) {
            // Read for the host's addresses (see `host_addresses`), not for typed facts.
            a.outcome = Outcome::Parsed;
        } else if let Some(u) = facts.artifacts.iter().find(|u| *u.artifact == *a.path) {
            a.outcome = if u.parsed {
                Outcome::Parsed
            } else {
                Outcome::NotParsed {
                    reason: u.used_as.clone(),
                }
            };
        }
        a.problems.extend(
            facts
                .problems
                .iter()
                .filter(|p| *p.artifact == *a.path)
                .map(|p| p.problem.clone()),
        );
    }
    facts
}

/// Stores the computed hash in the report's field for its algorithm.
fn record_hash(report: &mut ArtifactReport, hash: ContentHash) {
    match hash.algo {
        HashAlgo::Blake3 => report.blake3 = Some(hash.hex),
        HashAlgo::Sha256 => report.sha256 = Some(hash.hex),
    }
}

/// An entry as read: an EVTX file (parsed while streaming; its hash when the manifest lists
/// one, and its size) or the bytes of anything else.
enum Entry {
    Evtx(Box<std::thread::Result<EvtxOutput>>, Option<ContentHash>, u64),
    Bytes(Vec<u8>),
}

/// Hashes (when asked) and counts what passes through.
struct HashingReader<R> {
    inner: R,
    hasher: Option<ContentHasher>,
    size: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.size += n as u64;
        Ok(n)
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Reads, sniffs and parses one entry; never fails, never panics outward.
fn process_entry(
    input: &OpenedInput,
    entry: &PlannedEntry,
    opts: &IngestOptions,
) -> (ArtifactReport, Vec<Event>, Option<FactItem>) {
    let mut report = ArtifactReport {
        path: entry.path.clone(),
        content: None,
        size: None,
        sha256: None,
        blake3: None,
        listed: entry.listed.clone(),
        outcome: Outcome::Parsed,
        evtx: None,
        problems: Vec::new(),
    };
    let prov = Provenance {
        input: input.label.clone(),
        artifact: Arc::from(entry.path.as_str()),
    };
    let algo = entry.listed.as_ref().and_then(HashAlgo::for_listed);
    let read = input.with_entry_reader(entry, &opts.limits, |r| {
        let mut head = Vec::with_capacity(8);
        r.take(8).read_to_end(&mut head)?;
        if head.as_slice() == b"ElfFile\0" {
            // Streamed chunk by chunk: memory does not grow with the log.
            let mut hashing = HashingReader {
                inner: std::io::Cursor::new(head).chain(r),
                hasher: algo.map(ContentHasher::new),
                size: 0,
            };
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                rdpdiag_evtx::ingest_evtx_stream(&mut hashing, &prov, &opts.interest)
            }));
            let hash = hashing.hasher.map(ContentHasher::finish);
            return Ok(Entry::Evtx(Box::new(out), hash, hashing.size));
        }
        let mut bytes = head;
        r.read_to_end(&mut bytes)?;
        Ok::<_, std::io::Error>(Entry::Bytes(bytes))
    });
    let bytes = match read
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
    {
        Ok(Entry::Bytes(b)) => b,
        Ok(Entry::Evtx(out, hash, size)) => {
            report.content = Some(ContentKind::Evtx);
            report.size = Some(size);
            if let Some(listed) = &entry.listed {
                report.problems.extend(manifest_check::verify(
                    listed,
                    hash.as_ref(),
                    size,
                    ContentKind::Evtx,
                ));
            }
            if let Some(hash) = hash {
                record_hash(&mut report, hash);
            }
            return match *out {
                Ok(out) => evtx_read(report, out),
                Err(p) => panicked(report, p.as_ref()),
            };
        }
        Err(e) => {
            report.outcome = Outcome::Unreadable { reason: e.clone() };
            report
                .problems
                .push(Problem::whole(Severity::Error, format!("unreadable: {e}")));
            return (report, Vec::new(), None);
        }
    };
    // Unlisted files other than EVTX keep a SHA-256 for the report, as before BLAKE3.
    let hash = ContentHasher::digest(algo.unwrap_or(HashAlgo::Sha256), &bytes);
    let size = bytes.len() as u64;
    let file_name = entry.path.rsplit('/').next().unwrap_or(&entry.path);
    let content = sniff::sniff(&bytes, file_name);
    if let Some(listed) = &entry.listed {
        report
            .problems
            .extend(manifest_check::verify(listed, Some(&hash), size, content));
    }
    report.content = Some(content);
    report.size = Some(size);
    record_hash(&mut report, hash);
    match route(content) {
        // Parsed with the input's other fact artifacts (hives need their .LOG1/.LOG2 beside them).
        Route::Facts => (report, Vec::new(), Some((entry.path.clone(), content, bytes))),
        Route::Events => {
            let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if content == ContentKind::RedactedEvents {
                    rdpdiag_evtx::redacted::ingest_redacted(&bytes, &prov, &opts.interest)
                } else {
                    rdpdiag_evtx::ingest_evtx(bytes, &prov, &opts.interest)
                }
            }));
            match parsed {
                Ok(out) => evtx_read(report, out),
                Err(p) => panicked(report, p.as_ref()),
            }
        }
        Route::NotParsed(reason) => {
            report.outcome = Outcome::NotParsed {
                reason: reason.into(),
            };
            (report, Vec::new(), None)
        }
    }
}

/// Where an entry's bytes go, by sniffed content: the one dispatch from an opened entry to
/// events or facts.
enum Route {
    /// Event records (EVTX not streamed because its header was not at the start of the read,
    /// and the redacted events of `--redact` bundles).
    Events,
    /// A fact artifact: registry, command output, JSON, ETL, converted traces.
    Facts,
    /// Not read, and why.
    NotParsed(&'static str),
}

fn route(content: ContentKind) -> Route {
    match content {
        ContentKind::Evtx | ContentKind::RedactedEvents => Route::Events,
        ContentKind::Reg
        | ContentKind::Hive
        | ContentKind::Text(_)
        | ContentKind::Json
        | ContentKind::Etl
        | ContentKind::TraceXml
        | ContentKind::TraceCsv => Route::Facts,
        ContentKind::Zip => Route::NotParsed(
            "a zip inside the input is not opened (nested archives multiply zip bombs); unzip it and pass it as its own input",
        ),
        ContentKind::Binary => Route::NotParsed("unrecognised binary content"),
        ContentKind::Empty => Route::NotParsed("empty file"),
    }
}

type EntryResult = (ArtifactReport, Vec<Event>, Option<FactItem>);

/// The report of a read EVTX file (unreadable when reading stopped early; its events kept).
fn evtx_read(mut report: ArtifactReport, out: EvtxOutput) -> EntryResult {
    if let Some(reason) = out.read_error {
        report.outcome = Outcome::Unreadable { reason };
    }
    report.problems.extend(out.problems);
    report.evtx = Some(out.stats);
    (report, out.events, None)
}

/// The report of an artifact whose parser panicked.
fn panicked(mut report: ArtifactReport, p: &(dyn std::any::Any + Send)) -> EntryResult {
    let msg = panic_message(p);
    report.outcome = Outcome::Unreadable {
        reason: format!("parser panicked: {msg}"),
    };
    report.problems.push(Problem::whole(
        Severity::Error,
        format!("parser panicked (a bug; please report it with this file): {msg}"),
    ));
    (report, Vec::new(), None)
}

fn infer_host(o: &OpenedInput, events: &[Vec<Event>]) -> (Option<String>, Option<Source>) {
    if let Some(m) = &o.manifest {
        return (Some(m.host.name.clone()), Some(Source::Manifest));
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for e in events.iter().flatten() {
        if !e.host.is_empty() {
            *counts.entry(&*e.host).or_insert(0) += 1;
        }
    }
    let most = counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)));
    if let Some((host, _)) = most {
        return (Some(host.to_string()), Some(Source::Events));
    }
    match &o.layout.msrd_computer {
        Some(c) => (Some(c.clone()), Some(Source::MsrdNames)),
        None => (None, None),
    }
}

/// The channel only an RDP client writes to.
const CLIENT_CHANNELS: &[&str] = &[channels::RDP_CLIENT];
/// The channels only an RDP server writes to.
const SERVER_CHANNELS: &[&str] = &[channels::RDPCORETS, channels::RCM_OPERATIONAL];

/// A host's role from the channels it has records in: the one channel-based role inference,
/// used on each input's logs here and on a host's kept events by the hosts stage. `None` when
/// neither side's channel is among them.
pub fn role_of_channels<'a>(channels: impl IntoIterator<Item = &'a str>) -> Option<Role> {
    let (mut client, mut server) = (false, false);
    for c in channels {
        client |= CLIENT_CHANNELS.iter().any(|x| x.eq_ignore_ascii_case(c));
        server |= SERVER_CHANNELS.iter().any(|x| x.eq_ignore_ascii_case(c));
    }
    match (client, server) {
        (true, true) => Some(Role::Both),
        (true, false) => Some(Role::Client),
        (false, true) => Some(Role::Server),
        (false, false) => None,
    }
}

fn infer_role(o: &OpenedInput, artifacts: &[ArtifactReport]) -> (Role, Option<Source>) {
    if let Some(m) = &o.manifest {
        return (m.host.role, Some(Source::Manifest));
    }
    let role = role_of_channels(
        artifacts
            .iter()
            .filter_map(|a| a.evtx.as_ref())
            .flat_map(|s| s.channels.iter().filter(|(_, n)| *n > 0).map(|(c, _)| c.as_ref())),
    );
    match (role, o.layout.kind, o.layout.msrd_role) {
        (_, LayoutKind::Msrd, Some(r)) => (r, Some(Source::MsrdNames)),
        (Some(r), _, _) => (r, Some(Source::Events)),
        (None, _, _) => (Role::Unknown, None),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn event(artifact: &Arc<str>, record_id: u64, second: i64) -> Event {
        Event {
            input: Arc::from("server.zip"),
            artifact: artifact.clone(),
            record_id,
            time_utc: Utc
                .timestamp_opt(1_700_000_000 + second, 0)
                .single()
                .unwrap_or_default(),
            host: Arc::from("SRV"),
            channel: Arc::from("System"),
            provider: Arc::from("p"),
            source_name: None,
            event_id: 1,
            qualifiers: None,
            level: None,
            activity_id: None,
            process_id: None,
            user_sid: None,
            fields: Vec::new(),
        }
    }

    fn keys(events: &[Event]) -> Vec<(i64, String, u64)> {
        events
            .iter()
            .map(|e| (e.time_utc.timestamp(), e.artifact.to_string(), e.record_id))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// Sorting parts and merging them gives the order one sort of everything gave, with
        /// parts in or out of time order, empty ones, and more parts than are merged by heads.
        #[test]
        fn merged_parts_are_in_time_order(
            parts in prop::collection::vec(
                (prop::collection::vec(0i64..20, 0..30), any::<bool>()),
                0..(MERGE_PARTS + 4),
            ),
        ) {
            let mut oracle = Vec::new();
            let mut input = Vec::new();
            for (n, (seconds, in_order)) in parts.iter().enumerate() {
                // Two parts may share an artifact name (record ids then differ): ties go by it.
                let artifact: Arc<str> = Arc::from(format!("evtx/{}.evtx", (n * 7) % 5));
                let mut seconds = seconds.clone();
                if *in_order {
                    seconds.sort_unstable();
                }
                let part: Vec<Event> = seconds
                    .iter()
                    .enumerate()
                    .map(|(r, &s)| event(&artifact, (n * 1000 + r) as u64, s))
                    .collect();
                oracle.extend(part.iter().cloned());
                input.push(part);
            }
            oracle.sort_by(by_time);
            prop_assert_eq!(keys(&joined_by_time(input)), keys(&oracle));
        }
    }
}
