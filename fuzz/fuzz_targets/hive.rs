//! Fuzz target `hive`: see `rdpdiag_fuzz::entry::hive`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::hive, data));
