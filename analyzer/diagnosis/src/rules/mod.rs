//! The rule catalog: root-cause knowledge as data files (`analyzer/rules/*.toml`).
//!
//! [`spec`] is the file format, [`load`] parses and validates files (errors name the file and
//! line), [`catalog`] merges the embedded defaults with a `--rules DIR` override. Evaluation
//! lives in the diagnose stage; this module knows nothing about events.

pub mod catalog;
pub mod load;
pub mod spec;
pub mod vocabulary;

pub use catalog::{Catalog, EMBEDDED_RULES};
pub use load::{RuleError, check_dir, parse_rule};
pub use spec::{AttemptMatch, EventMatch, EvidenceSpec, FactMatch, HostSel, Op, Predicate, Rule, Window};
