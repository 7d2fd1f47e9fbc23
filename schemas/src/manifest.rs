//! Bundle manifest v1: `manifest.json` at the root of a diagnostic bundle.
//!
//! A bundle is a zip (deflate, ZIP64 when needed) written by `rdpdiag-collect` (or by the sample
//! generator, which uses the same writer). The manifest says who collected what, on which host,
//! in which window, and how each step went; the analyzer verifies every file's `blake3`
//! (`sha256` when a bundle has no `blake3`).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::{ArtifactKind, ArtifactStatus, Role, TextFormat};

/// The manifest version this crate reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// File name of the manifest at the root of a bundle.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The rule of [`check_bundle_path`] as an ECMA-262 regex, for the JSON Schema of `path`:
/// `/`-separated non-empty parts, none `.` or `..`, no `\`, `:` or NUL, no leading `/`.
pub const BUNDLE_PATH_PATTERN: &str = r"^(?!(?:[^/]*/)*\.{1,2}(?:/|$))[^/\\:\u0000]+(?:/[^/\\:\u0000]+)*$";

/// Bundle manifest v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always 1 for this version.
    #[schemars(extend("const" = 1))]
    pub schema_version: u32,
    /// Unique id of this bundle (UUID text).
    pub bundle_id: String,
    /// The program that wrote the bundle.
    pub tool: ToolInfo,
    /// When the bundle was finished, UTC.
    pub created_utc: DateTime<Utc>,
    /// Support ticket id given by the user (`--ticket`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// How the data was acquired.
    pub collection_mode: CollectionMode,
    /// The host the data comes from.
    pub host: HostInfo,
    /// The time window the event logs were filtered to.
    pub window: CollectionWindow,
    /// One entry per file in the bundle (and per failed or skipped step).
    pub artifacts: Vec<Artifact>,
    /// Redaction applied to text artifacts, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redaction: Option<Redaction>,
}

/// Name and version of the writing program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolInfo {
    /// e.g. `rdpdiag-collect` or `rdpdiag-samples`.
    pub name: String,
    /// Version of that program.
    pub version: String,
}

/// How a bundle's data was acquired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CollectionMode {
    /// On the running Windows machine, with its built-in tools.
    Live,
    /// From a mounted Windows volume (`--from-volume`), on any OS.
    Volume,
    /// Packed from files a user already had.
    Pack,
    /// Written by the sample generator (test fixtures).
    Generated,
}

/// The host a bundle describes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostInfo {
    /// Computer name (NetBIOS or FQDN, as `Computer` appears in its events).
    pub name: String,
    /// DNS domain or workgroup, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Operating system, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    /// The role the host played in the failing connection.
    pub role: Role,
    /// IP addresses of the host, as far as known (used to pair client and server).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// The host's time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<TimeZoneInfo>,
    /// The languages and formats the host's command outputs were printed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub culture: Option<CultureInfo>,
    /// What the host knew about its own clock when collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockStatus>,
}

/// Operating system facts (HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OsInfo {
    /// `ProductName`, e.g. "Windows Server 2022 Datacenter" (says "Windows 10" on Windows 11).
    pub product: String,
    /// `CurrentBuild`, e.g. 20348.
    pub build: u32,
    /// `UBR` (patch level), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ubr: Option<u32>,
    /// `DisplayVersion` (e.g. 22H2), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_version: Option<String>,
    /// `InstallationType`: "Client" or "Server", if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_type: Option<String>,
}

/// Time zone of a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeZoneInfo {
    /// Windows time zone name, e.g. "W. Europe Standard Time".
    pub name: String,
    /// Offset of local time from UTC at collection time, in minutes (e.g. 60 for UTC+1).
    pub utc_offset_minutes: i32,
}

/// The languages and formats of a host (Windows translates command outputs and prints dates in
/// the user's format culture; the analyzer reads ambiguous dates with `format_culture`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CultureInfo {
    /// UI language of the collecting user (`Get-UICulture`; labels and account names), e.g.
    /// `de-DE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_culture: Option<String>,
    /// Format culture of the collecting user (`Get-Culture`, `HKCU\Control Panel\International`
    /// `LocaleName`; dates and numbers), e.g. `de-DE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_culture: Option<String>,
    /// System locale (`Get-WinSystemLocale`; the code page of non-Unicode console output),
    /// e.g. `de-DE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_locale: Option<String>,
}

/// The host's clock as the collector saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockStatus {
    /// The host's UTC clock when the manifest was written (compare with `created_utc` of the
    /// other host's bundle and with probe offsets).
    pub host_utc_at_collection: DateTime<Utc>,
    /// w32tm source, e.g. "time.windows.com,0x9" or "Local CMOS Clock" (unsynchronised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_source: Option<String>,
    /// w32tm "Last Successful Sync Time", converted to UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_utc: Option<DateTime<Utc>>,
    /// w32tm stratum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratum: Option<u32>,
    /// Offset measured against a peer (e.g. the probed server), milliseconds, peer minus host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured_offset_ms: Option<i64>,
}

/// The time window event logs were filtered to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionWindow {
    /// Start of the window, UTC.
    pub since_utc: DateTime<Utc>,
    /// End of the window, UTC.
    pub until_utc: DateTime<Utc>,
}

/// One file of the bundle, or one step that produced none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    /// Path inside the bundle, `/`-separated, relative (e.g.
    /// `evtx/Microsoft-Windows-TerminalServices-RDPClient%4Operational.evtx`); no `..`, `.`,
    /// empty parts, backslashes, colons or leading `/` (the rule of `check_bundle_path`).
    #[schemars(pattern(BUNDLE_PATH_PATTERN))]
    pub path: String,
    /// What the file is.
    pub kind: ArtifactKind,
    /// For `text` artifacts: which command output it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_format: Option<TextFormat>,
    /// Where it came from.
    pub source: ArtifactSource,
    /// How it was acquired, e.g. `wevtutil epl`, `reg export`, `copy`, `generated`.
    pub method: String,
    /// SHA-256 of the file, lower-case hex; absent when no file was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[0-9a-f]{64}$"))]
    pub sha256: Option<String>,
    /// BLAKE3 (256-bit) of the file, lower-case hex; absent when no file was written, and in
    /// bundles of collectors older than this field. The analyzer verifies this hash when it is
    /// present (about 3x faster than SHA-256 on every byte of a large bundle) and `sha256`
    /// otherwise; `sha256` stays for the people who identify evidence files by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[0-9a-f]{64}$"))]
    pub blake3: Option<String>,
    /// Size of the file in bytes (0 when no file was written).
    pub size: u64,
    /// When the step started, UTC.
    pub started_utc: DateTime<Utc>,
    /// When the step finished, UTC.
    pub finished_utc: DateTime<Utc>,
    /// How the step went.
    pub status: ArtifactStatus,
    /// Why the step failed or is partial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where an artifact came from. At least one field is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactSource {
    /// Event log channel, e.g. `Microsoft-Windows-TerminalServices-RDPClient/Operational`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Registry key, e.g. `HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_key: Option<String>,
    /// File path on the host, e.g. `C:\Windows\System32\config\SYSTEM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
    /// Command line that produced the output, e.g. `netstat -anob`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// Redaction applied to text artifacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Redaction {
    /// What was redacted, e.g. `user-names`, `host-names`, `ip-addresses`.
    pub what: Vec<String>,
    /// How, e.g. `sha256 with a per-bundle salt, first 12 hex digits`.
    pub method: String,
    /// Paths of the artifacts that were rewritten.
    pub artifacts: Vec<String>,
}

/// Why a manifest could not be loaded. Every variant names the field it is about.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not JSON, or a field has the wrong type / is missing / is unknown.
    #[error("manifest field `{field}`: {message}")]
    Json {
        /// JSON path of the offending field (e.g. `artifacts[3].sha256`), `.` for the root.
        field: String,
        /// The parser's message.
        message: String,
    },
    /// Well-formed, but a value breaks a rule of v1.
    #[error("manifest field `{field}`: {message}")]
    Invalid {
        /// JSON path of the offending field.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl ManifestError {
    /// JSON path of the field the error is about.
    pub fn field(&self) -> &str {
        match self {
            ManifestError::Json { field, .. } | ManifestError::Invalid { field, .. } => field,
        }
    }
}

impl Manifest {
    /// Parses and validates a manifest, naming the offending field on error.
    pub fn from_json_slice(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let manifest: Manifest = serde_path_to_error::deserialize(de).map_err(|e| {
            let mut path = e.path().to_string();
            if path == "?" {
                // Syntax error before any field was entered: report the root, as documented.
                path = ".".into();
            }
            let message = e.into_inner().to_string();
            ManifestError::Json {
                field: missing_field_path(&path, &message).unwrap_or(path),
                message,
            }
        })?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Serialises the manifest as pretty JSON.
    pub fn to_json_pretty(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// Checks the rules of v1 that the types cannot express.
    pub fn validate(&self) -> Result<(), ManifestError> {
        let invalid = |field: String, message: String| Err(ManifestError::Invalid { field, message });
        if self.schema_version != SCHEMA_VERSION {
            return invalid(
                "schema_version".into(),
                format!(
                    "unsupported version {} (this build reads {SCHEMA_VERSION})",
                    self.schema_version
                ),
            );
        }
        if self.host.name.trim().is_empty() {
            return invalid("host.name".into(), "must not be empty".into());
        }
        if self.window.since_utc > self.window.until_utc {
            return invalid("window".into(), "since_utc is after until_utc".into());
        }
        let mut seen = std::collections::HashSet::new();
        for (i, a) in self.artifacts.iter().enumerate() {
            if let Err(why) = check_bundle_path(&a.path) {
                return invalid(format!("artifacts[{i}].path"), why);
            }
            if !seen.insert(a.path.as_str()) {
                return invalid(
                    format!("artifacts[{i}].path"),
                    format!("duplicate path {:?}", a.path),
                );
            }
            for (field, hash) in [("sha256", &a.sha256), ("blake3", &a.blake3)] {
                if let Some(h) = hash
                    && (h.len() != 64
                        || !h
                            .bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
                {
                    return invalid(
                        format!("artifacts[{i}].{field}"),
                        "must be 64 lower-case hex digits".into(),
                    );
                }
            }
            if a.started_utc > a.finished_utc {
                return invalid(
                    format!("artifacts[{i}].finished_utc"),
                    "is before started_utc".into(),
                );
            }
        }
        Ok(())
    }
}

/// serde names a missing field only in its message and reports the path of the enclosing
/// object; join the two so the error names the field itself (`host.role`, not `host`).
fn missing_field_path(path: &str, message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    let name = &rest[..rest.find('`')?];
    Some(if path == "." || path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    })
}

/// A path inside a bundle must be relative, `/`-separated, without `..`, `.`, empty parts,
/// drive letters or backslashes, so that no reader can be led outside the bundle.
pub fn check_bundle_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty path".into());
    }
    if path.starts_with('/') || path.contains('\\') || path.contains(':') || path.contains('\0') {
        return Err(format!("{path:?} is not a relative `/`-separated path"));
    }
    if path.split('/').any(|p| p.is_empty() || p == "." || p == "..") {
        return Err(format!("{path:?} has an empty, `.` or `..` component"));
    }
    Ok(())
}
