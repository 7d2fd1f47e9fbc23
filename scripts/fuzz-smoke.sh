#!/usr/bin/env bash
# Fuzz smoke test: builds every cargo-fuzz target (fuzz/, AddressSanitizer), replays the kept
# crash inputs (fuzz/regressions/<target>/), then fuzzes each target for FUZZ_SECONDS (default
# 10) from the seed corpus (fuzz/seed.sh). Fails when any target crashes, leaks past the RSS
# limit, or times out on an input; the failing input is left in fuzz/artifacts/<target>/.
#
# cargo-fuzz needs nightly compiler flags; on stable rustc, RUSTC_BOOTSTRAP=1 allows them.
# Local runs of at least 10 minutes per target: FUZZ_SECONDS=600 scripts/fuzz-smoke.sh TARGET...
# FUZZ_TARGET_DIR: where to build (default fuzz/target).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
FUZZ_SECONDS="${FUZZ_SECONDS:-10}"
export RUST_BACKTRACE=0
export RUSTC_BOOTSTRAP=1
# Leaks are not bugs here (caches held until exit); every other ASan finding is.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"

if ! cargo fuzz --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION"; then
  echo "fuzz-smoke: installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --quiet
fi

# Largest input per target: whole chunks for EVTX, a bundle, a hive with its first bins.
max_len() {
  case "$1" in
    evtx) echo 262144 ;;
    hive) echo 1048576 ;;
    bundle_zip) echo 131072 ;;
    *) echo 65536 ;;
  esac
}

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi

start=$(date +%s)
# All targets in one cargo run (they share every dependency). Own target folder: sanitizer
# flags would otherwise rebuild whatever CARGO_TARGET_DIR holds.
target_dir="${FUZZ_TARGET_DIR:-fuzz/target}"
cargo fuzz build --fuzz-dir fuzz --target-dir "$target_dir"
built=$(date +%s)
echo "fuzz-smoke: build took $((built - start)) s"

./fuzz/seed.sh >/dev/null
bin_dir="$target_dir/$(rustc -vV | sed -n 's/^host: //p')/release"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "fuzz/artifacts/$t" "fuzz/corpus/$t"
  common=(-rss_limit_mb=2048 -timeout=10 "-max_len=$(max_len "$t")" "-artifact_prefix=fuzz/artifacts/$t/")
  log="fuzz/artifacts/$t/smoke.log"
  # Kept crash inputs first: each must now run clean.
  if compgen -G "fuzz/regressions/$t/*" >/dev/null; then
    regs=()
    for f in fuzz/regressions/"$t"/*; do
      [ "$(basename "$f")" = README.md ] || regs+=("$f")
    done
    if [ "${#regs[@]}" -gt 0 ] && ! "$bin_dir/$t" "${common[@]}" "${regs[@]}" >"$log" 2>&1; then
      echo "fuzz-smoke: $t: a kept regression input fails again:" >&2
      tail -n 30 "$log" >&2
      failed+=("$t (regression)")
      continue
    fi
  fi
  if "$bin_dir/$t" "${common[@]}" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
    "fuzz/corpus/$t" >"$log" 2>&1; then
    echo "fuzz-smoke: $t: ok, $(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -E 's/ +/ /g' | cut -c1-100)"
  else
    echo "fuzz-smoke: $t: FAILED (input saved in fuzz/artifacts/$t/):" >&2
    grep -E 'ERROR|panicked|SUMMARY|Test unit written' "$log" | head -n 10 >&2 || true
    tail -n 30 "$log" >&2
    failed+=("$t")
  fi
done
echo "fuzz-smoke: ${#targets[@]} targets, $FUZZ_SECONDS s each, $(($(date +%s) - built)) s fuzzing"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz-smoke: failures: ${failed[*]}" >&2
  exit 1
fi
