//! `w32tm /query /status`: where the host takes its time from and when it last synchronised.
//! A host on `Local CMOS Clock` (never synchronised) can be minutes off, which breaks Kerberos
//! (NLA) and makes client/server correlation rely on skew estimation.
//!
//! Shape: `Label: value` lines (`Leap Indicator`, `Stratum`, `Precision`, `Root Delay`,
//! `Root Dispersion`, `ReferenceId`, `Last Successful Sync Time`, `Source`, `Poll Interval`);
//! when the service is stopped w32tm prints only an error line.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::{DateOrder, TextError, ambiguous_date, parse_local_datetime_in, prepare};
use rdpdiag_evtx::model::{Problem, Severity};

/// A parsed `w32tm /query /status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct W32tmStatus {
    /// Leap indicator (3 = not synchronised).
    pub leap: Option<u8>,
    /// Stratum (0 = unspecified).
    pub stratum: Option<u32>,
    /// ReferenceId text.
    pub reference_id: Option<String>,
    /// `Last Successful Sync Time` as printed (`unspecified` when never).
    pub last_sync_text: Option<String>,
    /// Last sync, local time of the host (naive).
    pub last_sync_local: Option<NaiveDateTime>,
    /// `Source` (`time.windows.com,0x9`, `DC01.contoso.com`, `Local CMOS Clock`).
    pub source: Option<String>,
    /// Poll interval exponent.
    pub poll_interval: Option<u32>,
    /// Root dispersion in seconds.
    pub root_dispersion_s: Option<f64>,
    /// An error w32tm printed instead of the status (e.g. the service is not started).
    pub error: Option<String>,
    /// Lines that could not be understood.
    pub problems: Vec<Problem>,
}

impl W32tmStatus {
    /// The host synchronises from a real source: a source other than the local clock, a
    /// successful sync time, leap indicator not 3. `None` when the source or the sync time
    /// could not be read (labels of a language not recognised, a date format not read).
    pub fn synced(&self) -> Option<bool> {
        if self.error.is_some() || self.leap == Some(3) {
            return Some(false);
        }
        let source = self.source.as_deref()?;
        let s = source.to_ascii_lowercase();
        // `Local CMOS Clock` / `Free-running System Clock` (en); other languages unverified.
        if s.contains("local cmos clock") || s.contains("free-running") {
            return Some(false);
        }
        match (&self.last_sync_local, self.last_sync_text.as_deref()) {
            (Some(_), _) => Some(true),
            (None, Some(t)) if t.eq_ignore_ascii_case("unspecified") => Some(false),
            _ => None,
        }
    }
}

/// Parses `w32tm /query /status` output.
pub fn parse(bytes: &[u8]) -> Result<W32tmStatus, TextError> {
    parse_in(bytes, None)
}

/// Parses `w32tm /query /status` output printed in a culture whose day/month order is `order`.
pub fn parse_in(bytes: &[u8], order: Option<DateOrder>) -> Result<W32tmStatus, TextError> {
    let prepared = prepare(bytes)?;
    let mut s = W32tmStatus {
        leap: None,
        stratum: None,
        reference_id: None,
        last_sync_text: None,
        last_sync_local: None,
        source: None,
        poll_interval: None,
        root_dispersion_s: None,
        error: None,
        problems: prepared.problems,
    };
    let mut known = 0;
    let first_number = |v: &str| -> Option<i64> {
        let digits: String = v
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        digits.parse().ok()
    };
    for (_, line) in &prepared.lines {
        let t = line.text.trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with("The following error occurred") || t.contains("(0x8") {
            s.error = Some(t.to_string());
            known += 1;
            continue;
        }
        let Some((label, value)) = t.split_once(':') else {
            s.problems.push(Problem::at_line(
                Severity::Warning,
                line.no,
                "line without `Label:`",
            ));
            continue;
        };
        let value = value.trim();
        // English labels (w32tm output); German ones unverified (not found in a source).
        match label.trim().to_lowercase().as_str() {
            "leap indicator" | "sprungindikator" => {
                s.leap = first_number(value).and_then(|n| u8::try_from(n).ok())
            }
            "stratum" => s.stratum = first_number(value).and_then(|n| u32::try_from(n).ok()),
            "referenceid" => s.reference_id = Some(value.to_string()),
            "last successful sync time" | "letzte erfolgreiche synchronisierungszeit" => {
                s.last_sync_text = Some(value.to_string());
                s.last_sync_local = parse_local_datetime_in(value, order);
                if s.last_sync_local.is_none() && !value.eq_ignore_ascii_case("unspecified") {
                    s.problems.push(
                        if value.contains('/')
                            && super::slashed_date_order(value).is_none()
                            && order.is_none()
                        {
                            ambiguous_date(line.no, format!("sync time {value:?}"))
                        } else {
                            Problem::at_line(
                                Severity::Warning,
                                line.no,
                                format!("sync time {value:?}: date format not recognised"),
                            )
                        },
                    );
                }
            }
            "source" | "quelle" => s.source = Some(value.to_string()),
            "poll interval" => s.poll_interval = first_number(value).and_then(|n| u32::try_from(n).ok()),
            "root dispersion" => s.root_dispersion_s = value.trim_end_matches('s').trim().parse().ok(),
            "precision"
            | "root delay"
            | "state machine"
            | "time source flags"
            | "server role"
            | "last sync error"
            | "time since last good sync time"
            | "phase offset"
            | "clockrate" => {}
            _ => {
                s.problems.push(Problem::at_line(
                    Severity::Warning,
                    line.no,
                    format!(
                        "could not read, language not recognised: label {:?}",
                        label.trim()
                    ),
                ));
                continue;
            }
        }
        known += 1;
    }
    if known == 0 {
        return Err(TextError::Format(
            "no `Leap Indicator`/`Stratum`/`Source` line: not `w32tm /query /status` output".into(),
        ));
    }
    Ok(s)
}
