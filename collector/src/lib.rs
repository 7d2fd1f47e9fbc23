//! rdpdiag-collect: plans, acquires and packages a diagnostic bundle for an RDP
//! "0x904 / extended 0x7" failure.
//!
//! - [`plan`]: the list of steps (event logs, registry keys, command outputs, traces, probe) as
//!   data, built for a role and a source (live Windows or an offline volume); `--dry-run` prints it.
//! - [`collect`]: the executor: runs each step with a timeout, records its status and error in
//!   the manifest, never lets one step stop the others, writes the bundle atomically.
//! - [`exec`] (processes with deadlines), [`decode`] (console code pages → UTF-8 CRLF),
//!   [`live`] (host facts), [`volume`] + [`hive`] (offline volumes), [`redact`] (keyed pseudonyms), [`redact_events`] (event logs reduced to
//!   the records the analyzer uses, redacted), [`redact_registry`] (hives and `reg export`s reduced to the keys the
//!   analyzer reads, redacted, written with [`reg_export`]), [`redact_bundle`] (redacting a
//!   finished bundle), [`notice`].
//! - [`probe`] (feature `probe`): TCP, X.224 and TLS as the client sees the server.
//! - [`bundle`]: the one writer of bundle format v1, also used by the sample generator;
//!   [`pack`]: bundle files a user already exported.
#![forbid(unsafe_code)]

pub mod bundle;
pub mod collect;
pub mod decode;
pub mod exec;
pub mod hive;
pub mod live;
pub mod notice;
pub mod pack;
pub mod plan;
#[cfg(feature = "probe")]
pub mod probe;
pub mod redact;
pub mod redact_bundle;
pub mod redact_events;
pub mod redact_registry;
pub mod reg_export;
pub mod volume;

pub use bundle::{ArtifactMeta, BundleError, BundleWriter, ManifestHeader};
