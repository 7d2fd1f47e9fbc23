//! The event log records the analyzer can use, by channel and event id: what `--redact` keeps
//! of each event log (the collector cannot depend on the analyzer, so the set lives here).
//!
//! It is the union of the analyzer's built-in interest table
//! (`analyzer/evtx/src/interest.rs`, `DEFAULT_RULES`) and of the events the embedded
//! rule catalog names (`Catalog::wanted_events`), by channel and id only: provider and payload
//! conditions are left to the analyzer, so this set is a superset. A test in the analyzer
//! (`analyzer/tests/it/redacted_events.rs`) fails when either grows beyond it.

use crate::channels::{
    APPLICATION, CAPI2, FIREWALL, GATEWAY, LSM_OPERATIONAL, RCM_ADMIN, RCM_OPERATIONAL, RDP_CLIENT,
    RDPCORECDV, RDPCORETS, SECURITY, SESSION_BROKER, SESSION_BROKER_CLIENT, SYSTEM,
};

/// Channel name (as `<Channel>` writes it, one of [`crate::channels`]) and inclusive event id ranges.
pub type ChannelInterest = (&'static str, &'static [(u32, u32)]);

/// RemoteConnectionManager ids the analyzer reads (Operational and Admin); its interest table
/// uses this list too.
pub const RCM_IDS: &[(u32, u32)] = &[
    (258, 259),
    (261, 262),
    (1006, 1006),
    (1035, 1036),
    (1050, 1073),
    (1149, 1149),
];

/// Every channel and event id range the analyzer can use (field guide sections 2 and 3).
pub const EVENT_INTEREST: &[ChannelInterest] = &[
    (
        RDP_CLIENT,
        // 138: a rule names it without a channel (the vocabulary's channels x its ids).
        &[(138, 138), (226, 226), (1024, 1029), (1102, 1106)],
    ),
    (
        RDPCORETS,
        &[
            (65, 66),
            (72, 72),
            (98, 98),
            (102, 103),
            (129, 129),
            (131, 131),
            (135, 135),
            (138, 141),
            (142, 143),
            (226, 228),
            // Named by rules without a channel (the vocabulary's channels x their ids).
            (1104, 1104),
            (36870, 36871),
            (36874, 36874),
            (36888, 36888),
        ],
    ),
    (RCM_OPERATIONAL, RCM_IDS),
    (RCM_ADMIN, RCM_IDS),
    (
        SYSTEM,
        &[
            // 139/140: named by a rule without a channel.
            (139, 140),
            // TermDD 50/56 (rdp-protocol-error).
            (50, 50),
            (56, 56),
            (1006, 1006),
            (1050, 1073),
            // USER32 1074 (planned shutdown), EventLog 6005/6006 (log service start/stop):
            // what explains a listener stop away.
            (1074, 1074),
            (6005, 6006),
            (7031, 7031),
            (7034, 7034),
            (7036, 7036),
            (36867, 36888),
        ],
    ),
    (LSM_OPERATIONAL, &[(21, 25), (39, 40)]),
    (
        SECURITY,
        &[
            (4624, 4625),
            (4778, 4779),
            (4825, 4825),
            (5058, 5058),
            (5061, 5061),
            (5152, 5152),
            (5156, 5157),
        ],
    ),
    // Application Error 1000 (rdp-service-crash); User Profiles Service 1500-1552.
    (APPLICATION, &[(1000, 1000), (1500, 1552)]),
    (GATEWAY, &[(200, 200), (203, 203), (300, 300), (302, 304)]),
    (SESSION_BROKER, &[(2056, 2056)]),
    (SESSION_BROKER_CLIENT, &[(1296, 1296)]),
    (CAPI2, &[(70, 70)]),
    (
        FIREWALL,
        &[(2003, 2006), (2052, 2052), (2071, 2071), (2073, 2073)],
    ),
    (RDPCORECDV, &[(135, 135), (226, 226)]),
];

/// A payload condition the analyzer puts on a record before it keeps it: a named `<Data>`
/// holding one of these numbers. Records that fail it are left out of redacted bundles too
/// (less personal data, same events read). A test in the analyzer checks these equal its
/// built-in table's `DataIn` conditions and that no rule names those events otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadCondition {
    /// Channel.
    pub channel: &'static str,
    /// Event id.
    pub event_id: u32,
    /// `Data/@Name`.
    pub field: &'static str,
    /// Accepted values.
    pub values: &'static [u64],
}

/// Security 4624: RDP logons only (10 RemoteInteractive, 3 network for NLA, 7 reconnect); the
/// analyzer's interest table gives the reason (service and batch logons say nothing of RDP).
pub const PAYLOAD_CONDITIONS: &[PayloadCondition] = &[PayloadCondition {
    channel: SECURITY,
    event_id: 4624,
    field: "LogonType",
    values: &[3, 7, 10],
}];

/// The payload condition on records of `channel` with `event_id`, if any.
pub fn payload_condition(channel: &str, event_id: u32) -> Option<&'static PayloadCondition> {
    PAYLOAD_CONDITIONS
        .iter()
        .find(|c| c.event_id == event_id && c.channel.eq_ignore_ascii_case(channel))
}

/// Whether a record of `channel` (ASCII case-insensitive, as Windows compares channel names)
/// with `event_id` is one the analyzer can use.
pub fn wanted(channel: &str, event_id: u32) -> bool {
    EVENT_INTEREST.iter().any(|(c, ids)| {
        c.eq_ignore_ascii_case(channel) && ids.iter().any(|&(lo, hi)| (lo..=hi).contains(&event_id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_compare_without_case_and_ids_by_range() {
        assert!(wanted(
            "microsoft-windows-terminalservices-rdpclient/operational",
            1026
        ));
        assert!(wanted("System", 36870));
        assert!(!wanted("System", 36889));
        assert!(!wanted("Setup", 1));
    }
}
