//! A simulated Windows host: its clock, identity, and the events it logs.

use chrono::{DateTime, Duration, Utc};

use super::providers::Source;
use crate::evtx::{Element, Event, Guid, Payload, Sid, Value};
use crate::rng::Rng;

/// `SYSTEM`.
pub const SID_SYSTEM: &str = "S-1-5-18";
/// `NETWORK SERVICE`: TermService's account; every RCM/RdpCoreTS event carries it.
pub const SID_NETWORK_SERVICE: &str = "S-1-5-20";

/// One machine of a scenario.
#[derive(Debug, Clone)]
pub struct HostSim {
    /// Computer name as events write it (FQDN).
    pub computer: String,
    /// Short (NetBIOS) name.
    pub short_name: String,
    /// IPv4 address the other side sees.
    pub ip: String,
    /// This host's clock minus true time (what the analyzer must estimate and undo).
    pub clock_offset: Duration,
    /// Events logged, in any order (sorted per channel when written).
    pub events: Vec<Event>,
    /// Process id of TermService's svchost (server) or mstsc (client).
    pub main_pid: u32,
    /// Domain user SID of the interactive user.
    pub user_sid: String,
    /// Domain user name.
    pub user_name: String,
    /// NetBIOS domain.
    pub domain: String,
}

impl HostSim {
    /// Local clock reading for a true instant.
    pub fn clock(&self, true_time: DateTime<Utc>) -> DateTime<Utc> {
        true_time + self.clock_offset
    }

    /// Logs an event that happened at `true_time` (stamped with this host's clock) and
    /// returns it for adjustments.
    pub fn log(&mut self, src: &Source, id: u16, true_time: DateTime<Utc>, payload: Payload) -> &mut Event {
        let time = self.clock(true_time);
        let e = base_event(src, id, time, &self.computer, self.main_pid, payload);
        self.events.push(e);
        let last = self.events.len() - 1;
        &mut self.events[last]
    }
}

/// An event of `src` with the usual defaults (level 4, task/opcode 0, version 0).
pub fn base_event(
    src: &Source,
    id: u16,
    time: DateTime<Utc>,
    computer: &str,
    pid: u32,
    payload: Payload,
) -> Event {
    let mut payload = payload;
    // Real RCM records declare a second namespace on EventXML (see the RCM log in
    // ../shared/corpus/evtx/rdp/); LSM's do not.
    if src.name == super::providers::RCM_OPERATIONAL.name
        && src.event_source_name.is_none()
        && let Payload::UserData(root) = &mut payload
        && root.name == "EventXML"
        && !root.attributes.iter().any(|(n, _)| n == "xmlns:auto-ns2")
    {
        root.attributes.insert(
            0,
            (
                "xmlns:auto-ns2".into(),
                s("http://schemas.microsoft.com/win/2004/08/events"),
            ),
        );
    }
    Event {
        provider: src.provider(),
        event_id: id,
        qualifiers: None,
        version: 0,
        level: 4,
        task: 0,
        opcode: 0,
        keywords: src.keywords,
        time_created: time,
        activity_id: None,
        related_activity_id: None,
        process_id: pid,
        thread_id: pid.wrapping_mul(7).wrapping_add(u32::from(id)) % 16_000 + 4,
        channel: src.channel.to_string(),
        computer: computer.to_string(),
        user_id: None,
        payload,
    }
}

/// Builder-style adjustments used by the scenario code.
pub trait EventExt {
    /// Sets Level.
    fn level(&mut self, level: u8) -> &mut Self;
    /// Sets Task and Opcode.
    fn task_opcode(&mut self, task: u16, opcode: u8) -> &mut Self;
    /// Sets Correlation ActivityID.
    fn activity(&mut self, id: Guid) -> &mut Self;
    /// Sets Security UserID.
    fn user(&mut self, sid: &str) -> &mut Self;
    /// Sets Version.
    fn version(&mut self, v: u8) -> &mut Self;
    /// Sets EventID Qualifiers.
    fn qualifiers(&mut self, q: u16) -> &mut Self;
    /// Overrides Keywords.
    fn keywords(&mut self, k: u64) -> &mut Self;
    /// Sets Execution ProcessID.
    fn pid(&mut self, pid: u32) -> &mut Self;
}

impl EventExt for Event {
    fn level(&mut self, level: u8) -> &mut Self {
        self.level = level;
        self
    }
    fn task_opcode(&mut self, task: u16, opcode: u8) -> &mut Self {
        self.task = task;
        self.opcode = opcode;
        self
    }
    fn activity(&mut self, id: Guid) -> &mut Self {
        self.activity_id = Some(id);
        self
    }
    fn user(&mut self, sid: &str) -> &mut Self {
        self.user_id = Sid::parse(sid);
        self
    }
    fn version(&mut self, v: u8) -> &mut Self {
        self.version = v;
        self
    }
    fn qualifiers(&mut self, q: u16) -> &mut Self {
        self.qualifiers = Some(q);
        self
    }
    fn keywords(&mut self, k: u64) -> &mut Self {
        self.keywords = k;
        self
    }
    fn pid(&mut self, pid: u32) -> &mut Self {
        self.process_id = pid;
        self
    }
}

/// `<EventData>` with named `<Data>`.
pub fn named(fields: &[(&str, Value)]) -> Payload {
    Payload::EventData {
        name: None,
        data: fields
            .iter()
            .map(|(n, v)| ((*n).to_string(), v.clone()))
            .collect(),
    }
}

/// The all-zero GUID (a 4624 `LogonGuid` of a logon without Kerberos).
pub const ZERO_GUID: Guid = Guid {
    d1: 0,
    d2: 0,
    d3: 0,
    d4: [0; 8],
};

/// A SID value; text that does not parse becomes the null SID `S-1-0-0`.
pub fn sid_value(text: &str) -> Value {
    Value::Sid(Sid::parse(text).unwrap_or(Sid {
        revision: 1,
        authority: 0,
        sub_authorities: vec![0],
    }))
}

/// One side of a logon (the Subject or the Target of Security 4624).
pub struct LogonAccount<'a> {
    /// SID text.
    pub sid: &'a str,
    /// Account name.
    pub name: &'a str,
    /// Domain.
    pub domain: &'a str,
    /// Logon id.
    pub logon_id: u64,
}

/// Security 4624 ("An account was successfully logged on", version 2): what varies between
/// logons; `payload` writes every field in the order Windows does (Microsoft's 4624 event
/// documentation). LmPackageName and KeyLength follow from the package (NTLM V2 / 128 for
/// NTLM, none otherwise).
pub struct Logon4624<'a> {
    /// Who asked for the logon (SYSTEM for a service, null for a network logon).
    pub subject: LogonAccount<'a>,
    /// The account logged on.
    pub target: LogonAccount<'a>,
    /// 2 interactive, 3 network, 5 service, 10 remote interactive.
    pub logon_type: u32,
    /// `LogonProcessName` (`User32 `, `NtLmSsp `, `Kerberos`, `Advapi  `).
    pub logon_process: &'a str,
    /// `AuthenticationPackageName`.
    pub package: &'a str,
    /// `WorkstationName`.
    pub workstation: &'a str,
    /// `LogonGuid`.
    pub logon_guid: Guid,
    /// `ProcessId`.
    pub process_id: u64,
    /// `ProcessName`.
    pub process_name: &'a str,
    /// `IpAddress`.
    pub ip: &'a str,
    /// `IpPort`.
    pub port: &'a str,
    /// `RestrictedAdminMode` (`%%1843` "No" for a remote interactive logon, `-` otherwise).
    pub restricted_admin: &'a str,
}

impl Logon4624<'_> {
    /// The event's `<EventData>`.
    pub fn payload(&self) -> Payload {
        let ntlm = self.package == "NTLM";
        named(&[
            ("SubjectUserSid", sid_value(self.subject.sid)),
            ("SubjectUserName", s(self.subject.name)),
            ("SubjectDomainName", s(self.subject.domain)),
            ("SubjectLogonId", Value::HexInt64(self.subject.logon_id)),
            ("TargetUserSid", sid_value(self.target.sid)),
            ("TargetUserName", s(self.target.name)),
            ("TargetDomainName", s(self.target.domain)),
            ("TargetLogonId", Value::HexInt64(self.target.logon_id)),
            ("LogonType", Value::UInt32(self.logon_type)),
            ("LogonProcessName", s(self.logon_process)),
            ("AuthenticationPackageName", s(self.package)),
            ("WorkstationName", s(self.workstation)),
            ("LogonGuid", Value::Guid(self.logon_guid)),
            ("TransmittedServices", s("-")),
            ("LmPackageName", s(if ntlm { "NTLM V2" } else { "-" })),
            ("KeyLength", Value::UInt32(if ntlm { 128 } else { 0 })),
            ("ProcessId", Value::HexInt64(self.process_id)),
            ("ProcessName", s(self.process_name)),
            ("IpAddress", s(self.ip)),
            ("IpPort", s(self.port)),
            ("ImpersonationLevel", s("%%1833")),
            ("RestrictedAdminMode", s(self.restricted_admin)),
            ("TargetOutboundUserName", s("-")),
            ("TargetOutboundDomainName", s("-")),
            ("VirtualAccount", s("%%1843")),
            ("TargetLinkedLogonId", Value::HexInt64(0)),
            ("ElevatedToken", s("%%1842")),
        ])
    }
}

/// `<UserData><EventXML xmlns="Event_NS">` with one leaf per field (RCM, LSM).
pub fn event_xml(fields: &[(&str, Value)]) -> Payload {
    let mut root = Element::new("EventXML").attr("xmlns", s("Event_NS"));
    for (n, v) in fields {
        root = root.leaf(*n, v.clone());
    }
    Payload::UserData(root)
}

/// A string value.
pub fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

/// The RDP client's Name/Value/CustomLevel triple (field guide 2.1).
pub fn client_triple(name: &str, value: &str) -> Payload {
    named(&[("Name", s(name)), ("Value", s(value)), ("CustomLevel", s("Info"))])
}

/// A random activity id with the trailing `0000` Windows activity ids show.
pub fn activity_guid(rng: &mut Rng) -> Guid {
    let mut b = rng.bytes16();
    b[14] = 0;
    b[15] = 0;
    Guid::from_display_bytes(b)
}
