//! rdpdiag-collect: plans, acquires and packages a diagnostic bundle.
//!
//! Today this crate holds the packaging half ([`bundle`]): the one writer of bundle format v1,
//! used by the collector binary and by the sample generator so that fixtures are packaged
//! exactly like real bundles.
#![forbid(unsafe_code)]

pub mod bundle;
pub mod pack;

pub use bundle::{ArtifactMeta, BundleError, BundleWriter, ManifestHeader};
