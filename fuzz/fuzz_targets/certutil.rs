//! Fuzz target `certutil`: see `rdpdiag_fuzz::entry::certutil`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::certutil, data));
