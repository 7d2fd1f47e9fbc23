//! Typed facts about one host, from its registry snapshots and command outputs, so that the
//! correlation and diagnosis stages never look at raw formats.
//!
//! [`HostFacts::from_artifacts`] takes a host's artifacts (name, sniffed kind, bytes), parses
//! every registry export, hive (with its transaction logs) and text/JSON/trace artifact in
//! parallel, merges the registry into one tree, and derives the facts field guide sections 4
//! and 5 name: the RDP listener configuration with Group Policy overrides, SCHANNEL switches,
//! FIPS, CredSSP, firewall rules, ProfileList, client settings, OS version, MachineGuid, the
//! certificate stores, MachineKeys ACLs, who listens on which port, the clock source, security
//! products, client versions, the probe, and RDP client trace headers and events. Every fact
//! keeps its provenance (artifact, registry key and value, or line); everything that could not
//! be read is a [`FactProblem`] naming the artifact and line.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::input::ContentKind;
use crate::model::Severity;
use crate::registry::hive::{HiveContents, HiveKind, HiveOptions, detect_kind, embedded_name};
use crate::registry::{RegData, RegFile, RegValue, Registry, fw_rule_string, hex_upper, read_hive, reg_file};
use crate::text_artifacts::acl_list::{AclFile, AclObject};
use crate::text_artifacts::certutil::{Certificate, CertutilDump, KeyState, normalise_thumbprint};
use crate::text_artifacts::etl_header::EtlHeader;
use crate::text_artifacts::json_artifacts::{JsonArtifact, SecurityProduct};
use crate::text_artifacts::netsh_rules::NetshRules;
use crate::text_artifacts::netstat::{NetstatOutput, NetstatRow};
use crate::text_artifacts::tracerpt::{TraceEvent, TraceEvents};
use crate::text_artifacts::w32tm::W32tmStatus;
use crate::text_artifacts::{
    DateOrder, LineProblem, TextError, acl_list, certutil, date_order_of_culture, date_order_of_texts,
    etl_header, json_artifacts, netsh_rules, netstat, parse_local_datetime_in, tracerpt, w32tm,
};
use rdpdiag_schemas::domain::TextFormat;
use rdpdiag_schemas::probe::{PhaseOutcomes, ProbeOutcome, ProbePhase, classify};
use rdpdiag_schemas::registry_interest::{REGISTRY_INTEREST, Reach, RegistryHive};

/// `HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server`.
pub const TS_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server";
/// Group Policy for Remote Desktop Services (overrides the listener's values).
pub const TS_POLICY_KEY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
/// SCHANNEL protocol switches.
pub const SCHANNEL_PROTOCOLS_KEY: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols";
/// LSA (FIPS).
pub const LSA_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa";
/// CredSSP encryption-oracle remediation policy.
pub const CREDSSP_KEY: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters";
/// Local firewall rules.
pub const FIREWALL_RULES_KEY: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules";
/// Group Policy firewall rules.
pub const FIREWALL_POLICY_RULES_KEY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall\FirewallRules";
/// OS version.
pub const CURRENT_VERSION_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
/// Profiles.
pub const PROFILE_LIST_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList";
/// Machine-wide client settings.
pub const TS_CLIENT_HKLM_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Terminal Server Client";
/// Per-user client settings (MRU, accepted server certificates).
pub const TS_CLIENT_HKCU_KEY: &str = r"HKCU\Software\Microsoft\Terminal Server Client";
/// MachineGuid.
pub const CRYPTOGRAPHY_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Cryptography";
/// Machine certificate stores in the registry.
pub const SYSTEM_CERTIFICATES_KEY: &str = r"HKLM\SOFTWARE\Microsoft\SystemCertificates";
/// Group Policy "SSL Cipher Suite Order" (`Functions`, comma-separated), the first place
/// Microsoft checks when the TLS handshake of RDP fails (internal-error troubleshooting doc).
pub const CIPHER_POLICY_KEY: &str =
    r"HKLM\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002";
/// The local cipher-suite list (`Functions`, multi-string), same doc.
pub const CIPHER_LOCAL_KEY: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002";
/// TermService's registration (`Parameters\ServiceDll`: termsrv.dll unless something hooks it).
pub const TERMSERVICE_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\TermService";
/// Winlogon (`WinStationsDisabled`: 1 = "change logon /disable").
pub const WINLOGON_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon";

/// Where a fact came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// Artifact path inside the input.
    pub artifact: Arc<str>,
    /// Registry key path, for registry facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Registry value name, for registry facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// 1-based line in a text artifact (or `.reg` file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl Provenance {
    fn artifact(artifact: &Arc<str>) -> Provenance {
        Provenance {
            artifact: artifact.clone(),
            key: None,
            value: None,
            line: None,
        }
    }

    fn line(artifact: &Arc<str>, line: u64) -> Provenance {
        Provenance {
            line: Some(line),
            ..Provenance::artifact(artifact)
        }
    }

    fn of_value(key: &str, v: &RegValue) -> Provenance {
        Provenance {
            artifact: v.origin.artifact.clone(),
            key: Some(key.to_string()),
            value: Some(v.name.clone()),
            line: v.origin.line,
        }
    }

    fn of_key(k: &crate::registry::RegKey) -> Provenance {
        Provenance {
            artifact: k.origin.artifact.clone(),
            key: Some(k.path.clone()),
            value: None,
            line: k.origin.line,
        }
    }
}

/// A value with its provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub source: Provenance,
}

/// A setting that Group Policy can override: both raw values and the one in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting<T> {
    /// The local (listener / Terminal Server key) value.
    pub local: Option<Fact<T>>,
    /// The Group Policy value (`HKLM\SOFTWARE\Policies\...\Terminal Services`).
    pub policy: Option<Fact<T>>,
    /// Policy when set, else local.
    pub effective: Option<T>,
}

impl<T: Clone> Setting<T> {
    fn new(local: Option<Fact<T>>, policy: Option<Fact<T>>) -> Setting<T> {
        let effective = policy.as_ref().or(local.as_ref()).map(|f| f.value.clone());
        Setting {
            local,
            policy,
            effective,
        }
    }
}

impl<T> Default for Setting<T> {
    fn default() -> Self {
        Setting {
            local: None,
            policy: None,
            effective: None,
        }
    }
}

/// One RDP listener (`WinStations\<name>` with a `PortNumber`), field guide 4.1-4.3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListenerConfig {
    /// Listener name (`RDP-Tcp`).
    pub name: String,
    /// Its key.
    pub key: String,
    /// `PortNumber`.
    pub port_number: Option<Fact<u32>>,
    /// `SecurityLayer` (0 RDP, 1 Negotiate, 2 TLS).
    pub security_layer: Setting<u32>,
    /// `UserAuthentication` (1 = NLA required).
    pub user_authentication: Setting<u32>,
    /// `MinEncryptionLevel` (1 Low, 2 Client compatible, 3 High, 4 FIPS).
    pub min_encryption_level: Setting<u32>,
    /// `SSLCertificateSHA1Hash`, upper-case hex.
    pub ssl_certificate_sha1_hash: Option<Fact<String>>,
    /// `SSLCertificateSHA1HashType` (1 self-signed, 2 GP template, 3 custom).
    pub ssl_certificate_sha1_hash_type: Option<Fact<u32>>,
    /// `fEnableWinStation` (0 disables the listener).
    pub enable_winstation: Option<Fact<u32>>,
    /// `fDenyTSConnections` (Terminal Server key / policy; 1 = RDP denied).
    pub deny_ts_connections: Setting<u32>,
    /// `LoadableProtocol_Object` (replaced by third-party stacks).
    pub loadable_protocol_object: Option<Fact<String>>,
}

/// Terminal Server key values that are not per listener.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TerminalServerFacts {
    /// `MaxOutstandingConnections` (absent = OS default).
    pub max_outstanding_connections: Option<Fact<u32>>,
    /// `WinStations\SelfSignedCertificate`, upper-case hex thumbprint.
    pub self_signed_certificate: Option<Fact<String>>,
    /// `WinStations\SelfSignedCertStore` (normally `Remote Desktop`).
    pub self_signed_cert_store: Option<Fact<String>>,
    /// Policy `SelectTransport` (0 UDP+TCP, 1 TCP only, 2 either).
    pub policy_select_transport: Option<Fact<u32>>,
    /// `fSingleSessionPerUser` with its policy.
    pub single_session_per_user: Setting<u32>,
    /// Client-side policy `Terminal Services\Client\fClientDisableUDP`.
    pub policy_client_disable_udp: Option<Fact<u32>>,
}

/// `SCHANNEL\Protocols\<protocol>\<side>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchannelSwitch {
    /// `TLS 1.2`, `SSL 3.0`, ...
    pub protocol: String,
    /// `Server` or `Client`.
    pub side: String,
    /// `Enabled` (0 disables; 1 or 0xFFFFFFFF enables).
    pub enabled: Option<Fact<u32>>,
    /// `DisabledByDefault`.
    pub disabled_by_default: Option<Fact<u32>>,
}

impl SchannelSwitch {
    /// `Some(false)` when `Enabled` is 0, `Some(true)` when set non-zero, `None` when absent.
    pub fn is_enabled(&self) -> Option<bool> {
        self.enabled.as_ref().map(|f| f.value != 0)
    }
}

/// Where a firewall rule was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirewallRuleOrigin {
    /// `...\FirewallPolicy\FirewallRules` (local store).
    Registry,
    /// `HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall\FirewallRules` (Group Policy).
    GroupPolicy,
    /// `netsh advfirewall firewall show rule` output.
    Netsh,
    /// The collector's `Get-NetFirewallRule` JSON (enum names, never translated).
    Structured,
}

/// One firewall rule, from the registry grammar or netsh text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirewallRuleFact {
    /// Where it was read.
    pub origin: FirewallRuleOrigin,
    /// Registry value name (rule id, e.g. `RemoteDesktop-UserMode-In-TCP`).
    pub id: Option<String>,
    /// Display name (netsh) or `Name=` (often an indirect string).
    pub name: Option<String>,
    /// Active / enabled.
    pub enabled: Option<bool>,
    /// `Allow`, `Block` or `Bypass`.
    pub action: Option<String>,
    /// `In` or `Out`.
    pub direction: Option<String>,
    /// `TCP`, `UDP`, `Any`, or the protocol number/name as given.
    pub protocol: Option<String>,
    /// Local ports (`3389`, `Any`, ranges).
    pub local_ports: Vec<String>,
    /// Remote ports.
    pub remote_ports: Vec<String>,
    /// Local addresses.
    pub local_addresses: Vec<String>,
    /// Remote addresses.
    pub remote_addresses: Vec<String>,
    /// Profiles (`Domain`, `Private`, `Public`); empty = all.
    pub profiles: Vec<String>,
    /// Program.
    pub app: Option<String>,
    /// Service.
    pub service: Option<String>,
    /// Group (`EmbedCtxt` / `Grouping`).
    pub group: Option<String>,
    /// Schema version of a rule string.
    pub version: Option<String>,
    /// Action, direction and (for netsh) enabled were read: the rule can be judged. A rule in a
    /// language not recognised is kept with `false`, so "no Block rule" cannot be concluded.
    pub read_fully: bool,
    /// Where it came from.
    pub source: Provenance,
}

impl FirewallRuleFact {
    /// The rule matches inbound TCP traffic to `port` (any address): direction In, protocol
    /// TCP or any, a local port list containing the port, a range over it, or `Any`/none.
    pub fn covers_inbound_tcp_port(&self, port: u16) -> bool {
        let inbound = self
            .direction
            .as_deref()
            .is_none_or(|d| d.eq_ignore_ascii_case("in"));
        let tcp = self
            .protocol
            .as_deref()
            .is_none_or(|p| p.eq_ignore_ascii_case("tcp") || p == "6" || p.eq_ignore_ascii_case("any"));
        let ports = self.local_ports.is_empty()
            || self.local_ports.iter().any(|p| {
                p.split(',').map(str::trim).any(|p| {
                    if p.eq_ignore_ascii_case("any") {
                        return true;
                    }
                    match p.split_once('-') {
                        Some((a, b)) => match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
                            (Ok(a), Ok(b)) => (a..=b).contains(&port),
                            _ => false,
                        },
                        None => p.parse::<u16>() == Ok(port),
                    }
                })
            });
        inbound && tcp && ports
    }

    /// `Block` action.
    pub fn is_block(&self) -> bool {
        self.action
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("block"))
    }
}

/// One `ProfileList` entry (field guide 4.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileEntry {
    /// SID (key name without `.bak`).
    pub sid: String,
    /// Key name as stored.
    pub key_name: String,
    /// The key ends with `.bak`: the profile service backed up a profile it could not load.
    pub backup: bool,
    /// `ProfileImagePath`.
    pub image_path: Option<String>,
    /// `State`.
    pub state: Option<u32>,
    /// `RefCount`.
    pub ref_count: Option<u32>,
    /// `Flags`.
    pub flags: Option<u32>,
    /// The key.
    pub source: Provenance,
}

impl ProfileEntry {
    /// The profile points at a temporary profile folder (`C:\Users\TEMP...`).
    pub fn is_temp(&self) -> bool {
        self.image_path.as_deref().is_some_and(|p| {
            p.rsplit('\\')
                .next()
                .is_some_and(|last| last.to_ascii_uppercase().starts_with("TEMP"))
        })
    }
}

/// A server the user connected to with mstsc (`Servers\<host>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerEntry {
    /// Host as typed.
    pub host: String,
    /// `UsernameHint`.
    pub username_hint: Option<String>,
    /// `CertHash` of the server certificate the user accepted, upper-case hex.
    pub cert_hash: Option<String>,
    /// The key.
    pub source: Provenance,
}

/// Client settings (field guide 4.9).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClientSettings {
    /// `HKLM\...\Terminal Server Client\DisableUDPTransport` (1 = TCP only).
    pub disable_udp_transport: Option<Fact<u32>>,
    /// `EnableCredSSPSupport` (0 = no NLA).
    pub enable_credssp_support: Option<Fact<u32>>,
    /// `RDGClientTransport`.
    pub rdg_client_transport: Option<Fact<u32>>,
    /// `AuthenticationLevelOverride`.
    pub authentication_level_override: Option<Fact<u32>>,
    /// `HKCU\...\Default\MRU0..9`, in order.
    pub mru: Vec<Fact<String>>,
    /// `HKCU\...\Servers\*`.
    pub servers: Vec<ServerEntry>,
}

/// OS version (field guide 4.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsVersionFacts {
    /// `ProductName` as stored (says Windows 10 on Windows 11).
    pub product_name_raw: Option<String>,
    /// The real product name: `Windows 11 ...` when the build is 22000 or later.
    pub product_name: Option<String>,
    /// `EditionID`.
    pub edition_id: Option<String>,
    /// `InstallationType` (`Client`, `Server`, `Server Core`).
    pub installation_type: Option<String>,
    /// `DisplayVersion` (or `ReleaseId` on older builds).
    pub display_version: Option<String>,
    /// `CurrentBuild` (or `CurrentBuildNumber`).
    pub build: Option<u32>,
    /// `UBR`.
    pub ubr: Option<u32>,
    /// The CurrentVersion key.
    pub source: Provenance,
}

/// A certificate listed in the registry store (`SystemCertificates\<store>\Certificates\<thumb>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryCertificate {
    /// Store (`MY`, `Remote Desktop`).
    pub store: String,
    /// Thumbprint, upper-case hex.
    pub thumbprint: String,
    /// The key.
    pub source: Provenance,
}

/// A certificate from a certutil dump.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertificateFact {
    /// Store (`MY`, `Remote Desktop`), normalised (`My`/`Personal` → `MY`).
    pub store: Option<String>,
    /// What certutil printed (or the collector's certificate JSON, mapped to the same fields).
    pub certificate: Certificate,
    /// From the collector's locale-independent JSON (preferred over certutil text).
    pub structured: bool,
    /// Artifact and line of the certificate block.
    pub source: Provenance,
}

/// Access rules of one object (file, folder, key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclFact {
    /// The object and its rules.
    pub object: AclObject,
    /// Artifact and line.
    pub source: Provenance,
}

/// An IP interface from `Get-NetIPInterface` (with its adapter's description).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetInterfaceFact {
    /// The interface.
    #[serde(flatten)]
    pub interface: crate::text_artifacts::json_artifacts::NetIpInterface,
    /// Artifact.
    pub source: Provenance,
}

/// A socket from netstat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocketFact {
    /// The row.
    #[serde(flatten)]
    pub row: NetstatRow,
    /// From `Get-NetTCPConnection` JSON (preferred over netstat text).
    pub structured: bool,
    /// Artifact and line.
    pub source: Provenance,
}

/// The clock status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeFact {
    /// What w32tm printed.
    pub status: W32tmStatus,
    /// Synchronised from a real source (`None`: could not be read).
    pub synced: Option<bool>,
    /// Artifact.
    pub source: Provenance,
}

/// A Security Center product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityProductFact {
    /// The product.
    #[serde(flatten)]
    pub product: SecurityProduct,
    /// Artifact.
    pub source: Provenance,
}

/// Versions of the client binaries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientVersionsFact {
    /// File name → version (`None` = not installed).
    pub versions: BTreeMap<String, Option<String>>,
    /// Artifact.
    pub source: Provenance,
}

/// The collector's probe result, kept as JSON until its shape is fixed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeFact {
    /// The JSON.
    pub raw: serde_json::Value,
    /// Artifact.
    pub source: Provenance,
}

impl ProbeFact {
    /// What a Windows client connecting as the probe did meets, reduced from the phases'
    /// outcomes (`rdpdiag_schemas::probe::classify`, the same reduction the collector writes
    /// as `client_view`), with the JSON field that decided it. `None` when the JSON is not a
    /// probe result (no `tcp.outcome` text): unknown, never "no".
    pub fn outcome(&self) -> Option<(ProbeOutcome, ProbePhase, &'static str)> {
        let text = |a: &str, b: &str| self.raw.get(a).and_then(|p| p.get(b)).and_then(|v| v.as_str());
        let tcp = text("tcp", "outcome")?;
        let selected_protocol = self
            .raw
            .get("x224")
            .and_then(|x| x.get("selected_protocol_value"))
            .and_then(|v| v.as_u64())
            .and_then(|v| u32::try_from(v).ok());
        let (outcome, phase) = classify(PhaseOutcomes {
            tcp,
            x224: text("x224", "outcome"),
            selected_protocol,
            tls: text("tls", "outcome"),
        });
        let field = match phase {
            ProbePhase::Tcp => "tcp.outcome",
            ProbePhase::X224 => "x224.outcome",
            ProbePhase::Tls => "tls.outcome",
        };
        Some((outcome, phase, field))
    }
}

/// The header of a client trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceHeaderFact {
    /// The header.
    pub header: EtlHeader,
    /// Artifact.
    pub source: Provenance,
}

/// Settings that decide whether the server takes new RDP connections at all, and what sits in
/// its TLS and service stack (issue 15: logon-disabled, rdp-service-crash, cipher policy).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServerPolicyFacts {
    /// Cipher suites of the Group Policy order, when the policy is set.
    pub cipher_policy: Option<Fact<Vec<String>>>,
    /// Cipher suites of the local list, when present.
    pub cipher_local: Option<Fact<Vec<String>>>,
    /// `TermService\Parameters\ServiceDll`.
    pub service_dll: Option<Fact<String>>,
    /// `Winlogon\WinStationsDisabled`.
    pub winstations_disabled: Option<Fact<u32>>,
    /// `Terminal Server\TSServerDrainMode` (1 = no new logons, 2 = until restart).
    pub drain_mode: Option<Fact<u32>>,
    /// `MaxInstanceCount` of RDP-Tcp and the policy "Limit number of connections".
    pub max_instance_count: Setting<u32>,
}

/// Events of a converted client trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEventsFact {
    /// `xml` or `csv`.
    pub format: &'static str,
    /// Events.
    pub events: Vec<TraceEvent>,
    /// Events beyond the cap.
    pub dropped: u64,
    /// Artifact.
    pub source: Provenance,
}

/// What an artifact was used for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArtifactUse {
    /// Artifact path.
    pub artifact: Arc<str>,
    /// `reg export`, `hive SYSTEM`, `certutil`, ... or why it was not used.
    pub used_as: String,
    /// Parsed (possibly with problems).
    pub parsed: bool,
}

/// Something that could not be read, with its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FactProblem {
    /// How bad.
    pub severity: Severity,
    /// Artifact.
    pub artifact: Arc<str>,
    /// 1-based line, when it concerns one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// What.
    pub message: String,
}

/// Everything known about one host, typed. Each part is empty/`None` when no artifact told it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HostFacts {
    /// RDP listeners, `RDP-Tcp` first.
    pub listeners: Vec<ListenerConfig>,
    /// Other Terminal Server settings.
    pub terminal_server: TerminalServerFacts,
    /// Logon mode, connection limits, cipher policy, TermService's DLL.
    pub server_policy: ServerPolicyFacts,
    /// SCHANNEL protocol switches present.
    pub schannel: Vec<SchannelSwitch>,
    /// `Lsa\FIPSAlgorithmPolicy\Enabled` (or the legacy `Lsa\FIPSAlgorithmPolicy` value).
    pub fips_enabled: Option<Fact<bool>>,
    /// CredSSP `AllowEncryptionOracle` (0 force updated, 1 mitigated, 2 vulnerable).
    pub credssp_allow_encryption_oracle: Option<Fact<u32>>,
    /// Firewall rules (registry and netsh).
    pub firewall_rules: Vec<FirewallRuleFact>,
    /// ProfileList entries.
    pub profiles: Vec<ProfileEntry>,
    /// Client settings.
    pub client: ClientSettings,
    /// OS version.
    pub os: Option<OsVersionFacts>,
    /// `HKLM\SOFTWARE\Microsoft\Cryptography\MachineGuid` (names the RDP key file).
    pub machine_guid: Option<Fact<String>>,
    /// Certificates listed in the registry stores.
    pub registry_certificates: Vec<RegistryCertificate>,
    /// Certificates from certutil dumps.
    pub certificates: Vec<CertificateFact>,
    /// ACLs (MachineKeys folder, RDP key file ...).
    pub acls: Vec<AclFact>,
    /// Sockets from netstat.
    pub sockets: Vec<SocketFact>,
    /// IP interfaces with their MTU and adapter (`Get-NetIPInterface`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub net_interfaces: Vec<NetInterfaceFact>,
    /// Clock status.
    pub time: Option<TimeFact>,
    /// Security Center products.
    pub security_products: Vec<SecurityProductFact>,
    /// Client binary versions.
    pub client_versions: Option<ClientVersionsFact>,
    /// Probe results.
    pub probes: Vec<ProbeFact>,
    /// Client trace headers.
    pub trace_headers: Vec<TraceHeaderFact>,
    /// Converted client trace events.
    pub trace_events: Vec<TraceEventsFact>,
    /// What each artifact was used for.
    pub artifacts: Vec<ArtifactUse>,
    /// What could not be read.
    pub problems: Vec<FactProblem>,
    /// The merged registry (for rules that need a value not modelled here; not serialised).
    #[serde(skip)]
    pub registry: Registry,
}

/// The words every "ambiguous date" problem of the text parsers carries.
const AMBIGUOUS_DATE: &str = "ambiguous without the host's culture";

/// The shared list's hive for a hive kind (`None`: the facts read nothing from it).
fn interest_hive(kind: HiveKind) -> Option<RegistryHive> {
    match kind {
        HiveKind::System => Some(RegistryHive::System),
        HiveKind::Software => Some(RegistryHive::Software),
        HiveKind::NtUser => Some(RegistryHive::NtUser),
        _ => None,
    }
}

/// Hive subtrees the facts need, relative to the hive root (see [`HiveOptions::include`]):
/// the subtree entries of the shared list `rdpdiag_schemas::registry_interest`, which is also
/// what `--redact` keeps of hives.
pub fn hive_include(kind: HiveKind) -> Option<Vec<String>> {
    let Some(hive) = interest_hive(kind) else {
        return Some(Vec::new());
    };
    Some(
        REGISTRY_INTEREST
            .iter()
            .filter(|e| e.hive == hive && e.reach == Reach::Subtree)
            .map(|e| e.path.to_string())
            .collect(),
    )
}

/// Keys whose own values are needed but whose (large) subtrees are not (the shared list's
/// single-key entries).
fn hive_single_keys(kind: HiveKind) -> Vec<String> {
    let Some(hive) = interest_hive(kind) else {
        return Vec::new();
    };
    REGISTRY_INTEREST
        .iter()
        .filter(|e| e.hive == hive && e.reach == Reach::Key)
        .map(|e| e.path.to_string())
        .collect()
}

/// One artifact after parsing (before merging).
enum Parsed {
    Reg(RegFile),
    Hive(Box<HiveContents>),
    Certutil(CertutilDump),
    Acl(AclFile),
    Netstat(NetstatOutput),
    Netsh(NetshRules),
    W32tm(W32tmStatus),
    Json(JsonArtifact),
    Etl(EtlHeader),
    Trace(TraceEvents),
    Skipped(String),
    Failed(String, String),
}

/// Hive transaction logs are named `<hive>.LOG`, `.LOG1`, `.LOG2`.
fn log_stem(name: &str) -> Option<&str> {
    let upper = name.to_ascii_uppercase();
    for suffix in [".LOG1", ".LOG2", ".LOG"] {
        if upper.ends_with(suffix) {
            return Some(&name[..name.len() - suffix.len()]);
        }
    }
    None
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn text_error(e: &TextError) -> (Option<u64>, String) {
    match e {
        TextError::Line { line, message } => (Some(*line), message.clone()),
        other => (None, other.to_string()),
    }
}

/// Reads a hive with the subtrees the facts need (plus the values of a few single keys).
fn read_hive_for_facts(primary: &[u8], logs: &[&[u8]], name: &str) -> Result<HiveContents, String> {
    // Kind from the names first (the reader re-detects it from the top-level keys); an
    // unrecognised hive is read whole, up to the key cap.
    let guess = detect_kind(&embedded_name(primary), file_name(name), &[]);
    let opts = HiveOptions {
        include: hive_include(guess).filter(|_| guess != HiveKind::Unknown),
        include_keys: hive_single_keys(guess),
        max_keys: 200_000,
    };
    read_hive(primary, logs, file_name(name), &opts).map_err(|e| e.to_string())
}

impl HostFacts {
    /// Builds a host's facts from its artifacts: `(artifact path, sniffed kind, bytes)`.
    /// Artifacts that hold no host facts (EVTX, zips, unknown binaries) are listed as skipped.
    pub fn from_artifacts<I, S, B>(artifacts: I) -> HostFacts
    where
        I: IntoIterator<Item = (S, ContentKind, B)>,
        S: AsRef<str>,
        B: AsRef<[u8]> + Sync,
    {
        HostFacts::from_artifacts_in(artifacts, None)
    }

    /// Like [`HostFacts::from_artifacts`], for a host whose format culture (from its manifest)
    /// is known: ambiguous dates in command outputs (`1/2/2024`) are read in `culture`'s
    /// day/month order; without it only unambiguous dates are read.
    pub fn from_artifacts_in<I, S, B>(artifacts: I, culture: Option<&str>) -> HostFacts
    where
        I: IntoIterator<Item = (S, ContentKind, B)>,
        S: AsRef<str>,
        B: AsRef<[u8]> + Sync,
    {
        let order = culture.and_then(date_order_of_culture);
        let items: Vec<(Arc<str>, ContentKind, B)> = artifacts
            .into_iter()
            .map(|(n, k, b)| (Arc::from(n.as_ref()), k, b))
            .collect();
        // Transaction logs of hives, by the primary's path.
        let mut logs_of: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut is_log = vec![false; items.len()];
        for (i, (name, kind, _)) in items.iter().enumerate() {
            if *kind == ContentKind::Hive
                && let Some(stem) = log_stem(name)
            {
                logs_of.entry(stem.to_ascii_lowercase()).or_default().push(i);
                is_log[i] = true;
            }
        }
        let parsed: Vec<Parsed> = items
            .par_iter()
            .enumerate()
            .map(|(i, (name, kind, bytes))| {
                if is_log[i] {
                    return Parsed::Skipped("hive transaction log (replayed with its hive)".into());
                }
                let bytes = bytes.as_ref();
                match kind {
                    ContentKind::Reg => match reg_file::parse(bytes) {
                        Ok(r) => Parsed::Reg(r),
                        Err(e) => Parsed::Failed("reg export".into(), e.to_string()),
                    },
                    ContentKind::Hive => {
                        let logs: Vec<&[u8]> = logs_of
                            .get(&name.to_ascii_lowercase())
                            .map(|v| v.iter().map(|&j| items[j].2.as_ref()).collect())
                            .unwrap_or_default();
                        match read_hive_for_facts(bytes, &logs, name) {
                            Ok(h) => Parsed::Hive(Box::new(h)),
                            Err(e) => Parsed::Failed("hive".into(), e),
                        }
                    }
                    ContentKind::Text(format) => parse_text(*format, bytes, order),
                    ContentKind::Json => match json_artifacts::parse(bytes) {
                        Ok(j) => Parsed::Json(j),
                        Err(e) => Parsed::Failed("json".into(), e.to_string()),
                    },
                    ContentKind::Etl => match etl_header::parse(bytes) {
                        Ok(h) => Parsed::Etl(h),
                        Err(e) => Parsed::Failed("etl".into(), e.to_string()),
                    },
                    ContentKind::TraceXml | ContentKind::TraceCsv => match tracerpt::parse(bytes) {
                        Ok(t) => Parsed::Trace(t),
                        Err(e) => Parsed::Failed("tracerpt conversion".into(), e.to_string()),
                    },
                    ContentKind::Evtx | ContentKind::RedactedEvents => {
                        Parsed::Skipped("event log (read by the EVTX stage)".into())
                    }
                    other => Parsed::Skipped(format!("{} holds no host facts", other.name())),
                }
            })
            .collect();

        let mut facts = HostFacts::default();
        let mut b = Builder { facts: &mut facts };
        for ((name, _, _), p) in items.iter().zip(parsed) {
            b.absorb(name, p);
        }
        if order.is_none() {
            facts.read_dates_in_host_order();
        }
        facts.derive_registry_facts();
        facts
    }

    /// Without a culture: the day/month order the host's own unambiguous dates prove (one host
    /// prints one format culture in certutil and w32tm), applied to its ambiguous dates; when no
    /// date decides (or they disagree) the ambiguous ones stay unknown.
    fn read_dates_in_host_order(&mut self) {
        let texts: Vec<String> = self
            .certificates
            .iter()
            .filter(|c| !c.structured)
            .flat_map(|c| {
                [
                    c.certificate.not_before_text.clone(),
                    c.certificate.not_after_text.clone(),
                ]
            })
            .chain(self.time.iter().map(|t| t.status.last_sync_text.clone()))
            .flatten()
            .collect();
        let Some(order) = date_order_of_texts(texts.iter().map(String::as_str)) else {
            return;
        };
        for c in self.certificates.iter_mut().filter(|c| !c.structured) {
            let cert = &mut c.certificate;
            if cert.not_before_local.is_none() {
                cert.not_before_local = cert
                    .not_before_text
                    .as_deref()
                    .and_then(|t| parse_local_datetime_in(t, Some(order)));
            }
            if cert.not_after_local.is_none() {
                cert.not_after_local = cert
                    .not_after_text
                    .as_deref()
                    .and_then(|t| parse_local_datetime_in(t, Some(order)));
            }
        }
        if let Some(t) = self.time.as_mut()
            && t.status.last_sync_local.is_none()
        {
            t.status.last_sync_local = t
                .status
                .last_sync_text
                .as_deref()
                .and_then(|x| parse_local_datetime_in(x, Some(order)));
            t.synced = t.status.synced();
        }
        self.problems.retain(|p| !p.message.contains(AMBIGUOUS_DATE));
    }

    /// The `RDP-Tcp` listener.
    pub fn rdp_listener(&self) -> Option<&ListenerConfig> {
        self.listeners
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case("RDP-Tcp"))
    }

    /// The sockets to judge: the collector's `Get-NetTCPConnection` JSON when there is one
    /// (states are enum names), else netstat's rows.
    pub fn socket_facts(&self) -> Vec<&SocketFact> {
        let structured: Vec<&SocketFact> = self.sockets.iter().filter(|s| s.structured).collect();
        if structured.is_empty() {
            self.sockets.iter().collect()
        } else {
            structured
        }
    }

    /// The certificates to judge: the collector's JSON (ISO dates, key opened) when there is
    /// one, else certutil's.
    pub fn certificate_facts(&self) -> Vec<&CertificateFact> {
        let structured: Vec<&CertificateFact> = self.certificates.iter().filter(|c| c.structured).collect();
        if structured.is_empty() {
            self.certificates.iter().collect()
        } else {
            structured
        }
    }

    /// TCP sockets listening on `port`.
    pub fn tcp_listeners_on(&self, port: u16) -> Vec<&SocketFact> {
        self.socket_facts()
            .into_iter()
            .filter(|s| s.row.is_tcp_listen() && s.row.local_port() == Some(port))
            .collect()
    }

    /// Owners (`nginx.exe`, `TermService (svchost.exe)`) of the TCP sockets listening on `port`,
    /// without duplicates.
    pub fn tcp_port_owners(&self, port: u16) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in self.tcp_listeners_on(port) {
            let o = s.row.owner();
            if !out.contains(&o) {
                out.push(o);
            }
        }
        out
    }

    /// The ACL of the RDP self-signed key file (`f686aace..._<MachineGuid>`), when collected.
    pub fn rdp_key_acl(&self) -> Option<&AclFact> {
        self.acls.iter().find(|a| a.object.is_rdp_key_file())
    }

    /// The ACL of the MachineKeys folder.
    pub fn machinekeys_folder_acl(&self) -> Option<&AclFact> {
        self.acls.iter().find(|a| a.object.is_machinekeys_folder())
    }

    /// Whether NETWORK SERVICE can read the RDP key file (`None` when its ACL was not collected).
    pub fn network_service_can_read_rdp_key(&self) -> Option<bool> {
        self.rdp_key_acl()?.object.network_service_can_read()
    }

    /// Certificates of a store (`MY`, `Remote Desktop`) from certutil dumps.
    pub fn certificates_in(&self, store: &str) -> Vec<&CertificateFact> {
        self.certificate_facts()
            .into_iter()
            .filter(|c| c.store.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(store)))
            .collect()
    }

    /// A certificate by thumbprint (any store, certutil dumps).
    pub fn certificate(&self, thumbprint: &str) -> Option<&CertificateFact> {
        let t = normalise_thumbprint(thumbprint)?;
        self.certificate_facts()
            .into_iter()
            .find(|c| c.certificate.thumbprint.as_deref() == Some(t.as_str()))
    }

    /// Every thumbprint known to be in `MY` or `Remote Desktop` (certutil and registry).
    pub fn rdp_store_thumbprints(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let stores = ["MY", "Remote Desktop"];
        for c in &self.certificates {
            if c.store
                .as_deref()
                .is_some_and(|s| stores.iter().any(|x| x.eq_ignore_ascii_case(s)))
                && let Some(t) = &c.certificate.thumbprint
                && !out.contains(t)
            {
                out.push(t.clone());
            }
        }
        for r in &self.registry_certificates {
            if stores.iter().any(|x| x.eq_ignore_ascii_case(&r.store)) && !out.contains(&r.thumbprint) {
                out.push(r.thumbprint.clone());
            }
        }
        out
    }

    /// Whether the listener's `SSLCertificateSHA1Hash` names a certificate present in `MY` or
    /// `Remote Desktop` (field guide 4.11 matching rule). `None` when the hash is not set or no
    /// store content was collected.
    pub fn listener_certificate_found(&self) -> Option<bool> {
        let hash = self.rdp_listener()?.ssl_certificate_sha1_hash.as_ref()?;
        let known = self.rdp_store_thumbprints();
        if known.is_empty() && self.certificates.is_empty() {
            return None;
        }
        Some(known.iter().any(|t| t.eq_ignore_ascii_case(&hash.value)))
    }

    /// A SCHANNEL switch (`TLS 1.2`, `Server`).
    pub fn schannel_switch(&self, protocol: &str, side: &str) -> Option<&SchannelSwitch> {
        self.schannel
            .iter()
            .find(|s| s.protocol.eq_ignore_ascii_case(protocol) && s.side.eq_ignore_ascii_case(side))
    }

    /// ProfileList entries backed up by the profile service (`<SID>.bak`).
    pub fn backup_profiles(&self) -> Vec<&ProfileEntry> {
        self.profiles.iter().filter(|p| p.backup).collect()
    }

    fn problem(
        &mut self,
        severity: Severity,
        artifact: &Arc<str>,
        line: Option<u64>,
        message: impl Into<String>,
    ) {
        if self.problems.len() < 10_000 {
            self.problems.push(FactProblem {
                severity,
                artifact: artifact.clone(),
                line,
                message: message.into(),
            });
        }
    }

    fn line_problems(&mut self, artifact: &Arc<str>, problems: &[LineProblem]) {
        for p in problems.iter().take(200) {
            let line = (p.line > 0).then_some(p.line);
            // A date whose day/month order needs the host's culture is not damage: a note
            // (the date stays unknown).
            let severity = if p.message.contains(AMBIGUOUS_DATE) {
                Severity::Note
            } else {
                Severity::Warning
            };
            self.problem(severity, artifact, line, p.message.clone());
        }
        if problems.len() > 200 {
            self.problem(
                Severity::Warning,
                artifact,
                None,
                format!("{} more line problems not listed", problems.len() - 200),
            );
        }
    }

    fn used(&mut self, artifact: &Arc<str>, used_as: impl Into<String>, parsed: bool) {
        self.artifacts.push(ArtifactUse {
            artifact: artifact.clone(),
            used_as: used_as.into(),
            parsed,
        });
    }
}

fn parse_text(format: TextFormat, bytes: &[u8], order: Option<DateOrder>) -> Parsed {
    let fail = |what: &str, e: TextError| {
        let (line, msg) = text_error(&e);
        Parsed::Failed(
            what.to_string(),
            match line {
                Some(l) => format!("line {l}: {msg}"),
                None => msg,
            },
        )
    };
    match format {
        TextFormat::CertutilStore => {
            certutil::parse_in(bytes, order).map_or_else(|e| fail("certutil", e), Parsed::Certutil)
        }
        TextFormat::AclList => acl_list::parse(bytes).map_or_else(|e| fail("Get-Acl list", e), Parsed::Acl),
        TextFormat::Netstat => netstat::parse(bytes).map_or_else(|e| fail("netstat", e), Parsed::Netstat),
        TextFormat::FirewallRules => {
            netsh_rules::parse(bytes).map_or_else(|e| fail("netsh firewall rules", e), Parsed::Netsh)
        }
        TextFormat::W32tmStatus => {
            w32tm::parse_in(bytes, order).map_or_else(|e| fail("w32tm", e), Parsed::W32tm)
        }
        _ => Parsed::Skipped("text of a format with no host facts (or not recognised)".into()),
    }
}

/// Normalised certificate store name.
fn store_name(s: &str) -> String {
    match s.trim().to_ascii_uppercase().as_str() {
        "MY" | "PERSONAL" => "MY".to_string(),
        "REMOTE DESKTOP" => "Remote Desktop".to_string(),
        _ => s.trim().to_string(),
    }
}

struct Builder<'a> {
    facts: &'a mut HostFacts,
}

impl Builder<'_> {
    fn absorb(&mut self, name: &Arc<str>, p: Parsed) {
        let f = &mut *self.facts;
        match p {
            Parsed::Reg(r) => {
                f.used(name, "reg export", true);
                r.apply(&mut f.registry, name);
                let probs = r.problems.clone();
                f.line_problems(name, &probs);
            }
            Parsed::Hive(h) => {
                let mount = h.kind.mount_point();
                f.used(
                    name,
                    format!(
                        "hive {:?}{}",
                        h.kind,
                        if h.logs_given > 0 {
                            format!(" with {} transaction log(s)", h.logs_given)
                        } else {
                            String::new()
                        }
                    ),
                    mount.is_some(),
                );
                for n in h.notes.iter().take(50) {
                    f.problem(Severity::Note, name, None, n.clone());
                }
                match mount {
                    Some(m) => h.apply(&mut f.registry, name, m),
                    None => f.problem(
                        Severity::Note,
                        name,
                        None,
                        format!(
                            "hive {:?} not recognised as SYSTEM, SOFTWARE or NTUSER.DAT: not used",
                            h.embedded_name
                        ),
                    ),
                }
            }
            Parsed::Certutil(d) => {
                f.used(name, "certutil -verifystore", true);
                let store = d.store.as_deref().map(store_name);
                if let Some(fail) = &d.failure {
                    f.problem(Severity::Note, name, None, format!("certutil reported: {fail}"));
                }
                for c in d.certificates {
                    if c.thumbprint.is_none() {
                        f.problem(
                            Severity::Warning,
                            name,
                            Some(c.line),
                            "could not read, language not recognised: certificate without `Cert Hash(sha1)` (its presence in a store stays unknown)",
                        );
                    }
                    let source = Provenance::line(name, c.line);
                    f.certificates.push(CertificateFact {
                        store: store.clone(),
                        certificate: c,
                        structured: false,
                        source,
                    });
                }
                f.line_problems(name, &d.problems);
            }
            Parsed::Acl(a) => {
                f.used(name, "Get-Acl access list", true);
                for o in a.objects {
                    for u in o.unread_rules().into_iter().take(50) {
                        f.problem(
                            Severity::Warning,
                            name,
                            Some(u.line),
                            format!(
                                "could not read, language not recognised: {} ({})",
                                u.what,
                                o.path.as_deref().unwrap_or("object without a path")
                            ),
                        );
                    }
                    let source = Provenance::line(name, o.line);
                    f.acls.push(AclFact { object: o, source });
                }
                f.line_problems(name, &a.problems);
            }
            Parsed::Netstat(n) => {
                f.used(name, "netstat -anob", true);
                for row in n.rows {
                    let source = Provenance::line(name, row.line);
                    f.sockets.push(SocketFact {
                        row,
                        structured: false,
                        source,
                    });
                }
                f.line_problems(name, &n.problems);
            }
            Parsed::Netsh(n) => {
                f.used(name, "netsh firewall rules", true);
                for r in n.rules {
                    let protocol = r.protocol.clone();
                    let split = |v: &Option<String>| -> Vec<String> {
                        v.as_deref()
                            .map(|s| {
                                s.split(',')
                                    .map(|x| x.trim().to_string())
                                    .filter(|x| !x.is_empty())
                                    .collect()
                            })
                            .unwrap_or_default()
                    };
                    f.firewall_rules.push(FirewallRuleFact {
                        origin: FirewallRuleOrigin::Netsh,
                        id: None,
                        name: Some(r.name.clone()),
                        enabled: r.enabled,
                        action: r.action.clone(),
                        direction: r.direction.clone(),
                        protocol,
                        local_ports: split(&r.local_port),
                        remote_ports: split(&r.remote_port),
                        local_addresses: split(&r.local_ip),
                        remote_addresses: split(&r.remote_ip),
                        profiles: split(&r.profiles),
                        app: None,
                        service: None,
                        group: r.grouping.clone().filter(|g| !g.is_empty()),
                        version: None,
                        read_fully: r.fully_read(),
                        source: Provenance::line(name, r.line),
                    });
                }
                f.line_problems(name, &n.problems);
            }
            Parsed::W32tm(s) => {
                f.used(name, "w32tm /query /status", true);
                f.line_problems(name, &s.problems);
                let synced = s.synced();
                f.time = Some(TimeFact {
                    status: s,
                    synced,
                    source: Provenance::artifact(name),
                });
            }
            Parsed::Json(j) => match j {
                JsonArtifact::SecurityProducts(list) => {
                    f.used(name, "SecurityCenter2 products", true);
                    for product in list {
                        f.security_products.push(SecurityProductFact {
                            product,
                            source: Provenance::artifact(name),
                        });
                    }
                }
                JsonArtifact::ClientVersions(versions) => {
                    f.used(name, "client versions", true);
                    f.client_versions = Some(ClientVersionsFact {
                        versions,
                        source: Provenance::artifact(name),
                    });
                }
                JsonArtifact::Manifest => f.used(name, "bundle manifest (read by the input stage)", false),
                JsonArtifact::TcpListeners(list) => {
                    f.used(name, "Get-NetTCPConnection listeners (JSON)", true);
                    for (i, l) in list.into_iter().enumerate() {
                        let local = if l.local_address.contains(':') {
                            format!("[{}]:{}", l.local_address, l.local_port)
                        } else {
                            format!("{}:{}", l.local_address, l.local_port)
                        };
                        let foreign = if l.local_address.contains(':') {
                            "[::]:0"
                        } else {
                            "0.0.0.0:0"
                        };
                        f.sockets.push(SocketFact {
                            row: NetstatRow {
                                line: i as u64 + 1,
                                proto: "TCP".into(),
                                local,
                                foreign: foreign.into(),
                                state: Some(l.state),
                                pid: l.pid,
                                service: l.services.first().cloned(),
                                image: l.process,
                                ownership_unknown: false,
                            },
                            structured: true,
                            source: Provenance::artifact(name),
                        });
                    }
                }
                JsonArtifact::FirewallRules(list) => {
                    f.used(name, "Get-NetFirewallRule (JSON)", true);
                    for r in list {
                        let read_fully = r.enabled.is_some() && r.direction.is_some() && r.action.is_some();
                        f.firewall_rules.push(FirewallRuleFact {
                            origin: FirewallRuleOrigin::Structured,
                            id: r.name,
                            name: r.display_name,
                            enabled: r.enabled,
                            action: r.action,
                            direction: r.direction,
                            protocol: r.protocol,
                            local_ports: r.local_ports,
                            remote_ports: Vec::new(),
                            local_addresses: Vec::new(),
                            remote_addresses: Vec::new(),
                            profiles: r.profiles.map(|p| vec![p]).unwrap_or_default(),
                            app: None,
                            service: None,
                            group: None,
                            version: None,
                            read_fully,
                            source: Provenance::artifact(name),
                        });
                    }
                }
                JsonArtifact::Certificates(list) => {
                    f.used(name, "certificates (JSON)", true);
                    for (i, c) in list.into_iter().enumerate() {
                        let store = c.store.as_deref().map(store_name);
                        f.certificates.push(CertificateFact {
                            store,
                            certificate: structured_certificate(i as u64 + 1, c),
                            structured: true,
                            source: Provenance::artifact(name),
                        });
                    }
                }
                JsonArtifact::NetIpInterfaces(list) => {
                    f.used(name, "Get-NetIPInterface with adapters (JSON)", true);
                    f.net_interfaces
                        .extend(list.into_iter().map(|interface| NetInterfaceFact {
                            interface,
                            source: Provenance::artifact(name),
                        }));
                }
                JsonArtifact::Other(raw) => {
                    if raw.is_object() {
                        f.used(name, "probe (raw JSON)", true);
                        f.probes.push(ProbeFact {
                            raw,
                            source: Provenance::artifact(name),
                        });
                    } else {
                        f.used(name, "JSON of no known shape", false);
                    }
                }
            },
            Parsed::Etl(h) => {
                f.used(name, "ETL trace header", true);
                if h.truncated() {
                    f.problem(
                        Severity::Note,
                        name,
                        None,
                        format!(
                            "trace holds {} of {} buffers written ({} stray bytes): copied while being written or cut",
                            h.buffers_in_file, h.buffers_written, h.partial_tail_bytes
                        ),
                    );
                }
                f.trace_headers.push(TraceHeaderFact {
                    header: h,
                    source: Provenance::artifact(name),
                });
            }
            Parsed::Trace(t) => {
                f.used(name, format!("tracerpt {}", t.format), true);
                f.line_problems(name, &t.problems);
                f.trace_events.push(TraceEventsFact {
                    format: t.format,
                    events: t.events,
                    dropped: t.dropped,
                    source: Provenance::artifact(name),
                });
            }
            Parsed::Skipped(why) => f.used(name, why, false),
            Parsed::Failed(what, why) => {
                f.used(name, what.clone(), false);
                let (line, msg) = match why.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
                    Some((n, m)) => match n.parse::<u64>() {
                        Ok(n) => (Some(n), m.to_string()),
                        Err(_) => (None, why.clone()),
                    },
                    None => (None, why.clone()),
                };
                f.problem(Severity::Error, name, line, format!("{what}: {msg}"));
            }
        }
    }
}

fn fact_u32(reg: &Registry, key: &str, name: &str) -> Option<Fact<u32>> {
    let k = reg.key(key)?;
    let v = k.value(name)?;
    Some(Fact {
        value: v.data.as_u32()?,
        source: Provenance::of_value(&k.path, v),
    })
}

fn fact_text(reg: &Registry, key: &str, name: &str) -> Option<Fact<String>> {
    let k = reg.key(key)?;
    let v = k.value(name)?;
    Some(Fact {
        value: v.data.as_text()?,
        source: Provenance::of_value(&k.path, v),
    })
}

fn fact_hex(reg: &Registry, key: &str, name: &str) -> Option<Fact<String>> {
    let k = reg.key(key)?;
    let v = k.value(name)?;
    let value = match &v.data {
        RegData::Sz(s) => normalise_thumbprint(s).unwrap_or_else(|| s.trim().to_ascii_uppercase()),
        other => hex_upper(other.as_bytes()?),
    };
    Some(Fact {
        value,
        source: Provenance::of_value(&k.path, v),
    })
}

impl HostFacts {
    fn derive_registry_facts(&mut self) {
        let reg = std::mem::take(&mut self.registry);
        self.derive_listeners(&reg);
        self.derive_schannel(&reg);
        self.derive_security(&reg);
        self.derive_firewall(&reg);
        self.derive_profiles(&reg);
        self.derive_client(&reg);
        self.derive_os(&reg);
        self.derive_certificates(&reg);
        self.derive_server_policy(&reg);
        if reg.keys_dropped > 0 {
            self.problems.push(FactProblem {
                severity: Severity::Warning,
                artifact: Arc::from("registry"),
                line: None,
                message: format!("{} registry keys beyond the cap were not kept", reg.keys_dropped),
            });
        }
        self.registry = reg;
    }

    fn derive_listeners(&mut self, reg: &Registry) {
        let winstations = format!(r"{TS_KEY}\WinStations");
        let deny = Setting::new(
            fact_u32(reg, TS_KEY, "fDenyTSConnections"),
            fact_u32(reg, TS_POLICY_KEY, "fDenyTSConnections"),
        );
        for k in reg.subkeys(&winstations) {
            if k.value("PortNumber").is_none() && !k.name().eq_ignore_ascii_case("RDP-Tcp") {
                continue;
            }
            let path = k.path.clone();
            let policy = |n: &str| fact_u32(reg, TS_POLICY_KEY, n);
            let local = |n: &str| fact_u32(reg, &path, n);
            self.listeners.push(ListenerConfig {
                name: k.name().to_string(),
                key: path.clone(),
                port_number: local("PortNumber"),
                security_layer: Setting::new(local("SecurityLayer"), policy("SecurityLayer")),
                user_authentication: Setting::new(local("UserAuthentication"), policy("UserAuthentication")),
                min_encryption_level: Setting::new(local("MinEncryptionLevel"), policy("MinEncryptionLevel")),
                ssl_certificate_sha1_hash: fact_hex(reg, &path, "SSLCertificateSHA1Hash"),
                ssl_certificate_sha1_hash_type: local("SSLCertificateSHA1HashType"),
                enable_winstation: local("fEnableWinStation"),
                deny_ts_connections: deny.clone(),
                loadable_protocol_object: fact_text(reg, &path, "LoadableProtocol_Object"),
            });
        }
        self.listeners
            .sort_by_key(|l| !l.name.eq_ignore_ascii_case("RDP-Tcp"));
        self.terminal_server = TerminalServerFacts {
            max_outstanding_connections: fact_u32(reg, TS_KEY, "MaxOutstandingConnections"),
            self_signed_certificate: fact_hex(reg, &winstations, "SelfSignedCertificate"),
            self_signed_cert_store: fact_text(reg, &winstations, "SelfSignedCertStore"),
            policy_select_transport: fact_u32(reg, TS_POLICY_KEY, "SelectTransport"),
            single_session_per_user: Setting::new(
                fact_u32(reg, TS_KEY, "fSingleSessionPerUser"),
                fact_u32(reg, TS_POLICY_KEY, "fSingleSessionPerUser"),
            ),
            policy_client_disable_udp: fact_u32(
                reg,
                &format!(r"{TS_POLICY_KEY}\Client"),
                "fClientDisableUDP",
            ),
        };
    }

    fn derive_schannel(&mut self, reg: &Registry) {
        for p in reg.subkeys(SCHANNEL_PROTOCOLS_KEY) {
            for side in reg.subkeys(&p.path) {
                let enabled = fact_u32(reg, &side.path, "Enabled");
                let disabled_by_default = fact_u32(reg, &side.path, "DisabledByDefault");
                if enabled.is_none() && disabled_by_default.is_none() {
                    continue;
                }
                self.schannel.push(SchannelSwitch {
                    protocol: p.name().to_string(),
                    side: side.name().to_string(),
                    enabled,
                    disabled_by_default,
                });
            }
        }
    }

    fn derive_security(&mut self, reg: &Registry) {
        let fips = fact_u32(reg, &format!(r"{LSA_KEY}\FIPSAlgorithmPolicy"), "Enabled")
            .or_else(|| fact_u32(reg, LSA_KEY, "FIPSAlgorithmPolicy"));
        self.fips_enabled = fips.map(|f| Fact {
            value: f.value != 0,
            source: f.source,
        });
        self.credssp_allow_encryption_oracle = fact_u32(reg, CREDSSP_KEY, "AllowEncryptionOracle");
        self.machine_guid = fact_text(reg, CRYPTOGRAPHY_KEY, "MachineGuid");
    }

    fn derive_firewall(&mut self, reg: &Registry) {
        for (key, origin) in [
            (FIREWALL_RULES_KEY, FirewallRuleOrigin::Registry),
            (FIREWALL_POLICY_RULES_KEY, FirewallRuleOrigin::GroupPolicy),
        ] {
            let Some(k) = reg.key(key) else { continue };
            let path = k.path.clone();
            for v in &k.values {
                let source = Provenance::of_value(&path, v);
                let Some(text) = v.data.as_text() else {
                    continue;
                };
                match fw_rule_string::parse(&text) {
                    Ok(r) => self.firewall_rules.push(FirewallRuleFact {
                        read_fully: r.action.is_some(),
                        origin,
                        id: Some(v.name.clone()),
                        name: r.name,
                        enabled: r.active,
                        action: r.action.map(|a| {
                            if a.eq_ignore_ascii_case("bypass") {
                                "Bypass".into()
                            } else {
                                a
                            }
                        }),
                        direction: r.dir,
                        protocol: r.protocol.map(|p| match p {
                            6 => "TCP".to_string(),
                            17 => "UDP".to_string(),
                            n => n.to_string(),
                        }),
                        local_ports: r.lports,
                        remote_ports: r.rports,
                        local_addresses: r.local_addresses,
                        remote_addresses: r.remote_addresses,
                        profiles: r.profiles,
                        app: r.app,
                        service: r.svc,
                        group: r.embed_ctxt,
                        version: Some(r.version),
                        source,
                    }),
                    Err(e) => self.problems.push(FactProblem {
                        severity: Severity::Warning,
                        artifact: v.origin.artifact.clone(),
                        line: v.origin.line,
                        message: format!("firewall rule {:?}: {e}", v.name),
                    }),
                }
            }
        }
    }

    fn derive_profiles(&mut self, reg: &Registry) {
        for k in reg.subkeys(PROFILE_LIST_KEY) {
            let key_name = k.name().to_string();
            let (sid, backup) = match key_name.to_ascii_lowercase().strip_suffix(".bak") {
                Some(_) => (key_name[..key_name.len() - 4].to_string(), true),
                None => (key_name.clone(), false),
            };
            let num = |n: &str| k.value(n).and_then(|v| v.data.as_u32());
            self.profiles.push(ProfileEntry {
                sid,
                key_name,
                backup,
                image_path: k.value("ProfileImagePath").and_then(|v| v.data.as_text()),
                state: num("State"),
                ref_count: num("RefCount"),
                flags: num("Flags"),
                source: Provenance::of_key(k),
            });
        }
    }

    fn derive_client(&mut self, reg: &Registry) {
        let mut c = ClientSettings {
            disable_udp_transport: fact_u32(reg, TS_CLIENT_HKLM_KEY, "DisableUDPTransport"),
            enable_credssp_support: fact_u32(reg, TS_CLIENT_HKLM_KEY, "EnableCredSSPSupport"),
            rdg_client_transport: fact_u32(reg, TS_CLIENT_HKLM_KEY, "RDGClientTransport"),
            authentication_level_override: fact_u32(reg, TS_CLIENT_HKLM_KEY, "AuthenticationLevelOverride"),
            mru: Vec::new(),
            servers: Vec::new(),
        };
        let default = format!(r"{TS_CLIENT_HKCU_KEY}\Default");
        for i in 0..10 {
            if let Some(f) = fact_text(reg, &default, &format!("MRU{i}")) {
                c.mru.push(f);
            }
        }
        for k in reg.subkeys(&format!(r"{TS_CLIENT_HKCU_KEY}\Servers")) {
            c.servers.push(ServerEntry {
                host: k.name().to_string(),
                username_hint: k.value("UsernameHint").and_then(|v| v.data.as_text()),
                cert_hash: k.value("CertHash").and_then(|v| v.data.as_bytes()).map(hex_upper),
                source: Provenance::of_key(k),
            });
        }
        self.client = c;
    }

    fn derive_os(&mut self, reg: &Registry) {
        let Some(k) = reg.key(CURRENT_VERSION_KEY) else {
            return;
        };
        let text = |n: &str| {
            k.value(n)
                .and_then(|v| v.data.as_text())
                .filter(|s| !s.is_empty())
        };
        let build = text("CurrentBuild")
            .or_else(|| text("CurrentBuildNumber"))
            .and_then(|b| b.trim().parse::<u32>().ok());
        let product_raw = text("ProductName");
        let installation_type = text("InstallationType");
        if product_raw.is_none() && build.is_none() {
            return;
        }
        let product_name = product_raw.as_ref().map(|p| match build {
            Some(b) if b >= 22000 && p.contains("Windows 10") => p.replacen("Windows 10", "Windows 11", 1),
            _ => p.clone(),
        });
        self.os = Some(OsVersionFacts {
            product_name_raw: product_raw,
            product_name,
            edition_id: text("EditionID"),
            installation_type,
            display_version: text("DisplayVersion").or_else(|| text("ReleaseId")),
            build,
            ubr: k.value("UBR").and_then(|v| v.data.as_u32()),
            source: Provenance::of_key(k),
        });
    }

    fn derive_server_policy(&mut self, reg: &Registry) {
        // `Functions` is REG_SZ comma-separated under the policy key, REG_MULTI_SZ locally.
        let suites = |key: &str| -> Option<Fact<Vec<String>>> {
            let k = reg.key(key)?;
            let v = k.value("Functions")?;
            let list: Vec<String> = match &v.data {
                RegData::MultiSz(items) => items.clone(),
                other => other.as_text()?.split(',').map(str::to_string).collect(),
            };
            let list = list
                .into_iter()
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect();
            Some(Fact {
                value: list,
                source: Provenance::of_value(&k.path, v),
            })
        };
        let rdp_tcp = format!(r"{TS_KEY}\WinStations\RDP-Tcp");
        self.server_policy = ServerPolicyFacts {
            cipher_policy: suites(CIPHER_POLICY_KEY),
            cipher_local: suites(CIPHER_LOCAL_KEY),
            service_dll: fact_text(reg, &format!(r"{TERMSERVICE_KEY}\Parameters"), "ServiceDll"),
            winstations_disabled: fact_u32(reg, WINLOGON_KEY, "WinStationsDisabled"),
            // Absent from a Terminal Server key that was read: not draining (the default).
            drain_mode: fact_u32(reg, TS_KEY, "TSServerDrainMode").or_else(|| {
                reg.key(TS_KEY).map(|k| Fact {
                    value: 0,
                    source: Provenance::of_key(k),
                })
            }),
            max_instance_count: Setting::new(
                fact_u32(reg, &rdp_tcp, "MaxInstanceCount"),
                fact_u32(reg, TS_POLICY_KEY, "MaxInstanceCount"),
            ),
        };
    }

    fn derive_certificates(&mut self, reg: &Registry) {
        for store in ["MY", "Remote Desktop"] {
            for k in reg.subkeys(&format!(r"{SYSTEM_CERTIFICATES_KEY}\{store}\Certificates")) {
                if let Some(t) = normalise_thumbprint(k.name()) {
                    self.registry_certificates.push(RegistryCertificate {
                        store: store.to_string(),
                        thumbprint: t,
                        source: Provenance::of_key(k),
                    });
                }
            }
        }
    }
}

/// A certificate of the collector's JSON in the certutil model: ISO 8601 dates keep the host's
/// local wall-clock time (as certutil prints it), the key state comes from opening the key.
fn structured_certificate(
    index: u64,
    c: crate::text_artifacts::json_artifacts::StructuredCertificate,
) -> Certificate {
    let local = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t.trim()).ok())
            .map(|d| d.naive_local())
    };
    let key = match (c.key_open.as_deref(), c.has_private_key) {
        (Some(k), _) if k.eq_ignore_ascii_case("ok") => KeyState::Present,
        (Some(k), _) if k.eq_ignore_ascii_case("missing") => KeyState::Missing,
        (Some(k), _) if k.to_ascii_lowercase().starts_with("error") => {
            KeyState::Unreadable { error: k.to_string() }
        }
        (_, Some(false)) => KeyState::NoKeyInfo,
        _ => KeyState::Unknown,
    };
    Certificate {
        line: index,
        index: u32::try_from(index).ok(),
        thumbprint: c.thumbprint.as_deref().and_then(normalise_thumbprint),
        serial: None,
        subject: c.subject,
        issuer: c.issuer,
        not_before_local: local(&c.not_before),
        not_after_local: local(&c.not_after),
        not_before_text: c.not_before,
        not_after_text: c.not_after,
        not_before_line: 0,
        not_after_line: 0,
        key_container: None,
        unique_container: c.key_unique_name,
        provider: c.key_provider,
        key,
        eku: c.eku,
        dns_names: Vec::new(),
        chain_errors: Vec::new(),
        self_signed: false,
    }
}

/// A certificate's key could not be used by certutil (missing or unreadable).
pub fn key_unusable(c: &Certificate) -> bool {
    matches!(c.key, KeyState::Missing | KeyState::Unreadable { .. })
}
