//! Writing a bundle: files plus `manifest.json`, as a zip or a folder, atomically.
//!
//! The bundle is written under a temporary name beside the target and renamed only when
//! complete, so a reader never sees a half-written bundle under the final name. Every file's
//! SHA-256 and size are computed while it is written and recorded in the manifest.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Datelike, Timelike, Utc};
use rdpdiag_schemas::manifest::{
    Artifact, ArtifactSource, CollectionMode, CollectionWindow, HostInfo, MANIFEST_FILE, Manifest, Redaction,
    SCHEMA_VERSION, ToolInfo, check_bundle_path,
};
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus, domain::TextFormat};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Why a bundle could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Reading a source or writing the bundle failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done (names the file).
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The zip layer failed.
    #[error("writing zip entry {entry:?}: {source}")]
    Zip {
        /// Entry being written.
        entry: String,
        /// The zip error.
        source: zip::result::ZipError,
    },
    /// A path inside the bundle is not allowed (absolute, `..`, duplicate ...).
    #[error("bad path inside bundle: {0}")]
    BadPath(String),
    /// The bundle would exceed its size cap.
    #[error("bundle would exceed its size cap of {cap} bytes while adding {entry:?}")]
    TooLarge {
        /// The cap.
        cap: u64,
        /// Entry being added.
        entry: String,
    },
    /// The target exists and is a folder (never deleted for the user).
    #[error("target {0} already exists")]
    TargetExists(PathBuf),
    /// The process is being interrupted (SIGINT/SIGTERM): nothing more is written.
    #[error("interrupted: the bundle was not finished and its temporary output was removed")]
    Interrupted,
    /// The finished manifest does not validate (a bug in the caller).
    #[error("manifest does not validate: {0}")]
    Manifest(#[from] rdpdiag_schemas::ManifestError),
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BundleError {
    let context = context.into();
    move |source| BundleError::Io { context, source }
}

/// Temporary outputs of the writers in progress in this process, so that a signal handler can
/// remove them ([`interrupt`]): a process killed by SIGINT/SIGTERM runs no destructors.
static PARTIALS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Set by [`interrupt`]: writers stop writing and never rename into place.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn partials() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PARTIALS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn remove_partial(p: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p),
        Ok(_) => std::fs::remove_file(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// For a signal handler: stops every writer of this process from finishing (none renames into
/// place after this returns) and removes their temporary outputs. Returns the paths removed
/// and, for each that could not be removed, the error. A bundle already renamed into place
/// before the call is complete and stays.
pub fn interrupt() -> Vec<(PathBuf, Option<std::io::Error>)> {
    // Holding the lock: a writer between its last check and its rename holds it too, so the
    // rename either happened before (and the path is no longer listed) or never will.
    let list = partials();
    INTERRUPTED.store(true, Ordering::SeqCst);
    list.iter()
        .map(|p| {
            // A folder sink may be creating a file while it is removed: try a few times.
            let mut result = remove_partial(p);
            for _ in 0..5 {
                if result.is_ok() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
                result = remove_partial(p);
            }
            (p.clone(), result.err())
        })
        .collect()
}

/// Whether [`interrupt`] was called.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Temporary outputs left beside `final_path` by earlier runs that were killed outright
/// (SIGKILL, power loss): `.<name>.<pid>.partial` of a pid other than this process's. They are
/// never taken for bundles (hidden, never renamed); the caller may report or remove them.
pub fn stale_partials(final_path: &Path) -> Vec<PathBuf> {
    let Some(name) = final_path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let dir = match final_path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let prefix = format!(".{name}.");
    let own = temp_name(final_path);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .and_then(|n| {
                    n.strip_prefix(&prefix)?
                        .strip_suffix(".partial")
                        .map(|pid| pid.parse::<u32>().is_ok())
                })
                .unwrap_or(false)
                && *p != own
        })
        .collect();
    out.sort();
    out
}

/// What the manifest says about one artifact, apart from what the writer computes
/// (path, size, sha256, blake3).
#[derive(Debug, Clone)]
pub struct ArtifactMeta {
    /// What the file is.
    pub kind: ArtifactKind,
    /// For text artifacts: which command output.
    pub text_format: Option<TextFormat>,
    /// Where it came from.
    pub source: ArtifactSource,
    /// How it was acquired.
    pub method: String,
    /// Step start, UTC.
    pub started_utc: DateTime<Utc>,
    /// Step end, UTC.
    pub finished_utc: DateTime<Utc>,
    /// Outcome.
    pub status: ArtifactStatus,
    /// Error text for failed / partial steps.
    pub error: Option<String>,
}

impl ArtifactMeta {
    /// A successful step of `kind` done by `method` at `at`.
    pub fn ok(kind: ArtifactKind, method: &str, source: ArtifactSource, at: DateTime<Utc>) -> Self {
        ArtifactMeta {
            kind,
            text_format: None,
            source,
            method: method.to_string(),
            started_utc: at,
            finished_utc: at,
            status: ArtifactStatus::Ok,
            error: None,
        }
    }
}

/// Everything in the manifest that is not the artifact list.
#[derive(Debug, Clone)]
pub struct ManifestHeader {
    /// Unique bundle id.
    pub bundle_id: String,
    /// Writing program.
    pub tool: ToolInfo,
    /// When the bundle was finished.
    pub created_utc: DateTime<Utc>,
    /// Ticket id.
    pub ticket: Option<String>,
    /// Acquisition mode.
    pub collection_mode: CollectionMode,
    /// The host.
    pub host: HostInfo,
    /// Event log window.
    pub window: CollectionWindow,
    /// Redaction, if any.
    pub redaction: Option<Redaction>,
}

enum Sink {
    Zip(Box<ZipWriter<BufWriter<File>>>),
    Dir(PathBuf),
}

/// Writes one bundle. Drop without [`BundleWriter::finish`] removes the temporary output.
pub struct BundleWriter {
    final_path: PathBuf,
    tmp_path: PathBuf,
    sink: Option<Sink>,
    artifacts: Vec<Artifact>,
    names: HashSet<String>,
    entry_time: zip::DateTime,
    max_size: Option<u64>,
    bytes: u64,
}

impl std::fmt::Debug for BundleWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleWriter")
            .field("final_path", &self.final_path)
            .field("artifacts", &self.artifacts.len())
            .finish()
    }
}

fn check_not_interrupted() -> Result<(), BundleError> {
    if interrupted() {
        Err(BundleError::Interrupted)
    } else {
        Ok(())
    }
}

fn temp_name(final_path: &Path) -> PathBuf {
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    final_path.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

fn zip_time(t: DateTime<Utc>) -> zip::DateTime {
    // Zip times are local-less DOS times from 1980; clamp what cannot be represented.
    let year = t.year().clamp(1980, 2107) as u16;
    zip::DateTime::from_date_and_time(
        year,
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
    )
    .unwrap_or_default()
}

impl BundleWriter {
    /// Starts a zip bundle that will appear at `final_path` when finished.
    pub fn create_zip(final_path: &Path) -> Result<BundleWriter, BundleError> {
        check_not_interrupted()?;
        let tmp_path = temp_name(final_path);
        let file = File::create(&tmp_path).map_err(io_err(format!("creating {}", tmp_path.display())))?;
        Ok(Self::with_sink(
            final_path,
            tmp_path,
            Sink::Zip(Box::new(ZipWriter::new(BufWriter::new(file)))),
        ))
    }

    /// Starts a folder bundle that will appear at `final_path` when finished.
    pub fn create_dir(final_path: &Path) -> Result<BundleWriter, BundleError> {
        if final_path.exists() {
            return Err(BundleError::TargetExists(final_path.to_path_buf()));
        }
        check_not_interrupted()?;
        let tmp_path = temp_name(final_path);
        std::fs::create_dir_all(&tmp_path).map_err(io_err(format!("creating {}", tmp_path.display())))?;
        Ok(Self::with_sink(final_path, tmp_path.clone(), Sink::Dir(tmp_path)))
    }

    fn with_sink(final_path: &Path, tmp_path: PathBuf, sink: Sink) -> BundleWriter {
        partials().push(tmp_path.clone());
        BundleWriter {
            final_path: final_path.to_path_buf(),
            tmp_path,
            sink: Some(sink),
            artifacts: Vec::new(),
            names: HashSet::new(),
            entry_time: zip::DateTime::default(),
            max_size: None,
            bytes: 0,
        }
    }

    /// Sets the modification time stored in zip entries (the sample generator fixes it so
    /// that a seed always gives the same bytes).
    pub fn entry_time(mut self, t: DateTime<Utc>) -> Self {
        self.entry_time = zip_time(t);
        self
    }

    /// Caps the total uncompressed size of the files in the bundle.
    pub fn max_size(mut self, cap: u64) -> Self {
        self.max_size = Some(cap);
        self
    }

    /// Changes the size cap (`None`: no cap) of a writer already in use.
    pub fn set_max_size(&mut self, cap: Option<u64>) {
        self.max_size = cap;
    }

    /// Artifacts recorded so far.
    pub fn artifacts(&self) -> &[Artifact] {
        &self.artifacts
    }

    /// Adds a file from memory and records it in the manifest.
    pub fn add_bytes(&mut self, path: &str, bytes: &[u8], meta: ArtifactMeta) -> Result<(), BundleError> {
        self.add_reader(path, bytes, meta)
    }

    /// Adds a file by streaming `reader` (bounded memory for large event logs).
    pub fn add_reader(
        &mut self,
        path: &str,
        reader: impl Read,
        meta: ArtifactMeta,
    ) -> Result<(), BundleError> {
        let (size, digests) = self.write_entry(path, reader)?;
        self.artifacts.push(artifact(path, Some(digests), size, meta));
        Ok(())
    }

    /// Records a step that produced no file (failed or skipped), so the manifest says why.
    pub fn record_step(&mut self, path: &str, meta: ArtifactMeta) -> Result<(), BundleError> {
        check_bundle_path(path).map_err(BundleError::BadPath)?;
        if !self.names.insert(path.to_string()) {
            return Err(BundleError::BadPath(format!("duplicate path {path:?}")));
        }
        self.artifacts.push(artifact(path, None, 0, meta));
        Ok(())
    }

    /// Adds a file that the manifest does not list (layouts without a manifest, such as
    /// MSRD-Collect's, use only this).
    pub fn add_unlisted(&mut self, path: &str, reader: impl Read) -> Result<(), BundleError> {
        self.write_entry(path, reader).map(|_| ())
    }

    /// Bytes of file content written so far (what the size cap counts).
    pub fn bytes_written(&self) -> u64 {
        self.bytes
    }

    /// Bytes that may still be added under the size cap (`None`: no cap).
    pub fn remaining(&self) -> Option<u64> {
        self.max_size.map(|cap| cap.saturating_sub(self.bytes))
    }

    fn write_entry(&mut self, path: &str, reader: impl Read) -> Result<(u64, Digests), BundleError> {
        check_bundle_path(path).map_err(BundleError::BadPath)?;
        if path == MANIFEST_FILE || !self.names.insert(path.to_string()) {
            return Err(BundleError::BadPath(format!(
                "duplicate or reserved path {path:?}"
            )));
        }
        let result = self.stream_entry(path, reader);
        if result.is_err() {
            // A source that fails half-way (or the size cap) must not leave a truncated entry
            // that the manifest does not describe; the path stays free for a failed-step record.
            self.names.remove(path);
            match self.sink.as_mut() {
                Some(Sink::Zip(zip)) => {
                    let _ = zip.abort_file();
                }
                Some(Sink::Dir(root)) => {
                    let _ = std::fs::remove_file(root.join(path));
                }
                None => {}
            }
        }
        result
    }

    fn stream_entry(&mut self, path: &str, mut reader: impl Read) -> Result<(u64, Digests), BundleError> {
        check_not_interrupted()?;
        let mut hasher = Sha256::new();
        let mut blake3 = blake3::Hasher::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        let cap = self.max_size;
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(self.entry_time)
            .large_file(true);
        let mut dir_file = None;
        match self.sink.as_mut() {
            Some(Sink::Zip(zip)) => zip.start_file(path, options).map_err(|source| BundleError::Zip {
                entry: path.into(),
                source,
            })?,
            Some(Sink::Dir(root)) => {
                let target = root.join(path);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(io_err(format!("creating {}", parent.display())))?;
                }
                let f = File::create(&target).map_err(io_err(format!("creating {}", target.display())))?;
                dir_file = Some(BufWriter::new(f));
            }
            None => return Err(BundleError::BadPath("bundle already finished".into())),
        }
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(io_err(format!("reading source of {path}")))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if let Some(cap) = cap
                && self.bytes + size > cap
            {
                return Err(BundleError::TooLarge {
                    cap,
                    entry: path.into(),
                });
            }
            check_not_interrupted()?;
            hasher.update(&buf[..n]);
            blake3.update(&buf[..n]);
            let chunk = &buf[..n];
            let written = match (self.sink.as_mut(), dir_file.as_mut()) {
                (Some(Sink::Zip(zip)), _) => zip.write_all(chunk),
                (_, Some(f)) => f.write_all(chunk),
                _ => Ok(()),
            };
            written.map_err(io_err(format!("writing {path}")))?;
        }
        if let Some(mut f) = dir_file {
            f.flush().map_err(io_err(format!("writing {path}")))?;
        }
        self.bytes += size;
        let digests = Digests {
            sha256: hex(&hasher.finalize()),
            blake3: blake3.finalize().to_hex().to_string(),
        };
        Ok((size, digests))
    }

    /// Writes `manifest.json`, closes the bundle and moves it to its final name.
    pub fn finish(mut self, header: ManifestHeader) -> Result<(PathBuf, Manifest), BundleError> {
        let manifest = Manifest {
            schema_version: SCHEMA_VERSION,
            bundle_id: header.bundle_id,
            tool: header.tool,
            created_utc: header.created_utc,
            ticket: header.ticket,
            collection_mode: header.collection_mode,
            host: header.host,
            window: header.window,
            artifacts: std::mem::take(&mut self.artifacts),
            redaction: header.redaction,
        };
        manifest.validate()?;
        let json = manifest.to_json_pretty();
        self.names.remove(MANIFEST_FILE);
        // The manifest is written last so that it can list every artifact.
        self.write_manifest(&json)?;
        let path = self.close_and_rename()?;
        Ok((path, manifest))
    }

    /// Closes a bundle without a manifest (MSRD-Collect and ad-hoc layouts).
    pub fn finish_without_manifest(mut self) -> Result<PathBuf, BundleError> {
        self.close_and_rename()
    }

    fn write_manifest(&mut self, json: &[u8]) -> Result<(), BundleError> {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(self.entry_time);
        match self.sink.as_mut() {
            Some(Sink::Zip(zip)) => {
                zip.start_file(MANIFEST_FILE, options)
                    .map_err(|source| BundleError::Zip {
                        entry: MANIFEST_FILE.into(),
                        source,
                    })?;
                zip.write_all(json).map_err(io_err("writing manifest.json"))
            }
            Some(Sink::Dir(root)) => {
                std::fs::write(root.join(MANIFEST_FILE), json).map_err(io_err("writing manifest.json"))
            }
            None => Err(BundleError::BadPath("bundle already finished".into())),
        }
    }

    fn close_and_rename(&mut self) -> Result<PathBuf, BundleError> {
        match self.sink.take() {
            Some(Sink::Zip(zip)) => {
                let inner = zip.finish().map_err(|source| BundleError::Zip {
                    entry: "(central directory)".into(),
                    source,
                })?;
                let file = inner.into_inner().map_err(|e| BundleError::Io {
                    context: "flushing bundle".into(),
                    source: e.into_error(),
                })?;
                file.sync_all().map_err(io_err("syncing bundle"))?;
            }
            Some(Sink::Dir(_)) => {}
            None => return Err(BundleError::BadPath("bundle already finished".into())),
        }
        let mut list = partials();
        check_not_interrupted()?;
        std::fs::rename(&self.tmp_path, &self.final_path).map_err(io_err(format!(
            "renaming {} to {}",
            self.tmp_path.display(),
            self.final_path.display()
        )))?;
        list.retain(|p| *p != self.tmp_path);
        Ok(self.final_path.clone())
    }
}

impl Drop for BundleWriter {
    fn drop(&mut self) {
        // Unfinished: leave nothing that could be taken for a bundle.
        if let Some(sink) = self.sink.take() {
            drop(sink);
            let _ = if self.tmp_path.is_dir() {
                std::fs::remove_dir_all(&self.tmp_path)
            } else {
                std::fs::remove_file(&self.tmp_path)
            };
        }
        // Finished (renamed) or removed: no longer the signal handler's business.
        if self.sink.is_none() && !self.tmp_path.exists() {
            partials().retain(|p| *p != self.tmp_path);
        }
    }
}

/// The hashes of a written file. Both: SHA-256 is what people identify evidence files by,
/// BLAKE3 is what the analyzer verifies (about 3x faster on a large bundle).
#[derive(Debug, Clone)]
struct Digests {
    sha256: String,
    blake3: String,
}

fn artifact(path: &str, digests: Option<Digests>, size: u64, meta: ArtifactMeta) -> Artifact {
    let (sha256, blake3) = match digests {
        Some(d) => (Some(d.sha256), Some(d.blake3)),
        None => (None, None),
    };
    Artifact {
        path: path.to_string(),
        kind: meta.kind,
        text_format: meta.text_format,
        source: meta.source,
        method: meta.method,
        sha256,
        blake3,
        size,
        started_utc: meta.started_utc,
        finished_utc: meta.finished_utc,
        status: meta.status,
        error: meta.error,
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdpdiag_schemas::manifest::ToolInfo;

    fn header() -> ManifestHeader {
        let t = Utc::now();
        ManifestHeader {
            bundle_id: "b-1".into(),
            tool: ToolInfo {
                name: "test".into(),
                version: "0".into(),
            },
            created_utc: t,
            ticket: None,
            collection_mode: CollectionMode::Pack,
            host: HostInfo {
                name: "H".into(),
                domain: None,
                os: None,
                role: rdpdiag_schemas::Role::Client,
                addresses: vec![],
                time_zone: None,
                culture: None,
                clock: None,
            },
            window: CollectionWindow {
                since_utc: t,
                until_utc: t,
            },
            redaction: None,
        }
    }

    fn meta() -> ArtifactMeta {
        ArtifactMeta::ok(ArtifactKind::Text, "copy", ArtifactSource::default(), Utc::now())
    }

    #[test]
    fn bundle_appears_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("b.zip");
        let mut w = BundleWriter::create_zip(&target).unwrap();
        w.add_bytes("files/a.txt", b"hello", meta()).unwrap();
        assert!(!target.exists(), "no bundle under the final name before finish");
        let (path, manifest) = w.finish(header()).unwrap();
        assert_eq!(path, target);
        assert_eq!(
            manifest.artifacts[0].sha256.as_deref(),
            Some(hex(&Sha256::digest(b"hello")).as_str())
        );
        assert_eq!(
            manifest.artifacts[0].blake3.as_deref(),
            Some(blake3::hash(b"hello").to_hex().as_str())
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    }

    #[test]
    fn dropping_an_unfinished_writer_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        for dir_mode in [false, true] {
            let target = dir.path().join(if dir_mode { "d" } else { "z.zip" });
            let mut w = if dir_mode {
                BundleWriter::create_dir(&target)
            } else {
                BundleWriter::create_zip(&target)
            }
            .unwrap();
            w.add_bytes("files/a.txt", b"x", meta()).unwrap();
            drop(w);
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        }
    }

    #[test]
    fn escaping_duplicate_and_reserved_paths_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = BundleWriter::create_zip(&dir.path().join("b.zip")).unwrap();
        for bad in ["../x", "/abs", "a\\b", "C:/x", "a//b", "manifest.json", ""] {
            assert!(
                matches!(w.add_bytes(bad, b"x", meta()), Err(BundleError::BadPath(_))),
                "{bad:?}"
            );
        }
        w.add_bytes("a/b", b"x", meta()).unwrap();
        assert!(matches!(
            w.add_bytes("a/b", b"y", meta()),
            Err(BundleError::BadPath(_))
        ));
    }

    #[test]
    fn a_failed_entry_leaves_no_trace_and_frees_its_path() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("disk went away"));
                }
                self.0 -= 1;
                buf[0] = b'x';
                Ok(1)
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("b.zip");
        let mut w = BundleWriter::create_zip(&target).unwrap().max_size(100);
        w.add_bytes("ok.txt", b"fine", meta()).unwrap();
        assert!(w.add_reader("bad.txt", Failing(3), meta()).is_err());
        assert!(w.add_bytes("big.txt", &[0u8; 200], meta()).is_err());
        assert_eq!(w.remaining(), Some(96));
        let mut m = meta();
        m.status = ArtifactStatus::Failed;
        w.record_step("bad.txt", m).unwrap();
        w.finish(header()).unwrap();
        let mut z = zip::ZipArchive::new(File::open(&target).unwrap()).unwrap();
        let names: Vec<String> = z.file_names().map(|n| n.unwrap().to_string()).collect();
        assert!(names.contains(&"ok.txt".to_string()));
        assert!(
            !names.iter().any(|n| n == "bad.txt" || n == "big.txt"),
            "{names:?}"
        );
        let mut s = String::new();
        z.by_name("ok.txt").unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "fine");
    }

    #[test]
    fn size_cap_is_enforced() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = BundleWriter::create_zip(&dir.path().join("b.zip"))
            .unwrap()
            .max_size(10);
        w.add_bytes("a", b"12345", meta()).unwrap();
        assert!(matches!(
            w.add_bytes("b", b"123456", meta()),
            Err(BundleError::TooLarge { cap: 10, .. })
        ));
    }
}
