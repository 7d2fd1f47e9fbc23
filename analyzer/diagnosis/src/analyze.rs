//! The whole pipeline for one ticket: open -> parse -> evidence -> correlate -> diagnose ->
//! report. The binary's `analyze` and `timeline` commands, and batch, call this.

use std::path::PathBuf;

use crate::correlate::{Correlation, correlate};
use crate::diagnose::{DiagnoseOptions, Diagnosis, diagnose};
use crate::hosts::{Ticket, hosts};
use crate::report::{Report, build_report};
use crate::rules::Catalog;
use rdpdiag_ingest::{IngestOptions, InputReport, ingest};

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
    pub ticket: Ticket,
    /// Attempts, connections, skew.
    pub correlation: Correlation,
    /// Ranked causes.
    pub diagnosis: Diagnosis,
    /// The report.
    pub report: Report,
}

/// Runs the pipeline on one ticket.
pub fn analyze(paths: &[PathBuf], catalog: &Catalog, opts: &AnalyzeOptions) -> Analysis {
    let mut clock = StageClock::from_env();
    let inputs = rdpdiag_input::ticket::ticket_inputs(paths);
    // Every event a loaded rule names is read, not only the embedded rules' table.
    let ingest_opts = IngestOptions {
        interest: opts.ingest.interest.clone().with_events(catalog.wanted_events()),
        ..opts.ingest.clone()
    };
    let mut ing = ingest(&inputs, &ingest_opts);
    clock.lap("ingest");
    let ticket = hosts(&mut ing, &opts.force_client, &opts.force_server);
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
