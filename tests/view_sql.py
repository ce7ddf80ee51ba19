"""The view SQL of gongkai's `sql/` folder, as the engine checks (views_duckdb.py, views_spark.py)
read it: the files, their comments, the order that creates each view after the views it names, and
result values as plain JSON."""
import datetime
import decimal
import os
import re


def strip_comments(sql):
    # The views' comments are whole `--` lines or trailing `--` remarks; string literals in them
    # hold no `--`. Comments are dropped so a view name in a comment is no dependency.
    return "\n".join(line.split("--")[0] for line in sql.splitlines())


def view_files(sql_dir):
    views = {}
    for name in sorted(os.listdir(sql_dir)):
        if name.endswith(".sql"):
            with open(os.path.join(sql_dir, name), encoding="utf-8") as f:
                views[name[:-4]] = f.read()
    return views


def dependencies(name, views):
    body = strip_comments(views[name])
    return [d for d in views if d != name and re.search(rf"\b{re.escape(d)}\b", body)]


def closure(wanted, views):
    """The wanted views and everything they depend on, each after its dependencies."""
    order, seen = [], set()

    def visit(v, path):
        if v in path:
            raise SystemExit(f"views depend on one another: {' -> '.join(path + [v])}")
        if v in seen:
            return
        for d in dependencies(v, views):
            visit(d, path + [v])
        seen.add(v)
        order.append(v)

    for v in wanted:
        if v not in views:
            raise SystemExit(f"no view {v} in the SQL folder")
        visit(v, [])
    return order


def plain(v):
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    return v
