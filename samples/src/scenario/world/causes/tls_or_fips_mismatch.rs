//! Sample evidence of `analyzer/rules/tls-or-fips-mismatch.toml`: SCHANNEL TLS 1.0, 1.1 and 1.2
//! Server Enabled = 0 and a cipher-suite policy with ECDSA suites only; at each attempt System
//! Schannel 36871 ErrorState 10013 and RdpCoreTS 139 ResultCode 0x80090331 at the server, Schannel
//! 36887 AlertDesc 40 at the client.
//!
//! `configure_tls_or_fips_mismatch`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_tls_or_fips_mismatch`: the events of one failed attempt
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
    pub(in crate::scenario::world) fn configure_tls_or_fips_mismatch(&mut self, _rng: &mut Rng) {
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
            ProtocolSwitch {
                protocol: "TLS 1.2",
                side: "Server",
                enabled: 0,
                disabled_by_default: 1,
            },
        ];
        self.plant(
            "server",
            "SCHANNEL TLS 1.0, 1.1 and 1.2 Server Enabled = 0: no protocol left for the listener",
        );
        // Second problem of the same hardening run: a cipher-suite order policy with
        // ECDSA suites only, none usable with RDP's RSA certificate.
        self.server_cfg.cipher_policy = Some(vec![
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384".into(),
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".into(),
        ]);
        self.plant(
            "server",
            "Policies SSL\\00010002 Functions = ECDSA suites only (none for an RSA certificate)",
        );
    }

    pub(in crate::scenario::world) fn fail_tls_or_fips_mismatch(
        &mut self,
        rng: &mut Rng,
        t0: DateTime<Utc>,
        ts: DateTime<Utc>,
        sact: Guid,
    ) -> Duration {
        let t = ts + ms(rng.range(5, 30) as i64);
        let pid = self.server.main_pid;
        self.server
            .log(
                &SCHANNEL,
                36871,
                t,
                named(&[("Type", s("server")), ("ErrorState", Value::UInt32(10013))]),
            )
            .level(2)
            .user(SID_SYSTEM)
            .pid(pid + 4);
        self.security_layer_failed(t + ms(1), sact, 0x8009_0331);
        self.server_teardown(t + ms(3), sact, 0x8009_0331, 4);
        let after = t - ts + ms(rng.range(5, 30) as i64);
        self.client
            .log(
                &SCHANNEL,
                36887,
                t0 + after - ms(1),
                named(&[("AlertDesc", Value::UInt32(40))]),
            )
            .level(2)
            .user(SID_SYSTEM);
        self.plant(
            "server",
            "System Schannel 36871 ErrorState 10013 and RdpCoreTS 139 ResultCode 0x80090331 at each attempt",
        );
        self.plant("client", "System Schannel 36887 AlertDesc 40 at each attempt");
        after
    }
}
