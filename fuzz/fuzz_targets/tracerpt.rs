//! Fuzz target `tracerpt`: see `rdpdiag_fuzz::entry::tracerpt`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::tracerpt, data));
