//! The artifact parsers of rdpdiag: a file's bytes in, its typed contents out.
//!
//! - [`registry`]: `.reg` exports (UTF-16LE or UTF-8) and hives with their transaction logs
//!   replayed (notatin), read into one key tree;
//! - [`text_artifacts`]: command outputs and JSON: certutil, ACL listings, netstat, netsh,
//!   w32tm, the collector's JSON forms, ETL headers, tracerpt; [`text_artifacts::locale`] holds
//!   the localized words each parser knows, with their sources;
//! - [`host_addresses`]: a host's addresses from `ipconfig /all` (shared with the collector).
//!
//! What it is not: it does not sniff content kinds (`rdpdiag-input`), decide what a value
//! means for a diagnosis (`rdpdiag-ingest`'s facts) or read EVTX (`rdpdiag-evtx`). A parser
//! never panics on hostile input: what it cannot read is a problem with its line, and the
//! rest of the file is still read.
#![forbid(unsafe_code)]

pub mod host_addresses;
pub mod registry;
pub mod text_artifacts;
