//! The contract between the rdpdiag collector and analyzer.
//!
//! - [`manifest`]: bundle manifest v1 (`manifest.json` at the root of a bundle zip).
//! - [`domain`]: names shared by every crate: host roles, artifact kinds, root-cause ids.
//! - [`channels`]: the event log channel names the collector and the analyzer read, spelled once.
//! - [`event_interest`]: the event log records the analyzer can use (what `--redact` keeps).
//! - [`registry_interest`]: the registry keys the analyzer reads (what `--redact` keeps of hives
//!   and `reg export`s).
//! - [`codes`]: disconnect reasons, extended reasons and the layer decoding of reason codes.
//! - [`report`]: the analysis report (`rdpdiag analyze --format json`).
//! - [`probe`]: what the collector's server probe means for a Windows client (outcome, code,
//!   server-side causes and their evidence).
//! - [`tables`]: the batch tables (`rdpdiag batch`): columns and types, and the batch summary.
//!
//! Every type here derives `serde` and `schemars`; the JSON Schemas under `schemas/json/` are
//! generated from them (see [`json_schemas`]) and a test fails when they are stale.
#![forbid(unsafe_code)]

pub mod channels;
pub mod codes;
pub mod domain;
pub mod event_interest;
pub mod manifest;
pub mod probe;
pub mod registry_interest;
pub mod report;
pub mod tables;

pub use domain::{ArtifactKind, ArtifactStatus, Role, RootCauseId};
pub use manifest::{Manifest, ManifestError};

/// Every committed JSON Schema: (file name under `schemas/json/`, schema document).
pub fn json_schemas() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        (
            "manifest.v1.schema.json",
            serde_json::to_value(schemars::schema_for!(manifest::Manifest))
                .unwrap_or(serde_json::Value::Null),
        ),
        (
            "explanation.v1.schema.json",
            serde_json::to_value(schemars::schema_for!(codes::Explanation))
                .unwrap_or(serde_json::Value::Null),
        ),
        (
            "report.v1.schema.json",
            serde_json::to_value(schemars::schema_for!(report::Report)).unwrap_or(serde_json::Value::Null),
        ),
        (
            "codes.v1.schema.json",
            serde_json::to_value(schemars::schema_for!(codes::CodeTables)).unwrap_or(serde_json::Value::Null),
        ),
        (
            "batch-summary.v1.schema.json",
            serde_json::to_value(schemars::schema_for!(tables::BatchSummary))
                .unwrap_or(serde_json::Value::Null),
        ),
    ]
}

/// Every committed file under `schemas/json/`: the schemas of [`json_schemas`] plus
/// `codes.v1.json`, the code tables as data for tools that do not link this crate, and
/// `tables.v1.json`, the batch tables' columns and types.
pub fn json_files() -> Vec<(&'static str, serde_json::Value)> {
    let mut files = json_schemas();
    files.push((
        "codes.v1.json",
        serde_json::to_value(codes::code_tables()).unwrap_or(serde_json::Value::Null),
    ));
    files.push((
        "tables.v1.json",
        serde_json::to_value(tables::tables_doc()).unwrap_or(serde_json::Value::Null),
    ));
    files
}

/// Renders JSON the way the committed files are written: keys sorted at every level (whatever
/// serde_json features other crates switch on), two-space indent, trailing newline.
pub fn render_json(value: &serde_json::Value) -> String {
    let mut value = value.clone();
    sort_keys(&mut value);
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn sort_keys(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.sort_keys();
            map.values_mut().for_each(sort_keys);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}
