//! Zip inputs: listing and vetting entries; never `ZipArchive::extract*` (where every recent
//! zip-crate advisory is), nothing written to disk.
//!
//! Checks per entry, each rejection naming the entry: unsafe names ([`super::normalize_entry_name`]),
//! symlinks, encrypted or unsupported compression, duplicate names (read from the central
//! directory itself, since the zip crate keeps one entry per name), entries whose bytes
//! overlap another's (the overlapping-files zip bomb), declared size or ratio over the caps.
//! A zip whose central directory is unreadable (e.g. truncated) is scanned from the start for
//! local headers instead, and whatever entries precede the damage are recovered.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use zip::{CompressionMethod, ZipArchive};

use super::limits::{Budget, Limits};
use super::shared_file::SharedFile;
use super::{
    Container, EntrySource, InputError, Layout, OpenedInput, PlannedEntry, RejectedEntry,
    normalize_entry_name, read_capped, reject_duplicates,
};
use rdpdiag_evtx::model::{Problem, Severity};

/// Central directory file header signature.
const CDFH_SIG: u32 = 0x0201_4b50;

/// Names as stored in the central directory, in order (the zip crate's map drops duplicates).
fn central_directory_names(file: &SharedFile, start: u64, max: usize) -> Vec<Vec<u8>> {
    let mut names = Vec::new();
    let mut pos = start;
    let mut fixed = [0u8; 46];
    while names.len() <= max {
        match file.read_at(&mut fixed, pos) {
            Ok(46) => {}
            _ => break,
        }
        if u32::from_le_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]) != CDFH_SIG {
            break;
        }
        let u16_at = |i: usize| u64::from(u16::from_le_bytes([fixed[i], fixed[i + 1]]));
        let (name_len, extra_len, comment_len) = (u16_at(28), u16_at(30), u16_at(32));
        let mut name = vec![0u8; name_len as usize];
        if file.read_at(&mut name, pos + 46).ok() != Some(name.len()) {
            break;
        }
        names.push(name);
        pos += 46 + name_len + extra_len + comment_len;
    }
    names
}

/// Local file header signature.
const LFH_SIG: u32 = 0x0403_4b50;

/// What the local header at `start` says that the central directory contradicts (name, CRC,
/// sizes), or `None` when they agree. Two readers of such a zip can see two different files,
/// so the entry is rejected. Sizes and CRC are compared only when the local header carries
/// them (no data descriptor); ZIP64 sizes from the local extra field.
fn local_header_disagreement(
    file: &SharedFile,
    start: u64,
    central_name: &[u8],
    crc: u32,
    compressed: u64,
    size: u64,
) -> Option<String> {
    let mut h = [0u8; 30];
    match file.read_at(&mut h, start) {
        Ok(30) => {}
        _ => return Some("local header missing or cut short".into()),
    }
    let u16_at = |i: usize| u16::from_le_bytes([h[i], h[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    if u32_at(0) != LFH_SIG {
        return Some("no local header where the central directory points".into());
    }
    let (flags, l_crc, l_comp, l_size) = (u16_at(6), u32_at(14), u32_at(18), u32_at(22));
    let (name_len, extra_len) = (usize::from(u16_at(26)), usize::from(u16_at(28)));
    let mut tail = vec![0u8; name_len + extra_len];
    if file.read_at(&mut tail, start + 30).ok() != Some(tail.len()) {
        return Some("local header cut short".into());
    }
    let (name, extra) = tail.split_at(name_len);
    if name != central_name {
        return Some(format!(
            "the local header names it {:?}",
            String::from_utf8_lossy(name)
        ));
    }
    if flags & 0x0008 != 0 {
        return None; // sizes and CRC in a data descriptor after the data
    }
    let (mut l_comp, mut l_size) = (u64::from(l_comp), u64::from(l_size));
    if l_comp == u64::from(u32::MAX) || l_size == u64::from(u32::MAX) {
        // ZIP64: uncompressed then compressed size, each present when its field is 0xFFFFFFFF.
        let mut pos = 0;
        while pos + 4 <= extra.len() {
            let id = u16::from_le_bytes([extra[pos], extra[pos + 1]]);
            let len = usize::from(u16::from_le_bytes([extra[pos + 2], extra[pos + 3]]));
            let body = extra.get(pos + 4..pos + 4 + len).unwrap_or(&[]);
            if id == 1 {
                let mut vals = body
                    .chunks_exact(8)
                    .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
                if l_size == u64::from(u32::MAX) {
                    l_size = vals.next().unwrap_or(l_size);
                }
                if l_comp == u64::from(u32::MAX) {
                    l_comp = vals.next().unwrap_or(l_comp);
                }
            }
            pos += 4 + len;
        }
    }
    if l_crc != crc || l_comp != compressed || l_size != size {
        return Some(format!(
            "the local header declares {l_size} bytes ({l_comp} compressed, CRC {l_crc:08x}), the central directory {size} ({compressed}, CRC {crc:08x})"
        ));
    }
    None
}

fn supported(method: CompressionMethod) -> bool {
    matches!(method, CompressionMethod::Stored | CompressionMethod::Deflated)
}

/// Opens a zip input and vets its entries.
pub(crate) fn open_zip(
    path: &Path,
    label: Arc<str>,
    limits: &Limits,
    budget: Arc<Budget>,
) -> Result<OpenedInput, InputError> {
    let io_err = |source| InputError::Io {
        path: label.to_string(),
        source,
    };
    let file = SharedFile::new(File::open(path).map_err(io_err)?).map_err(io_err)?;
    let archive = match ZipArchive::new(file.clone()) {
        Ok(a) => a,
        Err(e) => return recover_stream(path, label, limits, budget, e.to_string()),
    };
    let mut problems = Vec::new();
    let mut rejected = Vec::new();

    let raw_names = central_directory_names(&file, archive.central_directory_start(), limits.max_entries);
    let mut raw_counts: HashMap<&[u8], usize> = HashMap::new();
    for n in &raw_names {
        *raw_counts.entry(n.as_slice()).or_insert(0) += 1;
    }
    for (name, count) in &raw_counts {
        if *count > 1 {
            rejected.push(RejectedEntry {
                name: String::from_utf8_lossy(name).into_owned(),
                reason: format!("duplicate name: stored {count} times; no copy is read"),
            });
        }
    }

    let mut candidates: Vec<(String, PlannedEntry)> = Vec::new();
    // (start, end, candidate index) of each entry's header + data, to find overlaps.
    let mut spans: Vec<(u64, u64, usize)> = Vec::new();
    let mut declared_total: u64 = 0;
    let count = archive.len();
    if count > limits.max_entries {
        problems.push(Problem::whole(
            Severity::Error,
            format!(
                "{count} entries, more than the cap of {}: the rest are not read",
                limits.max_entries
            ),
        ));
    }
    // Reading local headers needs `&mut`; the clones handed to readers come from `archive`.
    let mut lister = archive.clone();
    for index in 0..count.min(limits.max_entries) {
        let entry = match lister.by_index_raw(index) {
            Ok(f) => f,
            Err(e) => {
                let name = archive
                    .name_for_index(index)
                    .and_then(Result::ok)
                    .map(|n| n.into_owned())
                    .unwrap_or_else(|| format!("#{index}"));
                rejected.push(RejectedEntry {
                    name,
                    reason: format!("unreadable header: {e}"),
                });
                continue;
            }
        };
        let raw = match entry.name() {
            Ok(n) => n.into_owned(),
            Err(e) => {
                rejected.push(RejectedEntry {
                    name: String::from_utf8_lossy(entry.name_raw()).into_owned(),
                    reason: format!("undecodable name: {e}"),
                });
                continue;
            }
        };
        if raw_counts.get(entry.name_raw()).copied().unwrap_or(0) > 1 {
            continue; // rejected above, once per name
        }
        if entry.is_symlink() {
            rejected.push(RejectedEntry {
                name: raw,
                reason: "symbolic link (never followed)".into(),
            });
            continue;
        }
        if entry.is_dir() {
            continue;
        }
        let reject = |reason: String| RejectedEntry {
            name: raw.clone(),
            reason,
        };
        let normalized = match normalize_entry_name(&raw) {
            Ok(p) => p,
            Err(why) => {
                rejected.push(reject(why));
                continue;
            }
        };
        if entry.encrypted() {
            rejected.push(reject("encrypted (no password support)".into()));
            continue;
        }
        if !supported(entry.compression()) {
            rejected.push(reject(format!(
                "compression method {} is not supported",
                entry.compression()
            )));
            continue;
        }
        let size = entry.size();
        let compressed = entry.compressed_size();
        if let Some(why) = local_header_disagreement(
            &file,
            entry.header_start(),
            entry.name_raw(),
            entry.crc32(),
            compressed,
            size,
        ) {
            rejected.push(reject(format!(
                "local header and central directory disagree: {why} (ambiguous zip: other tools may read a different file)"
            )));
            continue;
        }
        let data_end = entry
            .data_start()
            .unwrap_or(entry.header_start())
            .saturating_add(compressed);
        if data_end > file.len() {
            rejected.push(reject(format!(
                "its {compressed} bytes of compressed data would run {} bytes past the end of the file (size lie or truncated zip)",
                data_end - file.len()
            )));
            continue;
        }
        if size > limits.max_entry_bytes {
            rejected.push(reject(format!(
                "declares {size} bytes uncompressed, more than the cap of {} per entry (possible zip bomb)",
                limits.max_entry_bytes
            )));
            continue;
        }
        if size > limits.ratio_floor_bytes && size > compressed.saturating_mul(limits.max_ratio) {
            rejected.push(reject(format!(
                "compression ratio {}:1 above the cap of {}:1 (possible zip bomb)",
                size / compressed.max(1),
                limits.max_ratio
            )));
            continue;
        }
        declared_total = declared_total.saturating_add(size);
        if declared_total > limits.max_total_bytes {
            rejected.push(reject(format!(
                "the input's declared total exceeds the cap of {} bytes",
                limits.max_total_bytes
            )));
            continue;
        }
        let start = entry.header_start();
        let end = entry.data_start().unwrap_or(start).saturating_add(compressed);
        spans.push((start, end, candidates.len()));
        candidates.push((
            raw,
            PlannedEntry {
                path: normalized,
                declared_size: size,
                listed: None,
                source: EntrySource::Zip {
                    archive: archive.clone(),
                    index,
                    compressed,
                },
            },
        ));
    }

    // Overlapping entries: the same compressed bytes counted many times.
    spans.sort_unstable();
    let mut overlapping = vec![false; candidates.len()];
    let mut reach: Option<(u64, usize)> = None;
    for &(start, end, i) in &spans {
        if let Some((reach_end, j)) = reach
            && start < reach_end
        {
            overlapping[i] = true;
            overlapping[j] = true;
        }
        if reach.is_none_or(|(reach_end, _)| end > reach_end) {
            reach = Some((end, i));
        }
    }
    let mut kept = Vec::new();
    for ((raw, e), overlaps) in candidates.into_iter().zip(overlapping) {
        if overlaps {
            rejected.push(RejectedEntry {
                name: raw,
                reason: "its bytes overlap another entry's (overlapping-files zip bomb or corrupt zip)"
                    .into(),
            });
        } else {
            kept.push((raw, e));
        }
    }
    let mut entries = reject_duplicates(kept, &mut rejected);
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    rejected.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(OpenedInput {
        label,
        container: Container::Zip,
        layout: Layout::single_file(),
        manifest: None,
        entries,
        rejected,
        problems,
        budget,
    })
}

/// Reads a zip whose central directory is unreadable by walking its local headers from the
/// start, recovering entries until the data ends or breaks.
fn recover_stream(
    path: &Path,
    label: Arc<str>,
    limits: &Limits,
    budget: Arc<Budget>,
    why: String,
) -> Result<OpenedInput, InputError> {
    let file = File::open(path).map_err(|source| InputError::Io {
        path: label.to_string(),
        source,
    })?;
    let mut reader = BufReader::new(file);
    let mut problems = vec![Problem::whole(
        Severity::Error,
        format!(
            "zip central directory unreadable ({why}): entries recovered by scanning local headers; symlink flags cannot be checked"
        ),
    )];
    let mut rejected = Vec::new();
    let mut kept: Vec<(String, PlannedEntry)> = Vec::new();
    loop {
        if kept.len() + rejected.len() >= limits.max_entries {
            problems.push(Problem::whole(
                Severity::Error,
                format!("more than {} entries: the rest are not read", limits.max_entries),
            ));
            break;
        }
        let mut entry = match zip::read::read_zipfile_from_stream(&mut reader) {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                problems.push(Problem::whole(
                    Severity::Error,
                    format!(
                        "zip data ends or is damaged after {} recovered entries: {e}",
                        kept.len()
                    ),
                ));
                break;
            }
        };
        let raw = match entry.name() {
            Ok(n) => n.into_owned(),
            Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
        };
        if entry.is_dir() {
            continue;
        }
        let normalized = match normalize_entry_name(&raw) {
            Ok(p) => p,
            Err(why) => {
                rejected.push(RejectedEntry {
                    name: raw,
                    reason: why,
                });
                continue;
            }
        };
        if entry.encrypted() || !supported(entry.compression()) {
            rejected.push(RejectedEntry {
                name: raw,
                reason: "encrypted or unsupported compression".into(),
            });
            continue;
        }
        let compressed = entry.compressed_size();
        let ratio_limit = compressed
            .saturating_mul(limits.max_ratio)
            .max(limits.ratio_floor_bytes);
        let read = read_capped(
            &mut entry,
            0,
            limits.max_entry_bytes,
            &budget,
            limits.max_total_bytes,
            // Sizes may be unknown in local headers (data descriptor): ratio only when known.
            (compressed > 0).then_some((ratio_limit, limits.max_ratio)),
        );
        match read {
            Ok(bytes) => kept.push((
                raw,
                PlannedEntry {
                    path: normalized,
                    declared_size: bytes.len() as u64,
                    listed: None,
                    source: EntrySource::Memory(Arc::new(bytes)),
                },
            )),
            Err(e) => {
                let reason = match e {
                    super::ReadError::Io(msg) => format!("data truncated or damaged: {msg}"),
                    other => other.to_string(),
                };
                problems.push(Problem::whole(
                    Severity::Error,
                    format!("recovery stopped at entry {raw:?}; later entries are not read"),
                ));
                rejected.push(RejectedEntry { name: raw, reason });
                // Going on would mean decompressing the rest of this entry (over a cap) or
                // guessing where the next header is (damaged data): stop here.
                break;
            }
        }
    }
    if kept.is_empty() && rejected.is_empty() {
        return Err(InputError::BadZip {
            path: label.to_string(),
            message: why,
        });
    }
    let mut entries = reject_duplicates(kept, &mut rejected);
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(OpenedInput {
        label,
        container: Container::Zip,
        layout: Layout::single_file(),
        manifest: None,
        entries,
        rejected,
        problems,
        budget,
    })
}
