//! `--from-volume DIR`: finding the evidence on an offline Windows volume, on any OS.
//!
//! Windows paths are case-insensitive but a volume mounted on Linux (or copied to a case-
//! sensitive file system) is not: `Windows/System32/winevt/Logs` may be spelled
//! `WINDOWS/system32/...`. Every lookup here walks the path one component at a time, taking an
//! exact match first and an ASCII case-insensitive one otherwise. Facts for the manifest
//! (computer name, OS, time zone, whether the RDP listener is enabled) come from the SYSTEM and
//! SOFTWARE hives through [`crate::hive`].

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use rdpdiag_schemas::channels;
use rdpdiag_schemas::manifest::{OsInfo, TimeZoneInfo};

use crate::hive::{Hive, current_control_set};
use crate::plan::{TRACE_DIR, channel_file_stem};

/// Largest hive read into memory for facts (SOFTWARE is rarely over 200 MB).
const MAX_HIVE_BYTES: u64 = 512 * 1024 * 1024;

/// Profile folders that are not users.
const NOT_USERS: &[&str] = &["Public", "Default", "Default User", "All Users", "defaultuser0"];

/// `base` joined with `parts`, each matched case-insensitively when the exact name is absent.
/// A tree copied onto a case-sensitive file system may hold two spellings of one folder
/// (`Windows` and `WINDOWS`): every spelling is tried, the exact one first.
pub fn resolve_ci(base: &Path, parts: &[&str]) -> Option<PathBuf> {
    let Some((part, rest)) = parts.split_first() else {
        return Some(base.to_path_buf());
    };
    let exact = base.join(part);
    let mut candidates = Vec::new();
    if std::fs::symlink_metadata(&exact).is_ok() {
        candidates.push(exact.clone());
    }
    if let Ok(rd) = std::fs::read_dir(base) {
        let mut others: Vec<PathBuf> = rd
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(part))
            .map(|e| e.path())
            .filter(|p| *p != exact)
            .collect();
        others.sort();
        candidates.extend(others);
    }
    candidates.into_iter().find_map(|c| resolve_ci(&c, rest))
}

/// Sibling transaction logs of a hive: `<name>.LOG1`, `<name>.LOG2` (any case), sorted.
pub fn hive_logs(hive: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (hive.parent(), hive.file_name()) else {
        return Vec::new();
    };
    let name = name.to_string_lossy().to_string();
    let mut logs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().to_string();
                    ["LOG1", "LOG2"]
                        .iter()
                        .any(|suffix| n.eq_ignore_ascii_case(&format!("{name}.{suffix}")))
                })
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    logs.sort();
    logs
}

/// A user profile folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Folder name (usually the user name).
    pub name: String,
    /// Its path.
    pub path: PathBuf,
}

/// User profile folders below `users_root` (skipping Public, Default ...), sorted by name.
pub fn user_profiles(users_root: &Path) -> Vec<Profile> {
    let mut out: Vec<Profile> = std::fs::read_dir(users_root)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
                .map(|e| Profile {
                    name: e.file_name().to_string_lossy().to_string(),
                    path: e.path(),
                })
                .filter(|p| !NOT_USERS.iter().any(|n| n.eq_ignore_ascii_case(&p.name)))
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// One RdClientAutoTrace file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceFile {
    /// Profile it belongs to.
    pub user: String,
    /// The file.
    pub path: PathBuf,
    /// Last write time.
    pub modified: DateTime<Utc>,
    /// Size in bytes.
    pub size: u64,
}

/// `.etl` files in the RdClientAutoTrace folder of every profile and in `extra` folders (each
/// given with the user it belongs to), modified at or after `since`. Returns the files in the
/// window and how many older ones were left out.
pub fn find_traces(
    users_root: &Path,
    extra: &[(String, PathBuf)],
    since: DateTime<Utc>,
) -> (Vec<TraceFile>, usize) {
    let mut dirs: Vec<(String, PathBuf)> = user_profiles(users_root)
        .into_iter()
        .filter_map(|p| resolve_ci(&p.path, TRACE_DIR).map(|d| (p.name, d)))
        .collect();
    dirs.extend(extra.iter().cloned());
    let mut seen = std::collections::HashSet::new();
    let mut files = Vec::new();
    let mut older = 0;
    for (user, dir) in dirs {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let path = e.path();
            let is_etl = path
                .extension()
                .is_some_and(|x| x.to_string_lossy().eq_ignore_ascii_case("etl"));
            let Ok(meta) = e.metadata() else { continue };
            if !is_etl || !meta.is_file() {
                continue;
            }
            let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if !seen.insert(key) {
                continue;
            }
            let modified: DateTime<Utc> = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH).into();
            if modified < since {
                older += 1;
                continue;
            }
            files.push(TraceFile {
                user: user.clone(),
                path,
                modified,
                size: meta.len(),
            });
        }
    }
    files.sort_by(|a, b| (a.user.as_str(), &a.path).cmp(&(b.user.as_str(), &b.path)));
    (files, older)
}

/// The prefix of the RDP self-signed key's file name (container `TSSecKeySet1`).
pub const RDP_KEY_PREFIX: &str = "f686aace6942fb7f7ceb231212eef4a4_";

/// A MachineKeys listing: one line per file (size, last write UTC, name), the RDP key files
/// marked, and a note that ACLs cannot be read here. CRLF, as every text artifact.
pub fn machinekeys_listing(dir: &Path, source_label: &str) -> std::io::Result<String> {
    let mut rows: Vec<(String, u64, DateTime<Utc>)> = std::fs::read_dir(dir)?
        .flatten()
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            m.is_file().then(|| {
                (
                    e.file_name().to_string_lossy().to_string(),
                    m.len(),
                    m.modified().unwrap_or(SystemTime::UNIX_EPOCH).into(),
                )
            })
        })
        .collect();
    rows.sort();
    let mut s = String::new();
    s.push_str(&format!("MachineKeys listing of {source_label}\r\n"));
    s.push_str(
        "Taken from an offline volume: file ACLs are not readable here (no Windows security \
         descriptors off Windows), so ACL-MachineKeys.txt is not produced.\r\n",
    );
    s.push_str(&format!("{} files\r\n\r\n", rows.len()));
    s.push_str("      Size  LastWriteTimeUtc      Name\r\n");
    let mut rdp = 0;
    for (name, size, t) in &rows {
        let mark = if name.to_ascii_lowercase().starts_with(RDP_KEY_PREFIX) {
            rdp += 1;
            "   <- RDP self-signed certificate key (TSSecKeySet1)"
        } else {
            ""
        };
        s.push_str(&format!(
            "{size:>10}  {}  {name}{mark}\r\n",
            t.format("%Y-%m-%d %H:%M:%S")
        ));
    }
    s.push_str(&format!("\r\nRDP key files ({RDP_KEY_PREFIX}*): {rdp}\r\n"));
    Ok(s)
}

/// Whether an EVTX file holds records, from its file header (next record id) and first chunk
/// header; `None` when it is not an EVTX file. Cheap: reads 4 KiB + 64 bytes.
pub fn evtx_has_records(path: &Path) -> Option<bool> {
    let mut f = File::open(path).ok()?;
    let mut head = vec![0u8; 4096 + 64];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return None,
        }
    }
    head.truncate(n);
    if !head.starts_with(b"ElfFile\0") {
        return None;
    }
    let u64_at =
        |off: usize| -> Option<u64> { Some(u64::from_le_bytes(head.get(off..off + 8)?.try_into().ok()?)) };
    let next_record = u64_at(24).unwrap_or(0);
    let chunk_has = head.get(4096..4104) == Some(b"ElfChnk\0".as_slice())
        && matches!((u64_at(4096 + 24), u64_at(4096 + 32)), (Some(first), Some(last)) if first > 0 && last >= first);
    Some(next_record > 1 || chunk_has)
}

/// Facts read from the volume's hives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VolumeFacts {
    /// ComputerName.
    pub computer_name: Option<String>,
    /// Tcpip Domain.
    pub domain: Option<String>,
    /// OS.
    pub os: Option<OsInfo>,
    /// Time zone with the bias active when the system last ran.
    pub time_zone: Option<TimeZoneInfo>,
    /// System locale (the SYSTEM hive's `Nls\Locale`); the user's format culture and UI
    /// language live in NTUSER.DAT and are not read here.
    pub culture: Option<rdpdiag_schemas::manifest::CultureInfo>,
    /// `fDenyTSConnections` (policy first) says RDP is allowed.
    pub rdp_enabled: Option<bool>,
    /// What could not be read.
    pub notes: Vec<String>,
}

/// The layout of a volume.
#[derive(Debug, Clone)]
pub struct VolumeLayout {
    root: PathBuf,
}

impl VolumeLayout {
    /// A volume rooted at `root` (lookups happen on use).
    pub fn scan(root: &Path) -> VolumeLayout {
        VolumeLayout {
            root: root.to_path_buf(),
        }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `Windows\System32\winevt\Logs`.
    pub fn logs_dir(&self) -> Option<PathBuf> {
        resolve_ci(&self.root, &["Windows", "System32", "winevt", "Logs"])
    }

    /// The .evtx file of `channel`, if present.
    pub fn event_log(&self, channel: &str) -> Option<PathBuf> {
        let name = format!("{}.evtx", channel_file_stem(channel));
        resolve_ci(&self.logs_dir()?, &[&name]).filter(|p| p.is_file())
    }

    /// `Windows\System32\config\<name>`, if present.
    pub fn hive(&self, name: &str) -> Option<PathBuf> {
        resolve_ci(&self.root, &["Windows", "System32", "config", name]).filter(|p| p.is_file())
    }

    /// `Users` (as spelled on the volume; `<root>/Users` when absent).
    pub fn users_root(&self) -> PathBuf {
        resolve_ci(&self.root, &["Users"]).unwrap_or_else(|| self.root.join("Users"))
    }

    /// `ProgramData\Microsoft\Crypto\RSA\MachineKeys`, if present.
    pub fn machine_keys(&self) -> Option<PathBuf> {
        resolve_ci(
            &self.root,
            &["ProgramData", "Microsoft", "Crypto", "RSA", "MachineKeys"],
        )
        .filter(|p| p.is_dir())
    }

    /// Latest modification time of the event logs present (the volume's "now").
    pub fn latest_log_time(&self) -> Option<DateTime<Utc>> {
        std::fs::read_dir(self.logs_dir()?)
            .ok()?
            .flatten()
            .filter_map(|e| e.metadata().ok()?.modified().ok())
            .max()
            .map(Into::into)
    }

    /// Reads the facts of the SYSTEM and SOFTWARE hives.
    pub fn facts(&self) -> VolumeFacts {
        let mut facts = VolumeFacts::default();
        match self.hive("SYSTEM").map(|p| read_capped(&p)) {
            Some(Ok(bytes)) => match Hive::new(&bytes) {
                Some(h) => system_facts(&h, &mut facts),
                None => facts.notes.push("SYSTEM is not a readable registry hive".into()),
            },
            Some(Err(e)) => facts.notes.push(format!("SYSTEM hive unreadable: {e}")),
            None => facts.notes.push("no SYSTEM hive on the volume".into()),
        }
        match self.hive("SOFTWARE").map(|p| read_capped(&p)) {
            Some(Ok(bytes)) => match Hive::new(&bytes) {
                Some(h) => software_facts(&h, &mut facts),
                None => facts
                    .notes
                    .push("SOFTWARE is not a readable registry hive".into()),
            },
            Some(Err(e)) => facts.notes.push(format!("SOFTWARE hive unreadable: {e}")),
            None => facts.notes.push("no SOFTWARE hive on the volume".into()),
        }
        facts
    }

    /// Servers the volume's users connected to (RDP client MRU values and `Servers` keys of
    /// each NTUSER.DAT): names for `--redact`.
    pub fn mru_servers(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in user_profiles(&self.users_root()) {
            let Some(bytes) = resolve_ci(&p.path, &["NTUSER.DAT"]).and_then(|h| read_capped(&h).ok()) else {
                continue;
            };
            let Some(hive) = Hive::new(&bytes) else { continue };
            let tsc = r"Software\Microsoft\Terminal Server Client";
            for i in 0..10 {
                if let Some(v) = hive.value(&format!(r"{tsc}\Default"), &format!("MRU{i}")) {
                    out.extend(v.as_str().map(str::to_string));
                }
            }
            if let Some(k) = hive.key(&format!(r"{tsc}\Servers")) {
                out.extend(k.subkeys().iter().map(|s| s.name()));
            }
        }
        out
    }

    /// Whether the volume's logs show client activity (RDPClient log with records, or traces)
    /// and server activity (RCM / RdpCoreTS logs with records).
    pub fn activity(&self) -> (bool, bool) {
        let has = |ch: &str| {
            self.event_log(ch)
                .and_then(|p| evtx_has_records(&p))
                .unwrap_or(false)
        };
        let client = has(channels::RDP_CLIENT)
            || !find_traces(&self.users_root(), &[], DateTime::<Utc>::MIN_UTC)
                .0
                .is_empty();
        let server = has(channels::RCM_OPERATIONAL) || has(channels::RDPCORETS);
        (client, server)
    }
}

fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)?.take(MAX_HIVE_BYTES).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn system_facts(h: &Hive<'_>, facts: &mut VolumeFacts) {
    let ccs = current_control_set(h);
    let s = |path: &str, name: &str| h.value(&format!("{ccs}\\{path}"), name);
    facts.computer_name = s(r"Control\ComputerName\ComputerName", "ComputerName")
        .and_then(|v| v.as_str().map(str::to_string))
        .filter(|n| !n.is_empty());
    facts.domain = ["Domain", "NV Domain"]
        .iter()
        .filter_map(|n| s(r"Services\Tcpip\Parameters", n))
        .filter_map(|v| v.as_str().map(str::to_string))
        .find(|d| !d.is_empty());
    let tz_name = s(r"Control\TimeZoneInformation", "TimeZoneKeyName")
        .or_else(|| s(r"Control\TimeZoneInformation", "StandardName"))
        .and_then(|v| v.as_str().map(str::to_string));
    let bias = s(r"Control\TimeZoneInformation", "ActiveTimeBias")
        .or_else(|| s(r"Control\TimeZoneInformation", "Bias"))
        .and_then(|v| v.as_u64());
    if let (Some(name), Some(bias)) = (tz_name, bias) {
        // Bias is UTC minus local time in minutes, stored as a DWORD (two's complement).
        let bias = (bias as u32) as i32;
        facts.time_zone = Some(TimeZoneInfo {
            name,
            utc_offset_minutes: -bias,
        });
    }
    facts.culture = s(r"Control\Nls\Locale", "(Default)")
        .or_else(|| s(r"Control\Nls\Locale", ""))
        .and_then(|v| v.as_str().map(crate::live::lcid_name))
        .map(|system_locale| rdpdiag_schemas::manifest::CultureInfo {
            ui_culture: None,
            format_culture: None,
            system_locale: Some(system_locale),
        });
    facts.rdp_enabled = s(r"Control\Terminal Server", "fDenyTSConnections")
        .and_then(|v| v.as_u64())
        .map(|deny| deny == 0);
    if facts.computer_name.is_none() {
        facts.notes.push(format!(
            "no ComputerName in SYSTEM ({ccs}); transaction logs are not replayed here"
        ));
    }
}

fn software_facts(h: &Hive<'_>, facts: &mut VolumeFacts) {
    let cv = r"Microsoft\Windows NT\CurrentVersion";
    let s = |name: &str| h.value(cv, name).and_then(|v| v.as_str().map(str::to_string));
    let build = s("CurrentBuild")
        .or_else(|| s("CurrentBuildNumber"))
        .and_then(|b| b.trim().parse::<u32>().ok());
    match (s("ProductName"), build) {
        (Some(product), Some(build)) => {
            facts.os = Some(OsInfo {
                product,
                build,
                ubr: h.value(cv, "UBR").and_then(|v| v.as_u64()).map(|u| u as u32),
                display_version: s("DisplayVersion").or_else(|| s("ReleaseId")),
                installation_type: s("InstallationType"),
            })
        }
        _ => facts.notes.push("no ProductName/CurrentBuild in SOFTWARE".into()),
    }
    // Group Policy wins over the local setting (field guide 4.3).
    if let Some(deny) = h
        .value(
            r"Policies\Microsoft\Windows NT\Terminal Services",
            "fDenyTSConnections",
        )
        .and_then(|v| v.as_u64())
    {
        facts.rdp_enabled = Some(deny == 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_ignore_case() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("WINDOWS/system32/WinEvt/LOGS");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::write(logs.join("system.EVTX"), b"ElfFile\0").unwrap();
        // A second spelling of Windows without the logs must not hide them.
        std::fs::create_dir_all(dir.path().join("Windows/System32/config")).unwrap();
        let v = VolumeLayout::scan(dir.path());
        assert_eq!(v.logs_dir().unwrap(), logs);
        assert_eq!(v.event_log("System").unwrap(), logs.join("system.EVTX"));
        assert!(v.event_log("Application").is_none());
    }

    #[test]
    fn hive_logs_and_profiles() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config");
        std::fs::create_dir_all(&cfg).unwrap();
        for f in [
            "SYSTEM",
            "SYSTEM.LOG1",
            "system.log2",
            "SYSTEM.sav",
            "SOFTWARE.LOG1",
        ] {
            std::fs::write(cfg.join(f), b"x").unwrap();
        }
        let logs = hive_logs(&cfg.join("SYSTEM"));
        assert_eq!(logs, vec![cfg.join("SYSTEM.LOG1"), cfg.join("system.log2")]);
        let users = dir.path().join("Users");
        for u in ["alice", "Public", "Default", "bob"] {
            std::fs::create_dir_all(users.join(u)).unwrap();
        }
        let names: Vec<String> = user_profiles(&users).into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["alice", "bob"]);
    }

    #[test]
    fn machinekeys_listing_marks_the_rdp_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f686aace6942fb7f7ceb231212eef4a4_abc"), b"key").unwrap();
        std::fs::write(dir.path().join("other_abc"), b"k").unwrap();
        let s = machinekeys_listing(dir.path(), "X").unwrap();
        assert!(s.contains("RDP self-signed certificate key"));
        assert!(s.contains("RDP key files (f686aace6942fb7f7ceb231212eef4a4_*): 1"));
        assert!(s.contains("ACLs are not readable"));
        assert!(!s.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn evtx_header_tells_records() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.evtx");
        let mut h = vec![0u8; 4096];
        h[..8].copy_from_slice(b"ElfFile\0");
        h[24..32].copy_from_slice(&1u64.to_le_bytes());
        std::fs::write(&p, &h).unwrap();
        assert_eq!(evtx_has_records(&p), Some(false));
        h[24..32].copy_from_slice(&17u64.to_le_bytes());
        std::fs::write(&p, &h).unwrap();
        assert_eq!(evtx_has_records(&p), Some(true));
        std::fs::write(&p, b"nope").unwrap();
        assert_eq!(evtx_has_records(&p), None);
    }
}
