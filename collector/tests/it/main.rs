//! The integration tests of rdpdiag-collect that can share one binary (the crate is linked once).
//! `exec_interrupt.rs` and `interrupted.rs` stay binaries of their own: they send signals to
//! their own process. One module's tests: `cargo test -p rdpdiag-collect --test it executor::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(unix)]
mod executor;
mod external_bundle;
#[cfg(feature = "probe")]
mod probe_loopback;
mod volume_facts;
