//! Folder inputs (an unzipped bundle or MSRD-Collect result, or loose files).
//!
//! Symbolic links (and junctions, which Rust reports as symlinks on Windows) are never
//! followed: a link inside a ticket folder could point anywhere on the analyst's machine.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::limits::{Budget, Limits};
use super::{
    Container, EntrySource, InputError, Layout, OpenedInput, PlannedEntry, RejectedEntry, reject_duplicates,
};
use rdpdiag_evtx::model::{Problem, Severity};

/// Lists a folder recursively.
pub(crate) fn open_dir(
    root: &Path,
    label: Arc<str>,
    limits: &Limits,
    budget: Arc<Budget>,
) -> Result<OpenedInput, InputError> {
    let mut problems = Vec::new();
    let mut rejected = Vec::new();
    let mut found: Vec<(String, PlannedEntry)> = Vec::new();
    let mut stack: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
    let mut over_cap = false;
    // The root itself must be readable; below it, unreadable folders are reported and skipped.
    std::fs::read_dir(root).map_err(|source| InputError::Io {
        path: label.to_string(),
        source,
    })?;
    while let Some((dir, rel, depth)) = stack.pop() {
        let read = match std::fs::read_dir(&dir) {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem::whole(
                    Severity::Error,
                    format!("folder {rel:?} unreadable: {e}"),
                ));
                continue;
            }
        };
        for item in read {
            let item = match item {
                Ok(i) => i,
                Err(e) => {
                    problems.push(Problem::whole(
                        Severity::Error,
                        format!("listing {rel:?} failed: {e}"),
                    ));
                    continue;
                }
            };
            let name = item.file_name().to_string_lossy().into_owned();
            let child = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let meta = match std::fs::symlink_metadata(item.path()) {
                Ok(m) => m,
                Err(e) => {
                    rejected.push(RejectedEntry {
                        name: child,
                        reason: format!("unreadable: {e}"),
                    });
                    continue;
                }
            };
            let ft = meta.file_type();
            if ft.is_symlink() {
                rejected.push(RejectedEntry {
                    name: child,
                    reason: "symbolic link (never followed)".into(),
                });
            } else if ft.is_dir() {
                if depth + 1 > limits.max_depth {
                    rejected.push(RejectedEntry {
                        name: child,
                        reason: format!("folder nested deeper than {} levels", limits.max_depth),
                    });
                } else {
                    stack.push((item.path(), child, depth + 1));
                }
            } else if ft.is_file() {
                if found.len() >= limits.max_entries {
                    over_cap = true;
                    continue;
                }
                if meta.len() > limits.max_entry_bytes {
                    rejected.push(RejectedEntry {
                        name: child,
                        reason: format!(
                            "{} bytes, more than the cap of {} per entry",
                            meta.len(),
                            limits.max_entry_bytes
                        ),
                    });
                    continue;
                }
                found.push((
                    child.clone(),
                    PlannedEntry {
                        path: child,
                        declared_size: meta.len(),
                        listed: None,
                        source: EntrySource::File(item.path()),
                    },
                ));
            } else {
                rejected.push(RejectedEntry {
                    name: child,
                    reason: "not a regular file (device, pipe or socket)".into(),
                });
            }
        }
    }
    if over_cap {
        problems.push(Problem::whole(
            Severity::Error,
            format!("more than {} files: the rest are not read", limits.max_entries),
        ));
    }
    let mut entries = reject_duplicates(found, &mut rejected);
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    rejected.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(OpenedInput {
        label,
        container: Container::Dir,
        layout: Layout::single_file(),
        manifest: None,
        entries,
        rejected,
        problems,
        budget,
    })
}
