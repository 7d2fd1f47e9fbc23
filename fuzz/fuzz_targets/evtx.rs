//! Fuzz target `evtx`: see `rdpdiag_fuzz::entry::evtx`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::evtx, data));
