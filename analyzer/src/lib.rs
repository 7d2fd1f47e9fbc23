//! rdpdiag analyzer: reads diagnostic bundles and explains RDP "0x904 / extended 0x7" failures.
//!
//! Data flows one way:
//! [`input`] (open zips, folders, files safely; recognise the layout; verify the manifest) ->
//! [`artifact`] (dispatch each file by its sniffed content) -> [`evtx_ingest`] (EVTX records
//! the rules need) -> [`model`] (normalized [`Event`]s with provenance) -> [`ingest`] (all of it,
//! in parallel across files) -> [`inspect`] (what was read, as text or JSON).
//!
//! Registry and text-artifact parsing plug in at [`artifact::parse`].
#![forbid(unsafe_code)]

pub mod artifact;
pub mod evtx_ingest;
pub mod fact_vocabulary;
pub mod facts;
pub mod host_addresses;
pub mod ingest;
pub mod input;
pub mod inspect;
pub mod model;
pub mod registry;
pub mod text_artifacts;

pub use ingest::{Ingest, IngestOptions, InputReport, ingest};
pub use inspect::{InspectReport, inspect, render_json, render_text};
pub use model::{Event, EvtxStats, FieldValue, Location, Problem, Severity};
pub mod analyze;
#[cfg(feature = "batch")]
pub mod batch;
pub mod correlate;
pub mod diagnose;
pub mod report;
pub mod rules;
pub mod timeline;
