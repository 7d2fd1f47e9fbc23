//! `w32tm /query /status` output (clock state; large client/server skew breaks Kerberos/NLA and
//! makes event correlation harder).
//!
//! Source followed: real outputs quoted in public notes and scripts, e.g.
//!
//! ```text
//! Leap Indicator: 0(no warning)
//! Stratum: 2 (secondary reference - syncd by (S)NTP)
//! Precision: -23 (119.209ns per tick)
//! Root Delay: 0.0062216s
//! Root Dispersion: 7.7702346s
//! ReferenceId: 0x14653909 (source IP:  20.101.57.9)
//! Last Successful Sync Time: 30/05/2023 20:21:27
//! Source: time.windows.com,0x9
//! Poll Interval: 13 (8192s)
//! ```
//!
//! and the unsynchronised form (`Leap Indicator: 3(not synchronized)`, `Stratum: 0
//! (unspecified)`, `ReferenceId: 0x00000000 (unspecified)`, `Last Successful Sync Time:
//! unspecified`, `Source: Local CMOS Clock`, `Poll Interval: 6 (64s)`).
//!
//! Guesses: the leap texts for 1 and 2, the stratum text above 15, precision units other than
//! ns (`us`, `ms`), upper-case hex in ReferenceId, the `(out of valid range)` poll text above 17;
//! times are printed in the en-US format (`M/d/yyyy h:mm:ss AM`) — other locales differ.

use chrono::NaiveDateTime;

use super::{crlf_lines, en_us_date_time_long};

/// The command line.
pub const W32TM_STATUS_COMMAND: &str = "w32tm /query /status";

/// ReferenceId text when there is no reference.
pub const REFERENCE_ID_UNSPECIFIED: &str = "0x00000000 (unspecified)";

/// The fields of `w32tm /query /status`.
#[derive(Debug, Clone, PartialEq)]
pub struct W32tmStatus {
    /// Leap indicator 0..=3 (3 = not synchronized).
    pub leap: u8,
    /// Stratum (0 unspecified, 1 primary, 2..=15 secondary).
    pub stratum: u32,
    /// Precision exponent (seconds = 2^precision), usually -23.
    pub precision: i32,
    /// Root delay in seconds.
    pub root_delay_s: f64,
    /// Root dispersion in seconds.
    pub root_dispersion_s: f64,
    /// ReferenceId text after the label, e.g. `0x14653909 (source IP:  20.101.57.9)`; see
    /// [`W32tmStatus::reference_id_ipv4`] and [`REFERENCE_ID_UNSPECIFIED`].
    pub reference_id: String,
    /// Last successful sync, local time; `None` prints `unspecified` (never synchronised).
    pub last_sync: Option<NaiveDateTime>,
    /// Time source, e.g. `time.windows.com,0x9`, `DC01.contoso.com`, `Local CMOS Clock`.
    pub source: String,
    /// Poll interval exponent (seconds = 2^poll_interval).
    pub poll_interval: u32,
}

impl W32tmStatus {
    /// A machine that never synchronised (service just started, no reachable source).
    pub fn unsynchronised() -> W32tmStatus {
        W32tmStatus {
            leap: 3,
            stratum: 0,
            precision: -23,
            root_delay_s: 0.0,
            root_dispersion_s: 0.0,
            reference_id: REFERENCE_ID_UNSPECIFIED.to_string(),
            last_sync: None,
            source: "Local CMOS Clock".to_string(),
            poll_interval: 6,
        }
    }

    /// A machine synchronised over NTP from `source` whose address is `ip`.
    pub fn synced_ntp(source: &str, ip: [u8; 4], last_sync: NaiveDateTime) -> W32tmStatus {
        W32tmStatus {
            leap: 0,
            stratum: 3,
            precision: -23,
            root_delay_s: 0.0312500,
            root_dispersion_s: 0.1127683,
            reference_id: Self::reference_id_ipv4(ip),
            last_sync: Some(last_sync),
            source: source.to_string(),
            poll_interval: 10,
        }
    }

    /// `0xAABBCCDD (source IP:  a.b.c.d)` (two spaces after the colon, as w32tm prints it).
    pub fn reference_id_ipv4(ip: [u8; 4]) -> String {
        format!(
            "0x{:02X}{:02X}{:02X}{:02X} (source IP:  {}.{}.{}.{})",
            ip[0], ip[1], ip[2], ip[3], ip[0], ip[1], ip[2], ip[3]
        )
    }
}

/// The text of `w32tm /query /status` (CRLF line ends).
pub fn w32tm_query_status(s: &W32tmStatus) -> String {
    let leap_text = match s.leap {
        0 => "no warning",
        1 => "last minute has 61 seconds",
        2 => "last minute has 59 seconds",
        3 => "not synchronized",
        _ => "out of valid range",
    };
    let stratum_text = match s.stratum {
        0 => "unspecified",
        1 => "primary reference - syncd by radio clock",
        2..=15 => "secondary reference - syncd by (S)NTP",
        _ => "reserved",
    };
    let last_sync = match &s.last_sync {
        Some(t) => en_us_date_time_long(t),
        None => "unspecified".to_string(),
    };
    let poll_text = if s.poll_interval <= 17 {
        format!("{}s", 1u64 << s.poll_interval)
    } else {
        "out of valid range".to_string()
    };
    crlf_lines([
        format!("Leap Indicator: {}({leap_text})", s.leap),
        format!("Stratum: {} ({stratum_text})", s.stratum),
        format!("Precision: {} ({} per tick)", s.precision, tick_text(s.precision)),
        format!("Root Delay: {:.7}s", s.root_delay_s),
        format!("Root Dispersion: {:.7}s", s.root_dispersion_s),
        format!("ReferenceId: {}", s.reference_id),
        format!("Last Successful Sync Time: {last_sync}"),
        format!("Source: {}", s.source),
        format!("Poll Interval: {} ({poll_text})", s.poll_interval),
    ])
}

/// `119.209ns` for -23, `15.625ms` for -6.
fn tick_text(precision: i32) -> String {
    let secs = 2f64.powi(precision.clamp(-60, 60));
    if secs < 1e-6 {
        format!("{:.3}ns", secs * 1e9)
    } else if secs < 1e-3 {
        format!("{:.3}us", secs * 1e6)
    } else if secs < 1.0 {
        format!("{:.3}ms", secs * 1e3)
    } else {
        format!("{secs:.3}s")
    }
}
