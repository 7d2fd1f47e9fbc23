//! Sample evidence of `analyzer/rules/max-outstanding-connections.toml`: RDP-Tcp
//! `MaxOutstandingConnections` = 50; before each failed attempt a burst of 60-110 RdpCoreTS 131 /
//! RCM 261 from Internet addresses with 140 and 4625 and no 1149, then RCM/Admin 1006 (too many
//! incomplete connections); the attempt itself never reaches TermService.
//!
//! `configure_max_outstanding_connections`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_max_outstanding_connections`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{World, ms};
use super::Stage;
use crate::rng::Rng;
use crate::scenario::host::{EventExt, SID_NETWORK_SERVICE, activity_guid, event_xml, named, s};
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
    pub(in crate::scenario::world) fn configure_max_outstanding_connections(&mut self, _rng: &mut Rng) {
        self.server_cfg.max_outstanding = Some(50);
        self.plant("server", "MaxOutstandingConnections = 50");
    }

    pub(in crate::scenario::world) fn fail_max_outstanding_connections(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
    ) -> Duration {
        // A brute-force burst around the attempt: many 131/261/140/4625 from Internet IPs.
        let burst_start = ts - Duration::seconds(rng.range(40, 90) as i64);
        let n = rng.range(60, 110);
        for k in 0..n {
            let t = burst_start + ms((k * 1500 / 2 + rng.range(0, 700)) as i64);
            let ip = format!(
                "{}.{}.{}.{}",
                rng.range(31, 223),
                rng.range(0, 255),
                rng.range(0, 255),
                rng.range(1, 254)
            );
            let a = activity_guid(rng);
            let port = rng.range(1025, 65000);
            self.server
                .log(
                    &RDPCORETS,
                    131,
                    t,
                    named(&[("ConnType", s("TCP")), ("ClientIP", s(&format!("{ip}:{port}")))]),
                )
                .task_opcode(4, 15)
                .activity(a)
                .user(SID_NETWORK_SERVICE);
            self.server
                .log(
                    &RCM_OPERATIONAL,
                    261,
                    t + ms(2),
                    event_xml(&[("listenerName", s("RDP-Tcp"))]),
                )
                .activity(a)
                .user(SID_NETWORK_SERVICE);
            if k % 3 == 0 {
                let user = *rng.pick(&["administrator", "admin", "user", "test", "scanner"]);
                self.security_failed_logon(t + ms(800), &ip, user, 0xC000_006D, 0xC000_0064);
                self.server
                    .log(&RDPCORETS, 140, t + ms(810), named(&[("IPString", s(&ip))]))
                    .level(3)
                    .task_opcode(4, 14)
                    .activity(a)
                    .user(SID_NETWORK_SERVICE);
            }
        }
        self.server
            .log(
                &RCM_ADMIN,
                1006,
                ts - ms(rng.range(200, 3000) as i64),
                event_xml(&[]),
            )
            .level(2)
            .user(SID_NETWORK_SERVICE);
        self.plant(
            "server",
            "RCM/Admin 1006 (too many incomplete connections) seconds before each failed attempt",
        );
        self.plant(
            "server",
            "bursts of 60-110 RdpCoreTS 131 / RCM 261 from Internet IPs with 140 and 4625, no 1149",
        );
        ms(rng.range(40, 300) as i64)
    }
}
