//! Sample evidence of `analyzer/rules/proxy-or-bastion-in-path.toml`: RDP-Tcp SecurityLayer = 0 and
//! UserAuthentication = 0, the client's MRU starts with the bastion; at each attempt 1024 names
//! rdpgw.corp.contoso.com and RdpCoreTS 131 shows the bastion's 10.20.0.5 instead of the client, the
//! teardown 60-200 ms later.
//!
//! `configure_proxy_or_bastion_in_path`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_proxy_or_bastion_in_path`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{World, ms};
use super::Stage;
use crate::evtx::Guid;
use crate::rng::Rng;
use chrono::{DateTime, Duration, Utc};

/// How far a failing attempt gets.
pub(super) const STAGE: Stage = Stage {
    reaches_termservice: true,
    after_prompt: false,
    tls_handshake: false,
};

impl World {
    /// Registry and host facts of the cause, and its one-off events.
    pub(in crate::scenario::world) fn configure_proxy_or_bastion_in_path(&mut self, _rng: &mut Rng) {
        self.server_cfg.security_layer = 0;
        self.server_cfg.user_authentication = 0;
        self.client_cfg.mru = vec!["rdpgw.corp.contoso.com".into(), self.target.clone()];
        self.plant(
            "server",
            "RDP-Tcp SecurityLayer = 0 (RDP Security Layer only), UserAuthentication = 0",
        );
    }

    pub(in crate::scenario::world) fn fail_proxy_or_bastion_in_path(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
        sact: Guid,
    ) -> Duration {
        let t = ts + ms(rng.range(60, 200) as i64);
        self.server_teardown(t, sact, 0x8007_0040, 5);
        self.plant(
            "server",
            "RdpCoreTS 131 ClientIP is the bastion 10.20.0.5, not the client; teardown 60-200 ms later",
        );
        self.plant(
            "client",
            "1024 Server Name is rdpgw.corp.contoso.com (the bastion), not the server",
        );
        t - ts + ms(rng.range(100, 900) as i64)
    }
}
