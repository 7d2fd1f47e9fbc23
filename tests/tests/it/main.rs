//! Integration tests of this crate, one test binary (ripgrep's layout): each file is a
//! module, so the crate and its dependencies are linked once, not once per file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accuracy;
mod collector_bundles;
mod inspect_everything;
mod pack_generated_files;
mod redacted_bundles;
