//! Sample evidence of `analyzer/rules/network-transport.toml`: UDP transport left at its
//! defaults, and in one variant the client's GlobalProtect adapter (Get-NetIPInterface, NlMtu 1400);
//! at each attempt RdpCoreTS 142 error 121 / 143 error 64 and 226 ErrorCode 0x80070040 20-35 s
//! after 131 with no authentication or certificate error, the client's 1029 -> 1026 2308 gap as
//! long.
//!
//! `configure_network_transport`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_network_transport`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{World, ms};
use super::Stage;
use crate::evtx::{Guid, Value};
use crate::rng::Rng;
use crate::scenario::host::{EventExt, SID_NETWORK_SERVICE, named};
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
    pub(in crate::scenario::world) fn configure_network_transport(&mut self, rng: &mut Rng) {
        self.plant(
            "client",
            "DisableUDPTransport not set; SelectTransport not set on the server",
        );
        // Two variants: a home user on GlobalProtect, or a lossy path with no VPN at all (the
        // connection's own events only). The adapter's name is Palo Alto's ("Troubleshooting
        // GlobalProtect MTU Issues", live.paloaltonetworks.com); a tunnel MTU of 1400 is the
        // VPN overhead that article describes, the exact value an inference.
        if rng.range(0, 1) == 0 {
            self.facts.client_vpn = Some(("PANGP Virtual Ethernet Adapter".into(), 1400, true));
            self.plant(
                "client",
                "Get-NetIPInterface: PANGP Virtual Ethernet Adapter connected, NlMtu 1400",
            );
        }
    }

    pub(in crate::scenario::world) fn fail_network_transport(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
        sact: Guid,
    ) -> Duration {
        let t = ts + Duration::seconds(rng.range(20, 35) as i64);
        self.server
            .log(
                &RDPCORETS,
                142,
                t - ms(5),
                named(&[("error", Value::UInt32(121))]),
            )
            .level(3)
            .activity(sact)
            .user(SID_NETWORK_SERVICE);
        self.server
            .log(&RDPCORETS, 143, t, named(&[("error", Value::UInt32(64))]))
            .level(3)
            .activity(sact)
            .user(SID_NETWORK_SERVICE);
        self.server_teardown(t + ms(1), sact, 0x8007_0040, 0);
        self.plant("server", "RdpCoreTS 142 error 121 / 143 error 64 and 226 ErrorCode 0x80070040 20-35 s after 131, no auth or cert error");
        self.plant(
            "client",
            "1029 (after the prompt) -> 1026 2308 after 20-35 s (long gap)",
        );
        t - ts + ms(rng.range(20, 200) as i64)
    }
}
