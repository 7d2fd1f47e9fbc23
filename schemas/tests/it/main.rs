//! The integration tests of rdpdiag-schemas, one binary (ripgrep's layout: the crate is linked
//! once, not once per file). One module's tests: `cargo test -p rdpdiag-schemas --test it codes::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod codes;
mod json_schemas;
mod manifest;
