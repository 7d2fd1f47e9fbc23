//! Sample evidence of `analyzer/rules/gateway-or-broker-leg.toml`: at each attempt the RD Gateway
//! authorises the user (200 CAP, 300 RAP) and then logs 304, could not reach the session host
//! (socket error 10061). No registry configuration.
//!
//! `configure_gateway_or_broker_leg`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_gateway_or_broker_leg`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{World, ms};
use super::Stage;
use crate::evtx::Value;
use crate::rng::Rng;
use crate::scenario::host::{EventExt, SID_NETWORK_SERVICE, event_xml, s};
use crate::scenario::providers::*;
use chrono::{DateTime, Duration, Utc};

/// How far a failing attempt gets.
pub(super) const STAGE: Stage = Stage {
    reaches_termservice: false,
    after_prompt: true,
    tls_handshake: false,
};

impl World {
    /// No configuration: the evidence is in the attempt's events only.
    pub(in crate::scenario::world) fn configure_gateway_or_broker_leg(&mut self, _rng: &mut Rng) {}

    /// The gateway authorises the user (CAP 200, RAP 300) and cannot reach the session host:
    /// 304 with the socket error (10061, refused) (TechNet ee891388 for the events; the
    /// UserData field names are unverified).
    pub(in crate::scenario::world) fn fail_gateway_or_broker_leg(
        &mut self,
        rng: &mut Rng,
        ts: DateTime<Utc>,
    ) -> Duration {
        let user = format!(r"CORP\{}", self.client.user_name);
        let ip = self.client.ip.clone();
        let resource = self.target.clone();
        let info = |extra: &[(&'static str, Value)]| {
            let mut fields: Vec<(&'static str, Value)> = vec![
                ("Username", s(&user)),
                ("IpAddress", s(&ip)),
                ("AuthType", s("NTLM")),
                ("Resource", s(&resource)),
                ("ConnectionProtocol", s("HTTP")),
            ];
            fields.extend(extra.iter().cloned());
            fields
        };
        let t = ts + ms(rng.range(50, 300) as i64);
        self.server
            .log(
                &GATEWAY,
                200,
                t,
                event_xml(&info(&[("ErrorCode", Value::UInt32(0))])),
            )
            .user(SID_NETWORK_SERVICE);
        self.server
            .log(
                &GATEWAY,
                300,
                t + ms(5),
                event_xml(&info(&[("ErrorCode", Value::UInt32(0))])),
            )
            .user(SID_NETWORK_SERVICE);
        let fail = t + ms(rng.range(900, 1_400) as i64);
        self.server
            .log(
                &GATEWAY,
                304,
                fail,
                event_xml(&info(&[("ErrorCode", Value::UInt32(10061))])),
            )
            .level(2)
            .user(SID_NETWORK_SERVICE);
        self.plant(
            "server",
            "RD Gateway 200/300 (authorised), then 304 could not connect to rds01 (10061), at each attempt",
        );
        fail - ts + ms(rng.range(20, 120) as i64)
    }
}
