//! Providers and channels exactly as the field guide (sections 2-3, 7) records them.
//!
//! Keywords of channels without a real sample are marked `unverified`: they follow the
//! manifest convention (one channel bit per channel) but no captured event confirms them.

use crate::evtx::{Guid, Provider};

/// A provider with the channel and keywords its events are written with.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    /// Provider Name.
    pub name: &'static str,
    /// Provider Guid (braced); `None` for classic sources with no manifest.
    pub guid: Option<&'static str>,
    /// EventSourceName for classic (message-file) sources.
    pub event_source_name: Option<&'static str>,
    /// Channel.
    pub channel: &'static str,
    /// Keywords written on every event of this source.
    pub keywords: u64,
}

impl Source {
    /// The Provider element of this source.
    pub fn provider(&self) -> Provider {
        Provider {
            name: self.name.to_string(),
            guid: self.guid.and_then(Guid::parse),
            event_source_name: self.event_source_name.map(str::to_string),
        }
    }
}

/// Client: RDPClient/Operational (field guide 2.1, 7.1).
pub const RDP_CLIENT: Source = Source {
    name: "Microsoft-Windows-TerminalServices-ClientActiveXCore",
    guid: Some("{28aa95bb-d444-4719-a36f-40462168127e}"),
    event_source_name: None,
    channel: "Microsoft-Windows-TerminalServices-RDPClient/Operational",
    keywords: 0x4000_0000_0000_0000,
};

/// Server: RdpCoreTS/Operational (3.3, 7.4).
pub const RDPCORETS: Source = Source {
    name: "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS",
    guid: Some("{1139c61b-b549-4251-8ed3-27250a1edec8}"),
    event_source_name: None,
    channel: "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
    keywords: 0x4000_0000_0000_0000,
};

/// Server: RemoteConnectionManager/Operational (3.1, 7.2).
pub const RCM_OPERATIONAL: Source = Source {
    name: "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
    guid: Some("{c76baa63-ae81-421c-b425-340b4b24157f}"),
    event_source_name: None,
    channel: "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
    keywords: 0x1000_0000_0000_0000,
};

/// Server: RemoteConnectionManager/Admin (3.2; keywords unverified).
pub const RCM_ADMIN: Source = Source {
    name: "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
    guid: Some("{c76baa63-ae81-421c-b425-340b4b24157f}"),
    event_source_name: None,
    channel: "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Admin",
    keywords: 0x2000_0000_0000_0000,
};

/// Server: classic TermService certificate events in System (3.2, 7.3).
pub const TERMSERVICE_SYSTEM: Source = Source {
    name: "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
    guid: Some("{C76BAA63-AE81-421C-B425-340B4B24157F}"),
    event_source_name: Some("TermService"),
    channel: "System",
    keywords: 0x0080_0000_0000_0000,
};

/// Server: LocalSessionManager/Operational (3.4).
pub const LSM: Source = Source {
    name: "Microsoft-Windows-TerminalServices-LocalSessionManager",
    guid: Some("{5d896912-022d-40aa-a3a8-4fa5515c76d7}"),
    event_source_name: None,
    channel: "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
    keywords: 0x1000_0000_0000_0000,
};

/// Both: Schannel in System (3.6; keywords unverified).
pub const SCHANNEL: Source = Source {
    name: "Schannel",
    guid: Some("{1f678132-5938-4686-9fdc-c8ff68f15c85}"),
    event_source_name: None,
    channel: "System",
    keywords: 0x8000_0000_0000_0000,
};

/// Both: Security auditing (3.8). Keywords are set per event (success / failure).
pub const SECURITY: Source = Source {
    name: "Microsoft-Windows-Security-Auditing",
    guid: Some("{54849625-5478-4994-a5ba-3e3b0328c30d}"),
    event_source_name: None,
    channel: "Security",
    keywords: 0x8020_0000_0000_0000,
};

/// Security audit-failure keywords.
pub const AUDIT_FAILURE: u64 = 0x8010_0000_0000_0000;

/// Server: User Profiles Service in Application (3.9, 7.7).
pub const USER_PROFILES: Source = Source {
    name: "Microsoft-Windows-User Profiles Service",
    guid: Some("{89b1e9f0-5aff-44a6-9b44-0a07a7ce5845}"),
    event_source_name: None,
    channel: "Application",
    keywords: 0x8000_0000_0000_0000,
};

/// Server: CAPI2/Operational (3.10, 7.6).
pub const CAPI2: Source = Source {
    name: "Microsoft-Windows-CAPI2",
    guid: Some("{5bbca4a8-b209-48dc-a8c7-b23d3e5216fb}"),
    event_source_name: None,
    channel: "Microsoft-Windows-CAPI2/Operational",
    keywords: 0x4000_0000_0000_0000,
};

/// Server: Windows Firewall channel (3.11, 7.8).
pub const FIREWALL: Source = Source {
    name: "Microsoft-Windows-Windows Firewall With Advanced Security",
    guid: Some("{d1bc9aff-2abf-4d71-9146-ecb2a986eb85}"),
    event_source_name: None,
    channel: "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
    keywords: 0x8000_0000_0000_0000,
};

/// Both: Service Control Manager in System (3.7).
pub const SCM: Source = Source {
    name: "Service Control Manager",
    guid: Some("{555908d1-a6d7-4695-8e1e-26931d2012f4}"),
    event_source_name: Some("Service Control Manager"),
    channel: "System",
    keywords: 0x8080_0000_0000_0000,
};

/// Noise: Time-Service in System.
pub const TIME_SERVICE: Source = Source {
    name: "Microsoft-Windows-Time-Service",
    guid: Some("{06edcfeb-0fd0-4e53-acca-a6f8bbf81bcb}"),
    event_source_name: None,
    channel: "System",
    keywords: 0x8000_0000_0000_0000,
};

/// Noise: DistributedCOM in System (classic).
pub const DCOM: Source = Source {
    name: "Microsoft-Windows-DistributedCOM",
    guid: Some("{1b562e86-b7aa-4131-badc-b6f3a001407e}"),
    event_source_name: Some("DCOM"),
    channel: "System",
    keywords: 0x8080_0000_0000_0000,
};

/// Noise: Kernel-General in System.
pub const KERNEL_GENERAL: Source = Source {
    name: "Microsoft-Windows-Kernel-General",
    guid: Some("{a68ca8b7-004f-d7b6-a698-07e2de0f1f5d}"),
    event_source_name: None,
    channel: "System",
    keywords: 0x8000_0000_0000_0000,
};

/// Noise: Software Protection Platform in Application (classic).
pub const SPP: Source = Source {
    name: "Microsoft-Windows-Security-SPP",
    guid: Some("{e23b33b0-c8c9-472c-a5f9-f2bdfea0f156}"),
    event_source_name: Some("Software Protection Platform Service"),
    channel: "Application",
    keywords: 0x0080_0000_0000_0000,
};

/// Noise: Restart Manager in Application.
pub const RESTART_MANAGER: Source = Source {
    name: "Microsoft-Windows-RestartManager",
    guid: Some("{0888e5ef-9b98-4695-979d-e92ce4247224}"),
    event_source_name: None,
    channel: "Application",
    keywords: 0x8000_0000_0000_0000,
};

/// Noise: ESENT in Application (classic).
pub const ESENT: Source = Source {
    name: "ESENT",
    guid: None,
    event_source_name: None,
    channel: "Application",
    keywords: 0x0080_0000_0000_0000,
};

/// Server: Application Error (WER) in Application, classic (unnamed Data; rdpwrap #13 text).
pub const APPLICATION_ERROR: Source = Source {
    name: "Application Error",
    guid: None,
    event_source_name: None,
    channel: "Application",
    keywords: 0x0080_0000_0000_0000,
};

/// Server: TermDD in System, classic (AskPerf "curious case of Event ID 56"; keywords as other
/// classic System sources, unverified).
pub const TERMDD: Source = Source {
    name: "TermDD",
    guid: None,
    event_source_name: None,
    channel: "System",
    keywords: 0x0080_0000_0000_0000,
};

/// Server: USER32 1074 (shutdown initiated) in System, classic (corpus
/// pyevtx__System__SCM-RDP-services_TermDD.evtx has one).
pub const USER32: Source = Source {
    name: "USER32",
    guid: None,
    event_source_name: None,
    channel: "System",
    keywords: 0x0080_0000_0000_0000,
};

/// Server: EventLog 6005/6006 (log service started/stopped at boot/shutdown) in System, classic
/// (the same corpus file has a 6006).
pub const EVENTLOG: Source = Source {
    name: "EventLog",
    guid: None,
    event_source_name: None,
    channel: "System",
    keywords: 0x0080_0000_0000_0000,
};

/// RD Gateway: TerminalServices-Gateway/Operational (audit 2026-12 section 3 item 1: TechNet
/// ee891388, cc727375 for the ids; the provider GUID and keywords are unverified).
pub const GATEWAY: Source = Source {
    name: "Microsoft-Windows-TerminalServices-Gateway",
    guid: Some("{4d5ae6a1-c7c8-4e6d-b840-4d8080b42e1b}"),
    event_source_name: None,
    channel: "Microsoft-Windows-TerminalServices-Gateway/Operational",
    keywords: 0x4000_0000_0000_0000,
};
