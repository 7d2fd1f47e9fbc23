//! Fuzz target `json_artifacts`: see `rdpdiag_fuzz::entry::json_artifacts`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::json_artifacts, data));
