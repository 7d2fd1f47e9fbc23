#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ (git-ignored) with seed inputs:
#   - the committed sample bundles (samples/bundles/*.zip) and every file inside them, sorted
#     to the target that parses it by its name (as MSRD-Collect, ad-hoc and our layout name it);
#   - the rule catalog (analyzer/rules/*.toml);
#   - the small hand-written seeds of fuzz/seeds/<target>/;
#   - the real Windows files of the shared corpus ($RDPDIAG_CORPUS, default ../shared/corpus
#     beside the repository), which are never copied into the repository itself.
# Files are named by their SHA-1 (as libFuzzer names corpus entries), so re-running adds nothing
# twice. Needs python3 (zip extraction and UTF-16 decoding).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
corpus_dir="${RDPDIAG_CORPUS:-$repo/../shared/corpus}"
out="$here/corpus"
mkdir -p "$out"

add() { # add TARGET FILE
  local t="$1" f="$2" h
  [ -s "$f" ] || return 0
  h="$(sha1sum "$f" | cut -d' ' -f1)"
  mkdir -p "$out/$t"
  cp -f "$f" "$out/$t/$h"
}

target_of() { # the target that parses a file, by its (lower-case) path inside a bundle
  local p="${1,,}"
  case "$p" in
    *manifest.json) echo manifest ;;
    *.json) echo json_artifacts ;;
    *.evtx) echo evtx ;;
    *.reg | *registrykeys/*) echo reg_file ;;
    *acl*) echo acl_list ;;
    *certificates* | *certs-*) echo certutil ;;
    *netstat*) echo netstat ;;
    *firewallrules*.txt | *fw-rules*) echo netsh_rules ;;
    *w32tm*) echo w32tm ;;
    *ipconfig*) echo ipconfig ;;
    *.etl) echo etl_header ;;
    *.xml | *.csv) echo tracerpt ;;
    *) echo "" ;;
  esac
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# 1. Sample bundles and their contents.
n=0
for z in "$repo"/samples/bundles/*.zip; do
  add bundle_zip "$z"
  d="$tmp/$(basename "$z" .zip)"
  python3 -m zipfile -e "$z" "$d"
  while IFS= read -r -d '' f; do
    t="$(target_of "${f#"$d"/}")"
    # Renamed event logs (ad-hoc `*.log`): by their magic.
    if [ -z "$t" ] && [ "$(head -c 7 "$f" | tr -d '\0')" = "ElfFile" ]; then t=evtx; fi
    if [ -n "$t" ]; then add "$t" "$f"; fi
  done < <(find "$d" -type f -print0)
  n=$((n + 1))
done
echo "seed: $n sample bundles"

# Firewall rule strings: the REG_SZ data of the FirewallRules exports (UTF-16LE .reg).
python3 - "$tmp" "$out/fw_rule_string" <<'PY'
import hashlib, pathlib, re, sys
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
dst.mkdir(parents=True, exist_ok=True)
for f in src.rglob("*"):
    if not f.is_file() or "firewallrules" not in f.name.lower():
        continue
    b = f.read_bytes()
    try:
        text = b.decode("utf-16") if b[:2] in (b"\xff\xfe", b"\xfe\xff") else b.decode("utf-8", "replace")
    except UnicodeDecodeError:
        continue
    for s in re.findall(r'"(v2\.\d+\|[^"]*)"', text):
        data = s.encode("utf-8")
        (dst / hashlib.sha1(data).hexdigest()).write_bytes(data)
PY

# Structured bundle inputs (see `bundle_entries` in src/entry.rs): each sample bundle's smaller
# files as a stored zip and as a folder, within the target's 128 KiB input size.
python3 - "$repo" "$out/bundle_zip" <<'PY'
import hashlib, pathlib, re, sys, zipfile
repo, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
src = (repo / "fuzz/src/entry.rs").read_text()
block = src[src.index("const BUNDLE_NAMES"):]
names = re.findall(r'^\s*"([^"]*)",$', block[: block.index("];")], re.M)
for z in sorted((repo / "samples/bundles").glob("*.zip")):
    entries = []
    with zipfile.ZipFile(z) as f:
        infos = sorted(f.infolist(), key=lambda i: i.file_size)
        budget = 120_000
        for i in infos:
            data = f.read(i)[:32_768]
            if len(data) > budget:
                continue
            budget -= len(data)
            n = i.filename
            if n in names:
                head = bytes([names.index(n)])
            else:
                raw = n.encode()[-63:]
                head = bytes([len(names) + len(raw)]) + raw
            entries.append(head + len(data).to_bytes(3, "little") + data)
    for mode in (0, 2):
        data = bytes([mode]) + b"".join(entries)
        (dst / hashlib.sha1(data).hexdigest()).write_bytes(data)
PY

# 2. Rule files.
for f in "$repo"/analyzer/rules/*.toml; do add rule_file "$f"; done

# 3. Committed hand-written seeds.
for d in "$here"/seeds/*/; do
  t="$(basename "$d")"
  for f in "$d"*; do [ -f "$f" ] && add "$t" "$f"; done
done

# 4. The shared corpus of real Windows files (skipped when absent).
if [ -d "$corpus_dir" ]; then
  while IFS= read -r -d '' f; do
    case "${f,,}" in
      */hives/*) add hive "$f" ;;
      */reg/*) add reg_file "$f" ;;
      */etl/*) add etl_header "$f" ;;
      *.evtx) add evtx "$f" ;;
      *.json) add json_artifacts "$f" ;;
    esac
  done < <(find "$corpus_dir" -type f -print0)
  echo "seed: shared corpus $corpus_dir"
else
  echo "seed: no shared corpus at $corpus_dir (set RDPDIAG_CORPUS); seeding from the repository only"
fi

for d in "$out"/*/; do
  printf 'seed: %-16s %4d files\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)"
done
