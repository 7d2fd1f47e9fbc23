//! `Get-Acl -Path <p> | Select-Object -ExpandProperty Access | Out-File`: the access rules of a
//! file, folder or registry key as MSRD-Collect writes them to `<C>_ACL-MachineKeys.txt`
//! (MachineKeys folder, then `f686aace6942fb7f7ceb231212eef4a4_*`, the RDP self-signed key).
//!
//! Sources followed:
//! - MSRD-Collect `MSRDC-Core.psm1` (the two `Get-Acl` commands) and `msrdRunCommands` (the
//!   header written before each command, see [`super::msrd_command_block`]).
//! - PowerShell's default view for `FileSystemAccessRule` objects (more than four properties →
//!   list view): property labels padded to the longest label (`AccessControlType`,
//!   `IdentityReference`, 17 characters) then ` : `; one blank line before the first object and
//!   between objects, two after the last. Field names/order as in public `Get-Acl ... .Access`
//!   outputs (FileSystemRights, AccessControlType, IdentityReference, IsInherited,
//!   InheritanceFlags, PropagationFlags).
//! - Required permissions: field guide 4.11 (MachineKeys: Everyone Read+Write, Administrators
//!   Full; f686 key: SYSTEM Full, NETWORK SERVICE Read, Administrators Full per Microsoft's fix
//!   script); `icacls MachineKeys` on a real server shows `Everyone:(R,W)` and
//!   `BUILTIN\Administrators:(F)` with no inheritance flags.
//!
//! Guesses: wrapping of values longer than the line (119 columns, PowerShell console width 120
//! minus one) — no real sample had a value that long; the key file's rights are written as the
//! specific rights `icacls /grant ...:(F)` / `:(R)` leave (`FullControl`, `Read, Synchronize`);
//! a key ACL written by CryptoAPI with generic rights shows numbers instead (e.g. `-1610612736`),
//! which callers can put in [`AclEntry::rights`] verbatim.

use chrono::NaiveDateTime;

use super::{CRLF, msrd_command_block};

/// `%ProgramData%\Microsoft\Crypto\RSA\MachineKeys` on a default installation.
pub const MACHINEKEYS_PATH: &str = r"C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys";

/// The MD5-of-container-name part of the RDP self-signed key's file name (`TSSecKeySet1`).
pub const RDP_KEY_PREFIX: &str = "f686aace6942fb7f7ceb231212eef4a4";

/// Path MSRD-Collect passes to `Get-Acl` for the RDP key (a wildcard: all MachineGuids).
pub const RDP_KEY_WILDCARD_PATH: &str =
    r"C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys\f686aace6942fb7f7ceb231212eef4a4_*";

/// Width PowerShell formats to when `Out-File` has no `-Width` (console width 120, minus one).
const LIST_WIDTH: usize = 119;

/// `AccessControlType` of an access rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessControlType {
    /// `Allow`
    Allow,
    /// `Deny`
    Deny,
}

impl AccessControlType {
    /// The text PowerShell prints.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessControlType::Allow => "Allow",
            AccessControlType::Deny => "Deny",
        }
    }
}

/// One access rule (ACE) as `Get-Acl` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclEntry {
    /// `FileSystemRights` (or `RegistryRights`) text: `FullControl`, `Read, Synchronize`,
    /// `ReadAndExecute, Synchronize`, `Write, Read, Synchronize`, `Modify, Synchronize`, or a
    /// number for generic rights.
    pub rights: String,
    /// Allow or deny.
    pub access: AccessControlType,
    /// Account, e.g. `NT AUTHORITY\NETWORK SERVICE`, `BUILTIN\Administrators`, `Everyone`.
    pub identity: String,
    /// `IsInherited`.
    pub inherited: bool,
    /// `None`, `ContainerInherit, ObjectInherit`, ...
    pub inheritance_flags: String,
    /// `None`, `InheritOnly`, ...
    pub propagation_flags: String,
}

impl AclEntry {
    /// A non-inherited Allow rule with no inheritance flags (the usual shape on key files).
    pub fn allow(rights: &str, identity: &str) -> AclEntry {
        AclEntry {
            rights: rights.to_string(),
            access: AccessControlType::Allow,
            identity: identity.to_string(),
            inherited: false,
            inheritance_flags: "None".to_string(),
            propagation_flags: "None".to_string(),
        }
    }
}

/// File name of the RDP self-signed certificate's key for a machine:
/// `f686aace6942fb7f7ceb231212eef4a4_<MachineGuid>` (MachineGuid from
/// `HKLM\SOFTWARE\Microsoft\Cryptography`).
pub fn rdp_key_file_name(machine_guid: &str) -> String {
    format!("{RDP_KEY_PREFIX}_{machine_guid}")
}

/// The normal ACL of the MachineKeys folder (field guide 4.11: Everyone Read+Write,
/// Administrators Full control; this folder only, not inherited).
pub fn machinekeys_folder_default_acl() -> Vec<AclEntry> {
    vec![
        AclEntry::allow("Write, Read, Synchronize", "Everyone"),
        AclEntry::allow("FullControl", r"BUILTIN\Administrators"),
    ]
}

/// The normal ACL of `f686aace6942fb7f7ceb231212eef4a4_<MachineGuid>` (field guide 4.11:
/// SYSTEM Full, Administrators Full, NETWORK SERVICE Read — TermService runs as NETWORK SERVICE
/// and must read the key). Remove NETWORK SERVICE with [`without_identity`] for cause (a).
pub fn rdp_key_file_default_acl() -> Vec<AclEntry> {
    vec![
        AclEntry::allow("FullControl", r"NT AUTHORITY\SYSTEM"),
        AclEntry::allow("FullControl", r"BUILTIN\Administrators"),
        AclEntry::allow("Read, Synchronize", r"NT AUTHORITY\NETWORK SERVICE"),
    ]
}

/// `entries` without the rules of `identity` (compared case-insensitively).
pub fn without_identity(entries: &[AclEntry], identity: &str) -> Vec<AclEntry> {
    entries
        .iter()
        .filter(|e| !e.identity.eq_ignore_ascii_case(identity))
        .cloned()
        .collect()
}

/// The list-view text of file-system access rules exactly as `Out-File` writes it (CRLF);
/// empty when there are no rules (nothing is written then).
pub fn access_rules_format_list(entries: &[AclEntry]) -> String {
    format_list(entries, "FileSystemRights")
}

/// As [`access_rules_format_list`] for registry keys (`RegistryRights` instead of
/// `FileSystemRights`; used for `ACL-SystemCertificates-RemoteDesktop.txt`).
pub fn registry_access_rules_format_list(entries: &[AclEntry]) -> String {
    format_list(entries, "RegistryRights")
}

/// `Get-Acl -Path '<path>' | Select-Object -ExpandProperty Access` as MSRD-Collect's
/// `ACL-MachineKeys.txt` holds it: the MSRD header naming the path (at a fixed collection time,
/// 2024/01/15 10:00:00.000 — use [`get_acl_access_list_at`] to choose it), then the list view.
pub fn get_acl_access_list(path: &str, entries: &[AclEntry]) -> String {
    let at = chrono::NaiveDate::from_ymd_opt(2024, 1, 15)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .unwrap_or_default();
    get_acl_access_list_at(path, entries, at)
}

/// [`get_acl_access_list`] with the header's collection time.
pub fn get_acl_access_list_at(path: &str, entries: &[AclEntry], at: NaiveDateTime) -> String {
    msrd_command_block(at, &get_acl_command(path), &access_rules_format_list(entries))
}

/// The command line MSRD-Collect shows in the header for `path`.
pub fn get_acl_command(path: &str) -> String {
    format!("Get-Acl -Path '{path}' | Select-Object -ExpandProperty Access")
}

/// A whole `<C>_ACL-MachineKeys.txt` as text: the MachineKeys folder's rules, then the rules of
/// every `f686aace..._*` key file (MSRD uses a wildcard, so the rules of all matching files
/// follow each other without a file name), the second command one second later.
pub fn acl_machinekeys_file(at: NaiveDateTime, folder: &[AclEntry], rdp_key_files: &[AclEntry]) -> String {
    let mut s = get_acl_access_list_at(MACHINEKEYS_PATH, folder, at);
    s.push_str(&get_acl_access_list_at(
        RDP_KEY_WILDCARD_PATH,
        rdp_key_files,
        at + chrono::Duration::seconds(1),
    ));
    s
}

fn format_list(entries: &[AclEntry], rights_label: &str) -> String {
    if entries.is_empty() {
        return String::new();
    }
    let mut out = String::from(CRLF);
    for e in entries {
        let rows = [
            (rights_label, e.rights.as_str()),
            ("AccessControlType", e.access.as_str()),
            ("IdentityReference", e.identity.as_str()),
            ("IsInherited", if e.inherited { "True" } else { "False" }),
            ("InheritanceFlags", e.inheritance_flags.as_str()),
            ("PropagationFlags", e.propagation_flags.as_str()),
        ];
        let label_width = rows.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
        for (label, value) in rows {
            push_list_row(&mut out, label, label_width, value);
        }
        out.push_str(CRLF);
    }
    out.push_str(CRLF);
    out
}

/// `Label<pad> : value`, wrapping long values onto lines indented to the value column.
fn push_list_row(out: &mut String, label: &str, label_width: usize, value: &str) {
    let head = format!("{label:<label_width$} : ");
    let indent = head.chars().count();
    let room = LIST_WIDTH.saturating_sub(indent).max(1);
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= room {
        out.push_str(&head);
        out.push_str(value);
        out.push_str(CRLF);
        return;
    }
    for (i, chunk) in chars.chunks(room).enumerate() {
        if i == 0 {
            out.push_str(&head);
        } else {
            out.push_str(&" ".repeat(indent));
        }
        out.extend(chunk.iter());
        out.push_str(CRLF);
    }
}
