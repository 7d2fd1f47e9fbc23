//! The whole pipeline for one ticket: open -> parse -> evidence -> correlate -> diagnose ->
//! report. The binary's `analyze` and `timeline` commands, and batch, call this.

use std::path::{Path, PathBuf};

use rdpdiag_schemas::Role;

use crate::correlate::{Correlation, HostEvidence, correlate};
use crate::diagnose::{DiagnoseOptions, Diagnosis, diagnose};
use crate::ingest::{Ingest, IngestOptions, InputReport, ingest};
use crate::model::Event;
use crate::report::{Report, TicketInput, build_report};
use crate::rules::Catalog;
use rdpdiag_schemas::report::ReportProblem;

/// How to analyze.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// Reading limits and filters.
    pub ingest: IngestOptions,
    /// Inputs forced to the client role (`--client`).
    pub force_client: Vec<PathBuf>,
    /// Inputs forced to the server role (`--server`).
    pub force_server: Vec<PathBuf>,
    /// What the user reported beside the bundles (codes, time window).
    pub diagnose: DiagnoseOptions,
}

/// Everything the pipeline produced.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Per-input reading reports.
    pub inputs: Vec<InputReport>,
    /// Hosts and problems.
    pub ticket: TicketInput,
    /// Attempts, connections, skew.
    pub correlation: Correlation,
    /// Ranked causes.
    pub diagnosis: Diagnosis,
    /// The report.
    pub report: Report,
}

/// A ticket folder holds bundles (zips or bundle folders); a bundle folder or an ad-hoc folder
/// of logs is one input. Expands the former into its bundles.
pub fn expand_inputs(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() || p.join(rdpdiag_schemas::manifest::MANIFEST_FILE).is_file() {
            out.push(p.clone());
            continue;
        }
        let mut children: Vec<PathBuf> = match std::fs::read_dir(p) {
            Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
            Err(_) => {
                out.push(p.clone());
                continue;
            }
        };
        children.sort();
        let is_bundle = |c: &Path| {
            let zip = c.extension().is_some_and(|x| x.eq_ignore_ascii_case("zip")) && c.is_file();
            let dir = c.is_dir()
                && std::fs::symlink_metadata(c)
                    .map(|m| !m.is_symlink())
                    .unwrap_or(false);
            zip || dir
        };
        let has_loose_logs = children.iter().any(|c| {
            c.is_file()
                && c.extension().is_some_and(|x| {
                    ["evtx", "reg", "txt", "log", "json", "etl"]
                        .iter()
                        .any(|e| x.eq_ignore_ascii_case(e))
                })
        });
        let bundles: Vec<PathBuf> = children.into_iter().filter(|c| is_bundle(c)).collect();
        if !has_loose_logs && !bundles.is_empty() {
            out.extend(bundles);
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn events_role(events: &[Event]) -> Role {
    // Distinct channels first: a big log holds a handful of channels and many events.
    let mut channels: Vec<&str> = Vec::new();
    for e in events {
        if channels.last() != Some(&&*e.channel) && !channels.contains(&&*e.channel) {
            channels.push(&e.channel);
        }
    }
    let has = |needle: &str| channels.iter().any(|c| c.to_ascii_lowercase().contains(needle));
    match (
        has("rdpclient"),
        has("rdpcorets") || has("remoteconnectionmanager"),
    ) {
        (true, true) => Role::Both,
        (true, false) => Role::Client,
        (false, true) => Role::Server,
        _ => Role::Unknown,
    }
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
pub fn hosts(ing: &mut Ingest, opts: &AnalyzeOptions) -> TicketInput {
    let mut client: Option<HostEvidence> = None;
    let mut server: Option<HostEvidence> = None;
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
                problems.push(ReportProblem {
                    input: rep.input.clone(),
                    location: format!("{} {}", a.path, p.location).trim().to_string(),
                    severity: p.severity.to_string(),
                    message: p.message.clone(),
                });
            }
        }
        let evs = ing.events.get_mut(k).map(std::mem::take).unwrap_or_default();
        let mut role = rep.role;
        if opts.force_client.iter().any(|p| same_path(p, &rep.input)) {
            role = Role::Client;
        } else if opts.force_server.iter().any(|p| same_path(p, &rep.input)) {
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
        let host = slot.get_or_insert_with(|| HostEvidence {
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
    TicketInput {
        client,
        server,
        problems,
    }
}

/// Runs the pipeline on one ticket.
pub fn analyze(paths: &[PathBuf], catalog: &Catalog, opts: &AnalyzeOptions) -> Analysis {
    let mut clock = StageClock::from_env();
    let inputs = expand_inputs(paths);
    // Every event a loaded rule names is read, not only the embedded rules' table.
    let ingest_opts = IngestOptions {
        interest: opts.ingest.interest.clone().with_events(catalog.wanted_events()),
        ..opts.ingest.clone()
    };
    let mut ing = ingest(&inputs, &ingest_opts);
    clock.lap("ingest");
    let ticket = hosts(&mut ing, opts);
    clock.lap("hosts");
    let correlation = correlate(ticket.client.as_ref(), ticket.server.as_ref());
    clock.lap("correlate");
    let diagnosis = diagnose(
        catalog,
        &correlation,
        ticket.client.as_ref(),
        ticket.server.as_ref(),
        &opts.diagnose,
    );
    clock.lap("diagnose");
    let report = build_report(&ticket, &correlation, &diagnosis);
    clock.lap("report");
    Analysis {
        inputs: ing.inputs,
        ticket,
        correlation,
        diagnosis,
        report,
    }
}

/// Wall time per stage on stderr when `RDPDIAG_STAGE_TIMES` is set: what the benchmark and a
/// profiler need to know first (which stage), at the cost of one clock read per stage.
struct StageClock {
    last: Option<std::time::Instant>,
}

impl StageClock {
    fn from_env() -> Self {
        StageClock {
            last: std::env::var_os("RDPDIAG_STAGE_TIMES").map(|_| std::time::Instant::now()),
        }
    }

    fn lap(&mut self, stage: &str) {
        if let Some(t) = self.last.as_mut() {
            let now = std::time::Instant::now();
            eprintln!("stage {stage}: {:.3} s", (now - *t).as_secs_f64());
            *t = now;
        }
    }
}
