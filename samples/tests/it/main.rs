//! Integration tests of this crate, one test binary (ripgrep's layout): each file is a
//! module, so the crate and its dependencies are linked once, not once per file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod committed_bundles;
mod common;
mod evtx_corpus;
mod evtx_python;
mod evtx_roundtrip;
mod evtx_roundtrip_prop;
mod evtx_support;
mod reg_writer;
mod scenarios;
mod text_writers;
