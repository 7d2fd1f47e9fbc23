#!/usr/bin/env bash
# Peak memory and throughput of `rdpdiag batch` at two batch sizes (issue 5: memory must not
# grow with the batch; the large run's peak RSS must stay within 1.5x of the small one's).
#
#   scripts/batch-memory.sh                 # 200 and 2,000 tickets
#   SMALL=50 LARGE=500 scripts/batch-memory.sh
#
# Tickets are generated with rdpdiag-samples (every scenario in turn, small noise, a new seed
# per round), one folder per ticket holding the client and the server bundle zip. The batch
# runs from a release build under /usr/bin/time -v. Set WORK to keep the tickets and outputs.
set -euo pipefail
cd "$(dirname "$0")/.."

SMALL=${SMALL:-200}
LARGE=${LARGE:-2000}
NOISE=${NOISE:-50}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/rdpdiag-batch-mem.XXXXXX")}
TARGET=${CARGO_TARGET_DIR:-target}

# shellcheck source=scripts/lib/tickets.sh
. scripts/lib/tickets.sh
ensure_gnu_time

echo "building (release)..." >&2
cargo build --release --locked -q -p rdpdiag -p rdpdiag-samples
RDPDIAG="$TARGET/release/rdpdiag"
SAMPLES="$TARGET/release/rdpdiag-samples"

# Runs the batch over $1 into $2; prints "peak_kib seconds tickets_per_s".
measure() {
    local tickets=$1 out=$2 log="$2.time"
    rm -rf "$out"
    local code=0
    /usr/bin/time -v "$RDPDIAG" batch --progress plain --progress-every 30 -o "$out" "$tickets" \
        >"$out.summary.txt" 2>"$log" || code=$?
    if [ "$code" -ne 0 ] && [ "$code" -ne 4 ]; then
        echo "rdpdiag batch failed with status $code; see $log" >&2
        exit 1
    fi
    local kib secs rate
    kib=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$log")
    secs=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['elapsed_s'])" "$out/summary.json")
    rate=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['tickets_per_s'])" "$out/summary.json")
    echo "$kib $secs $rate"
}

echo "generating $LARGE tickets in $WORK (noise $NOISE)..." >&2
generate_tickets "$SAMPLES" "$LARGE" "$WORK/tickets-large" "$NOISE"
mkdir -p "$WORK/tickets-small"
for t in $(ls "$WORK/tickets-large" | head -n "$SMALL"); do
    cp -al "$WORK/tickets-large/$t" "$WORK/tickets-small/$t"
done

echo "running the batch over $SMALL tickets..." >&2
read -r small_kib small_s small_rate < <(measure "$WORK/tickets-small" "$WORK/out-small")
echo "running the batch over $LARGE tickets..." >&2
read -r large_kib large_s large_rate < <(measure "$WORK/tickets-large" "$WORK/out-large")

ratio=$(python3 -c "print(f'{$large_kib / $small_kib:.2f}')")
cores=$(nproc)
echo
echo "rdpdiag batch, release build, $cores cores, noise $NOISE, 2 attempts per ticket"
printf '%7s tickets: peak RSS %6.1f MiB, %7.1f s, %6.2f tickets/s\n' \
    "$SMALL" "$(python3 -c "print($small_kib/1024)")" "$small_s" "$small_rate"
printf '%7s tickets: peak RSS %6.1f MiB, %7.1f s, %6.2f tickets/s\n' \
    "$LARGE" "$(python3 -c "print($large_kib/1024)")" "$large_s" "$large_rate"
echo "peak RSS ratio ($LARGE / $SMALL): $ratio (must be <= 1.5)"
echo "outputs and logs: $WORK"
python3 -c "import sys; sys.exit(0 if $large_kib <= 1.5 * $small_kib else 1)" || {
    echo "FAIL: peak memory grows with the batch" >&2
    exit 1
}
