//! Fuzz target `netstat`: see `rdpdiag_fuzz::entry::netstat`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::netstat, data));
