//! Fuzz target `rule_file`: see `rdpdiag_fuzz::entry::rule_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::rule_file, data));
