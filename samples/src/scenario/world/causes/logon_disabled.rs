//! Sample evidence of `analyzer/rules/logon-disabled.toml`: Winlogon `WinStationsDisabled` = 1
//! (`change logon /disable`) or Terminal Server `TSServerDrainMode` = 2; at each attempt RCM 261 and
//! RdpCoreTS 131, then the teardown without 1149 (the event sequence is an inference).
//!
//! `configure_logon_disabled`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_logon_disabled`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{World, ms};
use super::Stage;
use crate::evtx::Guid;
use crate::rng::Rng;
use chrono::{DateTime, Duration, Utc};

/// How far a failing attempt gets.
pub(super) const STAGE: Stage = Stage {
    reaches_termservice: true,
    after_prompt: true,
    tls_handshake: false,
};

impl World {
    /// Registry and host facts of the cause, and its one-off events.
    pub(in crate::scenario::world) fn configure_logon_disabled(&mut self, rng: &mut Rng) {
        // Two variants: `change logon /disable`, or drain mode until restart.
        if rng.chance(0.5) {
            self.server_cfg.winstations_disabled = 1;
            self.plant(
                "server",
                "Winlogon WinStationsDisabled = 1 (change logon /disable)",
            );
        } else {
            self.server_cfg.drain_mode = Some(2);
            self.plant(
                "server",
                "Terminal Server TSServerDrainMode = 2 (drain until restart)",
            );
        }
    }

    /// Logons are disabled (`change logon /disable`) or the server drains: TermService accepts
    /// the connection and ends it right after the security exchange, without a logon. What the
    /// server logs then, and whether the client reports 0x904, is an inference (audit 2026-12
    /// section 3 item 5 marks the 0x904 link unverified); the registry switches are sourced.
    pub(in crate::scenario::world) fn fail_logon_disabled(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
        sact: Guid,
    ) -> Duration {
        let t = ts + ms(rng.range(150, 900) as i64);
        self.server_teardown(t, sact, 0x8007_0040, 4);
        self.plant(
            "server",
            "RCM 261 and RdpCoreTS 131 then teardown without 1149; WinStationsDisabled or drain mode set",
        );
        t - ts + ms(rng.range(3, 30) as i64)
    }
}
