//! Finding tickets in the inputs, naming them stably, assigning them to shards, and turning one
//! ticket into the analyzer's inputs (opening a zip of bundle zips safely).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rdpdiag_schemas::report::ReportProblem;

use rdpdiag_input::ticket::{folder_is_one_input, has_ext, ticket_inputs, zip_magic};
use rdpdiag_input::{LayoutKind, Limits};

/// One ticket: a folder or zip holding one or more inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRef {
    /// Stable id: the path relative to the INPUT folder it was found in (`/`-separated), or
    /// the file name of a ticket given directly.
    pub id: String,
    /// Where it is.
    pub path: PathBuf,
    /// Why it cannot be analysed at all (symlink, duplicate id), found while listing.
    pub problem: Option<String>,
}

/// What the inputs hold.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// Tickets, in input order and by name within a folder.
    pub tickets: Vec<TicketRef>,
    /// Entries of input folders that are not tickets (loose files that are not zips).
    pub not_tickets: u64,
}

/// Why the inputs cannot be listed (a usage error: nothing is processed).
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// An INPUT does not exist or cannot be read.
    #[error("{path}: {source}")]
    Input {
        /// The input.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The output folder lies inside a ticket (its files would become part of the ticket).
    #[error(
        "the output folder {out} lies inside the input {input}; put it elsewhere or directly in the folder of tickets"
    )]
    OutputInsideInput {
        /// Output folder.
        out: String,
        /// Input.
        input: String,
    },
}

/// 64-bit FNV-1a: small, stable across versions and platforms (unlike `std`'s hasher).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Shard `index` of `count`: owns the tickets whose id hashes to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K, 0-based.
    pub index: u32,
    /// N, at least 1.
    pub count: u32,
}

impl Shard {
    /// The whole batch as one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether this shard processes the ticket `id` (FNV-1a of the id, modulo N).
    pub fn owns(&self, id: &str) -> bool {
        fnv1a64(id.as_bytes()) % u64::from(self.count.max(1)) == u64::from(self.index)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?}: expected K/N, e.g. 0/4"))?;
        let index: u32 = k
            .trim()
            .parse()
            .map_err(|_| format!("{s:?}: K is not a number"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("{s:?}: N is not a number"))?;
        if count == 0 || count > 100_000 {
            return Err(format!("{s:?}: N must be 1..=100000"));
        }
        if index >= count {
            return Err(format!("{s:?}: K must be below N (shards are 0..N-1)"));
        }
        Ok(Shard { index, count })
    }
}

fn display_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Lists the tickets of `inputs`. A folder INPUT is a folder of tickets (each subfolder or zip
/// is one) unless it is a ticket by itself (see [`folder_is_one_input`]) or `each_input_is_ticket`;
/// a file INPUT is a ticket. Hidden entries (`.x`, `_x`) and `out_dir` are skipped, symlinks
/// are not followed (they become failed tickets), and a second ticket with an id already seen
/// becomes a failed ticket.
pub fn discover(
    inputs: &[PathBuf],
    each_input_is_ticket: bool,
    out_dir: &Path,
) -> Result<Discovery, DiscoverError> {
    let out_canon = out_dir.canonicalize().ok();
    let mut d = Discovery::default();
    for root in inputs {
        let meta = std::fs::metadata(root).map_err(|source| DiscoverError::Input {
            path: root.display().to_string(),
            source,
        })?;
        let root_canon = root.canonicalize().ok();
        let as_folder_of_tickets = meta.is_dir() && !each_input_is_ticket && !folder_is_one_input(root);
        if let (Some(out), Some(r)) = (&out_canon, &root_canon)
            && out.starts_with(r)
            && (!as_folder_of_tickets || out.parent() != Some(r.as_path()))
        {
            return Err(DiscoverError::OutputInsideInput {
                out: out_dir.display().to_string(),
                input: root.display().to_string(),
            });
        }
        if !as_folder_of_tickets {
            d.tickets.push(TicketRef {
                id: display_name(root),
                path: root.clone(),
                problem: None,
            });
            continue;
        }
        let mut children: Vec<PathBuf> = std::fs::read_dir(root)
            .map_err(|source| DiscoverError::Input {
                path: root.display().to_string(),
                source,
            })?
            .flatten()
            .map(|e| e.path())
            .collect();
        children.sort();
        for child in children {
            let name = display_name(&child);
            if name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            if out_canon.is_some() && child.canonicalize().ok() == out_canon {
                continue;
            }
            let Ok(lmeta) = std::fs::symlink_metadata(&child) else {
                continue;
            };
            let problem = if lmeta.is_symlink() {
                Some("symbolic link: not followed (it could point anywhere on this machine)".to_string())
            } else if lmeta.is_dir() || (lmeta.is_file() && (has_ext(&child, &["zip"]) || zip_magic(&child)))
            {
                None
            } else {
                d.not_tickets += 1;
                continue;
            };
            d.tickets.push(TicketRef {
                id: name,
                path: child,
                problem,
            });
        }
    }
    let mut seen = std::collections::HashMap::<String, PathBuf>::new();
    for t in &mut d.tickets {
        match seen.get(&t.id) {
            Some(first) if t.problem.is_none() => {
                t.problem = Some(format!(
                    "duplicate ticket id {:?}: also {}; only the first is analysed",
                    t.id,
                    first.display()
                ));
            }
            Some(_) => {}
            None => {
                seen.insert(t.id.clone(), t.path.clone());
            }
        }
    }
    Ok(d)
}

/// A temporary folder under `OUTDIR/.work/` removed when dropped (also on panic).
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A ticket made ready for the analyzer.
#[derive(Debug)]
pub struct Prepared {
    /// Paths to hand to `analyze`.
    pub inputs: Vec<PathBuf>,
    /// Problems met while opening an outer zip that is not itself handed on.
    pub problems: Vec<ReportProblem>,
    /// (extracted file, name to show) for zips taken out of a ticket zip.
    pub shown_as: Vec<(String, String)>,
    /// Holds the extracted zips until the ticket is done.
    pub work: Option<WorkDir>,
}

impl Prepared {
    /// `text` with extracted paths replaced by `TICKET.zip!/inner.zip`.
    pub fn show(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (tmp, shown) in &self.shown_as {
            if out.contains(tmp.as_str()) {
                out = out.replace(tmp.as_str(), shown);
            }
        }
        out
    }
}

/// File name safe for our own work folder: ASCII letters, digits, `.`, `-`, `_`; at most 80.
fn safe_file_name(entry_path: &str) -> String {
    let base = entry_path.rsplit('/').next().unwrap_or(entry_path);
    let mut s: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, 'x');
    }
    s
}

/// Turns a ticket into analyzer inputs. The analyzer does not open zips inside zips (nested
/// archives multiply zip bombs), but a ticket is often a zip of the client and server bundle
/// zips: such inner zips are vetted and read by the analyzer's own zip reader (names checked
/// against zip slip, sizes and ratios capped, duplicates rejected) and written under
/// `work_root` (inside OUTDIR) with names we make up, never the stored ones. One level only.
pub fn prepare(ticket: &TicketRef, work_root: &Path, limits: &Limits) -> Prepared {
    let mut p = Prepared {
        inputs: Vec::new(),
        problems: Vec::new(),
        shown_as: Vec::new(),
        work: None,
    };
    let expanded = ticket_inputs(std::slice::from_ref(&ticket.path));
    let mut any_nested = false;
    let mut inputs = Vec::new();
    for path in expanded {
        if !(path.is_file() && zip_magic(&path)) {
            inputs.push(path);
            continue;
        }
        let opened = match rdpdiag_input::open_input(&path, limits) {
            Ok(o) if o.layout.kind != LayoutKind::Bundle => o,
            // A bundle, or unopenable: the analyzer reads (or reports) it as it is.
            _ => {
                inputs.push(path);
                continue;
            }
        };
        let nested: Vec<&rdpdiag_input::PlannedEntry> = opened
            .entries
            .iter()
            .filter(|e| e.path.to_ascii_lowercase().ends_with(".zip"))
            .collect();
        if nested.is_empty() {
            inputs.push(path);
            continue;
        }
        any_nested = true;
        let label = path.display().to_string();
        let loose_logs = opened.entries.iter().any(|e| {
            let l = e.path.to_ascii_lowercase();
            [".evtx", ".reg", ".etl", ".txt", ".log", ".json"]
                .iter()
                .any(|x| l.ends_with(x))
        });
        if loose_logs {
            // The analyzer reads the loose files and reports this zip's own problems.
            inputs.push(path.clone());
        } else {
            for r in &opened.rejected {
                p.problems.push(ReportProblem {
                    input: label.clone(),
                    location: r.name.clone(),
                    severity: "error".into(),
                    message: format!("rejected: {}", r.reason),
                });
            }
            for pr in &opened.problems {
                p.problems.push(ReportProblem {
                    input: label.clone(),
                    location: pr.location.to_string(),
                    severity: pr.severity.to_string(),
                    message: pr.message.clone(),
                });
            }
        }
        for (n, entry) in nested.into_iter().enumerate() {
            let problem = |message: String| ReportProblem {
                input: label.clone(),
                location: entry.path.clone(),
                severity: "error".into(),
                message,
            };
            let bytes = match opened.read_entry(entry, limits) {
                Ok(b) => b,
                Err(e) => {
                    p.problems.push(problem(format!("inner zip not read: {e}")));
                    continue;
                }
            };
            if !(bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")) {
                p.problems
                    .push(problem("named .zip but is not a zip; not read".into()));
                continue;
            }
            if p.work.is_none() {
                let dir = work_root.join(format!("{:016x}", fnv1a64(ticket.id.as_bytes())));
                let _ = std::fs::remove_dir_all(&dir);
                if let Err(e) = std::fs::create_dir_all(&dir) {
                    p.problems.push(problem(format!(
                        "cannot create the work folder {}: {e}",
                        dir.display()
                    )));
                    continue;
                }
                p.work = Some(WorkDir { path: dir });
            }
            let Some(work) = &p.work else { continue };
            let target = work
                .path()
                .join(format!("{n:04}-{}", safe_file_name(&entry.path)));
            if let Err(e) = std::fs::write(&target, &bytes) {
                p.problems.push(problem(format!(
                    "cannot write {} to the work folder: {e}",
                    entry.path
                )));
                continue;
            }
            p.shown_as
                .push((target.display().to_string(), format!("{label}!/{}", entry.path)));
            inputs.push(target);
        }
    }
    // Without nested zips the analyzer expands the ticket itself (expanding twice would split
    // an MSRD-Collect folder into its subfolders).
    p.inputs = if any_nested {
        inputs
    } else {
        vec![ticket.path.clone()]
    };
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn shards_parse_and_partition() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        for bad in ["4/4", "1", "a/2", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        for id in ["T1.zip", "2026/T2", ""] {
            let owners = (0..3).filter(|k| Shard { index: *k, count: 3 }.owns(id)).count();
            assert_eq!(owners, 1, "{id}");
            assert!(Shard::ALL.owns(id));
        }
    }

    #[test]
    fn work_file_names_are_tame() {
        assert_eq!(safe_file_name("a/b/client.zip"), "client.zip");
        assert_eq!(safe_file_name("..\\..\\x y.zip"), "x.._.._x_y.zip");
        assert_eq!(safe_file_name(".hidden.zip"), "x.hidden.zip");
        assert_eq!(safe_file_name(""), "x");
    }
}
