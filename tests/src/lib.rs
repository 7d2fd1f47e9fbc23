//! End-to-end tests across the rdpdiag crates live in `tests/tests/it/`; this library is empty.
#![forbid(unsafe_code)]
