//! Fuzz target `ipconfig`: see `rdpdiag_fuzz::entry::ipconfig`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::ipconfig, data));
