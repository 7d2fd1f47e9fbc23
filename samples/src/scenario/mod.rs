//! Scenario generator.
