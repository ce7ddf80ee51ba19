//! The views of `sql/` over a multi-year warehouse built through the real ingest path from generated
//! reports (three bodies in three provinces over three years, with a blank cell and a misprinted
//! total), compared with values computed here from the generated numbers; and the same view SQL run
//! unchanged on DuckDB over the same Parquet.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use gongkai::catalog;
use gongkai::pipeline::{self, Options, Quiet};
use gongkai::store::Warehouse;
use serde_json::Value;

const COLS: usize = 7;
const ROWS: [(&str, &str); 25] = [
    ("new_received", "一、本年新收政府信息公开申请数量"),
    ("carried_over", "二、上年结转政府信息公开申请数量"),
    ("granted", "（一）予以公开"),
    ("partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("withheld_state_secret", "1.属于国家秘密"),
    ("withheld_law_prohibited", "2.其他法律行政法规禁止公开"),
    ("withheld_security_stability", "3.危及“三安全一稳定”"),
    ("withheld_third_party", "4.保护第三方合法权益"),
    ("withheld_internal_affairs", "5.属于三类内部事务信息"),
    ("withheld_process_info", "6.属于四类过程性信息"),
    ("withheld_enforcement_file", "7.属于行政执法案卷"),
    ("withheld_admin_query", "8.属于行政查询事项"),
    ("unavailable_not_held", "1.本机关不掌握相关政府信息"),
    ("unavailable_needs_creation", "2.没有现成信息需要另行制作"),
    ("unavailable_unclear", "3.补正后申请内容仍不明确"),
    ("rejected_petition", "1.信访举报投诉类申请"),
    ("rejected_duplicate", "2.重复申请"),
    ("rejected_publication", "3.要求提供公开出版物"),
    ("rejected_excessive", "4.无正当理由大量反复申请"),
    ("rejected_confirm_reissue", "5.要求行政机关确认或重新出具已获取信息"),
    ("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("other_fee_unpaid", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("other_misc", "3.其他"),
    ("results_total", "（七）总计"),
    ("carried_forward", "四、结转下年度继续办理"),
];

/// One generated report: its place, year and every printed number (None = a blank cell).
struct Generated {
    agency: &'static str,
    province_code: &'static str,
    year: i32,
    sec3: BTreeMap<&'static str, [Option<f64>; COLS]>,
    sec4: [f64; 15],
    proactive: i64,
}

const BODIES: [(&str, &str); 3] = [("利通区古城镇", "64"), ("米易县得石镇", "51"), ("会宁县柴家门镇", "62")];
const YEARS: [i32; 3] = [2021, 2022, 2023];

/// Numbers that satisfy every identity, different for each body and year; then one blank cell and
/// one misprinted total.
fn generate() -> Vec<Generated> {
    let mut out = Vec::new();
    for (b, (agency, province_code)) in BODIES.iter().enumerate() {
        for (y, year) in YEARS.iter().enumerate() {
            let k = (b * 3 + y) as f64;
            let mut rows: BTreeMap<&str, [f64; COLS]> = ROWS.iter().map(|(key, _)| (*key, [0.0; COLS])).collect();
            let mut set = |row: &'static str, col: usize, v: f64| rows.get_mut(row).unwrap()[col] = v;
            // natural persons, commercial enterprises (col 1), public-welfare organisations (col 3)
            let (n1, n2, n4, c1) = (10.0 + k, k % 3.0, (k + 1.0) % 2.0, k % 4.0);
            set("new_received", 0, n1);
            set("new_received", 1, n2);
            set("new_received", 3, n4);
            set("carried_over", 0, c1);
            let outcomes = [
                ("granted", 4.0 + k % 5.0),
                ("partially_granted", 1.0 + k % 2.0),
                ("withheld_law_prohibited", k % 3.0),
                ("unavailable_not_held", 2.0),
                ("rejected_duplicate", k % 2.0),
                ("other_misc", 1.0),
            ];
            let mut decided = 0.0;
            for (row, v) in outcomes {
                set(row, 0, v);
                decided += v;
            }
            assert!(decided <= n1 + c1, "generator keeps carried_forward ≥ 0");
            set("granted", 1, n2);
            set("unavailable_not_held", 3, n4);
            set("results_total", 0, decided);
            set("results_total", 1, n2);
            set("results_total", 3, n4);
            set("carried_forward", 0, n1 + c1 - decided);
            for row in rows.values_mut() {
                row[6] = row[..6].iter().sum();
            }
            let sec3 = rows.into_iter().map(|(key, v)| (key, v.map(Some))).collect();
            let review = [k % 2.0, 1.0, 0.0, 0.0, 1.0 + k % 2.0];
            let direct = [0.0, (b % 2) as f64, 1.0, 0.0, 1.0 + (b % 2) as f64];
            let mut sec4 = [0.0; 15];
            sec4[..5].copy_from_slice(&review);
            sec4[5..10].copy_from_slice(&direct);
            out.push(Generated { agency, province_code, year: *year, sec3, sec4, proactive: 100 + 10 * k as i64 });
        }
    }
    // A blank cell: the second body's 2022 report left granted.total empty.
    out[4].sec3.get_mut("granted").unwrap()[6] = None;
    // A misprint: the third body's 2023 report prints one more in the grand total than its rows add up to.
    let total = out[8].sec3.get_mut("results_total").unwrap();
    total[6] = total[6].map(|v| v + 1.0);
    out
}

fn fmt(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

/// The report as a tab-separated text report, the layout of most township reports.
fn render(g: &Generated) -> String {
    let mut t = format!(
        "{agency}{year}年政府信息公开工作年度报告\n\n一、总体情况\n\n全年共发布各类信息 {p} 条。\n\n二、主动公开政府信息情况\n\n\
         第二十条第（一）项\t\t\t\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t0\t0\t0\n行政规范性文件\t1\t0\t2\n\
         第二十条第（五）项\t\t\t\n信息内容\t本年处理决定数量\t\t\n行政许可\t3\t\t\n第二十条第（六）项\t\t\t\n行政处罚\t0\t\t\n行政强制\t0\t\t\n\
         第二十条第（八）项\t\t\t\n行政事业性收费\t0\t\t\n\n三、收到和处理政府信息公开申请情况\n\n",
        agency = g.agency,
        year = g.year,
        p = g.proactive
    );
    for (key, label) in ROWS {
        let cells: Vec<String> = g.sec3[key].iter().map(|v| fmt(*v)).collect();
        t += &format!("\t{label}\t{}\n", cells.join("\t"));
    }
    t += "\n四、政府信息公开行政复议、行政诉讼情况\n\n行政复议\t\t\t\t\t行政诉讼\n";
    t += &g.sec4.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("\t");
    t += "\n\n五、存在的主要问题及改进情况\n\n无。\n\n六、其他需要报告的事项\n\n无。\n";
    t
}

fn build_warehouse(dir: &Path) -> (Vec<Generated>, Warehouse) {
    let reports = generate();
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let mut sources = Vec::new();
    for (i, g) in reports.iter().enumerate() {
        let path = inbox.join(format!("r{i}.txt"));
        std::fs::write(&path, render(g)).unwrap();
        sources.push(path.display().to_string());
    }
    let wh = Warehouse::open(&dir.join("wh").display().to_string(), &[]).unwrap();
    let rt = runtime();
    let summary = rt.block_on(pipeline::ingest(&wh, &sources, &Options::default(), &Quiet)).unwrap();
    assert_eq!(summary.reports, reports.len(), "{}", summary.render());
    (reports, wh)
}

pub(super) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

/// A view's rows as JSON objects, through the catalog.
pub(super) fn view_rows(
    rt: &tokio::runtime::Runtime,
    wh: &Warehouse,
    sql: &str,
) -> Vec<serde_json::Map<String, Value>> {
    rt.block_on(async {
        let ctx = catalog::open(wh, &catalog::embedded_views()).await.unwrap();
        let result = gongkai::query::run(&ctx, sql).await.unwrap();
        let mut out = Vec::new();
        gongkai::query::write(&result, gongkai::query::OutputFormat::Json, &mut out).unwrap();
        let rows: Vec<Value> = serde_json::from_slice(&out).unwrap_or_default();
        rows.into_iter().map(|v| v.as_object().unwrap().clone()).collect()
    })
}

pub(super) fn num(row: &serde_json::Map<String, Value>, col: &str) -> Option<f64> {
    match row.get(col) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.parse().ok(),
        Some(Value::Bool(b)) => Some(f64::from(u8::from(*b))),
        Some(other) => panic!("{col}: unexpected {other}"),
    }
}

pub(super) fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    }
}

fn assert_close(what: &str, got: Option<f64>, want: Option<f64>) {
    assert!(close(got, want), "{what}: got {got:?}, want {want:?}");
}

/// A sum that is NULL when any part is NULL (blanks are never 0).
fn strict_sum(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    values.into_iter().try_fold(0.0, |acc, v| v.map(|v| acc + v))
}

fn div(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b != 0.0 => Some(a / b),
        _ => None,
    }
}

/// report_metrics computed from the generated numbers.
struct Metrics {
    applications: Option<f64>,
    processed: Option<f64>,
    granted: Option<f64>,
    partially_granted: Option<f64>,
    withheld: Option<f64>,
    other: Option<f64>,
    review_total: f64,
    litigation_total: f64,
    corrected: f64,
}

fn metrics(g: &Generated) -> Metrics {
    let total = |row: &str| g.sec3[row][6];
    let group = |prefix: &str| strict_sum(ROWS.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(k, _)| total(k)));
    Metrics {
        applications: total("new_received"),
        processed: total("results_total"),
        granted: total("granted"),
        partially_granted: total("partially_granted"),
        withheld: group("withheld"),
        other: strict_sum(["other_no_correction", "other_fee_unpaid", "other_misc"].map(total)),
        review_total: g.sec4[4],
        litigation_total: g.sec4[9] + g.sec4[14],
        corrected: g.sec4[1] + g.sec4[6] + g.sec4[11],
    }
}

#[test]
fn views_match_values_computed_from_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (reports, wh) = build_warehouse(dir.path());
    let rt = runtime();

    // report_metrics: one row per report.
    let rows = view_rows(&rt, &wh, "SELECT * FROM report_metrics ORDER BY province_code, year");
    assert_eq!(rows.len(), reports.len());
    for g in &reports {
        let row = rows
            .iter()
            .find(|r| r["province_code"] == g.province_code && r["year"] == g.year)
            .unwrap_or_else(|| panic!("{} {} in report_metrics", g.agency, g.year));
        let m = metrics(g);
        let what = |c: &str| format!("report_metrics {} {} {c}", g.agency, g.year);
        assert_close(&what("applications"), num(row, "applications"), m.applications);
        assert_close(&what("processed"), num(row, "processed"), m.processed);
        assert_close(&what("withheld"), num(row, "withheld"), m.withheld);
        assert_close(&what("other"), num(row, "other"), m.other);
        let granted = strict_sum([m.granted, m.partially_granted]);
        assert_close(&what("grant_rate"), num(row, "grant_rate"), div(granted, m.processed));
        assert_close(
            &what("correction_rate"),
            num(row, "correction_rate"),
            div(Some(m.corrected), Some(m.review_total + m.litigation_total)),
        );
        assert_eq!(num(row, "proactive_total"), Some(g.proactive as f64));
    }
    let blank = rows.iter().find(|r| r["province_code"] == "51" && r["year"] == 2022).unwrap();
    assert_eq!(blank["grant_rate"], Value::Null, "a blank cell gives a NULL rate, never a rate over 0");

    // province_year_trends: one body per province here, so sums equal the report's metrics;
    // year-over-year change from the previous year.
    let rows = view_rows(&rt, &wh, "SELECT * FROM province_year_trends ORDER BY province_code, year");
    assert_eq!(rows.len(), 9);
    for g in &reports {
        let row = rows.iter().find(|r| r["province_code"] == g.province_code && r["year"] == g.year).unwrap();
        let m = metrics(g);
        assert_eq!(num(row, "reports"), Some(1.0));
        assert_close("applications", num(row, "applications"), m.applications);
        let prev = reports.iter().find(|p| p.province_code == g.province_code && p.year == g.year - 1);
        let change = prev.map(|p| m.applications.unwrap() - metrics(p).applications.unwrap());
        assert_close(
            &format!("applications_change {} {}", g.province_code, g.year),
            num(row, "applications_change"),
            change,
        );
        assert_eq!(num(row, "prev_year"), prev.map(|p| p.year as f64));
    }

    // national_trend: sums over the three provinces per year.
    let rows = view_rows(&rt, &wh, "SELECT * FROM national_trend ORDER BY year");
    assert_eq!(rows.len(), 3);
    for (row, year) in rows.iter().zip(YEARS) {
        let of_year: Vec<&Generated> = reports.iter().filter(|g| g.year == year).collect();
        let apps: f64 = of_year.iter().map(|g| metrics(g).applications.unwrap()).sum();
        // A rate's numerator and denominator come from the same reports: the report with a blank
        // granted cell counts in neither.
        let covered: Vec<Metrics> = of_year
            .iter()
            .map(|g| metrics(g))
            .filter(|m| m.granted.is_some() && m.partially_granted.is_some() && m.processed.is_some())
            .collect();
        let granted: f64 = covered.iter().map(|m| m.granted.unwrap() + m.partially_granted.unwrap()).sum();
        let processed: f64 = covered.iter().map(|m| m.processed.unwrap()).sum();
        assert_close(&format!("national applications {year}"), num(row, "applications"), Some(apps));
        assert_close(&format!("national grant_rate {year}"), num(row, "grant_rate"), Some(granted / processed));
        assert_eq!(num(row, "grant_rate_reports"), Some(covered.len() as f64), "{year}");
        assert_eq!(covered.len(), if year == 2022 { 2 } else { 3 });
        assert_eq!(num(row, "provinces"), Some(3.0));
    }

    // agency_trends: continuity of carried_over against last year's carried_forward.
    let rows = view_rows(&rt, &wh, "SELECT * FROM agency_trends ORDER BY province_code, year");
    assert_eq!(rows.len(), 9);
    for g in &reports {
        let row = rows.iter().find(|r| r["agency"] == g.agency && r["year"] == g.year).unwrap();
        let prev = reports.iter().find(|p| p.agency == g.agency && p.year == g.year - 1);
        let expected =
            prev.map(|p| if p.sec3["carried_forward"][6] == g.sec3["carried_over"][6] { "match" } else { "mismatch" });
        assert_eq!(row["continuity"].as_str(), expected, "{} {}", g.agency, g.year);
        assert_close(
            "prev_carried_forward",
            num(row, "prev_carried_forward"),
            prev.and_then(|p| p.sec3["carried_forward"][6]),
        );
    }

    // applicant_mix and outcome_mix: shares of the summed totals.
    let rows = view_rows(&rt, &wh, "SELECT * FROM applicant_mix");
    for g in &reports {
        let row = rows.iter().find(|r| r["province_code"] == g.province_code && r["year"] == g.year).unwrap();
        let new = g.sec3["new_received"];
        assert_close("natural_person_share", num(row, "natural_person_share"), div(new[0], new[6]));
        assert_close("commercial_enterprise_share", num(row, "commercial_enterprise_share"), div(new[1], new[6]));
    }
    let rows = view_rows(&rt, &wh, "SELECT * FROM outcome_mix");
    for g in &reports {
        let row = rows.iter().find(|r| r["province_code"] == g.province_code && r["year"] == g.year).unwrap();
        let m = metrics(g);
        assert_close("granted_share", num(row, "granted_share"), div(m.granted, m.processed));
        assert_close("withheld_share", num(row, "withheld_share"), div(m.withheld, m.processed));
    }

    // data_quality: the misprinted total fails H2 (outcomes) and H3 (its row); the blank cell shows.
    let rows = view_rows(&rt, &wh, "SELECT * FROM data_quality");
    for g in &reports {
        let row = rows.iter().find(|r| r["province_code"] == g.province_code && r["year"] == g.year).unwrap();
        let misprinted = g.province_code == "62" && g.year == 2023;
        let blank = g.province_code == "51" && g.year == 2022;
        let share = if misprinted { 1.0 } else { 0.0 };
        assert_close("h2_fail_share", num(row, "h2_fail_share"), Some(share));
        assert_close("h3_fail_share", num(row, "h3_fail_share"), Some(share));
        assert_close("h4_fail_share", num(row, "h4_fail_share"), Some(0.0));
        let cells = num(row, "cells").unwrap();
        assert_close("blank_share", num(row, "blank_share"), Some(if blank { 1.0 / cells } else { 0.0 }));
    }
}

#[test]
fn every_view_gives_the_same_rows_on_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let (_, wh) = build_warehouse(dir.path());
    assert_same_on_duckdb(&dir.path().join("wh"), &wh);
}

/// Every view of `sql/` gives the same rows on DuckDB over the warehouse at `wh_dir` (skipped
/// outside CI without duckdb).
pub(super) fn assert_same_on_duckdb(wh_dir: &Path, wh: &Warehouse) {
    let Some(python) = super::python_with("duckdb") else { return };
    let rt = runtime();
    let script = super::repo().join("tests/views_duckdb.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(wh_dir)
        .arg(super::repo().join("sql"))
        .output()
        .expect("python runs views_duckdb.py");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let duck: BTreeMap<String, Vec<serde_json::Map<String, Value>>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(duck.len(), catalog::EMBEDDED_VIEWS.len(), "DuckDB ran every view");
    for (view, duck_rows) in &duck {
        let ours = view_rows(&rt, wh, &format!("SELECT * FROM {view}"));
        assert_eq!(ours.len(), duck_rows.len(), "{view}: row count");
        let key = |r: &serde_json::Map<String, Value>| -> String {
            let mut cols: Vec<&String> = r.keys().collect();
            cols.sort();
            cols.iter().map(|c| format!("{}", r[c.as_str()])).collect::<Vec<_>>().join("|")
        };
        let mut ours_sorted = ours.clone();
        let mut duck_sorted = duck_rows.clone();
        // Compare after sorting both by their identifying columns.
        let ident = |r: &serde_json::Map<String, Value>| {
            ["report_id", "duplicate_id", "body_id", "agency", "province_code", "year", "item", "section", "row", "col"]
                .iter()
                .map(|c| format!("{}", r.get(*c).unwrap_or(&Value::Null)))
                .collect::<Vec<_>>()
                .join("|")
        };
        ours_sorted.sort_by_key(|r| ident(r));
        duck_sorted.sort_by_key(|r| ident(r));
        for (a, b) in ours_sorted.iter().zip(&duck_sorted) {
            let cols_a: Vec<&String> = a.keys().collect();
            for col in cols_a {
                let (x, y) = (a.get(col).unwrap(), b.get(col).unwrap_or(&Value::Null));
                let same = match (x, y) {
                    (Value::String(s), Value::String(t)) => s == t,
                    _ if num(a, col).is_some() || num(b, col).is_some() => close(num(a, col), num(b, col)),
                    _ => x == y,
                };
                assert!(same, "{view}.{col}: gongkai {x} vs duckdb {y}\n{}\n{}", key(a), key(b));
            }
        }
    }
}

#[test]
fn check_plans_every_view_and_names_the_broken_ones() {
    let gongkai = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_gongkai")).args(args).output().unwrap();
    let pipelines = super::repo().join("pipelines");
    let shipped = gongkai(&["check", "--pipelines", pipelines.to_str().unwrap()]);
    assert!(shipped.status.success(), "{}", String::from_utf8_lossy(&shipped.stderr));
    let stdout = String::from_utf8(shipped.stdout).unwrap();
    assert!(stdout.contains(&format!("{} view(s) valid", catalog::EMBEDDED_VIEWS.len())), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.sql"), "-- a view\nCREATE VIEW good AS SELECT report_id FROM reports")
        .unwrap();
    std::fs::write(dir.path().join("bad.sql"), "-- a view\nCREATE VIEW bad AS SELECT no_such_column FROM good")
        .unwrap();
    std::fs::write(dir.path().join("worse.sql"), "-- a view\nCREATE VIEW worse AS SELEC 1").unwrap();
    let out =
        gongkai(&["check", "--pipelines", pipelines.to_str().unwrap(), "--sql-dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("bad.sql: view bad:"), "{stderr}");
    assert!(stderr.contains("worse.sql: view worse:"), "{stderr}");
    assert!(!stderr.contains("view good:"), "{stderr}");
    assert!(stderr.contains("2 error(s)"), "{stderr}");
}

#[test]
fn sql_shell_reads_statements_from_standard_input() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let (reports, _) = build_warehouse(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["sql", "--warehouse", dir.path().join("wh").to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A listing, a statement over two lines, an error that does not end the session, a quit.
    let script = "\\d\nSELECT COUNT(*) AS n\n  FROM report_metrics;\nSELECT nonsense FROM nowhere;\n\\d reports\n\\q\nSELECT 1;\n";
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a script with a failed statement exits non-zero");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("province_year_trends") && stdout.contains("| cells "), "{stdout}");
    assert!(stdout.contains(&format!("| {} |", reports.len())), "{stdout}");
    assert!(stdout.contains("error: "), "{stdout}");
    assert!(stdout.contains("| ingested_at "), "\\d reports lists its columns: {stdout}");
    assert_eq!(stdout.matches(" row").count(), 3, "three statements ran before \\q: {stdout}");
}

#[test]
fn rates_cover_only_the_reports_that_print_both_numbers() {
    // Two reports of one province and year: the second left granted.total and
    // new_received.natural_person blank, so it counts in neither side of those rates.
    let mut reports = generate();
    reports.truncate(1);
    let mut blank = generate().remove(0);
    blank.sec3.get_mut("granted").unwrap()[6] = None;
    blank.sec3.get_mut("new_received").unwrap()[0] = None;
    blank.proactive += 1;
    // Another body of the province: a second report of the same body and year would be a duplicate.
    blank.agency = "利通区金积镇";
    reports.push(blank);
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let sources: Vec<String> = reports
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let path = inbox.join(format!("r{i}.txt"));
            std::fs::write(&path, render(g)).unwrap();
            path.display().to_string()
        })
        .collect();
    let wh = Warehouse::open(&dir.path().join("wh").display().to_string(), &[]).unwrap();
    let rt = runtime();
    let summary = rt.block_on(pipeline::ingest(&wh, &sources, &Options::default(), &Quiet)).unwrap();
    assert_eq!(summary.reports, 2, "{}", summary.render());
    let (full, partial) = (metrics(&reports[0]), metrics(&reports[1]));

    let rows = view_rows(&rt, &wh, "SELECT * FROM province_year_trends");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    let grant = (full.granted.unwrap() + full.partially_granted.unwrap()) / full.processed.unwrap();
    assert_close("grant_rate over the report printing both", num(row, "grant_rate"), Some(grant));
    assert_eq!(num(row, "grant_rate_reports"), Some(1.0));
    assert_eq!(num(row, "withheld_rate_reports"), Some(2.0));
    let withheld =
        (full.withheld.unwrap() + partial.withheld.unwrap()) / (full.processed.unwrap() + partial.processed.unwrap());
    assert_close("withheld_rate over both", num(row, "withheld_rate"), Some(withheld));
    assert_close(
        "processed sums every report",
        num(row, "processed"),
        Some(full.processed.unwrap() + partial.processed.unwrap()),
    );

    let rows = view_rows(&rt, &wh, "SELECT * FROM outcome_mix");
    assert_close(
        "granted_share",
        num(&rows[0], "granted_share"),
        Some(full.granted.unwrap() / full.processed.unwrap()),
    );
    assert_eq!(num(&rows[0], "granted_share_reports"), Some(1.0));

    let rows = view_rows(&rt, &wh, "SELECT * FROM applicant_mix");
    let new = reports[0].sec3["new_received"];
    assert_close("natural_person_share", num(&rows[0], "natural_person_share"), div(new[0], new[6]));
    assert_eq!(num(&rows[0], "natural_person_share_reports"), Some(1.0));
    assert_eq!(num(&rows[0], "commercial_enterprise_share_reports"), Some(2.0));

    let rows = view_rows(&rt, &wh, "SELECT * FROM national_trend");
    assert_close("national grant_rate", num(&rows[0], "grant_rate"), Some(grant));
    assert_eq!(num(&rows[0], "grant_rate_reports"), Some(1.0));
}
