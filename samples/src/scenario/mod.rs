//! Scenario generator: for each root cause of 0x904 / extended 0x7, a client bundle and a
//! server bundle whose events, registry exports and command outputs carry exactly the
//! evidence of field guide section 5, buried in ordinary noise.
//!
//! [`world`] simulates what happened (true time; each host stamps its own skewed clock),
//! [`artifacts`] renders each host's files, [`layout`] packages them as our bundle, an
//! MSRD-Collect zip, or an ad-hoc zip of loose files.

pub mod artifacts;
pub mod catalog;
pub mod config;
pub mod host;
pub mod hostile;
pub mod layout;
pub mod noise;
pub mod providers;
pub mod world;

pub use catalog::{ScenarioKind, ScenarioSpec, catalog, find};
pub use layout::{
    GenerateError, GenerateOptions, Generated, Layout, Packaging, ScaleShape, TimeZoneOpt, generate,
    readme_table,
};
pub use world::{AttemptTruth, Planted, World, WorldOptions};
