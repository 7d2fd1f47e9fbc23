//! Sample evidence of `analyzer/rules/user-profile-corrupt.toml`: ProfileList holds `<SID>.bak`
//! -> C:\Users\<user> and `<SID>` -> C:\Users\TEMP; at each attempt the logon succeeds (RCM 1149,
//! 4624 type 10, LSM 21, client 1027) and User Profiles Service 1511/1515/1502/1508 follow within
//! 4 s, then LSM 23 logoff and 40 reason 12 and the client's 1026 2308.
//!
//! `configure_user_profile_corrupt`: registry, host facts and one-off events (called by
//! `World::apply_cause_config`). `fail_user_profile_corrupt`: the events of one failed attempt
//! (called by `World::attempt`).

use super::super::{World, ms};
use super::Stage;
use crate::evtx::{Guid, Payload, Value};
use crate::rng::Rng;
use crate::scenario::config::ProfileEntry;
use crate::scenario::host::{EventExt, SID_SYSTEM, event_xml, named, s};
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
    pub(in crate::scenario::world) fn configure_user_profile_corrupt(&mut self, _rng: &mut Rng) {
        let sid = self.server.user_sid.clone();
        let user = self.server.user_name.clone();
        self.server_cfg.profiles = vec![
            ProfileEntry {
                key: sid.clone(),
                image_path: r"C:\Users\TEMP".into(),
                state: 0x804,
                ref_count: 1,
            },
            ProfileEntry {
                key: format!("{sid}.bak"),
                image_path: format!(r"C:\Users\{user}"),
                state: 0x8000,
                ref_count: 0,
            },
        ];
        self.plant(
            "server",
            "ProfileList: <SID>.bak -> C:\\Users\\<user> and <SID> -> C:\\Users\\TEMP",
        );
    }

    #[allow(clippy::too_many_arguments)]
    pub(in crate::scenario::world) fn fail_user_profile_corrupt(
        &mut self,
        rng: &mut Rng,
        t0: DateTime<Utc>,
        ts: DateTime<Utc>,
        cact: Guid,
        sact: Guid,
        ip: &str,
        conn_no: u32,
    ) -> Duration {
        let session = conn_no + 1;
        let auth = self.logon_success(rng, ts, sact, ip, conn_no, session);
        let sid = self.server.user_sid.clone();
        let csid = self.client.user_sid.clone();
        self.client
            .log(
                &RDP_CLIENT,
                1027,
                t0 + (auth - ts) + ms(900),
                named(&[
                    ("DomainName", s(&self.server.domain)),
                    ("SessionId", Value::UInt32(session)),
                ]),
            )
            .task_opcode(101, 0)
            .activity(cact)
            .user(&csid);
        let user = self.server.user_name.clone();
        let t = auth + ms(rng.range(1500, 2500) as i64);
        let ups: [(u16, u8, Payload); 4] = [
            (1511, 3, named(&[])),
            (1515, 3, named(&[])),
            (
                1502,
                2,
                named(&[(
                    "Error",
                    s("The process cannot access the file because it is being used by another process. "),
                )]),
            ),
            (
                1508,
                2,
                named(&[
                    ("File", s(&format!(r"C:\Users\{user}\ntuser.dat"))),
                    (
                        "Error",
                        s("The process cannot access the file because it is being used by another process. "),
                    ),
                ]),
            ),
        ];
        for (i, (id, level, payload)) in ups.into_iter().enumerate() {
            self.server
                .log(&USER_PROFILES, id, t + ms(i as i64 * 30), payload)
                .level(level)
                .user(&sid);
        }
        let who = format!("{}\\{}", self.server.domain, user);
        let end = t + ms(rng.range(2500, 4000) as i64);
        self.server
            .log(
                &LSM,
                23,
                end,
                event_xml(&[("User", s(&who)), ("SessionID", Value::UInt32(session))]),
            )
            .user(SID_SYSTEM);
        self.server
            .log(
                &LSM,
                40,
                end + ms(5),
                event_xml(&[("Session", Value::UInt32(session)), ("Reason", Value::UInt32(12))]),
            )
            .user(SID_SYSTEM);
        self.server_teardown(end + ms(10), sact, 0x8007_0040, 12);
        self.plant(
            "server",
            "RCM 1149, 4624 type 10, LSM 21 then User Profiles Service 1511/1515/1502/1508 within 4 s",
        );
        self.plant("server", "LSM 23 logoff and 40 reason 12 a few seconds later");
        self.plant("client", "RDPClient 1027 (logged on) before the 1026 2308");
        end - ts + ms(rng.range(5, 30) as i64)
    }
}
