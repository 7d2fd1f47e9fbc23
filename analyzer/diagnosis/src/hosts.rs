//! The hosts stage: which inputs are one host, each host's role, events and facts, and the
//! problems met reading them. Input: what ingest read ([`Ingest`]). Output: a [`Ticket`] of at
//! most a client and a server [`Host`], for correlation, diagnosis, the timeline and reports.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rdpdiag_schemas::Role;
use rdpdiag_schemas::report::ReportProblem;
use serde::Serialize;

use rdpdiag_evtx::model::{Event, Location, Problem};
use rdpdiag_ingest::Ingest;
use rdpdiag_ingest::artifact::ArtifactReport;

/// Everything known about one host of a ticket.
#[derive(Debug, Clone, Serialize)]
pub struct Host {
    /// Host name (manifest, MSRD folder name, or the events' Computer).
    pub name: String,
    /// Role.
    pub role: Role,
    /// Addresses of the host, as far as known.
    pub addresses: Vec<String>,
    /// Inputs that make up this host.
    pub inputs: Vec<String>,
    /// Kept events, by time.
    #[serde(skip)]
    pub events: Vec<Event>,
    /// Typed host facts (registry, command outputs), when any were read.
    #[serde(skip)]
    pub facts: Option<rdpdiag_ingest::facts::HostFacts>,
    /// A clock offset measured by the collector (peer minus host, ms), when one was recorded.
    pub measured_offset_ms: Option<i64>,
    /// Collection window of the host's bundle (its own clock), when known.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// The hosts of a ticket and the problems met reading them.
#[derive(Debug, Clone, Default)]
pub struct Ticket {
    /// Client host, if any input was one.
    pub client: Option<Host>,
    /// Server host, if any input was one.
    pub server: Option<Host>,
    /// Problems while reading.
    pub problems: Vec<ReportProblem>,
}

fn events_role(events: &[Event]) -> Role {
    // Distinct channels first: a big log holds a handful of channels and many events.
    let mut channels: Vec<&str> = Vec::new();
    for e in events {
        if channels.last() != Some(&&*e.channel) && !channels.contains(&&*e.channel) {
            channels.push(&e.channel);
        }
    }
    rdpdiag_ingest::role_of_channels(channels).unwrap_or(Role::Unknown)
}

fn same_path(a: &Path, b: &str) -> bool {
    a.to_string_lossy() == b
        || a.canonicalize()
            .ok()
            .zip(Path::new(b).canonicalize().ok())
            .is_some_and(|(x, y)| x == y)
}

/// Splits ingested inputs into the client and the server host.
/// The events move out of `ing` (a big log's events are not copied).
pub fn hosts(ing: &mut Ingest, force_client: &[PathBuf], force_server: &[PathBuf]) -> Ticket {
    let mut client: Option<Host> = None;
    let mut server: Option<Host> = None;
    let mut problems = Vec::new();
    for (k, rep) in ing.inputs.iter().enumerate() {
        for p in &rep.problems {
            problems.push(ReportProblem {
                input: rep.input.clone(),
                location: p.location.to_string(),
                severity: p.severity.to_string(),
                message: p.message.clone(),
            });
        }
        for a in &rep.artifacts {
            for p in &a.problems {
                let (location, message) = artifact_problem_words(a, p);
                problems.push(ReportProblem {
                    input: rep.input.clone(),
                    location,
                    severity: p.severity.to_string(),
                    message,
                });
            }
        }
        let evs = ing.events.get_mut(k).map(std::mem::take).unwrap_or_default();
        let mut role = rep.role;
        if force_client.iter().any(|p| same_path(p, &rep.input)) {
            role = Role::Client;
        } else if force_server.iter().any(|p| same_path(p, &rep.input)) {
            role = Role::Server;
        } else if role == Role::Unknown || role == Role::Both {
            role = match events_role(&evs) {
                Role::Unknown => role,
                r => r,
            };
        }
        let (mut addresses, measured, window) = match &rep.manifest {
            Some(m) => (
                m.host_addresses.clone(),
                m.measured_offset_ms,
                Some((m.since_utc, m.until_utc)),
            ),
            None => (vec![], None, None),
        };
        addresses.extend(ing.addresses.get(k).cloned().unwrap_or_default());
        let facts = ing.facts.get(k).cloned().flatten();
        let name = rep
            .host
            .clone()
            .or_else(|| evs.first().map(|e| e.host.to_string()))
            .unwrap_or_else(|| "(unknown host)".into());
        let slot = match role {
            Role::Client => &mut client,
            Role::Server => &mut server,
            // A host that is both, or unknown: fill whichever side is still empty.
            _ if server.is_none() && events_role(&evs) != Role::Client => &mut server,
            _ => &mut client,
        };
        let host = slot.get_or_insert_with(|| Host {
            name: name.clone(),
            role,
            addresses: vec![],
            inputs: vec![],
            events: vec![],
            facts: None,
            measured_offset_ms: None,
            window: None,
        });
        host.inputs.push(rep.input.clone());
        for a in addresses {
            if !host.addresses.contains(&a) {
                host.addresses.push(a);
            }
        }
        // Several inputs of one host: the first with facts wins (facts do not merge).
        if host.facts.is_none() {
            host.facts = facts;
        }
        host.measured_offset_ms = host.measured_offset_ms.or(measured);
        host.window = host.window.or(window);
        if host.events.is_empty() {
            host.events = evs;
        } else {
            host.events.extend(evs);
            host.events.sort_unstable_by(|a, b| {
                (a.time_utc, &a.input, &a.artifact, a.record_id).cmp(&(
                    b.time_utc,
                    &b.input,
                    &b.artifact,
                    b.record_id,
                ))
            });
        }
    }
    Ticket {
        client,
        server,
        problems,
    }
}

/// The report's words for where an artifact's problem is and what it is. A text line keeps the
/// wording reports have always had, so that reports stay byte-identical: the message after
/// `line <line>: `, and the location `<artifact> offset 0x<line>` for a line read by the
/// host-facts stage (command outputs, `.reg` exports) but `<artifact>` alone for a line read by
/// the EVTX stage (a redacted-events file, `evtx` set). `inspect` says `line <line>` for both.
fn artifact_problem_words(artifact: &ArtifactReport, p: &Problem) -> (String, String) {
    let path = &artifact.path;
    match p.location {
        Location::Line { line } if artifact.evtx.is_some() => {
            (path.trim().to_string(), format!("line {line}: {}", p.message))
        }
        Location::Line { line } => (
            format!("{path} offset {line:#x}").trim().to_string(),
            format!("line {line}: {}", p.message),
        ),
        _ => (
            format!("{path} {}", p.location).trim().to_string(),
            p.message.clone(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdpdiag_evtx::EvtxStats;
    use rdpdiag_evtx::model::Severity;
    use rdpdiag_ingest::artifact::Outcome;

    fn artifact(path: &str, evtx: Option<EvtxStats>) -> ArtifactReport {
        ArtifactReport {
            path: path.into(),
            content: None,
            size: None,
            sha256: None,
            blake3: None,
            listed: None,
            outcome: Outcome::Parsed,
            evtx,
            problems: Vec::new(),
        }
    }

    /// The report's v1 wording, which the JSON reports of committed bundles pin byte for byte.
    #[test]
    fn artifact_problems_keep_the_reports_wording() {
        let reg = artifact("registry/ts.reg", None);
        let redacted = artifact("evtx/System.redacted-events.jsonl", Some(EvtxStats::default()));
        let bad_line = Problem::at_line(Severity::Warning, 7, "unrecognised line \"x\"");
        assert_eq!(
            artifact_problem_words(&reg, &bad_line),
            (
                "registry/ts.reg offset 0x7".to_string(),
                "line 7: unrecognised line \"x\"".to_string()
            )
        );
        let bad_record = Problem::at_line(Severity::Warning, 3, "no header_time");
        assert_eq!(
            artifact_problem_words(&redacted, &bad_record),
            (
                "evtx/System.redacted-events.jsonl".to_string(),
                "line 3: no header_time".to_string()
            )
        );
        let chunk = Problem::at(Severity::Error, Location::Chunk { chunk: 2 }, "bad magic");
        assert_eq!(
            artifact_problem_words(&redacted, &chunk),
            (
                "evtx/System.redacted-events.jsonl chunk 2".to_string(),
                "bad magic".to_string()
            )
        );
        let whole = Problem::whole(Severity::Error, "certutil: not certutil output");
        assert_eq!(
            artifact_problem_words(&reg, &whole).0,
            "registry/ts.reg".to_string()
        );
    }
}
