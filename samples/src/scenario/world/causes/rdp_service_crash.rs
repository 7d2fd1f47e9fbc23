//! Sample evidence of `analyzer/rules/rdp-service-crash.toml`: at each attempt System SCM 7031
//! (Remote Desktop Services terminated unexpectedly) and, in the RDP Wrapper variant
//! (TermService\Parameters `ServiceDll` = rdpwrap.dll), Application Error 1000 naming rdpwrap.dll.
//!
//! `configure_rdp_service_crash`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_rdp_service_crash`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{World, ms};
use super::Stage;
use crate::evtx::{Payload, Value};
use crate::rng::Rng;
use crate::scenario::host::{EventExt, named, s};
use crate::scenario::providers::*;
use chrono::{DateTime, Duration, Utc};

/// How far a failing attempt gets.
pub(super) const STAGE: Stage = Stage {
    reaches_termservice: true,
    after_prompt: true,
    tls_handshake: false,
};

impl World {
    /// Registry and host facts of the cause, and its one-off events.
    pub(in crate::scenario::world) fn configure_rdp_service_crash(&mut self, rng: &mut Rng) {
        // Two variants: RDP Wrapper hooked in as ServiceDll, or a plain crash.
        if rng.chance(0.5) {
            self.server_cfg.service_dll = r"%ProgramFiles%\RDP Wrapper\rdpwrap.dll".into();
            self.plant(
                "server",
                "TermService\\Parameters ServiceDll = %ProgramFiles%\\RDP Wrapper\\rdpwrap.dll",
            );
        }
    }

    /// TermService dies during the TLS/CredSSP exchange: SCM 7031 (terminated unexpectedly, the
    /// service key name in the binary data as the corpus's 7036 records carry it), and with the
    /// wrapper variant an Application Error 1000 naming the faulting module (rdpwrap #13 text).
    pub(in crate::scenario::world) fn fail_rdp_service_crash(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
    ) -> Duration {
        let t = ts + ms(rng.range(30, 300) as i64);
        let wrapper = self
            .server_cfg
            .service_dll
            .to_ascii_lowercase()
            .contains("rdpwrap");
        if wrapper {
            self.server
                .log(
                    &APPLICATION_ERROR,
                    1000,
                    t,
                    Payload::Classic {
                        data: vec![
                            s("svchost.exe_TermService"),
                            s("10.0.20348.1"),
                            s("6b2f1e0c"),
                            s("rdpwrap.dll"),
                            s("1.6.2.0"),
                            s("5e9a4c11"),
                            s("c0000005"),
                            s("000000000001a2f3"),
                        ],
                        binary: None,
                    },
                )
                .level(2)
                .qualifiers(0);
            self.plant(
                "server",
                "Application Error 1000 svchost.exe_TermService, faulting module rdpwrap.dll, at each attempt",
            );
        }
        self.server
            .log(
                &SCM,
                7031,
                t + ms(rng.range(20, 200) as i64),
                named(&[
                    ("param1", s("Remote Desktop Services")),
                    ("param2", Value::UInt32(1)),
                    ("param3", Value::UInt32(60000)),
                    ("param4", Value::UInt32(1)),
                    ("param5", s("Restart the service")),
                    (
                        "Binary",
                        Value::Binary(b"T\0e\0r\0m\0S\0e\0r\0v\0i\0c\0e\0/\0\x04\0\0\0".to_vec()),
                    ),
                ]),
            )
            .qualifiers(49152)
            .level(2);
        self.plant(
            "server",
            "System SCM 7031: Remote Desktop Services terminated unexpectedly, at each attempt",
        );
        t - ts + ms(rng.range(2, 20) as i64)
    }
}
