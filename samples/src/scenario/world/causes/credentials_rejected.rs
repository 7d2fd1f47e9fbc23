//! Sample evidence of `analyzer/rules/credentials-rejected.toml`: the server's NLA rejection
//! (`World::nla_rejection`: RdpCoreTS 140 with the client's address and Security 4625 LogonType 3,
//! Status 0xC000006D/SubStatus 0xC000006A for a mistyped password, or 0xC0000234 for the
//! locked-out variant); the client's 1026 then says 2055 (0x807) or 3335 (0xD07) instead of 2308.
//! No registry configuration.
//!
//! `configure_credentials_rejected`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_credentials_rejected`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::World;
use super::Stage;
use crate::evtx::Guid;
use crate::rng::Rng;
use crate::scenario::catalog::ScenarioKind;
use chrono::{DateTime, Duration, Utc};
use rdpdiag_schemas::RootCauseId;

/// How far a failing attempt gets.
pub(super) const STAGE: Stage = Stage {
    reaches_termservice: true,
    after_prompt: true,
    tls_handshake: false,
};

impl World {
    /// No configuration: the evidence is in the attempt's events only.
    pub(in crate::scenario::world) fn configure_credentials_rejected(&mut self, _rng: &mut Rng) {}

    /// Variant of the credentials scenario: a locked-out account instead of a mistyped password
    /// (chosen by the seed through the server's random name digits).
    pub(in crate::scenario::world) fn locked_out(&self) -> bool {
        self.spec.kind == ScenarioKind::Cause(RootCauseId::CredentialsRejected)
            && self.client.short_name.bytes().last().is_some_and(|b| b % 2 == 1)
    }

    /// The server's NLA rejection with the credentials' 4625 status.
    pub(in crate::scenario::world) fn fail_credentials_rejected(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
        sact: Guid,
        ip: &str,
    ) -> Duration {
        self.nla_rejection(rng, ts, sact, ip)
    }
}
