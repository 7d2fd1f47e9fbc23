//! The simulated world of one scenario: two hosts, their configuration, the connection
//! attempts and every event they log, in true time (each host stamps its own clock).
//!
//! Timings follow field guide 2.1 and 3.3: RdpCoreTS 131 at the server, RCM 261 0.9-5.6 ms
//! later (same ActivityID), 140 0.12-9.4 s after 131 for NLA failures, 1149 about 1.8 s after
//! 261 on success; TLS-stage failures close within milliseconds; transport failures after
//! 20-35 s.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rdpdiag_schemas::{Role, RootCauseId};

use super::catalog::{ScenarioKind, ScenarioSpec};
use super::config::{ClientConfig, OsVersion, ProfileEntry, ServerConfig, default_rdp_rule_strings};
use super::host::{
    EventExt, HostSim, Logon4624, LogonAccount, SID_NETWORK_SERVICE, SID_SYSTEM, ZERO_GUID, activity_guid,
    client_triple, event_xml, named, s, sid_value,
};
use super::providers::*;
use crate::evtx::{Element, Guid, Payload, Value};
use crate::rng::Rng;

mod causes;

/// Options that shape a world.
#[derive(Debug, Clone)]
pub struct WorldOptions {
    /// Seed: equal seeds give equal worlds.
    pub seed: u64,
    /// Number of connection attempts by the user.
    pub attempts: usize,
    /// Client clock minus server clock, seconds (up to +-12 h).
    pub skew_seconds: i64,
    /// Leave out the audit's traps (events that must not count), to measure what they change.
    pub without_traps: bool,
}

/// What really happened in one attempt (ground truth, for tests and the samples README).
#[derive(Debug, Clone)]
pub struct AttemptTruth {
    /// True time the client logged 1024.
    pub start: DateTime<Utc>,
    /// Why it failed; `None` when it connected.
    pub failure: Option<RootCauseId>,
    /// Client ActivityID of the attempt.
    pub client_activity: Guid,
    /// Server ActivityID, when the connection reached TermService.
    pub server_activity: Option<Guid>,
}

/// A piece of evidence deliberately planted, for the samples README.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Planted {
    /// Which bundle holds it.
    pub host: &'static str,
    /// What it is.
    pub what: String,
}

/// The whole simulated world.
#[derive(Debug, Clone)]
pub struct World {
    /// The scenario.
    pub spec: ScenarioSpec,
    /// The client machine.
    pub client: HostSim,
    /// The server machine.
    pub server: HostSim,
    /// Client registry facts.
    pub client_cfg: ClientConfig,
    /// Server registry facts.
    pub server_cfg: ServerConfig,
    /// Name the user typed in mstsc.
    pub target: String,
    /// Start of the collection window (true time).
    pub since: DateTime<Utc>,
    /// End of the collection window (true time).
    pub until: DateTime<Utc>,
    /// When TermService last started (true time).
    pub boot: DateTime<Utc>,
    /// The attempts.
    pub attempts: Vec<AttemptTruth>,
    /// Planted evidence.
    pub planted: Vec<Planted>,
    /// Extra facts for text artifacts.
    pub facts: WorldFacts,
}

/// Facts that text artifacts render (certificates, ACLs, sockets, products).
#[derive(Debug, Clone)]
pub struct WorldFacts {
    /// Certificates in LocalMachine\My: (thumbprint, subject, not_before, not_after, key readable).
    pub my_certs: Vec<CertFact>,
    /// Certificates in LocalMachine\Remote Desktop.
    pub rd_certs: Vec<CertFact>,
    /// Whether NETWORK SERVICE keeps Read on the RDP key file.
    pub key_acl_network_service: bool,
    /// Whether the MachineKeys folder ACL is the documented default.
    pub machinekeys_folder_ok: bool,
    /// Process listening on TCP 3389 other than TermService (image name), if any.
    pub port_3389_owner: Option<String>,
    /// Security products registered in SecurityCenter2: (kind, name).
    pub security_products: Vec<(String, String)>,
    /// Whether the server clock was synchronised (w32tm).
    pub server_time_synced: bool,
    /// Whether the client clock was synchronised (w32tm).
    pub client_time_synced: bool,
    /// Firewall rules shown by netsh besides the defaults: (name, action block?, port, enabled).
    pub extra_netsh_rules: Vec<(String, bool, String, bool)>,
    /// Whether the built-in RDP rule is enabled.
    pub rdp_rule_enabled: bool,
    /// The client's VPN adapter (description, NlMtu, connected), when it has one installed.
    pub client_vpn: Option<(String, u32, bool)>,
}

/// A certificate as the text artifacts show it.
#[derive(Debug, Clone)]
pub struct CertFact {
    /// SHA-1 thumbprint.
    pub thumbprint: [u8; 20],
    /// Subject CN.
    pub subject: String,
    /// Issuer CN.
    pub issuer: String,
    /// Validity start (UTC).
    pub not_before: DateTime<Utc>,
    /// Validity end (UTC).
    pub not_after: DateTime<Utc>,
    /// Key container name.
    pub container: String,
    /// Whether the private key can be opened.
    pub key_ok: bool,
    /// Serial number (hex).
    pub serial: String,
}

fn ms(v: i64) -> Duration {
    Duration::milliseconds(v)
}

fn thumb(rng: &mut Rng) -> [u8; 20] {
    let a = rng.bytes16();
    let b = rng.bytes16();
    let mut t = [0u8; 20];
    t[..16].copy_from_slice(&a);
    t[16..].copy_from_slice(&b[..4]);
    t
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

impl World {
    /// Builds the world of `spec` for `opts`.
    pub fn build(spec: ScenarioSpec, opts: &WorldOptions) -> World {
        let root = Rng::new(opts.seed ^ fnv(spec.name));
        let mut rng = root.fork("world");
        // A fixed epoch keeps bundles stable; the seed moves it by up to ~60 days.
        let t0 = Utc
            .with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
            .single()
            .unwrap_or_default()
            + Duration::minutes(rng.range(0, 60 * 24 * 60) as i64);
        let since = t0 - Duration::days(2);
        let boot = since + Duration::minutes(rng.range(30, 600) as i64);
        let (server_name, server_os) = match spec.kind {
            ScenarioKind::Cause(RootCauseId::FirewallOrAvInterference) => {
                ("PC-FIN-07", OsVersion::windows_11())
            }
            // The ticket's server bundle is the RD Gateway's; the session host is not collected.
            ScenarioKind::Cause(RootCauseId::GatewayOrBrokerLeg) => ("RDGW01", OsVersion::server_2022()),
            _ => ("RDS01", OsVersion::server_2022()),
        };
        let client_os = if spec.kind == ScenarioKind::Cause(RootCauseId::OutdatedClient) {
            OsVersion::windows_7()
        } else {
            OsVersion::windows_11()
        };
        let client_n = rng.range(100, 999);
        let server_ip = format!("10.20.{}.{}", rng.range(0, 9), rng.range(10, 60));
        let client_ip = format!("10.30.{}.{}", rng.range(1, 99), rng.range(10, 250));
        let user = *rng.pick(&["alice", "bob.smith", "c.nguyen", "dmitri", "eva.k"]);
        let user_sid = format!(
            "S-1-5-21-{}-{}-{}-{}",
            rng.range(1_000_000_000, 3_999_999_999),
            rng.range(1_000_000_000, 3_999_999_999),
            rng.range(1_000_000_000, 3_999_999_999),
            rng.range(1100, 9999)
        );
        let client = HostSim {
            computer: format!("WKS-{client_n}.corp.contoso.com"),
            short_name: format!("WKS-{client_n}"),
            ip: client_ip,
            clock_offset: Duration::seconds(opts.skew_seconds),
            events: Vec::new(),
            main_pid: rng.range(2000, 30000) as u32 & !3,
            user_sid: user_sid.clone(),
            user_name: user.to_string(),
            domain: "CORP".into(),
        };
        let server = HostSim {
            computer: format!("{server_name}.corp.contoso.com"),
            short_name: server_name.to_string(),
            ip: server_ip,
            clock_offset: Duration::zero(),
            events: Vec::new(),
            main_pid: rng.range(800, 1600) as u32 & !3,
            user_sid,
            user_name: user.to_string(),
            domain: "CORP".into(),
        };
        let public_target = matches!(
            spec.kind,
            ScenarioKind::Cause(RootCauseId::MiddleboxReset) | ScenarioKind::NatPortForward(_)
        );
        let target = if spec.kind == ScenarioKind::Cause(RootCauseId::GatewayOrBrokerLeg) {
            // The session host behind the gateway (the .rdp file names the gateway).
            "rds01.corp.contoso.com".to_string()
        } else if public_target {
            // A router's public address (TEST-NET-3, RFC 5737) forwarded to the server.
            format!("203.0.113.{}", rng.range(2, 250))
        } else if rng.chance(0.5) {
            server.computer.to_lowercase()
        } else {
            server.ip.clone()
        };
        let self_signed = thumb(&mut rng);
        let machine_guid = Guid::from_display_bytes(rng.bytes16()).to_string().to_lowercase();
        let machine_guid = machine_guid.trim_matches(|c| c == '{' || c == '}').to_string();
        let server_cfg = ServerConfig {
            os: server_os,
            port: 3389,
            security_layer: 2,
            user_authentication: 1,
            min_encryption_level: 2,
            ssl_cert_hash: None,
            self_signed_thumbprint: self_signed,
            deny_ts_connections: 0,
            max_outstanding: None,
            policy_select_transport: None,
            policy_user_authentication: None,
            schannel: vec![],
            fips: false,
            allow_encryption_oracle: None,
            firewall_rules: default_rdp_rule_strings(3389),
            profiles: vec![],
            machine_guid,
            winstations_disabled: 0,
            drain_mode: None,
            service_dll: r"%SystemRoot%\System32\termsrv.dll".into(),
            cipher_policy: None,
        };
        let client_cfg = ClientConfig {
            os: client_os,
            disable_udp: None,
            enable_credssp: None,
            allow_encryption_oracle: None,
            fips: false,
            schannel: vec![],
            mru: vec![target.clone()],
            mstsc_version: "10.0.22621.3235".into(),
        };
        let facts = WorldFacts {
            my_certs: vec![],
            rd_certs: vec![CertFact {
                thumbprint: self_signed,
                subject: server.computer.clone(),
                issuer: server.computer.clone(),
                not_before: boot - Duration::days(40),
                not_after: boot + Duration::days(142),
                container: "TSSecKeySet1".into(),
                key_ok: true,
                serial: hex_upper(&rng.bytes16()),
            }],
            key_acl_network_service: true,
            machinekeys_folder_ok: true,
            port_3389_owner: None,
            security_products: vec![],
            server_time_synced: true,
            client_time_synced: true,
            extra_netsh_rules: vec![],
            rdp_rule_enabled: true,
            client_vpn: None,
        };
        let mut w = World {
            spec,
            client,
            server,
            client_cfg,
            server_cfg,
            target,
            since,
            until: t0,
            boot,
            attempts: Vec::new(),
            planted: Vec::new(),
            facts,
        };
        w.server.profiles_default();
        let profile = ProfileEntry {
            key: w.server.user_sid.clone(),
            image_path: format!(r"C:\Users\{}", w.server.user_name),
            state: 0,
            ref_count: 0,
        };
        w.server_cfg.profiles.push(profile);
        w.boot_events();
        let mut arng = root.fork("attempts");
        w.plan_attempts(&mut arng, t0, opts.attempts.max(1));
        w.apply_cause_config(&mut root.fork("config"));
        w.apply_decoys(&mut root.fork("decoys"));
        if !opts.without_traps {
            w.apply_audit_traps(&mut root.fork("traps"));
        }
        // Leave room after the last attempt for sessions to end.
        let last = w.attempts.last().map(|a| a.start).unwrap_or(t0);
        w.until = last + Duration::minutes(70);
        w.planted.sort();
        w.planted.dedup();
        w
    }

    fn plant(&mut self, host: &'static str, what: impl Into<String>) {
        self.planted.push(Planted {
            host,
            what: what.into(),
        });
    }

    /// Which cause the attempt with this index fails with.
    fn failure_of(&self, i: usize, n: usize, rng: &mut Rng) -> Option<RootCauseId> {
        match self.spec.kind {
            ScenarioKind::Healthy => None,
            ScenarioKind::MixedTwoCauses => {
                if i == n / 2 && n > 1 {
                    Some(RootCauseId::NetworkTransport)
                } else {
                    Some(RootCauseId::CertKeyUnreadable)
                }
            }
            ScenarioKind::MixedDecoys => Some(RootCauseId::NlaCredsspMismatch),
            // The server's side of a refused password is the NLA failure's: 140 and 4625.
            ScenarioKind::WrongPassword if i + 1 < n || n == 1 => Some(RootCauseId::NlaCredsspMismatch),
            ScenarioKind::WrongPassword => None,
            ScenarioKind::NatPortForward(c) => Some(c),
            ScenarioKind::Cause(c) => match c {
                // Intermittent causes: the last attempt gets through.
                RootCauseId::MaxOutstandingConnections if i + 1 == n && n > 1 => None,
                RootCauseId::NetworkTransport if n > 2 && i % 3 == 1 => None,
                _ => {
                    let _ = rng;
                    Some(c)
                }
            },
        }
    }

    fn plan_attempts(&mut self, rng: &mut Rng, t0: DateTime<Utc>, n: usize) {
        let mut t = t0;
        for i in 0..n {
            let failure = self.failure_of(i, n, rng);
            let truth = self.attempt(rng, t, failure, i);
            self.attempts.push(truth);
            t += Duration::seconds(rng.range(90, 420) as i64);
        }
    }

    /// TermService start: SCM 7036, RCM 258, RdpCoreTS 129 (the bound port).
    fn boot_events(&mut self) {
        let boot = self.boot;
        let port = self.server_cfg.port;
        let pid = self.server.main_pid;
        self.server
            .log(
                &SCM,
                7036,
                boot,
                named(&[
                    ("param1", s("Remote Desktop Services")),
                    ("param2", s("running")),
                    (
                        "Binary",
                        Value::Binary(b"T\0e\0r\0m\0S\0e\0r\0v\0i\0c\0e\0/\0\x04\0\0\0".to_vec()),
                    ),
                ]),
            )
            .qualifiers(16384)
            .pid(pid & 0xff);
        for (i, proto) in ["TCP", "UDP"].iter().enumerate() {
            self.server
                .log(
                    &RDPCORETS,
                    129,
                    boot + ms(400 + i as i64 * 3),
                    named(&[("TransportProtocolName", s(proto)), ("Port", Value::UInt32(port))]),
                )
                .task_opcode(0, 0)
                .user(SID_NETWORK_SERVICE);
        }
        self.server
            .log(
                &RCM_OPERATIONAL,
                258,
                boot + ms(420),
                event_xml(&[("listenerName", s("RDP-Tcp"))]),
            )
            .user(SID_NETWORK_SERVICE);
    }

    /// One attempt: client events, and server events when the connection reaches TermService.
    fn attempt(
        &mut self,
        rng: &mut Rng,
        t0: DateTime<Utc>,
        failure: Option<RootCauseId>,
        index: usize,
    ) -> AttemptTruth {
        use RootCauseId as C;
        let cact = activity_guid(rng);
        let client_sid = self.client.user_sid.clone();
        let target = if failure == Some(C::ProxyOrBastionInPath) {
            "rdpgw.corp.contoso.com".to_string()
        } else {
            self.target.clone()
        };
        self.client
            .log(&RDP_CLIENT, 1024, t0, client_triple("Server Name", &target))
            .task_opcode(101, 10)
            .activity(cact)
            .user(&client_sid);
        let client_port = rng.range(49_700, 65_000) as u16;
        let net = ms(rng.range(2, 25) as i64);
        let ts = t0 + net; // server sees the SYN
        // How far a failing attempt gets is the cause's (its `STAGE` in world/causes/<cause>.rs);
        // a successful one goes all the way.
        let stage = failure.map(causes::stage_of);
        // Does the connection reach TermService on this server?
        let reaches = stage.is_none_or(|st| st.reaches_termservice);
        let seen_ip = if failure == Some(C::ProxyOrBastionInPath) {
            "10.20.0.5".to_string()
        } else if matches!(self.spec.kind, ScenarioKind::NatPortForward(_)) {
            // The home router's public address (TEST-NET-2, RFC 5737), as the server sees it.
            format!("198.51.100.{}", 2 + fnv(&self.client.short_name) % 250)
        } else {
            self.client.ip.clone()
        };
        let sact = activity_guid(rng);
        let conn_no = index as u32 + 2;
        if reaches {
            self.server_accept(ts, sact, &format!("{seen_ip}:{client_port}"), conn_no, rng);
        }
        // The credential prompt: the client negotiated X.224 (1028) and waits while the user
        // types (TCP stays open), then logs 1029 (user name known) and starts TLS/CredSSP
        // (audit 2026-12 finding 1: TechNet Wiki 37847 shows 1028 at +0.2 s, 1029 at +6.1 s).
        // Saved credentials: a few hundred ms. Causes that fail before TLS have no prompt.
        let after_prompt = stage.is_none_or(|st| st.after_prompt);
        let prompt = if !after_prompt {
            Duration::zero()
        } else if rng.chance(0.5) {
            ms(rng.range(150, 800) as i64)
        } else {
            ms(rng.range(3_000, 60_000) as i64)
        };
        if after_prompt {
            let sid = self.client.user_sid.clone();
            self.client
                .log(
                    &RDP_CLIENT,
                    1028,
                    t0 + ms(rng.range(90, 140) as i64),
                    named(&[("TraceMessage", s("Server supports SSL = supported"))]),
                )
                .task_opcode(101, 0)
                .activity(cact)
                .user(&sid);
            // The hash is SHA256 on 1809 (port139 blog) and SHA1 on 6.3.9600 (TechNet Wiki
            // 37847): version-dependent (audit 2026-12 section 5 item 10); the text is the
            // modern one. 1025 ("connected") is logged near the end of setup, after 1029 and
            // the UDP 1102/1103 (section 5 item 9), so no rule or anchor reads it as TCP up.
            let user_hash = hex_upper(&rng.bytes16());
            self.client
                .log(
                    &RDP_CLIENT,
                    1029,
                    t0 + prompt,
                    named(&[(
                        "TraceMessage",
                        s(&format!("Base64(SHA256(UserName)) is = {user_hash}")),
                    )]),
                )
                .task_opcode(101, 0)
                .activity(cact)
                .user(&sid);
        }
        // From here on, times are after the prompt.
        let (t0p, tsp) = (t0 + prompt, ts + prompt);
        // Outcome-specific evidence; returns when the client saw the close (None = success).
        let close_after: Option<Duration> = match failure {
            None => {
                self.success(rng, t0p, tsp, cact, sact, &seen_ip, conn_no);
                None
            }
            // Each cause's failure events: world/causes/<cause>.rs.
            Some(C::CertKeyUnreadable) => Some(prompt + self.fail_cert_key_unreadable(rng, tsp, sact)),
            Some(C::CertExpiredOrMismatched) => {
                Some(prompt + self.fail_cert_expired_or_mismatched(rng, tsp, sact))
            }
            Some(C::NlaCredsspMismatch) => {
                Some(prompt + self.fail_nla_credssp_mismatch(rng, tsp, sact, &seen_ip))
            }
            Some(C::FirewallOrAvInterference) => {
                Some(self.fail_firewall_or_av_interference(rng, ts, client_port))
            }
            Some(C::ListenerOrPortProblem) => Some(self.fail_listener_or_port_problem(rng)),
            Some(C::MaxOutstandingConnections) => Some(self.fail_max_outstanding_connections(rng, ts)),
            Some(C::UserProfileCorrupt) => {
                Some(prompt + self.fail_user_profile_corrupt(rng, t0p, tsp, cact, sact, &seen_ip, conn_no))
            }
            Some(C::NetworkTransport) => Some(prompt + self.fail_network_transport(rng, tsp, sact)),
            Some(C::OutdatedClient) => Some(prompt + self.fail_outdated_client(rng, tsp, sact)),
            Some(C::TlsOrFipsMismatch) => Some(prompt + self.fail_tls_or_fips_mismatch(rng, t0p, tsp, sact)),
            Some(C::ProxyOrBastionInPath) => Some(self.fail_proxy_or_bastion_in_path(rng, ts, sact)),
            Some(C::CredentialsRejected) => {
                Some(prompt + self.fail_credentials_rejected(rng, tsp, sact, &seen_ip))
            }
            Some(C::MiddleboxReset) => Some(self.fail_middlebox_reset(rng)),
            Some(C::RdpServiceCrash) => Some(prompt + self.fail_rdp_service_crash(rng, tsp)),
            Some(C::RdpProtocolError) => {
                Some(prompt + self.fail_rdp_protocol_error(rng, tsp, sact, &seen_ip))
            }
            Some(C::LogonDisabled) => Some(prompt + self.fail_logon_disabled(rng, tsp, sact)),
            Some(C::GatewayOrBrokerLeg) => Some(prompt + self.fail_gateway_or_broker_leg(rng, tsp)),
        };
        if let Some(after) = close_after {
            let tls_stage = stage.is_some_and(|st| st.tls_handshake);
            if tls_stage {
                // Client state machine: the TLS handshake started, then the socket closed.
                let e = self.client.log(
                    &RDP_CLIENT,
                    226,
                    t0 + after - ms(2),
                    named(&[
                        ("StateTransitionName", s("RDPClient_SSL")),
                        ("PreviousState", Value::UInt32(2)),
                        ("PreviousStateName", s("TsSslStateHandshakeStart")),
                        ("NewState", Value::UInt32(6)),
                        ("NewStateName", s("TsSslStateDisconnecting")),
                        ("Event", Value::UInt32(4)),
                        ("EventName", s("TsSslEventHandshakeFailed")),
                        ("ErrorCode", Value::HexInt32(0x8007_2746)),
                    ]),
                );
                e.task_opcode(101, 0).activity(cact).user(&client_sid).level(3);
            }
            self.client
                .log(
                    &RDP_CLIENT,
                    1026,
                    t0 + after,
                    // A refused password is 0x807 (SSL_ERR_LOGON_FAILURE, field guide 1.7).
                    client_triple(
                        "Disconnect Reason",
                        match (self.spec.kind, failure) {
                            (ScenarioKind::WrongPassword, _) => "2055",
                            (_, Some(C::CredentialsRejected)) if self.locked_out() => "3335",
                            (_, Some(C::CredentialsRejected)) => "2055",
                            _ => "2308",
                        },
                    ),
                )
                .task_opcode(101, 11)
                .activity(cact)
                .user(&client_sid);
            self.plant(
                "client",
                "RDPClient/Operational 1024 then 1026 Disconnect Reason 2308 (0x904), same ActivityID",
            );
        }
        AttemptTruth {
            start: t0,
            failure,
            client_activity: cact,
            server_activity: reaches.then_some(sact),
        }
    }

    /// 131 -> 261 -> 65 -> 141 -> 72 PrepareForAccept/SendPolicyData (field guide 3.3).
    fn server_accept(
        &mut self,
        ts: DateTime<Utc>,
        sact: Guid,
        client_ip_port: &str,
        conn_no: u32,
        rng: &mut Rng,
    ) {
        let ns = SID_NETWORK_SERVICE;
        self.server
            .log(
                &RDPCORETS,
                131,
                ts,
                named(&[("ConnType", s("TCP")), ("ClientIP", s(client_ip_port))]),
            )
            .task_opcode(4, 15)
            .activity(sact)
            .user(ns);
        let rcm_delay = Duration::microseconds(rng.range(900, 5600) as i64);
        self.server
            .log(
                &RCM_OPERATIONAL,
                261,
                ts + rcm_delay,
                event_xml(&[("listenerName", s("RDP-Tcp"))]),
            )
            .activity(sact)
            .user(ns);
        self.server
            .log(
                &RDPCORETS,
                65,
                ts + rcm_delay + ms(3),
                named(&[("ConnectionName", s(&format!("RDP-Tcp#{conn_no}")))]),
            )
            .task_opcode(4, 0)
            .activity(sact)
            .user(ns);
        self.server
            .log(
                &RDPCORETS,
                141,
                ts + rcm_delay + ms(4),
                named(&[("InstanceID", Value::UInt32(conn_no + 30))]),
            )
            .activity(sact)
            .user(ns);
        for (i, m) in ["PrepareForAccept", "SendPolicyData"].iter().enumerate() {
            self.server
                .log(
                    &RDPCORETS,
                    72,
                    ts + ms(8 + 12 * i as i64),
                    named(&[("MethodName", s(m))]),
                )
                .task_opcode(4, 0)
                .activity(sact)
                .user(ns);
        }
    }

    /// The server tears a connection down: 226 (ErrorCode) -> 72 OnDisconnected -> 102 -> 103.
    /// RdpCoreTS 139: the security layer of the connection failed with `code` (warning,
    /// NETWORK SERVICE, the connection's ActivityID).
    pub(in crate::scenario::world) fn security_layer_failed(
        &mut self,
        t: DateTime<Utc>,
        sact: Guid,
        code: u32,
    ) {
        let ip = self.client.ip.clone();
        self.server
            .log(
                &RDPCORETS,
                139,
                t,
                named(&[("ResultCode", Value::HexInt32(code)), ("IPString", s(&ip))]),
            )
            .level(3)
            .activity(sact)
            .user(SID_NETWORK_SERVICE);
    }

    fn server_teardown(&mut self, t: DateTime<Utc>, sact: Guid, error: u32, reason: u32) {
        let ns = SID_NETWORK_SERVICE;
        self.server
            .log(
                &RDPCORETS,
                226,
                t,
                named(&[
                    ("StateTransition", s("RDP_TCP")),
                    ("PreviousState", Value::UInt32(23)),
                    ("PreviousStateName", s("StateUnknown")),
                    ("NewState", Value::UInt32(21)),
                    ("NewStateName", s("StateDisconnected")),
                    ("Event", Value::UInt32(43)),
                    ("EventName", s("Event_Disconnect")),
                    ("ErrorCode", Value::HexInt32(error)),
                ]),
            )
            .level(3)
            .task_opcode(4, 19)
            .activity(sact)
            .user(ns);
        self.server
            .log(
                &RDPCORETS,
                72,
                t + ms(1),
                named(&[("MethodName", s("OnDisconnected"))]),
            )
            .task_opcode(4, 0)
            .activity(sact)
            .user(ns);
        self.server
            .log(&RDPCORETS, 102, t + ms(2), Payload::None)
            .activity(sact)
            .user(ns);
        self.server
            .log(
                &RDPCORETS,
                103,
                t + ms(3),
                named(&[("ReasonCode", Value::UInt32(reason))]),
            )
            .activity(sact)
            .user(ns);
    }

    #[allow(clippy::too_many_arguments)]
    fn logon_success(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
        sact: Guid,
        ip: &str,
        conn_no: u32,
        session: u32,
    ) -> DateTime<Utc> {
        let auth = ts + ms(rng.range(1500, 2100) as i64);
        let (user, domain) = (self.server.user_name.clone(), self.server.domain.clone());
        self.server
            .log(
                &RCM_OPERATIONAL,
                1149,
                auth,
                event_xml(&[("Param1", s(&user)), ("Param2", s(&domain)), ("Param3", s(ip))]),
            )
            .activity(sact)
            .user(SID_NETWORK_SERVICE);
        let logon_id = rng.range(0x100000, 0xffffff);
        self.security_logon(auth - ms(60), 3, ip, logon_id, "NtLmSsp ", "NTLM");
        self.security_logon(auth + ms(900), 10, ip, logon_id + 7, "User32 ", "Negotiate");
        let who = format!("{domain}\\{user}");
        for (i, id) in [21u16, 22].iter().enumerate() {
            self.server
                .log(
                    &LSM,
                    *id,
                    auth + ms(1000 + 300 * i as i64),
                    event_xml(&[
                        ("User", s(&who)),
                        ("SessionID", Value::UInt32(session)),
                        ("Address", s(ip)),
                    ]),
                )
                .user(SID_SYSTEM);
        }
        self.server
            .log(
                &RDPCORETS,
                66,
                auth + ms(1100),
                named(&[
                    ("ConnectionName", s(&format!("RDP-Tcp#{conn_no}"))),
                    ("SessionID", Value::UInt32(session)),
                ]),
            )
            .activity(sact)
            .user(SID_NETWORK_SERVICE);
        auth
    }

    fn security_logon(
        &mut self,
        t: DateTime<Utc>,
        logon_type: u32,
        ip: &str,
        logon_id: u64,
        process: &str,
        package: &str,
    ) {
        let remote = logon_type == 10;
        let payload = Logon4624 {
            subject: if remote {
                LogonAccount {
                    sid: SID_SYSTEM,
                    name: &self.server.short_name,
                    domain: "CORP",
                    logon_id: 0x3e7,
                }
            } else {
                LogonAccount {
                    sid: "S-1-0-0",
                    name: "-",
                    domain: "-",
                    logon_id: 0,
                }
            },
            target: LogonAccount {
                sid: &self.server.user_sid,
                name: &self.server.user_name,
                domain: &self.server.domain,
                logon_id,
            },
            logon_type,
            logon_process: process,
            package,
            workstation: &self.client.short_name,
            logon_guid: ZERO_GUID,
            process_id: if remote { 0x2a8 } else { 0 },
            process_name: if remote {
                r"C:\Windows\System32\svchost.exe"
            } else {
                "-"
            },
            ip,
            port: "0",
            restricted_admin: if remote { "%%1843" } else { "-" },
        }
        .payload();
        self.server
            .log(&SECURITY, 4624, t, payload)
            .version(2)
            .level(0)
            .task_opcode(12544, 0)
            .pid(4 + 4 * 150);
    }

    fn security_failed_logon(&mut self, t: DateTime<Utc>, ip: &str, user: &str, status: u32, sub: u32) {
        let data = [
            ("SubjectUserSid", sid_value("S-1-0-0")),
            ("SubjectUserName", s("-")),
            ("SubjectDomainName", s("-")),
            ("SubjectLogonId", Value::HexInt64(0)),
            ("TargetUserSid", sid_value("S-1-0-0")),
            ("TargetUserName", s(user)),
            ("TargetDomainName", s(&self.server.domain)),
            ("Status", Value::HexInt32(status)),
            ("FailureReason", s("%%2313")),
            ("SubStatus", Value::HexInt32(sub)),
            ("LogonType", Value::UInt32(3)),
            ("LogonProcessName", s("NtLmSsp ")),
            ("AuthenticationPackageName", s("NTLM")),
            ("WorkstationName", s("-")),
            ("TransmittedServices", s("-")),
            ("LmPackageName", s("-")),
            ("KeyLength", Value::UInt32(0)),
            ("ProcessId", Value::HexInt64(0)),
            ("ProcessName", s("-")),
            ("IpAddress", s(ip)),
            ("IpPort", s("0")),
        ];
        self.server
            .log(&SECURITY, 4625, t, named(&data))
            .level(0)
            .task_opcode(12544, 0)
            .keywords(AUDIT_FAILURE)
            .pid(4 + 4 * 150);
    }

    #[allow(clippy::too_many_arguments)]
    fn success(
        &mut self,
        rng: &mut Rng,
        t0: DateTime<Utc>,
        ts: DateTime<Utc>,
        cact: Guid,
        sact: Guid,
        ip: &str,
        conn_no: u32,
    ) {
        let session = conn_no + 1;
        let sid = self.client.user_sid.clone();
        // Each TLS handshake acquires the certificate's key: a CAPI2 70 success (Result 0) when
        // the CAPI2 log is on (audit 2026-12 finding 2: such records must not count).
        if !self.facts.rd_certs.is_empty() {
            let t = ts + ms(rng.range(5, 40) as i64);
            self.capi2_acquire_key(t, "0", None);
        }
        let auth = self.logon_success(rng, ts, sact, ip, conn_no, session);
        let c_auth = t0 + (auth - ts);
        self.client
            .log(
                &RDP_CLIENT,
                1027,
                c_auth + ms(900),
                named(&[
                    ("DomainName", s(&self.server.domain)),
                    ("SessionId", Value::UInt32(session)),
                ]),
            )
            .task_opcode(101, 0)
            .activity(cact)
            .user(&sid);
        let udp_ok = self.spec.kind != ScenarioKind::Cause(RootCauseId::NetworkTransport);
        self.client
            .log(
                &RDP_CLIENT,
                1102,
                c_auth + ms(1200),
                client_triple("Server IP", &self.server.ip.clone()),
            )
            .task_opcode(101, 0)
            .activity(cact)
            .user(&sid);
        if udp_ok {
            // Payload of 1103 is not in any public sample; the common triple is assumed.
            self.client
                .log(
                    &RDP_CLIENT,
                    1103,
                    c_auth + ms(1400),
                    client_triple("Transport", "UDP"),
                )
                .task_opcode(101, 0)
                .activity(cact)
                .user(&sid);
        } else {
            self.client
                .log(
                    &RDP_CLIENT,
                    1104,
                    c_auth + ms(11_200),
                    client_triple("Transport", "UDP"),
                )
                .task_opcode(101, 0)
                .activity(cact)
                .user(&sid)
                .level(3);
            self.server
                .log(&RDPCORETS, 138, auth + ms(11_000), Payload::None)
                .activity(sact)
                .user(SID_NETWORK_SERVICE)
                .level(3);
            self.server
                .log(
                    &RDPCORETS,
                    135,
                    auth + ms(11_010),
                    named(&[
                        ("TunnelID", Value::UInt32(1)),
                        ("TransportType", s("TCP: Reason Code: 1 (UDP handshake timeout)")),
                    ]),
                )
                .activity(sact)
                .user(SID_NETWORK_SERVICE);
            self.plant(
                "both",
                "successful attempts show UDP failing: client 1104, RdpCoreTS 138 and 135 \"TCP\"",
            );
        }
        // The user works for a while, then closes the window.
        let dur = Duration::seconds(rng.range(120, 1800) as i64);
        let end_c = c_auth + dur;
        self.client
            .log(&RDP_CLIENT, 1026, end_c, client_triple("Disconnect Reason", "1"))
            .task_opcode(101, 11)
            .activity(cact)
            .user(&sid);
        let end_s = auth + dur + net_ms(rng);
        let who = format!("{}\\{}", self.server.domain, self.server.user_name);
        self.server_teardown(end_s, sact, 0x0, 1);
        self.server
            .log(
                &LSM,
                24,
                end_s + ms(40),
                event_xml(&[
                    ("User", s(&who)),
                    ("SessionID", Value::UInt32(session)),
                    ("Address", s(ip)),
                ]),
            )
            .user(SID_SYSTEM);
        self.server
            .log(
                &LSM,
                40,
                end_s + ms(41),
                event_xml(&[("Session", Value::UInt32(session)), ("Reason", Value::UInt32(0))]),
            )
            .user(SID_SYSTEM);
    }

    fn schannel_36870(&mut self, t: DateTime<Utc>, code: u32) {
        let pid = self.server.main_pid;
        self.schannel_36870_of(t, code, r"C:\Windows\System32\svchost.exe", pid);
    }

    /// Schannel 36870 for the server credential of `caller` (TermService's svchost, or a DC's
    /// lsass for LDAPS).
    fn schannel_36870_of(&mut self, t: DateTime<Utc>, code: u32, caller: &str, pid: u32) {
        self.server
            .log(
                &SCHANNEL,
                36870,
                t,
                named(&[
                    ("Type", s("server")),
                    ("ErrorCode", Value::HexInt32(code)),
                    ("ErrorStatus", Value::UInt32(10001)),
                    ("CallerProcessImageName", s(caller)),
                    ("CallerProcessId", Value::UInt32(pid)),
                ]),
            )
            .level(2)
            .user(SID_SYSTEM)
            .pid(pid + 4);
    }

    /// CAPI2 70 (CryptAcquireCertificatePrivateKey) by TermService's svchost for the RDP
    /// certificate: a success (`Result` 0) at each TLS handshake, or a failure with its flags
    /// and correlation task (corpus evtxcrate__CAPI2-Operational.evtx shape).
    fn capi2_acquire_key(&mut self, t: DateTime<Utc>, result: &str, failure_task: Option<&str>) {
        let Some(c) = self.facts.rd_certs.first() else {
            return;
        };
        let thumb = hex_upper(&c.thumbprint);
        let subject = self.server.computer.clone();
        let mut e = Element::new("CryptAcquireCertificatePrivateKey").child(
            Element::new("Certificate")
                .attr("fileRef", s(&format!("{thumb}.cer")))
                .attr("subjectName", s(&subject)),
        );
        if failure_task.is_some() {
            e = e.child(
                Element::new("Flags")
                    .attr("value", s("10000"))
                    .attr("CRYPT_ACQUIRE_ALLOW_NCRYPT_KEY_FLAG", s("true")),
            );
        }
        e = e.child(Element::new("EventAuxInfo").attr("ProcessName", s("svchost.exe")));
        if let Some(task) = failure_task {
            e = e.child(
                Element::new("CorrelationAuxInfo")
                    .attr("TaskId", s(task))
                    .attr("SeqNumber", s("1")),
            );
        }
        e = e.child(Element::new("Result").attr("value", s(result)));
        let level = if failure_task.is_some() { 2 } else { 4 };
        self.server
            .log(&CAPI2, 70, t, Payload::UserData(e))
            .level(level)
            .user(SID_NETWORK_SERVICE);
    }

    /// The server's NLA rejection, shared by nla-credssp-mismatch and credentials-rejected (and
    /// the wrong-password scenario): Security 4625 with the cause's status, RdpCoreTS 140 and
    /// 143, then the teardown.
    fn nla_rejection(&mut self, rng: &mut Rng, ts: DateTime<Utc>, sact: Guid, ip: &str) -> Duration {
        // 140 comes 0.12-9.4 s after 131 (median 0.85 s in the real sample).
        let t = ts + ms(rng.range(400, 2600) as i64);
        let user = self.server.user_name.clone();
        // A mistyped password: 4625 Status 0xC000006D STATUS_LOGON_FAILURE, SubStatus
        // 0xC000006A wrong password (Microsoft's 4625 documentation, status table; FG 1.7).
        // The NLA failure modelled here is a server that cannot validate the account because it
        // lost its domain controller (FG 5.3 "NLA times out"): 4625 Status 0xC000005E
        // STATUS_NO_LOGON_SERVERS (same table). That this pairs with RdpCoreTS 140 is an
        // inference: no real 140 + 4625 pair is in the corpus.
        // Locked out: 4625 Status 0xC0000234 STATUS_ACCOUNT_LOCKED_OUT (same table), which the
        // client reports as 0xD07 SSL_ERR_ACCOUNT_LOCKED_OUT (Microsoft OnDisconnected page).
        let credentials = self.spec.kind == ScenarioKind::WrongPassword
            || self.spec.kind == ScenarioKind::Cause(RootCauseId::CredentialsRejected);
        let (status, sub) = if credentials && self.locked_out() {
            (0xC000_0234, 0xC000_0234)
        } else if credentials {
            (0xC000_006D, 0xC000_006A)
        } else {
            (0xC000_005E, 0x0)
        };
        self.security_failed_logon(t - ms(4), ip, &user, status, sub);
        self.server
            .log(&RDPCORETS, 140, t, named(&[("IPString", s(ip))]))
            .level(3)
            .task_opcode(4, 14)
            .activity(sact)
            .user(SID_NETWORK_SERVICE);
        let close = t + ms(rng.range(900, 1400) as i64);
        self.server
            .log(&RDPCORETS, 143, close, named(&[("error", Value::UInt32(64))]))
            .level(3)
            .activity(sact)
            .user(SID_NETWORK_SERVICE);
        self.server_teardown(close + ms(1), sact, 0x8007_0040, 14);
        self.plant("server", "RdpCoreTS 140 IPString=client and Security 4625 LogonType 3 NtLmSsp 0.4-2.6 s after 131; no 1149");
        close - ts + ms(rng.range(1, 20) as i64)
    }

    /// Registry and host facts of the cause, and one-off events (service start, changes): each
    /// cause's own in world/causes/<cause>.rs.
    fn apply_cause_config(&mut self, rng: &mut Rng) {
        use RootCauseId as C;
        let causes: Vec<RootCauseId> = match self.spec.kind {
            ScenarioKind::Healthy => vec![],
            ScenarioKind::Cause(c) | ScenarioKind::NatPortForward(c) => vec![c],
            ScenarioKind::MixedTwoCauses => vec![C::CertKeyUnreadable, C::NetworkTransport],
            ScenarioKind::MixedDecoys => vec![C::NlaCredsspMismatch],
            ScenarioKind::WrongPassword => vec![],
        };
        for cause in causes {
            match cause {
                C::CertExpiredOrMismatched => self.configure_cert_expired_or_mismatched(rng),
                C::CertKeyUnreadable => self.configure_cert_key_unreadable(rng),
                C::CredentialsRejected => self.configure_credentials_rejected(rng),
                C::FirewallOrAvInterference => self.configure_firewall_or_av_interference(rng),
                C::GatewayOrBrokerLeg => self.configure_gateway_or_broker_leg(rng),
                C::ListenerOrPortProblem => self.configure_listener_or_port_problem(rng),
                C::LogonDisabled => self.configure_logon_disabled(rng),
                C::MaxOutstandingConnections => self.configure_max_outstanding_connections(rng),
                C::MiddleboxReset => self.configure_middlebox_reset(rng),
                C::NetworkTransport => self.configure_network_transport(rng),
                C::NlaCredsspMismatch => self.configure_nla_credssp_mismatch(rng),
                C::OutdatedClient => self.configure_outdated_client(rng),
                C::ProxyOrBastionInPath => self.configure_proxy_or_bastion_in_path(rng),
                C::RdpProtocolError => self.configure_rdp_protocol_error(rng),
                C::RdpServiceCrash => self.configure_rdp_service_crash(rng),
                C::TlsOrFipsMismatch => self.configure_tls_or_fips_mismatch(rng),
                C::UserProfileCorrupt => self.configure_user_profile_corrupt(rng),
            }
        }
    }

    /// Errors of other causes at times unrelated to any attempt (mixed-decoys).
    /// What real servers log that must not count as evidence (audit 2026-12, issue 15 item 5),
    /// in every scenario where it does not contradict the cause: a domain controller's LDAPS
    /// 36870 from lsass; an outbound TLS *client* 36871; a UDP/3389 WFP drop of the
    /// multitransport leg; a planned reboot (User32 1074, EventLog 6006/6005, RCM 259 listener
    /// stop) within two hours of the first attempt; RCM 1059 (fall-back to the self-signed
    /// certificate) after it; a client with CredSSP AllowEncryptionOracle = 2. CAPI2 70
    /// successes (Result 0) come with every successful TLS handshake (see `success`).
    fn apply_audit_traps(&mut self, rng: &mut Rng) {
        use RootCauseId as C;
        let cause = match self.spec.kind {
            ScenarioKind::Cause(c) | ScenarioKind::NatPortForward(c) => Some(c),
            _ => None,
        };
        let Some(first) = self.attempts.first().map(|a| a.start) else {
            return;
        };
        let pid = self.server.main_pid;
        // 36870 of lsass for the machine's LDAPS certificate, seconds before the first attempt.
        let t = first - ms(rng.range(1_500, 2_500) as i64);
        self.schannel_36870_of(t, 0x8009_030D, r"C:\Windows\System32\lsass.exe", pid & 0xff0);
        self.plant(
            "server",
            "trap: Schannel 36870 0x8009030D from lsass.exe (LDAPS), seconds before the first attempt",
        );
        if cause != Some(C::TlsOrFipsMismatch) {
            self.server
                .log(
                    &SCHANNEL,
                    36871,
                    first + ms(rng.range(300, 1_500) as i64),
                    named(&[("Type", s("client")), ("ErrorState", Value::UInt32(10013))]),
                )
                .level(2)
                .user(SID_SYSTEM);
            self.plant(
                "server",
                "trap: Schannel 36871 Type=client (an outbound TLS client), at the first attempt",
            );
        }
        if cause != Some(C::FirewallOrAvInterference) {
            let (src, dst) = (self.client.ip.clone(), self.server.ip.clone());
            self.server
                .log(
                    &SECURITY,
                    5152,
                    first + ms(rng.range(1_000, 2_500) as i64),
                    named(&[
                        ("ProcessID", Value::HexInt64(0)),
                        ("Application", s("-")),
                        ("Direction", s("%%14592")),
                        ("SourceAddress", s(&src)),
                        ("SourcePort", s(&rng.range(49_700, 65_000).to_string())),
                        ("DestAddress", s(&dst)),
                        ("DestPort", s("3389")),
                        ("Protocol", Value::UInt32(17)),
                        ("FilterRTID", Value::UInt64(rng.range(60_000, 90_000))),
                        ("LayerName", s("%%14597")),
                        ("LayerRTID", Value::UInt64(13)),
                    ]),
                )
                .level(0)
                .task_opcode(12809, 0)
                .keywords(AUDIT_FAILURE);
            self.plant("server", "trap: Security 5152 UDP (17) to 3389 from the client (multitransport leg), at the first attempt");
        }
        if cause != Some(C::ListenerOrPortProblem) {
            let down = first - Duration::minutes(rng.range(40, 100) as i64);
            self.server
                .log(
                    &USER32,
                    1074,
                    down,
                    Payload::Classic {
                        data: vec![
                            s(r"C:\Windows\system32\svchost.exe (RDS01)"),
                            s("RDS01"),
                            s("Operating System: Service pack (Planned)"),
                            s("0x80020010"),
                            s("restart"),
                            s(""),
                            s(r"NT AUTHORITY\SYSTEM"),
                        ],
                        binary: None,
                    },
                )
                .qualifiers(32768)
                .level(4);
            self.listener_event(259, down + ms(rng.range(4_000, 9_000) as i64));
            self.event_log_service(6006, down + ms(rng.range(15_000, 30_000) as i64));
            let up = down + Duration::seconds(rng.range(90, 240) as i64);
            self.event_log_service(6005, up);
            self.listener_event(258, up + ms(rng.range(20_000, 40_000) as i64));
            self.plant("server", "trap: planned reboot (User32 1074, RCM 259, EventLog 6006/6005, RCM 258) 40-100 min before the first attempt");
            if !matches!(cause, Some(C::CertExpiredOrMismatched | C::CertKeyUnreadable)) {
                self.server
                    .log(
                        &TERMSERVICE_SYSTEM,
                        1059,
                        up + ms(rng.range(25_000, 45_000) as i64),
                        Payload::Classic {
                            data: vec![s("0x80090016")],
                            binary: None,
                        },
                    )
                    .qualifiers(49152)
                    .level(3)
                    .user(SID_NETWORK_SERVICE);
                self.plant(
                    "server",
                    "trap: TermService 1059 (fell back to the self-signed certificate) after the reboot",
                );
            }
        }
        if self.facts.client_vpn.is_none() {
            // A VPN client installed but not connected: its adapter is listed, Disconnected
            // (Get-NetIPInterface lists every interface with its ConnectionState: Microsoft's
            // Get-NetIPInterface documentation; that home PCs often have one is an inference).
            self.facts.client_vpn = Some(("PANGP Virtual Ethernet Adapter".into(), 1400, false));
            self.plant(
                "client",
                "trap: GlobalProtect's adapter installed but Disconnected (Get-NetIPInterface)",
            );
        }
        if cause != Some(C::NlaCredsspMismatch) && self.client_cfg.allow_encryption_oracle.is_none() {
            self.client_cfg.allow_encryption_oracle = Some(2);
            self.plant(
                "client",
                "trap: CredSSP AllowEncryptionOracle = 2 (the compatibility setting)",
            );
        }
    }

    /// RCM 258 (listener started) / 259 (stopped) of RDP-Tcp.
    fn listener_event(&mut self, id: u16, t: DateTime<Utc>) {
        self.server
            .log(
                &RCM_OPERATIONAL,
                id,
                t,
                event_xml(&[("listenerName", s("RDP-Tcp"))]),
            )
            .user(SID_NETWORK_SERVICE);
    }

    /// EventLog 6005 (service started, at boot) / 6006 (stopped, at shutdown): no data.
    fn event_log_service(&mut self, id: u16, t: DateTime<Utc>) {
        self.server
            .log(
                &EVENTLOG,
                id,
                t,
                Payload::Classic {
                    data: vec![],
                    binary: None,
                },
            )
            .qualifiers(32768)
            .level(4);
    }

    fn apply_decoys(&mut self, rng: &mut Rng) {
        if self.spec.kind != ScenarioKind::MixedDecoys {
            return;
        }
        let first = self.attempts.first().map(|a| a.start).unwrap_or(self.until);
        self.schannel_36870(first - Duration::hours(rng.range(3, 9) as i64), 0x8009_030D);
        self.server
            .log(
                &RCM_ADMIN,
                1006,
                first - Duration::hours(rng.range(20, 30) as i64),
                event_xml(&[]),
            )
            .level(2)
            .user(SID_NETWORK_SERVICE);
        let t = first - Duration::hours(rng.range(4, 7) as i64);
        self.server
            .log(&USER_PROFILES, 1511, t, named(&[]))
            .level(3)
            .user("S-1-5-21-1004336348-1177238915-682003330-1107");
        self.server
            .log(&USER_PROFILES, 1515, t + ms(20), named(&[]))
            .level(3)
            .user("S-1-5-21-1004336348-1177238915-682003330-1107");
        let t2 = first - Duration::minutes(rng.range(40, 100) as i64);
        let a = activity_guid(rng);
        self.server_accept(t2, a, "10.30.77.12:50112", 1, rng);
        self.server
            .log(
                &RDPCORETS,
                143,
                t2 + Duration::seconds(26),
                named(&[("error", Value::UInt32(64))]),
            )
            .level(3)
            .activity(a)
            .user(SID_NETWORK_SERVICE);
        self.server_teardown(t2 + Duration::seconds(26), a, 0x8007_0040, 0);
        self.plant("server", "decoys: Schannel 36870 3-9 h before, RCM 1006 a day before, UPS 1511/1515 for another user, a 143 for another client");
    }
}

fn net_ms(rng: &mut Rng) -> Duration {
    ms(rng.range(2, 25) as i64)
}

/// FNV-1a of a name, to give each scenario its own stream for the same seed.
pub fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

impl HostSim {
    fn profiles_default(&mut self) {}
}

/// Role of a planted host label.
pub fn role_of(host: &str) -> Role {
    match host {
        "client" => Role::Client,
        "server" => Role::Server,
        _ => Role::Both,
    }
}
