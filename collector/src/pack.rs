//! Packing files a user already has (exported logs, `reg export` files, command outputs) into a
//! bundle, so that hand-made collections get a manifest with hashes like any other bundle.
//!
//! Kinds are sniffed from content, not names. Symlinks are not followed; files over the size cap
//! are recorded as failed steps instead of aborting the pack.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rdpdiag_schemas::manifest::{ArtifactSource, CollectionMode, CollectionWindow, HostInfo, ToolInfo};
use rdpdiag_schemas::{ArtifactKind, ArtifactStatus, Role};

use crate::bundle::{ArtifactMeta, BundleError, BundleWriter, ManifestHeader};

/// What to pack.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// Folder holding the files (searched recursively, symlinks skipped).
    pub source: PathBuf,
    /// Bundle to write (`.zip`).
    pub output: PathBuf,
    /// Host name to record.
    pub host: String,
    /// Role of the host.
    pub role: Role,
    /// Ticket id.
    pub ticket: Option<String>,
    /// Largest file packed; larger ones are recorded as failed.
    pub max_file_bytes: u64,
}

/// What was packed.
#[derive(Debug, Clone)]
pub struct PackReport {
    /// The bundle written.
    pub bundle: PathBuf,
    /// (path in bundle, kind, size) of each packed file.
    pub packed: Vec<(String, ArtifactKind, u64)>,
    /// (file, reason) of each file not packed.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Sniffs what a file is from its first bytes.
pub fn sniff(head: &[u8]) -> ArtifactKind {
    if head.starts_with(b"ElfFile\0") {
        return ArtifactKind::Evtx;
    }
    if head.starts_with(b"regf") {
        return ArtifactKind::Hive;
    }
    let text = decode_head(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("Windows Registry Editor Version 5.00") || trimmed.starts_with("REGEDIT4") {
        return ArtifactKind::Reg;
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return ArtifactKind::Json;
    }
    if trimmed.starts_with("<?xml") && trimmed.contains("<Events") {
        return ArtifactKind::TraceXml;
    }
    ArtifactKind::Text
}

fn decode_head(head: &[u8]) -> String {
    if head.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = head[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(head).into_owned()
    }
}

fn folder_of(kind: ArtifactKind) -> &'static str {
    match kind {
        ArtifactKind::Evtx => "evtx",
        ArtifactKind::Reg | ArtifactKind::Hive => "registry",
        ArtifactKind::Etl | ArtifactKind::TraceXml | ArtifactKind::TraceCsv => "traces",
        _ => "files",
    }
}

/// A file name safe inside a bundle: no separators, no leading dots, printable.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '\0') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').trim().to_string();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, skipped: &mut Vec<(PathBuf, String)>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            skipped.push((dir.to_path_buf(), format!("cannot list folder: {e}")));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => skipped.push((p, "symbolic link (not followed)".into())),
            Ok(m) if m.is_dir() => walk(&p, out, skipped),
            Ok(m) if m.is_file() => out.push(p),
            Ok(_) => skipped.push((p, "not a regular file".into())),
            Err(e) => skipped.push((p, format!("cannot read metadata: {e}"))),
        }
    }
}

/// Packs `opts.source` into a bundle at `opts.output`.
pub fn pack(opts: &PackOptions) -> Result<PackReport, BundleError> {
    let now: DateTime<Utc> = Utc::now();
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    walk(&opts.source, &mut files, &mut skipped);
    let mut writer = BundleWriter::create_zip(&opts.output)?;
    let mut packed = Vec::new();
    let mut oldest = now;
    for file in files {
        let display = file.display().to_string();
        let rel = file
            .strip_prefix(&opts.source)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        let meta = match std::fs::metadata(&file) {
            Ok(m) => m,
            Err(e) => {
                skipped.push((file, format!("cannot read metadata: {e}")));
                continue;
            }
        };
        if let Ok(modified) = meta.modified() {
            let t: DateTime<Utc> = modified.into();
            oldest = oldest.min(t);
        }
        let mut head = [0u8; 512];
        let kind = match File::open(&file).and_then(|mut f| f.read(&mut head)) {
            Ok(n) => sniff(&head[..n]),
            Err(e) => {
                skipped.push((file, format!("cannot read: {e}")));
                continue;
            }
        };
        let name = safe_name(&rel.replace('/', "_"));
        let mut path = format!("{}/{name}", folder_of(kind));
        let mut n = 1;
        while writer.artifacts().iter().any(|a| a.path == path) {
            n += 1;
            path = format!("{}/{n}-{name}", folder_of(kind));
        }
        let source = ArtifactSource {
            file_path: Some(display.clone()),
            ..ArtifactSource::default()
        };
        let mut am = ArtifactMeta::ok(kind, "copy", source, now);
        if meta.len() > opts.max_file_bytes {
            am.status = ArtifactStatus::Failed;
            am.error = Some(format!(
                "{} bytes is over the cap of {} bytes",
                meta.len(),
                opts.max_file_bytes
            ));
            writer.record_step(&path, am)?;
            skipped.push((file, format!("larger than {} bytes", opts.max_file_bytes)));
            continue;
        }
        match File::open(&file) {
            Ok(f) => {
                writer.add_reader(&path, f.take(opts.max_file_bytes), am)?;
                packed.push((path, kind, meta.len()));
            }
            Err(e) => skipped.push((file, format!("cannot open: {e}"))),
        }
    }
    let header = ManifestHeader {
        bundle_id: format!("pack-{}-{}", now.format("%Y%m%dT%H%M%S%.3fZ"), std::process::id()),
        tool: ToolInfo {
            name: "rdpdiag-collect".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        created_utc: now,
        ticket: opts.ticket.clone(),
        collection_mode: CollectionMode::Pack,
        host: HostInfo {
            name: opts.host.clone(),
            domain: None,
            os: None,
            role: opts.role,
            addresses: vec![],
            time_zone: None,
            culture: None,
            clock: None,
        },
        window: CollectionWindow {
            since_utc: oldest,
            until_utc: now,
        },
        redaction: None,
    };
    let (bundle, _) = writer.finish(header)?;
    Ok(PackReport {
        bundle,
        packed,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_not_name() {
        assert_eq!(sniff(b"ElfFile\0rest"), ArtifactKind::Evtx);
        assert_eq!(sniff(b"regf...."), ArtifactKind::Hive);
        let reg: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "Windows Registry Editor Version 5.00\r\n"
                    .encode_utf16()
                    .flat_map(|u| u.to_le_bytes()),
            )
            .collect();
        assert_eq!(sniff(&reg), ArtifactKind::Reg);
        assert_eq!(sniff(b"  {\"a\":1}"), ArtifactKind::Json);
        assert_eq!(sniff(b"Active Connections\r\n"), ArtifactKind::Text);
    }

    #[test]
    fn safe_names_never_escape() {
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name("..."), "file");
        assert_eq!(safe_name("C:\\x.evtx"), "C__x.evtx");
    }
}
