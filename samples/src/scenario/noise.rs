//! Ordinary, unrelated records that real logs are full of: what the analyzer must skip fast.
//!
//! A [`NoiseStream`] yields events of one channel in time order, so it can be merged with the
//! planted events and streamed into a writer (bounded memory for the benchmark scale mode).

use chrono::{DateTime, Duration, Utc};

use super::host::{
    EventExt, Logon4624, LogonAccount, SID_NETWORK_SERVICE, SID_SYSTEM, ZERO_GUID, activity_guid, base_event,
    event_xml, named, s, sid_value,
};
use super::providers::*;
use crate::evtx::{Event, Payload, Value};
use crate::rng::Rng;

const SERVICES: &[&str] = &[
    "Windows Update",
    "Background Intelligent Transfer Service",
    "WinHTTP Web Proxy Auto-Discovery Service",
    "Windows Modules Installer",
    "Microsoft Defender Antivirus Network Inspection Service",
    "Software Protection",
    "Windows Error Reporting Service",
    "Delivery Optimization",
];

/// Which family of noise a channel gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseKind {
    /// System: SCM, Time-Service, Kernel-General, DCOM.
    System,
    /// Application: SPP, Restart Manager, ESENT.
    Application,
    /// Security: service logons, special privileges, logoffs, group enumeration.
    Security,
    /// Other RDP clients connecting and logging on normally (scale mode only).
    RdpTraffic,
    /// A busy member server's Security log (scale mode, busy-server shape): network, service
    /// and console logons from hundreds of addresses and accounts (4624 with 4672 and 4634)
    /// and process creations with command lines (4688).
    BusySecurity,
    /// A busy server's System log (scale mode, busy-server shape): mostly SCM 7036.
    BusySystem,
    /// Nothing.
    None,
}

/// Time-ordered noise for one channel of one host.
#[derive(Debug)]
pub struct NoiseStream {
    kind: NoiseKind,
    rng: Rng,
    computer: String,
    t: DateTime<Utc>,
    until: DateTime<Utc>,
    mean_gap_us: i64,
    remaining: u64,
    pending: Vec<Event>,
    channel: Option<&'static str>,
}

impl NoiseStream {
    /// About `count` events spread over `since..until` (host clock), seeded by `rng`.
    ///
    /// `channel` keeps only the events of one channel: two streams of [`NoiseKind::RdpTraffic`]
    /// with equal seeds give the RdpCoreTS and RCM halves of the same connections.
    pub fn new(
        kind: NoiseKind,
        rng: Rng,
        computer: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        count: u64,
        channel: Option<&'static str>,
    ) -> NoiseStream {
        let span_us = (until - since).num_microseconds().unwrap_or(i64::MAX / 4).max(1);
        let mean_gap_us = (span_us / (count.max(1) as i64 + 1)).max(1);
        NoiseStream {
            kind,
            rng,
            computer: computer.to_string(),
            t: since + Duration::microseconds(mean_gap_us),
            until,
            mean_gap_us,
            remaining: if kind == NoiseKind::None { 0 } else { count },
            pending: Vec::new(),
            channel,
        }
    }

    fn ev(&self, src: &Source, id: u16, t: DateTime<Utc>, payload: Payload) -> Event {
        base_event(src, id, t, &self.computer, 4 + 4 * (id as u32 % 300), payload)
    }

    /// SCM 7036: an ordinary service entered the running or stopped state.
    fn scm_7036(&mut self, t: DateTime<Utc>) -> Event {
        let svc = *self.rng.pick(SERVICES);
        let state = if self.rng.chance(0.5) {
            "running"
        } else {
            "stopped"
        };
        let mut e = self.ev(
            &SCM,
            7036,
            t,
            named(&[
                ("param1", s(svc)),
                ("param2", s(state)),
                ("Binary", Value::Binary(vec![0x77, 0, 0x75, 0, 0x61, 0, 0x75, 0])),
            ]),
        );
        e.qualifiers(16384).pid(740);
        e
    }

    fn make(&mut self, t: DateTime<Utc>) -> Vec<Event> {
        let r = self.rng.range(0, 99);
        match self.kind {
            NoiseKind::System => {
                if r < 55 {
                    vec![self.scm_7036(t)]
                } else if r < 70 {
                    let (keys, pages) = (self.rng.range(1, 900) as u32, self.rng.range(1, 400) as u32);
                    let mut e = self.ev(
                        &KERNEL_GENERAL,
                        16,
                        t,
                        named(&[
                            ("HiveNameLength", Value::UInt32(38)),
                            ("HiveName", s(r"\??\C:\Windows\System32\config\SOFTWARE")),
                            ("KeysUpdated", Value::UInt32(keys)),
                            ("DirtyPages", Value::UInt32(pages)),
                        ]),
                    );
                    e.user(SID_SYSTEM).version(1);
                    vec![e]
                } else if r < 85 {
                    let mut e = self.ev(
                        &TIME_SERVICE,
                        37,
                        t,
                        named(&[(
                            "TimeSource",
                            s("dc01.corp.contoso.com (ntp.d|10.20.0.2:123->10.20.0.15:123)"),
                        )]),
                    );
                    e.user("S-1-5-19");
                    vec![e]
                } else {
                    let mut e = self.ev(
                        &DCOM,
                        10016,
                        t,
                        named(&[
                            ("param1", s("application-specific")),
                            ("param2", s("Local")),
                            ("param3", s("Activation")),
                            ("param4", s("{2593F8B9-4EAF-457C-B68A-50F6B8EA6B54}")),
                            ("param5", s("{15C20B67-12E7-4BB6-92BB-7AFF07997402}")),
                            ("param6", s("NT AUTHORITY")),
                            ("param7", s("LOCAL SERVICE")),
                            ("param8", s("S-1-5-19")),
                            ("param9", s("LocalHost (Using LRPC)")),
                            ("param10", s("Unavailable")),
                            ("param11", s("Unavailable")),
                        ]),
                    );
                    e.qualifiers(0).level(3).user("S-1-5-19");
                    vec![e]
                }
            }
            NoiseKind::Application => {
                if r < 45 {
                    let mut e = self.ev(
                        &SPP,
                        16384,
                        t,
                        Payload::Classic {
                            data: vec![
                                s(&format!("{}", t.format("%Y-%m-%dT%H:%M:%SZ"))),
                                s("RulesEngine"),
                            ],
                            binary: None,
                        },
                    );
                    e.qualifiers(16384);
                    vec![e]
                } else if r < 80 {
                    let id = self.rng.range(1, 200) as u32;
                    let mut a = self.ev(
                        &RESTART_MANAGER,
                        10000,
                        t,
                        named(&[
                            ("RmSessionId", Value::UInt32(id)),
                            ("UTCStartTime", Value::FileTime(t)),
                        ]),
                    );
                    a.user("S-1-5-18");
                    let mut b = self.ev(
                        &RESTART_MANAGER,
                        10001,
                        t + Duration::milliseconds(300),
                        named(&[
                            ("RmSessionId", Value::UInt32(id)),
                            ("UTCStartTime", Value::FileTime(t)),
                        ]),
                    );
                    b.user("S-1-5-18");
                    vec![a, b]
                } else {
                    let mut e = self.ev(&ESENT, 326, t, Payload::Classic { data: vec![s("svchost"), s("6480,D,50"), s("TILEREPOSITORYS-1-5-18: "), s(r"C:\Windows\system32\config\systemprofile\AppData\Local\TileDataLayer\Database\EDB.log"), s("0")], binary: None });
                    e.qualifiers(0);
                    vec![e]
                }
            }
            NoiseKind::Security => {
                let logon_id = self.rng.range(0x10000, 0xfffffff);
                if r < 50 {
                    let logon = Logon4624 {
                        subject: LogonAccount {
                            sid: SID_SYSTEM,
                            name: "WKS$",
                            domain: "CORP",
                            logon_id: 0x3e7,
                        },
                        target: LogonAccount {
                            sid: SID_SYSTEM,
                            name: "SYSTEM",
                            domain: "NT AUTHORITY",
                            logon_id: 0x3e7,
                        },
                        logon_type: 5,
                        logon_process: "Advapi  ",
                        package: "Negotiate",
                        workstation: "-",
                        logon_guid: ZERO_GUID,
                        process_id: 0x2d0,
                        process_name: r"C:\Windows\System32\services.exe",
                        ip: "-",
                        port: "-",
                        restricted_admin: "-",
                    };
                    let mut a = self.ev(&SECURITY, 4624, t, logon.payload());
                    a.version(2).level(0).task_opcode(12544, 0);
                    let mut b = self.ev(
                        &SECURITY,
                        4672,
                        t,
                        named(&[
                            ("SubjectUserSid", sid_value(SID_SYSTEM)),
                            ("SubjectUserName", s("SYSTEM")),
                            ("SubjectDomainName", s("NT AUTHORITY")),
                            ("SubjectLogonId", Value::HexInt64(0x3e7)),
                            ("PrivilegeList", s("SeAssignPrimaryTokenPrivilege\r\n\t\t\tSeTcbPrivilege\r\n\t\t\tSeSecurityPrivilege")),
                        ]),
                    );
                    b.level(0).task_opcode(12548, 0);
                    vec![a, b]
                } else if r < 75 {
                    let mut e = self.ev(
                        &SECURITY,
                        4634,
                        t,
                        named(&[
                            ("TargetUserSid", sid_value(SID_NETWORK_SERVICE)),
                            ("TargetUserName", s("NETWORK SERVICE")),
                            ("TargetDomainName", s("NT AUTHORITY")),
                            ("TargetLogonId", Value::HexInt64(logon_id)),
                            ("LogonType", Value::UInt32(5)),
                        ]),
                    );
                    e.level(0).task_opcode(12545, 0);
                    vec![e]
                } else {
                    let mut e = self.ev(
                        &SECURITY,
                        4798,
                        t,
                        named(&[
                            ("TargetUserName", s("Administrator")),
                            ("TargetDomainName", s("BUILTIN")),
                            (
                                "TargetSid",
                                sid_value("S-1-5-21-1004336348-1177238915-682003330-500"),
                            ),
                            ("SubjectUserSid", sid_value(SID_SYSTEM)),
                            ("SubjectUserName", s("SYSTEM")),
                            ("SubjectDomainName", s("NT AUTHORITY")),
                            ("SubjectLogonId", Value::HexInt64(0x3e7)),
                            ("CallerProcessId", Value::HexInt64(0x1f4c)),
                            ("CallerProcessName", s(r"C:\Windows\System32\svchost.exe")),
                        ]),
                    );
                    e.level(0).task_opcode(13824, 0);
                    vec![e]
                }
            }
            NoiseKind::RdpTraffic => {
                // Another employee connects and logs on normally (131 -> 261 -> 1149).
                let a = activity_guid(&mut self.rng);
                let ip = format!(
                    "10.40.{}.{}:{}",
                    self.rng.range(0, 200),
                    self.rng.range(2, 250),
                    self.rng.range(49_700, 65_000)
                );
                let mut x = self.ev(
                    &RDPCORETS,
                    131,
                    t,
                    named(&[("ConnType", s("TCP")), ("ClientIP", s(&ip))]),
                );
                x.task_opcode(4, 15).activity(a).user(SID_NETWORK_SERVICE);
                let mut y = self.ev(
                    &RCM_OPERATIONAL,
                    261,
                    t + Duration::milliseconds(2),
                    event_xml(&[("listenerName", s("RDP-Tcp"))]),
                );
                y.activity(a).user(SID_NETWORK_SERVICE);
                let host = ip.split(':').next().unwrap_or_default().to_string();
                let mut z = self.ev(
                    &RCM_OPERATIONAL,
                    1149,
                    t + Duration::milliseconds(1800),
                    event_xml(&[
                        ("Param1", s("employee")),
                        ("Param2", s("CORP")),
                        ("Param3", s(&host)),
                    ]),
                );
                z.activity(a).user(SID_NETWORK_SERVICE);
                vec![x, y, z]
            }
            NoiseKind::BusySecurity => self.busy_security(t, r),
            NoiseKind::BusySystem => {
                // SCM 7036 about ordinary services, four in five batches; the rest as System.
                if r < 80 {
                    vec![self.scm_7036(t)]
                } else {
                    let saved = self.kind;
                    self.kind = NoiseKind::System;
                    let batch = self.make(t);
                    self.kind = saved;
                    batch
                }
            }
            NoiseKind::None => vec![],
        }
    }

    /// One batch of a busy member server's Security log. Field lists and order as Windows
    /// Server 2016+ writes them: 4624 version 2, 4634, 4672, 4688 version 2 (Microsoft
    /// https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/auditing/event-4624,
    /// .../event-4634, .../event-4672, .../event-4688); tasks 12544 Logon, 12545 Logoff,
    /// 12548 Special Logon, 13312 Process Creation (inference: the values exported Security
    /// XML carries for these ids).
    fn busy_security(&mut self, t: DateTime<Utc>, r: u64) -> Vec<Event> {
        let logon_id = self.rng.range(0x10000, 0xfffffff);
        let user = self.rng.range(0, BUSY_ACCOUNTS - 1);
        let account = format!("user{user:03}");
        let account_sid = format!("S-1-5-21-1004336348-1177238915-682003330-{}", 2000 + user);
        if r < 55 {
            // Network logons (file shares, WinRM, monitoring) 70%, service logons 20%,
            // console (interactive) 10%. Never 10 or 7, never from an RDP client's address.
            let kind = self.rng.range(0, 99);
            let (logon_type, target_sid, target_user, target_domain, ip, port, process, package) =
                if kind < 70 {
                    let host = self.rng.range(0, BUSY_ADDRESSES - 1);
                    (
                        3u32,
                        account_sid.clone(),
                        account.clone(),
                        "CORP",
                        format!("10.50.{}.{}", host / 100, host % 100 + 10),
                        format!("{}", self.rng.range(49_700, 65_000)),
                        "-",
                        if self.rng.chance(0.8) { "Kerberos" } else { "NTLM" },
                    )
                } else if kind < 90 {
                    (
                        5,
                        SID_SYSTEM.to_string(),
                        "SYSTEM".to_string(),
                        "NT AUTHORITY",
                        "-".to_string(),
                        "-".to_string(),
                        r"C:\Windows\System32\services.exe",
                        "Negotiate",
                    )
                } else {
                    (
                        2,
                        account_sid.clone(),
                        account.clone(),
                        "CORP",
                        "127.0.0.1".to_string(),
                        "0".to_string(),
                        r"C:\Windows\System32\svchost.exe",
                        "Negotiate",
                    )
                };
            let logon_guid = activity_guid(&mut self.rng);
            let network = logon_type == 3;
            let logon = Logon4624 {
                subject: if network {
                    LogonAccount {
                        sid: "S-1-0-0",
                        name: "-",
                        domain: "-",
                        logon_id: 0,
                    }
                } else {
                    LogonAccount {
                        sid: SID_SYSTEM,
                        name: "SRV$",
                        domain: "CORP",
                        logon_id: 0x3e7,
                    }
                },
                target: LogonAccount {
                    sid: &target_sid,
                    name: &target_user,
                    domain: target_domain,
                    logon_id,
                },
                logon_type,
                logon_process: if package == "Kerberos" {
                    "Kerberos"
                } else {
                    "NtLmSsp "
                },
                package,
                workstation: "-",
                logon_guid,
                process_id: if network { 0 } else { 0x2d0 },
                process_name: process,
                ip: &ip,
                port: &port,
                restricted_admin: "-",
            };
            let mut a = self.ev(&SECURITY, 4624, t, logon.payload());
            a.version(2).level(0).task_opcode(12544, 0);
            let mut batch = vec![a];
            // Administrators and services get special privileges (4672) at logon.
            if logon_type == 5 || user.is_multiple_of(10) {
                let mut b = self.ev(
                    &SECURITY,
                    4672,
                    t,
                    named(&[
                        ("SubjectUserSid", sid_value(&target_sid)),
                        ("SubjectUserName", s(&target_user)),
                        ("SubjectDomainName", s(target_domain)),
                        ("SubjectLogonId", Value::HexInt64(logon_id)),
                        ("PrivilegeList", s("SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tSeDebugPrivilege")),
                    ]),
                );
                b.level(0).task_opcode(12548, 0);
                batch.push(b);
            }
            // Network sessions end within seconds (the share access is done).
            let logoff = t + Duration::milliseconds(self.rng.range(200, 20_000) as i64);
            let mut c = self.ev(
                &SECURITY,
                4634,
                logoff,
                named(&[
                    ("TargetUserSid", sid_value(&target_sid)),
                    ("TargetUserName", s(&target_user)),
                    ("TargetDomainName", s(target_domain)),
                    ("TargetLogonId", Value::HexInt64(logon_id)),
                    ("LogonType", Value::UInt32(logon_type)),
                ]),
            );
            c.level(0).task_opcode(12545, 0);
            batch.push(c);
            batch
        } else {
            let (image, command) = *self.rng.pick(BUSY_COMMANDS);
            let (new_pid, parent_pid) = (self.rng.range(0x100, 0xffff), self.rng.range(0x100, 0xffff));
            let command_line = format!("{command} {}", self.rng.range(1, 99_999));
            let mut e = self.ev(
                &SECURITY,
                4688,
                t,
                named(&[
                    ("SubjectUserSid", sid_value(SID_SYSTEM)),
                    ("SubjectUserName", s("SRV$")),
                    ("SubjectDomainName", s("CORP")),
                    ("SubjectLogonId", Value::HexInt64(0x3e7)),
                    ("NewProcessId", Value::HexInt64(new_pid)),
                    ("NewProcessName", s(image)),
                    ("TokenElevationType", s("%%1936")),
                    ("ProcessId", Value::HexInt64(parent_pid)),
                    ("CommandLine", s(&command_line)),
                    ("TargetUserSid", sid_value("S-1-0-0")),
                    ("TargetUserName", s("-")),
                    ("TargetDomainName", s("-")),
                    ("TargetLogonId", Value::HexInt64(0)),
                    ("ParentProcessName", s(r"C:\Windows\System32\services.exe")),
                    ("MandatoryLabel", sid_value("S-1-16-16384")),
                ]),
            );
            e.version(2).level(0).task_opcode(13312, 0);
            vec![e]
        }
    }
}

/// Distinct accounts and client addresses of the busy server's network logons (issue 18's
/// measured server: about 400 accounts, 250 addresses).
const BUSY_ACCOUNTS: u64 = 400;
const BUSY_ADDRESSES: u64 = 250;

/// Processes a busy server starts all day, with their command lines (the number appended
/// varies them).
const BUSY_COMMANDS: &[(&str, &str)] = &[
    (
        r"C:\Windows\System32\wbem\WmiPrvSE.exe",
        r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding",
    ),
    (
        r"C:\Windows\System32\conhost.exe",
        r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1",
    ),
    (
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        r"powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File C:\ProgramData\Monitoring\collect-counters.ps1 -Interval",
    ),
    (
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule -ServiceInstance",
    ),
    (
        r"C:\Program Files\Backup Agent\agent.exe",
        r#""C:\Program Files\Backup Agent\agent.exe" --job incremental --target \\backup01\vault --session"#,
    ),
    (
        r"C:\Windows\System32\cmd.exe",
        r#"C:\Windows\system32\cmd.exe /c "C:\Scripts\rotate-logs.cmd" D:\Logs\IIS --keep-days"#,
    ),
];

impl Iterator for NoiseStream {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            let can_generate = self.remaining > 0 && self.t < self.until;
            // `pending` is sorted latest-first; emit what no later batch can precede.
            if let Some(e) = self.pending.last()
                && (!can_generate || e.time_created <= self.t)
            {
                return self.pending.pop();
            }
            if !can_generate {
                return None;
            }
            let t = self.t;
            let channel = self.channel;
            let batch = self.make(t);
            self.pending.extend(
                batch
                    .into_iter()
                    .filter(|e| channel.is_none_or(|c| e.channel == c)),
            );
            self.pending.sort_by_key(|e| std::cmp::Reverse(e.time_created));
            // Batches, not events, are counted so that streams of one world stay in step.
            self.remaining -= 1;
            let gap = self.rng.range(
                (self.mean_gap_us / 2).max(1) as u64,
                (self.mean_gap_us * 3 / 2).max(1) as u64,
            );
            self.t += Duration::microseconds(gap as i64);
        }
    }
}

/// Merges planted events (any order) with a time-ordered noise stream, in time order.
pub fn merge(mut planted: Vec<Event>, noise: NoiseStream) -> impl Iterator<Item = Event> {
    planted.sort_by_key(|e| e.time_created);
    let mut planted = planted.into_iter().peekable();
    let mut noise = noise.peekable();
    std::iter::from_fn(move || match (planted.peek(), noise.peek()) {
        (Some(p), Some(n)) => {
            if p.time_created <= n.time_created {
                planted.next()
            } else {
                noise.next()
            }
        }
        (Some(_), None) => planted.next(),
        (None, _) => noise.next(),
    })
}
