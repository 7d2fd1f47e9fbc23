//! Sample evidence of `analyzer/rules/listener-or-port-problem.toml`: RDP-Tcp PortNumber moved to
//! 3390 (RdpCoreTS 129 Port 3390 and RCM 258 when the listener re-bound hours before) while the
//! firewall rule still opens 3389, and netstat shows 0.0.0.0:3389 owned by nginx.exe; no RdpCoreTS
//! 131 / RCM 261 for any attempt, the client closes within 30-180 ms.
//!
//! `configure_listener_or_port_problem`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_listener_or_port_problem`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{World, ms};
use super::Stage;
use crate::evtx::Value;
use crate::rng::Rng;
use crate::scenario::host::{EventExt, SID_NETWORK_SERVICE, event_xml, named, s};
use crate::scenario::providers::*;
use chrono::Duration;

/// How far a failing attempt gets.
pub(super) const STAGE: Stage = Stage {
    reaches_termservice: false,
    after_prompt: false,
    tls_handshake: false,
};

impl World {
    /// Registry and host facts of the cause, and its one-off events.
    pub(in crate::scenario::world) fn configure_listener_or_port_problem(&mut self, rng: &mut Rng) {
        self.server_cfg.port = 3390;
        self.facts.port_3389_owner = Some("nginx.exe".into());
        // The listener re-bound to 3390 when TermService restarted.
        let t = self.attempts.first().map(|a| a.start).unwrap_or(self.until)
            - Duration::hours(rng.range(1, 8) as i64);
        self.server
            .log(
                &RDPCORETS,
                129,
                t,
                named(&[("TransportProtocolName", s("TCP")), ("Port", Value::UInt32(3390))]),
            )
            .user(SID_NETWORK_SERVICE);
        self.server
            .log(
                &RCM_OPERATIONAL,
                258,
                t + ms(20),
                event_xml(&[("listenerName", s("RDP-Tcp"))]),
            )
            .user(SID_NETWORK_SERVICE);
        self.plant(
            "server",
            "RDP-Tcp PortNumber = 3390 and RdpCoreTS 129 Port 3390; firewall rule still LPort 3389",
        );
        self.plant(
            "server",
            "netstat -anob: 0.0.0.0:3389 LISTENING owned by nginx.exe, not TermService",
        );
        self.plant(
            "server",
            "no RdpCoreTS 131 / RCM 261 for any attempt of the client",
        );
    }

    /// Nothing reaches TermService: the client's close comes 30-180 ms after 1024.
    pub(in crate::scenario::world) fn fail_listener_or_port_problem(&mut self, rng: &mut Rng) -> Duration {
        ms(rng.range(30, 180) as i64)
    }
}
