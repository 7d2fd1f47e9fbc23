//! Raw registry hives (SYSTEM, SOFTWARE, NTUSER.DAT) read with the `notatin` crate, with their
//! transaction logs (`.LOG1`/`.LOG2`) replayed: a hive copied from a live system is usually
//! dirty, and its most recent changes (a changed port, a new certificate hash) are only in the
//! logs.
//!
//! `notatin` is not written for hostile input (it has `expect`s on paths a damaged file can
//! reach), so every call runs under `catch_unwind` and a panic becomes a [`HiveError`]. Keys can
//! be limited to the subtrees the facts need ([`HiveOptions::include`]): a SOFTWARE hive has
//! hundreds of thousands of keys, the facts need a few hundred.

use std::collections::HashSet;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use notatin::cell_key_node::CellKeyNode;
use notatin::parser::Parser;
use notatin::parser_builder::ParserBuilder;
use serde::Serialize;

use rdpdiag_schemas::registry_interest::segment_matches;

use super::RegData;
use super::tree::{Origin, Registry};

/// Size of the base block (`regf` header).
const BASE_BLOCK_LEN: usize = 4096;

/// Which hive a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HiveKind {
    /// `SYSTEM` (mounted at `HKLM\SYSTEM`).
    System,
    /// `SOFTWARE` (mounted at `HKLM\SOFTWARE`).
    Software,
    /// A user's `NTUSER.DAT` (mounted at `HKCU`).
    NtUser,
    /// A user's `UsrClass.dat`.
    UsrClass,
    /// `SAM`.
    Sam,
    /// `SECURITY`.
    Security,
    /// Not recognised.
    Unknown,
}

impl HiveKind {
    /// Where the hive appears in the registry of a running system.
    pub fn mount_point(self) -> Option<&'static str> {
        match self {
            HiveKind::System => Some(r"HKLM\SYSTEM"),
            HiveKind::Software => Some(r"HKLM\SOFTWARE"),
            HiveKind::NtUser => Some("HKCU"),
            HiveKind::UsrClass => Some(r"HKCU\Software\Classes"),
            HiveKind::Sam => Some(r"HKLM\SAM"),
            HiveKind::Security => Some(r"HKLM\SECURITY"),
            HiveKind::Unknown => None,
        }
    }
}

/// What to read.
#[derive(Debug, Clone)]
pub struct HiveOptions {
    /// Key path patterns relative to the hive root (`\`-separated, case-insensitive; a segment
    /// `*` matches any name, `CurrentControlSet` matches every `ControlSetNNN`). Keys under a
    /// pattern and the ancestors of patterns are read; `None` reads everything.
    pub include: Option<Vec<String>>,
    /// Single keys (same pattern syntax) read with their values but without their subtrees;
    /// used only when `include` is set.
    pub include_keys: Vec<String>,
    /// Most keys read; the rest is dropped and noted.
    pub max_keys: usize,
}

impl Default for HiveOptions {
    fn default() -> Self {
        HiveOptions {
            include: None,
            include_keys: Vec::new(),
            max_keys: 1_000_000,
        }
    }
}

/// One key of a hive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HiveKey {
    /// Path relative to the root key (`""` for the root), `\`-separated, names as stored.
    pub path: String,
    /// Values in stored order.
    pub values: Vec<(String, RegData)>,
}

/// What was read from a hive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HiveContents {
    /// Which hive it is.
    pub kind: HiveKind,
    /// File name stored in the base block (e.g. `\SystemRoot\System32\Config\SAM`; often cut).
    pub embedded_name: String,
    /// Name of the root key.
    pub root_name: String,
    /// The base block's sequence numbers differ: the hive needed its transaction logs.
    pub dirty: bool,
    /// Transaction logs given.
    pub logs_given: usize,
    /// Keys read (pre-order).
    pub keys: Vec<HiveKey>,
    /// Keys not read because of [`HiveOptions::max_keys`].
    pub keys_dropped: u64,
    /// What `notatin` and this reader had to say (recovery steps, damaged cells).
    pub notes: Vec<String>,
    /// Why the transaction logs given could not be applied (the hive was then read without
    /// them, and `notes` says so); for readers that word it their own way (the collector's
    /// `--redact`).
    #[serde(skip)]
    pub logs_error: Option<HiveError>,
}

/// Why a hive could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HiveError {
    /// Not a `regf` file or shorter than its base block.
    #[error("not a registry hive: {0}")]
    NotAHive(String),
    /// `notatin` refused the file.
    #[error("hive could not be parsed: {0}")]
    Parse(String),
    /// `notatin` panicked on the file (damaged structure it does not guard against).
    #[error("hive is damaged (the hive reader stopped on it: {0})")]
    Damaged(String),
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .unwrap_or(0)
}

/// The file name stored at offset 0x30 of the base block (64 bytes of UTF-16LE).
pub fn embedded_name(primary: &[u8]) -> String {
    primary.get(0x30..0x70).map(super::utf16z).unwrap_or_default()
}

/// The hive a file name names (`SYSTEM`, `software.hiv`, `C:\Users\x\NTUSER.DAT`, a cut
/// embedded name ...): the base name before its first dot, case-insensitively.
pub fn kind_of_file_name(name: &str) -> Option<HiveKind> {
    let n = name.to_ascii_lowercase();
    let base = n.rsplit(['\\', '/']).next().unwrap_or(&n);
    match base.split('.').next().unwrap_or("") {
        "system" => Some(HiveKind::System),
        "software" => Some(HiveKind::Software),
        "ntuser" => Some(HiveKind::NtUser),
        "usrclass" => Some(HiveKind::UsrClass),
        "sam" => Some(HiveKind::Sam),
        "security" => Some(HiveKind::Security),
        _ => None,
    }
}

/// The hive its top-level key names show: `Select` and `ControlSetNNN` are SYSTEM,
/// `Microsoft` with `Classes` or `Policies` (and no `Control Panel`) SOFTWARE, `Control Panel`
/// or `Environment` a user's NTUSER.DAT.
pub fn kind_of_top_level_keys(top_level: &[String]) -> Option<HiveKind> {
    let has = |n: &str| top_level.iter().any(|t| t.eq_ignore_ascii_case(n));
    if has("Select")
        && top_level
            .iter()
            .any(|t| t.to_ascii_lowercase().starts_with("controlset"))
    {
        return Some(HiveKind::System);
    }
    if has("Microsoft") && (has("Classes") || has("Policies")) && !has("Control Panel") {
        return Some(HiveKind::Software);
    }
    if has("Control Panel") || has("Environment") {
        return Some(HiveKind::NtUser);
    }
    None
}

/// Recognises a hive from its embedded name, its file name, and the names of its top-level keys.
pub fn detect_kind(embedded: &str, file_name: &str, top_level: &[String]) -> HiveKind {
    kind_of_file_name(embedded)
        .or_else(|| kind_of_top_level_keys(top_level))
        .or_else(|| kind_of_file_name(file_name))
        .unwrap_or(HiveKind::Unknown)
}

/// Whether a key at `rel` (segments) is wanted: under a subtree pattern, or an ancestor of one,
/// or a single-key pattern or an ancestor of one.
fn wanted(patterns: &[Vec<String>], singles: &[Vec<String>], rel: &[String]) -> bool {
    let prefix_match = |p: &Vec<String>| {
        let n = p.len().min(rel.len());
        p.iter()
            .zip(rel.iter())
            .take(n)
            .all(|(a, b)| segment_matches(a, b))
    };
    patterns.iter().any(prefix_match) || singles.iter().any(|p| rel.len() <= p.len() && prefix_match(p))
}

fn split_patterns(ps: &[String]) -> Vec<Vec<String>> {
    ps.iter()
        .map(|p| {
            p.split('\\')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Reads a hive and its transaction logs. `file_name` helps recognise the kind.
pub fn read_hive(
    primary: &[u8],
    logs: &[&[u8]],
    file_name: &str,
    opts: &HiveOptions,
) -> Result<HiveContents, HiveError> {
    read_hive_with(primary, logs, file_name, |_, _| opts.clone())
}

/// [`read_hive`] with the options chosen once the hive is open: `options_for` gets the kind
/// [`detect_kind`] found and the names of the top-level keys (so that a reader that tells
/// hives apart its own way, such as the collector's `--redact`, walks only the keys it keeps).
pub fn read_hive_with(
    primary: &[u8],
    logs: &[&[u8]],
    file_name: &str,
    options_for: impl FnOnce(HiveKind, &[String]) -> HiveOptions,
) -> Result<HiveContents, HiveError> {
    if primary.len() < BASE_BLOCK_LEN + 32 {
        return Err(HiveError::NotAHive(format!(
            "{} bytes, shorter than a base block and one hive bin",
            primary.len()
        )));
    }
    if !primary.starts_with(b"regf") {
        return Err(HiveError::NotAHive("no `regf` signature".into()));
    }
    let dirty = u32_at(primary, 4) != u32_at(primary, 8);
    let embedded = embedded_name(primary);
    let mut notes = Vec::new();
    let bins = u32_at(primary, 0x28) as usize;
    if BASE_BLOCK_LEN.saturating_add(bins) > primary.len() {
        notes.push(format!(
            "the file is truncated: the base block declares {bins} bytes of hive bins, the file holds {}",
            primary.len() - BASE_BLOCK_LEN
        ));
    }

    let build = |with_logs: bool| -> Result<Parser, HiveError> {
        let primary = primary.to_vec();
        let logs: Vec<Vec<u8>> = if with_logs {
            logs.iter().map(|l| l.to_vec()).collect()
        } else {
            Vec::new()
        };
        let result = catch_unwind(AssertUnwindSafe(move || {
            let mut b = ParserBuilder::from_file(Cursor::new(primary));
            b.recover_deleted(false);
            for l in logs {
                b.with_transaction_log(Cursor::new(l));
            }
            b.build()
        }));
        match result {
            Ok(Ok(p)) => Ok(p),
            Ok(Err(e)) => Err(HiveError::Parse(e.to_string())),
            Err(p) => Err(HiveError::Damaged(panic_text(p.as_ref()))),
        }
    };
    let mut logs_error = None;
    let parser = if logs.is_empty() {
        if dirty {
            notes.push(
                "the hive is dirty (it was copied while in use) and no transaction logs were given: recent changes may be missing".into(),
            );
        }
        build(false)?
    } else {
        match build(true) {
            Ok(p) => p,
            Err(e) => {
                notes.push(format!(
                    "the transaction logs could not be applied ({e}); the hive was read without them"
                ));
                logs_error = Some(e);
                build(false)?
            }
        }
    };
    let walked = catch_unwind(AssertUnwindSafe(move || {
        walk(parser, &embedded, file_name, options_for)
    }));
    let mut contents = match walked {
        Ok(r) => r?,
        Err(p) => return Err(HiveError::Damaged(panic_text(p.as_ref()))),
    };
    contents.dirty = dirty;
    contents.logs_given = logs.len();
    contents.logs_error = logs_error;
    notes.append(&mut contents.notes);
    contents.notes = notes;
    Ok(contents)
}

fn walk(
    mut parser: Parser,
    embedded: &str,
    file_name: &str,
    options_for: impl FnOnce(HiveKind, &[String]) -> HiveOptions,
) -> Result<HiveContents, HiveError> {
    let mut notes: Vec<String> = Vec::new();
    if let Some(logs) = parser.get_parse_logs().get() {
        for l in logs.iter().take(32) {
            notes.push(format!("{:?}: {}", l.code, l.text));
        }
    }
    let mut root = parser
        .get_root_key()
        .map_err(|e| HiveError::Parse(e.to_string()))?
        .ok_or_else(|| HiveError::Parse("no root key".into()))?;
    let root_name = root.key_name.clone();
    let top: Vec<CellKeyNode> = if root.detail.number_of_sub_keys() > 0 {
        root.read_sub_keys(&mut parser)
    } else {
        Vec::new()
    };
    let declared = root.detail.number_of_sub_keys() as usize;
    if top.len() < declared {
        notes.push(format!(
            "root key: {declared} subkeys declared, {} readable (damaged subkey list or key cells)",
            top.len()
        ));
    }
    let top_names: Vec<String> = top
        .iter()
        .filter(|k| !k.cell_state.is_deleted())
        .map(|k| k.key_name.clone())
        .collect();
    let kind = detect_kind(embedded, file_name, &top_names);
    let opts = &options_for(kind, &top_names);
    let patterns: Option<Vec<Vec<String>>> = opts.include.as_deref().map(split_patterns);
    let singles = split_patterns(&opts.include_keys);

    let mut keys = vec![HiveKey {
        path: String::new(),
        values: values_of(&root),
    }];
    let mut dropped: u64 = 0;
    let mut seen: HashSet<usize> = HashSet::new();
    seen.insert(root.file_offset_absolute);
    let mut stack: Vec<(CellKeyNode, Vec<String>)> = Vec::new();
    for k in top.into_iter().rev() {
        stack.push((k, Vec::new()));
    }
    while let Some((mut node, parent)) = stack.pop() {
        if node.cell_state.is_deleted() || !seen.insert(node.file_offset_absolute) {
            continue;
        }
        let mut rel = parent;
        rel.push(node.key_name.clone());
        if let Some(p) = &patterns
            && !wanted(p, &singles, &rel)
        {
            continue;
        }
        if keys.len() >= opts.max_keys {
            dropped += 1;
            continue;
        }
        keys.push(HiveKey {
            path: rel.join("\\"),
            values: values_of(&node),
        });
        if node.detail.number_of_sub_keys() > 0 {
            let children = node.read_sub_keys(&mut parser);
            let declared = node.detail.number_of_sub_keys() as usize;
            if children.len() < declared && notes.len() < 64 {
                notes.push(format!(
                    "{}: {declared} subkeys declared, {} readable (damaged subkey list or key cells)",
                    rel.join("\\"),
                    children.len()
                ));
            }
            if node.logs.has_logs()
                && notes.len() < 64
                && let Some(l) = node.logs.get()
            {
                for entry in l.iter().take(4) {
                    notes.push(format!("{}: {}", rel.join("\\"), entry.text));
                }
            }
            for c in children.into_iter().rev() {
                stack.push((c, rel.clone()));
            }
        }
    }
    if dropped > 0 {
        notes.push(format!(
            "{dropped} keys beyond the {}-key cap were not read",
            opts.max_keys
        ));
    }
    Ok(HiveContents {
        kind,
        embedded_name: embedded.to_string(),
        root_name,
        dirty: false,
        logs_given: 0,
        keys,
        keys_dropped: dropped,
        notes,
        logs_error: None,
    })
}

fn values_of(node: &CellKeyNode) -> Vec<(String, RegData)> {
    node.value_iter()
        .filter(|v| !v.cell_state.is_deleted())
        .map(|v| {
            let raw = v.detail.data_type_raw();
            // Device-property values carry flags in the high bits.
            let kind = if raw > 0xFFFF { raw & 0xFFF } else { raw };
            let bytes = v.detail.value_bytes().unwrap_or_default();
            (v.detail.value_name(), RegData::from_raw(kind, &bytes))
        })
        .collect()
}

impl HiveContents {
    /// Copies the keys into `registry` under `mount` (e.g. `HKLM\SYSTEM`).
    pub fn apply(&self, registry: &mut Registry, artifact: &Arc<str>, mount: &str) {
        let origin = Origin {
            artifact: artifact.clone(),
            line: None,
        };
        for k in &self.keys {
            let path = if k.path.is_empty() {
                mount.to_string()
            } else {
                format!("{mount}\\{}", k.path)
            };
            registry.ensure_key(&path, &origin);
            for (name, data) in &k.values {
                registry.set_value(&path, name, data.clone(), &origin);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let p = vec![vec!["CurrentControlSet".to_string(), "Control".to_string()]];
        let seg = |s: &str| s.split('\\').map(str::to_string).collect::<Vec<_>>();
        let one = vec![vec!["Setup".to_string()]];
        assert!(wanted(&p, &[], &seg("ControlSet001")));
        assert!(wanted(&p, &[], &seg(r"ControlSet002\Control\Terminal Server")));
        assert!(!wanted(&p, &[], &seg(r"ControlSet001\Services")));
        assert!(!wanted(&p, &[], &seg("Setup")));
        assert!(wanted(&p, &one, &seg("Setup")));
        assert!(!wanted(&p, &one, &seg(r"Setup\Sub")));
    }

    #[test]
    fn kinds_from_names_and_top_level_keys() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            kind_of_file_name(r"C:\Users\x\NTUSER.DAT"),
            Some(HiveKind::NtUser)
        );
        assert_eq!(kind_of_file_name("registry/SYSTEM.LOG1"), Some(HiveKind::System));
        assert_eq!(kind_of_file_name("DEFAULT"), None);
        let system = names(&["ControlSet001", "Select", "Setup"]);
        assert_eq!(kind_of_top_level_keys(&system), Some(HiveKind::System));
        assert_eq!(
            kind_of_top_level_keys(&names(&["Classes", "Microsoft", "Policies"])),
            Some(HiveKind::Software)
        );
        assert_eq!(
            kind_of_top_level_keys(&names(&["AppEvents", "Environment"])),
            Some(HiveKind::NtUser)
        );
        assert_eq!(kind_of_top_level_keys(&names(&["SAM"])), None);
        // The embedded name first, then the keys, then the file name.
        assert_eq!(detect_kind("SOFTWARE", "SYSTEM", &system), HiveKind::Software);
        assert_eq!(detect_kind("", "SOFTWARE", &system), HiveKind::System);
        assert_eq!(detect_kind("", "SOFTWARE", &[]), HiveKind::Software);
        assert_eq!(detect_kind("", "x", &[]), HiveKind::Unknown);
    }

    #[test]
    fn rejects_non_hives() {
        assert!(matches!(
            read_hive(b"regf", &[], "SYSTEM", &HiveOptions::default()),
            Err(HiveError::NotAHive(_))
        ));
        assert!(matches!(
            read_hive(&vec![0u8; 8192], &[], "SYSTEM", &HiveOptions::default()),
            Err(HiveError::NotAHive(_))
        ));
    }
}
