#!/usr/bin/env bash
# shellcheck disable=SC2317,SC2016  # step functions are called indirectly; bash -c scripts
# Benchmark of rdpdiag against evtx_dump (issues 7 and 18). See bench/README.md.
#
#   bench/run.sh                 # full size: 700 MB ticket, 300 MB busy server, 1,000 batch tickets, 5 rounds
#   bench/run.sh --quick         # smoke run: 50 MB ticket, 30 MB busy server, 100 batch tickets, 2 rounds
#   bench/run.sh --part analyze  # only the single-ticket shape (or: --part busy, --part batch)
#
# Environment (defaults in brackets; --quick changes the marked ones):
#   WORK           work folder: generated data, run logs, results.txt [bench/.work]
#   ROUNDS         alternating rounds [5; quick 2]
#   BIG_MB         --evtx-mb of the big ticket [700; quick 50]
#   BUSY_MB        --evtx-mb of the busy-server ticket (--scale-shape busy-server) [300; quick 30]
#   TYPICAL_MB     --evtx-mb of the typical ticket [60]
#   BATCH_TICKETS  small tickets in the batch part [1000; quick 100]
#   BATCH_NOISE    --noise of the batch tickets [50]
#   SCENARIO       scenario of the big and the typical ticket [cert-key-unreadable]
#   SEED           seed of the big and the typical ticket [7]
#   THREADS        threads of both tools in the single-ticket part [2]
#   REGEN=1        regenerate the data even when the work folder holds it already
#   CARGO_TARGET_DIR  where the release binaries are built (as cargo)
#
# Every tool runs with RUST_BACKTRACE=0. Exit status: 0 every target met, 1 a target missed,
# 2 the harness failed (build, install, a tool's error or a wrong diagnosis).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

usage() { sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() {
    echo "bench: $*" >&2
    exit 2
}

QUICK=0
PART=all
while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=1 ;;
    --part) [ $# -ge 2 ] || die "--part needs analyze, busy, batch or all"; PART=$2; shift ;;
    --part=*) PART=${1#--part=} ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done
case $PART in analyze | busy | batch | all) ;; *) die "--part must be analyze, busy, batch or all" ;; esac

# The machine's environment sets RUST_BACKTRACE=1; anyhow would capture a backtrace per error.
export RUST_BACKTRACE=0 RUST_LIB_BACKTRACE=0

if [ "$QUICK" = 1 ]; then
    MODE=quick
    ROUNDS=${ROUNDS:-2} BIG_MB=${BIG_MB:-50} BUSY_MB=${BUSY_MB:-30} BATCH_TICKETS=${BATCH_TICKETS:-100}
else
    MODE=full
    ROUNDS=${ROUNDS:-5} BIG_MB=${BIG_MB:-700} BUSY_MB=${BUSY_MB:-300} BATCH_TICKETS=${BATCH_TICKETS:-1000}
fi
TYPICAL_MB=${TYPICAL_MB:-60}
BATCH_NOISE=${BATCH_NOISE:-50}
SCENARIO=${SCENARIO:-cert-key-unreadable}
SEED=${SEED:-7}
THREADS=${THREADS:-2}
REGEN=${REGEN:-0}
TYPICAL_REPS=3 # the typical ticket takes a fraction of a second: three runs per round
for v in ROUNDS BIG_MB BUSY_MB TYPICAL_MB BATCH_TICKETS BATCH_NOISE SEED THREADS; do
    if ! [[ ${!v} =~ ^[0-9]+$ ]] || [ "${!v}" -eq 0 ]; then die "$v must be a positive integer (is '${!v}')"; fi
done

WORK=${WORK:-$ROOT/bench/.work}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
TOOLS=$ROOT/bench/.tools
EVTX_VERSION=0.15.1
DATA=$WORK/data
RUNS=$WORK/runs-$MODE
RESULTS=$WORK/results.txt # the latest run; results-quick.txt / results-full.txt by mode
mkdir -p "$DATA"
rm -rf "$RUNS"
mkdir -p "$RUNS"

# shellcheck source=scripts/lib/tickets.sh
. "$ROOT/scripts/lib/tickets.sh"
ensure_gnu_time

# --- binaries -------------------------------------------------------------------------------

# Without the batch part, rdpdiag is built without its `batch` feature (no polars: a first
# build in minutes, not tens of minutes); `analyze` is the same code either way.
FEATURES=()
[ "$PART" = analyze ] || [ "$PART" = busy ] && FEATURES=(--no-default-features)
echo "building release binaries (cargo build --release --locked ${FEATURES[*]} -p rdpdiag -p rdpdiag-samples -p rdpdiag-bench-floor)..." >&2
cargo build --release --locked -q "${FEATURES[@]}" -p rdpdiag -p rdpdiag-samples -p rdpdiag-bench-floor || die "cargo build failed"
TARGET=$(cargo metadata --format-version 1 --no-deps --locked |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
RDPDIAG=$TARGET/release/rdpdiag
SAMPLES=$TARGET/release/rdpdiag-samples
FLOOR=$TARGET/release/rdpdiag-bench-floor
for exe in "$RDPDIAG" "$SAMPLES" "$FLOOR"; do
    [ -x "$exe" ] || die "release binary $exe not found"
done

evtx_dump_version() { "$1" --version 2>/dev/null | awk '{print $NF}'; }
EVTX_DUMP=$TOOLS/bin/evtx_dump
if [ "$(evtx_dump_version "$EVTX_DUMP")" != "$EVTX_VERSION" ]; then
    echo "installing evtx_dump $EVTX_VERSION into bench/.tools (cargo install evtx, a few minutes;" \
        "log: bench/.tools/install.log)..." >&2
    mkdir -p "$TOOLS"
    # Own target folder: the project's build cache stays untouched; removed once installed.
    if ! CARGO_TARGET_DIR=$TOOLS/build cargo install evtx --version "$EVTX_VERSION" --locked \
        --force --root "$TOOLS" >"$TOOLS/install.log" 2>&1; then
        tail -n 20 "$TOOLS/install.log" >&2
        die "cargo install evtx --version $EVTX_VERSION failed (log: $TOOLS/install.log)"
    fi
    rm -rf "$TOOLS/build"
    [ "$(evtx_dump_version "$EVTX_DUMP")" = "$EVTX_VERSION" ] ||
        die "$EVTX_DUMP does not report version $EVTX_VERSION after the install"
fi
EVTX_DUMP_VERSION=$("$EVTX_DUMP" --version)
RDPDIAG_VERSION=$("$RDPDIAG" --version)
echo "rdpdiag:   $RDPDIAG ($RDPDIAG_VERSION)" >&2
echo "evtx_dump: $EVTX_DUMP ($EVTX_DUMP_VERSION)" >&2

# --- data -----------------------------------------------------------------------------------

# The stamp names the parameters and the generator binary; data with another stamp is redone.
SAMPLES_SUM=$(sha256sum "$SAMPLES" | cut -c1-16)

# ensure_data DIR DESCRIPTION GENERATOR: runs "GENERATOR DIR.tmp" and renames the result to DIR,
# unless DIR.stamp already holds the same description (generator binary included).
ensure_data() {
    local dir=$1 stamp="$2 rdpdiag-samples:$SAMPLES_SUM" gen=$3
    if [ "$REGEN" != 1 ] && [ -d "$dir" ] && [ "$(cat "$dir.stamp" 2>/dev/null)" = "$stamp" ]; then
        echo "reusing $dir" >&2
        return 0
    fi
    echo "generating $dir ..." >&2
    rm -rf "$dir" "$dir.tmp" "$dir.stamp" "$dir.records"
    "$gen" "$dir.tmp"
    mv "$dir.tmp" "$dir"
    printf '%s\n' "$stamp" >"$dir.stamp"
}
gen_big_dir() { "$SAMPLES" generate "$SCENARIO" --evtx-mb "$BIG_MB" --seed "$SEED" --dir -o "$1" >/dev/null; }
gen_big_zip() { "$SAMPLES" generate "$SCENARIO" --evtx-mb "$BIG_MB" --seed "$SEED" -o "$1" >/dev/null; }
gen_busy_dir() {
    "$SAMPLES" generate "$SCENARIO" --evtx-mb "$BUSY_MB" --scale-shape busy-server --seed "$SEED" --dir -o "$1" >/dev/null
}
gen_typical() { "$SAMPLES" generate "$SCENARIO" --evtx-mb "$TYPICAL_MB" --seed "$SEED" -o "$1" >/dev/null; }
gen_tickets() { generate_tickets "$SAMPLES" "$BATCH_TICKETS" "$1" "$BATCH_NOISE"; }

BIG_DIR=$DATA/$SCENARIO-${BIG_MB}mb-seed$SEED-dir
BIG_ZIP=$DATA/$SCENARIO-${BIG_MB}mb-seed$SEED-zip
TYP_ZIP=$DATA/$SCENARIO-${TYPICAL_MB}mb-seed$SEED-zip
BUSY_DIR=$DATA/$SCENARIO-busy-server-${BUSY_MB}mb-seed$SEED-dir
TICKETS=$DATA/batch-$BATCH_TICKETS-noise$BATCH_NOISE

EXPECTED=$("$SAMPLES" list | awk -v s="$SCENARIO" '$1 == s {print $2}')
[ -n "$EXPECTED" ] || die "unknown scenario $SCENARIO (see rdpdiag-samples list)"

META=$RUNS/meta.tsv
meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }
meta mode "$MODE"
meta date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
[ -z "$(git status --porcelain 2>/dev/null)" ] || GIT_REV="$GIT_REV (with uncommitted changes)"
meta git "$GIT_REV"
meta cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo) x $(nproc)"
meta rdpdiag "$RDPDIAG_VERSION"
meta evtx_dump "$EVTX_DUMP_VERSION"
meta rounds "$ROUNDS"
meta threads "$THREADS"
meta scenario "$SCENARIO"
meta seed "$SEED"

# --- timing ---------------------------------------------------------------------------------

SAMPLES_TSV=$RUNS/samples.tsv
: >"$SAMPLES_TSV"

# timed LABEL ROUND OK_CODES CMD...: runs CMD under GNU time (peak RSS) with its standard output
# thrown away and its standard error in RUNS/LABEL.log; wall time from the shell's clock (finer
# than time's %e). Appends "LABEL ROUND wall_s peak_kib" to the samples.
timed() {
    local label=$1 round=$2 ok=$3 code=0 t0 t1 wall kib
    shift 3
    t0=${EPOCHREALTIME/,/.}
    /usr/bin/time -o "$RUNS/time.out" -f '%e %M' "$@" >/dev/null 2>"$RUNS/$label.log" || code=$?
    t1=${EPOCHREALTIME/,/.}
    case " $ok " in
    *" $code "*) ;;
    *) die "$label (round $round) exited with status $code: $* (log: $RUNS/$label.log)" ;;
    esac
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')
    kib=$(awk 'END {print $2}' "$RUNS/time.out")
    printf '%s\t%s\t%s\t%s\n' "$label" "$round" "$wall" "$kib" >>"$SAMPLES_TSV"
    printf '  %-14s %8.3f s %8.1f MiB\n' "$label" "$wall" "$(awk -v k="$kib" 'BEGIN {print k / 1024}')" >&2
}

# check_report FILE: the analysis named the scenario's cause.
check_report() {
    [ "$EXPECTED" = - ] && return 0
    python3 - "$1" "$EXPECTED" <<'EOF' || die "wrong diagnosis in $1 (expected $EXPECTED)"
import json, sys
r = json.load(open(sys.argv[1]))
if r.get("top_cause") != sys.argv[2]:
    print(f"verdict {r.get('verdict')}, top cause {r.get('top_cause')}", file=sys.stderr)
    sys.exit(1)
EOF
}

# events_kept FILE: the events the report's hosts kept, summed.
events_kept() {
    python3 -c 'import json, sys; print(sum(h.get("events", 0) for h in json.load(open(sys.argv[1])).get("hosts", [])))' "$1"
}

# --- single ticket: rdpdiag analyze against evtx_dump -----------------------------------------

# describe_data DIR PREFIX: the .evtx files of DIR into the global arrays FILES (by name) and
# BY_SIZE (largest first); their count, bytes, records and largest file into the meta, keys
# prefixed with PREFIX.
describe_data() {
    local dir=$1 p=$2 f
    mapfile -t FILES < <(find "$dir" -type f -name '*.evtx' | sort)
    mapfile -t BY_SIZE < <(find "$dir" -type f -name '*.evtx' -printf '%s\t%p\n' | sort -rn | cut -f2-)
    [ "${#FILES[@]}" -gt 0 ] || die "no .evtx files under $dir"
    local bytes largest
    bytes=$(find "$dir" -type f -name '*.evtx' -printf '%s\n' | awk '{s += $1} END {print s}')
    largest=$(find "$dir" -type f -name '*.evtx' -printf '%s\t%P\n' | sort -rn | head -n 1)

    # Records: what evtx_dump prints, one JSON line per record, counted once per data set.
    if [ ! -s "$dir.records" ]; then
        echo "counting the records (evtx_dump -o jsonl | wc -l)..." >&2
        local total=0 n
        : >"$RUNS/count.log"
        for f in "${FILES[@]}"; do
            n=$("$EVTX_DUMP" -t "$THREADS" -o jsonl "$f" 2>>"$RUNS/count.log" | wc -l) ||
                die "evtx_dump failed on $f (log: $RUNS/count.log)"
            total=$((total + n))
        done
        if [ -s "$RUNS/count.log" ]; then
            echo "warning: evtx_dump reported problems while counting (see $RUNS/count.log)" >&2
        fi
        echo "$total" >"$dir.records"
    fi
    local records
    records=$(cat "$dir.records")
    meta "${p}files" "${#FILES[@]}"
    meta "${p}bytes" "$bytes"
    meta "${p}records" "$records"
    meta "${p}largest_bytes" "${largest%%$'\t'*}"
    meta "${p}largest_name" "${largest#*$'\t'}"
    echo "$dir: ${#FILES[@]} .evtx files, $bytes bytes, $records records;" \
        "largest ${largest#*$'\t'} (${largest%%$'\t'*} bytes)" >&2
}

# The steps every shape has, on the folders in FILES / BY_SIZE; LABEL is the shape's prefix.
step_evtx_seq_of() { # PREFIX ROUND
    # One file after another, THREADS worker threads each.
    timed "${1}evtx-seq" "$2" 0 bash -c \
        'exe=$1 t=$2; shift 2; for f; do "$exe" -t "$t" -o jsonl "$f" || exit; done' \
        evtx-seq "$EVTX_DUMP" "$THREADS" "${FILES[@]}"
}
step_evtx_par_of() { # PREFIX ROUND
    # THREADS processes of one thread each, largest file first.
    timed "${1}evtx-par" "$2" 0 bash -c \
        'exe=$1 p=$2; shift 2; printf "%s\0" "$@" | xargs -0 -n 1 -P "$p" "$exe" -t 1 -o jsonl' \
        evtx-par "$EVTX_DUMP" "$THREADS" "${BY_SIZE[@]}"
}
step_floor_of() { # PREFIX ROUND
    # No record looked at: read, BLAKE3 and chunk CRCs of the same files, same threads.
    timed "${1}floor" "$2" 0 env RAYON_NUM_THREADS="$THREADS" "$FLOOR" "${BY_SIZE[@]}"
}

# run_rounds STEP...: ROUNDS rounds of the steps, every other round in reverse order.
run_rounds() {
    local steps=("$@") r i
    for ((r = 1; r <= ROUNDS; r++)); do
        echo "round $r of $ROUNDS:" >&2
        if ((r % 2)); then
            for ((i = 0; i < ${#steps[@]}; i++)); do "${steps[i]}" "$r"; done
        else # every other round in reverse order, so neither tool always runs first
            for ((i = ${#steps[@]} - 1; i >= 0; i--)); do "${steps[i]}" "$r"; done
        fi
    done
}

part_analyze() {
    ensure_data "$BIG_DIR" "$SCENARIO --evtx-mb $BIG_MB --seed $SEED --dir" gen_big_dir
    ensure_data "$BIG_ZIP" "$SCENARIO --evtx-mb $BIG_MB --seed $SEED" gen_big_zip
    ensure_data "$TYP_ZIP" "$SCENARIO --evtx-mb $TYPICAL_MB --seed $SEED" gen_typical

    meta big_mb "$BIG_MB"
    describe_data "$BIG_DIR" big_
    local typ_bytes
    typ_bytes=$(python3 - "$TYP_ZIP"/*.zip <<'EOF'
import sys, zipfile
print(sum(i.file_size for p in sys.argv[1:] for i in zipfile.ZipFile(p).infolist()
          if i.filename.lower().endswith(".evtx")))
EOF
    )

    meta typical_mb "$TYPICAL_MB"
    meta typical_bytes "$typ_bytes"

    echo "warming the page cache..." >&2
    cat "${FILES[@]}" "$BIG_ZIP"/*.zip "$TYP_ZIP"/*.zip >/dev/null

    local rdp=(env RAYON_NUM_THREADS="$THREADS" "$RDPDIAG" analyze --format json)
    step_rdpdiag_dir() {
        timed rdpdiag-dir "$1" 0 "${rdp[@]}" -o "$RUNS/report-dir.json" \
            "$BIG_DIR/$SCENARIO-client" "$BIG_DIR/$SCENARIO-server"
        check_report "$RUNS/report-dir.json"
        KEPT=$(events_kept "$RUNS/report-dir.json")
    }
    step_rdpdiag_zip() {
        timed rdpdiag-zip "$1" 0 "${rdp[@]}" -o "$RUNS/report-zip.json" \
            "$BIG_ZIP/$SCENARIO-client.zip" "$BIG_ZIP/$SCENARIO-server.zip"
        check_report "$RUNS/report-zip.json"
    }
    step_rdpdiag_all() {
        # Issue 18's filter and second phase off: what analyze did before, same run.
        timed rdpdiag-all "$1" 0 "${rdp[@]}" --keep-every-network-logon -o "$RUNS/report-dir-all.json" \
            "$BIG_DIR/$SCENARIO-client" "$BIG_DIR/$SCENARIO-server"
        check_report "$RUNS/report-dir-all.json"
        KEPT_ALL=$(events_kept "$RUNS/report-dir-all.json")
    }
    step_evtx_seq() { step_evtx_seq_of "" "$1"; }
    step_evtx_par() { step_evtx_par_of "" "$1"; }
    step_floor() { step_floor_of "" "$1"; }
    step_typical() {
        local i
        for ((i = 1; i <= TYPICAL_REPS; i++)); do
            timed typical-zip "$1" 0 "${rdp[@]}" -o "$RUNS/report-typical.json" \
                "$TYP_ZIP/$SCENARIO-client.zip" "$TYP_ZIP/$SCENARIO-server.zip"
            check_report "$RUNS/report-typical.json"
        done
    }
    echo "single ticket ($SCENARIO, --evtx-mb $BIG_MB):" >&2
    KEPT="?" KEPT_ALL="?"
    run_rounds step_rdpdiag_dir step_evtx_seq step_evtx_par step_floor step_rdpdiag_zip step_typical step_rdpdiag_all
    meta big_kept "$KEPT"
    meta big_kept_all "$KEPT_ALL"
}

# --- busy server: Security full of network logons (issue 18) --------------------------------

part_busy() {
    ensure_data "$BUSY_DIR" "$SCENARIO --evtx-mb $BUSY_MB --scale-shape busy-server --seed $SEED --dir" gen_busy_dir
    meta busy_mb "$BUSY_MB"
    describe_data "$BUSY_DIR" busy_
    echo "warming the page cache..." >&2
    cat "${FILES[@]}" >/dev/null

    local rdp=(env RAYON_NUM_THREADS="$THREADS" "$RDPDIAG" analyze --format json)
    step_busy_rdpdiag() {
        timed busy:rdpdiag-dir "$1" 0 "${rdp[@]}" -o "$RUNS/report-busy.json" \
            "$BUSY_DIR/$SCENARIO-client" "$BUSY_DIR/$SCENARIO-server"
        check_report "$RUNS/report-busy.json"
        KEPT=$(events_kept "$RUNS/report-busy.json")
    }
    step_busy_unfiltered() {
        # Issue 18's filter and second phase off (every network logon kept): the "before",
        # same binary, same run.
        timed busy:rdpdiag-all "$1" 0 "${rdp[@]}" --keep-every-network-logon -o "$RUNS/report-busy-all.json" \
            "$BUSY_DIR/$SCENARIO-client" "$BUSY_DIR/$SCENARIO-server"
        check_report "$RUNS/report-busy-all.json"
        KEPT_ALL=$(events_kept "$RUNS/report-busy-all.json")
    }
    step_busy_evtx_seq() { step_evtx_seq_of busy: "$1"; }
    step_busy_evtx_par() { step_evtx_par_of busy: "$1"; }
    step_busy_floor() { step_floor_of busy: "$1"; }
    echo "busy server ($SCENARIO, --evtx-mb $BUSY_MB --scale-shape busy-server):" >&2
    KEPT="?" KEPT_ALL="?"
    run_rounds step_busy_rdpdiag step_busy_evtx_seq step_busy_evtx_par step_busy_floor step_busy_unfiltered
    meta busy_kept "$KEPT"
    meta busy_kept_all "$KEPT_ALL"
}

# --- batch: tickets/s at 1 and 2 jobs -------------------------------------------------------

part_batch() {
    ensure_data "$TICKETS" "generate_tickets $BATCH_TICKETS noise $BATCH_NOISE" gen_tickets
    meta batch_tickets "$BATCH_TICKETS"
    meta batch_noise "$BATCH_NOISE"
    local out=$RUNS/batch-out
    step_batch() { # JOBS ROUND
        rm -rf "$out"
        timed "batch-j$1" "$2" 0 "$RDPDIAG" batch --jobs "$1" --progress none -o "$out" "$TICKETS"
        python3 - "$out/summary.json" "$BATCH_TICKETS" <<'EOF' || die "batch --jobs $1 did not analyse every ticket (see $out/summary.json)"
import json, sys
s = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
if s.get("tickets_done") != want or s.get("tickets_ok") != want:
    print(f"tickets done {s.get('tickets_done')}, ok {s.get('tickets_ok')}, want {want}", file=sys.stderr)
    sys.exit(1)
EOF
    }
    local r
    for ((r = 1; r <= ROUNDS; r++)); do
        echo "batch of $BATCH_TICKETS tickets, round $r of $ROUNDS:" >&2
        if ((r % 2)); then step_batch 1 "$r"; step_batch 2 "$r"; else step_batch 2 "$r"; step_batch 1 "$r"; fi
    done
    rm -rf "$out"
}

loadavg() { awk '{print $1}' /proc/loadavg; }
meta load_start "$(loadavg)"
case $PART in
analyze) part_analyze ;;
busy) part_busy ;;
batch) part_batch ;;
all) part_analyze; part_busy; part_batch ;;
esac

# --- results --------------------------------------------------------------------------------

meta load_end "$(loadavg)"
echo >&2
set +e
python3 "$ROOT/bench/stats.py" "$META" "$SAMPLES_TSV" | tee "$RESULTS"
status=${PIPESTATUS[0]}
set -e
cp "$RESULTS" "$WORK/results-$MODE.txt"
echo "results: $RESULTS (also $WORK/results-$MODE.txt; samples: $SAMPLES_TSV)" >&2
exit "$status"
