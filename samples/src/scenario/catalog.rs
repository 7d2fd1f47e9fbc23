//! The scenarios the generator knows: one per root cause, a healthy baseline, two mixed cases.

use rdpdiag_schemas::RootCauseId;

/// What goes wrong in a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioKind {
    /// Every attempt succeeds; only ordinary noise.
    Healthy,
    /// Every failing attempt has this one cause.
    Cause(RootCauseId),
    /// Most attempts fail from an unreadable certificate key, one from network loss.
    MixedTwoCauses,
    /// NLA/CredSSP failures, with decoy errors of other causes at unrelated times.
    MixedDecoys,
    /// No 0x904 at all: the user mistypes the password (0x807 SSL_ERR_LOGON_FAILURE, server
    /// RdpCoreTS 140 and 4625), then gets in: credentials-rejected, never a 0x904 cause.
    WrongPassword,
    /// This cause, seen through a home router's port-forward: the client connects to a public
    /// address the server does not own and the server sees the router's public address (audit
    /// 2026-12 finding 7: must not read as a proxy or bastion).
    NatPortForward(RootCauseId),
}

/// One scenario of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct ScenarioSpec {
    /// Name used on the command line and in file names.
    pub name: &'static str,
    /// What goes wrong.
    pub kind: ScenarioKind,
    /// The cause a correct diagnosis names first (`None`: nothing failed).
    pub expected_top: Option<RootCauseId>,
    /// A second cause that is also really present (mixed cases).
    pub expected_secondary: Option<RootCauseId>,
    /// One sentence for people.
    pub summary: &'static str,
}

/// Every scenario, healthy first, then the causes in field-guide order, then the mixed ones.
pub fn catalog() -> Vec<ScenarioSpec> {
    let mut out = vec![ScenarioSpec {
        name: "healthy",
        kind: ScenarioKind::Healthy,
        expected_top: None,
        expected_secondary: None,
        summary: "Every attempt connects and logs on; ordinary noise only.",
    }];
    for cause in RootCauseId::ALL {
        out.push(ScenarioSpec {
            name: cause.as_str(),
            kind: ScenarioKind::Cause(cause),
            expected_top: Some(cause),
            expected_secondary: None,
            summary: cause_summary(cause),
        });
    }
    out.push(ScenarioSpec {
        name: "mixed-two-causes",
        kind: ScenarioKind::MixedTwoCauses,
        expected_top: Some(RootCauseId::CertKeyUnreadable),
        expected_secondary: Some(RootCauseId::NetworkTransport),
        summary: "Most attempts hit an unreadable certificate key; one dies of packet loss after 25 s.",
    });
    out.push(ScenarioSpec {
        name: "healthy-wrong-password",
        kind: ScenarioKind::WrongPassword,
        expected_top: Some(RootCauseId::CredentialsRejected),
        expected_secondary: None,
        summary: "No 0x904: a mistyped password ends attempts with 0x807 (RdpCoreTS 140, 4625 0xC000006D) after a credential prompt; the last attempt logs on.",
    });
    out.push(ScenarioSpec {
        name: "cert-key-unreadable-nat",
        kind: ScenarioKind::NatPortForward(RootCauseId::CertKeyUnreadable),
        expected_top: Some(RootCauseId::CertKeyUnreadable),
        expected_secondary: None,
        summary: "The RDP key is unreadable; the user connects from home through the office router's port-forward (public addresses on both sides, no proxy).",
    });
    out.push(ScenarioSpec {
        name: "mixed-decoys",
        kind: ScenarioKind::MixedDecoys,
        expected_top: Some(RootCauseId::NlaCredsspMismatch),
        expected_secondary: None,
        summary: "NLA/CredSSP failures, plus decoy Schannel 36870, RCM 1006, profile and socket errors hours away from any attempt.",
    });
    out
}

/// Looks a scenario up by name.
pub fn find(name: &str) -> Option<ScenarioSpec> {
    catalog().into_iter().find(|s| s.name == name)
}

fn cause_summary(cause: RootCauseId) -> &'static str {
    match cause {
        RootCauseId::CertKeyUnreadable => {
            "NETWORK SERVICE lost Read on the RDP key file; Schannel 36870 on every attempt."
        }
        RootCauseId::CertExpiredOrMismatched => {
            "The listener's SSLCertificateSHA1Hash points at an expired or missing certificate."
        }
        RootCauseId::NlaCredsspMismatch => {
            "CredSSP policy blocks the client: RdpCoreTS 140 and 4625 type 3, no 1149."
        }
        RootCauseId::FirewallOrAvInterference => {
            "An endpoint-protection product resets RDP connections before TermService sees them."
        }
        RootCauseId::ListenerOrPortProblem => {
            "The listener moved to another port and a different program owns 3389."
        }
        RootCauseId::MaxOutstandingConnections => {
            "A brute-force burst exhausts MaxOutstandingConnections (RCM 1006)."
        }
        RootCauseId::UserProfileCorrupt => {
            "Logon succeeds, then the profile fails to load (temporary profile, .bak key)."
        }
        RootCauseId::NetworkTransport => {
            "Packet loss: UDP transport fails and TCP reads time out after 20-35 s; intermittent."
        }
        RootCauseId::OutdatedClient => "A Windows 7 mstsc offers only TLS 1.0 to a hardened server.",
        RootCauseId::TlsOrFipsMismatch => {
            "Server SCHANNEL protocol settings leave no common TLS version (36871)."
        }
        RootCauseId::ProxyOrBastionInPath => {
            "The user connects through a bastion that cannot negotiate RDP Security Layer only."
        }
        RootCauseId::RdpServiceCrash => {
            "TermService crashes during setup (SCM 7031); one variant has RDP Wrapper as ServiceDll."
        }
        RootCauseId::CredentialsRejected => {
            "Every attempt is refused: a wrong password (0x807) or a locked-out account (0xD07)."
        }
        RootCauseId::MiddleboxReset => {
            "A device behind the router's public address resets RDP before the server sees it."
        }
        RootCauseId::RdpProtocolError => {
            "TermDD 56: the security layer sees a broken protocol stream and drops the client."
        }
        RootCauseId::LogonDisabled => {
            "Logons are disabled (WinStationsDisabled) or the server drains; no logon follows."
        }
        RootCauseId::GatewayOrBrokerLeg => "An RD Gateway cannot reach the session host (304).",
    }
}
