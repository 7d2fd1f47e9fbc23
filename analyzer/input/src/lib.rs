//! Opening inputs safely: zips, folders and single files, never extracted to disk.
//!
//! Opening lists an input's entries and rejects the dangerous ones up front (paths that escape,
//! absolute paths, symlinks, duplicates, overlapping zip entries, declared sizes or ratios over
//! the caps); reading happens later, in parallel, entry by entry, into memory with the caps
//! enforced on the bytes actually decompressed ([`OpenedInput::read_entry`]). A rejected or unreadable entry
//! is reported by name and the others go on.
//!
//! - [`zip_input`]: zip files (with a recovery scan of local headers for truncated zips);
//! - [`dir_input`]: folders (symlinks are not followed);
//! - [`layout`]: recognising our bundle, an MSRD-Collect result, an ad-hoc collection or a
//!   single file; [`manifest_check`]: verifying our bundle's manifest;
//! - [`sniff`]: what a file is by content; [`limits`]: the caps;
//! - [`ticket`]: which paths are one input each, and which folders a ticket's folder of them
//!   (one answer for `analyze` and `batch`).

#![forbid(unsafe_code)]

pub mod content_hash;
pub mod dir_input;
mod entry_stream;
pub mod layout;
pub mod limits;
pub mod manifest_check;
mod shared_file;
pub mod sniff;
pub mod ticket;
pub mod zip_input;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rdpdiag_schemas::manifest::Manifest;
use serde::Serialize;
use zip::ZipArchive;

pub use layout::{Layout, LayoutKind};
pub use limits::Limits;
pub use manifest_check::ListedArtifact;
pub use sniff::ContentKind;

use entry_stream::with_entry_reader;
use limits::Budget;
use rdpdiag_evtx::model::Problem;
use shared_file::SharedFile;

/// What kind of container an input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Container {
    /// A zip file.
    Zip,
    /// A folder.
    Dir,
    /// One file.
    File,
}

/// Where an entry's bytes are.
#[derive(Clone)]
pub(crate) enum EntrySource {
    /// Entry `index` of a zip; each reader clones the archive (cheap: shared metadata and file).
    Zip {
        archive: ZipArchive<SharedFile>,
        index: usize,
        compressed: u64,
    },
    /// Already read (entries recovered from a damaged zip).
    Memory(Arc<Vec<u8>>),
    /// A file of a folder input, or a single-file input.
    File(PathBuf),
}

impl std::fmt::Debug for EntrySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntrySource::Zip { index, .. } => write!(f, "Zip#{index}"),
            EntrySource::Memory(b) => write!(f, "Memory({} bytes)", b.len()),
            EntrySource::File(p) => write!(f, "File({})", p.display()),
        }
    }
}

/// One file of an input, accepted for reading.
#[derive(Debug, Clone)]
pub struct PlannedEntry {
    /// Path inside the input, `/`-separated, normalised (the file name for a single file).
    pub path: String,
    /// Size the container declares (a zip's is not trusted).
    pub declared_size: u64,
    /// What the manifest says about it, for our bundles.
    pub listed: Option<ListedArtifact>,
    pub(crate) source: EntrySource,
}

/// An entry that was not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedEntry {
    /// The entry's name as stored.
    pub name: String,
    /// Why it was rejected.
    pub reason: String,
}

/// An input after opening: its entries, what it is, and what was wrong with it.
#[derive(Debug)]
pub struct OpenedInput {
    /// The input as given.
    pub label: Arc<str>,
    /// Zip, folder or file.
    pub container: Container,
    /// Bundle, MSRD-Collect, ad-hoc or single file.
    pub layout: Layout,
    /// Our bundle's manifest, when present and valid.
    pub manifest: Option<Manifest>,
    /// Entries to read, sorted by path.
    pub entries: Vec<PlannedEntry>,
    /// Entries not read.
    pub rejected: Vec<RejectedEntry>,
    /// Problems of the input as a whole (and listed-but-missing artifacts).
    pub problems: Vec<Problem>,
    pub(crate) budget: Arc<Budget>,
}

impl OpenedInput {
    /// Opens `entry` (one of this input's) and hands `f` a stream of its bytes, capped by
    /// `limits` and by this input's total budget.
    pub fn with_entry_reader<T>(
        &self,
        entry: &PlannedEntry,
        limits: &Limits,
        f: impl FnOnce(&mut dyn Read) -> T,
    ) -> Result<T, ReadError> {
        with_entry_reader(entry, limits, &self.budget, f)
    }

    /// Reads `entry` (one of this input's) into memory within `limits` and this input's budget.
    pub fn read_entry(&self, entry: &PlannedEntry, limits: &Limits) -> Result<Vec<u8>, ReadError> {
        self.with_entry_reader(entry, limits, |r| {
            // The declared size may be a lie (zip headers): never preallocate more than 64 MiB.
            let mut out =
                Vec::with_capacity(entry.declared_size.min(limits.max_entry_bytes).min(64 << 20) as usize);
            r.read_to_end(&mut out).map(|_| out)
        })?
        .map_err(|e| ReadError::Io(e.to_string()))
    }
}

/// Why an input could not be opened at all.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The path does not exist or cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The input.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A zip whose central directory cannot be read and in which no entry could be recovered.
    #[error("{path}: not a readable zip: {message}")]
    BadZip {
        /// The input.
        path: String,
        /// What the zip reader said.
        message: String,
    },
    /// Neither a file nor a folder (device, socket ...).
    #[error("{path}: not a regular file or folder")]
    NotAFile {
        /// The input.
        path: String,
    },
}

/// Why one entry could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// More bytes than the per-entry cap.
    #[error("larger than the cap of {cap} bytes per entry (possible zip bomb); not read")]
    TooLarge {
        /// The cap.
        cap: u64,
    },
    /// The input's total budget is used up.
    #[error("the input's total size cap of {cap} bytes is used up; not read")]
    TotalCap {
        /// The cap.
        cap: u64,
    },
    /// Compression ratio above the cap.
    #[error("compression ratio above {max}:1 (possible zip bomb); not read")]
    Ratio {
        /// The cap.
        max: u64,
    },
    /// The zip layer or the file system failed (truncated data, CRC mismatch, ...).
    #[error("{0}")]
    Io(String),
}

/// Opens one input: a zip, a folder, or a single file.
pub fn open_input(path: &Path, limits: &Limits) -> Result<OpenedInput, InputError> {
    let label: Arc<str> = Arc::from(path.display().to_string());
    let meta = std::fs::metadata(path).map_err(|source| InputError::Io {
        path: label.to_string(),
        source,
    })?;
    let budget = Arc::new(Budget::new(limits.max_total_bytes));
    let mut opened = if meta.is_dir() {
        dir_input::open_dir(path, label.clone(), limits, budget)?
    } else if meta.is_file() {
        let mut head = [0u8; 4];
        let n = File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|source| InputError::Io {
                path: label.to_string(),
                source,
            })?;
        if head[..n].starts_with(b"PK\x03\x04") || head[..n].starts_with(b"PK\x05\x06") {
            zip_input::open_zip(path, label.clone(), limits, budget)?
        } else {
            single_file(path, label.clone(), meta.len(), budget)
        }
    } else {
        return Err(InputError::NotAFile {
            path: label.to_string(),
        });
    };
    let dir_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let paths: Vec<&str> = opened.entries.iter().map(|e| e.path.as_str()).collect();
    opened.layout = layout::recognise(opened.container, &dir_name, &paths);
    if opened.layout.kind == LayoutKind::Bundle {
        manifest_check::load_and_attach(&mut opened, limits);
    }
    Ok(opened)
}

fn single_file(path: &Path, label: Arc<str>, size: u64, budget: Arc<Budget>) -> OpenedInput {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| label.to_string());
    OpenedInput {
        label,
        container: Container::File,
        layout: Layout::single_file(),
        manifest: None,
        entries: vec![PlannedEntry {
            path: name,
            declared_size: size,
            listed: None,
            source: EntrySource::File(path.to_path_buf()),
        }],
        rejected: Vec::new(),
        problems: Vec::new(),
        budget,
    }
}

/// Reads `reader` to its end into memory, counting every byte against `cap`, `budget` and, for
/// zip entries, the most bytes the compression-ratio cap allows (`(limit, max_ratio)`). For
/// readers that are not entries yet (entries recovered from a damaged zip).
fn read_capped(
    mut reader: impl Read,
    size_hint: u64,
    cap: u64,
    budget: &Budget,
    total_cap: u64,
    ratio: Option<(u64, u64)>,
) -> Result<Vec<u8>, ReadError> {
    // The hint may be a lie (zip headers): never preallocate more than 64 MiB from it.
    let mut out = Vec::with_capacity(size_hint.min(cap).min(64 << 20) as usize);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| ReadError::Io(format!("read failed after {} bytes: {e}", out.len())))?;
        if n == 0 {
            return Ok(out);
        }
        let size = out.len() as u64 + n as u64;
        if size > cap {
            return Err(ReadError::TooLarge { cap });
        }
        if let Some((limit, max)) = ratio
            && size > limit
        {
            return Err(ReadError::Ratio { max });
        }
        if !budget.take(n as u64) {
            return Err(ReadError::TotalCap { cap: total_cap });
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Normalises a stored entry name to a relative `/`-separated path, or says why it is unsafe.
/// Backslashes count as separators (PowerShell 5's `Compress-Archive` writes them).
pub fn normalize_entry_name(raw: &str) -> Result<String, String> {
    if raw.contains('\0') {
        return Err("name contains a NUL character".into());
    }
    let name = raw.replace('\\', "/");
    if name.starts_with('/') {
        return Err("absolute path".into());
    }
    if name.contains(':') {
        return Err("drive letter or `:` in the path (absolute path or alternate stream)".into());
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("path escapes the input with `..` (zip slip)".into()),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err("empty path".into());
    }
    let path = parts.join("/");
    rdpdiag_schemas::manifest::check_bundle_path(&path)?;
    Ok(path)
}

/// Marks entries whose normalised paths collide (exactly, or only in letter case, as they
/// would on Windows): all copies are rejected, since which one is genuine cannot be known.
fn reject_duplicates(
    entries: Vec<(String, PlannedEntry)>,
    rejected: &mut Vec<RejectedEntry>,
) -> Vec<PlannedEntry> {
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for (_, e) in &entries {
        *counts.entry(e.path.to_lowercase()).or_insert(0) += 1;
    }
    let mut kept = Vec::new();
    for (raw, e) in entries {
        if counts.get(&e.path.to_lowercase()).copied().unwrap_or(0) > 1 {
            rejected.push(RejectedEntry {
                name: raw,
                reason: format!(
                    "duplicate name: {:?} occurs more than once (ignoring case); no copy is read",
                    e.path
                ),
            });
        } else {
            kept.push(e);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names() {
        assert_eq!(
            normalize_entry_name("evtx/System.evtx").as_deref(),
            Ok("evtx/System.evtx")
        );
        assert_eq!(normalize_entry_name("a\\b\\c.txt").as_deref(), Ok("a/b/c.txt"));
        assert_eq!(normalize_entry_name("./a//b").as_deref(), Ok("a/b"));
        assert!(
            normalize_entry_name("../x.evtx")
                .unwrap_err()
                .contains("zip slip")
        );
        assert!(
            normalize_entry_name("a/../../x")
                .unwrap_err()
                .contains("zip slip")
        );
        assert!(normalize_entry_name("..\\x").unwrap_err().contains("zip slip"));
        assert!(
            normalize_entry_name("/etc/passwd")
                .unwrap_err()
                .contains("absolute")
        );
        assert!(
            normalize_entry_name("\\\\server\\x")
                .unwrap_err()
                .contains("absolute")
        );
        assert!(
            normalize_entry_name("C:/Windows/x")
                .unwrap_err()
                .contains("drive")
        );
        assert!(normalize_entry_name("").is_err());
    }
}
