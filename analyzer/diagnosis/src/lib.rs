//! Diagnosis of rdpdiag: from ingested inputs to a named root cause and its report.
//!
//! [`hosts`] (which inputs are the client and the server) -> [`correlate`] (attempts,
//! connections, clock skew) -> [`diagnose`] (the [`rules`] catalog over host facts named by
//! [`fact_vocabulary`]) -> [`report`] (text, JSON, Markdown, HTML). [`analyze`] runs the whole
//! pipeline for one ticket; [`inspect`] and [`timeline`] serve their commands.
//!
//! Root-cause knowledge lives in the rule files (`analyzer/rules/*.toml`, compiled in by
//! [`rules::catalog`]), not in this code: a rule change rebuilds this crate and the ones above
//! it, never the EVTX decoder, the input opener or the parsers.
#![forbid(unsafe_code)]

pub mod analyze;
pub mod correlate;
pub mod diagnose;
pub mod fact_vocabulary;
pub mod hosts;
pub mod inspect;
pub mod report;
pub mod rules;
pub mod timeline;
