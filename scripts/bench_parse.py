#!/usr/bin/env python3
"""Parse throughput of a gongkai binary, per layout, and the time to parse one small file.

usage: scripts/bench_parse.py BIN [--count N] [--seed S] [--runs R]

For each layout, `BIN synth` writes N generated reports (raw files only) into a temporary folder;
`BIN parse FOLDER > /dev/null` is timed R times and the best run is kept (the machine's other work
only ever slows a run down). Throughput is the corpus's bytes over that time, process start and
gazetteer included. One small file is parsed R times the same way. Prints a markdown table.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

LAYOUTS = [
    "tabs", "markdown", "cell-per-line", "docx-lines", "one-line", "split-numbers", "csv",
    "collapsed", "page-breaks", "html", "docx",
]


def best_time(cmd, runs):
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def folder_bytes(folder):
    return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("| layout | reports | MB | best of {} (s) | MB/s | ms per report |".format(args.runs))
        print("|---|---|---|---|---|---|")
        total_bytes, total_time = 0, 0.0
        for layout in LAYOUTS:
            out = os.path.join(tmp, layout)
            subprocess.run(
                [args.bin, "synth", "--out", out, "--count", str(args.count), "--seed", str(args.seed),
                 "--layouts", layout, "--raw-only"],
                check=True, stdout=subprocess.DEVNULL,
            )
            size = folder_bytes(out)
            t = best_time([args.bin, "parse", out], args.runs)
            total_bytes += size
            total_time += t
            print(f"| {layout} | {args.count} | {size / 1e6:.2f} | {t:.3f} | {size / 1e6 / t:.2f} | {1000 * t / args.count:.2f} |")
        print(f"| all | {args.count * len(LAYOUTS)} | {total_bytes / 1e6:.2f} | {total_time:.3f} | "
              f"{total_bytes / 1e6 / total_time:.2f} | {1000 * total_time / (args.count * len(LAYOUTS)):.2f} |")
        one = os.path.join(tmp, "tabs", sorted(os.listdir(os.path.join(tmp, "tabs")))[0])
        t = best_time([args.bin, "parse", one], max(args.runs, 5))
        print(f"\none small file ({os.path.getsize(one)} bytes, tabs): {1000 * t:.1f} ms, best of {max(args.runs, 5)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
