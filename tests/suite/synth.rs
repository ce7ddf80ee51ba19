//! `gongkai synth` as a user runs it, and the generated reports read back by the parser in the
//! layouts the bundled samples use.

use std::path::Path;
use std::process::Command;

use gongkai::synth::{self, Layout, Options};
use serde_json::Value;

use super::repo;

fn synth(out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["synth", "--count", "12", "--seed", "9", "--out", out.to_str().unwrap()])
        .args(extra)
        .output()
        .expect("gongkai runs")
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    names.iter().map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(p).unwrap())).collect()
}

#[test]
fn synth_writes_reports_and_their_truth_the_same_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let out = synth(&a, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrote 12 reports"));
    assert!(synth(&b, &[]).status.success());
    let raw = files(&a.join("raw"));
    let gold = files(&a.join("gold"));
    assert_eq!(raw.len(), 12);
    assert_eq!(gold.len(), 12);
    assert_eq!(raw, files(&b.join("raw")), "same seed, same bytes");
    assert_eq!(gold, files(&b.join("gold")));
    // Each report NAME.ext has its truth NAME.json, as tools/gold_check.py pairs them.
    for ((raw_name, _), (gold_name, truth)) in raw.iter().zip(&gold) {
        assert_eq!(raw_name.rsplit_once('.').unwrap().0, gold_name.strip_suffix(".json").unwrap());
        let truth: Value = serde_json::from_slice(truth).unwrap();
        for key in ["year", "province", "agency", "body_id", "template", "sec2", "sec3", "sec3_full", "sec4", "faults"]
        {
            assert!(truth.get(key).is_some(), "{gold_name}: {key}");
        }
        assert_eq!(truth["sec4"].as_array().map(Vec::len), Some(15));
        assert!(truth["expected_failed_checks"].is_array());
    }
    let exts: std::collections::BTreeSet<&str> = raw.iter().map(|(n, _)| n.rsplit_once('.').unwrap().1).collect();
    assert_eq!(exts.into_iter().collect::<Vec<_>>(), ["csv", "docx", "html", "md", "txt"]);
}

#[test]
fn synth_rejects_unknown_layouts_and_years() {
    let dir = tempfile::tempdir().unwrap();
    let out = synth(dir.path(), &["--layouts", "tabs,scroll"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown layout \"scroll\""));
    let out = synth(dir.path(), &["--years", "2018..2020"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn raw_only_writes_just_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out = synth(dir.path(), &["--raw-only", "--layouts", "tabs,html", "--years", "2022..2023"]);
    assert!(out.status.success());
    let names: Vec<String> = files(dir.path()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.len(), 12);
    assert!(names.iter().all(|n| n.ends_with(".txt") || n.ends_with(".html")), "{names:?}");
}

/// The sample layouts read back exactly: every sec3 cell, sec4 and the year, template and province.
#[test]
fn sample_layouts_parse_to_their_truth() {
    let layouts = [Layout::Tabs, Layout::Markdown, Layout::Html, Layout::DocxLines];
    let opts = Options { count: 24, seed: 21, layouts: layouts.to_vec(), fault_rate: 0.0, ..Options::default() };
    for (name, bytes, truth) in synth::generate_with(&opts) {
        let report = gongkai::parse::parse_bytes(&bytes, &name).unwrap();
        let got = serde_json::to_value(&report).unwrap();
        assert_eq!(got["year"], truth["year"], "{name}");
        assert_eq!(got["template"], truth["template"], "{name}");
        assert_eq!(got["region"]["province"], truth["province"], "{name}");
        for (row, values) in truth["sec3_full"].as_object().unwrap() {
            for (col, want) in gongkai::template::SEC3_COLS.iter().zip(values.as_array().unwrap()) {
                assert_eq!(&got["sec3"][row][col]["value"], want, "{name}: sec3.{row}.{col}");
            }
        }
        let sec4: Vec<&Value> = gongkai::template::SEC4_GROUPS
            .iter()
            .flat_map(|g| gongkai::template::SEC4_COLS.iter().map(move |c| (g, c)))
            .map(|(g, c)| &got["sec4"][g][c]["value"])
            .collect();
        assert_eq!(sec4, truth["sec4"].as_array().unwrap().iter().collect::<Vec<_>>(), "{name}");
        assert!(report.failed_checks().next().is_none(), "{name}");
    }
}

/// `tools/gold_check.py` of `../shared` takes the corpus as it is written (DIR/raw, DIR/gold).
#[test]
fn gold_check_reads_the_truth_files() {
    let Some(shared) = super::shared() else { return };
    let Some(python) = super::python_with("json") else { return };
    let dir = tempfile::tempdir().unwrap();
    let layouts = ["--layouts", "tabs,markdown,html,docx-lines", "--fault-rate", "0"];
    assert!(synth(dir.path(), &layouts).status.success());
    let out = Command::new(python)
        .arg(shared.join("tools/gold_check.py"))
        .args(["--bin", env!("CARGO_BIN_EXE_gongkai")])
        .arg(dir.path().join("raw"))
        .arg(dir.path().join("gold"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("(100.0%) · metadata: 36/36"), "{stdout}");
}

/// The bundled samples are what `gongkai synth` makes of the command in the README.
#[test]
fn bundled_samples_are_generated() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.contains(SAMPLES_COMMAND), "README names the command that makes samples/");
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<&str> = SAMPLES_COMMAND.split_whitespace().skip(1).collect();
    let args: Vec<String> =
        args.iter().map(|a| if *a == "samples" { dir.path().display().to_string() } else { a.to_string() }).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_gongkai")).args(&args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (made, shipped) = (files(dir.path()), files(&repo().join("samples")));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&made), names(&shipped), "samples/ is out of date: rerun the README command");
    for ((name, a), (_, b)) in made.iter().zip(&shipped) {
        assert!(a == b, "samples/{name} is out of date: rerun the README command");
    }
}

const SAMPLES_COMMAND: &str = "gongkai synth --count 84 --seed 2024 --panel --fault-rate 0 --layouts tabs,markdown,html,docx --duplicates 0.1 --raw-only --out samples";

/// `synth --warehouse`: the reports go straight into a warehouse, the same rows for the same seed,
/// with a `runs` row, and a second run of the same seed adds nothing.
#[test]
fn synth_into_a_warehouse_stores_every_report_once() {
    let dir = tempfile::tempdir().unwrap();
    let run = |wh: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
            .args(["synth", "--reports", "40", "--seed", "3", "--layouts", "tabs,html", "--warehouse"])
            .arg(wh)
            .output()
            .expect("gongkai runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let first = run(&a);
    assert!(first.contains("40 report(s) stored"), "{first}");
    run(&b);
    let again = run(&a);
    assert!(again.contains("0 report(s) stored") && again.contains("40 already ingested"), "{again}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (wa, wb) = (
        gongkai::store::Warehouse::open_existing(a.to_str().unwrap(), &[]).unwrap(),
        gongkai::store::Warehouse::open_existing(b.to_str().unwrap(), &[]).unwrap(),
    );
    let rows = |wh| rt.block_on(super::table_rows(wh));
    assert_eq!(rows(&wa)["reports"].len(), 40);
    assert!(rt.block_on(wa.list("raw")).unwrap().is_empty(), "nothing archived");
    // Same seed, same rows (but the ingestion times).
    let strip = |mut r: std::collections::BTreeMap<String, Vec<String>>| {
        r.remove("reports");
        r
    };
    assert_eq!(strip(rows(&wa)), strip(rows(&wb)));
    let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["query", "--format", "csv", "--warehouse"])
        .arg(&a)
        .arg("SELECT pipeline, reports FROM runs ORDER BY run_id")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "pipeline,reports\nsynth,40\nsynth,0");
}
