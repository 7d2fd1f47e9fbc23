//! rdpdiag analyzer: reads diagnostic bundles and explains RDP "0x904 / extended 0x7" failures.
//!
//! This crate is the `rdpdiag` binary and a facade over the stage crates (as ripgrep's `grep`
//! is over its own), so a user of the library names one crate. Data flows one way
//! (ARCHITECTURE.md has the map and the invariants):
//!
//! | stage | crate | re-exported here as |
//! |---|---|---|
//! | open inputs safely, recognise layouts, what a ticket is | `rdpdiag-input` | [`input`] |
//! | EVTX to normalized [`Event`]s | `rdpdiag-evtx` | [`evtx_ingest`], [`model`] |
//! | `.reg`, hives, text, JSON, trace artifacts parsed | `rdpdiag-artifacts` | [`registry`], [`text_artifacts`], [`host_addresses`] |
//! | one dispatch per entry, host facts | `rdpdiag-ingest` | [`ingest`], [`facts`], [`artifact`] |
//! | hosts, correlation, rules, diagnosis, reports | `rdpdiag-diagnosis` | [`hosts`], [`correlate`], [`rules`], [`fact_vocabulary`], [`diagnose`], [`report`], [`analyze`], [`inspect`], [`timeline`] |
//! | many tickets to Parquet/CSV (polars) | `rdpdiag-batch` (feature `batch`) | `batch` |
#![forbid(unsafe_code)]

pub use rdpdiag_artifacts::{host_addresses, registry, text_artifacts};
pub use rdpdiag_diagnosis::{
    analyze, correlate, diagnose, fact_vocabulary, hosts, inspect, report, rules, timeline,
};
pub use rdpdiag_evtx as evtx_ingest;
pub use rdpdiag_evtx::model;
pub use rdpdiag_ingest as ingest;
pub use rdpdiag_ingest::{artifact, facts};
pub use rdpdiag_input as input;

#[cfg(feature = "batch")]
pub use rdpdiag_batch as batch;

pub use ingest::{Ingest, IngestOptions, InputReport};
pub use inspect::{InspectReport, inspect, render_json, render_text};
pub use model::{Event, EvtxStats, FieldValue, Location, Problem, Severity};

/// Runs [`ingest::ingest`] (kept at the root, where the library's users found it).
pub use rdpdiag_ingest::ingest;
