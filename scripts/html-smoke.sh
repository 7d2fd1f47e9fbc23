#!/usr/bin/env bash
# Renders an HTML report of a committed sample ticket in headless Chromium (Debian's chromium
# package) and checks the screenshot is not blank; then renders a ticket whose every free-text
# field is hostile and checks no payload runs, with and without the page's CSP. Needs: chromium,
# python3, built rdpdiag and rdpdiag-samples.
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

# Hostile strings in every event field and host fact (rdpdiag-samples --hostile-strings): the
# page must run none of them, with its Content-Security-Policy and without it, and must show
# them as text. Each payload, if it ran, would set document.title to PWNED-* or add an element
# with id="pwned"; Chromium's --dump-dom gives the DOM after the page has loaded.
SAMPLES=${SAMPLES:-target/debug/rdpdiag-samples}
rm -rf "$OUT/hostile"
"$SAMPLES" generate cert-key-unreadable --hostile-strings --noise 60 -o "$OUT/hostile" >/dev/null
set +e
"$RDPDIAG" analyze "$OUT/hostile/cert-key-unreadable-client.zip" "$OUT/hostile/cert-key-unreadable-server.zip" \
  --format html -o "$OUT/hostile.html"
rc=$?
set -e
case "$rc" in 0|1|3) ;; *) echo "html-smoke: rdpdiag analyze of the hostile ticket exited $rc" >&2; exit 1 ;; esac
# The same page without its CSP <meta>: escaping alone must hold.
python3 - "$OUT/hostile.html" "$OUT/hostile-nocsp.html" <<'PY'
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
stripped, n = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
assert n == 1, "the report has no CSP meta to remove"
open(sys.argv[2], "w", encoding="utf-8").write(stripped)
PY
for page in hostile hostile-nocsp; do
  rm -rf "$OUT/profile"
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$OUT/profile" --virtual-time-budget=3000 \
    --dump-dom "file://$OUT/$page.html" >"$OUT/$page.dom.html" 2>"$OUT/$page.chromium.log" || true
  python3 - "$OUT/$page.dom.html" "$page" <<'PY'
# The DOM after load: no mark of a payload that ran; the payloads visible as text.
import sys
from html.parser import HTMLParser
dom = open(sys.argv[1], encoding="utf-8", errors="replace").read()
page = sys.argv[2]
assert "<body" in dom, f"html-smoke: {page}: Chromium dumped no DOM (see its log)"
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title, self.text, self.ids, self.tags, self.in_title = "", [], [], set(), False
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.in_title = tag == "title"
        self.ids += [v for k, v in attrs if k == "id"]
        for k, v in attrs:
            assert not k.startswith("on"), f"html-smoke: {page}: event handler attribute {k}={v!r} in <{tag}>"
            assert "javascript:" not in (v or "").lower(), f"html-smoke: {page}: javascript: URL in <{tag} {k}>"
    def handle_endtag(self, tag):
        self.in_title = False
    def handle_data(self, data):
        if self.in_title:
            self.title += data
        self.text.append(data)
p = P()
p.feed(dom)
text = "".join(p.text)
assert p.title.strip() == "rdpdiag report", f"html-smoke: {page}: a payload ran: title is {p.title!r}"
assert "pwned" not in p.ids, f"html-smoke: {page}: a payload injected an element with id=pwned"
bad = p.tags & {"script", "img", "svg", "iframe", "a", "textarea", "pre"}
assert not bad, f"html-smoke: {page}: payload elements in the DOM: {bad}"
for visible in ["<script>document.title='PWNED-script'</script>",
                "\"><img src=x onerror=\"document.title='PWNED-img'\">",
                "</style><script>document.title='PWNED-style'</script>",
                "javascript:document.title='PWNED-js'",
                "&lt;script&gt;already-escaped&lt;/script&gt;",
                "<U+202E>"]:
    assert visible in text, f"html-smoke: {page}: payload not shown as text: {visible!r}"
print(f"html-smoke: {page}: no payload ran, {len(p.tags)} kinds of element, payloads shown as text")
PY
done
echo "html-smoke: hostile strings ok ($OUT/hostile.html)"
