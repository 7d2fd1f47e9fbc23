//! Diagnosis: evaluate the rule catalog on every failed attempt and rank the causes.
//!
//! Input: the [`Correlation`] and each host's evidence and facts. Output: a [`Diagnosis`] with,
//! per failed attempt, the causes ranked by confidence and the evidence lines that moved each
//! one. The rules are data ([`crate::rules`]); nothing here knows a particular cause.

pub mod evaluate;
pub use crate::fact_vocabulary as facts_view;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rdpdiag_schemas::RootCauseId;
use serde::Serialize;

pub use evaluate::{EvalInput, HostIndex, evaluate_attempt};

use crate::correlate::{ClockSkew, Correlation};
use crate::fact_vocabulary::FactView;
use crate::hosts::Host;
use crate::rules::Catalog;

/// Below this, the best cause of an attempt is "insufficient evidence".
pub const SUFFICIENT: f64 = 0.4;

/// The codes a user reports (`analyze --reported 0x904/0x7`): the disconnect code, and the
/// extended code when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReportedCode {
    /// Disconnect reason.
    pub disconnect: u32,
    /// Extended disconnect reason.
    pub extended: Option<u32>,
}

impl std::str::FromStr for ReportedCode {
    type Err = String;

    /// `0x904/0x7`, `0x904 0x7`, `2308,7`, `0x904`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s
            .split(|c: char| c == '/' || c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty());
        let d = parts
            .next()
            .ok_or_else(|| format!("{s:?}: give the codes as DISCONNECT[/EXTENDED], e.g. 0x904/0x7"))?;
        let disconnect = rdpdiag_schemas::codes::parse_code(d).map_err(|e| e.to_string())?;
        let extended = parts
            .next()
            .map(|x| rdpdiag_schemas::codes::parse_code(x).map_err(|e| e.to_string()))
            .transpose()?;
        if parts.next().is_some() {
            return Err(format!("{s:?}: at most two codes, DISCONNECT/EXTENDED"));
        }
        Ok(ReportedCode { disconnect, extended })
    }
}

/// What the user tells about the failure beside the bundles.
#[derive(Debug, Clone, Default)]
pub struct DiagnoseOptions {
    /// The codes the user saw.
    pub reported: Option<ReportedCode>,
    /// Only attempts from this time on count (the attempt's own host clock).
    pub since: Option<DateTime<Utc>>,
    /// Only attempts up to this time count.
    pub until: Option<DateTime<Utc>>,
}

/// The codes one attempt ended with, and where they come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptCodes {
    /// Disconnect reason: the client's 1026, else the reported one.
    pub disconnect: Option<u32>,
    /// Extended reason: the reported one (1026 does not log it), when its disconnect code is
    /// this attempt's.
    pub extended: Option<u32>,
    /// `client 1026`, `reported by the user` or `unknown`.
    pub disconnect_source: &'static str,
}

impl AttemptCodes {
    /// The codes of `pa` given what the user reported.
    pub fn of(pa: &crate::correlate::PairedAttempt, reported: Option<ReportedCode>) -> AttemptCodes {
        match (pa.attempt.disconnect_reason, reported) {
            (Some(d), r) => AttemptCodes {
                disconnect: Some(d),
                extended: r.filter(|r| r.disconnect == d).and_then(|r| r.extended),
                disconnect_source: "client 1026",
            },
            (None, Some(r)) => AttemptCodes {
                disconnect: Some(r.disconnect),
                extended: r.extended,
                disconnect_source: "reported by the user",
            },
            (None, None) => AttemptCodes {
                disconnect: None,
                extended: None,
                disconnect_source: "unknown",
            },
        }
    }

    /// `0x904 (disconnectReasonAtClientWinsockFDCLOSE)`, or `an unknown code`.
    pub fn describe_disconnect(&self) -> String {
        match self.disconnect {
            Some(d) => match rdpdiag_schemas::codes::disconnect_reason(d).and_then(|r| r.name) {
                Some(name) => format!("0x{d:X} ({name})"),
                None => format!("0x{d:X}"),
            },
            None => "an unknown code".into(),
        }
    }
}

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
    /// The failures ended with codes that no 0x904 cause produces (0x807 credentials refused,
    /// 0x108 time-out, ...): reported as what they are.
    OtherFailure,
}

/// Diagnosis of one failed attempt.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptDiagnosis {
    /// Index into the correlation's attempts.
    pub attempt: usize,
    /// Verdict.
    pub verdict: Verdict,
    /// The codes the attempt ended with.
    pub codes: AttemptCodes,
    /// For an [`Verdict::OtherFailure`]: what the code means.
    pub other_failure: Option<String>,
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
    /// Failed attempts left out by the time window (`--since`/`--until`).
    pub outside_window: usize,
}

/// Diagnoses a correlated ticket.
pub fn diagnose(
    catalog: &Catalog,
    corr: &Correlation,
    client: Option<&Host>,
    server: Option<&Host>,
    opts: &DiagnoseOptions,
) -> Diagnosis {
    let cidx = client.map(HostIndex::new);
    let sidx = server.map(HostIndex::new);
    // Facts are derived per target port (port-dependent facts compare the listener with what the
    // attempt connected to); nearly every ticket has one port, so one view per side.
    let views: BTreeMap<Option<u16>, (FactView, FactView)> = corr
        .attempts
        .iter()
        .filter(|pa| pa.attempt.failed())
        .map(|pa| facts_view::attempt_target_port(pa.attempt.target.as_deref()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|port| {
            let view = |h: Option<&Host>| {
                h.and_then(|h| h.facts.as_ref())
                    .map(|f| facts_view::view(f, corr, port))
                    .unwrap_or_default()
            };
            (port, (view(client), view(server)))
        })
        .collect();
    let no_facts = (FactView::default(), FactView::default());
    let explained: Vec<u32> = catalog
        .rules
        .iter()
        .flat_map(|r| r.explains_disconnect.iter().copied())
        .collect();
    let mut attempts = Vec::new();
    let mut outside_window = 0;
    for (i, pa) in corr.attempts.iter().enumerate() {
        if !pa.attempt.failed() {
            continue;
        }
        let t = pa.attempt.start;
        if opts.since.is_some_and(|s| t < s) || opts.until.is_some_and(|u| t > u) {
            outside_window += 1;
            continue;
        }
        let codes = AttemptCodes::of(pa, opts.reported);
        let (cfacts, sfacts) = views
            .get(&facts_view::attempt_target_port(pa.attempt.target.as_deref()))
            .unwrap_or(&no_facts);
        let input = EvalInput {
            corr,
            client: client.zip(cidx.as_ref()),
            server: server.zip(sidx.as_ref()),
            client_facts: cfacts,
            server_facts: sfacts,
        };
        let mut findings: Vec<Finding> = catalog
            .rules
            .iter()
            .map(|r| evaluate_attempt(r, i, &input, &codes))
            .collect();
        findings.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        let best = findings.first().map(|f| f.confidence).unwrap_or(0.0);
        // A code that no cause of the catalog produces is not a 0x904 failure of unknown
        // cause: it is what the code says (its meaning comes from the code tables).
        let other = codes.disconnect.filter(|d| !explained.contains(d));
        let verdict = if other.is_some() {
            Verdict::OtherFailure
        } else if best >= SUFFICIENT {
            Verdict::Diagnosed
        } else {
            Verdict::InsufficientEvidence
        };
        let other_failure = other.map(|d| {
            let e = rdpdiag_schemas::codes::explain(d, codes.extended);
            let meaning = e.meaning().unwrap_or("no documented meaning");
            format!("{}: {meaning}", codes.describe_disconnect())
        });
        let mut collect_next = Vec::new();
        // Thin evidence, or one side missing: say what would settle it.
        let one_sided = client.is_none() || server.is_none();
        if verdict == Verdict::InsufficientEvidence || (one_sided && verdict == Verdict::Diagnosed) {
            let side = if server.is_none() {
                Some("server:")
            } else if client.is_none() {
                Some("client:")
            } else {
                None
            };
            for f in findings.iter().take(3) {
                if let Some(r) = catalog.get(f.id) {
                    for c in &r.collect_next {
                        let wanted = verdict == Verdict::InsufficientEvidence
                            || side.is_some_and(|s| c.starts_with(s));
                        if wanted && !collect_next.contains(c) {
                            collect_next.push(c.clone());
                        }
                    }
                }
            }
        }
        attempts.push(AttemptDiagnosis {
            attempt: i,
            verdict,
            codes,
            other_failure,
            findings,
            collect_next,
        });
    }
    // 0x904-family attempts decide the ticket's causes; other failures are reported as such.
    let counted: Vec<&AttemptDiagnosis> = attempts
        .iter()
        .filter(|a| a.verdict != Verdict::OtherFailure)
        .collect();
    // A cause is judged on the attempts whose code it explains (an unknown code is held against
    // none): refused passwords before a run of 0x904s must not dilute the 0x904's cause, nor
    // the 0x904s the refused credentials.
    let explains = |r: &crate::rules::spec::Rule, a: &AttemptDiagnosis| {
        a.codes
            .disconnect
            .is_none_or(|d| r.explains_disconnect.contains(&d))
    };
    let mut causes: Vec<CauseScore> = catalog
        .rules
        .iter()
        .map(|r| {
            let explained: Vec<&&AttemptDiagnosis> = counted.iter().filter(|a| explains(r, a)).collect();
            let judged: Vec<&&AttemptDiagnosis> = if explained.is_empty() {
                counted.iter().collect()
            } else {
                explained
            };
            let confs: Vec<f64> = judged
                .iter()
                .filter_map(|a| a.findings.iter().find(|f| f.id == r.id).map(|f| f.confidence))
                .collect();
            let confidence = if confs.is_empty() {
                0.0
            } else {
                confs.iter().sum::<f64>() / confs.len() as f64
            };
            let top_in_attempts = counted
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
    // When the failures differ in kind (refused credentials, then 0x904s), the ticket is about
    // the latest one: users report the failure that persists. The best cause that explains the
    // latest failure's code goes first.
    let latest = counted
        .iter()
        .max_by_key(|a| corr.attempts.get(a.attempt).map(|p| p.server_time))
        .and_then(|a| a.codes.disconnect);
    // Only a cause that is diagnosed moves: a 0.08 guess never goes before a 0.7 finding.
    if let Some(code) = latest
        && let Some(pos) = causes.iter().position(|c| {
            catalog
                .get(c.id)
                .is_some_and(|r| r.explains_disconnect.contains(&code))
        })
        && pos > 0
        && causes[pos].confidence >= SUFFICIENT
    {
        let first = causes.remove(pos);
        causes.insert(0, first);
    }
    let (verdict, top_cause) = if corr.attempts.is_empty() {
        (Verdict::NoAttempts, None)
    } else if attempts.is_empty() {
        (Verdict::NothingFailed, None)
    } else if counted.is_empty() {
        (Verdict::OtherFailure, None)
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
        outside_window,
    }
}
