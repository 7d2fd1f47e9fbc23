//! Sample evidence of `analyzer/rules/outdated-client.toml`: a Windows 7 SP1 client with mstsc
//! 6.1.7601.17514 against a server whose SCHANNEL TLS 1.0 and 1.1 are disabled; at each attempt
//! System Schannel 36874 Protocol "TLS 1.0" and 36888 AlertDesc 70.
//!
//! `configure_outdated_client`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_outdated_client`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{World, ms};
use super::Stage;
use crate::evtx::{Guid, Value};
use crate::rng::Rng;
use crate::scenario::config::ProtocolSwitch;
use crate::scenario::host::{EventExt, SID_SYSTEM, named, s};
use crate::scenario::providers::*;
use chrono::{DateTime, Duration, Utc};

/// How far a failing attempt gets.
pub(super) const STAGE: Stage = Stage {
    reaches_termservice: true,
    after_prompt: true,
    tls_handshake: true,
};

impl World {
    /// Registry and host facts of the cause, and its one-off events.
    pub(in crate::scenario::world) fn configure_outdated_client(&mut self, _rng: &mut Rng) {
        self.client_cfg.mstsc_version = "6.1.7601.17514".into();
        self.server_cfg.schannel = vec![
            ProtocolSwitch {
                protocol: "TLS 1.0",
                side: "Server",
                enabled: 0,
                disabled_by_default: 1,
            },
            ProtocolSwitch {
                protocol: "TLS 1.1",
                side: "Server",
                enabled: 0,
                disabled_by_default: 1,
            },
        ];
        self.plant(
            "server",
            "SCHANNEL TLS 1.0 and 1.1 Server Enabled = 0 (hardened); TLS 1.2 at its default",
        );
    }

    pub(in crate::scenario::world) fn fail_outdated_client(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
        sact: Guid,
    ) -> Duration {
        let t = ts + ms(rng.range(5, 30) as i64);
        let pid = self.server.main_pid;
        self.server
            .log(&SCHANNEL, 36874, t, named(&[("Protocol", s("TLS 1.0"))]))
            .level(2)
            .user(SID_SYSTEM)
            .pid(pid + 4);
        self.server
            .log(
                &SCHANNEL,
                36888,
                t + ms(1),
                named(&[
                    ("AlertDesc", Value::UInt32(70)),
                    ("ErrorState", Value::UInt32(1205)),
                ]),
            )
            .level(2)
            .user(SID_SYSTEM)
            .pid(pid + 4);
        self.server_teardown(t + ms(3), sact, 0x8009_0331, 4);
        self.plant(
            "server",
            "System Schannel 36874 Protocol \"TLS 1.0\" and 36888 AlertDesc 70 at each attempt",
        );
        self.plant("client", "Windows 7 SP1 (build 7601), mstsc 6.1.7601.17514");
        t - ts + ms(rng.range(5, 30) as i64)
    }
}
