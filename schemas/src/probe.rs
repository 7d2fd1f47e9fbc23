//! What the collector's server probe (`probe/probe.json`) means for a Windows client, shared by
//! the collector (which prints it) and the analyzer (which uses it as evidence, fact
//! `probe.outcome`).
//!
//! [`classify`] reduces the probe's three phases (TCP, X.224, TLS: see the collector's
//! `probe.rs`) to one [`ProbeOutcome`]; [`client_view`] says which disconnect code a Windows
//! client shows for it, the likely causes on the server and where their evidence is on a Windows
//! server (event log and event ids), each linked to the rule ids of `analyzer/rules/`.
//!
//! Sources: "FG" is the field guide (`rdp-0x904-field-guide.md`), "audit" the domain audit
//! (`audit-2026-12.md`); both cite Microsoft's pages for each code and event id.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The probe's result, reduced to what a client connecting the same way would meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeOutcome {
    /// TCP, X.224 and the TLS handshake completed: the listener is fine up to CredSSP.
    TlsOk,
    /// The server selected standard RDP security (no TLS, no NLA).
    StandardRdpSecurity,
    /// The listener answered the X.224 request with RDP_NEG_FAILURE.
    NegotiationRefused,
    /// TCP was accepted, then the peer closed or reset the connection (or abandoned the TLS
    /// handshake) during X.224 or TLS: the 0x904 pattern.
    AcceptThenClose,
    /// The server ended the TLS handshake with a fatal alert.
    TlsAlert,
    /// The probe's own TLS client failed (no common version or cipher, malformed answer).
    TlsFailed,
    /// Something answered, but not as an RDP listener.
    NotRdp,
    /// TCP connect answered with RST: nothing listens, or something rejects.
    Refused,
    /// TCP connect got no answer (SYN dropped, host down).
    Dropped,
    /// No route to the host.
    Unreachable,
    /// TCP was accepted, then nothing answered X.224 or TLS within the probe's timeout.
    Timeout,
    /// The name did not resolve.
    ResolveFailed,
    /// Anything else (local error).
    Error,
}

impl ProbeOutcome {
    /// The kebab-case name used in probe.json and in the fact `probe.outcome`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeOutcome::TlsOk => "tls-ok",
            ProbeOutcome::StandardRdpSecurity => "standard-rdp-security",
            ProbeOutcome::NegotiationRefused => "negotiation-refused",
            ProbeOutcome::AcceptThenClose => "accept-then-close",
            ProbeOutcome::TlsAlert => "tls-alert",
            ProbeOutcome::TlsFailed => "tls-failed",
            ProbeOutcome::NotRdp => "not-rdp",
            ProbeOutcome::Refused => "refused",
            ProbeOutcome::Dropped => "dropped",
            ProbeOutcome::Unreachable => "unreachable",
            ProbeOutcome::Timeout => "timeout",
            ProbeOutcome::ResolveFailed => "resolve-failed",
            ProbeOutcome::Error => "error",
        }
    }

    /// Every outcome, in declaration order.
    pub const ALL: [ProbeOutcome; 13] = [
        ProbeOutcome::TlsOk,
        ProbeOutcome::StandardRdpSecurity,
        ProbeOutcome::NegotiationRefused,
        ProbeOutcome::AcceptThenClose,
        ProbeOutcome::TlsAlert,
        ProbeOutcome::TlsFailed,
        ProbeOutcome::NotRdp,
        ProbeOutcome::Refused,
        ProbeOutcome::Dropped,
        ProbeOutcome::Unreachable,
        ProbeOutcome::Timeout,
        ProbeOutcome::ResolveFailed,
        ProbeOutcome::Error,
    ];
}

/// The phase the probe ended in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProbePhase {
    /// Name resolution and TCP connect.
    Tcp,
    /// X.224 Connection Request / Confirm.
    X224,
    /// TLS handshake.
    Tls,
}

impl ProbePhase {
    /// `tcp`, `x224`, `tls`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbePhase::Tcp => "tcp",
            ProbePhase::X224 => "x224",
            ProbePhase::Tls => "tls",
        }
    }
}

/// The phases of a probe as probe.json writes them: each phase's `outcome` (kebab-case, e.g.
/// `ok`, `eof`, `server-abort`), absent when the phase did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseOutcomes<'a> {
    /// `tcp.outcome`.
    pub tcp: &'a str,
    /// `x224.outcome`.
    pub x224: Option<&'a str>,
    /// `x224.selected_protocol_value` (0 = standard RDP security).
    pub selected_protocol: Option<u32>,
    /// `tls.outcome`.
    pub tls: Option<&'a str>,
}

/// Reduces the phases to one outcome and the phase it ended in.
pub fn classify(p: PhaseOutcomes<'_>) -> (ProbeOutcome, ProbePhase) {
    use ProbeOutcome as O;
    let tcp = match p.tcp {
        "ok" => None,
        "refused" => Some(O::Refused),
        "timeout" => Some(O::Dropped),
        "unreachable" => Some(O::Unreachable),
        "resolve-failed" => Some(O::ResolveFailed),
        // A reset or close during connect is a refusal as the client's connect() sees it.
        "reset" | "eof" => Some(O::Refused),
        _ => Some(O::Error),
    };
    if let Some(o) = tcp {
        return (o, ProbePhase::Tcp);
    }
    let Some(x224) = p.x224 else {
        return (O::Error, ProbePhase::Tcp);
    };
    let x = match x224 {
        "ok" => None,
        "eof" | "reset" => Some(O::AcceptThenClose),
        "timeout" => Some(O::Timeout),
        "negotiation-failure" => Some(O::NegotiationRefused),
        "not-rdp" => Some(O::NotRdp),
        _ => Some(O::Error),
    };
    if let Some(o) = x {
        return (o, ProbePhase::X224);
    }
    let Some(tls) = p.tls else {
        return match p.selected_protocol {
            Some(0) => (O::StandardRdpSecurity, ProbePhase::X224),
            _ => (O::Error, ProbePhase::X224),
        };
    };
    let o = match tls {
        "ok" => O::TlsOk,
        "eof" | "reset" | "server-abort" => O::AcceptThenClose,
        "timeout" => O::Timeout,
        "alert" => O::TlsAlert,
        "tls-error" => O::TlsFailed,
        _ => O::Error,
    };
    (o, ProbePhase::Tls)
}

/// A likely cause on the server side and where its evidence is on a Windows server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerCause {
    /// The cause, in a few words.
    pub cause: &'static str,
    /// Where to look on the Windows server: event log and event ids, registry, files.
    pub evidence: &'static str,
    /// Rule ids of `analyzer/rules/` that diagnose it.
    pub rule_ids: &'static [&'static str],
}

/// What a Windows client meets when the probe ended so, and what to check on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientView {
    /// The probe outcome.
    pub outcome: ProbeOutcome,
    /// The phase it ended in.
    pub phase: ProbePhase,
    /// The disconnect code a Windows client reports, hex (`0x904`), or `none`.
    pub client_code: &'static str,
    /// What the client shows, and why, in one sentence with its source.
    pub client_sees: &'static str,
    /// Likely causes on the server, most likely first.
    pub causes: &'static [ServerCause],
}

// Causes named by several outcomes. Event ids and their logs: FG §3 and §5 (Microsoft's
// documentation cited there per event id); rule ids: `analyzer/rules/*.toml`.
const KEY_UNREADABLE: ServerCause = ServerCause {
    cause: "TermService cannot use the private key of its certificate",
    evidence: "System: Schannel 36870 and TermService 1055/1057/1058 (RemoteConnectionManager/Admin on newer builds); CAPI2/Operational 70; Security 5058; ACL of MachineKeys\\f686aace... (FG 5.1)",
    rule_ids: &["cert-key-unreadable"],
};
const CERT_MISMATCH: ServerCause = ServerCause {
    cause: "certificate expired, renewed or SSLCertificateSHA1Hash naming no certificate",
    evidence: "System: TermService 1053/1054/1062/1064/1065 (1051/1059 are fall-backs to the self-signed certificate) and Schannel 36870; RDP-Tcp SSLCertificateSHA1Hash vs the MY and Remote Desktop stores (FG 5.2; audit 5.4)",
    rule_ids: &["cert-expired-or-mismatched"],
};
const TLS_MISMATCH: ServerCause = ServerCause {
    cause: "no common TLS version or cipher suite, or FIPS",
    evidence: "System: Schannel 36871 (Type server)/36874 (no common cipher suite)/36888 (AlertDesc 40/70/71); RdpCoreTS/Operational 139; SCHANNEL Protocols, the SSL cipher-suite policy (SSL\\00010002 Functions) and FIPSAlgorithmPolicy registry (FG 5.10; audit 5.1)",
    rule_ids: &["tls-or-fips-mismatch", "outdated-client"],
};
const MIDDLEBOX: ServerCause = ServerCause {
    cause: "a firewall, IPS, antivirus or load balancer in the path accepts and cuts the connection",
    evidence: "no RdpCoreTS/Operational 131 nor RemoteConnectionManager/Operational 261 for the attempt while other clients connect; Security 5152/5157; Firewall channel 2004-2006; the product's own log (FG 5.0, 5.4; audit 3.2)",
    rule_ids: &["middlebox-reset", "firewall-or-av-interference"],
};
const PROXY: ServerCause = ServerCause {
    cause: "an RDP proxy, bastion or gateway in the path",
    evidence: "RdpCoreTS/Operational 131 and RemoteConnectionManager/Operational 261 from the proxy's address, or none; TerminalServices-Gateway/Operational 302-304 (FG 5.11; audit 3.1)",
    rule_ids: &["proxy-or-bastion-in-path"],
};
const OUTSTANDING: ServerCause = ServerCause {
    cause: "too many incomplete connections (MaxOutstandingConnections)",
    evidence: "RemoteConnectionManager/Admin (System on older builds) 1006; floods of RemoteConnectionManager/Operational 261 and Security 4625 (FG 5.6)",
    rule_ids: &["max-outstanding-connections"],
};
const LISTENER_DOWN: ServerCause = ServerCause {
    cause: "listener not running, disabled or on another port",
    evidence: "RemoteConnectionManager/Operational 259/262 without 258 (not next to a planned reboot), 1036; RdpCoreTS/Operational 129 Port; RDP-Tcp PortNumber, fEnableWinStation, fDenyTSConnections; netstat -anob (FG 5.5; audit 5.13)",
    rule_ids: &["listener-or-port-problem"],
};
const OTHER_SERVICE: ServerCause = ServerCause {
    cause: "another service owns the RDP port, or a port-forward leads elsewhere",
    evidence: "netstat -anob: the port's owner is not TermService; RdpCoreTS/Operational 129 Port; RemoteConnectionManager/Operational 261 absent (FG 5.5, 5.11)",
    rule_ids: &["listener-or-port-problem", "proxy-or-bastion-in-path"],
};
const FIREWALL_DROP: ServerCause = ServerCause {
    cause: "a firewall drops or rejects the SYN",
    evidence: "Security 5152/5157 with DestPort = the RDP port (with Filtering Platform auditing); Block rules on the port; Firewall channel 2004-2006 (FG 5.4)",
    rule_ids: &["firewall-or-av-interference"],
};
const NETWORK: ServerCause = ServerCause {
    cause: "network loss, VPN or MTU black hole",
    evidence: "RdpCoreTS/Operational 142/143 and 226 (0x80070040), long gap after 131; ipconfig /all VPN adapters (FG 5.8)",
    rule_ids: &["network-transport"],
};
const NLA: ServerCause = ServerCause {
    cause: "NLA / CredSSP settings or credentials (after TLS)",
    evidence: "RdpCoreTS/Operational 140; Security 4625 logon type 3; RDP-Tcp UserAuthentication; CredSSP AllowEncryptionOracle (FG 5.3)",
    rule_ids: &["nla-credssp-mismatch"],
};

/// What a Windows client meets for this outcome, the causes on the server and their evidence.
pub fn client_view(outcome: ProbeOutcome, phase: ProbePhase) -> ClientView {
    use ProbeOutcome as O;
    let (client_code, client_sees, causes): (&'static str, &'static str, &'static [ServerCause]) =
        match outcome {
            O::TlsOk => (
                "none",
                "the connection gets past TLS, so the listener does not cause a 0x904 from this network; a failure the user sees comes later (CredSSP/NLA, logon) or from another path (FG 5.0)",
                &[NLA, PROXY],
            ),
            O::StandardRdpSecurity => (
                "none",
                "the listener offers no TLS; clients and proxies that insist on TLS/NLA give up, e.g. 0x904 with extended 0x7 through a bastion (FG 5.11, teleport #280)",
                &[PROXY, NLA],
            ),
            O::NegotiationRefused => (
                "unknown",
                "a negotiation error dialog, not 0x904: e.g. 0xB09 (2825) when the server requires NLA the client does not offer (FG 5.3, OnDisconnected table FG 1.7)",
                // SSL_CERT_NOT_ON_SERVER names the certificate; HYBRID_REQUIRED_BY_SERVER, NLA.
                &[KEY_UNREADABLE, CERT_MISMATCH, NLA],
            ),
            O::AcceptThenClose => match phase {
                ProbePhase::Tls => (
                    "0x904",
                    "0x904 (2308, socket closed) with extended 0x7 that the client makes up itself: TCP was accepted, then the TLS handshake was abandoned (FG 1.3, 1.4)",
                    &[KEY_UNREADABLE, CERT_MISMATCH, TLS_MISMATCH, MIDDLEBOX, PROXY],
                ),
                _ => (
                    "0x904",
                    "0x904 (2308, socket closed) with extended 0x7 that the client makes up itself: TCP was accepted, then closed before X.224 finished (FG 1.3, 1.4)",
                    &[MIDDLEBOX, PROXY, OUTSTANDING, OTHER_SERVICE],
                ),
            },
            O::TlsAlert => (
                "0x904",
                "most likely 0x904 with extended 0x7 (the server closes after its alert), possibly a TLS error of class 0x07 (FG 1.2, 5.10; inference)",
                &[TLS_MISMATCH, CERT_MISMATCH],
            ),
            O::TlsFailed => (
                "unknown",
                "depends on why the probe's TLS client failed; a Windows client with other TLS versions or suites may connect (inference)",
                &[TLS_MISMATCH, MIDDLEBOX],
            ),
            O::NotRdp => (
                "0x1104",
                "0x1104 (protocol error, bad TPKT version) or 0x904: something other than an RDP listener answers (FG 5.11, rdpwrap #363)",
                &[OTHER_SERVICE, PROXY, MIDDLEBOX],
            ),
            O::Refused => (
                "0x204",
                "0x204 (516, socket connect failed): nothing accepted the TCP connection; not a 0x904 (FG 1.7; audit 3)",
                &[LISTENER_DOWN, FIREWALL_DROP],
            ),
            O::Dropped => (
                "0x204",
                "0x204 (516, socket connect failed) after the client's connect timeout: the SYN got no answer; not a 0x904 (FG 1.7; audit 3)",
                &[FIREWALL_DROP, NETWORK, LISTENER_DOWN],
            ),
            O::Unreachable => (
                "0x204",
                "0x204 (516, socket connect failed): no route to the server (FG 1.7)",
                &[NETWORK],
            ),
            O::Timeout => (
                "0x108",
                "the client waits, then reports a time-out, 0x108 (264, connection timed out) (FG 1.7; which time-out code exactly is inference)",
                &[OUTSTANDING, MIDDLEBOX, NETWORK],
            ),
            O::ResolveFailed => (
                "0x208",
                "0x208 (host not found) or 0x104/0x508 (DNS lookup failed) (FG 1.2)",
                &[],
            ),
            O::Error => (
                "unknown",
                "the probe failed locally; the result says nothing about the server",
                &[],
            ),
        };
    ClientView {
        outcome,
        phase,
        client_code,
        client_sees,
        causes,
    }
}

/// Every rule id [`client_view`] names (for the test that each exists in the catalog).
pub fn named_rule_ids() -> Vec<&'static str> {
    let mut ids = Vec::new();
    for o in ProbeOutcome::ALL {
        for phase in [ProbePhase::Tcp, ProbePhase::X224, ProbePhase::Tls] {
            for c in client_view(o, phase).causes {
                ids.extend_from_slice(c.rule_ids);
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phases<'a>(
        tcp: &'a str,
        x224: Option<&'a str>,
        sel: Option<u32>,
        tls: Option<&'a str>,
    ) -> PhaseOutcomes<'a> {
        PhaseOutcomes {
            tcp,
            x224,
            selected_protocol: sel,
            tls,
        }
    }

    #[test]
    fn phases_reduce_to_what_the_client_meets() {
        let cases = [
            (phases("refused", None, None, None), "refused", "tcp", "0x204"),
            (phases("timeout", None, None, None), "dropped", "tcp", "0x204"),
            (
                phases("ok", Some("eof"), None, None),
                "accept-then-close",
                "x224",
                "0x904",
            ),
            (
                phases("ok", Some("reset"), None, None),
                "accept-then-close",
                "x224",
                "0x904",
            ),
            (
                phases("ok", Some("timeout"), None, None),
                "timeout",
                "x224",
                "0x108",
            ),
            (
                phases("ok", Some("not-rdp"), None, None),
                "not-rdp",
                "x224",
                "0x1104",
            ),
            (
                phases("ok", Some("negotiation-failure"), None, None),
                "negotiation-refused",
                "x224",
                "unknown",
            ),
            (
                phases("ok", Some("ok"), Some(0), None),
                "standard-rdp-security",
                "x224",
                "none",
            ),
            (
                phases("ok", Some("ok"), Some(1), Some("ok")),
                "tls-ok",
                "tls",
                "none",
            ),
            (
                phases("ok", Some("ok"), Some(1), Some("server-abort")),
                "accept-then-close",
                "tls",
                "0x904",
            ),
            (
                phases("ok", Some("ok"), Some(1), Some("reset")),
                "accept-then-close",
                "tls",
                "0x904",
            ),
            (
                phases("ok", Some("ok"), Some(1), Some("alert")),
                "tls-alert",
                "tls",
                "0x904",
            ),
            // TLS selected but no TLS phase recorded: not standard security.
            (
                phases("ok", Some("ok"), Some(1), None),
                "error",
                "x224",
                "unknown",
            ),
        ];
        for (p, outcome, phase, code) in cases {
            let (o, ph) = classify(p);
            assert_eq!((o.as_str(), ph.as_str()), (outcome, phase), "{p:?}");
            assert_eq!(client_view(o, ph).client_code, code, "{p:?}");
        }
    }

    #[test]
    fn names_are_the_serde_names() {
        for o in ProbeOutcome::ALL {
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
    }

    #[test]
    fn every_0x904_outcome_names_causes_with_rules() {
        for o in ProbeOutcome::ALL {
            for phase in [ProbePhase::X224, ProbePhase::Tls] {
                let v = client_view(o, phase);
                if v.client_code == "0x904" {
                    assert!(!v.causes.is_empty(), "{o:?}");
                    assert!(
                        v.causes
                            .iter()
                            .all(|c| !c.rule_ids.is_empty() && !c.evidence.is_empty())
                    );
                }
            }
        }
    }
}
