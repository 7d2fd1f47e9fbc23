//! Names shared by every crate of rdpdiag.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which side of an RDP connection a host played when it was collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The machine running mstsc / MSRDC / Windows App.
    Client,
    /// The machine running TermService (RD Session Host, or a PC accepting RDP).
    Server,
    /// A machine that is both (e.g. a jump host).
    Both,
    /// Not known (ad-hoc inputs).
    Unknown,
}

/// What a file in a bundle is, by content (the analyzer sniffs; names are not trusted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// Windows XML Event Log file (`ElfFile\0`).
    Evtx,
    /// `reg export` text (UTF-16LE with BOM, or UTF-8).
    Reg,
    /// Raw registry hive (`regf`), possibly with `.LOG1`/`.LOG2` beside it.
    Hive,
    /// Event trace log (RdClientAutoTrace).
    Etl,
    /// `tracerpt` XML conversion of an .etl file.
    TraceXml,
    /// `tracerpt` CSV conversion of an .etl file.
    TraceCsv,
    /// Command output as Windows prints it (certutil, netstat, netsh, w32tm, Get-Acl ...).
    Text,
    /// Structured JSON (e.g. the collector's probe result).
    Json,
    /// The collector's own log of what it did.
    CollectionLog,
    /// An event log reduced to the records the analyzer can use, redacted (`--redact`): JSON
    /// Lines, a header line then one record per line (format in `collector/README.md`).
    RedactedEvents,
}

/// Outcome of one collection step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactStatus {
    /// Collected completely.
    Ok,
    /// Collected, but incomplete (e.g. timeout, size cap, some records unreadable).
    Partial,
    /// The step failed; `error` says why and the file may be absent.
    Failed,
    /// The step was not run (not applicable to this role, opted out, dry run).
    Skipped,
}

/// What a text artifact holds, so the analyzer picks the right parser without guessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TextFormat {
    /// `certutil -verifystore -v <store>`.
    CertutilStore,
    /// `Get-Acl <path> | Select -ExpandProperty Access | Format-List` (MSRD-Collect's ACL files).
    AclList,
    /// `netstat -anob`.
    Netstat,
    /// `netsh advfirewall firewall show rule name=all`.
    FirewallRules,
    /// `w32tm /query /status`.
    W32tmStatus,
    /// `ipconfig /all`.
    Ipconfig,
    /// Anything else: kept for the reader, not parsed.
    Other,
}

/// The root causes of "0x904 / extended 0x7" that rdpdiag names (field guide section 5, a-k).
///
/// These ids are used everywhere: rule files, reports, batch tables, sample scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RootCauseId {
    /// (a) TermService (NETWORK SERVICE) cannot read the listener certificate's private key.
    CertKeyUnreadable,
    /// (b) Listener certificate expired, renewed away, or its thumbprint matches no certificate.
    CertExpiredOrMismatched,
    /// (c) NLA / CredSSP policy mismatch between client and server.
    NlaCredsspMismatch,
    /// (d) A firewall, IPS or antivirus accepts and resets the TCP connection, or a rule blocks it.
    FirewallOrAvInterference,
    /// (e) Wrong port, listener stopped/disabled, or another program owns the RDP port.
    ListenerOrPortProblem,
    /// (f) MaxOutstandingConnections exhausted (RCM 1006), usually under brute force.
    MaxOutstandingConnections,
    /// (g) Corrupt user profile / NTUSER.DAT (low prior for 0x904).
    UserProfileCorrupt,
    /// (h) Packet loss, VPN/MTU, UDP transport trouble: handshake time-outs.
    NetworkTransport,
    /// (i) Outdated Remote Desktop client.
    OutdatedClient,
    /// (j) TLS protocol / cipher suite mismatch, or FIPS.
    TlsOrFipsMismatch,
    /// (k) An RDP proxy, bastion or gateway in the path that cannot negotiate with the server.
    ProxyOrBastionInPath,
    /// TermService stops or crashes during setup (SCM 7031/7034, a faulting svchost, a hooked
    /// ServiceDll) (audit 2026-12 section 3 item 4).
    RdpServiceCrash,
    /// The credentials were refused (0x807 family, RdpCoreTS 140, Security 4625 status): a
    /// wrong password, never an NLA mismatch (audit section 5 item 3).
    CredentialsRejected,
    /// Something in the path, not TermService, accepts the TCP connection and resets it: an IPS,
    /// SSL inspection, a port-forward to the wrong host (audit section 3 item 2).
    MiddleboxReset,
    /// The RDP security layer or protocol stack detected an error and dropped the client
    /// (TermDD 56/50, RdpCoreTS 139) (audit section 3 item 3).
    RdpProtocolError,
    /// New logons are disabled or limited on the server: WinStationsDisabled, drain mode,
    /// connection-count limits (audit section 3 item 5).
    LogonDisabled,
    /// The RD Gateway or Connection Broker leg fails (Gateway 304, Broker 2056, client 1296)
    /// (audit section 3 items 1 and 6).
    GatewayOrBrokerLeg,
}

impl RootCauseId {
    /// All ids: field-guide order (a) to (k), then the causes the 2026-12 audit added.
    pub const ALL: [RootCauseId; 17] = [
        RootCauseId::CertKeyUnreadable,
        RootCauseId::CertExpiredOrMismatched,
        RootCauseId::NlaCredsspMismatch,
        RootCauseId::FirewallOrAvInterference,
        RootCauseId::ListenerOrPortProblem,
        RootCauseId::MaxOutstandingConnections,
        RootCauseId::UserProfileCorrupt,
        RootCauseId::NetworkTransport,
        RootCauseId::OutdatedClient,
        RootCauseId::TlsOrFipsMismatch,
        RootCauseId::ProxyOrBastionInPath,
        RootCauseId::RdpServiceCrash,
        RootCauseId::CredentialsRejected,
        RootCauseId::MiddleboxReset,
        RootCauseId::RdpProtocolError,
        RootCauseId::LogonDisabled,
        RootCauseId::GatewayOrBrokerLeg,
    ];

    /// The kebab-case id, as written in rule files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RootCauseId::CertKeyUnreadable => "cert-key-unreadable",
            RootCauseId::CertExpiredOrMismatched => "cert-expired-or-mismatched",
            RootCauseId::NlaCredsspMismatch => "nla-credssp-mismatch",
            RootCauseId::FirewallOrAvInterference => "firewall-or-av-interference",
            RootCauseId::ListenerOrPortProblem => "listener-or-port-problem",
            RootCauseId::MaxOutstandingConnections => "max-outstanding-connections",
            RootCauseId::UserProfileCorrupt => "user-profile-corrupt",
            RootCauseId::NetworkTransport => "network-transport",
            RootCauseId::OutdatedClient => "outdated-client",
            RootCauseId::TlsOrFipsMismatch => "tls-or-fips-mismatch",
            RootCauseId::ProxyOrBastionInPath => "proxy-or-bastion-in-path",
            RootCauseId::RdpServiceCrash => "rdp-service-crash",
            RootCauseId::CredentialsRejected => "credentials-rejected",
            RootCauseId::MiddleboxReset => "middlebox-reset",
            RootCauseId::RdpProtocolError => "rdp-protocol-error",
            RootCauseId::LogonDisabled => "logon-disabled",
            RootCauseId::GatewayOrBrokerLeg => "gateway-or-broker-leg",
        }
    }

    /// The letter of the cause in the field guide, section 5.
    pub fn field_guide_letter(self) -> char {
        let i = Self::ALL.iter().position(|c| *c == self).unwrap_or(0);
        (b'a' + i as u8) as char
    }

    /// One-line title for reports.
    pub fn title(self) -> &'static str {
        match self {
            RootCauseId::CertKeyUnreadable => "RDP certificate private key unreadable by NETWORK SERVICE",
            RootCauseId::CertExpiredOrMismatched => {
                "RDP certificate expired, or its thumbprint matches no certificate"
            }
            RootCauseId::NlaCredsspMismatch => "NLA / CredSSP mismatch between client and server",
            RootCauseId::FirewallOrAvInterference => "Firewall, IPS or antivirus interference",
            RootCauseId::ListenerOrPortProblem => "RDP listener stopped, disabled, moved or port taken",
            RootCauseId::MaxOutstandingConnections => {
                "MaxOutstandingConnections exhausted (too many pending connections)"
            }
            RootCauseId::UserProfileCorrupt => "Corrupt user profile",
            RootCauseId::NetworkTransport => "Network transport trouble (loss, VPN/MTU, UDP)",
            RootCauseId::OutdatedClient => "Outdated Remote Desktop client",
            RootCauseId::TlsOrFipsMismatch => "TLS protocol / cipher suite mismatch or FIPS",
            RootCauseId::ProxyOrBastionInPath => "RDP proxy, bastion or gateway in the path",
            RootCauseId::RdpServiceCrash => "Remote Desktop Services stopped or crashed during setup",
            RootCauseId::CredentialsRejected => {
                "Credentials rejected (wrong password, locked or disabled account)"
            }
            RootCauseId::MiddleboxReset => "A device in the path accepts and resets the connection",
            RootCauseId::RdpProtocolError => "RDP protocol or security-layer error",
            RootCauseId::LogonDisabled => "New logons disabled or limited on the server",
            RootCauseId::GatewayOrBrokerLeg => "RD Gateway or Connection Broker leg failed",
        }
    }
}

impl std::fmt::Display for RootCauseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RootCauseId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown root-cause id {s:?}"))
    }
}
