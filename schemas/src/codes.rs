//! Code tables: filled in by the schemas work.
