//! `gongkai serve --http` over a warehouse of the bundled samples plus one report whose identities
//! fail: every page and endpoint over HTTP (status, content type, the numbers of `gongkai query`,
//! refusals), and a real headless Chromium that loads the national page and a report page, checks
//! that the charts drew one mark per data point, and keeps screenshots under `target/dashboard/`.
//! Chromium is required when CI=true; otherwise its test is skipped with a message.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use super::repo;
use super::serve::{
    PASSWORD, Server, USER, files, have_psql, ingest, query_csv, query_json, same_cell, same_json, text,
};

/// The sample reports, and one of them again with its applications total misprinted (9 for 7):
/// H3 of new_received and H1 of the total column fail.
fn dashboard_warehouse() -> &'static (PathBuf, String) {
    static WH: OnceLock<(PathBuf, String)> = OnceLock::new();
    WH.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("extra")).unwrap();
        let sample = std::fs::read_to_string(repo().join("samples/00057_130730_2020_markdown.md")).unwrap();
        let printed = "| 一、本年新收政府信息公开申请数量 |  |  | 6 | 0 | 0 | 0 | 1 | 0 | 7 |";
        assert!(sample.contains(printed), "the sample prints its applications row as expected");
        let broken = sample.replace(printed, "| 一、本年新收政府信息公开申请数量 |  |  | 6 | 0 | 0 | 0 | 1 | 0 | 9 |");
        std::fs::write(dir.join("extra/misprinted.md"), &broken).unwrap();
        let wh = dir.join("wh");
        ingest(&wh, &[&repo().join("samples"), &dir.join("extra")]);
        let id = query_csv(&wh, "SELECT report_id FROM reports WHERE source_uri LIKE '%misprinted.md'");
        assert_eq!(id.len(), 2, "the misprinted report is stored");
        (wh, id[1][0].clone())
    })
}

fn start(wh: &Path) -> Server {
    Server::launch(wh, &["--http", "127.0.0.1:0"], &[], &[("GONGKAI_PG_USER", USER), ("GONGKAI_PG_PASSWORD", PASSWORD)])
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
}

/// One HTTP/1.1 request on its own connection; `login` as (user, password).
fn request(addr: &str, method: &str, target: &str, login: Option<(&str, &str)>) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("the dashboard accepts");
    stream.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let auth = login
        .map(|(u, p)| {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            format!("Authorization: Basic {token}\r\n")
        })
        .unwrap_or_default();
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a whole response");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Reply { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 4 + size..];
    }
    out
}

fn get(addr: &str, target: &str) -> Reply {
    let reply = request(addr, "GET", target, Some((USER, PASSWORD)));
    assert_eq!(reply.status, 200, "GET {target}: {}", reply.text());
    reply
}

fn get_page(addr: &str, target: &str) -> String {
    let reply = get(addr, target);
    assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"), "GET {target}");
    reply.text()
}

fn get_api(addr: &str, target: &str) -> Value {
    let reply = get(addr, &format!("/api{target}"));
    assert_eq!(reply.header("content-type"), Some("application/json"), "GET /api{target}");
    reply.json()
}

fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The `<figure>` of chart `id` in `html`.
fn figure<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!(r#"id="chart-{id}""#)).unwrap_or_else(|| panic!("chart {id} on the page"));
    let end = html[start..].find("</figure>").unwrap() + start;
    &html[start..end]
}

fn assert_same_rows(what: &str, got: &Value, want: &[Value]) {
    let got = got.as_array().unwrap_or_else(|| panic!("{what}: rows"));
    assert_eq!(got.len(), want.len(), "{what}: row count");
    for (g, w) in got.iter().zip(want) {
        assert!(same_json(g, w), "{what}:\n{g}\n{w}");
    }
}

#[test]
fn a_dashboard_without_users_does_not_start() {
    let (wh, _) = dashboard_warehouse();
    let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["serve", "--warehouse", wh.to_str().unwrap(), "--http", "127.0.0.1:0"])
        .env_remove("GONGKAI_CONFIG")
        .env_remove("GONGKAI_PG_USER")
        .env_remove("GONGKAI_PG_PASSWORD")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no user to log in"), "{}", text(&out.stderr));
}

#[test]
fn every_page_and_endpoint_answers_with_the_numbers_gongkai_query_gives() {
    let (wh, misprinted) = dashboard_warehouse();
    let before = files(wh);
    let server = start(wh);
    let addr = server.http.as_str();

    // Logins: /healthz alone is open (for probes); everything else needs a user's password.
    let health = request(addr, "GET", "/healthz", None);
    assert_eq!((health.status, health.text().as_str()), (200, "ok\n"));
    for login in [None, Some((USER, "wrong")), Some(("nobody", PASSWORD))] {
        let refused = request(addr, "GET", "/", login);
        assert_eq!(refused.status, 401, "{login:?}");
        assert!(refused.header("www-authenticate").unwrap().starts_with("Basic"));
        assert!(!refused.text().contains("national_trend"));
    }
    // Read-only: only GET and HEAD.
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let refused = request(addr, method, "/api/", Some((USER, PASSWORD)));
        assert_eq!(refused.status, 405, "{method}");
    }

    // National: the view's rows, its CSV, and one mark per year with a value in each chart.
    let national = query_json(wh, "SELECT * FROM national_trend ORDER BY year");
    let api = get_api(addr, "/");
    assert_same_rows("national_trend", &api["tables"]["national_trend"], &national);
    let csv = get(addr, "/api/?table=national_trend&format=csv");
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let want = query_csv(wh, "SELECT * FROM national_trend ORDER BY year");
    let got = super::serve::csv_rows(&csv.text());
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert!(g.iter().zip(w).all(|(a, b)| same_cell(a, b)) && g.len() == w.len(), "{g:?} != {w:?}");
    }
    let page = get_page(addr, "/");
    let with = |column: &str| national.iter().filter(|r| !r[column].is_null()).count();
    for (chart, columns) in [
        ("applications", &["applications"][..]),
        ("grant_rate", &["grant_rate"]),
        ("refusals", &["withheld_rate", "unavailable_rate", "rejected_rate", "other_rate"]),
        ("challenges", &["review_total", "litigation_total"]),
        ("correction_rate", &["correction_rate"]),
    ] {
        let marks: usize = columns.iter().map(|c| with(c)).sum();
        assert!(marks > 0, "{chart}: the samples have values");
        let fig = figure(&page, chart);
        assert!(fig.contains(&format!(r#"data-points="{marks}""#)), "{chart}: {marks} points");
        assert_eq!(fig.matches(r#"class="mark""#).count(), marks, "{chart}");
    }
    let first = &national[0];
    let applications = first["applications"].as_f64().unwrap();
    assert!(
        figure(&page, "applications").contains(&format!(r#"data-y="{applications}""#)),
        "the first year's bar is the view's number"
    );

    // Provinces: the ranking is province_year_trends for the year, with the rates hidden when
    // too few reports stand behind them.
    let year = first["year"].as_i64().unwrap();
    let trends =
        query_json(wh, &format!("SELECT * FROM province_year_trends WHERE year = {year} ORDER BY province_code"));
    let mut ranking = get_api(addr, &format!("/provinces?year={year}&min_reports=1"))["tables"]["ranking"].clone();
    let rows = ranking.as_array_mut().unwrap();
    rows.sort_by_key(|r| r["province_code"].as_str().unwrap().to_string());
    assert_eq!(rows.len(), trends.len());
    for (r, t) in rows.iter().zip(&trends) {
        for column in
            ["province_code", "reports", "applications", "grant_rate", "grant_rate_reports", "correction_rate"]
        {
            assert!(same_json(&r[column], &t[column]), "{column}: {} vs {}", r[column], t[column]);
        }
    }
    let strict = get_api(addr, &format!("/provinces?year={year}&min_reports=1000"));
    assert!(strict["tables"]["ranking"].as_array().unwrap().iter().all(|r| r["grant_rate"].is_null()));
    let page = get_page(addr, &format!("/provinces?year={year}"));
    assert!(page.contains(r#"class="hidden""#), "rates on fewer than 3 reports are hidden");
    assert!(page.contains(r#"id="chart-province-"#), "small multiples");

    // Data quality, its links to the reports, the report list and search.
    let quality = get_api(addr, "/quality");
    let want = query_json(wh, "SELECT * FROM data_quality ORDER BY province_code, year");
    assert_same_rows("data_quality", &quality["tables"]["data_quality"], &want);
    let failing = query_json(wh, "SELECT DISTINCT report_id FROM checks WHERE status = 'fail' AND id = 'H3'");
    let listed = get_api(addr, "/reports?failed=H3");
    let listed: Vec<&str> =
        listed["tables"]["reports"].as_array().unwrap().iter().map(|r| r["report_id"].as_str().unwrap()).collect();
    assert_eq!(listed, failing.iter().map(|r| r["report_id"].as_str().unwrap()).collect::<Vec<_>>());
    assert!(listed.contains(&misprinted.as_str()));
    let page = get_page(addr, "/quality");
    assert!(page.contains("/reports?failed=H3"), "the quality page links to the failing reports");
    let found = get_api(addr, &format!("/search?q={}", enc("怀来县 2020")));
    let found = found["tables"]["results"].as_array().unwrap();
    assert!(found.iter().any(|r| r["report_id"] == misprinted.as_str()), "search by place and year");
    assert!(found.iter().all(|r| r["year"] == 2020));
    // Words are bound as parameters: SQL in them is text to look for, and nothing is written.
    let hostile = get_api(addr, &format!("/search?q={}", enc("x' OR '1'='1'; DROP TABLE reports; --")));
    assert_eq!(hostile["tables"]["results"].as_array().unwrap().len(), 0);

    // A body: every report_metrics row of it, and its continuity rows.
    let body = query_csv(wh, &format!("SELECT body_id FROM reports WHERE report_id = '{misprinted}'"))[1][0].clone();
    let metrics =
        query_json(wh, &format!("SELECT * FROM report_metrics WHERE body_id = '{body}' ORDER BY year, report_id"));
    let api = get_api(addr, &format!("/body/{}", enc(&body)));
    assert_same_rows("report_metrics", &api["tables"]["metrics"], &metrics);
    let continuity = query_json(
        wh,
        &format!(
            "SELECT year, report_id, prev_year, prev_report_id, item, value, expected, difference, status FROM continuity WHERE body_id = '{body}' ORDER BY year, item"
        ),
    );
    assert_same_rows("continuity", &api["tables"]["continuity"], &continuity);
    let page = get_page(addr, &format!("/body/{}", enc(&body)));
    assert!(figure(&page, "body-applications").contains("data-points="));

    // A report: its cells as printed beside the values, the failed identities highlighted with
    // both sides and the difference, and the raw file as archived.
    let api = get_api(addr, &format!("/report/{misprinted}"));
    let cells = query_json(
        wh,
        &format!(
            "SELECT section, row, col, raw, value, kind FROM cells WHERE report_id = '{misprinted}' ORDER BY section, row, col"
        ),
    );
    assert_same_rows("cells", &api["tables"]["cells"], &cells);
    let page = get_page(addr, &format!("/report/{misprinted}"));
    assert!(
        page.contains(r#"<td class="cell number failed" title="sec3.new_received.total · number · fails H1 total, H3 new_received" data-cell="sec3.new_received.total"><span class="raw">9</span><span class="value">9</span></td>"#),
        "the misprinted total is highlighted with the checks that read it"
    );
    assert!(
        page.contains(r#"data-cell="sec3.carried_over.natural_person""#)
            && !page.contains(r#"class="cell number failed" title="sec3.carried_over.natural_person"#)
    );
    assert!(page.contains("<strong>H3 new_received</strong>: total = sum of the six applicant columns (per sec3 row). Left side 9, right side 7, difference 2."));
    let raw = get(addr, &format!("/raw/{misprinted}"));
    assert_eq!(raw.body, std::fs::read(wh.parent().unwrap().join("extra/misprinted.md")).unwrap());
    assert_eq!(raw.header("content-security-policy"), Some("sandbox"));

    // Every page as HTML, and what the pages load.
    for target in [
        "/".to_string(),
        format!("/provinces?year={year}"),
        "/quality".into(),
        "/reports?failed=H3".into(),
        format!("/search?q={}", enc("怀来县")),
        format!("/body/{}", enc(&body)),
        format!("/report/{misprinted}"),
    ] {
        let page = get_page(addr, &target);
        assert!(page.contains("<h1>") && page.contains("/assets/dashboard.js"), "{target}");
    }
    assert_eq!(get(addr, "/assets/dashboard.css").header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(get(addr, "/assets/dashboard.js").header("content-type"), Some("text/javascript; charset=utf-8"));
    let head = request(addr, "HEAD", "/", Some((USER, PASSWORD)));
    assert_eq!((head.status, head.body.len()), (200, 0), "HEAD answers without a body");

    // Errors say what is wrong.
    let missing = request(addr, "GET", &format!("/report/{}", "0".repeat(64)), Some((USER, PASSWORD)));
    assert_eq!(missing.status, 404);
    assert_eq!(request(addr, "GET", "/api/provinces?year=soon", Some((USER, PASSWORD))).status, 400);
    assert_eq!(request(addr, "GET", "/nowhere", Some((USER, PASSWORD))).status, 404);
    assert_eq!(request(addr, "GET", "/api/?table=nothing&format=csv", Some((USER, PASSWORD))).status, 404);

    drop(server);
    assert_eq!(files(wh), before, "serving wrote nothing");
}

/// Whether Chromium runs; with CI=true it must.
fn chromium() -> Option<&'static str> {
    let ok = Command::new("chromium").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(ok || std::env::var("CI").as_deref() != Ok("true"), "CI=true but chromium does not run");
    if !ok {
        eprintln!("skipping: chromium not found (Debian: chromium)");
    }
    ok.then_some("chromium")
}

/// Chromium, headless, on `url`: the DOM after the page's load handlers ran, and a screenshot.
fn browse(browser: &str, url: &str, screenshot: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--virtual-time-budget=10000",
        "--window-size=1300,2400",
    ];
    let run = |extra: &str| {
        let out = Command::new(browser)
            .args(common)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(extra)
            .arg(url)
            .output()
            .expect("chromium runs");
        assert!(out.status.success(), "chromium {extra}: {}", text(&out.stderr));
        out
    };
    run(&format!("--screenshot={}", screenshot.display()));
    assert!(std::fs::metadata(screenshot).is_ok_and(|m| m.len() > 10_000), "a screenshot of {url}");
    text(&run("--dump-dom").stdout)
}

#[test]
fn a_headless_browser_draws_every_chart_mark_and_the_report_page() {
    let Some(browser) = chromium() else { return };
    let (wh, misprinted) = dashboard_warehouse();
    let server = start(wh);
    let shots = repo().join("target/dashboard");
    std::fs::create_dir_all(&shots).unwrap();
    let base = format!("http://{USER}:{}@{}", enc(PASSWORD).replace('+', "%20"), server.http);

    let dom = browse(browser, &format!("{base}/"), &shots.join("national.png"));
    assert!(dom.contains(r#"data-charts-drawn="5""#), "the page script ran over five charts:\n{}", server.log());
    let mut figures = 0;
    for piece in dom.split("<figure").skip(1) {
        let attr = |name: &str| {
            let start = piece.find(&format!(r#"{name}=""#)).unwrap_or_else(|| panic!("{name} in {piece:.200}"));
            let rest = &piece[start + name.len() + 2..];
            rest[..rest.find('"').unwrap()].parse::<usize>().unwrap()
        };
        let (points, drawn) = (attr("data-points"), attr("data-drawn"));
        assert!(points > 0);
        assert_eq!(drawn, points, "every mark of the chart was drawn with a size");
        figures += 1;
    }
    assert_eq!(figures, 5);

    let dom = browse(browser, &format!("{base}/report/{misprinted}"), &shots.join("report.png"));
    assert!(dom.contains(r#"data-cell="sec3.new_received.total""#), "the report's printed tables");
    assert!(dom.contains(r#"class="cell number failed""#));
    assert!(dom.contains("Left side 9, right side 7, difference 2."));
}

#[test]
fn bad_passwords_and_slow_clients_leave_both_servers_serving_others() {
    if !have_psql() {
        return;
    }
    let (wh, _) = dashboard_warehouse();
    let before = files(wh);
    let server = Server::launch(
        wh,
        &["--pg", "127.0.0.1:0", "--http", "127.0.0.1:0"],
        &[],
        &[("GONGKAI_PG_USER", USER), ("GONGKAI_PG_PASSWORD", PASSWORD)],
    );
    let pg_addr = format!("127.0.0.1:{}", server.port);
    // 50 slow clients on each server: PostgreSQL connections that never send their startup
    // message, HTTP requests whose headers never end. They stay open throughout.
    let connected = std::time::Instant::now();
    let mut slow = Vec::new();
    for _ in 0..50 {
        slow.push(TcpStream::connect(&pg_addr).unwrap());
        let mut http = TcpStream::connect(&server.http).unwrap();
        http.write_all(b"GET /api/ HTTP/1.1\r\nHost: slow\r\nAuthorization: Basic ").unwrap();
        slow.push(http);
    }
    // 200 logins with bad passwords on each, four at a time.
    std::thread::scope(|scope| {
        for worker in 0..4 {
            let server = &server;
            scope.spawn(move || {
                for attempt in 0..50 {
                    let password = format!("wrong-{worker}-{attempt}");
                    let refused = server.psql(USER, Some(&password), &["-c", "SELECT 1"]);
                    assert!(!refused.status.success(), "a wrong password logged in");
                    assert!(
                        text(&refused.stderr).to_lowercase().contains("password authentication failed"),
                        "{}",
                        text(&refused.stderr)
                    );
                    let reply = request(&server.http, "GET", "/api/", Some((USER, &password)));
                    assert_eq!(reply.status, 401);
                }
            });
        }
    });
    // Others are served meanwhile, with the right rows.
    let want = query_csv(wh, "SELECT count(*) FROM reports");
    let out = server.sql("SELECT count(*) FROM reports");
    assert!(out.status.success(), "{}\n{}", text(&out.stderr), server.log());
    assert!(text(&out.stdout).contains(&format!(" {}\n", want[1][0])), "{}", text(&out.stdout));
    let national = get_api(&server.http, "/");
    assert_same_rows(
        "national_trend",
        &national["tables"]["national_trend"],
        &query_json(wh, "SELECT * FROM national_trend ORDER BY year"),
    );
    // The slow HTTP clients held their connections: the server closes one only at its 20 s header
    // timeout, never sooner (on a busy machine the checks above may take longer than that).
    let mut probe = [0u8; 1];
    let held = &slow[1];
    held.set_nonblocking(true).unwrap();
    match (&*held).read(&mut probe) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        closed => assert!(
            connected.elapsed() >= std::time::Duration::from_secs(20),
            "a slow client was let go after {:?}: {closed:?}",
            connected.elapsed()
        ),
    }
    drop(slow);
    drop(server);
    assert_eq!(files(wh), before, "nothing was written");
}

#[test]
fn a_page_shows_what_a_run_committed_after_it_was_first_built() {
    let dir = tempfile::tempdir().unwrap();
    let (first, later) = (dir.path().join("first"), dir.path().join("later"));
    std::fs::create_dir_all(&first).unwrap();
    std::fs::create_dir_all(&later).unwrap();
    let mut samples: Vec<PathBuf> = std::fs::read_dir(repo().join("samples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    samples.sort();
    for (i, path) in samples.iter().take(6).enumerate() {
        let to = if i < 3 { &first } else { &later };
        std::fs::copy(path, to.join(path.file_name().unwrap())).unwrap();
    }
    let wh = dir.path().join("wh");
    ingest(&wh, &[&first]);
    let server = start(&wh);
    let reports = |national: &Value| -> i64 {
        national["tables"]["national_trend"].as_array().unwrap().iter().map(|r| r["reports"].as_i64().unwrap()).sum()
    };
    let before = get_api(&server.http, "/");
    assert_eq!(reports(&before), 3);
    // Asked again: the same page (built once for this state of the warehouse).
    assert_eq!(get_api(&server.http, "/"), before);
    ingest(&wh, &[&later]);
    let after = get_api(&server.http, "/");
    assert_eq!(reports(&after), 6, "the page shows the run committed since it was first built");
    assert_same_rows(
        "national_trend",
        &after["tables"]["national_trend"],
        &query_json(&wh, "SELECT * FROM national_trend ORDER BY year"),
    );
}
