//! Sample evidence of `analyzer/rules/firewall-or-av-interference.toml`: SecurityCenter2 lists a
//! third-party antivirus and firewall product whose block rule on TCP 3389 (firewall registry rule,
//! netsh artifact) was added hours before the failures (Firewall 2004); at most attempts Security
//! 5157 (WFP blocked) from the client to port 3389, and no RdpCoreTS 131 / RCM 261.
//!
//! `configure_firewall_or_av_interference`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_firewall_or_av_interference`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{World, ms};
use super::Stage;
use crate::evtx::Value;
use crate::rng::Rng;
use crate::scenario::host::sid_value;
use crate::scenario::host::{EventExt, SID_SYSTEM, named, s};
use crate::scenario::providers::*;
use chrono::{DateTime, Duration, Utc};

/// How far a failing attempt gets.
pub(super) const STAGE: Stage = Stage {
    reaches_termservice: false,
    after_prompt: false,
    tls_handshake: false,
};

impl World {
    /// Registry and host facts of the cause, and its one-off events.
    pub(in crate::scenario::world) fn configure_firewall_or_av_interference(&mut self, rng: &mut Rng) {
        let product = "Contoso Endpoint Protection";
        self.facts.security_products = vec![
            ("AntiVirusProduct".into(), product.into()),
            ("FirewallProduct".into(), product.into()),
        ];
        let rule = format!("{product} - RDP guard");
        self.server_cfg.firewall_rules.push((
            "{6c1b2a34-0d5e-4f1a-9a77-3d2c41e0b5aa}".into(),
            format!(
                "v2.31|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=3389|RA4=10.30.0.0/16|Name={rule}|"
            ),
        ));
        self.facts
            .extra_netsh_rules
            .push((rule.clone(), true, "3389".into(), true));
        let t = self.attempts.first().map(|a| a.start).unwrap_or(self.until)
            - Duration::hours(rng.range(2, 20) as i64);
        self.server
            .log(
                &FIREWALL,
                2004,
                t,
                named(&[
                    ("RuleId", s("{6c1b2a34-0d5e-4f1a-9a77-3d2c41e0b5aa}")),
                    ("RuleName", s(&rule)),
                    ("Origin", Value::UInt32(1)),
                    ("ApplicationPath", s("")),
                    ("ServiceName", s("")),
                    ("Direction", Value::UInt32(1)),
                    ("Protocol", Value::UInt32(6)),
                    ("LocalPorts", s("3389")),
                    ("RemotePorts", s("*")),
                    ("Action", Value::UInt32(3)),
                    ("Profiles", Value::UInt32(7)),
                    ("LocalAddresses", s("*")),
                    ("RemoteAddresses", s("10.30.0.0/16")),
                    ("RemoteMachineAuthorizationList", s("")),
                    ("RemoteUserAuthorizationList", s("")),
                    ("EmbeddedContext", s("")),
                    ("Flags", Value::UInt32(1)),
                    ("Active", Value::UInt32(1)),
                    ("EdgeTraversal", Value::UInt32(0)),
                    ("LooseSourceMapped", Value::UInt32(0)),
                    ("SecurityOptions", Value::UInt32(0)),
                    ("ModifyingUser", sid_value(SID_SYSTEM)),
                    (
                        "ModifyingApplication",
                        s(r"C:\Program Files\Contoso\Endpoint Protection\cepsvc.exe"),
                    ),
                    ("SchemaVersion", Value::UInt16(543)),
                    ("RuleStatus", Value::UInt32(65536)),
                    ("LocalOnlyMapped", Value::UInt32(0)),
                ]),
            )
            .user(SID_SYSTEM);
        self.plant(
            "server",
            "Firewall 2004: endpoint-protection block rule on TCP 3389 added hours before the failures",
        );
        self.plant(
            "server",
            "SecurityCenter2 lists a third-party antivirus and firewall product",
        );
    }

    pub(in crate::scenario::world) fn fail_firewall_or_av_interference(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
        port: u16,
    ) -> Duration {
        if rng.chance(0.7) {
            let (src, dst) = (self.client.ip.clone(), self.server.ip.clone());
            self.server
                .log(
                    &SECURITY,
                    5157,
                    ts,
                    named(&[
                        ("ProcessID", Value::HexInt64(4)),
                        ("Application", s("System")),
                        ("Direction", s("%%14592")),
                        ("SourceAddress", s(&src)),
                        ("SourcePort", s(&port.to_string())),
                        ("DestAddress", s(&dst)),
                        ("DestPort", s("3389")),
                        ("Protocol", Value::UInt32(6)),
                        ("FilterRTID", Value::UInt64(rng.range(60_000, 90_000))),
                        ("LayerName", s("%%14610")),
                        ("LayerRTID", Value::UInt64(44)),
                        ("RemoteUserID", sid_value("S-1-0-0")),
                        ("RemoteMachineID", sid_value("S-1-0-0")),
                    ]),
                )
                .level(0)
                .task_opcode(12810, 0)
                .keywords(AUDIT_FAILURE);
            self.plant(
                "server",
                "Security 5157 (WFP blocked) from the client IP to port 3389 at most attempts",
            );
        }
        self.plant(
            "server",
            "no RdpCoreTS 131 / RCM 261 for any attempt of the client",
        );
        ms(rng.range(20, 120) as i64)
    }
}
