#!/usr/bin/env bash
# Container smoke test: builds the image once (scripts/container-image.sh: static binaries,
# podman FROM scratch, OCI archive), unpacks the archive's layers into a folder and runs the
# rdpdiag inside it as the Kubernetes Indexed Job of the README would: the image's user (65532),
# an empty environment, only the image's files (chroot into the unpacked layer when the machine
# allows chroot), tickets under /data. Checks:
#   - the image config: user 65532, entrypoint rdpdiag, volume /data, one layer of known files;
#   - the binaries are static and run with `env -i`;
#   - `--shard auto` with no array-job variable fails with exit 2 and names them;
#   - `batch --shard 0/2` and `--shard auto` with JOB_COMPLETION_INDEX=1 JOB_COMPLETIONS=2 (that is
#     1/2, with --partial-ok: exit 0) into one output folder give the same tickets table as one
#     unsharded run (CSV rows sorted by ticket_id; the per-run columns started_utc and
#     elapsed_ms left out), and the same attempts and findings row counts.
# Tickets: every committed sample zip as a ticket of its own (samples/bundles), plus each
# scenario's client and server bundles as one ticket folder.
#
# Run as root on Debian (podman is installed when missing). Everything lives under
# $CONTAINER_WORK (default target/container).
# The binaries are linked with the dev profile by default (CONTAINER_PROFILE, see
# container-image.sh): after `cargo test` only the two binary crates compile (12 s each), where a
# release build of the workspace took 17 min of CI's time. Set CONTAINER_PROFILE=release to
# check the image as shipped (37 min cold on this machine). Everything else takes 30 s (podman
# install 23 s, image 4 s, unpack and the four batch runs over 58 tickets 3 s).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${CONTAINER_WORK:-$ROOT/target/container}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
export CONTAINER_WORK=$WORK
export CONTAINER_PROFILE=${CONTAINER_PROFILE:-dev}
T0=$(date +%s)
t() { local s; s=$(date +%s%N); "$@"; local ms=$(( ($(date +%s%N) - s) / 1000000 )); echo "[time] $((ms/1000)).$(( (ms%1000)/100 ))s: $*" >&2; }
fail() { echo "container smoke: FAIL: $*" >&2; exit 1; }

# 1) image (and the static binaries, built once here).
t "$ROOT/scripts/container-image.sh"
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)
ARCHIVE="$WORK/rdpdiag-$VERSION.oci.tar"
[ -s "$ARCHIVE" ] || fail "no OCI archive at $ARCHIVE"

# 2) unpack: index.json -> manifest -> config and layers (applied in order; FROM scratch has
#    no whiteouts to honour). tar as root keeps the owners (/data is 65532's).
OCI="$WORK/oci"
FS="$WORK/rootfs"
rm -rf "$OCI" "$FS"
mkdir -p "$OCI" "$FS"
tar -xf "$ARCHIVE" -C "$OCI"
python3 - "$OCI" >"$WORK/layers.txt" <<'PY'
import json, os, sys
oci = sys.argv[1]
blob = lambda d: os.path.join(oci, "blobs", *d.split(":", 1))
index = json.load(open(os.path.join(oci, "index.json")))
assert len(index["manifests"]) == 1, index
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
config = json.load(open(blob(manifest["config"]["digest"])))["config"]
problems = []
if config.get("User") != "65532:65532":
    problems.append(f"user {config.get('User')!r}, expected 65532:65532")
if config.get("Entrypoint") != ["/usr/local/bin/rdpdiag"]:
    problems.append(f"entrypoint {config.get('Entrypoint')!r}")
if "/data" not in (config.get("Volumes") or {}):
    problems.append(f"volumes {config.get('Volumes')!r}, expected /data")
if len(manifest["layers"]) != 1:
    problems.append(f"{len(manifest['layers'])} layers, expected 1 (--squash)")
if problems:
    sys.exit("image config: " + "; ".join(problems))
for layer in manifest["layers"]:
    print(blob(layer["digest"]), layer["size"])
PY
LAYER_BYTES=0
while read -r layer size; do
  tar -xf "$layer" -C "$FS"
  LAYER_BYTES=$((LAYER_BYTES + size))
done <"$WORK/layers.txt"
FILES=$(cd "$FS" && find . -mindepth 1 | sort | tr '\n' ' ')
EXPECTED="./data ./etc ./etc/group ./etc/passwd ./tmp ./usr ./usr/local ./usr/local/bin ./usr/local/bin/rdpdiag ./usr/local/bin/rdpdiag-collect "
[ "$FILES" = "$EXPECTED" ] || fail "the image holds: $FILES"
[ "$(stat -c %u:%g "$FS/data")" = 65532:65532 ] || fail "/data is owned by $(stat -c %u:%g "$FS/data")"

# 3) how to run the image's rdpdiag: chrooted as 65532 with an empty environment, or (where
#    chroot is not allowed) straight from the unpacked folder.
for b in rdpdiag rdpdiag-collect; do
  ldd "$FS/usr/local/bin/$b" 2>&1 | grep -Eq 'not a dynamic executable|statically linked' \
    || fail "$b in the image is dynamically linked"
done
CHROOT=$(command -v chroot || true)
if [ -n "$CHROOT" ] && "$CHROOT" --userspec=65532:65532 "$FS" /usr/local/bin/rdpdiag --version >/dev/null 2>&1; then
  MODE=chroot
  img() { env -i "$@" "$CHROOT" --userspec=65532:65532 "$FS" /usr/local/bin/rdpdiag "${IMG_ARGS[@]}"; }
  DATA=/data
else
  MODE=direct
  echo "note: chroot is not permitted here; running $FS/usr/local/bin/rdpdiag directly with env -i" >&2
  img() { env -i "$@" "$FS/usr/local/bin/rdpdiag" "${IMG_ARGS[@]}"; }
  DATA=$FS/data
fi
IMG_ARGS=(--version); img >/dev/null
env -i "$FS/usr/local/bin/rdpdiag-collect" --version >/dev/null

# 4) tickets under /data/tickets: the committed zips one by one, and each scenario's pair.
T="$FS/data/tickets"
mkdir -p "$T/zips" "$T/pairs"
cp "$ROOT"/samples/bundles/*.zip "$T/zips/"
for c in "$ROOT"/samples/bundles/*-client.zip; do
  s=$(basename "$c" -client.zip)
  [ -f "$ROOT/samples/bundles/$s-server.zip" ] || continue
  mkdir -p "$T/pairs/$s"
  cp "$c" "$ROOT/samples/bundles/$s-server.zip" "$T/pairs/$s/"
done
chmod -R a+rX "$T"
TICKETS=$(( $(find "$T/zips" -name '*.zip' | wc -l) + $(find "$T/pairs" -mindepth 1 -maxdepth 1 -type d | wc -l) ))

run() { # expected-status... -- env... -- args...
  local want=() envs=() rc
  while [ "$1" != -- ]; do want+=("$1"); shift; done; shift
  while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
  IMG_ARGS=("$@")
  local s; s=$(date +%s%N)
  set +e
  img "${envs[@]}" >"$WORK/run.out" 2>"$WORK/run.err"
  rc=$?
  set -e
  echo "[time] $(( ($(date +%s%N) - s) / 1000000 )) ms, exit $rc: ${envs[*]} rdpdiag ${IMG_ARGS[*]}" >&2
  for w in "${want[@]}"; do [ "$rc" = "$w" ] && return 0; done
  cat "$WORK/run.out" "$WORK/run.err" >&2
  fail "rdpdiag ${IMG_ARGS[*]} exited $rc (expected ${want[*]})"
}

# --shard auto without an array job: exit 2, and the message names the variables.
run 2 -- -- batch "$DATA/tickets/zips" "$DATA/tickets/pairs" -o "$DATA/out-none" --shard auto
for v in JOB_COMPLETION_INDEX JOB_COMPLETIONS SLURM_ARRAY_TASK_ID AWS_BATCH_JOB_ARRAY_INDEX; do
  grep -q "$v" "$WORK/run.err" || fail "the --shard auto error does not name $v: $(cat "$WORK/run.err")"
done
[ ! -e "$FS/data/out-none" ] || fail "--shard auto without a shard wrote $DATA/out-none"

# Two shards into one folder (the second as Kubernetes index 1 of 2), then one unsharded run.
# Exit 4 (a ticket read in part) is allowed; with --partial-ok it must be 0.
run 0 4 -- -- batch "$DATA/tickets/zips" "$DATA/tickets/pairs" -o "$DATA/out-sharded" \
  --progress none --shard 0/2
grep -q 'shard 0/2' "$WORK/run.out" || fail "shard 0: $(cat "$WORK/run.out")"
run 0 -- JOB_COMPLETION_INDEX=1 JOB_COMPLETIONS=2 -- batch "$DATA/tickets/zips" "$DATA/tickets/pairs" \
  -o "$DATA/out-sharded" --progress none --shard auto --partial-ok
grep -q 'shard 1/2' "$WORK/run.out" || fail "--shard auto as index 1 of 2: $(cat "$WORK/run.out")"
grep -q 'All 2 shards are done' "$WORK/run.out" || fail "shard 1: $(cat "$WORK/run.out")"
[ -f "$FS/data/out-sharded/_SUCCESS" ] || fail "no _SUCCESS after both shards"
run 0 4 -- -- batch "$DATA/tickets/zips" "$DATA/tickets/pairs" -o "$DATA/out-whole" --progress none

python3 - "$FS/data/out-sharded/csv" "$FS/data/out-whole/csv" "$TICKETS" <<'PY'
import csv, glob, os, sys
sharded, whole, tickets = sys.argv[1], sys.argv[2], int(sys.argv[3])
# Columns that differ between runs by nature: when and how long each analysis ran.
PER_RUN = {"started_utc", "elapsed_ms", "shard"}

def rows(root, table):
    header, out, shards = None, [], set()
    for part in sorted(glob.glob(os.path.join(root, table, "shard=*", "part-*.csv"))):
        shards.add(os.path.basename(os.path.dirname(part)))
        with open(part, newline="") as f:
            r = csv.reader(f)
            h = next(r, None)
            if h is None:
                continue
            if header is None:
                header = h
            assert h == header, f"{part}: header {h} differs from {header}"
            out.extend(r)
    return header or [], out, shards

h_s, s_rows, s_shards = rows(sharded, "tickets")
h_w, w_rows, w_shards = rows(whole, "tickets")
assert h_s == h_w, f"tickets headers differ: {h_s} vs {h_w}"
assert s_shards == {"shard=0", "shard=1"}, f"sharded tickets parts: {sorted(s_shards)}"
keep = [i for i, c in enumerate(h_s) if c not in PER_RUN]
key = h_s.index("ticket_id")
norm = lambda rs: sorted(([r[i] for i in keep] for r in rs), key=lambda r: r[keep.index(key)])
a, b = norm(s_rows), norm(w_rows)
if a != b:
    for x, y in zip(a, b):
        if x != y:
            diff = {h_s[keep[i]]: (x[i], y[i]) for i in range(len(keep)) if x[i] != y[i]}
            sys.exit(f"tickets differ: {x[keep.index(key)]}: {diff}")
    sys.exit(f"tickets differ: {len(a)} rows sharded, {len(b)} unsharded")
assert len(a) == tickets, f"{len(a)} ticket rows, {tickets} tickets given"
ids = [r[keep.index(key)] for r in a]
assert len(set(ids)) == len(ids), "a ticket appears twice across the shards"
for table in ("attempts", "findings"):
    n_s, n_w = len(rows(sharded, table)[1]), len(rows(whole, table)[1])
    assert n_s == n_w, f"{table}: {n_s} rows sharded, {n_w} unsharded"
    print(f"{table}: {n_s} rows in both")
status = {}
for r in a:
    status[r[keep.index(h_s.index("status"))]] = status.get(r[keep.index(h_s.index("status"))], 0) + 1
print(f"tickets: {len(a)} rows, shards 0/2 + 1/2 equal to one unsharded run "
      f"(columns compared: {len(keep)} of {len(h_s)}; status {dict(sorted(status.items()))})")
PY

echo "image: $ARCHIVE $(du -k "$ARCHIVE" | cut -f1) KiB archive, layer $((LAYER_BYTES / 1024)) KiB compressed," \
  "$(du -sk --exclude=data "$FS" | cut -f1) KiB unpacked (without the test tickets)"
echo "container smoke: OK in $(( $(date +%s) - T0 )) s (run mode: $MODE)"
