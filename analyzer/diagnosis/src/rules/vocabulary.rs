//! The event field vocabulary: which fields each (channel, provider, event id) carries, named
//! as the EVTX decoder names them (`<Data Name="X">` is `X`; a UserData leaf attribute
//! `<Result value="0"/>` is `Result@value`). Rule loading checks every `where` field and
//! `client_ip_field` against it, so a field that the named event never carries is an error
//! with the rule's file and line, not a predicate that silently never (or, worse, always)
//! holds. An event the vocabulary does not list is not checked (a `--rules DIR` rule on a new
//! event): unknown is not "never".
//!
//! Each entry says where its names come from. `tests/it/field_vocabulary.rs` decodes the real
//! records of `../shared/corpus` and the generated samples and checks that every field they
//! carry for a listed event is in the entry.

use rdpdiag_schemas::channels::{
    APPLICATION, CAPI2, FIREWALL, GATEWAY, LSM_OPERATIONAL, RCM_ADMIN, RCM_OPERATIONAL, RCM_PROVIDER,
    RDP_CLIENT, RDPCORETS, SECURITY, SYSTEM,
};

use super::spec::EventMatch;

/// The fields of one kind of event.
#[derive(Debug, Clone, Copy)]
pub struct EventFields {
    /// Channel, as Windows names it.
    pub channel: &'static str,
    /// Provider, when the channel is shared by many (System, Application, Security).
    pub provider: Option<&'static str>,
    /// Event ids with this field set.
    pub ids: &'static [u32],
    /// Field names, as the decoder produces them.
    pub fields: &'static [&'static str],
    /// Where the names come from.
    pub source: &'static str,
}

/// RCM 1149 and 261 carry their data as UserData `EventXML` leaves.
const RCM_PARAMS: &[&str] = &["Param1", "Param2", "Param3"];

/// The vocabulary.
pub const EVENT_FIELDS: &[EventFields] = &[
    EventFields {
        channel: RDP_CLIENT,
        provider: None,
        ids: &[1024, 1025, 1026, 1027, 1028, 1029, 1102, 1103, 1104, 1105, 1106],
        fields: &[
            "Name",
            "Value",
            "CustomLevel",
            "DomainName",
            "SessionId",
            "TraceMessage",
        ],
        source: "field guide 2.1; corpus artemis__RDPClient-1024__record.json (Name/Value/CustomLevel)",
    },
    EventFields {
        channel: RDP_CLIENT,
        provider: None,
        ids: &[226],
        fields: &[
            "StateTransitionName",
            "PreviousState",
            "PreviousStateName",
            "NewState",
            "NewStateName",
            "Event",
            "EventName",
            "ErrorCode",
        ],
        source: "field guide 2.1 (client state machine 226) [U: no real record in the corpus]",
    },
    EventFields {
        channel: RDPCORETS,
        provider: None,
        ids: &[131],
        fields: &["ConnType", "ClientIP"],
        source: "corpus attacksamples__RdpCoreTS__131_68_168_sharprdp.evtx, evtx2mitre__RdpCoreTS__131_bruteforce.evtx",
    },
    EventFields {
        channel: RDPCORETS,
        provider: None,
        ids: &[139, 140],
        fields: &["ResultCode", "IPString"],
        source: "field guide 3.3 (139 ResultCode, 140 IPString) [U: no real 139/140 in the corpus]",
    },
    EventFields {
        channel: RDPCORETS,
        provider: None,
        ids: &[142, 143],
        fields: &["error", "ErrorCode"],
        source: "field guide 3.3 [U]",
    },
    EventFields {
        channel: RDPCORETS,
        provider: None,
        ids: &[129],
        fields: &["Port", "TransportProtocolName", "ListenerName"],
        source: "field guide 3.3 [U]",
    },
    EventFields {
        channel: RDPCORETS,
        provider: None,
        ids: &[135, 138],
        fields: &["TunnelID", "TransportType"],
        source: "field guide 3.5 [U]",
    },
    EventFields {
        channel: RCM_OPERATIONAL,
        provider: None,
        ids: &[1149, 261, 258, 259, 262],
        fields: RCM_PARAMS,
        source: "corpus attacksamples__RCM-Operational__1149_1136_1155_258_261.evtx (UserData EventXML Param1-3, listenerName)",
    },
    EventFields {
        channel: RCM_OPERATIONAL,
        provider: None,
        ids: &[261, 258, 259, 262],
        fields: &["listenerName"],
        source: "corpus attacksamples__RCM-Operational__1149_1136_1155_258_261.evtx",
    },
    EventFields {
        channel: RCM_ADMIN,
        provider: None,
        ids: &[1006],
        fields: &[],
        source: "field guide 3.1: 1006 carries no data of use",
    },
    EventFields {
        channel: RCM_OPERATIONAL,
        provider: None,
        ids: &[1006, 1035, 1036],
        fields: &[],
        source: "field guide 3.1 [U]",
    },
    EventFields {
        channel: SYSTEM,
        provider: Some(RCM_PROVIDER),
        ids: &[
            1006, 1050, 1051, 1052, 1053, 1054, 1055, 1056, 1057, 1058, 1059, 1062, 1064, 1065,
        ],
        fields: &["param1", "param2", "param3", "Data", "Binary"],
        source: "corpus evtxcrate__System__zero-data-size-event_RCM1056.evtx (unnamed Data); classic events carry param1..n",
    },
    EventFields {
        channel: SYSTEM,
        provider: Some("Schannel"),
        ids: &[36870, 36871],
        fields: &[
            "Type",
            "ErrorCode",
            "ErrorStatus",
            "ErrorState",
            "CallerProcessImageName",
            "CallerProcessId",
        ],
        source: "field guide 3.6 manifest names [U: audit 2026-12 section 6, no real XML in the corpus]",
    },
    EventFields {
        channel: SYSTEM,
        provider: Some("Schannel"),
        ids: &[36874, 36887, 36888],
        fields: &[
            "Protocol",
            "AlertDesc",
            "ErrorState",
            "Type",
            "CallerProcessImageName",
        ],
        source: "field guide 3.6 manifest names [U: audit 2026-12 section 6]",
    },
    EventFields {
        channel: SYSTEM,
        provider: Some("Service Control Manager"),
        ids: &[7031, 7034, 7036],
        fields: &[
            "param1", "param2", "param3", "param4", "param5", "param6", "param7", "param8", "Binary",
        ],
        source: "corpus pyevtx__System__SCM-RDP-services_TermDD.evtx",
    },
    EventFields {
        channel: LSM_OPERATIONAL,
        provider: None,
        ids: &[21, 22, 23, 24, 25, 39, 40],
        fields: &[
            "User",
            "SessionID",
            "Address",
            "Session",
            "Reason",
            "Source",
            "Target",
        ],
        source: "corpus fukusuket__LocalSessionManager-Operational.evtx",
    },
    EventFields {
        channel: SECURITY,
        provider: None,
        ids: &[4624, 4625],
        fields: &[
            "SubjectUserSid",
            "SubjectUserName",
            "SubjectDomainName",
            "SubjectLogonId",
            "TargetUserSid",
            "TargetUserName",
            "TargetDomainName",
            "TargetLogonId",
            "Status",
            "FailureReason",
            "SubStatus",
            "LogonType",
            "LogonProcessName",
            "AuthenticationPackageName",
            "WorkstationName",
            "LogonGuid",
            "TransmittedServices",
            "LmPackageName",
            "KeyLength",
            "ProcessId",
            "ProcessName",
            "IpAddress",
            "IpPort",
            "ImpersonationLevel",
            "RestrictedAdminMode",
            "RemoteCredentialGuard",
            "TargetOutboundUserName",
            "TargetOutboundDomainName",
            "VirtualAccount",
            "TargetLinkedLogonId",
            "ElevatedToken",
        ],
        source: "corpus evtxcrate__Security__short_selected_4625-LT10_5152-3389.evtx, attacksamples__Security__4624-LT10_rdp_tunneling.evtx",
    },
    EventFields {
        channel: SECURITY,
        provider: None,
        ids: &[5152, 5156, 5157],
        fields: &[
            "ProcessID",
            "ProcessId",
            "Application",
            "Direction",
            "SourceAddress",
            "SourcePort",
            "DestAddress",
            "DestPort",
            "Protocol",
            "FilterRTID",
            "LayerName",
            "LayerRTID",
            "RemoteUserID",
            "RemoteMachineID",
        ],
        source: "corpus evtxcrate__Security__short_selected_4625-LT10_5152-3389.evtx",
    },
    EventFields {
        channel: SECURITY,
        provider: None,
        ids: &[5058, 5061],
        fields: &[
            "SubjectUserSid",
            "SubjectUserName",
            "SubjectDomainName",
            "SubjectLogonId",
            "ProviderName",
            "AlgorithmName",
            "KeyName",
            "KeyType",
            "KeyFilePath",
            "Operation",
            "ReturnCode",
        ],
        source: "field guide 3.8 (5058 key file operation) [U: no real 5058 in the corpus]",
    },
    EventFields {
        channel: APPLICATION,
        provider: Some("Application Error"),
        ids: &[1000],
        fields: &[
            "Data",
            "AppName",
            "AppVersion",
            "ModuleName",
            "ModuleVersion",
            "ExceptionCode",
            "FaultingOffset",
            "AppPath",
            "ModulePath",
        ],
        source: "unnamed Data on older builds (rdpwrap #13 text order: application, version, time stamp, module, version, time stamp, exception, offset); named fields on newer builds [U: no real record in the corpus]",
    },
    EventFields {
        channel: SYSTEM,
        provider: Some("TermDD"),
        ids: &[50, 56],
        fields: &["Data", "Binary"],
        source: "AskPerf \"curious case of Event ID 56\" (classic: \\Device\\Termdd, client address; NTSTATUS in the binary data) [no real record in the corpus]",
    },
    EventFields {
        channel: GATEWAY,
        provider: None,
        ids: &[200, 203, 300, 302, 303, 304],
        fields: &[
            "Username",
            "IpAddress",
            "AuthType",
            "Resource",
            "ConnectionProtocol",
            "ErrorCode",
            "BytesReceived",
            "BytesTransfered",
            "SessionDuration",
        ],
        source: "TechNet ee891388 / cc727375 message inserts (user, client address, resource, protocol, error) [U: field names, no real record in the corpus]",
    },
    EventFields {
        channel: SYSTEM,
        provider: Some("USER32"),
        ids: &[1074],
        fields: &[
            "param1", "param2", "param3", "param4", "param5", "param6", "param7", "Data", "Binary",
        ],
        source: "corpus pyevtx__System__SCM-RDP-services_TermDD.evtx (USER32 1074)",
    },
    EventFields {
        channel: APPLICATION,
        provider: Some("Microsoft-Windows-User Profiles Service"),
        ids: &[1500, 1502, 1505, 1508, 1511, 1515, 1518],
        fields: &["Error", "File", "Key", "Path", "Text"],
        source: "field guide 3.9 [U]",
    },
    EventFields {
        channel: CAPI2,
        provider: None,
        ids: &[70],
        fields: &[
            "Certificate@fileRef",
            "Certificate@subjectName",
            "Flags@value",
            "Flags@CRYPT_ACQUIRE_ALLOW_NCRYPT_KEY_FLAG",
            "Flags@CRYPT_ACQUIRE_SILENT_FLAG",
            "Flags@CRYPT_ACQUIRE_CACHE_FLAG",
            "Flags@CRYPT_ACQUIRE_USE_PROV_INFO_FLAG",
            "Flags@CRYPT_ACQUIRE_COMPARE_KEY_FLAG",
            "Flags@CRYPT_ACQUIRE_PREFER_NCRYPT_KEY_FLAG",
            "Flags@CRYPT_ACQUIRE_ONLY_NCRYPT_KEY_FLAG",
            "KeyInfo@containerName",
            "KeyInfo@providerName",
            "KeyInfo@providerType",
            "KeyInfo@keySpec",
            "KeyInfo@flags",
            "EventAuxInfo@ProcessName",
            "CorrelationAuxInfo@TaskId",
            "CorrelationAuxInfo@SeqNumber",
            "Result@value",
        ],
        source: "corpus evtxcrate__CAPI2-Operational.evtx, evtx2mitre__CAPI2__70_private_key_access.evtx (UserData CryptAcquireCertificatePrivateKey)",
    },
    EventFields {
        channel: FIREWALL,
        provider: None,
        ids: &[2003, 2004, 2005, 2006, 2052, 2071, 2073],
        fields: &[
            "RuleId",
            "RuleName",
            "Origin",
            "ApplicationPath",
            "ServiceName",
            "Direction",
            "Protocol",
            "LocalPorts",
            "RemotePorts",
            "Action",
            "Profiles",
            "LocalAddresses",
            "RemoteAddresses",
            "RemoteMachineAuthorizationList",
            "RemoteUserAuthorizationList",
            "EmbeddedContext",
            "Flags",
            "Active",
            "EdgeTraversal",
            "LooseSourceMapped",
            "SecurityOptions",
            "ModifyingUser",
            "ModifyingApplication",
            "SchemaVersion",
            "RuleStatus",
            "LocalOnlyMapped",
            "ErrorCode",
        ],
        source: "field guide 3.11 [U: no real firewall log in the corpus]",
    },
];

/// The entries that describe events `m` can match (same channel when named, same provider
/// when both name one, an id in common).
fn entries<'a>(m: &'a EventMatch) -> impl Iterator<Item = &'static EventFields> + 'a {
    EVENT_FIELDS.iter().filter(move |e| {
        m.channel
            .as_deref()
            .is_none_or(|c| c.eq_ignore_ascii_case(e.channel))
            && match (&m.provider, e.provider) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => true,
            }
            && m.ids.iter().any(|id| e.ids.contains(id))
    })
}

/// The channels on which the vocabulary knows the events `m` names (for a rule that names no
/// channel): what ingest must read for it.
pub fn channels_of(m: &EventMatch) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = entries(m).map(|e| e.channel).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether the events `m` names can carry `field`. Every id of `m` that the vocabulary knows
/// must carry it: a field only some of them carry makes the predicate false on the others,
/// which the rule should say with two items. Ids the vocabulary does not know are not checked.
pub fn check_field(m: &EventMatch, field: &str) -> Result<(), String> {
    let mut missing = Vec::new();
    for id in &m.ids {
        let known: Vec<&EventFields> = entries(m).filter(|e| e.ids.contains(id)).collect();
        if known.is_empty() {
            continue;
        }
        if !known
            .iter()
            .any(|e| e.fields.iter().any(|f| f.eq_ignore_ascii_case(field)))
        {
            let mut names: Vec<&str> = known.iter().flat_map(|e| e.fields.iter().copied()).collect();
            names.sort_unstable();
            names.dedup();
            missing.push(format!(
                "event {id} ({}) never carries field {field:?}; its fields: {}",
                known.first().map(|e| e.channel).unwrap_or_default(),
                if names.is_empty() {
                    "(none)".to_string()
                } else {
                    names.join(", ")
                }
            ));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing.join("; "))
    }
}
