#!/usr/bin/env python3
"""Measures rdpdiag on the independent support tickets (../shared/tickets): runs
`rdpdiag analyze --format json` on each ticket as a new user would (every input of the folder),
also on its server side alone and its client side alone, and compares the top cause with the
ground truth of expected.json. Prints one line per run and the totals. For measuring, not for
tuning: see ../shared/tickets/README.md.

usage: scripts/tickets.py [--bin target/release/rdpdiag] [--tickets ../shared/tickets] [--one-sided]
"""
import argparse
import json
import os
import subprocess
import sys


def run(binary, inputs, extra=()):
    p = subprocess.run([binary, "analyze", "--format", "json", *extra, *inputs],
                       capture_output=True, text=True, timeout=600)
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError:
        return {"verdict": f"error({p.returncode}): {p.stderr.strip()[:200]}", "causes": [], "top_cause": None}


def judge(rep, want, also):
    top = rep.get("top_cause")
    causes = rep.get("causes") or []
    conf = causes[0]["confidence"] if causes else 0.0
    wrong_high = [c["id"] for c in causes if c["confidence"] >= 0.5 and c["id"] != want and c["id"] not in also]
    if want == "healthy":
        ok = rep.get("verdict") != "diagnosed" and all(c["confidence"] <= 0.3 for c in causes)
    else:
        ok = top in [want, *also] and rep.get("verdict") == "diagnosed"
    return ok, top, conf, wrong_high


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/rdpdiag")
    ap.add_argument("--tickets", default="../shared/tickets")
    ap.add_argument("--one-sided", action="store_true", help="also each side alone")
    ap.add_argument("--reported", default="", help="codes passed as --reported, e.g. 0x904/0x7 (default: none)")
    a = ap.parse_args()
    expected = json.load(open(os.path.join(a.tickets, "expected.json")))
    extra = ["--reported", a.reported] if a.reported else []
    totals = {}
    for t in sorted(expected):
        e = expected[t]
        folder = os.path.join(a.tickets, t)
        inputs = sorted(os.path.join(folder, x) for x in os.listdir(folder))
        runs = [("both", inputs)]
        if a.one_sided:
            sides = {}
            for inp in e.get("inputs", []):
                path = os.path.join(folder, inp.get("path", ""))
                if inp.get("role") and os.path.exists(path):
                    sides.setdefault(inp["role"], []).append(path)
            for role in ("server", "client"):
                if role in sides:
                    runs.append((role, sides[role]))
        for kind, ins in runs:
            rep = run(a.bin, ins, extra)
            ok, top, conf, wrong = judge(rep, e["cause"], e.get("also_acceptable", []))
            if kind != "both" and e["cause"] != "healthy":
                # One side alone may not decide; it must not be confidently wrong.
                ok = ok or (not wrong)
            tot = totals.setdefault(kind, [0, 0, 0])
            tot[0] += 1
            tot[1] += ok
            tot[2] += bool(wrong)
            print(f"{t} {kind:<6} want {e['cause']:<30} got {str(top):<30} {conf:.2f} {rep.get('verdict'):<22} "
                  f"{'OK' if ok else 'WRONG'}{' wrong>=0.5: ' + ','.join(wrong) if wrong else ''}")
    for kind, (n, ok, wrong) in totals.items():
        print(f"{kind}: {ok} of {n} right, {wrong} with a wrong cause at 0.5 or more")


if __name__ == "__main__":
    sys.exit(main())
