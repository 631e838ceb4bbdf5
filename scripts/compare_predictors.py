#!/usr/bin/env python3
"""Decode with each --predictor on one model under one RAM budget, each run
honest (page cache dropped, cgroup-bounded: scripts/run_over_budget.sh), and
print a markdown table of decode tokens/s, I/O stalls, expert hit rate, bytes
read per token, prefetch waste and predictor recall.

Usage: scripts/compare_predictors.py MODEL BUDGET_BYTES [-n TOKENS]
           [--predictors off,gate,...] [--extra 'strata run flags']
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(model, budget, predictor, n, extra):
    cmd = [os.path.join(HERE, "run_over_budget.sh"), model, str(budget), "run",
           "-p", "The history of the clockmakers of the river valley", "-n", str(n),
           "--temp", "1", "--top-k", "0", "--top-p", "1", "--min-p", "0", "--seed", "7",
           "-c", "512", "--json", "--predictor", predictor] + extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{predictor}: strata failed ({p.returncode}):\n{p.stderr}")
    out = json.loads(p.stdout)
    cg = [l for l in p.stderr.splitlines() if "max_usage_in_bytes" in l]
    return out, (cg[0] if cg else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("budget", type=int)
    ap.add_argument("-n", type=int, default=32)
    ap.add_argument("--predictors", default="off,gate,temporal,combined")
    ap.add_argument("--extra", default="", help="more strata run flags, one string")
    a = ap.parse_args()
    a.extra = a.extra.split()
    rows = []
    reference_ids = None
    for predictor in a.predictors.split(","):
        out, cg = run(a.model, a.budget, predictor, a.n, a.extra)
        st = out["stats"]
        dec = st["decode"]
        ids = out["generated_ids"]
        if reference_ids is None:
            reference_ids = ids
        same = "yes" if ids == reference_ids else "NO"
        tps = out["timings"]["decode_tokens_per_second"]
        pf = st["prefetch"]
        recall = st.get("predictor", {}).get("recall")
        rows.append((predictor, tps, dec["stall_seconds"], dec["seconds"],
                     dec["expert"]["hit_pct"], dec["bytes_read_per_token"] / 2**20,
                     pf["wasted_bytes"] / 2**20, recall, st["vm_hwm_bytes"] / 2**20, same, cg))
    base = rows[0][1]
    print("| predictor | decode t/s | vs first | stall / decode s | expert hit | MiB read/token "
          "| prefetch wasted MiB | recall | VmHWM MiB | same tokens |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for (p, tps, stall, secs, hit, mib, wasted, recall, hwm, same, _) in rows:
        rec = "–" if recall is None else f"{100 * recall:.1f}%"
        print(f"| {p} | {tps:.2f} | {tps / base:.2f}× | {stall:.2f} / {secs:.2f} "
              f"({100 * stall / secs:.0f}%) | {hit:.1f}% | {mib:.1f} | {wasted:.0f} | {rec} "
              f"| {hwm:.0f} | {same} |")
    for r in rows:
        if r[-1]:
            print(f"<!-- {r[0]}: {r[-1]} -->")


if __name__ == "__main__":
    main()
