//! `Get-Acl -Path <p> | Select-Object -ExpandProperty Access` as MSRD-Collect writes it to
//! `ACL-MachineKeys.txt` (and `ACL-SystemCertificates-RemoteDesktop.txt`): PowerShell's list
//! view of access rules, one block of `Label : value` lines per rule, blocks separated by blank
//! lines. MSRD's command header before each block names the path, which is how rules are tied to
//! the MachineKeys folder or to the RDP key file `f686aace6942fb7f7ceb231212eef4a4_<MachineGuid>`
//! (root cause (a): NETWORK SERVICE must be able to read that file).
//!
//! Values longer than the console width continue on lines indented to the value column; they
//! are joined. A file without headers gives one object with no path.

use serde::Serialize;

use super::{LineProblem, MAX_ITEMS, TextError, prepare};

/// The MD5-of-container-name part of the RDP self-signed key's file name (`TSSecKeySet1`).
pub const RDP_KEY_PREFIX: &str = "f686aace6942fb7f7ceb231212eef4a4";

/// A parsed ACL file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclFile {
    /// Objects in file order (one per `Get-Acl` command, or one when the file has no headers).
    pub objects: Vec<AclObject>,
    /// Lines that could not be understood.
    pub problems: Vec<LineProblem>,
}

/// The access rules `Get-Acl` printed for one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclObject {
    /// The path given to `Get-Acl` (may be a wildcard such as `...\f686aace..._*`, in which case
    /// the rules of every matching file follow each other).
    pub path: Option<String>,
    /// The command line from MSRD's header.
    pub command: Option<String>,
    /// Line where this object's output starts.
    pub line: u64,
    /// Access rules in printed order.
    pub entries: Vec<AclEntry>,
}

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessType {
    /// `Allow`
    Allow,
    /// `Deny`
    Deny,
}

/// One access rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclEntry {
    /// Line of the rule's first row.
    pub line: u64,
    /// `IdentityReference`, e.g. `NT AUTHORITY\NETWORK SERVICE`.
    pub identity: String,
    /// `FileSystemRights` / `RegistryRights` text (`FullControl`, `Read, Synchronize`, or a number).
    pub rights: String,
    /// `AccessControlType`.
    pub access: AccessType,
    /// `IsInherited`.
    pub inherited: Option<bool>,
    /// `InheritanceFlags`.
    pub inheritance_flags: Option<String>,
    /// `PropagationFlags`.
    pub propagation_flags: Option<String>,
}

impl AclEntry {
    /// The rights include reading the object's data (named rights, or generic/specific bits of
    /// a numeric mask).
    pub fn grants_read(&self) -> bool {
        let rights = self.rights.trim();
        if let Ok(n) = rights.parse::<i64>() {
            let mask = n as u32;
            const FILE_READ_DATA: u32 = 0x1;
            const GENERIC_ALL: u32 = 0x1000_0000;
            const GENERIC_READ: u32 = 0x8000_0000;
            return mask & (FILE_READ_DATA | GENERIC_ALL | GENERIC_READ) != 0;
        }
        rights.split(',').map(str::trim).any(|r| {
            matches!(
                r.to_ascii_lowercase().as_str(),
                "fullcontrol"
                    | "read"
                    | "readdata"
                    | "readandexecute"
                    | "modify"
                    | "readkey"
                    | "listdirectory"
            )
        })
    }

    /// The identity names `NT AUTHORITY\NETWORK SERVICE` (any spelling Windows uses).
    pub fn is_network_service(&self) -> bool {
        let id = self.identity.trim().to_ascii_uppercase();
        id == r"NT AUTHORITY\NETWORK SERVICE"
            || id == "NETWORK SERVICE"
            || id == r"NT AUTHORITY\NETWORKSERVICE"
            || id == "S-1-5-20"
    }

    /// NETWORK SERVICE is a member of this identity (so an Allow here lets it in).
    pub fn includes_network_service(&self) -> bool {
        if self.is_network_service() {
            return true;
        }
        let id = self.identity.trim().to_ascii_uppercase();
        matches!(
            id.as_str(),
            "EVERYONE"
                | "S-1-1-0"
                | r"NT AUTHORITY\AUTHENTICATED USERS"
                | "S-1-5-11"
                | r"BUILTIN\USERS"
                | "S-1-5-32-545"
                | r"NT AUTHORITY\SERVICE"
                | "S-1-5-6"
        )
    }
}

impl AclObject {
    /// The object is the RDP self-signed certificate's key file (or the wildcard for it).
    pub fn is_rdp_key_file(&self) -> bool {
        self.path
            .as_deref()
            .is_some_and(|p| p.to_ascii_lowercase().contains(RDP_KEY_PREFIX))
    }

    /// The object is the MachineKeys folder itself.
    pub fn is_machinekeys_folder(&self) -> bool {
        self.path.as_deref().is_some_and(|p| {
            p.trim_end_matches(['\\', '/'])
                .to_ascii_lowercase()
                .ends_with(r"crypto\rsa\machinekeys")
        })
    }

    /// Whether NETWORK SERVICE can read the object: an Allow with read rights for NETWORK
    /// SERVICE or a group it belongs to (Everyone, Authenticated Users, Users, SERVICE), and no
    /// Deny with read rights for those. `None` when the object has no rules printed.
    pub fn network_service_can_read(&self) -> Option<bool> {
        if self.entries.is_empty() {
            return None;
        }
        let relevant = |e: &&AclEntry| e.includes_network_service() && e.grants_read();
        if self
            .entries
            .iter()
            .filter(relevant)
            .any(|e| e.access == AccessType::Deny)
        {
            return Some(false);
        }
        Some(
            self.entries
                .iter()
                .filter(relevant)
                .any(|e| e.access == AccessType::Allow),
        )
    }

    /// NETWORK SERVICE itself (not through a group) has an Allow rule with read rights.
    pub fn network_service_explicit_read(&self) -> bool {
        self.entries
            .iter()
            .any(|e| e.is_network_service() && e.access == AccessType::Allow && e.grants_read())
    }
}

/// The path argument of `Get-Acl -Path '<p>'` (or `Get-Acl <p>`).
fn path_of_command(command: &str) -> Option<String> {
    let lower = command.to_ascii_lowercase();
    let start = lower.find("get-acl")?;
    let rest = command[start + "get-acl".len()..].trim_start();
    let rest = match rest.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("-path") => rest[5..].trim_start(),
        _ => rest,
    };
    let rest = rest
        .strip_prefix("-LiteralPath")
        .map(str::trim_start)
        .unwrap_or(rest);
    let path = if let Some(q) = rest.strip_prefix('\'') {
        q.split('\'').next()?
    } else if let Some(q) = rest.strip_prefix('"') {
        q.split('"').next()?
    } else {
        rest.split_whitespace().next()?
    };
    // `Get-Acl MachineKeys` style display names are not paths.
    (path.contains('\\') || path.contains(':')).then(|| path.to_string())
}

/// Parses an ACL file.
pub fn parse(bytes: &[u8]) -> Result<AclFile, TextError> {
    let prepared = prepare(bytes)?;
    let mut file = AclFile {
        objects: Vec::new(),
        problems: prepared.problems,
    };
    let mut current_frame: Option<Option<usize>> = None;
    // Rows of the block being read: (line, label, value).
    let mut block: Vec<(u64, String, String)> = Vec::new();
    let mut value_column: usize = 0;
    let mut saw_rows = false;

    for (frame, line) in &prepared.lines {
        if current_frame != Some(*frame) {
            flush_block(&mut block, &mut file);
            // A new command header starts a new object, unless it has no path of its own and
            // the previous header's object is still empty (MSRD's outer frame).
            let (path, command) = match frame.and_then(|i| prepared.frames.get(i)) {
                Some(f) => (path_of_command(&f.command), Some(f.command.clone())),
                None => (None, None),
            };
            let reuse = path.is_none() && file.objects.last().is_some_and(|o| o.entries.is_empty());
            if !reuse {
                file.objects.push(AclObject {
                    path,
                    command,
                    line: line.no,
                    entries: Vec::new(),
                });
            }
            current_frame = Some(*frame);
        }
        let raw = line.text.as_str();
        if raw.trim().is_empty() {
            flush_block(&mut block, &mut file);
            continue;
        }
        if let Some((label, value)) = raw.split_once(" : ") {
            let label = label.trim();
            if !label.is_empty() && !label.contains(' ') && label.len() <= 40 {
                value_column = raw.find(" : ").map(|i| i + 3).unwrap_or(0);
                block.push((line.no, label.to_string(), value.trim().to_string()));
                saw_rows = true;
                continue;
            }
        }
        // A continuation of a long value: indented to the value column.
        let indent = raw.len() - raw.trim_start().len();
        if let Some(last) = block.last_mut()
            && value_column > 0
            && indent >= value_column.saturating_sub(1)
        {
            last.2.push_str(raw.trim());
            continue;
        }
        file.problems.push(LineProblem::new(
            line.no,
            "line is not a `Label : value` row of an access rule",
        ));
    }
    flush_block(&mut block, &mut file);
    file.objects.retain(|o| !o.entries.is_empty() || o.path.is_some());
    if !saw_rows {
        return Err(TextError::Format(
            "no `FileSystemRights`/`IdentityReference` rows: not a Get-Acl access list".into(),
        ));
    }
    Ok(file)
}

fn flush_block(block: &mut Vec<(u64, String, String)>, file: &mut AclFile) {
    if block.is_empty() {
        return;
    }
    let rows = std::mem::take(block);
    let get = |name: &str| {
        rows.iter()
            .find(|(_, l, _)| l.eq_ignore_ascii_case(name))
            .map(|(_, _, v)| v.clone())
    };
    let line = rows.first().map(|r| r.0).unwrap_or(0);
    let rights = get("FileSystemRights").or_else(|| get("RegistryRights"));
    let identity = get("IdentityReference");
    let access = get("AccessControlType");
    let (Some(rights), Some(identity), Some(access)) = (rights, identity, access) else {
        file.problems.push(LineProblem::new(
            line,
            "access rule block without FileSystemRights/RegistryRights, IdentityReference or AccessControlType",
        ));
        return;
    };
    let access = if access.eq_ignore_ascii_case("allow") {
        AccessType::Allow
    } else if access.eq_ignore_ascii_case("deny") {
        AccessType::Deny
    } else {
        file.problems.push(LineProblem::new(
            line,
            format!("AccessControlType {access:?} is neither Allow nor Deny"),
        ));
        return;
    };
    let entry = AclEntry {
        line,
        identity,
        rights,
        access,
        inherited: get("IsInherited").map(|v| v.eq_ignore_ascii_case("true")),
        inheritance_flags: get("InheritanceFlags"),
        propagation_flags: get("PropagationFlags"),
    };
    let total: usize = file.objects.iter().map(|o| o.entries.len()).sum();
    if total >= MAX_ITEMS {
        return;
    }
    match file.objects.last_mut() {
        Some(o) => o.entries.push(entry),
        None => file.objects.push(AclObject {
            path: None,
            command: None,
            line,
            entries: vec![entry],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_paths() {
        assert_eq!(
            path_of_command(r"Get-Acl -Path 'C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys' | Select-Object -ExpandProperty Access").as_deref(),
            Some(r"C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys")
        );
        assert_eq!(
            path_of_command("Get-Acl MachineKeys | Select -ExpandProperty Access"),
            None
        );
    }

    #[test]
    fn numeric_rights() {
        let e = AclEntry {
            line: 1,
            identity: "NT AUTHORITY\\NETWORK SERVICE".into(),
            rights: "-1610612736".into(),
            access: AccessType::Allow,
            inherited: None,
            inheritance_flags: None,
            propagation_flags: None,
        };
        assert!(e.grants_read());
        assert!(e.is_network_service());
    }
}
