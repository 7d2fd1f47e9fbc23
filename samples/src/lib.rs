//! Writers for the files Windows produces, and the scenario generator built on them.
//!
//! - [`evtx`]: an EVTX writer (file header, 64 KiB chunks, string and template tables, BinXml
//!   template instances) whose output the evtx crate and python-evtx read like Windows' own.
//! - [`reg`]: `reg export` text (UTF-16LE with BOM); the writer lives in the collector
//!   (`rdpdiag_collect::reg_export`), which writes the reduced hives of `--redact` with it.
//! - [`text`]: command outputs as Windows prints them (certutil, Get-Acl, netstat, netsh, w32tm).
//! - [`scenario`]: client and server bundles for each root cause of 0x904 / extended 0x7.
//!
//! This crate writes fixtures; it never reads them (the analyzer does).
#![forbid(unsafe_code)]

pub mod committed;
pub mod evtx;
pub use rdpdiag_collect::reg_export as reg;
pub mod rng;
pub mod scenario;
pub mod text;
