//! Sample evidence of `analyzer/rules/cert-expired-or-mismatched.toml`: the listener's
//! `SSLCertificateSHA1Hash` (type 3) names either a certificate in LocalMachine\My whose NotAfter
//! has passed (System TermService 1053 at service start) or, after a renewal, no certificate at all
//! (TermService 1059); at each attempt System Schannel 36870 ErrorCode 0x8009030E (no credentials)
//! within 100 ms of RdpCoreTS 131 / RCM 261.
//!
//! `configure_cert_expired_or_mismatched`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_cert_expired_or_mismatched`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{CertFact, World, hex_upper, ms, thumb};
use super::Stage;
use crate::evtx::{Guid, Payload};
use crate::rng::Rng;
use crate::scenario::host::{EventExt, SID_NETWORK_SERVICE, s};
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
    pub(in crate::scenario::world) fn configure_cert_expired_or_mismatched(&mut self, rng: &mut Rng) {
        let boot = self.boot;
        let custom = thumb(rng);
        self.server_cfg.ssl_cert_hash = Some((custom, 3));
        let first = self.attempts.first().map(|a| a.start).unwrap_or(self.boot);
        if rng.chance(0.5) {
            self.facts.my_certs.push(CertFact {
                thumbprint: custom,
                subject: self.server.computer.clone(),
                issuer: "Contoso Issuing CA 01".into(),
                not_before: first - Duration::days(365),
                not_after: first - Duration::days(rng.range(1, 20) as i64),
                container: format!("le-WebServer-{}", hex_upper(&rng.bytes16()[..6])),
                key_ok: true,
                serial: hex_upper(&rng.bytes16()),
            });
            self.plant(
                "server",
                "SSLCertificateSHA1Hash (type 3) names a certificate in My whose NotAfter has passed",
            );
            self.server
                .log(
                    &TERMSERVICE_SYSTEM,
                    1053,
                    boot + ms(950),
                    Payload::Classic {
                        data: vec![s(&self.server.computer.clone())],
                        binary: Some(custom.to_vec()),
                    },
                )
                .qualifiers(49152)
                .level(2)
                .user(SID_NETWORK_SERVICE);
            self.plant(
                "server",
                "System TermService 1053 (certificate expired) at service start",
            );
        } else {
            // The renewed certificate has a new thumbprint; the listener still names the old one.
            let renewed = thumb(rng);
            self.facts.my_certs.push(CertFact {
                thumbprint: renewed,
                subject: self.server.computer.clone(),
                issuer: "Contoso Issuing CA 01".into(),
                not_before: first - Duration::days(5),
                not_after: first + Duration::days(360),
                container: format!("le-WebServer-{}", hex_upper(&rng.bytes16()[..6])),
                key_ok: true,
                serial: hex_upper(&rng.bytes16()),
            });
            self.plant(
                "server",
                "SSLCertificateSHA1Hash (type 3) matches no certificate in My or Remote Desktop (renewed)",
            );
            self.server
                .log(
                    &TERMSERVICE_SYSTEM,
                    1059,
                    boot + ms(950),
                    Payload::Classic {
                        data: vec![],
                        binary: Some(custom.to_vec()),
                    },
                )
                .qualifiers(49152)
                .level(2)
                .user(SID_NETWORK_SERVICE);
            self.plant(
                "server",
                "System TermService 1059 (configured hash invalid) at service start",
            );
        }
    }

    pub(in crate::scenario::world) fn fail_cert_expired_or_mismatched(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
        sact: Guid,
    ) -> Duration {
        let t = ts + ms(rng.range(15, 80) as i64);
        self.schannel_36870(t, 0x8009_030E);
        self.plant(
            "server",
            "System Schannel 36870 ErrorCode 0x8009030E (no credentials) within 100 ms of each 131/261",
        );
        self.security_layer_failed(t + ms(1), sact, 0x8009_030E);
        self.server_teardown(t + ms(3), sact, 0x8009_030E, 4);
        t - ts + ms(rng.range(5, 40) as i64)
    }
}
