#!/usr/bin/env python3
"""Warehouse benchmarks at national scale: build a warehouse of N generated reports, add 1,000 more,
and time every view in gongkai and, in the same run, the same SQL on DuckDB over the same files.

usage: bench_warehouse.py GONGKAI_BIN --reports N [--warehouse DIR] [--keep] [--runs 3] [--views a,b]

Prints Markdown tables (the figures of BENCHMARKS.md). Needs `duckdb` (the CI venv has it) and
GNU time at /usr/bin/time for wall, CPU and peak RSS.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from views_duckdb import connect  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def timed(cmd):
    """Run cmd under GNU time: (wall s, user+sys s, peak RSS MB, stdout)."""
    fmt = "BENCH %e %U %S %M"
    out = subprocess.run(["/usr/bin/time", "-f", fmt, *cmd], capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    line = [ln for ln in out.stderr.splitlines() if ln.startswith("BENCH ")][-1].split()
    wall, user, sys_, rss = float(line[1]), float(line[2]), float(line[3]), int(line[4])
    return wall, user + sys_, rss / 1024, out.stdout


def files_and_rows(wh):
    n = {}
    for table in ("reports", "cells", "checks", "facts"):
        count = 0
        for root, dirs, files in os.walk(os.path.join(wh, table)):
            dirs[:] = [d for d in dirs if not d.startswith("_")]
            count += sum(f.endswith(".parquet") for f in files)
        n[table] = count
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--reports", type=int, required=True)
    ap.add_argument("--warehouse")
    ap.add_argument("--keep", action="store_true", help="reuse --warehouse if it exists")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--views", help="comma-separated; default every view")
    args = ap.parse_args()
    bin_ = os.path.abspath(args.bin)
    wh = args.warehouse or os.path.join(tempfile.gettempdir(), f"gongkai-bench-{args.reports}")

    print(f"## {args.reports:,} reports, warehouse {wh}\n")
    if not (args.keep and os.path.isdir(wh)):
        shutil.rmtree(wh, ignore_errors=True)
        wall, cpu, rss, out = timed(
            [bin_, "synth", "--reports", str(args.reports), "--seed", "13", "--warehouse", wh]
        )
        print("| step | wall s | CPU s | peak RSS MB | result |\n|---|---|---|---|---|")
        stored = re.search(r"(\d+) report\(s\) stored", out).group(1)
        print(f"| build: synth --warehouse ({args.reports:,} reports, every layout) | {wall:.1f} | {cpu:.1f} | {rss:.0f} | {stored} stored, files {files_and_rows(wh)} |")
        wall, cpu, rss, out = timed([bin_, "optimize", "--warehouse", wh])
        print(f"| optimize | {wall:.1f} | {cpu:.1f} | {rss:.0f} | files {files_and_rows(wh)} |")
    else:
        print("| step | wall s | CPU s | peak RSS MB | result |\n|---|---|---|---|---|")

    # 1,000 more reports (another seed) into the warehouse: what a monthly run costs.
    src = tempfile.mkdtemp(prefix="gongkai-bench-1k-")
    subprocess.run([bin_, "synth", "--count", "1000", "--seed", str(1000 + args.reports % 997), "--raw-only", "--out", src], check=True, capture_output=True)
    before = files_and_rows(wh)
    wall, cpu, rss, out = timed([bin_, "ingest", src, "--warehouse", wh])
    versions = re.search(r"versions\s+(.*)", out)
    stored = re.search(r"(\d+) report\(s\) stored", out).group(1)
    after = files_and_rows(wh)
    added = {t: after[t] - before[t] for t in after}
    print(f"| ingest 1,000 more files | {wall:.1f} | {cpu:.1f} | {rss:.0f} | {stored} stored, files added {added}, versions {versions.group(1) if versions else '-'} |")
    shutil.rmtree(src, ignore_errors=True)

    con, views = connect(wh, os.path.join(REPO, "sql"))
    wanted = args.views.split(",") if args.views else sorted(views)
    print("\n| view | rows | gongkai best of %d (s) | gongkai peak RSS MB | DuckDB best of %d (s) | gongkai / DuckDB |" % (args.runs, args.runs))
    print("|---|---|---|---|---|---|")
    for v in wanted:
        sql = f"SELECT * FROM {v}"
        best, peak, rows = None, 0, None
        for _ in range(args.runs):
            wall, _, rss, out = timed([bin_, "query", "--warehouse", wh, "--format", "csv", "--output", os.devnull, sql])
            best = wall if best is None else min(best, wall)
            peak = max(peak, rss)
        duck = None
        for _ in range(args.runs):
            t = time.perf_counter()
            rows = len(con.execute(sql).fetchall())
            d = time.perf_counter() - t
            duck = d if duck is None else min(duck, d)
        print(f"| `{v}` | {rows} | {best:.2f} | {peak:.0f} | {duck:.2f} | {best / duck:.1f}× |")


if __name__ == "__main__":
    main()
