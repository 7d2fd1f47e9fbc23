//! Sample evidence of `analyzer/rules/rdp-protocol-error.toml`: at each attempt System TermDD 56
//! (protocol stream error with the client address and the NTSTATUS in the binary data), then the
//! teardown. No registry configuration.
//!
//! `configure_rdp_protocol_error`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_rdp_protocol_error`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{World, ms};
use super::Stage;
use crate::evtx::{Guid, Payload};
use crate::rng::Rng;
use crate::scenario::host::{EventExt, s};
use crate::scenario::providers::*;
use chrono::{DateTime, Duration, Utc};

/// How far a failing attempt gets.
pub(super) const STAGE: Stage = Stage {
    reaches_termservice: true,
    after_prompt: true,
    tls_handshake: false,
};

impl World {
    /// No configuration: the evidence is in the attempt's events only.
    pub(in crate::scenario::world) fn configure_rdp_protocol_error(&mut self, _rng: &mut Rng) {}

    /// The security layer sees a broken stream: TermDD 56 with the client address and the
    /// NTSTATUS in the binary data (AskPerf "curious case of Event ID 56"), then the teardown.
    pub(in crate::scenario::world) fn fail_rdp_protocol_error(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
        sact: Guid,
        ip: &str,
    ) -> Duration {
        let t = ts + ms(rng.range(20, 400) as i64);
        // STATUS_IO_TIMEOUT / STATUS_DATA_ERROR variants, little-endian in the last DWORD.
        let status: u32 = if rng.chance(0.5) { 0xC000_00B5 } else { 0xC000_003E };
        let mut binary = vec![0u8; 36];
        binary.extend_from_slice(&status.to_le_bytes());
        self.server
            .log(
                &TERMDD,
                56,
                t,
                Payload::Classic {
                    data: vec![s(r"\Device\Termdd"), s(ip)],
                    binary: Some(binary),
                },
            )
            .qualifiers(49162)
            .level(2);
        self.server_teardown(t + ms(2), sact, 0x8007_0040, 4);
        self.plant("server", "System TermDD 56 (protocol stream error, client address, NTSTATUS in the binary data) at each attempt");
        t - ts + ms(rng.range(3, 30) as i64)
    }
}
