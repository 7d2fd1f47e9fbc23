//! Diagnosis: evaluate the rule catalog on every failed attempt and rank the causes.
//!
//! Input: the [`Correlation`] and each host's evidence and facts. Output: a [`Diagnosis`] with,
//! per failed attempt, the causes ranked by confidence and the evidence lines that moved each
//! one. The rules are data ([`crate::rules`]); nothing here knows a particular cause.

pub mod evaluate;
pub mod facts_view;

use chrono::{DateTime, Utc};
use rdpdiag_schemas::RootCauseId;
use serde::Serialize;

pub use evaluate::{HostIndex, evaluate_attempt};

use crate::correlate::{ClockSkew, Correlation, HostEvidence};
use crate::rules::Catalog;

/// Below this, the best cause of an attempt is "insufficient evidence".
pub const SUFFICIENT: f64 = 0.4;

/// One event (or fact) that moved a confidence.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceLine {
    /// `client` or `server`.
    pub host: String,
    /// Input (bundle) it came from.
    pub input: String,
    /// Artifact inside the input.
    pub artifact: String,
    /// Channel (events) or fact path (facts).
    pub channel: String,
    /// Event id (0 for facts).
    pub event_id: u32,
    /// Record id (0 for facts).
    pub record_id: u64,
    /// Time as the host's clock wrote it.
    pub host_time: Option<DateTime<Utc>>,
    /// Time on the server clock (client times corrected for skew).
    pub server_time: Option<DateTime<Utc>>,
    /// Short summary of the event's relevant fields, or the fact's value.
    pub summary: String,
}

/// One evidence item of a rule that matched.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceHit {
    /// Evidence id within the rule.
    pub id: String,
    /// What it says.
    pub says: String,
    /// Weight (> 0 raised the confidence, < 0 lowered it).
    pub weight: f64,
    /// Confidence before this item.
    pub before: f64,
    /// Confidence after it.
    pub after: f64,
    /// The records behind it (at most a few).
    pub lines: Vec<EvidenceLine>,
    /// How many records matched in all.
    pub matched: usize,
}

/// A cause as evaluated for one attempt.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Cause.
    pub id: RootCauseId,
    /// Title.
    pub title: String,
    /// Confidence 0..1.
    pub confidence: f64,
    /// Prior the rule started from.
    pub prior: f64,
    /// What raised and lowered it, in order.
    pub evidence: Vec<EvidenceHit>,
    /// Whether the rule lists the attempt's disconnect reason among the codes it explains.
    pub explains_code: bool,
    /// Remediation.
    pub fix: Vec<String>,
    /// References.
    pub references: Vec<String>,
}

/// Verdict of one attempt or of the whole ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A cause stands out.
    Diagnosed,
    /// No cause reaches the threshold: collect more.
    InsufficientEvidence,
    /// Nothing failed.
    NothingFailed,
    /// No client attempts were found (no client logs).
    NoAttempts,
}

/// Diagnosis of one failed attempt.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptDiagnosis {
    /// Index into the correlation's attempts.
    pub attempt: usize,
    /// Verdict.
    pub verdict: Verdict,
    /// Causes, best first (only those with any matched evidence or prior above 0).
    pub findings: Vec<Finding>,
    /// What to collect next (insufficient evidence).
    pub collect_next: Vec<String>,
}

/// A cause ranked over the whole ticket.
#[derive(Debug, Clone, Serialize)]
pub struct CauseScore {
    /// Cause id.
    pub id: RootCauseId,
    /// Title.
    pub title: String,
    /// Mean confidence over the failed attempts.
    pub confidence: f64,
    /// Failed attempts where it is the best cause.
    pub top_in_attempts: usize,
}

/// The diagnosis of a ticket.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// Ticket verdict.
    pub verdict: Verdict,
    /// Most likely cause over all failed attempts (None when nothing failed).
    pub top_cause: Option<RootCauseId>,
    /// Causes ranked over the ticket.
    pub causes: Vec<CauseScore>,
    /// Per failed attempt.
    pub attempts: Vec<AttemptDiagnosis>,
    /// Skew applied.
    pub skew: ClockSkew,
}

/// Diagnoses a correlated ticket.
pub fn diagnose(
    catalog: &Catalog,
    corr: &Correlation,
    client: Option<&HostEvidence>,
    server: Option<&HostEvidence>,
) -> Diagnosis {
    let cidx = client.map(HostIndex::new);
    let sidx = server.map(HostIndex::new);
    let cfacts = client
        .and_then(|c| c.facts.as_ref())
        .map(|f| facts_view::view(f, corr))
        .unwrap_or_default();
    let sfacts = server
        .and_then(|s| s.facts.as_ref())
        .map(|f| facts_view::view(f, corr))
        .unwrap_or_default();
    let mut attempts = Vec::new();
    for (i, pa) in corr.attempts.iter().enumerate() {
        if !pa.attempt.failed() {
            continue;
        }
        let mut findings: Vec<Finding> = catalog
            .rules
            .iter()
            .map(|r| {
                evaluate_attempt(
                    r,
                    i,
                    corr,
                    client.zip(cidx.as_ref()),
                    server.zip(sidx.as_ref()),
                    &cfacts,
                    &sfacts,
                )
            })
            .collect();
        findings.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        let best = findings.first().map(|f| f.confidence).unwrap_or(0.0);
        let verdict = if best >= SUFFICIENT {
            Verdict::Diagnosed
        } else {
            Verdict::InsufficientEvidence
        };
        let mut collect_next = Vec::new();
        if verdict == Verdict::InsufficientEvidence {
            for f in findings.iter().take(3) {
                if let Some(r) = catalog.get(f.id) {
                    for c in &r.collect_next {
                        if !collect_next.contains(c) {
                            collect_next.push(c.clone());
                        }
                    }
                }
            }
        }
        attempts.push(AttemptDiagnosis {
            attempt: i,
            verdict,
            findings,
            collect_next,
        });
    }
    let mut causes: Vec<CauseScore> = catalog
        .rules
        .iter()
        .map(|r| {
            let confs: Vec<f64> = attempts
                .iter()
                .filter_map(|a| a.findings.iter().find(|f| f.id == r.id).map(|f| f.confidence))
                .collect();
            let confidence = if confs.is_empty() {
                0.0
            } else {
                confs.iter().sum::<f64>() / confs.len() as f64
            };
            let top_in_attempts = attempts
                .iter()
                .filter(|a| {
                    a.verdict == Verdict::Diagnosed && a.findings.first().is_some_and(|f| f.id == r.id)
                })
                .count();
            CauseScore {
                id: r.id,
                title: r.title.clone(),
                confidence,
                top_in_attempts,
            }
        })
        .collect();
    causes.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(b.top_in_attempts.cmp(&a.top_in_attempts))
    });
    let (verdict, top_cause) = if corr.attempts.is_empty() {
        (Verdict::NoAttempts, None)
    } else if attempts.is_empty() {
        (Verdict::NothingFailed, None)
    } else if causes.first().is_some_and(|c| c.confidence >= SUFFICIENT) {
        (Verdict::Diagnosed, causes.first().map(|c| c.id))
    } else {
        (Verdict::InsufficientEvidence, causes.first().map(|c| c.id))
    };
    Diagnosis {
        verdict,
        top_cause,
        causes,
        attempts,
        skew: corr.skew.clone(),
    }
}
