//! Our bundle's `manifest.json`: loaded, matched with the files, and every file's hash verified
//! (BLAKE3 when listed, else SHA-256: see [`super::content_hash`]).
//!
//! A bad manifest does not stop the analysis: the files are still read (as in an ad-hoc
//! collection) and the report names the offending field. A hash mismatch is reported on the
//! artifact, whose content is still parsed (the evidence may still be useful) but flagged.

use rdpdiag_schemas::manifest::{MANIFEST_FILE, Manifest};
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus};
use serde::Serialize;

use super::content_hash::{ContentHash, HashAlgo};
use super::sniff::ContentKind;
use super::{Limits, OpenedInput};
use rdpdiag_evtx::model::{Location, Problem, Severity};

/// The manifest never needs more than this.
const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;

/// What the manifest says about one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedArtifact {
    /// Declared kind.
    pub kind: ArtifactKind,
    /// Declared SHA-256.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Declared BLAKE3 (the one verified when both are declared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
    /// Declared size.
    pub size: u64,
    /// Collection step outcome.
    pub status: ArtifactStatus,
    /// Event channel it was exported from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The collector's error text for a partial or failed step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Reads `manifest.json`, takes it out of the entries and attaches what it says to each entry.
pub(crate) fn load_and_attach(input: &mut OpenedInput, limits: &Limits) {
    let manifest_path = format!("{}{MANIFEST_FILE}", input.layout.root);
    let Some(pos) = input.entries.iter().position(|e| e.path == manifest_path) else {
        return;
    };
    let entry = input.entries.remove(pos);
    let capped = Limits {
        max_entry_bytes: MAX_MANIFEST_BYTES.min(limits.max_entry_bytes),
        ..*limits
    };
    let bytes = match input.read_entry(&entry, &capped) {
        Ok(b) => b,
        Err(e) => {
            input.problems.push(Problem::at(
                Severity::Error,
                Location::Entry { name: manifest_path },
                format!("manifest unreadable: {e}; files are read without it"),
            ));
            return;
        }
    };
    let manifest = match Manifest::from_json_slice(&bytes) {
        Ok(m) => m,
        Err(e) => {
            input.problems.push(Problem::at(
                Severity::Error,
                Location::Entry { name: manifest_path },
                format!("invalid manifest: {e}; files are read without it"),
            ));
            return;
        }
    };
    for a in &manifest.artifacts {
        let path = format!("{}{}", input.layout.root, a.path);
        match input.entries.iter_mut().find(|e| e.path == path) {
            Some(entry) => {
                entry.listed = Some(ListedArtifact {
                    kind: a.kind,
                    sha256: a.sha256.clone(),
                    blake3: a.blake3.clone(),
                    size: a.size,
                    status: a.status,
                    channel: a.source.channel.clone(),
                    error: a.error.clone(),
                });
            }
            None => {
                let rejected = input
                    .rejected
                    .iter()
                    .any(|r| super::normalize_entry_name(&r.name).ok().as_deref() == Some(&path));
                if (a.sha256.is_some() || a.blake3.is_some()) && !rejected {
                    input.problems.push(Problem::at(
                        Severity::Error,
                        Location::Entry { name: path },
                        "listed in the manifest with a hash but missing from the bundle",
                    ));
                }
            }
        }
    }
    for e in &input.entries {
        if e.listed.is_none() {
            input.problems.push(Problem::at(
                Severity::Note,
                Location::Entry { name: e.path.clone() },
                "not listed in the manifest",
            ));
        }
    }
    input.manifest = Some(manifest);
}

/// Compares what was read with what the manifest says.
/// `hash` is what [`HashAlgo::for_listed`] chose, computed over the content.
pub fn verify(
    listed: &ListedArtifact,
    hash: Option<&ContentHash>,
    size: u64,
    content: ContentKind,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(hash) = hash
        && let Some(expected) = hash.algo.expected(listed)
        && !expected.eq_ignore_ascii_case(&hash.hex)
    {
        problems.push(Problem::whole(
            Severity::Error,
            format!(
                "{} mismatch: the manifest says {expected}, the content is {} \
                 (changed or damaged after collection; parsed anyway)",
                hash.algo.name(),
                hash.hex
            ),
        ));
    }
    if listed.size != size && HashAlgo::for_listed(listed).is_some() {
        problems.push(Problem::whole(
            Severity::Warning,
            format!("size {size} differs from the manifest's {}", listed.size),
        ));
    }
    if let Some(kind) = content.artifact_kind() {
        // The collector may declare command output as text that happens to be JSON, or a
        // log as collection-log: only disagreements between binary formats matter.
        let binary =
            |k: ArtifactKind| matches!(k, ArtifactKind::Evtx | ArtifactKind::Hive | ArtifactKind::Etl);
        if kind != listed.kind && (binary(kind) || binary(listed.kind)) {
            problems.push(Problem::whole(
                Severity::Warning,
                format!(
                    "the manifest says {:?} but the content is {}",
                    listed.kind,
                    content.name()
                ),
            ));
        }
    }
    problems
}
