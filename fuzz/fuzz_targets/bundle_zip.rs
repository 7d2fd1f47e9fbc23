//! Fuzz target `bundle_zip`: see `rdpdiag_fuzz::entry::bundle_zip`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::bundle_zip, data));
