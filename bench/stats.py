#!/usr/bin/env python3
"""Statistics and target checks of bench/run.sh (python3 standard library only).

Usage: stats.py META_TSV SAMPLES_TSV

META_TSV holds "key<TAB>value" lines (data set sizes, versions); SAMPLES_TSV one line per timed
run: "label<TAB>round<TAB>wall_s<TAB>peak_rss_kib". Prints the tables and one PASS/FAIL line per
target of issues 7 and 18, for each shape measured; exit status 1 when a target is missed.
"""

import statistics
import sys
from collections import defaultdict

# Targets of issue 7 (2-core machine).
MAX_RATIO = 0.3  # rdpdiag analyze wall time / evtx_dump wall time, same files and threads
MAX_RSS_OVER_LARGEST = 1.5  # rdpdiag peak RSS / size of the largest .evtx of the ticket
MAX_TYPICAL_S = 0.2  # typical ticket (two bundles, ~60 MB of EVTX) from its zips
MIN_SPEEDUP = 1.7  # batch tickets/s at 2 jobs / at 1 job
# Targets of issue 18, busy-server shape (Security full of network logons).
BUSY_MAX_RATIO = 0.5  # rdpdiag analyze wall time / evtx_dump wall time (0.3 is the aim)
BUSY_AIM_RATIO = 0.3
BUSY_MAX_RSS_OVER_LARGEST = 1.0  # rdpdiag peak RSS / size of the largest .evtx

MB = 1e6
MIB = 1024 * 1024


def load(meta_path, samples_path):
    meta = {}
    with open(meta_path, encoding="utf-8") as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            meta[key] = value
    runs = defaultdict(list)  # label -> [(round, wall_s, peak_bytes)]
    with open(samples_path, encoding="utf-8") as f:
        for line in f:
            label, rnd, wall, kib = line.rstrip("\n").split("\t")
            runs[label].append((int(rnd), float(wall), int(kib) * 1024))
    return meta, runs


def walls(runs, label):
    return [w for _, w, _ in runs[label]]


def peak(runs, label):
    return max(b for _, _, b in runs[label])


def per_round(runs, label):
    """Median wall time of LABEL per round."""
    by_round = defaultdict(list)
    for rnd, wall, _ in runs[label]:
        by_round[rnd].append(wall)
    return {rnd: statistics.median(w) for rnd, w in by_round.items()}


def round_ratios(runs, num, den):
    a, b = per_round(runs, num), per_round(runs, den)
    return [a[r] / b[r] for r in sorted(a) if r in b and b[r] > 0]


def fmt_rate(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:,.2f}"


class Checks:
    def __init__(self):
        self.lines = []
        self.failed = False

    def add(self, ok, text):
        self.lines.append(f"{'PASS' if ok else 'FAIL'}  {text}")
        self.failed |= not ok


def table(rows, header):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    out = []
    for n, row in enumerate([header] + rows):
        cells = [str(c).ljust(widths[0]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(row)]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def analyze_part(meta, runs, checks, shape):
    """One ticket shape: SHAPE is "big" (the issue-7 ticket) or "busy" (issue 18's server)."""
    busy = shape == "busy"
    lp = "busy:" if busy else ""  # label prefix of the samples
    mp = f"{shape}_"  # key prefix of the meta
    threads = meta["threads"]
    records = int(meta[mp + "records"])
    big_bytes = int(meta[mp + "bytes"])
    largest = int(meta[mp + "largest_bytes"])
    title = (
        f"Busy server: {meta['scenario']} (--evtx-mb {meta['busy_mb']} --scale-shape busy-server"
        if busy
        else f"Single ticket: {meta['scenario']} (--evtx-mb {meta['big_mb']}"
    )
    print(
        f"{title}, seed {meta['seed']}): "
        f"{meta[mp + 'files']} .evtx files, {big_bytes / MB:,.1f} MB, {records:,} records; "
        f"largest {meta[mp + 'largest_name']} {largest / MB:,.1f} MB"
    )
    print(
        f"Threads: {threads} (rdpdiag: RAYON_NUM_THREADS={threads}; evtx_dump: -t {threads} per file "
        f"in turn, or {threads} processes of -t 1). {meta['rounds']} alternating rounds."
    )
    print()
    rows = []
    spec = [
        ("rdpdiag analyze, folders", lp + "rdpdiag-dir", big_bytes, records),
        ("rdpdiag analyze, zips", lp + "rdpdiag-zip", big_bytes, records),
        ("rdpdiag analyze, every network logon kept (***)", lp + "rdpdiag-all", big_bytes, records),
        (f"evtx_dump -t {threads}, files in turn", lp + "evtx-seq", big_bytes, records),
        (f"evtx_dump, {threads} processes (*)", lp + "evtx-par", big_bytes, records),
        ("floor: read + BLAKE3 + chunk CRCs (**)", lp + "floor", big_bytes, None),
    ]
    if not busy:
        typ_bytes = int(meta["typical_bytes"])
        spec.append((f"typical ticket, zips (--evtx-mb {meta['typical_mb']})", "typical-zip", typ_bytes, None))
    for name, label, nbytes, nrec in spec:
        if not runs[label]:
            continue
        w = walls(runs, label)
        med = statistics.median(w)
        rows.append(
            [
                name,
                len(w),
                f"{med:.3f}",
                f"{min(w):.3f}",
                f"{max(w):.3f}",
                fmt_rate(nrec / med) if nrec else "-",
                f"{nbytes / MB / med:,.1f}",
                f"{peak(runs, label) / MIB:,.1f}",
            ]
        )
    print(
        table(rows, ["run", "n", "median s", "min s", "max s", "records/s", "MB/s", "peak RSS MiB"])
    )
    print("(*) xargs -P: peak RSS is that of the largest single evtx_dump process.")
    if runs[lp + "floor"]:
        print(
            "(**) rdpdiag-bench-floor: what any reader of the ticket does before it looks at a record "
            "(every byte read once, its BLAKE3 as the manifest lists it, each chunk's CRC32s); no record parsed."
        )
    if runs[lp + "rdpdiag-all"]:
        print(
            "(***) rdpdiag analyze --keep-every-network-logon: issue 18's filter off, what analyze did before it "
            "(same binary, same rounds)."
        )
    kept = meta.get(mp + "kept", "?")
    kept_all = meta.get(mp + "kept_all")
    print(
        f"Events kept: {kept}"
        + (f" ({kept_all} with every network logon kept)" if kept_all else "")
        + f" of {records:,} records."
    )
    if not busy:
        print(f"Typical ticket: {typ_bytes / MB:,.1f} MB of EVTX in two zips.")
    print()

    seq = statistics.median(walls(runs, lp + "evtx-seq"))
    par = statistics.median(walls(runs, lp + "evtx-par"))
    ref = lp + ("evtx-seq" if seq <= par else "evtx-par")
    ratios = round_ratios(runs, lp + "rdpdiag-dir", ref)
    ratio = statistics.median(ratios)
    rdp_med = statistics.median(walls(runs, lp + "rdpdiag-dir"))
    max_ratio = BUSY_MAX_RATIO if busy else MAX_RATIO
    print(f"Reference: the faster evtx_dump variant, {ref} ({min(seq, par):.3f} s median).")
    print(
        f"Ratio rdpdiag/evtx_dump wall time (folders): median of per-round ratios {ratio:.3f} "
        f"(rounds: {', '.join(f'{x:.3f}' for x in ratios)}); ratio of medians "
        f"{rdp_med / min(seq, par):.3f}."
    )
    if runs[lp + "rdpdiag-all"]:
        before = round_ratios(runs, lp + "rdpdiag-all", ref)
        print(
            f"Without the network-logon filter: {statistics.median(before):.3f} "
            f"(rounds: {', '.join(f'{x:.3f}' for x in before)})."
        )
    if runs[lp + "floor"]:
        floor_ratios = round_ratios(runs, lp + "floor", ref)
        floor_ratio = statistics.median(floor_ratios)
        floor_med = statistics.median(walls(runs, lp + "floor"))
        aim = BUSY_AIM_RATIO if busy else MAX_RATIO
        budget = aim * min(seq, par)
        print(
            f"Floor/evtx_dump: {floor_ratio:.3f} (median of per-round ratios). The {aim}x aim "
            f"allows {budget:.3f} s; the floor takes {floor_med:.3f} s of it ({floor_med / budget:.0%}), "
            f"leaving {max(budget - floor_med, 0):.3f} s for every record, the correlation and the report; "
            f"rdpdiag spends {max(rdp_med - floor_med, 0):.3f} s above the floor."
        )
    rss = peak(runs, lp + "rdpdiag-dir")
    max_rss = BUSY_MAX_RSS_OVER_LARGEST if busy else MAX_RSS_OVER_LARGEST
    name = "busy server" if busy else "ticket"
    checks.add(ratio <= max_ratio, f"{name}: rdpdiag/evtx_dump wall time {ratio:.3f} <= {max_ratio}")
    checks.add(
        rss <= max_rss * largest,
        f"{name}: rdpdiag peak RSS {rss / MIB:,.1f} MiB = {rss / largest:.2f}x the largest .evtx "
        f"({largest / MIB:,.1f} MiB) <= {max_rss}x",
    )
    if not busy:
        typ = statistics.median(walls(runs, "typical-zip"))
        checks.add(typ < MAX_TYPICAL_S, f"typical ticket from its zips {typ:.3f} s < {MAX_TYPICAL_S} s")
    print()


def batch_part(meta, runs, checks):
    n = int(meta["batch_tickets"])
    print(
        f"Batch: {n:,} small tickets (client + server zip, noise {meta['batch_noise']}), "
        f"rdpdiag batch --jobs 1 and --jobs 2, {meta['rounds']} alternating rounds."
    )
    print()
    rows = []
    for jobs in (1, 2):
        label = f"batch-j{jobs}"
        w = walls(runs, label)
        med = statistics.median(w)
        rows.append(
            [
                f"--jobs {jobs}",
                len(w),
                f"{med:.3f}",
                f"{min(w):.3f}",
                f"{max(w):.3f}",
                f"{n / med:,.1f}",
                f"{peak(runs, label) / MIB:,.1f}",
            ]
        )
    print(table(rows, ["batch", "n", "median s", "min s", "max s", "tickets/s", "peak RSS MiB"]))
    speedups = round_ratios(runs, "batch-j1", "batch-j2")
    speedup = statistics.median(speedups)
    print(
        f"Speed-up 2 vs 1 jobs: median of per-round ratios {speedup:.2f} "
        f"(rounds: {', '.join(f'{x:.2f}' for x in speedups)})."
    )
    checks.add(speedup >= MIN_SPEEDUP, f"batch speed-up 2 vs 1 jobs {speedup:.2f} >= {MIN_SPEEDUP}")
    print()


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    meta, runs = load(sys.argv[1], sys.argv[2])
    print(f"rdpdiag benchmark ({meta['mode']} run), {meta['date']}")
    print(f"{meta['rdpdiag']} (git {meta['git']}), {meta['evtx_dump']}; {meta['cpu']}")
    cores = meta["cpu"].rsplit(" x ", 1)[-1]
    load_text = f"Load average (1 min) {meta.get('load_start', '?')} before the runs, {meta.get('load_end', '?')} after"
    try:
        busy = max(float(meta["load_start"]), float(meta["load_end"])) > float(cores)
    except (KeyError, ValueError):
        busy = False
    print(f"{load_text}, {cores} cores{': other work competed, figures are noisy' if busy else ''}.")
    print()
    checks = Checks()
    if runs.get("rdpdiag-dir"):
        analyze_part(meta, runs, checks, "big")
    if runs.get("busy:rdpdiag-dir"):
        analyze_part(meta, runs, checks, "busy")
    if runs.get("batch-j1"):
        batch_part(meta, runs, checks)
    print("Targets (issue 7: ticket and batch; issue 18: busy server):")
    for line in checks.lines:
        print(line)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
