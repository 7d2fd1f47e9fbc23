//! `--redact` for the registry: a hive (with its transaction logs replayed) or a `reg export`
//! file is reduced to the keys and values the analyzer reads
//! (`rdpdiag_schemas::registry_interest`), its personal data replaced by the keyed pseudonyms
//! of [`crate::redact`], and written as a `.reg` file (UTF-16LE with BOM, like `reg export`)
//! with [`crate::reg_export`]. The raw hive and its logs never go into the bundle.
//!
//! Besides what the redactor already knows (host, domain, profile names) the registry names
//! people itself; those names are learned from the kept keys first, so that they are replaced
//! wherever they appear (including inside `hex(2):` data, which a text redaction cannot see):
//! `ProfileList\<SID>\ProfileImagePath` (`C:\Users\<user>`), the client's
//! `Terminal Server Client\Servers\<host>` with its `UsernameHint` (`DOMAIN\user`) and
//! `Default\MRUn` (`host[:port]`). SIDs, addresses and names are then replaced in key names
//! and string values alike.

use rdpdiag_artifacts::registry::hive::{
    HiveError, HiveKind, HiveOptions, kind_of_file_name, kind_of_top_level_keys, read_hive_with,
};
use rdpdiag_schemas::registry_interest::{
    Keep, REGISTRY_INTEREST, Reach, RegistryHive, keep, keep_full_path, split_full_path,
};

use crate::redact::{Category, Counts, Redactor};
use crate::reg_export::{RegData, RegExport, RegKey, RegValue, parse_export_bytes};

/// Size of a hive's base block.
const BASE_BLOCK_LEN: usize = 4096;
/// Largest hive (or transaction log) read to be reduced (a busy server's SOFTWARE hive is a
/// few hundred MB).
pub const MAX_HIVE_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// What the manifest says of the raw hive under `--redact`.
pub const RAW_HIVE_LEFT_OUT: &str = "the raw hive and its transaction logs are left out \
     (they hold user, host and network names the analyzer does not read)";
/// Most keys a reduction keeps (the list needs a few hundred on a busy server).
const MAX_KEYS: usize = 100_000;

/// Why a hive or a `.reg` file could not be reduced (it is then left out, never copied raw).
#[derive(Debug, thiserror::Error)]
pub enum ReduceError {
    /// Not a `regf` file.
    #[error("not a registry hive: {0}")]
    NotAHive(String),
    /// The hive is not one the analyzer reads (SAM, SECURITY, UsrClass, unknown).
    #[error("not a SYSTEM, SOFTWARE or NTUSER.DAT hive (the analyzer reads nothing else): {0}")]
    OtherHive(String),
    /// The hive reader failed or panicked on damaged cells.
    #[error("unreadable hive: {0}")]
    Damaged(String),
    /// The `.reg` file is not text or not `.reg` syntax.
    #[error("unreadable reg export: {0}")]
    RegText(String),
}

/// A reduced registry artifact: [`Reduced::learn_names`] into the bundle's redactor (so that
/// the names are replaced in every artifact), then [`Reduced::redact`], then
/// [`Reduced::to_reg`].
#[derive(Debug, Clone)]
pub struct Reduced {
    /// The kept keys, in file order.
    pub keys: Vec<RegKey>,
    /// Keys read from the input (a hive: keys on the paths of the list only).
    pub keys_in: u64,
    /// Keys written.
    pub keys_out: u64,
    /// Values left out of kept keys (not read by the analyzer).
    pub values_dropped: u64,
    /// What the reader had to say (transaction logs not applied, key cap ...).
    pub notes: Vec<String>,
}

impl Reduced {
    /// The `.reg` file: BOM and UTF-16LE text, as `reg export` writes it.
    pub fn to_reg(&self) -> Vec<u8> {
        RegExport::new(self.keys.clone()).to_utf16le_bytes()
    }

    /// Adds the names the kept keys hold (module comment) to `r`.
    pub fn learn_names(&self, r: &mut Redactor) {
        learn_names(&self.keys, r);
    }

    /// Replaces names, SIDs and addresses in key paths, value names and string data.
    pub fn redact(&mut self, r: &Redactor, counts: &mut Counts) {
        for k in &mut self.keys {
            k.path = r.redact(&k.path, counts);
            for v in &mut k.values {
                v.name = v.name.as_ref().map(|n| r.redact(n, counts));
                redact_data(r, &mut v.data, counts);
            }
        }
    }

    /// Reduced, names learned into a copy of `r`, redacted: for one artifact on its own.
    pub fn redacted_with(mut self, r: &Redactor, counts: &mut Counts) -> Reduced {
        let mut r = r.clone();
        self.learn_names(&mut r);
        self.redact(&r, counts);
        self
    }

    /// One line for the manifest's `method`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "reduced to the keys the analyzer reads ({} of {} keys read, {} other values left out) and redacted",
            self.keys_out, self.keys_in, self.values_dropped
        );
        for n in &self.notes {
            s.push_str("; ");
            s.push_str(n);
        }
        s
    }
}

/// Reduces a hive: `primary` with its transaction logs (`.LOG1`/`.LOG2`) replayed, `file_name`
/// to recognise it. Not redacted yet. The hive is read by the analyzer's reader
/// (`rdpdiag_artifacts::registry::hive`), walking only the keys on the list's paths.
pub fn reduce_hive(primary: &[u8], logs: &[&[u8]], file_name: &str) -> Result<Reduced, ReduceError> {
    if primary.len() < BASE_BLOCK_LEN + 32 || !primary.starts_with(b"regf") {
        return Err(ReduceError::NotAHive(format!(
            "{file_name}: no `regf` base block and hive bin"
        )));
    }
    let mut hive = None;
    let contents = read_hive_with(primary, logs, file_name, |_, top| {
        let found = hive_kind(file_name, top);
        hive = found;
        let paths = |reach: Reach| -> Vec<String> {
            REGISTRY_INTEREST
                .iter()
                .filter(|e| Some(e.hive) == found && e.reach == reach)
                .map(|e| e.path.to_string())
                .collect()
        };
        // The list's subtrees and single keys are exactly the keys `keep` does not drop.
        HiveOptions {
            include: Some(paths(Reach::Subtree)),
            include_keys: paths(Reach::Key),
            // The reader counts the root key, which is not written.
            max_keys: MAX_KEYS + 1,
        }
    })
    .map_err(reduce_error)?;
    let hive = hive.ok_or_else(|| ReduceError::OtherHive(file_name.to_string()))?;
    let mut notes = Vec::new();
    if let Some(e) = contents.logs_error {
        notes.push(format!(
            "the transaction logs could not be applied ({}); read without them",
            reduce_error(e)
        ));
    }
    // The root key comes first; the list keeps none of its values.
    let keys: Vec<RegKey> = contents
        .keys
        .into_iter()
        .skip(1)
        .map(|k| {
            let rel: Vec<&str> = k.path.split('\\').collect();
            let values = match keep(hive, &rel) {
                Keep::Key(_) => k
                    .values
                    .into_iter()
                    .map(|(name, data)| {
                        if name.is_empty() {
                            RegValue::default_value(data.into())
                        } else {
                            RegValue::named(name, data.into())
                        }
                    })
                    .collect(),
                _ => Vec::new(),
            };
            RegKey::new(format!("{}\\{}", hive.export_root(), k.path), values)
        })
        .collect();
    // Past the cap the walk stops at the first key left out (and counts it as read).
    let keys_in = keys.len() as u64 + u64::from(contents.keys_dropped > 0);
    if contents.keys_dropped > 0 {
        notes.push(format!(
            "more than {MAX_KEYS} keys on the list's paths: the rest left out"
        ));
    }
    Ok(finish(keys, keys_in, 0, notes))
}

/// Reduces a `reg export` file (UTF-16LE or UTF-8): keys of other hives and keys and values the
/// analyzer does not read are left out. Not redacted yet.
pub fn reduce_reg_export(bytes: &[u8]) -> Result<Reduced, ReduceError> {
    let export = parse_export_bytes(bytes).map_err(|e| ReduceError::RegText(e.to_string()))?;
    let keys_in = export.keys.len() as u64;
    let mut kept = Vec::new();
    let mut values_dropped = 0u64;
    for mut k in export.keys {
        match keep_full_path(&k.path) {
            Keep::Drop => {}
            Keep::Ancestor => {
                values_dropped += k.values.len() as u64;
                k.values.clear();
                kept.push(k);
            }
            Keep::Key(filter) => {
                let before = k.values.len();
                k.values
                    .retain(|v| filter.keeps(v.name.as_deref().unwrap_or_default()));
                values_dropped += (before - k.values.len()) as u64;
                kept.push(k);
            }
        }
        if kept.len() >= MAX_KEYS {
            break;
        }
    }
    Ok(finish(kept, keys_in, values_dropped, Vec::new()))
}

/// Applies the value filters and counts.
fn finish(mut keys: Vec<RegKey>, keys_in: u64, values_dropped: u64, notes: Vec<String>) -> Reduced {
    let values_dropped = values_dropped + drop_filtered_values(&mut keys);
    let keys_out = keys.len() as u64;
    Reduced {
        keys,
        keys_in,
        keys_out,
        values_dropped,
        notes,
    }
}

/// Applies the value filters to keys that came from a hive walk (already filtered by path).
fn drop_filtered_values(keys: &mut [RegKey]) -> u64 {
    let mut dropped = 0u64;
    for k in keys {
        let before = k.values.len();
        match keep_full_path(&k.path) {
            Keep::Key(filter) => k
                .values
                .retain(|v| filter.keeps(v.name.as_deref().unwrap_or_default())),
            _ => k.values.clear(),
        }
        dropped += (before - k.values.len()) as u64;
    }
    dropped
}

fn redact_data(r: &Redactor, data: &mut RegData, counts: &mut Counts) {
    match data {
        RegData::Sz(s) | RegData::ExpandSz(s) => *s = r.redact(s, counts),
        RegData::MultiSz(list) => {
            for s in list {
                *s = r.redact(s, counts);
            }
        }
        // Numbers, hashes and flags; the list keeps no binary value that names anyone
        // (certificate blobs and ProfileList's binary `Sid` are not kept).
        _ => {}
    }
}

/// Names the registry itself holds (module comment).
fn learn_names(keys: &[RegKey], r: &mut Redactor) {
    for k in keys {
        let Some((hive, rel)) = split_full_path(&k.path) else {
            continue;
        };
        let lower: Vec<String> = rel.iter().map(|s| s.to_ascii_lowercase()).collect();
        let text = |name: &str| {
            k.values.iter().find_map(|v| match (&v.name, &v.data) {
                (Some(n), RegData::Sz(s) | RegData::ExpandSz(s)) if n.eq_ignore_ascii_case(name) => {
                    Some(s.clone())
                }
                _ => None,
            })
        };
        if hive == RegistryHive::Software
            && lower.len() == 5
            && lower[3] == "profilelist"
            && let Some(path) = text("ProfileImagePath")
            && let Some(user) = path.trim_end_matches('\\').rsplit('\\').next()
        {
            r.add_name(user, Category::User);
        }
        let client = lower.iter().position(|s| s == "terminal server client");
        if let Some(c) = client {
            match lower.get(c + 1).map(String::as_str) {
                Some("servers") if lower.len() == c + 3 => {
                    r.add_host(rel[c + 2]);
                    if let Some(hint) = text("UsernameHint") {
                        add_user(r, &hint);
                    }
                }
                Some("default") if lower.len() == c + 2 => {
                    for v in &k.values {
                        if let (Some(n), RegData::Sz(s)) = (&v.name, &v.data)
                            && n.to_ascii_lowercase().starts_with("mru")
                        {
                            let host = match s.rsplit_once(':') {
                                Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
                                _ => s.as_str(),
                            };
                            r.add_host(host);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// `DOMAIN\user`, `user@domain` or `user`.
fn add_user(r: &mut Redactor, value: &str) {
    let v = value.trim();
    if let Some((domain, user)) = v.split_once('\\') {
        r.add_name(domain, Category::Host);
        r.add_name(user, Category::User);
    } else if let Some((user, domain)) = v.split_once('@') {
        r.add_name(user, Category::User);
        r.add_host(domain);
    } else {
        r.add_name(v, Category::User);
    }
}

/// Which of the list's hives: by the file name first (the collector named the file; `DEFAULT`
/// is the default user's hive, not a person's), else by the top-level keys as the analyzer
/// tells them.
fn hive_kind(file_name: &str, top: &[String]) -> Option<RegistryHive> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    if base
        .split('.')
        .next()
        .is_some_and(|stem| stem.eq_ignore_ascii_case("default"))
    {
        return None;
    }
    match kind_of_file_name(file_name).or_else(|| kind_of_top_level_keys(top))? {
        HiveKind::System => Some(RegistryHive::System),
        HiveKind::Software => Some(RegistryHive::Software),
        HiveKind::NtUser => Some(RegistryHive::NtUser),
        _ => None,
    }
}

/// The reader's error in this module's words (the hive is then left out).
fn reduce_error(e: HiveError) -> ReduceError {
    match e {
        HiveError::NotAHive(s) => ReduceError::NotAHive(s),
        HiveError::Parse(s) => ReduceError::Damaged(s),
        HiveError::Damaged(s) => ReduceError::Damaged(format!("the hive reader gave up: {s}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reg_export::{decode_export, parse_export};

    fn reg(keys: Vec<RegKey>) -> Vec<u8> {
        RegExport::new(keys).to_utf16le_bytes()
    }

    #[test]
    fn a_reg_export_keeps_what_the_analyzer_reads_and_redacts_the_registrys_own_names() {
        let sid = "S-1-5-21-2431849676-1872672351-3693971519-7395";
        let input = reg(vec![
            RegKey::new(
                r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion",
                vec![
                    RegValue::named("CurrentBuild", RegData::Sz("20348".into())),
                    RegValue::named("RegisteredOwner", RegData::Sz("Bob Smith".into())),
                ],
            ),
            RegKey::new(
                format!(r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\{sid}"),
                vec![
                    RegValue::named(
                        "ProfileImagePath",
                        RegData::ExpandSz(r"C:\Users\bob.smith".into()),
                    ),
                    RegValue::named("Sid", RegData::Binary(vec![1, 5, 0, 0])),
                    RegValue::named("State", RegData::Dword(0)),
                ],
            ),
            RegKey::new(
                r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon",
                vec![
                    RegValue::named("DefaultPassword", RegData::Sz("hunter2".into())),
                    RegValue::named("WinStationsDisabled", RegData::Sz("0".into())),
                ],
            ),
            RegKey::new(
                r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Fonts",
                vec![],
            ),
            RegKey::new(
                r"HKEY_CURRENT_USER\Software\Microsoft\Terminal Server Client\Servers\rds07.corp.example",
                vec![RegValue::named(
                    "UsernameHint",
                    RegData::Sz(r"CORP\alice.jones".into()),
                )],
            ),
        ]);
        let r = Redactor::with_key(b"k");
        let mut counts = Counts::new();
        let out = reduce_reg_export(&input).unwrap().redacted_with(&r, &mut counts);
        let text = decode_export(&out.to_reg()).unwrap();
        for secret in [
            "Bob Smith",
            "bob.smith",
            "hunter2",
            sid,
            "rds07",
            "corp.example",
            "alice.jones",
            "CORP\\",
            "Fonts",
        ] {
            assert!(!text.contains(secret), "{secret} left in:\n{text}");
        }
        // Hex-encoded (REG_EXPAND_SZ) data is redacted too.
        let export = parse_export(&text).unwrap();
        let profile = export
            .keys
            .iter()
            .find(|k| k.path.contains("ProfileList\\sid-"))
            .unwrap();
        assert_eq!(profile.values.len(), 2, "{profile:?}");
        assert!(matches!(&profile.values[0].data, RegData::ExpandSz(p) if p.starts_with(r"C:\Users\user-")));
        assert!(text.contains("\"CurrentBuild\"=\"20348\"") && text.contains("WinStationsDisabled"));
        assert_eq!((out.keys_in, out.keys_out, out.values_dropped), (5, 4, 3));
        assert!(out.to_reg().starts_with(&[0xFF, 0xFE]));
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        assert!(matches!(
            reduce_hive(b"regf", &[], "SYSTEM"),
            Err(ReduceError::NotAHive(_))
        ));
        let mut junk = b"regf".to_vec();
        junk.resize(BASE_BLOCK_LEN + 4096, 0xA5);
        assert!(reduce_hive(&junk, &[&junk], "SYSTEM").is_err());
        assert!(reduce_reg_export(&[0xFF, 0xD8, 0xFF, 0x00, 0x80]).is_err());
    }
}
