#!/usr/bin/env python3
"""Read a gongkai warehouse with DuckDB and pyarrow (Hive partitioning) and compare with gongkai.

Usage: warehouse_check.py WAREHOUSE_DIR [--summary SUMMARY_JSON] [--expect-reports N] [--delta]

Prints row counts per table and per partition and a few values. With --summary (the file written by
`gongkai ingest --summary-json`), every file the run wrote must hold the row count gongkai reported,
read independently by DuckDB and by pyarrow. With --delta, each partitioned table is also read as a
Delta table by delta-rs' Python package (`deltalake`): its live files must be exactly the Parquet
files under the table and its rows those DuckDB reads. Exits 1 on any mismatch.
"""

import argparse
import json
import os
import sys

import duckdb
import pyarrow.dataset as ds

HIVE_TYPES = "{'province_code': 'VARCHAR', 'year': 'INTEGER'}"
TABLES = ["reports", "cells", "checks", "facts"]


def scan(warehouse, table):
    return (
        f"read_parquet('{warehouse}/{table}/*/*/*.parquet', hive_partitioning = true, "
        f"hive_types = {HIVE_TYPES})"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("warehouse")
    ap.add_argument("--summary")
    ap.add_argument("--expect-reports", type=int)
    ap.add_argument("--delta", action="store_true")
    args = ap.parse_args()
    wh = os.path.abspath(args.warehouse)
    con = duckdb.connect()
    errors = []

    counts = {}
    for table in TABLES:
        if not os.path.isdir(os.path.join(wh, table)):
            print(f"{table}: absent")
            continue
        total = con.execute(f"select count(*) from {scan(wh, table)}").fetchone()[0]
        counts[table] = total
        print(f"{table}: {total} rows")
        for prov, year, n in con.execute(
            f"select province_code, year, count(*) from {scan(wh, table)} group by all order by all"
        ).fetchall():
            print(f"  province_code={prov}/year={year:04d}: {n}")
        # pyarrow must read the same number of rows with the same partition keys.
        dataset = ds.dataset(os.path.join(wh, table), format="parquet", partitioning="hive")
        if dataset.count_rows() != total:
            errors.append(f"{table}: duckdb reads {total} rows, pyarrow {dataset.count_rows()}")
        if "province_code" not in dataset.schema.names or "year" not in dataset.schema.names:
            errors.append(f"{table}: pyarrow sees no partition columns")

    if args.delta:
        from deltalake import DeltaTable

        for table in TABLES:
            if table not in counts:
                continue
            dt = DeltaTable(os.path.join(wh, table))
            live = {f.replace("%3D", "=") for f in dt.file_uris()}
            live = {os.path.relpath(f.removeprefix("file://"), os.path.join(wh, table)) for f in live}
            on_disk = set()
            for root, dirs, files in os.walk(os.path.join(wh, table)):
                dirs[:] = [d for d in dirs if not d.startswith("_")]
                on_disk |= {os.path.relpath(os.path.join(root, f), os.path.join(wh, table)) for f in files if f.endswith(".parquet")}
            if live != on_disk:
                errors.append(f"{table}: Delta live files {sorted(live - on_disk)} missing, {sorted(on_disk - live)} not live")
            rows = dt.to_pyarrow_dataset().count_rows()
            if rows != counts[table]:
                errors.append(f"{table}: the Delta table has {rows} rows, the Parquet files {counts[table]}")
            print(f"{table}: Delta version {dt.version()}, {len(live)} live file(s), {rows} rows")

    qfile = os.path.join(wh, "quarantine", "part-0.parquet")
    if os.path.exists(qfile):
        rows = con.execute(f"select source_uri, reason from read_parquet('{qfile}') order by all").fetchall()
        print(f"quarantine: {len(rows)} rows")
        for uri, reason in rows:
            print(f"  {uri}: {reason}")
    raw = os.path.join(wh, "raw")
    print(f"raw: {len(os.listdir(raw)) if os.path.isdir(raw) else 0} files")

    if "reports" in counts:
        print("a few values:")
        for row in con.execute(
            f"select province_code, year, agency, template, new_received_total, results_total_total, "
            f"checks_failed from {scan(wh, 'reports')} order by province_code, year, report_id limit 10"
        ).fetchall():
            print("  ", row)
        dup = con.execute(
            f"select count(*) - count(distinct report_id) from {scan(wh, 'reports')}"
        ).fetchone()[0]
        if dup:
            errors.append(f"reports: {dup} duplicate report_id(s)")
        # Every cell and check belongs to a report of the same partition.
        for table in ["cells", "checks", "facts"]:
            if table not in counts:
                continue
            orphans = con.execute(
                f"select count(*) from {scan(wh, table)} c anti join {scan(wh, 'reports')} r "
                f"using (report_id, province_code, year)"
            ).fetchone()[0]
            if orphans:
                errors.append(f"{table}: {orphans} row(s) without a report in the same partition")
        # Blanks stay NULL: only number cells carry a value.
        if "cells" in counts:
            bad = con.execute(
                f"select count(*) from {scan(wh, 'cells')} where (kind = 'number') != (value is not null)"
            ).fetchone()[0]
            if bad:
                errors.append(f"cells: {bad} value(s) inconsistent with kind")

    # facts holds each report's cells as columns: one row per report, the same numbers as cells.
    if "facts" in counts and "reports" in counts:
        if counts["facts"] != counts["reports"]:
            errors.append(f"facts: {counts['facts']} rows for {counts['reports']} reports")
        differ = con.execute(
            f"select count(*) from {scan(wh, 'facts')} f join {scan(wh, 'cells')} c using (report_id) "
            f"where c.section = 'sec3' and c.row = 'new_received' and c.col = 'total' "
            f"and f.sec3_new_received_total is distinct from c.value"
        ).fetchone()[0]
        if differ:
            errors.append(f"facts: {differ} report(s) whose new_received total differs from cells")

    if args.expect_reports is not None and counts.get("reports", 0) != args.expect_reports:
        errors.append(f"reports: expected {args.expect_reports} rows, found {counts.get('reports', 0)}")

    if args.summary:
        with open(args.summary, encoding="utf-8") as f:
            summary = json.load(f)
        for written in summary["written"]:
            path = os.path.join(wh, written["path"])
            n = con.execute(f"select count(*) from read_parquet('{path}')").fetchone()[0]
            m = ds.dataset(path, format="parquet").count_rows()
            if not (n == m == written["rows"]):
                errors.append(f"{written['path']}: gongkai wrote {written['rows']} rows, duckdb {n}, pyarrow {m}")
        print(f"summary: {len(summary['written'])} written file(s) compared")
        quarantined = {q["source_uri"] for q in summary["quarantined"]}
        if quarantined and os.path.exists(qfile):
            in_table = {r[0] for r in con.execute(f"select source_uri from read_parquet('{qfile}')").fetchall()}
            missing = quarantined - in_table
            if missing:
                errors.append(f"quarantine: missing {sorted(missing)}")

    for e in errors:
        print(f"MISMATCH {e}", file=sys.stderr)
    print("ok" if not errors else f"{len(errors)} mismatch(es)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
