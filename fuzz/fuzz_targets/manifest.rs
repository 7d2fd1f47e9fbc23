//! Fuzz target `manifest`: see `rdpdiag_fuzz::entry::manifest`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::manifest, data));
