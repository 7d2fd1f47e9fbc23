#!/usr/bin/env bash
# The README's test command: lint and run every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUST_BACKTRACE=${RUST_BACKTRACE:-0}
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
