//! Sample evidence of `analyzer/rules/nla-credssp-mismatch.toml`: CredSSP AllowEncryptionOracle = 0
//! (Force Updated Clients) with UserAuthentication = 1 at the server, AllowEncryptionOracle = 2 on an
//! unpatched client build (UBR 1); at each attempt the server's NLA rejection
//! (`World::nla_rejection`: RdpCoreTS 140 and Security 4625 Status 0xC000005E 0.4-2.6 s after 131,
//! no 1149).
//!
//! `configure_nla_credssp_mismatch`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_nla_credssp_mismatch`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::World;
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
    pub(in crate::scenario::world) fn configure_nla_credssp_mismatch(&mut self, _rng: &mut Rng) {
        // CredSSP is on at the client, the value written explicitly (1 is Windows'
        // behaviour without it, field guide 4.4; that images write it is an inference).
        self.client_cfg.enable_credssp = Some(1);
        self.server_cfg.allow_encryption_oracle = Some(0);
        self.client_cfg.allow_encryption_oracle = Some(2);
        self.client_cfg.os.ubr = 1;
        self.plant(
            "server",
            "CredSSP AllowEncryptionOracle = 0 (Force Updated Clients), UserAuthentication = 1",
        );
        self.plant(
            "client",
            "CredSSP AllowEncryptionOracle = 2 (Vulnerable) on an unpatched build (UBR 1)",
        );
    }

    /// The server's NLA rejection: 4625 STATUS_NO_LOGON_SERVERS, or the credentials' status in the
    /// wrong-password scenario (see `nla_rejection`).
    pub(in crate::scenario::world) fn fail_nla_credssp_mismatch(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
        sact: Guid,
        ip: &str,
    ) -> Duration {
        self.nla_rejection(rng, ts, sact, ip)
    }
}
