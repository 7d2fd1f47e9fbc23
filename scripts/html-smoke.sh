#!/usr/bin/env bash
# Renders an HTML report of a committed sample ticket in headless Chromium (Debian's chromium
# package) and checks the screenshot is not blank. Needs: chromium, python3, a built rdpdiag.
set -euo pipefail
cd "$(dirname "$0")/.."
RDPDIAG=${RDPDIAG:-target/debug/rdpdiag}
OUT=${OUT:-target/html-smoke}
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
  echo "html-smoke: chromium is not installed (apt-get install chromium)" >&2
  exit 1
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
set +e
"$RDPDIAG" analyze samples/bundles/cert-key-unreadable-client.zip samples/bundles/cert-key-unreadable-server.zip \
  --format html -o "$OUT/report.html"
rc=$?
set -e
[ "$rc" -eq 0 ] || { echo "html-smoke: rdpdiag analyze exited $rc (expected 0: diagnosed)" >&2; exit 1; }
rm -rf "$OUT/profile"
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$OUT/profile" --window-size=1280,2000 \
  --screenshot="$OUT/report.png" "file://$OUT/report.html" >"$OUT/chromium.log" 2>&1 || true
[ -s "$OUT/report.png" ] || { echo "html-smoke: no screenshot (see $OUT/chromium.log)" >&2; exit 1; }
python3 - "$OUT/report.png" <<'PY'
# Decode the PNG with the standard library only and count distinct colours / dark pixels.
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width, height, ctype = 8, b"", 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    chunk = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        width, height, depth, ctype = struct.unpack(">IIBB", chunk[:10])
    elif kind == b"IDAT":
        idat += chunk
    pos += 12 + n
bpp = {2: 3, 6: 4}[ctype]
raw = zlib.decompress(idat)
stride = width * bpp
prev = bytearray(stride)
colours, dark = set(), 0
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 4 == 0:
        for x in range(0, width, 4):
            px = tuple(line[x * bpp:x * bpp + 3])
            colours.add(px)
            if sum(px) < 200:
                dark += 1
print(f"html-smoke: {width}x{height} screenshot, {len(colours)} distinct colours, {dark} dark samples")
assert len(colours) > 20 and dark > 200, "the screenshot looks blank"
PY
grep -q "cert-key-unreadable" "$OUT/report.html"
if grep -qi "<script" "$OUT/report.html"; then echo "html-smoke: the report contains a script tag" >&2; exit 1; fi
echo "html-smoke: ok ($OUT/report.png)"
