#!/usr/bin/env python3
"""Derive data/phone_area_codes.tsv from libphonenumber's Chinese geocoding file.

Reports print a contact telephone (联系电话：0311-8xxxxxxx); its area code names the prefecture,
which tells apart districts of the same name in different cities (新华区, 宝山区, 白云区).
src/region/mod.rs embeds the TSV written here.

Source: google/libphonenumber, resources/geocoding/zh/86.txt (Apache License 2.0,
© 2011 Google Inc.), lines `86<area code>|<province><prefecture>`.

Re-run:
    curl -sO https://raw.githubusercontent.com/google/libphonenumber/master/resources/geocoding/zh/86.txt
    python3 scripts/derive_area_codes.py 86.txt data/gazetteer.tsv data/phone_area_codes.tsv

Output: UTF-8, `area code<TAB>division code`, sorted; the division is a prefecture (4 digits), or a
province (2 digits) where the code covers a province-level city or a whole province. Each name is
matched against our gazetteer within its province: exactly, or by its stem where a prefecture was
renamed in form only (铜仁地区 → 铜仁市). Names the gazetteer no longer lists as a prefecture
(襄樊, 莱芜, 巢湖) are left out and reported, never guessed.
"""

import sys
from pathlib import Path

# Hainan has dialled one code, 0898, across the whole province since 2001; the source names it
# after the capital, so it narrows to the province only.
PROVINCE_WIDE = {"0898"}
SUFFIXES = ("地区", "市", "盟", "自治州")


def stem(name):
    for s in SUFFIXES:
        if name.endswith(s) and len(name) > len(s) + 1:
            return name[: -len(s)]
    return name


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    source, gazetteer, out = map(Path, sys.argv[1:])
    names = {}
    for line in gazetteer.read_text(encoding="utf-8").splitlines():
        code, name = line.split("\t")
        if len(code) <= 4:
            names[code] = name
    provinces = {n: c for c, n in names.items() if len(c) == 2}
    rows, dropped = {}, []
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.startswith("86") or "|" not in line:
            continue
        prefix, place = line.split("|", 1)
        area = "0" + prefix[2:]
        province = next((p for p in provinces if place.startswith(p)), None)
        if province is None:
            dropped.append(line)
            continue
        pcode = provinces[province]
        rest = place[len(province):]
        if not rest or area in PROVINCE_WIDE:
            code = pcode
        else:
            under = {c: n for c, n in names.items() if len(c) == 4 and c.startswith(pcode)}
            exact = [c for c, n in under.items() if n == rest]
            by_stem = [c for c, n in under.items() if stem(n) == stem(rest)]
            found = exact or by_stem
            if len(found) != 1:
                dropped.append(line)
                continue
            code = found[0]
        rows[area] = code
    with out.open("w", encoding="utf-8") as f:
        for area in sorted(rows):
            f.write(f"{area}\t{rows[area]}\n")
    print(f"{len(rows)} area codes written to {out}", file=sys.stderr)
    for line in dropped:
        print(f"left out (no unique division in the gazetteer): {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
