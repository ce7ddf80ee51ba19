#!/usr/bin/env python3
"""Run gongkai's view SQL unchanged on DuckDB over a gongkai warehouse, to show BI users the views
are portable. Prints {view: [rows as objects]} as JSON.

usage: views_duckdb.py WAREHOUSE_DIR SQL_DIR

The only engine-specific step is how the tables are declared: DuckDB reads each table's Hive
partitions with explicit types (province_code VARCHAR, so 00 stays 00; year INTEGER), exactly the
types gongkai's catalog gives them. The view files themselves run as they are.
"""
import json
import os
import sys

import duckdb

from view_sql import closure, plain, view_files


def connect(warehouse, sql_dir):
    """A DuckDB connection with the warehouse's tables and the views of sql_dir; and the views."""
    con = duckdb.connect()
    hive = "hive_partitioning = true, hive_types = {'province_code': 'VARCHAR', 'year': 'INTEGER'}"
    for table in ("reports", "cells", "checks", "facts"):
        glob = os.path.join(warehouse, table, "*", "*", "*.parquet")
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{glob}', {hive})")
    # One file, not partitioned; written by every run that stores reports.
    con.execute(f"CREATE VIEW bodies AS SELECT * FROM read_parquet('{os.path.join(warehouse, 'bodies', '*.parquet')}')")
    views = view_files(sql_dir)
    for v in closure(list(views), views):
        con.execute(views[v])
    return con, views


def main(warehouse, sql_dir):
    con, views = connect(warehouse, sql_dir)
    out = {}
    for v in views:
        cur = con.execute(f"SELECT * FROM {v}")
        cols = [d[0] for d in cur.description]
        out[v] = [dict(zip(cols, map(plain, row))) for row in cur.fetchall()]
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
