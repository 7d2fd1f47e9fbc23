//! What an input is, from its file list: our bundle, an MSRD-Collect result, an ad-hoc
//! collection, or a single file.
//!
//! - Our bundle has `manifest.json` at its root (or under one top folder, when a user zipped
//!   the folder rather than its content).
//! - MSRD-Collect (field guide 6.1) names its root `MSRD-Results-<C>-<yyyyMMdd_HHmmss>` and
//!   every file and folder inside `<C>_…`, e.g. `<C>_EventLogs/<C>_System.evtx`.

use rdpdiag_schemas::Role;
use rdpdiag_schemas::manifest::MANIFEST_FILE;
use serde::Serialize;

use super::Container;

/// The kinds of input the analyzer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LayoutKind {
    /// An rdpdiag bundle (`manifest.json`).
    Bundle,
    /// A Microsoft MSRD-Collect result.
    Msrd,
    /// Files without a known layout.
    AdHoc,
    /// One file given directly.
    SingleFile,
}

impl LayoutKind {
    /// Words for reports.
    pub fn describe(self) -> &'static str {
        match self {
            LayoutKind::Bundle => "rdpdiag bundle",
            LayoutKind::Msrd => "MSRD-Collect result",
            LayoutKind::AdHoc => "ad-hoc collection",
            LayoutKind::SingleFile => "single file",
        }
    }
}

/// What an input is and where its root is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Layout {
    /// The kind.
    pub kind: LayoutKind,
    /// Folder prefix (with trailing `/`) under which the bundle's paths are, or empty.
    pub root: String,
    /// MSRD-Collect: the computer name in the folder and file names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msrd_computer: Option<String>,
    /// MSRD-Collect: the role its event-log files suggest (client logs vs host logs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msrd_role: Option<Role>,
}

impl Layout {
    /// The layout of a single-file input.
    pub fn single_file() -> Self {
        Layout {
            kind: LayoutKind::SingleFile,
            root: String::new(),
            msrd_computer: None,
            msrd_role: None,
        }
    }
}

/// `MSRD-Results-<C>-<stamp>` -> `<C>`.
fn msrd_root_computer(name: &str) -> Option<String> {
    let rest = name.strip_prefix("MSRD-Results-")?;
    // The stamp is `yyyyMMdd_HHmmss`; TSS runs leave it out.
    let computer = match rest.rsplit_once('-') {
        Some((c, stamp)) if stamp.len() == 15 && stamp.bytes().all(|b| b.is_ascii_digit() || b == b'_') => c,
        _ => rest,
    };
    (!computer.is_empty()).then(|| computer.to_string())
}

/// `<C>_EventLogs` (or any `<C>_X` folder MSRD writes) -> `<C>`.
fn msrd_folder_computer(component: &str) -> Option<String> {
    const FOLDERS: &[&str] = &[
        "_EventLogs",
        "_RegistryKeys",
        "_Networking",
        "_Certificates",
        "_SystemInfo",
        "_RDClient",
    ];
    FOLDERS.iter().find_map(|suffix| {
        component
            .strip_suffix(suffix)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
    })
}

/// Recognises the layout from the (normalised) entry paths. `input_name` is the file or folder
/// name of the input itself (an unzipped MSRD folder carries the computer name there).
pub fn recognise(container: Container, input_name: &str, paths: &[&str]) -> Layout {
    if container == Container::File {
        return Layout::single_file();
    }
    if paths.contains(&MANIFEST_FILE) {
        return Layout {
            kind: LayoutKind::Bundle,
            root: String::new(),
            msrd_computer: None,
            msrd_role: None,
        };
    }
    let top: Option<&str> = paths.first().and_then(|p| p.split_once('/')).map(|(t, _)| t);
    if let Some(top) = top {
        let prefix = format!("{top}/");
        if paths.iter().all(|p| p.starts_with(&prefix))
            && paths.contains(&format!("{prefix}{MANIFEST_FILE}").as_str())
        {
            return Layout {
                kind: LayoutKind::Bundle,
                root: prefix,
                msrd_computer: None,
                msrd_role: None,
            };
        }
    }
    let stem = input_name
        .strip_suffix(".zip")
        .or_else(|| input_name.strip_suffix(".ZIP"))
        .unwrap_or(input_name);
    let computer = paths
        .iter()
        .flat_map(|p| p.split('/'))
        .find_map(|c| msrd_root_computer(c).or_else(|| msrd_folder_computer(c)))
        .or_else(|| msrd_root_computer(stem));
    if let Some(computer) = computer {
        let has = |short: &str| {
            paths.iter().any(|p| {
                p.rsplit('/')
                    .next()
                    .is_some_and(|f| f.eq_ignore_ascii_case(&format!("{computer}_{short}.evtx")))
            })
        };
        let client = has("RDPClient-Operational");
        let server = has("TerminalServicesRemoteConnectionManager-Operational")
            || has("RemoteDesktopServicesRdpCoreTS-Operational");
        let role = match (client, server) {
            (true, true) => Some(Role::Both),
            (true, false) => Some(Role::Client),
            (false, true) => Some(Role::Server),
            (false, false) => None,
        };
        return Layout {
            kind: LayoutKind::Msrd,
            root: String::new(),
            msrd_computer: Some(computer),
            msrd_role: role,
        };
    }
    Layout {
        kind: LayoutKind::AdHoc,
        root: String::new(),
        msrd_computer: None,
        msrd_role: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_at_root_or_under_one_folder() {
        let l = recognise(Container::Zip, "t.zip", &["evtx/System.evtx", "manifest.json"]);
        assert_eq!((l.kind, l.root.as_str()), (LayoutKind::Bundle, ""));
        let l = recognise(Container::Dir, "t", &["b/evtx/System.evtx", "b/manifest.json"]);
        assert_eq!((l.kind, l.root.as_str()), (LayoutKind::Bundle, "b/"));
    }

    #[test]
    fn msrd_zip_and_folder() {
        let l = recognise(
            Container::Zip,
            "MSRD-Results-SRV01-20240101_101010.zip",
            &[
                "MSRD-Results-SRV01-20240101_101010/SRV01_EventLogs/SRV01_System.evtx",
                "MSRD-Results-SRV01-20240101_101010/SRV01_EventLogs/SRV01_TerminalServicesRemoteConnectionManager-Operational.evtx",
            ],
        );
        assert_eq!(l.kind, LayoutKind::Msrd);
        assert_eq!(l.msrd_computer.as_deref(), Some("SRV01"));
        assert_eq!(l.msrd_role, Some(Role::Server));
        let l = recognise(
            Container::Dir,
            "MSRD-Results-PC-7-20240101_101010",
            &["PC-7_EventLogs/PC-7_RDPClient-Operational.evtx"],
        );
        assert_eq!(l.msrd_computer.as_deref(), Some("PC-7"));
        assert_eq!(l.msrd_role, Some(Role::Client));
    }

    #[test]
    fn anything_else_is_ad_hoc() {
        let l = recognise(Container::Zip, "logs.zip", &["System.evtx", "rdp.reg"]);
        assert_eq!(l.kind, LayoutKind::AdHoc);
        assert_eq!(
            recognise(Container::File, "x.evtx", &["x.evtx"]).kind,
            LayoutKind::SingleFile
        );
    }
}
