//! The contract between the rdpdiag collector and analyzer.
//!
//! - [`manifest`]: bundle manifest v1 (`manifest.json` at the root of a bundle zip).
//! - [`domain`]: names shared by every crate: host roles, artifact kinds, root-cause ids.
//! - [`codes`]: disconnect reasons, extended reasons and the layer decoding of reason codes.
//!
//! Every type here derives `serde` and `schemars`; the JSON Schemas under `schemas/json/` are
//! generated from them (see [`json_schemas`]) and a test fails when they are stale.
#![forbid(unsafe_code)]

pub mod codes;
pub mod domain;
pub mod manifest;

pub use domain::{ArtifactKind, ArtifactStatus, Role, RootCauseId};
pub use manifest::{Manifest, ManifestError};

/// Every committed JSON Schema: (file name under `schemas/json/`, schema document).
pub fn json_schemas() -> Vec<(&'static str, serde_json::Value)> {
    vec![(
        "manifest.v1.schema.json",
        serde_json::to_value(schemars::schema_for!(manifest::Manifest))
            .unwrap_or(serde_json::Value::Null),
    )]
}
