//! `reg export` writer.
