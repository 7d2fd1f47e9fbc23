//! The analysis report as data: what `rdpdiag analyze --format json` prints, and what every
//! other format renders.
//! Field names are part of the product's contract (JSON Schema `report.v1`).

use crate::RootCauseId;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the report format.
pub const REPORT_VERSION: u32 = 1;

/// The analysis of one ticket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Always 1.
    pub schema_version: u32,
    /// Program and version.
    pub tool: String,
    /// Verdict over all attempts: `diagnosed`, `insufficient-evidence`, `nothing-failed`,
    /// `no-attempts`, or `other-failure` (every failure ended with a code no 0x904 cause
    /// produces, such as 0x807 credentials refused or 0x108 time-out).
    pub verdict: String,
    /// The most likely cause over all failed attempts; null when nothing failed.
    pub top_cause: Option<RootCauseId>,
    /// Causes ranked over the ticket.
    pub causes: Vec<ReportCause>,
    /// Clock skew applied.
    pub skew: ReportSkew,
    /// The hosts read.
    pub hosts: Vec<ReportHost>,
    /// Every client attempt (failed ones carry findings).
    pub attempts: Vec<ReportAttempt>,
    /// Problems met while reading the inputs.
    pub problems: Vec<ReportProblem>,
    /// What the analysis could not see or left out, in sentences (one-sided ticket, attempts
    /// outside the time window, codes reported by the user).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Server-wide picture, when the server's logs were read.
    #[serde(default)]
    pub server_summary: Option<ReportServerSummary>,
}

/// What the server's logs say about all its inbound connections.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReportServerSummary {
    /// Inbound connections (RdpCoreTS 131 / RCM 261).
    pub connections: usize,
    /// Those that authenticated (RCM 1149).
    pub authenticated: usize,
    /// Those that ended during setup (no 1149).
    pub failed_in_setup: usize,
    /// `failed_in_setup / connections`, 0..1.
    pub failed_share: f64,
    /// First connection that ended during setup (server clock).
    pub first_failure_utc: Option<DateTime<Utc>>,
    /// Last connection that ended during setup.
    pub last_failure_utc: Option<DateTime<Utc>>,
    /// Last connection that authenticated.
    pub last_success_utc: Option<DateTime<Utc>>,
    /// When every connection from then on ended during setup (at least three of them): a
    /// server-wide condition since that time. Null when connections still authenticate.
    pub all_failing_since_utc: Option<DateTime<Utc>>,
    /// Addresses connecting, and how many connections came from the busiest one.
    pub client_addresses: usize,
    /// Sentences about server-wide conditions (floods of RCM 1006, listener stops).
    pub conditions: Vec<String>,
}

/// A ranked cause.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReportCause {
    /// Root-cause id.
    pub id: RootCauseId,
    /// Title.
    pub title: String,
    /// Mean confidence over the failed attempts, 0..1.
    pub confidence: f64,
    /// Failed attempts where it is the best cause.
    pub top_in_attempts: usize,
}

/// The skew applied.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReportSkew {
    /// Client clock minus server clock, milliseconds.
    pub offset_ms: i64,
    /// Half-width of the uncertainty, ms; null when unknown.
    pub uncertainty_ms: Option<i64>,
    /// `matched-attempts`, `measured` or `unknown`.
    pub basis: String,
    /// Human description.
    pub description: String,
}

/// A host.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReportHost {
    /// `client`, `server`, `both`, `unknown`.
    pub role: String,
    /// Name.
    pub name: String,
    /// Addresses as far as known.
    pub addresses: Vec<String>,
    /// Inputs (paths).
    pub inputs: Vec<String>,
    /// Events kept for analysis.
    pub events: usize,
}

/// One client attempt.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReportAttempt {
    /// 1-based number in time order.
    pub number: usize,
    /// 1024 time on the client's clock.
    pub client_start_utc: DateTime<Utc>,
    /// The same instant on the server's clock.
    pub server_start_utc: DateTime<Utc>,
    /// Target as typed.
    pub target: Option<String>,
    /// Disconnect reason (decimal) and its meaning.
    pub disconnect_reason: Option<u32>,
    /// `0x904` style.
    pub disconnect_hex: Option<String>,
    /// Meaning of the reason.
    pub disconnect_meaning: Option<String>,
    /// Seconds from 1024 to 1026.
    pub duration_s: Option<f64>,
    /// `duration_s` for a reader: `850 ms`, `12.4 s`, `1 h 47 min`.
    #[serde(default)]
    pub duration_text: Option<String>,
    /// Seconds of setup after any credential prompt: from 1029 (user name known) to 1026.
    #[serde(default)]
    pub setup_s: Option<f64>,
    /// `client` (the client logged it) or `server-connection` (server-only ticket: a
    /// connection the server accepted that ended during setup, of an unknown client).
    #[serde(default)]
    pub origin: String,
    /// The extended code (as reported by the user; 1026 does not log it).
    #[serde(default)]
    pub extended_reason: Option<u32>,
    /// Where the disconnect code the diagnosis used came from: `client 1026`, `reported by
    /// the user` or `unknown`.
    #[serde(default)]
    pub code_source: String,
    /// For a failure that is not a 0x904 failure: what its code means.
    #[serde(default)]
    pub other_failure: Option<String>,
    /// Ended with an error.
    pub failed: bool,
    /// Whether the server logged the connection (null: cannot tell).
    pub reached_server: Option<bool>,
    /// Authentication finished.
    pub authenticated: bool,
    /// Address the server saw.
    pub seen_from: Option<String>,
    /// Verdict for this attempt (failed ones).
    pub verdict: Option<String>,
    /// Causes, best first (failed attempts only).
    pub findings: Vec<ReportFinding>,
    /// What to collect next when the evidence is thin.
    pub collect_next: Vec<String>,
    /// Both hosts' events around the attempt, skew-corrected.
    pub timeline: Vec<TimelineEntry>,
}

/// One cause for one attempt.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReportFinding {
    /// Root-cause id.
    pub id: RootCauseId,
    /// Title.
    pub title: String,
    /// Confidence 0..1.
    pub confidence: f64,
    /// `top` (the answer for this attempt), `runner-up` (the next cause, when it is within
    /// 0.2 of the top one or itself above 0.4), or `considered`.
    #[serde(default)]
    pub rank: String,
    /// Where it started.
    pub prior: f64,
    /// What moved it.
    pub evidence: Vec<ReportEvidence>,
    /// Remediation steps.
    pub fix: Vec<String>,
    /// References.
    pub references: Vec<String>,
}

/// One item that raised or lowered a confidence.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReportEvidence {
    /// Rule evidence id.
    pub id: String,
    /// What it says.
    pub says: String,
    /// Weight: positive raised, negative lowered.
    pub weight: f64,
    /// Confidence before.
    pub before: f64,
    /// Confidence after.
    pub after: f64,
    /// How many records matched.
    pub matched: usize,
    /// The records (a few).
    pub lines: Vec<ReportLine>,
}

/// One record or fact behind an evidence item.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReportLine {
    /// `client` or `server`.
    pub host: String,
    /// Channel (or fact path).
    pub channel: String,
    /// Event id (0 for facts).
    pub event_id: u32,
    /// Record id (0 for facts).
    pub record_id: u64,
    /// Time on the host's clock.
    pub host_time_utc: Option<DateTime<Utc>>,
    /// Time on the server clock (skew-corrected).
    pub server_time_utc: Option<DateTime<Utc>>,
    /// Input and artifact.
    pub source: String,
    /// Summary of the record.
    pub summary: String,
}

/// One event on the two-lane timeline.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TimelineEntry {
    /// `client` or `server`.
    pub lane: String,
    /// Server-clock time.
    pub server_time_utc: DateTime<Utc>,
    /// Milliseconds from the attempt's start (server clock).
    pub offset_ms: i64,
    /// Channel.
    pub channel: String,
    /// Event id.
    pub event_id: u32,
    /// Record id.
    pub record_id: u64,
    /// Summary.
    pub summary: String,
    /// Whether an evidence item of the top finding cites this record.
    pub cited: bool,
}

/// A problem met while reading.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReportProblem {
    /// Input.
    pub input: String,
    /// Artifact and location, if any.
    pub location: String,
    /// `note`, `warning`, `error`.
    pub severity: String,
    /// What happened.
    pub message: String,
}
