//! Clock skew between client and server, from the evidence itself.
//!
//! Each client attempt (1024, client clock) should have a server sighting of the client's
//! address (131 within milliseconds; 5157/4625/140 within seconds) on the server clock. For each
//! address, the offset that lines up the most attempts wins; the address must be one of the
//! client's known addresses, or line up at least two attempts (a brute-force burst lines up one
//! attempt with some random address at almost any offset, never several with one address).

use std::collections::HashMap;

use chrono::Duration;
use rayon::prelude::*;
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
    /// When the alignments disagree (two addresses line up as many attempts at offsets more
    /// than [`DISAGREE`] apart): each candidate (address, offset ms, attempts matched), and
    /// the skew is unknown rather than a guess that pairs the wrong connections.
    pub candidates: Vec<(String, i64, usize)>,
}

/// Two alignments this far apart are different answers, not one answer's noise.
pub const DISAGREE: Duration = Duration::seconds(2);

/// An address is a flood when the median of its sightings has at least this many others of
/// the same address within [`DENSE_WITHIN`]: a user's attempts are tens of seconds apart at
/// the least; a scanner or password spray connects every few seconds.
pub const DENSE_NEIGHBOURS: usize = 3;
/// See [`DENSE_NEIGHBOURS`].
pub const DENSE_WITHIN: Duration = Duration::seconds(30);

/// Whether an address's sightings (any order) come in a flood.
/// At most this many sightings per lined-up attempt for an address the client is not known to
/// have (see `estimate_skew`).
const SIGHTINGS_PER_MATCH: usize = 5;

fn is_dense(group: &[&Sighting]) -> bool {
    if group.len() <= DENSE_NEIGHBOURS {
        return false;
    }
    let mut times: Vec<i64> = group.iter().map(|s| s.time.timestamp_millis()).collect();
    times.sort_unstable();
    let w = DENSE_WITHIN.num_milliseconds();
    let (mut lo, mut hi) = (0usize, 0usize);
    let mut counts: Vec<usize> = Vec::with_capacity(times.len());
    for (i, &t) in times.iter().enumerate() {
        while times[lo] < t - w {
            lo += 1;
        }
        while hi + 1 < times.len() && times[hi + 1] <= t + w {
            hi += 1;
        }
        counts.push(hi.max(i) - lo);
    }
    counts.sort_unstable();
    counts[counts.len() / 2] >= DENSE_NEIGHBOURS
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
            SkewBasis::Unknown if !self.candidates.is_empty() => format!(
                "unknown: the server's sightings line up with the attempts at {} different offsets ({}); assumed 0 and not used to pair",
                self.candidates.len(),
                self.candidates
                    .iter()
                    .map(|(ip, ms, m)| format!("{ip}: {:+.1} s, {m} attempt(s)", *ms as f64 / 1000.0))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
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
/// The client event a sighting lines up with: 1024 for TCP-level sightings, 1029 (user name
/// known, the end of any credential prompt) for those logged after credentials, when the
/// client logged it.
fn client_anchor(a: &ClientAttempt, s: &Sighting) -> chrono::DateTime<chrono::Utc> {
    match s.kind {
        SightingKind::AfterCredentials => a.user_known.filter(|u| *u >= a.start).unwrap_or(a.start),
        SightingKind::Accept | SightingKind::Other => a.start,
    }
}

fn align(attempts: &[ClientAttempt], sights: &[&Sighting]) -> Option<(usize, Duration, Duration)> {
    // Candidate offsets: every (attempt, sighting) difference within range.
    let mut diffs: Vec<(i64, usize, bool, u8)> = Vec::new();
    for (i, a) in attempts.iter().enumerate() {
        for s in sights {
            let d = (client_anchor(a, s) - s.time).num_milliseconds();
            if d.abs() <= MAX_SKEW.num_milliseconds() {
                diffs.push((d, i, s.kind == SightingKind::Accept, agreement_level(a, s)));
            }
        }
    }
    if diffs.is_empty() {
        return None;
    }
    diffs.sort_unstable_by_key(|x| x.0);
    // Slide a 4 s window (131 comes within ms; other sightings within seconds after 1024).
    // Rank: attempts matched, then outcome agreement, then accepts, then tightness.
    // The window is a run of `diffs`, which is sorted by offset: its median and spread are read
    // off its ends, and the per-attempt tallies are updated as it slides (a busy address gives
    // tens of thousands of windows; rescanning each was O(n·w)).
    let accept_at: Vec<usize> = (0..diffs.len()).filter(|&k| diffs[k].2).collect();
    let mut window = Window::new(attempts.len());
    let mut best: Option<(usize, u32, usize, i64, i64)> = None;
    let (mut lo, mut acc_lo, mut acc_hi) = (0usize, 0usize, 0usize);
    for hi in 0..diffs.len() {
        window.add(diffs[hi].1, diffs[hi].3);
        if diffs[hi].2 {
            acc_hi += 1;
        }
        while diffs[hi].0 - diffs[lo].0 > 4000 {
            window.remove(diffs[lo].1, diffs[lo].3);
            if diffs[lo].2 {
                acc_lo += 1;
            }
            lo += 1;
        }
        let accepts = &accept_at[acc_lo..acc_hi];
        let (offset, spread) = match accepts {
            [] => (diffs[lo + (hi + 1 - lo) / 2].0, diffs[hi].0 - diffs[lo].0),
            [first, .., last] => (
                diffs[accepts[accepts.len() / 2]].0,
                diffs[*last].0 - diffs[*first].0,
            ),
            [only] => (diffs[*only].0, 0),
        };
        let matched = window.matched;
        let cand = (
            matched,
            window.agreement,
            accepts.len().min(matched),
            offset,
            spread,
        );
        let better = match best {
            None => true,
            Some(b) => {
                cand.0
                    .cmp(&b.0)
                    .then(cand.1.cmp(&b.1))
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

/// [`agreement`] in halves (0, 1 or 2), so that window sums are exact integers.
fn agreement_level(a: &ClientAttempt, s: &Sighting) -> u8 {
    (agreement(a, s) * 2.0).round().clamp(0.0, 2.0) as u8
}

/// Per-attempt tallies of the sightings in the sliding window.
struct Window {
    /// Per attempt, how many window entries of each agreement level (0, ½, 1).
    levels: Vec<[u32; 3]>,
    /// Attempts with at least one entry in the window.
    matched: usize,
    /// Sum over matched attempts of their best agreement level, in halves.
    agreement: u32,
}

impl Window {
    fn new(attempts: usize) -> Self {
        Window {
            levels: vec![[0; 3]; attempts],
            matched: 0,
            agreement: 0,
        }
    }

    fn best(l: &[u32; 3]) -> Option<u32> {
        (0..3u32).rev().find(|&k| l[k as usize] > 0)
    }

    fn add(&mut self, attempt: usize, level: u8) {
        let Some(l) = self.levels.get_mut(attempt) else {
            return;
        };
        let before = Self::best(l);
        l[usize::from(level.min(2))] += 1;
        let after = Self::best(l);
        self.retally(before, after);
    }

    fn remove(&mut self, attempt: usize, level: u8) {
        let Some(l) = self.levels.get_mut(attempt) else {
            return;
        };
        let before = Self::best(l);
        let slot = &mut l[usize::from(level.min(2))];
        *slot = slot.saturating_sub(1);
        let after = Self::best(l);
        self.retally(before, after);
    }

    fn retally(&mut self, before: Option<u32>, after: Option<u32>) {
        match (before, after) {
            (None, Some(a)) => {
                self.matched += 1;
                self.agreement += a;
            }
            (Some(b), None) => {
                self.matched -= 1;
                self.agreement -= b;
            }
            (Some(b), Some(a)) => self.agreement = self.agreement - b + a,
            (None, None) => {}
        }
    }
}

/// Estimates the skew (client minus server).
pub fn estimate_skew(
    attempts: &[ClientAttempt],
    sightings: &[Sighting],
    known_client_ips: &[String],
    measured_offset_ms: Option<i64>,
) -> ClockSkew {
    // Grouped once: a busy server has tens of thousands of client addresses.
    // Hashed, then sorted once: a tree keyed by address strings was a cache miss per level
    // for each of a busy server's hundreds of thousands of sightings.
    let mut by_ip: HashMap<&str, Vec<&Sighting>, foldhash::fast::RandomState> = HashMap::default();
    for s in sightings {
        by_ip.entry(s.ip.as_str()).or_default().push(s);
    }
    // Addresses are aligned in parallel, then ranked in address order (ties keep the first).
    let mut groups: Vec<(&str, Vec<&Sighting>)> = by_ip.into_iter().collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let aligned: Vec<Option<(usize, Duration, Duration)>> = groups
        .par_iter()
        .map(|(_, group)| align(attempts, group))
        .collect();
    let mut best: Option<(bool, bool, usize, Duration, Duration, String)> = None;
    let mut all: Vec<(bool, usize, Duration, Duration, String)> = Vec::new();
    for ((ip, group), aligned) in groups.iter().zip(aligned) {
        let ip = *ip;
        let known = known_client_ips.iter().any(|k| k == ip);
        let sparse = !is_dense(group);
        let Some((matched, offset, spread)) = aligned else {
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
        // An address the client is not known to have, whose sightings mostly do not line up
        // with any attempt, is a busy host (a spray, a scanner, another site's gateway) that
        // lined some attempts up by luck, as a flood does: an independent ticket behind NAT was
        // paired 30 min off by a spraying address. The user's own connections give a few
        // sightings each (accept, failed logon, NLA failure), so one in five is the bound (an
        // inference).
        let sparse = sparse && (known || matched * SIGHTINGS_PER_MATCH >= group.len());
        all.push((known, matched, offset, spread, ip.to_string()));
        let cand = (known, sparse, matched, offset, spread, ip.to_string());
        // An address the client is known to have first, then one that connects now and then
        // (a scanner or spray connecting every few seconds lines up with any offset), then
        // the most attempts, then the tightest.
        let better = match &best {
            None => true,
            Some(b) => {
                (cand.0, cand.1, cand.2, -cand.4.num_milliseconds())
                    > (b.0, b.1, b.2, -b.4.num_milliseconds())
            }
        };
        if better {
            best = Some(cand);
        }
    }
    if let Some((known, sparse, matched, offset, spread, ip)) = best {
        // Only a flood lines up: its alignment is chance (a busy server's scanner matched
        // attempts 30 minutes off on an independent ticket), so the skew is not known.
        if !known && !sparse && measured_offset_ms.is_none() {
            return ClockSkew {
                offset: Duration::zero(),
                uncertainty: None,
                basis: SkewBasis::Unknown,
                matched_ip: None,
                candidates: vec![(ip, offset.num_milliseconds(), matched)],
            };
        }
        // Another address, as credible (same standing, as many attempts), at another offset:
        // the evidence does not decide, so say so instead of picking one.
        // A rival must line up as tightly as an accept does (within a second): a scanner that
        // connects every few seconds lines up with anything, loosely.
        let tight = spread + Duration::seconds(1);
        let rivals: Vec<&(bool, usize, Duration, Duration, String)> = all
            .iter()
            .filter(|c| c.0 == known && c.1 == matched && c.3 <= tight && (c.2 - offset).abs() > DISAGREE)
            .collect();
        if !rivals.is_empty() {
            if let Some(ms) = measured_offset_ms {
                return ClockSkew {
                    offset: Duration::milliseconds(-ms),
                    uncertainty: Some(Duration::seconds(1)),
                    basis: SkewBasis::Measured,
                    matched_ip: None,
                    candidates: Vec::new(),
                };
            }
            let mut candidates: Vec<(String, i64, usize)> =
                std::iter::once((ip, offset.num_milliseconds(), matched))
                    .chain(rivals.iter().map(|c| (c.4.clone(), c.2.num_milliseconds(), c.1)))
                    .collect();
            candidates.truncate(8);
            return ClockSkew {
                offset: Duration::zero(),
                uncertainty: None,
                basis: SkewBasis::Unknown,
                matched_ip: None,
                candidates,
            };
        }
        return ClockSkew {
            offset,
            uncertainty: Some(spread / 2 + Duration::milliseconds(50)),
            basis: SkewBasis::MatchedAttempts {
                matched,
                attempts: attempts.len(),
            },
            matched_ip: Some(ip),
            candidates: Vec::new(),
        };
    }
    if let Some(ms) = measured_offset_ms {
        return ClockSkew {
            offset: Duration::milliseconds(-ms),
            uncertainty: Some(Duration::seconds(1)),
            basis: SkewBasis::Measured,
            matched_ip: None,
            candidates: Vec::new(),
        };
    }
    ClockSkew {
        offset: Duration::zero(),
        uncertainty: None,
        basis: SkewBasis::Unknown,
        matched_ip: None,
        candidates: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use proptest::prelude::*;

    use super::*;

    /// The window scan as it was before it became incremental: every window rescanned.
    fn align_rescan(attempts: &[ClientAttempt], sights: &[&Sighting]) -> Option<(usize, Duration, Duration)> {
        let mut diffs: Vec<(i64, usize, bool, f64)> = Vec::new();
        for (i, a) in attempts.iter().enumerate() {
            for s in sights {
                let d = (client_anchor(a, s) - s.time).num_milliseconds();
                if d.abs() <= MAX_SKEW.num_milliseconds() {
                    diffs.push((d, i, s.kind == SightingKind::Accept, agreement(a, s)));
                }
            }
        }
        if diffs.is_empty() {
            return None;
        }
        diffs.sort_unstable_by_key(|x| x.0);
        let mut best: Option<(usize, f64, usize, i64, i64)> = None;
        let mut lo = 0;
        for hi in 0..diffs.len() {
            while diffs[hi].0 - diffs[lo].0 > 4000 {
                lo += 1;
            }
            let mut agree = vec![-1.0f64; attempts.len()];
            let mut accepts = Vec::new();
            let mut all = Vec::new();
            for &(d, i, acc, ag) in &diffs[lo..=hi] {
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
            let spread = pick[pick.len() - 1] - pick[0];
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

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 11, 6, 0, 0)
            .single()
            .unwrap_or_default()
    }

    /// An accept of `ip` at `ms` after [`t0`] that lasted `dur_ms` and did not authenticate.
    fn accept_at(ms: i64, ip: &str, dur_ms: i64) -> Sighting {
        Sighting {
            time: t0() + Duration::milliseconds(ms),
            ip: ip.into(),
            kind: SightingKind::Accept,
            outcome: Some((dur_ms, false)),
        }
    }

    fn attempt(start_ms: i64, dur_ms: Option<i64>, logged_on: bool, reason: Option<u32>) -> ClientAttempt {
        let start = t0() + Duration::milliseconds(start_ms);
        ClientAttempt {
            activity_id: None,
            start,
            end: dur_ms.map(|d| start + Duration::milliseconds(d)),
            target: None,
            disconnect_reason: reason,
            logged_on,
            user_known: None,
            from_server: false,
            records: vec![],
            event_ids: vec![],
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The incremental window gives exactly what rescanning every window gave.
        #[test]
        fn incremental_window_equals_rescan(
            atts in prop::collection::vec(
                (0i64..30_000, prop::option::of(0i64..20_000), any::<bool>(), prop::option::of(prop::sample::select(vec![0u32, 1, 2, 3, 264, 2308]))),
                1..5,
            ),
            sights in prop::collection::vec(
                (0i64..35_000, any::<bool>(), prop::option::of((0i64..20_000, any::<bool>()))),
                0..60,
            ),
        ) {
            let attempts: Vec<ClientAttempt> =
                atts.iter().map(|&(s, d, l, r)| attempt(s, d, l, r)).collect();
            let sightings: Vec<Sighting> = sights
                .iter()
                .map(|&(t, accept, outcome)| Sighting {
                    time: t0() + Duration::milliseconds(t),
                    ip: "10.0.0.1".into(),
                    kind: if accept { SightingKind::Accept } else { SightingKind::Other },
                    outcome,
                })
                .collect();
            let refs: Vec<&Sighting> = sightings.iter().collect();
            prop_assert_eq!(align(&attempts, &refs), align_rescan(&attempts, &refs));
        }
    }

    #[test]
    fn a_burst_of_sightings_lines_up_with_the_attempts() {
        // Three attempts, the server 7 s behind; one address seen at each plus noise.
        let attempts: Vec<ClientAttempt> = [0, 60_000, 125_000]
            .iter()
            .map(|&s| attempt(s, Some(2000), false, Some(2308)))
            .collect();
        let mut sightings = Vec::new();
        for s in [0i64, 60_000, 125_000] {
            sightings.push(Sighting {
                time: t0() + Duration::milliseconds(s - 7_000 + 15),
                ip: "10.0.0.9".into(),
                kind: SightingKind::Accept,
                outcome: Some((2000, false)),
            });
        }
        for k in 0..500i64 {
            sightings.push(Sighting {
                time: t0() + Duration::milliseconds(k * 333),
                ip: format!("198.51.100.{}", k % 7),
                kind: SightingKind::Accept,
                outcome: Some((100, false)),
            });
        }
        let skew = estimate_skew(&attempts, &sightings, &[], None);
        assert!(skew.candidates.is_empty(), "{}", skew.describe());
        assert_eq!(skew.matched_ip.as_deref(), Some("10.0.0.9"));
        assert_eq!(skew.offset.num_milliseconds(), 7_000 - 15);
        assert_eq!(
            skew.basis,
            SkewBasis::MatchedAttempts {
                matched: 3,
                attempts: 3
            }
        );
    }

    #[test]
    fn two_addresses_lining_up_as_well_at_other_offsets_leave_the_skew_unknown() {
        // Two attempts; one address lines up both at -7 s, another both at +3 h 20 min (a NAT
        // gateway's other user with the same rhythm, or a server clock in the wrong zone).
        let attempts: Vec<ClientAttempt> = [0, 90_000]
            .iter()
            .map(|&s| attempt(s, Some(1500), false, Some(2308)))
            .collect();
        let mut sightings = Vec::new();
        for (ip, off) in [("10.0.0.9", -7_000i64), ("10.0.0.44", 12_000_000)] {
            for s in [0i64, 90_000] {
                sightings.push(accept_at(s + off, ip, 1500));
            }
        }
        let skew = estimate_skew(&attempts, &sightings, &[], None);
        assert_eq!(skew.basis, SkewBasis::Unknown, "{}", skew.describe());
        assert_eq!(skew.candidates.len(), 2);
        assert!(skew.describe().contains("10.0.0.44"));
        // The client's own address decides.
        let skew = estimate_skew(&attempts, &sightings, &["10.0.0.9".to_string()], None);
        assert_eq!(skew.matched_ip.as_deref(), Some("10.0.0.9"));
        assert_eq!(skew.offset.num_milliseconds(), 7_000);
    }

    #[test]
    fn a_flood_alone_leaves_the_skew_unknown() {
        // A password spray connects every 2 s for ten minutes; the user's own connections are
        // not on the server (NAT address unknown). Any offset lines the attempts up with it.
        let attempts: Vec<ClientAttempt> = [0, 70_000, 200_000]
            .iter()
            .map(|&s| attempt(s, Some(300), false, Some(2308)))
            .collect();
        let sightings: Vec<Sighting> = (0..300i64)
            .map(|k| accept_at(1_800_000 + k * 2_000, "203.0.113.50", 300))
            .collect();
        let skew = estimate_skew(&attempts, &sightings, &[], None);
        assert_eq!(skew.basis, SkewBasis::Unknown, "{}", skew.describe());
        assert_eq!(skew.candidates.len(), 1);
    }

    #[test]
    fn a_busy_unknown_address_that_lines_up_some_attempts_by_luck_is_no_answer() {
        // Twelve attempts behind NAT (their address unknown, never seen: MaxOutstanding
        // refused them); a spraying address with 60 sightings over two hours lines four of them
        // up at one offset by luck (shape of an independent ticket paired 30 min off).
        let starts: Vec<i64> = (0..12i64).map(|k| k * 600_000).collect();
        let attempts: Vec<ClientAttempt> = starts
            .iter()
            .map(|&s| attempt(s, Some(300), false, Some(2308)))
            .collect();
        let mut sightings: Vec<Sighting> = (0..56i64)
            .map(|k| accept_at(k * 127_000 + 31_000, "80.198.182.158", 300))
            .collect();
        for &s in starts.iter().take(4) {
            sightings.push(accept_at(s + 1_788_000, "80.198.182.158", 300));
        }
        let skew = estimate_skew(&attempts, &sightings, &[], None);
        assert_eq!(skew.basis, SkewBasis::Unknown, "{}", skew.describe());
        // The same four sightings alone (a sparse address) would be an answer.
        let alone: Vec<Sighting> = starts
            .iter()
            .take(4)
            .map(|&s| accept_at(s + 1_788_000, "80.198.182.158", 300))
            .collect();
        let skew = estimate_skew(&attempts, &alone, &[], None);
        assert_eq!(skew.offset.num_milliseconds(), -1_788_000, "{}", skew.describe());
    }
}
