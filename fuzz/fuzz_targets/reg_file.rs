//! Fuzz target `reg_file`: see `rdpdiag_fuzz::entry::reg_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::reg_file, data));
