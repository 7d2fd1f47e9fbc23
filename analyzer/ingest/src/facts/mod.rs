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
//! be read is an [`ArtifactProblem`] naming the artifact and its place in it (the line of a text
//! artifact).
//!
//! The work is split by job: this module holds the fact types and [`HostFacts`]' query API;
//! `build` parses a host's artifacts (the parse dispatch by content kind) and absorbs each
//! parsed artifact into [`HostFacts`]; `registry` names the registry keys read, the hive
//! subtrees kept when reading hives ([`hive_include`]) and derives the registry facts from the
//! merged registry.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use rdpdiag_artifacts::registry::{RegValue, Registry};
use rdpdiag_artifacts::text_artifacts::acl_list::AclObject;
use rdpdiag_artifacts::text_artifacts::certutil::{Certificate, KeyState, normalise_thumbprint};
use rdpdiag_artifacts::text_artifacts::etl_header::EtlHeader;
use rdpdiag_artifacts::text_artifacts::json_artifacts::SecurityProduct;
use rdpdiag_artifacts::text_artifacts::netstat::NetstatRow;
use rdpdiag_artifacts::text_artifacts::tracerpt::TraceEvent;
use rdpdiag_artifacts::text_artifacts::w32tm::W32tmStatus;
use rdpdiag_evtx::model::ArtifactProblem;
use rdpdiag_schemas::probe::{PhaseOutcomes, ProbeOutcome, ProbePhase, classify};

mod build;
mod registry;

pub use registry::{
    CIPHER_LOCAL_KEY, CIPHER_POLICY_KEY, CREDSSP_KEY, CRYPTOGRAPHY_KEY, CURRENT_VERSION_KEY,
    FIREWALL_POLICY_RULES_KEY, FIREWALL_RULES_KEY, LSA_KEY, PROFILE_LIST_KEY, SCHANNEL_PROTOCOLS_KEY,
    SYSTEM_CERTIFICATES_KEY, TERMSERVICE_KEY, TS_CLIENT_HKCU_KEY, TS_CLIENT_HKLM_KEY, TS_KEY, TS_POLICY_KEY,
    WINLOGON_KEY, hive_include,
};

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

    fn of_key(k: &rdpdiag_artifacts::registry::RegKey) -> Provenance {
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
    pub interface: rdpdiag_artifacts::text_artifacts::json_artifacts::NetIpInterface,
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
    pub problems: Vec<ArtifactProblem>,
    /// The merged registry (for rules that need a value not modelled here; not serialised).
    #[serde(skip)]
    pub registry: Registry,
}

impl HostFacts {
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
}

/// A certificate's key could not be used by certutil (missing or unreadable).
pub fn key_unusable(c: &Certificate) -> bool {
    matches!(c.key, KeyState::Missing | KeyState::Unreadable { .. })
}
