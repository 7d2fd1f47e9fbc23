//! Clock skew between client and server, from the evidence itself.
//!
//! Each client attempt (1024, client clock) should have a server sighting of the client's
//! address (131 within milliseconds; 5157/4625/140 within seconds) on the server clock. For each
//! address, the offset that lines up the most attempts wins; the address must be one of the
//! client's known addresses, or line up at least two attempts (a brute-force burst lines up one
//! attempt with some random address at almost any offset, never several with one address).

use std::collections::BTreeMap;

use chrono::Duration;
use serde::Serialize;

use super::attempt::ClientAttempt;
use super::connection::{Sighting, SightingKind};

/// Largest skew considered.
pub const MAX_SKEW: Duration = Duration::hours(13);

/// How the skew was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "from")]
pub enum SkewBasis {
    /// Attempts lined up with the server's sightings of one client address.
    MatchedAttempts {
        /// Attempts matched.
        matched: usize,
        /// Attempts in total.
        attempts: usize,
    },
    /// A clock offset the collector measured (probe).
    Measured,
    /// Nothing to go on: assumed zero.
    Unknown,
}

/// Client clock minus server clock.
#[derive(Debug, Clone, Serialize)]
pub struct ClockSkew {
    /// The offset to subtract from client times to get server times.
    #[serde(serialize_with = "ser_ms")]
    pub offset: Duration,
    /// Half-width of the uncertainty; `None` when unknown.
    #[serde(serialize_with = "ser_opt_ms")]
    pub uncertainty: Option<Duration>,
    /// How it was found.
    pub basis: SkewBasis,
    /// The address whose sightings matched.
    pub matched_ip: Option<String>,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(d.num_milliseconds())
}

fn ser_opt_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.num_milliseconds()),
        None => s.serialize_none(),
    }
}

impl ClockSkew {
    /// Whether the skew is known (not assumed).
    pub fn is_known(&self) -> bool {
        self.basis != SkewBasis::Unknown
    }

    /// `+00:07:13 ± 0.02 s (3 of 3 attempts matched)`.
    pub fn describe(&self) -> String {
        let ms = self.offset.num_milliseconds();
        let sign = if ms < 0 { '-' } else { '+' };
        let a = ms.unsigned_abs();
        let hms = format!(
            "{sign}{:02}:{:02}:{:02}.{:03}",
            a / 3_600_000,
            a / 60_000 % 60,
            a / 1000 % 60,
            a % 1000
        );
        let unc = self
            .uncertainty
            .map(|u| format!(" ± {:.3} s", u.num_milliseconds() as f64 / 1000.0))
            .unwrap_or_default();
        match &self.basis {
            SkewBasis::MatchedAttempts { matched, attempts } => {
                format!("{hms}{unc} (client minus server; {matched} of {attempts} attempts matched)")
            }
            SkewBasis::Measured => format!("{hms}{unc} (measured by the collector's probe)"),
            SkewBasis::Unknown => "unknown (no attempt could be matched on the server; assumed 0)".into(),
        }
    }
}

/// How well a sighting's outcome agrees with an attempt's: 0 (no information) to 1.
fn agreement(a: &ClientAttempt, s: &Sighting) -> f64 {
    let Some((conn_ms, authenticated)) = s.outcome else {
        return 0.0;
    };
    let mut score = 0.0;
    if authenticated == (a.logged_on || (a.end.is_some() && !a.failed())) {
        score += 0.5;
    }
    if let Some(d) = a.duration_s() {
        let att_ms = (d * 1000.0) as i64;
        if (att_ms - conn_ms).abs() <= 3000.max(att_ms / 5) {
            score += 0.5;
        }
    }
    score
}

/// Best alignment of attempts with one address's sightings: (matched attempts, offset, spread).
fn align(attempts: &[ClientAttempt], sights: &[&Sighting]) -> Option<(usize, Duration, Duration)> {
    // Candidate offsets: every (attempt, sighting) difference within range.
    let mut diffs: Vec<(i64, usize, bool, f64)> = Vec::new();
    for (i, a) in attempts.iter().enumerate() {
        for s in sights {
            let d = (a.start - s.time).num_milliseconds();
            if d.abs() <= MAX_SKEW.num_milliseconds() {
                diffs.push((d, i, s.kind == SightingKind::Accept, agreement(a, s)));
            }
        }
    }
    if diffs.is_empty() {
        return None;
    }
    diffs.sort_unstable_by_key(|x| x.0);
    // Slide a 4 s window (131 comes within ms; other sightings within seconds after 1024).
    // Rank: attempts matched, then outcome agreement, then accepts, then tightness.
    let mut best: Option<(usize, f64, usize, i64, i64)> = None;
    let mut lo = 0;
    // Reused per window (a busy address gives tens of thousands of windows).
    let mut agree = vec![-1.0f64; attempts.len()];
    let mut accepts: Vec<i64> = Vec::new();
    let mut all: Vec<i64> = Vec::new();
    for hi in 0..diffs.len() {
        while diffs[hi].0 - diffs[lo].0 > 4000 {
            lo += 1;
        }
        let window = &diffs[lo..=hi];
        agree.fill(-1.0);
        accepts.clear();
        all.clear();
        for &(d, i, acc, ag) in window {
            agree[i] = agree[i].max(ag);
            all.push(d);
            if acc {
                accepts.push(d);
            }
        }
        let matched = agree.iter().filter(|g| **g >= 0.0).count();
        let agreement: f64 = agree.iter().filter(|g| **g >= 0.0).sum();
        let pick = if accepts.is_empty() {
            &mut all
        } else {
            &mut accepts
        };
        pick.sort_unstable();
        let offset = pick[pick.len() / 2];
        let spread = pick.last().copied().unwrap_or(offset) - pick.first().copied().unwrap_or(offset);
        let cand = (matched, agreement, accepts.len().min(matched), offset, spread);
        let better = match best {
            None => true,
            Some(b) => {
                cand.0
                    .cmp(&b.0)
                    .then(cand.1.total_cmp(&b.1))
                    .then(cand.2.cmp(&b.2))
                    .then((-cand.4).cmp(&-b.4))
                    == std::cmp::Ordering::Greater
            }
        };
        if better {
            best = Some(cand);
        }
    }
    best.map(|(m, _, _, off, spread)| (m, Duration::milliseconds(off), Duration::milliseconds(spread)))
}

/// Estimates the skew (client minus server).
pub fn estimate_skew(
    attempts: &[ClientAttempt],
    sightings: &[Sighting],
    known_client_ips: &[String],
    measured_offset_ms: Option<i64>,
) -> ClockSkew {
    // Grouped once: a busy server has tens of thousands of client addresses.
    let mut by_ip: BTreeMap<&str, Vec<&Sighting>> = BTreeMap::new();
    for s in sightings {
        by_ip.entry(s.ip.as_str()).or_default().push(s);
    }
    let mut best: Option<(bool, usize, Duration, Duration, String)> = None;
    for (ip, group) in by_ip {
        let known = known_client_ips.iter().any(|k| k == ip);
        let Some((matched, offset, spread)) = align(attempts, &group) else {
            continue;
        };
        // One attempt lining up with one unknown address proves nothing (see module docs),
        // unless a single attempt is all there is to go on.
        let needed = if known || (attempts.len() == 1 && known_client_ips.is_empty()) {
            1
        } else {
            2
        };
        if matched < needed {
            continue;
        }
        let cand = (known, matched, offset, spread, ip.to_string());
        let better = match &best {
            None => true,
            Some(b) => (cand.0, cand.1, -cand.3.num_milliseconds()) > (b.0, b.1, -b.3.num_milliseconds()),
        };
        if better {
            best = Some(cand);
        }
    }
    if let Some((_, matched, offset, spread, ip)) = best {
        return ClockSkew {
            offset,
            uncertainty: Some(spread / 2 + Duration::milliseconds(50)),
            basis: SkewBasis::MatchedAttempts {
                matched,
                attempts: attempts.len(),
            },
            matched_ip: Some(ip),
        };
    }
    if let Some(ms) = measured_offset_ms {
        return ClockSkew {
            offset: Duration::milliseconds(-ms),
            uncertainty: Some(Duration::seconds(1)),
            basis: SkewBasis::Measured,
            matched_ip: None,
        };
    }
    ClockSkew {
        offset: Duration::zero(),
        uncertainty: None,
        basis: SkewBasis::Unknown,
        matched_ip: None,
    }
}
