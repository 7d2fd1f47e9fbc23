//! The registry keys and values the analyzer reads: what `--redact` keeps of registry hives and
//! `reg export` files (the contract of both halves: the collector reads registry files with the
//! analyzer's parsers in `rdpdiag-artifacts`, but which keys matter is decided here, not there).
//!
//! The analyzer reads hives through this list (`analyzer/ingest/src/facts/registry.rs`, `hive_include`),
//! and a test there fails when the facts name a registry path the list does not keep; the
//! redacted-bundles test checks that reduced bundles give the same facts and diagnosis.
//! Paths are relative to the hive root. A segment `CurrentControlSet` matches `ControlSetNNN`
//! too (hives store the numbered sets, `reg export` prints `CurrentControlSet`).

/// A hive the analyzer reads, by where it is mounted on a running system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistryHive {
    /// `SYSTEM`, mounted at `HKLM\SYSTEM`.
    System,
    /// `SOFTWARE`, mounted at `HKLM\SOFTWARE`.
    Software,
    /// A user's `NTUSER.DAT`, mounted at `HKCU`.
    NtUser,
}

impl RegistryHive {
    /// The long root `reg export` writes for the hive's root key.
    pub fn export_root(self) -> &'static str {
        match self {
            RegistryHive::System => r"HKEY_LOCAL_MACHINE\SYSTEM",
            RegistryHive::Software => r"HKEY_LOCAL_MACHINE\SOFTWARE",
            RegistryHive::NtUser => "HKEY_CURRENT_USER",
        }
    }
}

/// How much of a key's subtree is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The key and every key under it.
    Subtree,
    /// The key alone (its subtree is large and not read).
    Key,
}

/// Which values of a kept key are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFilter {
    /// Every value.
    All,
    /// Only these (case-insensitive): the key also holds values that name people or hold
    /// secrets (`Winlogon\DefaultPassword`, `CurrentVersion\RegisteredOwner`).
    Named(&'static [&'static str]),
    /// None: only the key names are read (certificate thumbprints).
    NoValues,
}

impl ValueFilter {
    /// Whether the value `name` (`""` the default value) is kept.
    pub fn keeps(self, name: &str) -> bool {
        match self {
            ValueFilter::All => true,
            ValueFilter::Named(names) => names.iter().any(|n| n.eq_ignore_ascii_case(name)),
            ValueFilter::NoValues => false,
        }
    }
}

/// One entry of [`REGISTRY_INTEREST`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInterest {
    /// The hive.
    pub hive: RegistryHive,
    /// Path relative to the hive root, `\`-separated.
    pub path: &'static str,
    /// The key alone or its subtree.
    pub reach: Reach,
    /// Which values.
    pub values: ValueFilter,
}

const fn subtree(hive: RegistryHive, path: &'static str) -> KeyInterest {
    KeyInterest {
        hive,
        path,
        reach: Reach::Subtree,
        values: ValueFilter::All,
    }
}

use RegistryHive::{NtUser, Software, System};

/// Every key the analyzer reads (the facts of `analyzer/ingest/src/facts/registry.rs`; the value names in
/// `Named` are the ones it reads there).
pub const REGISTRY_INTEREST: &[KeyInterest] = &[
    // `Current` names the control set `CurrentControlSet` stands for.
    subtree(System, "Select"),
    // Listeners (port, security layer, NLA, certificate hash), MaxOutstandingConnections,
    // drain mode, MaxInstanceCount.
    subtree(System, r"CurrentControlSet\Control\Terminal Server"),
    subtree(System, r"CurrentControlSet\Control\SecurityProviders\SCHANNEL"),
    subtree(System, r"CurrentControlSet\Control\Lsa\FIPSAlgorithmPolicy"),
    KeyInterest {
        hive: System,
        path: r"CurrentControlSet\Control\Lsa",
        reach: Reach::Key,
        values: ValueFilter::Named(&["FIPSAlgorithmPolicy"]),
    },
    subtree(
        System,
        r"CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules",
    ),
    subtree(System, r"CurrentControlSet\Services\TermService"),
    subtree(
        System,
        r"CurrentControlSet\Control\Cryptography\Configuration\Local\SSL",
    ),
    subtree(Software, r"Policies\Microsoft\Windows NT\Terminal Services"),
    subtree(Software, r"Policies\Microsoft\WindowsFirewall\FirewallRules"),
    subtree(
        Software,
        r"Microsoft\Windows\CurrentVersion\Policies\System\CredSSP",
    ),
    // Each profile's values besides these hold the account's SID in binary (`Sid`).
    KeyInterest {
        hive: Software,
        path: r"Microsoft\Windows NT\CurrentVersion\ProfileList",
        reach: Reach::Subtree,
        values: ValueFilter::Named(&["ProfileImagePath", "State", "RefCount", "Flags"]),
    },
    // The client's machine-wide switches (the key's subtree is not read).
    KeyInterest {
        hive: Software,
        path: r"Microsoft\Terminal Server Client",
        reach: Reach::Key,
        values: ValueFilter::Named(&[
            "DisableUDPTransport",
            "EnableCredSSPSupport",
            "RDGClientTransport",
            "AuthenticationLevelOverride",
        ]),
    },
    // Thumbprints are the key names; the `Blob` values hold whole certificates.
    KeyInterest {
        hive: Software,
        path: r"Microsoft\SystemCertificates\MY\Certificates",
        reach: Reach::Subtree,
        values: ValueFilter::NoValues,
    },
    KeyInterest {
        hive: Software,
        path: r"Microsoft\SystemCertificates\Remote Desktop\Certificates",
        reach: Reach::Subtree,
        values: ValueFilter::NoValues,
    },
    subtree(Software, r"Policies\Microsoft\Cryptography\Configuration\SSL"),
    // Winlogon also holds DefaultUserName and, with auto-logon, DefaultPassword.
    KeyInterest {
        hive: Software,
        path: r"Microsoft\Windows NT\CurrentVersion\Winlogon",
        reach: Reach::Key,
        values: ValueFilter::Named(&["WinStationsDisabled"]),
    },
    // CurrentVersion also holds RegisteredOwner and RegisteredOrganization.
    KeyInterest {
        hive: Software,
        path: r"Microsoft\Windows NT\CurrentVersion",
        reach: Reach::Key,
        values: ValueFilter::Named(&[
            "CurrentBuild",
            "CurrentBuildNumber",
            "ProductName",
            "InstallationType",
            "EditionID",
            "DisplayVersion",
            "ReleaseId",
            "UBR",
        ]),
    },
    KeyInterest {
        hive: Software,
        path: r"Microsoft\Cryptography",
        reach: Reach::Key,
        values: ValueFilter::Named(&["MachineGuid"]),
    },
    // The user's recent servers and, per server, the user name hint and accepted certificate
    // (`LocalDevices` and the rest name servers too and are not read).
    KeyInterest {
        hive: NtUser,
        path: r"Software\Microsoft\Terminal Server Client\Default",
        reach: Reach::Key,
        values: ValueFilter::Named(&[
            "MRU0", "MRU1", "MRU2", "MRU3", "MRU4", "MRU5", "MRU6", "MRU7", "MRU8", "MRU9",
        ]),
    },
    KeyInterest {
        hive: NtUser,
        path: r"Software\Microsoft\Terminal Server Client\Servers",
        reach: Reach::Subtree,
        values: ValueFilter::Named(&["UsernameHint", "CertHash"]),
    },
];

/// Whether a key is kept, and with which values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Not read.
    Drop,
    /// An ancestor of a kept key: kept as a path, without values.
    Ancestor,
    /// Kept, with the values the filter keeps.
    Key(ValueFilter),
}

/// Whether one path segment matches a pattern segment: case-insensitively, and
/// `CurrentControlSet` matches `ControlSetNNN` too.
pub fn segment_matches(pattern: &str, name: &str) -> bool {
    if pattern == "*" || pattern.eq_ignore_ascii_case(name) {
        return true;
    }
    if pattern.eq_ignore_ascii_case("CurrentControlSet") {
        let n = name.to_ascii_lowercase();
        return n
            .strip_prefix("controlset")
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
    }
    false
}

/// Whether the key at `rel` (segments below the root of `hive`) is kept: a key matched by
/// several entries gets the widest value filter.
pub fn keep(hive: RegistryHive, rel: &[&str]) -> Keep {
    let mut out = Keep::Drop;
    for e in REGISTRY_INTEREST.iter().filter(|e| e.hive == hive) {
        let pattern: Vec<&str> = e.path.split('\\').filter(|s| !s.is_empty()).collect();
        let common = pattern.len().min(rel.len());
        if !pattern
            .iter()
            .zip(rel)
            .take(common)
            .all(|(p, n)| segment_matches(p, n))
        {
            continue;
        }
        let this = if rel.len() < pattern.len() {
            Keep::Ancestor
        } else if rel.len() == pattern.len() || e.reach == Reach::Subtree {
            Keep::Key(e.values)
        } else {
            Keep::Drop
        };
        out = wider(out, this);
    }
    out
}

fn wider(a: Keep, b: Keep) -> Keep {
    let rank = |k: Keep| match k {
        Keep::Drop => 0,
        Keep::Ancestor => 1,
        Keep::Key(ValueFilter::NoValues) => 2,
        Keep::Key(ValueFilter::Named(_)) => 3,
        Keep::Key(ValueFilter::All) => 4,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// The hive and the segments below its root of a full key path as `reg export` writes it
/// (`HKEY_LOCAL_MACHINE\SYSTEM\...`, `HKEY_CURRENT_USER\...`, short roots too); `None` for a
/// hive the analyzer does not read.
pub fn split_full_path(path: &str) -> Option<(RegistryHive, Vec<&str>)> {
    let mut parts = path.split('\\').map(str::trim).filter(|s| !s.is_empty());
    let root = parts.next()?;
    if root.eq_ignore_ascii_case("HKEY_CURRENT_USER") || root.eq_ignore_ascii_case("HKCU") {
        return Some((RegistryHive::NtUser, parts.collect()));
    }
    if !(root.eq_ignore_ascii_case("HKEY_LOCAL_MACHINE") || root.eq_ignore_ascii_case("HKLM")) {
        return None;
    }
    let hive = parts.next()?;
    let hive = if hive.eq_ignore_ascii_case("SYSTEM") {
        RegistryHive::System
    } else if hive.eq_ignore_ascii_case("SOFTWARE") {
        RegistryHive::Software
    } else {
        return None;
    };
    Some((hive, parts.collect()))
}

/// [`keep`] of a full key path ([`split_full_path`]); [`Keep::Drop`] for other hives.
pub fn keep_full_path(path: &str) -> Keep {
    match split_full_path(path) {
        Some((hive, rel)) => keep(hive, &rel),
        None => Keep::Drop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_subtrees_single_keys_and_ancestors() {
        let k = keep_full_path;
        assert_eq!(
            k(r"HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\Terminal Server\WinStations\RDP-Tcp"),
            Keep::Key(ValueFilter::All)
        );
        assert_eq!(
            k(r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server"),
            Keep::Key(ValueFilter::All)
        );
        assert_eq!(k(r"HKLM\SYSTEM\ControlSet001\Control"), Keep::Ancestor);
        assert_eq!(k(r"HKLM\SYSTEM\ControlSet001\Services\Tcpip"), Keep::Drop);
        assert!(matches!(
            k(r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa"),
            Keep::Key(ValueFilter::Named(_))
        ));
        assert_eq!(
            k(r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa\Kerberos"),
            Keep::Drop
        );
        assert_eq!(
            k(r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa\FIPSAlgorithmPolicy"),
            Keep::Key(ValueFilter::All)
        );
        // CurrentVersion is a single key and an ancestor of ProfileList and Winlogon.
        let Keep::Key(cv) = k(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion") else {
            panic!("CurrentVersion not kept");
        };
        assert!(cv.keeps("UBR") && !cv.keeps("RegisteredOwner"));
        let Keep::Key(wl) = k(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon") else {
            panic!("Winlogon not kept");
        };
        assert!(wl.keeps("winstationsdisabled") && !wl.keeps("DefaultPassword"));
        assert_eq!(
            k(r"HKLM\SOFTWARE\Microsoft\SystemCertificates\MY\Certificates\AB12"),
            Keep::Key(ValueFilter::NoValues)
        );
        let Keep::Key(server) =
            k(r"HKEY_CURRENT_USER\Software\Microsoft\Terminal Server Client\Servers\rds01")
        else {
            panic!("Servers not kept");
        };
        assert!(server.keeps("UsernameHint") && !server.keeps("Other"));
        assert_eq!(
            k(r"HKEY_CURRENT_USER\Software\Microsoft\Terminal Server Client\LocalDevices"),
            Keep::Drop
        );
        assert_eq!(
            k(r"HKEY_CURRENT_USER\Software\Microsoft\Terminal Server Client"),
            Keep::Ancestor
        );
        assert_eq!(k(r"HKEY_USERS\S-1-5-21-1-2-3-1001\Software"), Keep::Drop);
        assert_eq!(k(r"HKLM\SAM\SAM"), Keep::Drop);
        assert!(!segment_matches("CurrentControlSet", "ControlSet"));
    }
}
