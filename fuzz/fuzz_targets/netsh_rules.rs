//! Fuzz target `netsh_rules`: see `rdpdiag_fuzz::entry::netsh_rules`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::netsh_rules, data));
