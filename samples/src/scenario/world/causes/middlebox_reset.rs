//! Sample evidence of `analyzer/rules/middlebox-reset.toml`: the client's 1024 goes to a public
//! address (a router's port-forward), no 1028, and 1026 0x904 follows within 15-90 ms; the server
//! logs no 131/261 for the client while other employees connect. No server-side event is written
//! for the attempt itself.
//!
//! `configure_middlebox_reset`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_middlebox_reset`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{World, ms};
use super::Stage;
use crate::rng::Rng;
use chrono::Duration;

/// How far a failing attempt gets.
pub(super) const STAGE: Stage = Stage {
    reaches_termservice: false,
    after_prompt: false,
    tls_handshake: false,
};

impl World {
    /// Registry and host facts of the cause, and its one-off events.
    pub(in crate::scenario::world) fn configure_middlebox_reset(&mut self, _rng: &mut Rng) {
        self.plant(
            "client",
            "1024 to a public address (a router's port-forward); no 1028; 1026 0x904 within 100 ms",
        );
        self.plant(
            "server",
            "no 131/261 for the client while other employees connect",
        );
    }

    /// The middlebox resets the connection: the client's close comes 15-90 ms after 1024.
    pub(in crate::scenario::world) fn fail_middlebox_reset(&mut self, rng: &mut Rng) -> Duration {
        ms(rng.range(15, 90) as i64)
    }
}
