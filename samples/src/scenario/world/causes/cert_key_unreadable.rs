//! Sample evidence of `analyzer/rules/cert-key-unreadable.toml`: the RDP key file
//! `MachineKeys\f686aace..._<MachineGuid>` lost NETWORK SERVICE's Read (Get-Acl artifact), System
//! TermService 1057 "Keyset does not exist" at service start; at each attempt System Schannel 36870
//! ErrorCode 0x8009030D within 100 ms of 131/261, CAPI2/Operational 70 Result 80090016
//! (NTE_BAD_KEYSET) and Security 5058 KeyName TSSecKeySet1 ReturnCode 0x80090016.
//!
//! `configure_cert_key_unreadable`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_cert_key_unreadable`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{World, ms};
use super::Stage;
use crate::evtx::{Guid, Payload, Value};
use crate::rng::Rng;
use crate::scenario::host::sid_value;
use crate::scenario::host::{EventExt, SID_NETWORK_SERVICE, named, s};
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
    pub(in crate::scenario::world) fn configure_cert_key_unreadable(&mut self, _rng: &mut Rng) {
        let boot = self.boot;
        self.facts.key_acl_network_service = false;
        self.plant(
            "server",
            "ACL-MachineKeys: f686aace..._<MachineGuid> without NT AUTHORITY\\NETWORK SERVICE",
        );
        self.server
            .log(
                &TERMSERVICE_SYSTEM,
                1057,
                boot + ms(900),
                Payload::Classic {
                    data: vec![s("Keyset does not exist\r\n")],
                    binary: None,
                },
            )
            .qualifiers(49152)
            .level(2)
            .user(SID_NETWORK_SERVICE);
        self.plant(
            "server",
            "System TermService 1057 \"Keyset does not exist\" at service start",
        );
        if let Some(c) = self.facts.rd_certs.first_mut() {
            c.key_ok = false;
        }
    }

    pub(in crate::scenario::world) fn fail_cert_key_unreadable(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
        sact: Guid,
    ) -> Duration {
        let t = ts + ms(rng.range(20, 90) as i64);
        self.schannel_36870(t, 0x8009_030D);
        self.plant(
            "server",
            "System Schannel 36870 ErrorCode 0x8009030D within 100 ms of each 131/261",
        );
        if !self.facts.rd_certs.is_empty() {
            let task = Guid::from_display_bytes(rng.bytes16()).to_string();
            self.capi2_acquire_key(t - ms(1), "80090016", Some(&task));
            self.plant(
                "server",
                "CAPI2/Operational 70 svchost.exe Result 80090016 (NTE_BAD_KEYSET) at each attempt",
            );
        }
        let guid = self.server_cfg.machine_guid.clone();
        self.server
            .log(
                &SECURITY,
                5058,
                t - ms(2),
                named(&[
                    ("SubjectUserSid", sid_value(SID_NETWORK_SERVICE)),
                    ("SubjectUserName", s(&format!("{}$", self.server.short_name))),
                    ("SubjectDomainName", s("CORP")),
                    ("SubjectLogonId", Value::HexInt64(0x3e4)),
                    ("ProviderName", s("Microsoft Software Key Storage Provider")),
                    ("AlgorithmName", s("RSA")),
                    ("KeyName", s("TSSecKeySet1")),
                    ("KeyType", s("%%2499")),
                    ("KeyFilePath", s(&format!(r"C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys\f686aace6942fb7f7ceb231212eef4a4_{guid}"))),
                    ("Operation", s("%%2458")),
                    ("ReturnCode", Value::HexInt32(0x8009_0016)),
                ]),
            )
            .level(0)
            .task_opcode(12292, 0)
            .keywords(AUDIT_FAILURE);
        self.plant(
            "server",
            "Security 5058 KeyName TSSecKeySet1 ReturnCode 0x80090016 at each attempt",
        );
        self.server_teardown(t + ms(3), sact, 0x8009_030D, 4);
        t - ts + ms(rng.range(5, 40) as i64)
    }
}
