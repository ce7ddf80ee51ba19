//! `gongkai serve --pg` with real clients over a warehouse of the bundled samples: psql (the rows
//! of `gongkai query`, `\dt`, `\d`, refused logins and refused writes), psycopg and SQLAlchemy
//! (tests/pg_clients.py: bound parameters, reflection, what BI tools send at connect time, 50
//! clients at once, fresh data on an open connection), the statement timeout, the memory limit,
//! the connection cap and TLS. Each server is started on port 0, found by the address it prints,
//! and killed when its test ends. psql, openssl, psycopg and SQLAlchemy are required when CI=true;
//! otherwise a test without them is skipped with a message.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::repo;

pub(super) const USER: &str = "analyst";
pub(super) const PASSWORD: &str = "correct horse battery";

pub(super) fn gongkai(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gongkai")).args(args).env_remove("GONGKAI_CONFIG").output().expect("gongkai runs")
}

pub(super) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Ingest `sources` into a new warehouse at `wh`.
pub(super) fn ingest(wh: &Path, sources: &[&Path]) {
    let mut args = vec!["ingest".to_string()];
    args.extend(sources.iter().map(|s| s.display().to_string()));
    args.extend(["--warehouse".to_string(), wh.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = gongkai(&args);
    assert!(matches!(out.status.code(), Some(0 | 1)), "ingest: {}", text(&out.stderr));
}

/// One warehouse of the bundled samples for the tests that only read, built once per run.
pub(super) fn samples_warehouse() -> &'static Path {
    static WH: OnceLock<PathBuf> = OnceLock::new();
    WH.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-samples");
        let _ = std::fs::remove_dir_all(&dir);
        let wh = dir.join("wh");
        ingest(&wh, &[&repo().join("samples")]);
        wh
    })
}

/// A running `gongkai serve` (`--pg 127.0.0.1:0`, or the servers given to [`Server::launch`]),
/// killed on drop.
pub(super) struct Server {
    child: Child,
    /// The PostgreSQL server's port.
    pub(super) port: String,
    /// The dashboard's address, HOST:PORT.
    pub(super) http: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(wh: &Path, extra: &[&str]) -> Server {
        Server::start_with(wh, extra, &[("GONGKAI_PG_USER", USER), ("GONGKAI_PG_PASSWORD", PASSWORD)])
    }

    fn start_with(wh: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        Server::launch(wh, &["--pg", "127.0.0.1:0"], extra, env)
    }

    /// `gongkai serve --warehouse WH SERVERS… EXTRA…` with `env`, once every server it starts
    /// has printed its address.
    pub(super) fn launch(wh: &Path, servers: &[&str], extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gongkai"));
        cmd.args(["serve", "--warehouse", wh.to_str().unwrap()])
            .args(servers)
            .args(extra)
            .env_remove("GONGKAI_CONFIG")
            .env_remove("GONGKAI_PG_USER")
            .env_remove("GONGKAI_PG_PASSWORD")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("gongkai serve starts");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("gongkai: PostgreSQL listening on ") {
                    let _ = tx.send(Some(("pg", addr.to_string())));
                }
                if let Some(addr) = line.strip_prefix("gongkai: dashboard listening on http://") {
                    let _ = tx.send(Some(("http", addr.trim_end_matches('/').to_string())));
                }
                lines.lock().unwrap().push(line);
            }
            let _ = tx.send(None);
        });
        let mut server = Server { child, port: String::new(), http: String::new(), log };
        let expected = servers.iter().filter(|a| a.starts_with("--")).count();
        for _ in 0..expected {
            match rx.recv_timeout(Duration::from_secs(300)) {
                Ok(Some(("pg", addr))) => server.port = addr.rsplit(':').next().unwrap().to_string(),
                Ok(Some((_, addr))) => server.http = addr,
                _ => panic!("the server did not start:\n{}", server.log()),
            }
        }
        server
    }

    pub(super) fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    fn dsn(&self, password: &str) -> String {
        format!("host=127.0.0.1 port={} user={USER} password='{password}' dbname=gongkai sslmode=disable", self.port)
    }

    /// psql as a script runs it: no ~/.psqlrc, no password prompt, stop at the first error.
    pub(super) fn psql(&self, user: &str, password: Option<&str>, args: &[&str]) -> Output {
        let mut cmd = Command::new("psql");
        cmd.args([
            "-X",
            "-w",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            &self.port,
            "-U",
            user,
            "-d",
            "gongkai",
        ])
        .args(args)
        .env("PGPASSFILE", "/dev/null")
        .env("PGCONNECT_TIMEOUT", "30")
        .env_remove("PGPASSWORD")
        .env_remove("PGSERVICE");
        if let Some(password) = password {
            cmd.env("PGPASSWORD", password);
        }
        cmd.output().expect("psql runs")
    }

    pub(super) fn sql(&self, sql: &str) -> Output {
        self.psql(USER, Some(PASSWORD), &["-c", sql])
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether psql runs; with CI=true it must.
pub(super) fn have_psql() -> bool {
    let ok = Command::new("psql").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(ok || std::env::var("CI").as_deref() != Ok("true"), "CI=true but psql does not run");
    if !ok {
        eprintln!("skipping: psql not found (Debian: postgresql-client)");
    }
    ok
}

fn pg_clients(args: &[&str]) -> Value {
    let python = super::python_with("psycopg, sqlalchemy").expect("checked by the caller");
    let out = Command::new(python).arg(repo().join("tests/pg_clients.py")).args(args).output().expect("python runs");
    assert!(out.status.success(), "pg_clients.py {}: {}", args[0], text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

/// A CSV result as rows of cells, the header first.
pub(super) fn csv_rows(csv_text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Two cells as equal: the same text, the same boolean (psql prints t/f), or numbers within
/// rounding (the wire and the CSV writer print floats each their own way).
pub(super) fn same_cell(a: &str, b: &str) -> bool {
    let boolean = |s: &str| match s {
        "t" | "true" => Some(true),
        "f" | "false" => Some(false),
        _ => None,
    };
    if a == b || (boolean(a).is_some() && boolean(a) == boolean(b)) {
        return true;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

pub(super) fn query_csv(wh: &Path, sql: &str) -> Vec<Vec<String>> {
    let out = gongkai(&["query", sql, "--warehouse", wh.to_str().unwrap(), "--format", "csv"]);
    assert!(out.status.success(), "gongkai query: {}", text(&out.stderr));
    csv_rows(&text(&out.stdout))
}

/// The columns of a table or view, in order, as `gongkai query` sees them.
fn columns_of(wh: &Path, table: &str) -> Vec<String> {
    let sql = format!(
        "SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position"
    );
    query_csv(wh, &sql).into_iter().skip(1).map(|row| row[0].clone()).collect()
}

pub(super) fn query_json(wh: &Path, sql: &str) -> Vec<Value> {
    let out = gongkai(&["query", sql, "--warehouse", wh.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "gongkai query: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

pub(super) fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => same_cell(&x.to_string(), &y.to_string()),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_json(v, w)),
        _ => a == b,
    }
}

#[test]
fn psql_gets_the_rows_gongkai_query_returns() {
    if !have_psql() {
        return;
    }
    let wh = samples_warehouse();
    let server = Server::start(wh, &[]);
    for sql in [
        "SELECT * FROM province_year_trends ORDER BY province_code, year",
        "SELECT * FROM national_trend ORDER BY 1",
        "SELECT * FROM report_metrics ORDER BY report_id",
    ] {
        let expected = query_csv(wh, sql);
        assert!(expected.len() > 2, "{sql}: the samples give rows");
        let out = server.psql(USER, Some(PASSWORD), &["--csv", "-c", sql]);
        assert!(out.status.success(), "{sql}: {}\n{}", text(&out.stderr), server.log());
        let got = csv_rows(&text(&out.stdout));
        assert_eq!(got[0], expected[0], "{sql}: the columns");
        assert_eq!(got.len(), expected.len(), "{sql}: the number of rows");
        for (g, e) in got.iter().zip(&expected) {
            assert!(
                g.len() == e.len() && g.iter().zip(e).all(|(a, b)| same_cell(a, b)),
                "{sql}:\n  psql  {g:?}\n  query {e:?}"
            );
        }
    }
}

#[test]
fn psql_lists_the_tables_and_describes_a_view() {
    if !have_psql() {
        return;
    }
    let wh = samples_warehouse();
    let server = Server::start(wh, &[]);
    let out = server.psql(USER, Some(PASSWORD), &["-c", "\\dt"]);
    assert!(out.status.success(), "\\dt: {}\n{}", text(&out.stderr), server.log());
    let listing = text(&out.stdout);
    for table in ["reports", "cells", "checks", "facts", "bodies", "runs", "quarantine"] {
        assert!(
            listing.lines().any(|l| l.split('|').nth(1).is_some_and(|c| c.trim() == table)),
            "\\dt lists {table}:\n{listing}"
        );
    }
    let out = server.psql(USER, Some(PASSWORD), &["-c", "\\dv"]);
    assert!(out.status.success(), "\\dv: {}", text(&out.stderr));
    for (view, _) in gongkai::catalog::EMBEDDED_VIEWS {
        assert!(text(&out.stdout).contains(view), "\\dv lists {view}:\n{}", text(&out.stdout));
    }
    let out = server.psql(USER, Some(PASSWORD), &["-c", "\\d report_metrics"]);
    assert!(out.status.success(), "\\d report_metrics: {}\n{}", text(&out.stderr), server.log());
    let described: Vec<String> =
        text(&out.stdout).lines().filter_map(|l| l.split('|').next()).map(|c| c.trim().to_string()).collect();
    let columns = columns_of(wh, "report_metrics");
    assert!(columns.len() > 10, "report_metrics has its columns");
    for column in &columns {
        assert!(described.contains(column), "\\d report_metrics shows {column}:\n{}", text(&out.stdout));
    }
}

#[test]
fn logins_without_the_right_password_are_refused() {
    if !have_psql() {
        return;
    }
    let wh = samples_warehouse();
    let server = Server::start(wh, &[]);
    let ok = server.psql(USER, Some(PASSWORD), &["-A", "-t", "-c", "SELECT 1 + 1"]);
    assert!(ok.status.success(), "the right password: {}\n{}", text(&ok.stderr), server.log());
    assert_eq!(text(&ok.stdout).trim(), "2");
    // set_config changes a session setting as SET does.
    let set = server.psql(
        USER,
        Some(PASSWORD),
        &["-A", "-t", "-c", "SELECT set_config('application_name', 'report 42', false)", "-c", "SHOW application_name"],
    );
    assert_eq!(text(&set.stdout).lines().collect::<Vec<_>>(), ["report 42", "report 42"], "{}", text(&set.stderr));
    for (user, password, why) in [
        (USER, None, "no password"),
        (USER, Some("wrong"), "a wrong password"),
        (USER, Some(""), "an empty password"),
        ("postgres", None, "the library's default user"),
        ("postgres", Some(""), "the library's default user with an empty password"),
        ("postgres", Some(PASSWORD), "another user's password"),
        ("nobody", Some(PASSWORD), "an unknown user"),
    ] {
        let out = server.psql(user, password, &["-c", "SELECT 1"]);
        assert!(!out.status.success(), "{why} is refused: {}", text(&out.stdout));
        assert!(!text(&out.stdout).contains('1'), "{why}: no rows");
    }
}

#[test]
fn a_server_without_users_does_not_start_and_a_users_file_admits_its_users() {
    let wh = samples_warehouse();
    let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["serve", "--warehouse", wh.to_str().unwrap(), "--pg", "127.0.0.1:0"])
        .env_remove("GONGKAI_CONFIG")
        .env_remove("GONGKAI_PG_USER")
        .env_remove("GONGKAI_PG_PASSWORD")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("GONGKAI_PG_USER") && err.contains("hash-password"), "says how to add a user: {err}");

    let mut hash = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["serve", "hash-password", "reader"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    hash.stdin.take().unwrap().write_all(b"s3cret words\n").unwrap();
    let entry = hash.wait_with_output().unwrap();
    assert!(entry.status.success());
    let entry = text(&entry.stdout);
    assert!(!entry.contains("s3cret"), "the password itself is not printed: {entry}");
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    std::fs::write(&users, &entry).unwrap();
    if !have_psql() {
        return;
    }
    let server = Server::start_with(wh, &["--users", users.to_str().unwrap()], &[]);
    let ok = server.psql("reader", Some("s3cret words"), &["-A", "-t", "-c", "SELECT count(*) > 0 FROM reports"]);
    assert!(ok.status.success(), "{}\n{}", text(&ok.stderr), server.log());
    assert_eq!(text(&ok.stdout).trim(), "t");
    assert!(!server.psql("reader", Some("s3cret word"), &["-c", "SELECT 1"]).status.success());
}

/// Every file under `dir` with its size.
pub(super) fn files(dir: &Path) -> BTreeMap<PathBuf, u64> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), path.metadata().unwrap().len());
            }
        }
    }
    out
}

#[test]
fn writes_are_refused_and_nothing_is_written() {
    if !have_psql() {
        return;
    }
    let wh = samples_warehouse();
    let before = files(wh);
    let server = Server::start(wh, &[]);
    let dir = tempfile::tempdir().unwrap();
    let copied = dir.path().join("copied.csv");
    let external = dir.path().join("external.csv");
    std::fs::write(&external, "a\n1\n").unwrap();
    let statements = [
        "CREATE TABLE t (a INT)".to_string(),
        "CREATE TABLE t AS SELECT * FROM reports".to_string(),
        "CREATE VIEW v AS SELECT 1".to_string(),
        "INSERT INTO runs SELECT * FROM runs".to_string(),
        "DELETE FROM reports".to_string(),
        "DROP VIEW coverage".to_string(),
        "SELECT * INTO t FROM reports".to_string(),
        format!("COPY reports TO '{}'", copied.display()),
        format!("COPY (SELECT * FROM reports) TO '{}'", copied.display()),
        format!("CREATE EXTERNAL TABLE ext STORED AS CSV LOCATION '{}'", external.display()),
        "SET datafusion.execution.batch_size = 1".to_string(),
        "SELECT set_config('datafusion.execution.batch_size', '1', false)".to_string(),
        format!("SELECT * FROM '{}'", external.display()),
    ];
    for sql in &statements {
        let out = server.sql(sql);
        assert!(!out.status.success(), "psql: {sql} is refused");
        let err = text(&out.stderr);
        assert!(err.contains("ERROR"), "psql: {sql}: a SQL error: {err}");
        // The refusals say why; a file path is no table name at all.
        if !sql.starts_with("SELECT * FROM '") {
            assert!(err.contains("not allowed"), "psql: {sql}: {err}");
        }
    }
    let err = text(&server.sql("CREATE TABLE t (a INT)").stderr);
    assert!(err.contains("CREATE TABLE is not allowed: this server answers queries only"), "{err}");
    let err = text(&server.sql(&format!("COPY reports TO '{}'", copied.display())).stderr);
    assert!(err.contains("COPY is not allowed"), "{err}");
    let err =
        text(&server.sql(&format!("CREATE EXTERNAL TABLE e STORED AS CSV LOCATION '{}'", external.display())).stderr);
    assert!(err.contains("CREATE EXTERNAL TABLE is not allowed"), "{err}");
    if super::python_with("psycopg, sqlalchemy").is_some() {
        for sql in &statements {
            let got = pg_clients(&["refused", &server.dsn(PASSWORD), sql]);
            assert!(got["error"].is_string(), "psycopg (extended protocol): {sql} is refused: {got}");
            if !sql.starts_with("SELECT * FROM '") {
                assert_eq!(got["sqlstate"], "25006", "psycopg: {sql}: {got}");
            }
        }
    }
    assert!(!copied.exists(), "COPY wrote no file");
    for missing in ["t", "v", "ext"] {
        assert!(!server.sql(&format!("SELECT * FROM {missing}")).status.success(), "{missing} was not created");
    }
    let ok = server.psql(USER, Some(PASSWORD), &["-A", "-t", "-c", "SELECT count(*) FROM coverage"]);
    assert!(ok.status.success(), "the views are still there: {}", text(&ok.stderr));
    let batch = server.psql(
        USER,
        Some(PASSWORD),
        &[
            "-A",
            "-t",
            "-c",
            "SELECT value FROM information_schema.df_settings WHERE name = 'datafusion.execution.batch_size'",
        ],
    );
    assert_eq!(text(&batch.stdout).trim(), "8192", "the engine's settings are unchanged: {}", text(&batch.stderr));
    assert_eq!(files(wh), before, "the warehouse is unchanged");
}

#[test]
fn copy_of_a_query_to_stdout_streams_its_rows_in_text_csv_and_binary() {
    if super::python_with("psycopg").is_none() || !have_psql() {
        return;
    }
    let wh = samples_warehouse();
    let server = Server::start(wh, &[]);
    let sql = "SELECT province_code, province, year, reports, applications, grant_rate FROM province_year_trends ORDER BY province_code, year";
    let want = query_csv(wh, sql);
    let got = pg_clients(&["copy", &server.dsn(PASSWORD), sql]);
    let same = |what: &str, rows: Vec<Vec<String>>| {
        assert_eq!(rows.len(), want.len() - 1, "{what}: row count");
        for (g, w) in rows.iter().zip(&want[1..]) {
            assert!(g.len() == w.len() && g.iter().zip(w).all(|(a, b)| same_cell(a, b)), "{what}: {g:?} != {w:?}");
        }
    };
    let cell = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    // Text: one tab-separated line per row; NULL is \N, here an empty field of the CSV.
    let text_rows =
        got["text"].as_array().unwrap().iter().map(|r| r.as_array().unwrap().iter().map(cell).collect()).collect();
    same("text", text_rows);
    let csv = csv_rows(got["csv"].as_str().unwrap());
    assert_eq!(csv[0], want[0], "the CSV header names the columns");
    same("csv", csv[1..].to_vec());
    let binary =
        got["binary"].as_array().unwrap().iter().map(|r| r.as_array().unwrap().iter().map(cell).collect()).collect();
    same("binary", binary);
    // psql's \copy of a table to its standard output is the same COPY.
    let out = server.psql(USER, Some(PASSWORD), &["-c", "\\copy reports (report_id) to stdout"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).lines().count(),
        query_csv(wh, "SELECT count(*) FROM reports")[1][0].parse::<usize>().unwrap()
    );
    // COPY to a file, or from anywhere, stays refused; so does an option it does not take.
    for refused in
        ["COPY (SELECT 1) TO '/tmp/gongkai-copy'", "COPY reports FROM STDIN", "COPY (SELECT 1) TO PROGRAM 'true'"]
    {
        let err = text(&server.sql(refused).stderr);
        assert!(err.contains("not allowed"), "{refused}: {err}");
    }
    let err = text(&server.sql("COPY (SELECT 1) TO STDOUT (FORMAT text, HEADER)").stderr);
    assert!(err.contains("do not apply"), "{err}");
}

#[test]
fn psycopg_binds_parameters_and_sqlalchemy_reflects_the_views() {
    if super::python_with("psycopg, sqlalchemy").is_none() {
        return;
    }
    let wh = samples_warehouse();
    let server = Server::start(wh, &[]);
    let year = 2021;
    let expected =
        query_json(wh, &format!("SELECT * FROM province_year_trends WHERE year = {year} ORDER BY province_code"));
    assert!(!expected.is_empty(), "the samples have {year}");
    let got = pg_clients(&[
        "query",
        &server.dsn(PASSWORD),
        "SELECT * FROM province_year_trends WHERE year = %s ORDER BY province_code",
        &format!("[{year}]"),
    ]);
    let expected = Value::Array(expected);
    assert!(
        same_json(&got["rows"], &expected),
        "bound query:\n  psycopg {}\n  query   {expected}\n{}",
        got["rows"],
        server.log()
    );
    assert!(same_json(&got["again"], &expected), "the prepared statement run again");

    let url = format!("postgresql+psycopg://{USER}:{}@127.0.0.1:{}/gongkai", PASSWORD.replace(' ', "%20"), server.port);
    let got = pg_clients(&["sqlalchemy", &url, &year.to_string()]);
    let tables: Vec<&str> = got["tables"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let views: Vec<&str> = got["views"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for table in ["reports", "facts"] {
        assert!(tables.contains(&table), "reflected tables {tables:?}");
    }
    for (view, _) in gongkai::catalog::EMBEDDED_VIEWS {
        assert!(views.contains(view), "reflected views {views:?} miss {view}");
    }
    let reflected: Vec<&str> = got["columns"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(reflected, columns_of(wh, "report_metrics"), "report_metrics' columns");
    // Inspector.get_columns: every column, in order, with a type.
    for name in ["report_metrics", "reports"] {
        let columns = got["reflected"][name].as_array().unwrap_or_else(|| panic!("{name}: {got}"));
        let names: Vec<&str> = columns.iter().map(|c| c[0].as_str().unwrap()).collect();
        assert_eq!(names, columns_of(wh, name), "{name}: reflected columns");
        assert!(columns.iter().all(|c| !c[1].as_str().unwrap().is_empty() && c[2].is_boolean()), "{name}: {columns:?}");
    }
    let report_id = &got["reflected"]["reports"][0];
    assert_eq!((report_id[1].as_str(), report_id[2].as_bool()), (Some("TEXT"), Some(false)), "reports.report_id");
    let count = query_csv(wh, &format!("SELECT count(*) FROM reports WHERE year = {year}"));
    assert_eq!(got["count"].to_string(), count[1][0], "bound count");
}

#[test]
fn what_bi_tools_send_when_they_connect_is_answered() {
    if super::python_with("psycopg, sqlalchemy").is_none() {
        return;
    }
    let server = Server::start(samples_warehouse(), &[]);
    let fixture = repo().join("tests/fixtures/pg_connect.json");
    let got = pg_clients(&["connect", &server.dsn(PASSWORD), fixture.to_str().unwrap()]);
    assert!(got["statements"].as_u64().unwrap() > 40, "{got}");
    assert_eq!(got["failed"], Value::Array(vec![]), "statements that failed:\n{got:#}");
}

#[test]
fn fifty_clients_at_once_all_get_the_rows() {
    if super::python_with("psycopg, sqlalchemy").is_none() {
        return;
    }
    let wh = samples_warehouse();
    // Fifty view queries share two cores: in a debug build each needs seconds of CPU, and the
    // default limit of a minute would cut the last ones off.
    let server = Server::start(wh, &["--statement-timeout", "10min"]);
    let sql = "SELECT * FROM data_quality ORDER BY province_code, year";
    let expected = Value::Array(query_json(wh, sql));
    let got = pg_clients(&["concurrent", &server.dsn(PASSWORD), sql, "50"]);
    let results = got["results"].as_array().unwrap();
    assert_eq!(results.len(), 50);
    for (i, rows) in results.iter().enumerate() {
        assert!(same_json(rows, &expected), "client {i}: {rows}\nexpected {expected}");
    }
}

#[test]
fn a_statement_past_its_timeout_is_cancelled_and_the_server_serves_on() {
    if !have_psql() {
        return;
    }
    let wh = samples_warehouse();
    let server = Server::start(wh, &["--statement-timeout", "2s"]);
    let started = Instant::now();
    // Far more rows than can be counted in two seconds.
    let out = server.sql("SELECT count(*) FROM generate_series(1, 1000000000000) AS t(n) WHERE n % 7 = 3");
    let took = started.elapsed();
    assert!(!out.status.success(), "the statement is cancelled: {}", text(&out.stdout));
    assert!(text(&out.stderr).contains("statement timeout"), "{}", text(&out.stderr));
    assert!(took < Duration::from_secs(30), "cancelled near its deadline, not after {took:?}");
    // A client may shorten its own limit but not lengthen the server's.
    let out = server.psql(
        USER,
        Some(PASSWORD),
        &["-c", "SET statement_timeout = '1h'", "-c", "SELECT count(*) FROM generate_series(1, 1000000000000)"],
    );
    assert!(text(&out.stderr).contains("statement timeout"), "SET cannot lift the limit: {}", text(&out.stderr));
    let ok = server.psql(USER, Some(PASSWORD), &["-A", "-t", "-c", "SELECT count(*) FROM reports"]);
    assert!(ok.status.success(), "the server keeps serving: {}\n{}", text(&ok.stderr), server.log());
    let count = query_csv(wh, "SELECT count(*) FROM reports");
    assert_eq!(text(&ok.stdout).trim(), count[1][0]);
}

#[test]
fn a_cancel_request_stops_a_running_statement() {
    if super::python_with("psycopg, sqlalchemy").is_none() {
        return;
    }
    let server = Server::start(samples_warehouse(), &[]);
    let got =
        pg_clients(&["cancelled", &server.dsn(PASSWORD), "SELECT count(*) FROM generate_series(1, 1000000000000)"]);
    for protocol in ["simple", "extended"] {
        let run = &got[protocol];
        assert_eq!(run["error"]["sqlstate"], "57014", "{protocol}: {got}");
        assert!(run["error"]["message"].as_str().unwrap().contains("user request"), "{protocol}: {got}");
        // Well before the 60 s statement timeout.
        assert!(run["seconds"].as_f64().unwrap() < 30.0, "{protocol}: {got}");
        assert_eq!(run["after"], 42, "{protocol}: the connection is usable after: {got}");
    }
}

#[test]
fn connections_past_the_cap_are_refused() {
    if super::python_with("psycopg, sqlalchemy").is_none() {
        return;
    }
    let server = Server::start(samples_warehouse(), &["--max-connections", "1"]);
    let got = pg_clients(&["capped", &server.dsn(PASSWORD)]);
    assert!(got["error"].as_str().is_some_and(|e| e.contains("too many connections")), "{got}");
}

#[test]
fn idle_and_unauthenticated_connections_are_closed_and_running_ones_are_not() {
    if super::python_with("psycopg, sqlalchemy").is_none() {
        return;
    }
    let server = Server::start(samples_warehouse(), &["--idle-timeout", "1s", "--statement-timeout", "3s"]);
    // Runs until its 3 s deadline: longer than the idle timeout.
    let slow = "SELECT count(*) FROM generate_series(1, 1000000000000) AS t(n) WHERE n % 7 = 3";
    let got = pg_clients(&["idle", &server.dsn(PASSWORD), "127.0.0.1", &server.port, slow]);
    assert_eq!(got["unauthenticated_closed"], true, "{got}");
    assert!(got["unauthenticated_seconds"].as_f64().unwrap() < 20.0, "{got}");
    assert!(got["slow_error"].as_str().is_some_and(|e| e.contains("statement timeout")), "{got}");
    assert_eq!(got["after_slow"], 42, "a running statement is not idleness: {got}");
    assert!(got["idle_closed_seconds"].is_number(), "the idle connection is closed: {got}");
    assert!(got["after_idle"].as_str().is_some_and(|a| a.starts_with("closed")), "{got}");
    let log = server.log();
    assert!(log.contains("idle past the idle timeout") && log.contains("no login within the login timeout"), "{log}");
    // The server serves on.
    assert_eq!(pg_clients(&["query", &server.dsn(PASSWORD), "SELECT 40 + 2 AS n", "[]"])["rows"][0]["n"], 42);
}

#[test]
fn a_statement_past_its_memory_limit_fails_and_others_run() {
    if !have_psql() {
        return;
    }
    let wh = samples_warehouse();
    let grouped = "SELECT count(*) FROM (SELECT n, count(*) FROM generate_series(1, 1000000) AS t(n) GROUP BY n) AS g";
    let small = Server::start(wh, &["--memory-limit", "2MiB"]);
    let out = small.sql(grouped);
    assert!(!out.status.success(), "a million groups do not fit in 2 MiB");
    assert!(text(&out.stderr).contains("Resources exhausted"), "{}", text(&out.stderr));
    let ok = small.psql(USER, Some(PASSWORD), &["-A", "-t", "-c", "SELECT count(*) FROM reports"]);
    assert!(ok.status.success(), "a small query still runs: {}", text(&ok.stderr));
    // The same statement under the default limit: it was the limit that stopped it.
    let default = Server::start(wh, &[]);
    let out = default.psql(USER, Some(PASSWORD), &["-A", "-t", "-c", grouped]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "1000000");
}

/// `openssl` makes the test's certificate; with CI=true it must run.
fn have_openssl() -> bool {
    let ok = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    assert!(ok || std::env::var("CI").as_deref() != Ok("true"), "CI=true but openssl does not run");
    if !ok {
        eprintln!("skipping: openssl not found");
    }
    ok
}

#[test]
fn with_a_certificate_only_tls_connections_are_accepted() {
    if !have_psql() || !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    let tls = ["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()];
    let server = Server::start(samples_warehouse(), &tls);
    let connect = |options: &str| {
        let conninfo = format!("host=127.0.0.1 port={} user={USER} dbname=gongkai {options}", server.port);
        Command::new("psql")
            .args(["-X", "-w", "-A", "-t", "-d", &conninfo, "-c", "SELECT count(*) > 0 FROM reports"])
            .env("PGPASSWORD", PASSWORD)
            .env("PGPASSFILE", "/dev/null")
            .output()
            .unwrap()
    };
    let verified = connect(&format!("sslmode=verify-full sslrootcert={}", cert.display()));
    assert!(
        verified.status.success(),
        "TLS with the certificate verified: {}\n{}",
        text(&verified.stderr),
        server.log()
    );
    assert_eq!(text(&verified.stdout).trim(), "t");
    let bound = connect("sslmode=require channel_binding=require");
    assert!(bound.status.success(), "SCRAM with channel binding: {}", text(&bound.stderr));
    let plain = connect("sslmode=disable");
    assert!(!plain.status.success(), "an unencrypted connection is refused");
    assert!(text(&plain.stderr).contains("only TLS connections"), "{}", text(&plain.stderr));

    // A key that cannot be read stops the server instead of serving without TLS.
    std::fs::write(&key, "not a key").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["serve", "--warehouse", samples_warehouse().to_str().unwrap(), "--pg", "127.0.0.1:0"])
        .args(tls)
        .env("GONGKAI_PG_USER", USER)
        .env("GONGKAI_PG_PASSWORD", PASSWORD)
        .env_remove("GONGKAI_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success() && text(&out.stderr).contains("no private key"), "{}", text(&out.stderr));
}

#[test]
fn data_published_after_start_is_seen_on_an_open_connection() {
    if super::python_with("psycopg, sqlalchemy").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    let first = repo().join("samples/00000_360734103_2019_tabs.txt");
    ingest(&wh, &[&first]);
    let server = Server::start(&wh, &[]);
    let sql = "SELECT count(*) AS reports FROM reports";
    let samples = repo().join("samples");
    let got = pg_clients(&[
        "fresh",
        &server.dsn(PASSWORD),
        sql,
        env!("CARGO_BIN_EXE_gongkai"),
        "ingest",
        samples.to_str().unwrap(),
        "--warehouse",
        wh.to_str().unwrap(),
    ]);
    assert_eq!(got["before"][0]["reports"], 1, "{got}");
    let now = query_csv(&wh, "SELECT count(*) FROM reports");
    assert!(now[1][0].parse::<i64>().unwrap() > 1, "the ingest added reports");
    assert_eq!(got["after"][0]["reports"].to_string(), now[1][0], "the open connection sees them: {got}");
}

#[test]
fn serve_settings_come_from_the_flag_the_variable_and_the_config_file_in_that_order() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gongkai.toml");
    std::fs::write(&config, "pg = \"127.0.0.1:0\"\nstatement_timeout = \"from-file\"\n").unwrap();
    let serve = |env: &[(&str, &str)], flags: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
            .args(["serve", "--config", config.to_str().unwrap()])
            .args(flags)
            .env("GONGKAI_PG_USER", USER)
            .env("GONGKAI_PG_PASSWORD", PASSWORD)
            .env_remove("GONGKAI_STATEMENT_TIMEOUT")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(!out.status.success());
        text(&out.stderr)
    };
    // The address comes from the file (no --pg given); each bad timeout names where it came from.
    assert!(serve(&[], &[]).contains("--statement-timeout from-file"), "{}", serve(&[], &[]));
    let env = [("GONGKAI_STATEMENT_TIMEOUT", "from-env")];
    assert!(serve(&env, &[]).contains("--statement-timeout from-env"));
    assert!(serve(&env, &["--statement-timeout", "from-flag"]).contains("--statement-timeout from-flag"));
}

#[test]
fn check_finds_the_servers_setting_errors_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    std::fs::write(&users, "[[user]]\nname = \"a\"\npassword = \"plain text\"\n").unwrap();
    let config = dir.path().join("gongkai.toml");
    std::fs::write(&config, format!("memory_limit = \"lots\"\npg_users = \"{}\"\n", users.display())).unwrap();
    let check = |flags: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
            .args(["check", "--config", config.to_str().unwrap(), "--pipelines", dir.path().to_str().unwrap()])
            .args(flags)
            .env_remove("GONGKAI_MEMORY_LIMIT")
            .output()
            .unwrap();
        (out.status.code(), text(&out.stderr))
    };
    let (code, err) = check(&["--statement-timeout", "soon"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("--statement-timeout soon") && err.contains("--memory-limit lots"),
        "every error at once: {err}"
    );
    let (code, err) = check(&["--memory-limit", "1GiB"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("user a: expected scram-sha-256"), "the users file is read: {err}");
}
