//! One artifact: its content kind decides its parser. This is the extension point for the
//! parsers not in this slice: registry exports and hives, command-output text, JSON, ETL
//! conversions each get a [`Parsed`] variant and a branch in [`parse`]; nothing else changes.

use serde::Serialize;

use crate::evtx_ingest::{self, EvtxOutput, Interest, Provenance};
use crate::input::{ContentKind, ListedArtifact};
use crate::model::{EvtxStats, Problem};

/// What became of an artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    /// Parsed (possibly with problems, see the report's `problems`).
    Parsed,
    /// Read, but no parser for this kind in this build (yet).
    NotParsed {
        /// Why.
        reason: String,
    },
    /// Not read: the entry broke a safety rule.
    Rejected {
        /// Which rule.
        reason: String,
    },
    /// Could not be read (I/O, truncated zip data, CRC error, cap reached while reading).
    Unreadable {
        /// What failed.
        reason: String,
    },
}

/// The report on one artifact (or rejected entry) of an input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArtifactReport {
    /// Path inside the input (the stored name for rejected entries).
    pub path: String,
    /// Content kind, by sniffing (not by name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentKind>,
    /// Bytes read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// SHA-256 of the bytes read, lower-case hex: when the manifest lists only a SHA-256, and
    /// for unlisted files other than EVTX.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// BLAKE3 of the bytes read, lower-case hex: when the manifest lists one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
    /// What the bundle's manifest says about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed: Option<ListedArtifact>,
    /// What became of it.
    pub outcome: Outcome,
    /// Counts, for EVTX files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evtx: Option<EvtxStats>,
    /// What went wrong, with locations.
    pub problems: Vec<Problem>,
}

/// The output of a parser.
#[derive(Debug)]
pub enum Parsed {
    /// Events and counts of an EVTX file.
    Evtx(Box<EvtxOutput>),
    /// No parser for this kind here.
    NotParsed(String),
}

/// Parses one artifact's bytes according to its sniffed content kind.
pub fn parse(content: ContentKind, bytes: Vec<u8>, prov: &Provenance, interest: &Interest) -> Parsed {
    match content {
        ContentKind::Evtx => Parsed::Evtx(Box::new(evtx_ingest::ingest_evtx(bytes, prov, interest))),
        ContentKind::RedactedEvents => Parsed::Evtx(Box::new(evtx_ingest::redacted::ingest_redacted(
            &bytes, prov, interest,
        ))),
        ContentKind::Reg | ContentKind::Hive => Parsed::NotParsed(
            "registry parsing is not in this build yet (registry slice of issue 3)".into(),
        ),
        ContentKind::Text(_) | ContentKind::Json => Parsed::NotParsed(
            "text and JSON artifact parsing is not in this build yet (text slice of issue 3)".into(),
        ),
        ContentKind::Etl | ContentKind::TraceXml | ContentKind::TraceCsv => {
            Parsed::NotParsed("trace parsing is not in this build yet".into())
        }
        ContentKind::Zip => Parsed::NotParsed(
            "a zip inside the input is not opened (nested archives multiply zip bombs); unzip it and pass it as its own input".into(),
        ),
        ContentKind::Binary => Parsed::NotParsed("unrecognised binary content".into()),
        ContentKind::Empty => Parsed::NotParsed("empty file".into()),
    }
}
