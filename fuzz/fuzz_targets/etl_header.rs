//! Fuzz target `etl_header`: see `rdpdiag_fuzz::entry::etl_header`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::etl_header, data));
