#!/usr/bin/env bash
# Windows smoke test of the collector: cross-builds rdpdiag-collect.exe for
# x86_64-pc-windows-gnu with Debian's toolchain (the recipe of ../shared/docs/windows-build.md),
# runs it under Wine in live mode, then validates the bundle it wrote on Linux: the manifest
# against schemas/json/manifest.v1.schema.json, every SHA-256, and that the steps Wine cannot do
# (wevtutil is a stub there, no certutil/PowerShell/w32tm) are recorded as failed, not a crash.
#
# Run as root (apt-get). Everything it builds or creates lives under target/wincross/.
# Environment:
#   WINCROSS_WORK      prefix, shim, logs and bundles (default: target/wincross)
#   WINCROSS_FEATURES  extra cargo flags for the .exe (e.g. "--no-default-features" to leave the
#                      probe out; the default build includes it: ring cross-builds with mingw)
# Cost measured on the 2-core machine, others building at the same time: 418 s with the apt
# packages already installed (cross build from scratch 171 s incl. std, Wine prefix 10 s, the exe
# run 4 s, validation test build 229 s when target/ is cold — CI has built it already), plus
# ~60 s for apt on a fresh machine. Warm (exe and tests built): about 30 s.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WINCROSS_WORK:-$ROOT/target/wincross}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
T0=$(date +%s)
t() { local s; s=$(date +%s%N); "$@"; local ms=$(( ($(date +%s%N) - s) / 1000000 )); echo "[time] $((ms/1000)).$(( (ms%1000)/100 ))s: $*" >&2; }

# 1) toolchain: Debian rustc-web 1.96 + its std sources, mingw-w64 linker, 64-bit wine.
PKGS="rustc-web cargo-web libstd-rust-web-dev rust-web-src gcc-mingw-w64-x86-64 wine64"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  t apt-get update -qq
  # shellcheck disable=SC2086
  t apt-get install -y -q --no-install-recommends $PKGS >/dev/null
fi

# 2) build: std is compiled from /usr/src/rustc-1.96.0/library (-Zbuild-std); only the collector
#    crate and its dependencies; the workspace's Cargo.lock must serve Debian's cargo as it is.
export RUSTC=/usr/bin/rustc            # Debian rustc, not the rustup proxy on PATH
export RUSTDOC=/usr/bin/rustdoc
export RUSTC_BOOTSTRAP=1               # -Z flags on a stable compiler
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_DIR="$WORK/cargo-target"
export CARGO_PROFILE_RELEASE_DEBUG=false
export CARGO_PROFILE_RELEASE_STRIP=true
CARGO=/usr/bin/cargo
# shellcheck disable=SC2086
(cd "$ROOT" && t $CARGO build --release --locked -p rdpdiag-collect --bin rdpdiag-collect \
  --target x86_64-pc-windows-gnu -Zbuild-std=std,panic_unwind ${WINCROSS_FEATURES:-})
EXE="$CARGO_TARGET_DIR/x86_64-pc-windows-gnu/release/rdpdiag-collect.exe"
ls -l "$EXE"
unset RUSTC RUSTDOC RUSTC_BOOTSTRAP CARGO_TARGET_DIR CARGO_PROFILE_RELEASE_DEBUG CARGO_PROFILE_RELEASE_STRIP

# 3) wine prefix (headless) + bcryptprimitives.dll shim: Wine 8.0 has no bcryptprimitives.dll,
#    Rust std >= 1.78 imports ProcessPrng from it (without it: exit 53, c0000135). The shim
#    lives only in the test prefix; the shipped exe is unchanged.
export WINEDEBUG=-all WINEARCH=win64 WINEPREFIX="$WORK/wineprefix"
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver
trap '$WINESERVER -k >/dev/null 2>&1 || true' EXIT
cat > "$WORK/bcryptprimitives.c" <<'EOF'
#include <windows.h>
#include <bcrypt.h>
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
        data += n; len -= n;
    }
    return TRUE;
}
EOF
x86_64-w64-mingw32-gcc -O2 -shared -s -o "$WORK/bcryptprimitives.dll" "$WORK/bcryptprimitives.c" -lbcrypt
if [ ! -d "$WINEPREFIX/drive_c/windows/system32" ]; then
  # ~5-10 s; the 'syswow64\rundll32.exe ... c0000135' message is harmless (no 32-bit wine)
  t sh -c "$WINE wineboot --init >/dev/null 2>&1; $WINESERVER -w"
  $WINE winecfg -v win10 >/dev/null 2>&1; $WINESERVER -w
fi
cp "$WORK/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"

# 4) run the exe in live mode. Output goes under the prefix's work folder (Wine maps Z: to /).
OUT="$WORK/bundles"
rm -rf "$OUT"; mkdir -p "$OUT"
winpath() { printf 'Z:%s' "${1//\//\\}"; }
# A loopback port nothing listens on: the probe runs too and must record "refused".
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
t timeout 120 $WINE "$EXE" --version
t timeout 120 $WINE "$EXE" --dry-run --role both >"$WORK/dry-run.txt"
grep -q 'wevtutil epl System' "$WORK/dry-run.txt"
set +e
t timeout 900 $WINE "$EXE" --yes --role both --since 2d --ticket WINE-SMOKE \
  --server "127.0.0.1:$PORT" --probe-timeout 2000 -o "$(winpath "$OUT")\\" \
  >"$WORK/run.stdout" 2>"$WORK/run.stderr"
rc=$?
set -e
cat "$WORK/run.stderr" >&2
cat "$WORK/run.stdout"
$WINESERVER -k >/dev/null 2>&1 || true
if [ "$rc" -ne 0 ]; then echo "FAIL: rdpdiag-collect.exe exited $rc under Wine" >&2; exit 1; fi
BUNDLE=$(ls "$OUT"/rdpdiag-*.zip 2>/dev/null | head -1)
if [ -z "$BUNDLE" ]; then echo "FAIL: no bundle in $OUT" >&2; exit 1; fi
if ls "$OUT"/.*.partial >/dev/null 2>&1; then echo "FAIL: partial file left in $OUT" >&2; exit 1; fi
ls -l "$BUNDLE"

# 5) validate on Linux with the collector's own test (rustup toolchain, the workspace's normal
#    target dir, so CI's earlier `cargo test --workspace` has already built it).
(cd "$ROOT" && RDPDIAG_BUNDLE="$BUNDLE" RDPDIAG_EXPECT_WINE=1 t cargo test --locked -p rdpdiag-collect \
  --test it external_bundle:: -- --nocapture)
echo "windows smoke: OK in $(( $(date +%s) - T0 )) s (bundle $BUNDLE)"
