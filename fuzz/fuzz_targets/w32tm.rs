//! Fuzz target `w32tm`: see `rdpdiag_fuzz::entry::w32tm`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::w32tm, data));
