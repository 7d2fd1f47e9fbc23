//! The normalized evidence every later stage works on, whatever format it came from.
//!
//! Correlation, rules and reports read [`Event`]s (and, later, typed host facts) only; they never
//! look at EVTX, zip or registry bytes. Every event carries its provenance (input, artifact,
//! record id) so a finding can always point back at the record that supports it.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One event-log record that some rule or the timeline needs, normalized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// The input it came from, as given on the command line (zip, folder or file).
    pub input: Arc<str>,
    /// The artifact inside that input (`/`-separated path; the file name for a single file).
    pub artifact: Arc<str>,
    /// `EventRecordID` from the record header: unique within its artifact.
    pub record_id: u64,
    /// `TimeCreated/@SystemTime` (the record header's time when that is missing), UTC.
    pub time_utc: DateTime<Utc>,
    /// `Computer`, as the host wrote it (NetBIOS name or FQDN).
    pub host: Arc<str>,
    /// `Channel`, e.g. `Microsoft-Windows-TerminalServices-RDPClient/Operational`.
    pub channel: Arc<str>,
    /// `Provider/@Name`.
    pub provider: Arc<str>,
    /// `Provider/@EventSourceName` of classic (pre-manifest) events, e.g. `TermService`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// `EventID` without its qualifiers.
    pub event_id: u32,
    /// `EventID/@Qualifiers` of classic events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifiers: Option<u32>,
    /// `Level` (1 critical, 2 error, 3 warning, 4 information, 5 verbose).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    /// `Correlation/@ActivityID`, upper-case with braces: ties the events of one connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<String>,
    /// `Execution/@ProcessID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_id: Option<u32>,
    /// `Security/@UserID` (SID of the account that logged the event).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_sid: Option<String>,
    /// The payload (`EventData` or `UserData`), flattened: see [`crate`] for the
    /// naming (`Name` of a `<Data>`; `Parent.Child`, `Element@attribute`; unnamed `<Data>` as
    /// `Data`). Order is the record's.
    pub fields: Vec<(Arc<str>, FieldValue)>,
}

impl Event {
    /// The first field with this name (ASCII case-insensitive: Windows is not consistent,
    /// e.g. `ProcessId` in 5152 and `ProcessID` in 5157).
    pub fn field(&self, name: &str) -> Option<&FieldValue> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// A field as text (numbers rendered in decimal), if present and not null.
    pub fn field_text(&self, name: &str) -> Option<String> {
        self.field(name).and_then(FieldValue::as_text)
    }
}

/// A payload value, keeping the type Windows stored where the renderer tells it (numbers stay
/// numbers; hex-typed values arrive as `0x…` text).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// Absent / NULL substitution.
    Null,
    /// Boolean.
    Bool(bool),
    /// Unsigned integer.
    UInt(u64),
    /// Signed integer.
    Int(i64),
    /// Floating point.
    Float(f64),
    /// Text (also GUIDs, SIDs, hex-typed numbers and binary as hex).
    Str(String),
    /// Repeated values (e.g. several unnamed `<Data>`).
    List(Vec<FieldValue>),
}

impl FieldValue {
    /// The value as text; `None` for null. Lists are joined with `,`.
    pub fn as_text(&self) -> Option<String> {
        match self {
            FieldValue::Null => None,
            FieldValue::Bool(b) => Some(b.to_string()),
            FieldValue::UInt(n) => Some(n.to_string()),
            FieldValue::Int(n) => Some(n.to_string()),
            FieldValue::Float(n) => Some(n.to_string()),
            FieldValue::Str(s) => Some(s.clone()),
            FieldValue::List(items) => Some(
                items
                    .iter()
                    .filter_map(FieldValue::as_text)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        }
    }

    /// The value as an unsigned number: integers, and text in decimal or `0x` hex.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            FieldValue::UInt(n) => Some(*n),
            FieldValue::Int(n) => u64::try_from(*n).ok(),
            FieldValue::Str(s) => parse_number(s),
            _ => None,
        }
    }
}

/// Parses decimal or `0x`-prefixed hex text, as Windows writes numbers in event payloads.
pub fn parse_number(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// How bad a reported problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing, nothing lost (e.g. a file not listed in the manifest).
    Note,
    /// Something is off but data was still read (bad CRC read anyway, partial last chunk).
    Warning,
    /// Data was lost or rejected (unreadable chunk or record, rejected zip entry, bad hash).
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// Where inside an input or artifact a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "at", rename_all = "kebab-case")]
pub enum Location {
    /// The input or artifact as a whole.
    Whole,
    /// An entry of a zip or folder input (named, since it may not become an artifact).
    Entry {
        /// The entry's name as stored (before any normalisation).
        name: String,
    },
    /// One 64 KiB chunk of an EVTX file (numbered from 0 in file order).
    Chunk {
        /// Chunk number.
        chunk: u64,
    },
    /// One EVTX record.
    Record {
        /// Chunk number, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        chunk: Option<u64>,
        /// Record id, when its header could be read.
        #[serde(skip_serializing_if = "Option::is_none")]
        record_id: Option<u64>,
        /// Offset of the record inside its chunk, when its id could not be read.
        #[serde(skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
    },
    /// One line of a text artifact (a command output, a `.reg` export, a redacted-events file).
    Line {
        /// 1-based line number in the decoded text.
        line: u64,
    },
}

impl Location {
    /// Line `line` when there is one, else the whole artifact.
    pub fn line_or_whole(line: Option<u64>) -> Location {
        line.map_or(Location::Whole, |line| Location::Line { line })
    }

    /// The 1-based line, when the location is one.
    pub fn line(&self) -> Option<u64> {
        match self {
            Location::Line { line } => Some(*line),
            _ => None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Whole => Ok(()),
            Location::Entry { name } => write!(f, "entry {name:?}"),
            Location::Chunk { chunk } => write!(f, "chunk {chunk}"),
            Location::Record {
                chunk,
                record_id,
                offset,
            } => {
                let mut parts = Vec::new();
                if let Some(c) = chunk {
                    parts.push(format!("chunk {c}"));
                }
                if let Some(r) = record_id {
                    parts.push(format!("record {r}"));
                }
                if let Some(o) = offset {
                    parts.push(format!("offset {o:#x}"));
                }
                if parts.is_empty() {
                    parts.push("a record".into());
                }
                f.write_str(&parts.join(", "))
            }
            Location::Line { line } => write!(f, "line {line}"),
        }
    }
}

/// Something that went wrong (or is worth knowing) while opening or parsing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// How bad.
    pub severity: Severity,
    /// Where.
    pub location: Location,
    /// What, in words a support engineer understands.
    pub message: String,
}

impl Problem {
    /// A problem about the whole input or artifact.
    pub fn whole(severity: Severity, message: impl Into<String>) -> Self {
        Problem {
            severity,
            location: Location::Whole,
            message: message.into(),
        }
    }

    /// A problem at a given location.
    pub fn at(severity: Severity, location: Location, message: impl Into<String>) -> Self {
        Problem {
            severity,
            location,
            message: message.into(),
        }
    }

    /// A problem at 1-based line `line` of a text artifact.
    pub fn at_line(severity: Severity, line: u64, message: impl Into<String>) -> Self {
        Problem::at(severity, Location::Line { line }, message)
    }

    /// The 1-based line it is at, when it is at one.
    pub fn line(&self) -> Option<u64> {
        self.location.line()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Location::Whole => write!(f, "{}: {}", self.severity, self.message),
            _ => write!(f, "{}: {}: {}", self.severity, self.location, self.message),
        }
    }
}

/// A problem of one artifact (a file of an input), at its place inside it: what the host-facts
/// stage collects from every artifact it parses, before each goes to its artifact's report.
/// Serialised flat: `{artifact, severity, location, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArtifactProblem {
    /// The artifact's path inside its input (or a pseudo-artifact such as `registry` for the
    /// merged registry).
    pub artifact: Arc<str>,
    /// What, where and how bad.
    #[serde(flatten)]
    pub problem: Problem,
}

/// What reading one EVTX file gave, counted so the report can say what was lost and why.
///
/// Checksums: the parser runs with CRC validation off (like `evtx_dump`), so a chunk whose
/// CRC32 does not match (common in dirty logs copied from a live system) is still read; such
/// chunks are counted in `chunks_bad_crc` and reported as warnings, because a damaged value
/// inside them would come out silently.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EvtxStats {
    /// The file header's CRC32 matches (or it declares none).
    pub header_crc_ok: bool,
    /// The header says the log was not closed cleanly (normal for a copy of a live log).
    pub dirty: bool,
    /// Whole 64 KiB chunks in the file after the header.
    pub chunks_in_file: u64,
    /// Chunks whose records were walked.
    pub chunks_read: u64,
    /// Chunks that could not be read at all (bad magic, unreadable header or string table).
    pub chunks_failed: u64,
    /// Chunks that are all zeros (never written; normal in a log that has not filled up).
    pub chunks_empty: u64,
    /// Chunks read although their header or records CRC32 did not match.
    pub chunks_bad_crc: u64,
    /// Bytes after the last whole chunk (a truncated copy): not read, since the evtx crate
    /// silently ignores a partial chunk.
    pub partial_tail_bytes: u64,
    /// Records whose header and BinXml could be read.
    pub records_read: u64,
    /// Records that could not be read or rendered.
    pub records_failed: u64,
    /// Records turned into events, decoded or rendered (candidates for the interest filter).
    pub records_rendered: u64,
    /// Of those, records built straight from their template values (the rest were rendered
    /// by the evtx crate).
    pub records_decoded: u64,
    /// Records kept as [`Event`]s.
    pub records_kept: u64,
    /// Oldest record time (record header), UTC.
    pub first_utc: Option<DateTime<Utc>>,
    /// Newest record time (record header), UTC.
    pub last_utc: Option<DateTime<Utc>>,
    /// Kept events per event id, ascending by id.
    pub kept_by_event_id: Vec<(u32, u64)>,
    /// Channels of the records read, with how many records each (records whose channel was
    /// not learned before they were skipped are not counted).
    pub channels: Vec<(String, u64)>,
}
