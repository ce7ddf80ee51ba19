"""BI stand-ins for `gongkai serve --pg` (tests/suite/serve.rs): psycopg 3 and SQLAlchemy connect the
way Superset and analysts' scripts do and print what they got as one JSON object on stdout. The
Rust test compares it with what `gongkai query` returns.

    pg_clients.py query DSN SQL PARAMS_JSON      rows of a parameterised query (server-side binding)
    pg_clients.py refused DSN SQL                the error a statement gets (extended protocol)
    pg_clients.py concurrent DSN SQL N           N connections at once, each running SQL
    pg_clients.py sqlalchemy URL YEAR            reflection (tables, views), columns and a bound query
    pg_clients.py fresh DSN SQL COMMAND...       SQL, then COMMAND (an ingest), then SQL again, on
                                                 one connection
    pg_clients.py capped DSN                     the error of a connection past max_connections
    pg_clients.py cancelled DSN SQL              SQL cancelled after a second (a cancel request, as
                                                 psql sends on Ctrl-C), over both protocols, then
                                                 a query on the same connection
    pg_clients.py copy DSN SQL                   SQL's rows read with COPY (SQL) TO STDOUT in text, CSV
                                                 and binary (as the ADBC driver reads results)
    pg_clients.py connect DSN FILE               every client's statements of FILE (pg_connect.json)
                                                 over the simple and the extended protocol: the
                                                 ones that failed
"""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import psycopg


def plain(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def rows(cursor):
    names = [c.name for c in cursor.description]
    return [{n: plain(v) for n, v in zip(names, row)} for row in cursor.fetchall()]


def query(dsn, sql, params):
    with psycopg.connect(dsn) as conn:
        # prepare=True: a named server-side prepared statement (Parse/Bind/Execute with $1 …), as
        # psycopg does for a query it runs repeatedly.
        first = rows(conn.execute(sql, params, prepare=True))
        second = rows(conn.execute(sql, params, prepare=True))
        return {"rows": first, "again": second}


def refused(dsn, sql):
    with psycopg.connect(dsn, autocommit=True) as conn:
        try:
            # prepare=True: the extended protocol, where a statement is parsed and planned before
            # it runs (psql sends the simple protocol).
            conn.execute(sql, prepare=True)
        except psycopg.Error as e:
            return {"error": str(e).strip(), "sqlstate": e.sqlstate}
        return {"error": None}


def concurrent(dsn, sql, n):
    def one(_):
        with psycopg.connect(dsn) as conn:
            return rows(conn.execute(sql))

    with ThreadPoolExecutor(max_workers=n) as pool:
        return {"results": list(pool.map(one, range(n)))}


def with_sqlalchemy(url, year):
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    inspector = sa.inspect(engine)
    out = {
        "tables": sorted(inspector.get_table_names()),
        "views": sorted(inspector.get_view_names()),
    }
    # Column reflection, as Superset does it when a dataset is added (server-side binding).
    out["reflected"] = {
        name: [[c["name"], str(c["type"]), c["nullable"]] for c in inspector.get_columns(name)]
        for name in ("report_metrics", "reports")
    }
    with engine.connect() as conn:
        out["columns"] = list(conn.execute(sa.text("SELECT * FROM report_metrics LIMIT 0")).keys())
        result = conn.execute(
            sa.text("SELECT count(*) AS n FROM reports WHERE year = :year"), {"year": year}
        )
        out["count"] = result.scalar_one()
    engine.dispose()
    return out


def fresh(dsn, sql, command):
    with psycopg.connect(dsn, autocommit=True) as conn:
        before = rows(conn.execute(sql))
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode not in (0, 1):
            return {"ingest_failed": done.stderr}
        after = rows(conn.execute(sql))
        return {"before": before, "after": after}


def capped(dsn):
    with psycopg.connect(dsn):
        try:
            with psycopg.connect(dsn):
                return {"error": None}
        except psycopg.Error as e:
            return {"error": str(e).strip()}


def cancelled(dsn, sql):
    import threading
    import time

    out = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for protocol in ("simple", "extended"):
            timer = threading.Timer(1.0, conn.cancel_safe)
            started = time.monotonic()
            timer.start()
            try:
                if protocol == "simple":
                    psycopg.ClientCursor(conn).execute(sql)
                else:
                    conn.execute(sql, prepare=True)
                error = None
            except psycopg.Error as e:
                error = {"sqlstate": e.sqlstate, "message": str(e).strip()}
            timer.join()
            after = conn.execute("SELECT 40 + 2").fetchone()[0]
            out[protocol] = {"error": error, "seconds": time.monotonic() - started, "after": after}
    return out


def idle(dsn, host, port, slow_sql):
    """What the idle and login timeouts close, each waited for up to 30 s."""
    import select
    import socket
    import time

    out = {}
    # Connected, never logged in: the server closes the socket.
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        started = time.monotonic()
        try:
            out["unauthenticated_closed"] = sock.recv(1) == b""
        except (ConnectionResetError, TimeoutError) as e:
            out["unauthenticated_closed"] = isinstance(e, ConnectionResetError)
        out["unauthenticated_seconds"] = time.monotonic() - started
    with psycopg.connect(dsn, autocommit=True) as conn:
        # A statement that runs longer than the idle timeout is not idleness.
        started = time.monotonic()
        try:
            conn.execute(slow_sql).fetchone()
            out["slow_error"] = None
        except psycopg.Error as e:
            out["slow_error"] = str(e).strip()
        out["slow_seconds"] = time.monotonic() - started
        out["after_slow"] = conn.execute("SELECT 40 + 2").fetchone()[0]
        # Then nothing: the server closes the connection, which makes its socket readable.
        started = time.monotonic()
        readable, _, _ = select.select([conn.fileno()], [], [], 30)
        out["idle_closed_seconds"] = time.monotonic() - started if readable else None
        try:
            conn.execute("SELECT 1")
            out["after_idle"] = "query ran"
        except psycopg.OperationalError as e:
            out["after_idle"] = "closed: " + str(e).strip()
    return out


def copied(dsn, sql):
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute(sql)
        names = [c.name for c in cur.description]
        types = [c.type_code for c in cur.description]
        out = {"columns": names}
        with cur.copy(f"COPY ({sql}) TO STDOUT") as copy:
            out["text"] = [list(row) for row in copy.rows()]
        with cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            out["csv"] = b"".join(bytes(block) for block in copy).decode()
        with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)") as copy:
            copy.set_types(types)
            out["binary"] = [[plain(v) for v in row] for row in copy.rows()]
        return out


def connect(dsn, path):
    with open(path, encoding="utf-8") as f:
        clients = json.load(f)["clients"]
    failed = []
    for client, statements in clients.items():
        for protocol in ("simple", "extended"):
            with psycopg.connect(dsn, autocommit=True) as conn:
                for sql in statements:
                    try:
                        if protocol == "simple":
                            # A client-side cursor sends the statement as one Query message, as
                            # psql does; conn.execute parses, binds and executes, as JDBC does.
                            psycopg.ClientCursor(conn).execute(sql)
                        else:
                            conn.execute(sql, prepare=True)
                    except psycopg.Error as e:
                        failed.append({"client": client, "protocol": protocol, "sql": sql, "error": str(e).strip()})
    return {"statements": sum(len(s) for s in clients.values()), "failed": failed}


def main():
    cmd, target = sys.argv[1], sys.argv[2]
    if cmd == "query":
        out = query(target, sys.argv[3], json.loads(sys.argv[4]))
    elif cmd == "refused":
        out = refused(target, sys.argv[3])
    elif cmd == "concurrent":
        out = concurrent(target, sys.argv[3], int(sys.argv[4]))
    elif cmd == "sqlalchemy":
        out = with_sqlalchemy(target, int(sys.argv[3]))
    elif cmd == "fresh":
        out = fresh(target, sys.argv[3], sys.argv[4:])
    elif cmd == "cancelled":
        out = cancelled(target, sys.argv[3])
    elif cmd == "connect":
        out = connect(target, sys.argv[3])
    elif cmd == "copy":
        out = copied(target, sys.argv[3])
    elif cmd == "idle":
        out = idle(target, sys.argv[3], sys.argv[4], sys.argv[5])
    elif cmd == "capped":
        out = capped(target)
    else:
        raise SystemExit(f"unknown command {cmd}")
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    main()
