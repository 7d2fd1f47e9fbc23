//! Fuzz target `acl_list`: see `rdpdiag_fuzz::entry::acl_list`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpdiag_fuzz::run(rdpdiag_fuzz::entry::acl_list, data));
