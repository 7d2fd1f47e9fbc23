//! Integration tests of this crate, one test binary (ripgrep's layout): each file is a
//! module, so the crate and its dependencies are linked once, not once per file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "batch")]
mod batch_common;
#[cfg(feature = "batch")]
mod batch_resilience;
#[cfg(feature = "batch")]
mod batch_shards;
#[cfg(feature = "batch")]
mod batch_tables;
mod cli_analyze;
mod common;
mod corpus_evtx;
mod evtx_decode;
mod facts_scenarios;
mod field_vocabulary;
mod fuzz_regressions;
mod hostile_bundles;
mod hostile_zip;
mod html_hostile;
mod inputs;
mod locale_unknown;
mod redacted_events;
mod reg_roundtrip_prop;
mod registry_hive;
mod registry_reg_file;
mod rules_contract;
mod text_parsers;
