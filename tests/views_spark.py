#!/usr/bin/env python3
"""Run gongkai's view SQL on Apache Spark (pyspark, local mode) over a gongkai warehouse, to show
that a distributed engine reads the same Parquet and answers the same views. Prints
{view: [rows as objects]} as JSON for the views named on the command line.

usage: views_spark.py WAREHOUSE_DIR SQL_DIR VIEW...

Each named view is created together with the views it depends on (found in SQL_DIR by name), in
dependency order. The view files are read from disk at run time and go through one mechanical
rewrite, `spark_sql` below, so a change to a view's text needs no change here unless it uses SQL
Spark does not have:

  1. `CREATE VIEW name AS` becomes `CREATE OR REPLACE TEMPORARY VIEW name AS`: without a Hive
     metastore Spark keeps views in the session, and a permanent view may not name temporary ones.
  2. Double-quoted identifiers (`"row"`) stay as they are: the session runs with
     spark.sql.ansi.enabled and spark.sql.ansi.doubleQuotedIdentifiers, so Spark reads them as the
     SQL standard (and DataFusion, DuckDB) do, not as string literals.

Tables are declared the way a user points Spark at a warehouse on a disk or in a bucket: every
directory of the warehouse holding Hive partitions (`reports/province_code=NN/year=YYYY/…`) is a
table whose schema is the files' schema plus the partition columns with gongkai's types
(province_code STRING, so 00 stays 00; year INT); a directory of plain Parquet files (`quarantine`,
`runs`) is a table too. Without the explicit types Spark would infer province_code as an integer.
"""
import json
import os
import re
import sys

from pyspark.sql import SparkSession
from pyspark.sql.types import IntegerType, StringType, StructField, StructType

from view_sql import closure, plain, strip_comments, view_files

PARTITION_TYPES = {"province_code": StringType(), "year": IntegerType()}
# Directories of the warehouse that are not tables.
NOT_TABLES = {"raw", "_staging", "_leases"}


def spark_sql(sql):
    """The view SQL as Spark SQL (the rewrite documented above)."""
    rewritten, n = re.subn(r"^(\s*)CREATE\s+VIEW\b", r"\1CREATE OR REPLACE TEMPORARY VIEW",
                           strip_comments(sql), count=1, flags=re.IGNORECASE | re.MULTILINE)
    if n != 1:
        raise SystemExit(f"no CREATE VIEW statement in {sql[:80]!r}")
    return rewritten


def session():
    return (SparkSession.builder.master("local[2]").appName("gongkai-views")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.ansi.enabled", "true")
            .config("spark.sql.ansi.doubleQuotedIdentifiers", "true")
            .getOrCreate())


def is_partitioned(table_dir):
    return any(entry.startswith("province_code=") for entry in os.listdir(table_dir))


def register_tables(spark, warehouse):
    tables = []
    for name in sorted(os.listdir(warehouse)):
        path = os.path.join(warehouse, name)
        if name in NOT_TABLES or name.startswith(".") or not os.path.isdir(path):
            continue
        if is_partitioned(path):
            # The files' own schema (partition keys are not stored in them), then the keys typed.
            files = spark.read.parquet(os.path.join(path, "*", "*", "*.parquet")).schema
            fields = [f for f in files.fields if f.name not in PARTITION_TYPES]
            fields += [StructField(k, t, True) for k, t in PARTITION_TYPES.items()]
            df = spark.read.schema(StructType(fields)).option("basePath", path).parquet(path)
        elif any(f.endswith(".parquet") for f in os.listdir(path)):
            df = spark.read.parquet(os.path.join(path, "*.parquet"))
        else:
            continue
        df.createOrReplaceTempView(name)
        tables.append(name)
    return tables


def main(warehouse, sql_dir, wanted):
    spark = session()
    spark.sparkContext.setLogLevel("ERROR")
    register_tables(spark, warehouse)
    views = view_files(sql_dir)
    for v in closure(wanted, views):
        spark.sql(spark_sql(views[v]))
    out = {}
    for v in wanted:
        df = spark.sql(f"SELECT * FROM {v}")
        out[v] = [{k: plain(x) for k, x in row.asDict().items()} for row in df.collect()]
    spark.stop()
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
