//! Fuzz target `fw_rule_string`: see `rdpdiag_fuzz::entry::fw_rule_string`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::fw_rule_string, data));
