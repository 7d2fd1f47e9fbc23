//! What a ticket is, answered once for `analyze` and `batch`: which paths are one input each
//! (a bundle zip, a bundle folder, an MSRD-Collect result, a folder of loose logs), and which
//! folders are a ticket's folder of such inputs.

use std::io::Read;
use std::path::{Path, PathBuf};

use rdpdiag_schemas::manifest::MANIFEST_FILE;

/// Extensions of files that are logs by themselves: a folder holding one is an ad-hoc
/// collection (one input), whatever else lies beside it.
const LOG_EXTENSIONS: &[&str] = &["evtx", "reg", "etl"];
/// Extensions of command outputs and notes: a folder of only these (and no bundles) is an
/// ad-hoc collection; beside bundles they are a ticket's notes (`notes.txt`, `ticket.json`).
const TEXT_EXTENSIONS: &[&str] = &["txt", "log", "json"];

/// Whether `p`'s extension is one of `exts` (case-insensitive).
pub fn has_ext(p: &Path, exts: &[&str]) -> bool {
    p.extension()
        .is_some_and(|x| exts.iter().any(|e| x.eq_ignore_ascii_case(e)))
}

/// Whether `p` starts like a zip (local file header, or the end record of an empty zip).
pub fn zip_magic(p: &Path) -> bool {
    let mut head = [0u8; 4];
    std::fs::File::open(p)
        .and_then(|mut f| f.read(&mut head))
        .map(|n| head[..n].starts_with(b"PK\x03\x04") || head[..n].starts_with(b"PK\x05\x06"))
        .unwrap_or(false)
}

/// A bundle inside a ticket folder: a zip, or a folder that is not a symlink (symlinks are not
/// followed).
pub fn is_bundle(p: &Path) -> bool {
    let zip = p.is_file() && (has_ext(p, &["zip"]) || zip_magic(p));
    let dir = std::fs::symlink_metadata(p)
        .map(|m| m.is_dir() && !m.is_symlink())
        .unwrap_or(false);
    zip || dir
}

/// A folder that is one input by itself: a bundle folder (it has a manifest), an MSRD-Collect
/// result (by its folder name), or loose logs (an `.evtx`, `.reg` or `.etl` file, or only
/// command outputs and no bundle beside them).
pub fn folder_is_one_input(dir: &Path) -> bool {
    if dir.join(MANIFEST_FILE).is_file() {
        return true;
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.starts_with("MSRD-Results") {
        return true;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        // Unreadable: opening it as one input reports why.
        return true;
    };
    let children: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    let file_with = |exts: &[&str]| children.iter().any(|c| c.is_file() && has_ext(c, exts));
    if file_with(LOG_EXTENSIONS) {
        return true;
    }
    file_with(TEXT_EXTENSIONS) && !children.iter().any(|c| is_bundle(c))
}

/// The inputs of one ticket: a folder that is not one input by itself is a ticket folder and
/// stands for its bundles (sorted by name); every other path is one input.
pub fn ticket_inputs(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() || folder_is_one_input(p) {
            out.push(p.clone());
            continue;
        }
        let mut bundles: Vec<PathBuf> = match std::fs::read_dir(p) {
            Ok(rd) => rd.flatten().map(|e| e.path()).filter(|c| is_bundle(c)).collect(),
            Err(_) => Vec::new(),
        };
        bundles.sort();
        if bundles.is_empty() {
            out.push(p.clone());
        } else {
            out.extend(bundles);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[&str], dirs: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for f in files {
            std::fs::write(d.path().join(f), b"x").unwrap_or_else(|e| panic!("{e}"));
        }
        for s in dirs {
            std::fs::create_dir(d.path().join(s)).unwrap_or_else(|e| panic!("{e}"));
        }
        d
    }

    #[test]
    fn loose_logs_are_one_input_and_bundles_with_notes_are_a_ticket() {
        let logs = dir_with(&["System.evtx", "notes.txt"], &[]);
        assert!(folder_is_one_input(logs.path()));
        let outputs = dir_with(&["Netstat.txt", "Ipconfig.txt"], &[]);
        assert!(folder_is_one_input(outputs.path()));
        let ticket = dir_with(&["client.zip", "notes.txt"], &["server-bundle"]);
        assert!(!folder_is_one_input(ticket.path()));
        let inputs = ticket_inputs(&[ticket.path().to_path_buf()]);
        assert_eq!(
            inputs,
            vec![
                ticket.path().join("client.zip"),
                ticket.path().join("server-bundle")
            ]
        );
        let bundle = dir_with(&[MANIFEST_FILE], &["evtx"]);
        assert!(folder_is_one_input(bundle.path()));
    }
}
