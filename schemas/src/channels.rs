//! The event log channels the project reads, spelled once: the collector's plan exports them,
//! `--redact` keeps their records (`event_interest`), and the analyzer's interest table, field
//! vocabulary, correlation and role inference match events against them. Each is spelled as
//! the event's `<Channel>` element writes it; Windows compares channel names ASCII
//! case-insensitively ([`same`]), and each call site keeps its own comparison.
//!
//! A test in the analyzer (`analyzer/tests/it/rules_contract.rs`) fails when a rule file or
//! the interest table names a channel that is not one of [`ALL`].

/// The RDP client's log, written by mstsc.exe / mstscax.dll on the client (field guide 2.1).
pub const RDP_CLIENT: &str = "Microsoft-Windows-TerminalServices-RDPClient/Operational";
/// RdpCoreTS, the RDP stack on the server: connection accepted, TLS and NLA errors (field guide
/// 3.3).
pub const RDPCORETS: &str = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational";
/// Remote Connection Manager (TermService) on the server: listener, 261, 1149 (field guide 3.1).
pub const RCM_OPERATIONAL: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational";
/// Remote Connection Manager's Admin log on the server: 1006 and certificate events (field guide
/// 3.2).
pub const RCM_ADMIN: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Admin";
/// Local Session Manager on the server: session logon, logoff and disconnect (field guide 3.4).
pub const LSM_OPERATIONAL: &str = "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational";
/// RdpCoreCDV on the server: UDP Shortpath handshakes (field guide 3.5, MSRD-Diag).
pub const RDPCORECDV: &str = "Microsoft-Windows-RemoteDesktopServices-RdpCoreCDV/Operational";
/// RD Gateway's log, on the gateway server (audit 2026-12 section 3 item 1: TechNet ee891388).
pub const GATEWAY: &str = "Microsoft-Windows-TerminalServices-Gateway/Operational";
/// RD Connection Broker's log, on the broker (audit 2026-12 section 3 item 6: Azure
/// https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/event-id-troubleshoot-vm-rdp-connecton).
pub const SESSION_BROKER: &str = "Microsoft-Windows-TerminalServices-SessionBroker/Operational";
/// The session host's side of the Connection Broker (same sources as [`SESSION_BROKER`]).
pub const SESSION_BROKER_CLIENT: &str = "Microsoft-Windows-TerminalServices-SessionBroker-Client/Operational";
/// System, on both machines: Schannel (field guide 3.6, Microsoft
/// https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-server-2012-R2-and-2012/dn786445(v=ws.11)),
/// classic TermService events (3.2), TermDD, Service Control Manager.
pub const SYSTEM: &str = "System";
/// Security, on both machines: logons, RDP session audit, key files, WFP drops (field guide 3.8,
/// Microsoft https://learn.microsoft.com/en-us/windows/win32/fwp/auditing-and-logging).
pub const SECURITY: &str = "Security";
/// Application, on both machines: User Profiles Service (field guide 3.9), Application Error.
pub const APPLICATION: &str = "Application";
/// CAPI2, on both machines (disabled by default): private key acquisition 70 (field guide 3.10).
pub const CAPI2: &str = "Microsoft-Windows-CAPI2/Operational";
/// Windows Firewall on the server: rules added, changed or deleted (field guide 3.11).
pub const FIREWALL: &str = "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall";

/// Every channel above: the set the collector's plan exports and `event_interest` lists.
pub const ALL: &[&str] = &[
    RDP_CLIENT,
    RDPCORETS,
    RCM_OPERATIONAL,
    RCM_ADMIN,
    LSM_OPERATIONAL,
    RDPCORECDV,
    GATEWAY,
    SESSION_BROKER,
    SESSION_BROKER_CLIENT,
    SYSTEM,
    SECURITY,
    APPLICATION,
    CAPI2,
    FIREWALL,
];

/// Remote Connection Manager's provider, which also writes the classic TermService events to
/// [`SYSTEM`] (field guide 3.1, 3.2).
pub const RCM_PROVIDER: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager";

/// Whether two channel names are the same channel (ASCII case-insensitive, as Windows compares
/// them).
pub fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The constant of [`ALL`] that `name` spells, ignoring ASCII case.
pub fn known(name: &str) -> Option<&'static str> {
    ALL.iter().copied().find(|c| same(c, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_distinct_and_found_without_case() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(ALL[i + 1..].iter().all(|b| !same(a, b)), "{a} twice");
        }
        assert_eq!(known("security"), Some(SECURITY));
        assert_eq!(
            known("microsoft-windows-terminalservices-rdpclient/operational"),
            Some(RDP_CLIENT)
        );
        assert_eq!(known("Setup"), None);
    }

    #[test]
    fn event_interest_lists_exactly_these_channels() {
        let listed: Vec<&str> = crate::event_interest::EVENT_INTEREST
            .iter()
            .map(|(c, _)| *c)
            .collect();
        for c in &listed {
            assert!(ALL.contains(c), "{c} is not a constant of channels.rs");
        }
        for c in ALL {
            assert!(listed.contains(c), "{c} has no event interest");
        }
        for p in crate::event_interest::PAYLOAD_CONDITIONS {
            assert!(ALL.contains(&p.channel), "{}", p.channel);
        }
    }
}
