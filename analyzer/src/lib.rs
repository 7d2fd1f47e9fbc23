//! rdpdiag analyzer: reads diagnostic bundles and explains RDP "0x904 / extended 0x7" failures.
//!
//! Data flows one way (ARCHITECTURE.md has the map and the invariants):
//! [`input`] (open zips, folders, files safely; recognise the layout; verify the manifest; what
//! a ticket is) -> [`ingest`] (one dispatch by sniffed content: EVTX through [`evtx_ingest`] into
//! normalized [`Event`]s of [`model`]; registry, text, JSON and trace artifacts through
//! [`registry`] and [`text_artifacts`] into [`facts`]; in parallel across files) -> [`hosts`]
//! (which inputs are the client and the server) -> [`correlate`] (attempts, connections, clock
//! skew) -> [`diagnose`] (the [`rules`] catalog, facts through [`fact_vocabulary`]) ->
//! [`report`]. [`analyze`] runs the whole pipeline; [`inspect`], [`timeline`] and `batch` serve
//! their commands.
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
pub mod hosts;
pub mod report;
pub mod rules;
pub mod timeline;
