//! What became of one artifact of an input: the report `inspect` and `analyze` show per file.
//! Which parser reads an artifact is decided once, by its sniffed content, in
//! `ingest::route`.

use serde::Serialize;

use rdpdiag_evtx::model::{EvtxStats, Problem};
use rdpdiag_input::{ContentKind, ListedArtifact};

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
