//! Beyond one machine: Apache Spark (pyspark in local mode) reads a warehouse gongkai wrote, with
//! its Hive partition types, runs `province_year_trends` (and the views it reads) from the `.sql`
//! files through the mechanical rewrite of `tests/views_spark.py`, and gets the
//! rows `gongkai query` prints. Needs python3 with pyspark and Java 17; with CI=true a missing one
//! fails the test instead of skipping it.

use std::path::Path;
use std::process::Command;

use serde_json::{Map, Value};

use super::repo;

fn gongkai(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gongkai")).args(args).output().expect("gongkai runs")
}

/// `java` on PATH (or under JAVA_HOME), as pyspark finds it. Fails when CI=true and it is missing.
fn java() -> bool {
    let java =
        std::env::var_os("JAVA_HOME").map(|home| Path::new(&home).join("bin/java")).unwrap_or_else(|| "java".into());
    let ok = Command::new(&java).arg("-version").output().is_ok_and(|o| o.status.success());
    assert!(ok || std::env::var("CI").as_deref() != Ok("true"), "CI=true but {} does not run", java.display());
    if !ok {
        eprintln!("skipping: {} does not run", java.display());
    }
    ok
}

/// A warehouse with the bundled samples, generated reports with faults (blank and dash cells, so
/// NULLs reach the sums) and one report whose region is unknown (partition province_code=00, which
/// an engine that guesses partition types would read as the number 0).
fn build_warehouse(dir: &Path) -> std::path::PathBuf {
    let faulty = dir.join("faulty");
    let out = gongkai(&["synth", "--count", "40", "--seed", "7", "--raw-only", "--out", faulty.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let sample = std::fs::read_to_string(repo().join("samples/00000_360734103_2019_tabs.txt")).unwrap();
    let mut unknown = sample.replace("寻乌县南桥镇人民政府", "某某管理委员会");
    for place in ["江西省", "赣州市", "寻乌县", "南桥镇"] {
        unknown = unknown.replace(place, "");
    }
    assert_ne!(sample, unknown, "the sample still names the places this test removes");
    std::fs::write(dir.join("unknown_region.txt"), unknown).unwrap();
    let wh = dir.join("wh");
    let out = gongkai(&[
        "ingest",
        repo().join("samples").to_str().unwrap(),
        faulty.to_str().unwrap(),
        dir.join("unknown_region.txt").to_str().unwrap(),
        "--warehouse",
        wh.to_str().unwrap(),
    ]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "ingest: {}", String::from_utf8_lossy(&out.stderr));
    assert!(wh.join("reports/province_code=00").is_dir(), "the unknown-region report has its partition");
    wh
}

/// Two values of one cell as equal: the same string, integer or NULL, or numbers within rounding
/// (the engines may add a float sum in another order).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        _ => a == b,
    }
}

#[test]
fn spark_runs_province_year_trends_over_the_warehouse_and_gets_gongkais_rows() {
    let Some(python) = super::python_with("pyspark") else { return };
    if !java() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wh = build_warehouse(dir.path());

    let ours = gongkai(&[
        "query",
        "SELECT * FROM province_year_trends",
        "--warehouse",
        wh.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(ours.status.success(), "{}", String::from_utf8_lossy(&ours.stderr));
    let ours: Vec<Map<String, Value>> = serde_json::from_slice(&ours.stdout).unwrap();

    // The view files as they are on disk today, so a change to their text is tested here too.
    let out = Command::new(&python)
        .arg(repo().join("tests/views_spark.py"))
        .arg(&wh)
        .arg(repo().join("sql"))
        .arg("province_year_trends")
        .output()
        .expect("python runs views_spark.py");
    assert!(out.status.success(), "views_spark.py: {}", String::from_utf8_lossy(&out.stderr));
    let spark: Map<String, Value> = serde_json::from_slice(&out.stdout).unwrap();
    let spark: Vec<Map<String, Value>> = serde_json::from_value(spark["province_year_trends"].clone()).unwrap();

    // The test means something only when the warehouse spans provinces, years, gaps and NULLs.
    assert!(ours.len() > 50, "{} rows", ours.len());
    assert!(ours.iter().any(|r| r["province_code"] == "00"), "a row for the unknown region");
    assert!(ours.iter().any(|r| !r["prev_year"].is_null()), "rows with a previous year (LAG)");
    assert!(ours.iter().any(|r| r.values().any(Value::is_null) && !r["prev_year"].is_null()), "NULLs besides LAG");

    assert_eq!(ours.len(), spark.len(), "row count");
    let key = |r: &Map<String, Value>| (r["province_code"].to_string(), r["year"].to_string());
    let mut ours = ours;
    let mut spark = spark;
    ours.sort_by_key(key);
    spark.sort_by_key(key);
    for (a, b) in ours.iter().zip(&spark) {
        let (cols_a, cols_b): (Vec<&String>, Vec<&String>) = (a.keys().collect(), b.keys().collect());
        assert_eq!(cols_a, cols_b, "columns, in order");
        for (col, x) in a {
            let y = &b[col];
            assert!(same(x, y), "{col} of {:?}: gongkai {x}, spark {y}", key(a));
        }
    }
}
