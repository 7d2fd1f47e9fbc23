//! `Get-Acl -Path <p> | Select-Object -ExpandProperty Access` (or icacls) as MSRD-Collect writes it to
//! `ACL-MachineKeys.txt` (and `ACL-SystemCertificates-RemoteDesktop.txt`): PowerShell's list
//! view of access rules, one block of `Label : value` lines per rule, blocks separated by blank
//! lines. MSRD's command header before each block names the path, which is how rules are tied to
//! the MachineKeys folder or to the RDP key file `f686aace6942fb7f7ceb231212eef4a4_<MachineGuid>`
//! (root cause (a): NETWORK SERVICE must be able to read that file).
//!
//! Values longer than the console width continue on lines indented to the value column; they
//! are joined. A file without headers gives one object with no path.
//!
//! `icacls <path>` output (`path account:(rights)`, then one ACE per indented line) is read
//! into the same model ([`parse_icacls`]); the collector's SID form
//! (`GetAccessRules(..., [SecurityIdentifier])`) is the same list with SIDs. Account names are
//! judged by [`super::locale`]: a name it does not know makes "NETWORK SERVICE cannot read"
//! unknown, never true.

use serde::Serialize;

use super::locale::{self, Principal};
use super::{MAX_ITEMS, TextError, prepare};
use rdpdiag_evtx::model::{Problem, Severity};

/// The MD5-of-container-name part of the RDP self-signed key's file name (`TSSecKeySet1`).
pub const RDP_KEY_PREFIX: &str = "f686aace6942fb7f7ceb231212eef4a4";

/// A parsed ACL file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclFile {
    /// Objects in file order (one per `Get-Acl` command, or one when the file has no headers).
    pub objects: Vec<AclObject>,
    /// Lines that could not be understood.
    pub problems: Vec<Problem>,
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
    /// Lines of access-rule blocks that could not be read (a rule may be missing from
    /// `entries`, so "nobody grants" cannot be concluded).
    pub incomplete: Vec<u64>,
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
    /// Whether the rights include reading the object's data (named rights, or generic/specific
    /// bits of a numeric mask). `None` when a right's name is not one of .NET's
    /// `FileSystemRights`/`RegistryRights` names (they are enum names, never translated, so an
    /// unknown word means damaged or foreign output).
    pub fn reads(&self) -> Option<bool> {
        let rights = self.rights.trim();
        if let Ok(n) = rights.parse::<i64>() {
            let mask = n as u32;
            const FILE_READ_DATA: u32 = 0x1;
            const GENERIC_ALL: u32 = 0x1000_0000;
            const GENERIC_READ: u32 = 0x8000_0000;
            return Some(mask & (FILE_READ_DATA | GENERIC_ALL | GENERIC_READ) != 0);
        }
        // Source: .NET `System.Security.AccessControl.FileSystemRights` and `RegistryRights`
        // member names (learn.microsoft.com/dotnet/api/system.security.accesscontrol.filesystemrights).
        const READING: &[&str] = &[
            "fullcontrol",
            "read",
            "readdata",
            "readandexecute",
            "modify",
            "readkey",
            "listdirectory",
            "executekey",
        ];
        const OTHER: &[&str] = &[
            "writedata",
            "createfiles",
            "createdirectories",
            "appenddata",
            "readextendedattributes",
            "writeextendedattributes",
            "traverse",
            "executefile",
            "deletesubdirectoriesandfiles",
            "readattributes",
            "writeattributes",
            "write",
            "delete",
            "readpermissions",
            "changepermissions",
            "takeownership",
            "synchronize",
            "setvalue",
            "createsubkey",
            "enumeratesubkeys",
            "notify",
            "createlink",
            "writekey",
            "queryvalues",
        ];
        let mut any = false;
        for r in rights.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            let r = r.to_ascii_lowercase();
            if READING.contains(&r.as_str()) {
                any = true;
            } else if !OTHER.contains(&r.as_str()) {
                return None;
            }
        }
        Some(any)
    }

    /// The rights include reading the object's data (unknown rights count as not reading:
    /// use [`AclEntry::reads`] where unknown matters).
    pub fn grants_read(&self) -> bool {
        self.reads() == Some(true)
    }

    /// Who the identity is, in any language the tables know or by SID ([`locale::classify_identity`]).
    pub fn principal(&self) -> Principal {
        locale::classify_identity(&self.identity)
    }

    /// The identity is NETWORK SERVICE (any spelling or language the tables know, or S-1-5-20).
    pub fn is_network_service(&self) -> bool {
        self.principal() == Principal::NetworkService
    }

    /// NETWORK SERVICE is known to be a member of this identity (so an Allow here lets it in).
    pub fn includes_network_service(&self) -> bool {
        matches!(
            self.principal(),
            Principal::NetworkService | Principal::GroupWithNetworkService
        )
    }
}

/// Why an ACL cannot tell whether NETWORK SERVICE can read: the rules not understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadRule {
    /// Line of the rule.
    pub line: u64,
    /// What was not understood, for the report.
    pub what: String,
}

impl AclObject {
    /// The object is the RDP self-signed certificate's key file (or the wildcard for it).
    pub fn is_rdp_key_file(&self) -> bool {
        self.path
            .as_deref()
            .is_some_and(|p| p.to_ascii_lowercase().contains(RDP_KEY_PREFIX))
    }

    /// The object is the key file named `file_name` (a certificate's `Unique container name`),
    /// in MachineKeys, `Crypto\Keys` or anywhere else.
    pub fn is_key_file(&self, file_name: &str) -> bool {
        let want = file_name.trim().to_ascii_lowercase();
        !want.is_empty()
            && self.path.as_deref().is_some_and(|p| {
                p.rsplit(['\\', '/']).next().is_some_and(|last| {
                    let last = last.trim().to_ascii_lowercase();
                    // MSRD-Collect's `f686aace..._*` wildcard covers every file it names.
                    match last.strip_suffix('*') {
                        Some(prefix) if !prefix.contains('*') => want.starts_with(prefix),
                        _ => last == want,
                    }
                })
            })
    }

    /// Every rule names its identity by SID (the collector's locale-independent form).
    pub fn by_sid(&self) -> bool {
        !self.entries.is_empty()
            && self
                .entries
                .iter()
                .all(|e| e.identity.trim().to_ascii_uppercase().starts_with("S-1-"))
    }

    /// The object is the MachineKeys folder itself.
    pub fn is_machinekeys_folder(&self) -> bool {
        self.path.as_deref().is_some_and(|p| {
            p.trim_end_matches(['\\', '/'])
                .to_ascii_lowercase()
                .ends_with(r"crypto\rsa\machinekeys")
        })
    }

    /// The rules that keep [`AclObject::network_service_can_read`] from answering "no": an
    /// identity in a language (or a SID) not recognised, rights not recognised, or a rule block
    /// that could not be read.
    pub fn unread_rules(&self) -> Vec<UnreadRule> {
        let mut out: Vec<UnreadRule> = self
            .incomplete
            .iter()
            .map(|&line| UnreadRule {
                line,
                what: "access rule could not be read".into(),
            })
            .collect();
        for e in &self.entries {
            let principal = e.principal();
            if principal == Principal::Unrecognised {
                out.push(UnreadRule {
                    line: e.line,
                    what: format!(
                        "account {:?} not recognised (language not recognised)",
                        e.identity
                    ),
                });
            } else if principal != Principal::Other && e.reads().is_none() {
                out.push(UnreadRule {
                    line: e.line,
                    what: format!("rights {:?} not recognised", e.rights),
                });
            }
        }
        out
    }

    /// Whether NETWORK SERVICE can read the object: an Allow with read rights for NETWORK
    /// SERVICE or a group it belongs to (Everyone, Authenticated Users, Users, SERVICE), and no
    /// Deny with read rights for those. Unknown is never "no": `Some(false)` only when every
    /// rule was understood (or a Deny is certain); `None` when no rule was printed or a rule
    /// that could decide was not understood.
    pub fn network_service_can_read(&self) -> Option<bool> {
        if self.entries.is_empty() {
            return None;
        }
        let (mut allowed, mut denied) = (false, false);
        let (mut maybe_allowed, mut maybe_denied) =
            (!self.incomplete.is_empty(), !self.incomplete.is_empty());
        for e in &self.entries {
            let member = match e.principal() {
                Principal::NetworkService | Principal::GroupWithNetworkService => Some(true),
                Principal::Other => Some(false),
                Principal::Unrecognised => None,
            };
            let (certain, possible) = match (member, e.reads()) {
                (Some(false), _) | (_, Some(false)) => (false, false),
                (Some(true), Some(true)) => (true, true),
                _ => (false, true),
            };
            match e.access {
                AccessType::Allow => {
                    allowed |= certain;
                    maybe_allowed |= possible && !certain;
                }
                AccessType::Deny => {
                    denied |= certain;
                    maybe_denied |= possible && !certain;
                }
            }
        }
        if denied {
            return Some(false);
        }
        if allowed {
            return (!maybe_denied).then_some(true);
        }
        (!maybe_allowed && !maybe_denied).then_some(false)
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
                    incomplete: Vec::new(),
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
        file.problems.push(Problem::at_line(
            Severity::Warning,
            line.no,
            "line is not a `Label : value` row of an access rule",
        ));
    }
    flush_block(&mut block, &mut file);
    file.objects
        .retain(|o| !o.entries.is_empty() || o.path.is_some() || !o.incomplete.is_empty());
    if !saw_rows {
        if let Some(icacls) = parse_icacls(bytes)? {
            return Ok(icacls);
        }
        return Err(TextError::Format(
            "no `FileSystemRights`/`IdentityReference` rows and no `account:(rights)` lines: not a Get-Acl or icacls access list".into(),
        ));
    }
    Ok(file)
}

/// icacls' rights → .NET `FileSystemRights` names, so one reader judges both. Source:
/// learn.microsoft.com/windows-server/administration/windows-commands/icacls (simple rights
/// `N F M RX R W D`; specific rights `DE RC WDAC WO S AS MA GR GW GE GA RD WD AD REA WEA X DC RA
/// WA`; inheritance `(I) (OI) (CI) (IO) (NP)`; `(DENY)` marks a deny ACE). These letters are not
/// translated; the account names are.
fn icacls_right(r: &str) -> Option<&'static str> {
    Some(match r {
        "F" | "GA" => "FullControl",
        "M" => "Modify",
        "RX" => "ReadAndExecute",
        "R" | "GR" => "Read",
        "RD" => "ReadData",
        "W" | "GW" => "Write",
        "D" | "DE" => "Delete",
        "RC" => "ReadPermissions",
        "WDAC" => "ChangePermissions",
        "WO" => "TakeOwnership",
        "S" => "Synchronize",
        "WD" => "WriteData",
        "AD" => "AppendData",
        "REA" => "ReadExtendedAttributes",
        "WEA" => "WriteExtendedAttributes",
        "X" | "GE" => "ExecuteFile",
        "DC" => "DeleteSubdirectoriesAndFiles",
        "RA" => "ReadAttributes",
        "WA" => "WriteAttributes",
        // N: no access; AS, MA: access system security / maximum allowed (not file data).
        "N" | "AS" | "MA" => "Synchronize",
        _ => return None,
    })
}

/// One `account:(flags)(rights)` ACE of icacls → an entry (`None` when it has no `:(`).
fn icacls_ace(line: u64, account: &str, groups: &str) -> Option<AclEntry> {
    let mut access = AccessType::Allow;
    let mut rights: Vec<String> = Vec::new();
    let mut inherited = false;
    let mut flags: Vec<&str> = Vec::new();
    for g in groups
        .split(')')
        .map(|g| g.trim_start_matches('(').trim())
        .filter(|g| !g.is_empty())
    {
        match g {
            "DENY" => access = AccessType::Deny,
            "I" => inherited = true,
            "OI" | "CI" | "IO" | "NP" => flags.push(g),
            _ => {
                for r in g.split(',').map(str::trim) {
                    // A letter not in icacls' table is kept as is: `reads()` then says unknown.
                    rights.push(icacls_right(r).map_or_else(|| r.to_string(), str::to_string));
                }
            }
        }
    }
    Some(AclEntry {
        line,
        identity: account.trim().to_string(),
        rights: rights.join(", "),
        access,
        inherited: Some(inherited),
        inheritance_flags: (!flags.is_empty()).then(|| flags.join(", ")),
        propagation_flags: None,
    })
}

/// `icacls <path>` output: the path, then one `account:(rights)` per line, the later ones
/// indented to where the first account starts; a summary line ends it (translated). The
/// account of a one-ACE object cannot be split from the path by column: it is taken as the
/// longest tail after a space that the account tables recognise, else the object is marked
/// incomplete (unknown).
fn parse_icacls(bytes: &[u8]) -> Result<Option<AclFile>, TextError> {
    let prepared = prepare(bytes)?;
    let mut file = AclFile {
        objects: Vec::new(),
        problems: prepared.problems,
    };
    // (line, text) of ACE lines in the current object.
    let mut block: Vec<(u64, String)> = Vec::new();
    let is_ace = |t: &str| {
        let t = t.trim_end();
        t.ends_with(')') && t.contains(":(")
    };
    let flush = |block: &mut Vec<(u64, String)>, file: &mut AclFile| {
        if block.is_empty() {
            return;
        }
        let rows = std::mem::take(block);
        let (first_line, first) = &rows[0];
        // Where accounts start: the indentation of the continuation lines.
        let column = rows
            .get(1)
            .map(|(_, l)| l.len() - l.trim_start().len())
            .filter(|&c| c > 0 && c < first.len());
        let Some(split) = first.rfind(":(") else { return };
        let head = &first[..split];
        let (path, account) = match column {
            Some(c) if first.is_char_boundary(c) && c <= split => (head[..c].trim(), head[c..].trim()),
            _ => {
                let mut best: Option<(usize, &str)> = None;
                for (i, ch) in head.char_indices() {
                    if ch == ' ' {
                        let tail = head[i + 1..].trim();
                        if locale::known_account(tail) {
                            best = Some((i, tail));
                            break;
                        }
                    }
                }
                match best {
                    Some((i, tail)) => (head[..i].trim(), tail),
                    None => {
                        file.objects.push(AclObject {
                            path: None,
                            command: None,
                            line: *first_line,
                            entries: Vec::new(),
                            incomplete: vec![*first_line],
                        });
                        file.problems.push(Problem::at_line(
                            Severity::Warning,
                            *first_line,
                            "could not read, language not recognised: icacls account of a one-rule object",
                        ));
                        return;
                    }
                }
            }
        };
        let mut object = AclObject {
            path: Some(path.to_string()).filter(|p| !p.is_empty()),
            command: None,
            line: *first_line,
            entries: Vec::new(),
            incomplete: Vec::new(),
        };
        let push = |line: u64, account: &str, groups: &str, object: &mut AclObject| match icacls_ace(
            line, account, groups,
        ) {
            Some(e) if object.entries.len() < 4096 => object.entries.push(e),
            _ => object.incomplete.push(line),
        };
        push(*first_line, account, &first[split + 1..], &mut object);
        for (line, text) in &rows[1..] {
            let t = text.trim();
            match t.rfind(":(") {
                Some(i) => push(*line, &t[..i], &t[i + 1..], &mut object),
                None => object.incomplete.push(*line),
            }
        }
        if file.objects.len() < MAX_ITEMS {
            file.objects.push(object);
        }
    };
    for (_, line) in &prepared.lines {
        let t = line.text.trim_end();
        if t.trim().is_empty() {
            flush(&mut block, &mut file);
            continue;
        }
        if is_ace(t) {
            // A line starting at column 0 starts a new object.
            if !t.starts_with(' ') {
                flush(&mut block, &mut file);
            }
            block.push((line.no, t.to_string()));
        } else {
            flush(&mut block, &mut file);
        }
    }
    flush(&mut block, &mut file);
    if file.objects.is_empty() {
        return Ok(None);
    }
    Ok(Some(file))
}

/// A rule of the current object could not be read: the object cannot say "nobody grants".
fn mark_incomplete(file: &mut AclFile, line: u64) {
    match file.objects.last_mut() {
        Some(o) => {
            if o.incomplete.len() < 64 {
                o.incomplete.push(line);
            }
        }
        None => file.objects.push(AclObject {
            path: None,
            command: None,
            line,
            entries: Vec::new(),
            incomplete: vec![line],
        }),
    }
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
        file.problems.push(Problem::at_line(
            Severity::Warning,
            line,
            "access rule block without FileSystemRights/RegistryRights, IdentityReference or AccessControlType",
        ));
        mark_incomplete(file, line);
        return;
    };
    let access = if access.eq_ignore_ascii_case("allow") {
        AccessType::Allow
    } else if access.eq_ignore_ascii_case("deny") {
        AccessType::Deny
    } else {
        file.problems.push(Problem::at_line(
            Severity::Warning,
            line,
            format!("AccessControlType {access:?} is neither Allow nor Deny"),
        ));
        mark_incomplete(file, line);
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
        mark_incomplete(file, line);
        return;
    }
    match file.objects.last_mut() {
        Some(o) => o.entries.push(entry),
        None => file.objects.push(AclObject {
            path: None,
            command: None,
            line,
            entries: vec![entry],
            incomplete: Vec::new(),
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
    fn icacls_in_english_german_and_unknown() {
        let path = r"C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys\f686aace6942fb7f7ceb231212eef4a4_5a1e";
        let pad = " ".repeat(path.len() + 1);
        let text = |sys: &str, adm: &str, ns: &str| {
            format!(
                "{path} {sys}:(F)\r\n{pad}{adm}:(I)(F)\r\n{pad}{ns}:(R)\r\n\r\nSuccessfully processed 1 files; Failed processing 0 files\r\n"
            )
        };
        let en = parse(
            text(
                r"NT AUTHORITY\SYSTEM",
                r"BUILTIN\Administrators",
                r"NT AUTHORITY\NETWORK SERVICE",
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(en.objects.len(), 1);
        assert!(en.objects[0].is_rdp_key_file());
        assert_eq!(en.objects[0].entries[2].rights, "Read");
        assert_eq!(en.objects[0].network_service_can_read(), Some(true));
        let de = parse(
            text(
                "NT-AUTORITÄT\\SYSTEM",
                r"VORDEFINIERT\Administratoren",
                r"CONTOSO\PSMConnect",
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(de.objects[0].network_service_can_read(), Some(false));
        let pl = parse(
            text(
                r"ZARZĄDZANIE NT\SYSTEM",
                r"BUILTIN\Administratorzy",
                r"ZARZĄDZANIE NT\USŁUGA SIECIOWA",
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(pl.objects[0].network_service_can_read(), None);
        // One ACE in a language not known: the account cannot be split from the path.
        let one = parse(format!("{path} ZARZĄDZANIE NT\\SYSTEM:(F)\r\n").as_bytes()).unwrap();
        assert_eq!(one.objects[0].network_service_can_read(), None);
        let deny = parse(
            format!("{path} Everyone:(DENY)(R)\r\n{pad}NT AUTHORITY\\NETWORK SERVICE:(R)\r\n").as_bytes(),
        )
        .unwrap();
        assert_eq!(deny.objects[0].network_service_can_read(), Some(false));
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
