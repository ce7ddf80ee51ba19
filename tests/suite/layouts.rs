//! Every text layout of the same made-up report parses to the same cells
//! (fixtures written by scripts/make_layout_fixtures.py).

use gongkai::model::{CellKind, CheckStatus, Report};
use serde_json::Value;

use super::repo;

fn fixture(name: &str) -> Report {
    gongkai::parse::parse_file(&repo().join("tests/fixtures/layouts").join(name)).expect("fixture parses")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/layouts/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Compare every sec2/sec3/sec4 cell with expected.json, allowing the layout's declared differences.
fn assert_matches_expected(name: &str) -> Report {
    let report = fixture(name);
    let exp = expected();
    let diffs = exp["differences"][name].as_object().cloned().unwrap_or_default();
    let json = serde_json::to_value(&report).unwrap();
    let mut mismatches = Vec::new();
    let mut compare = |key: String, want: Option<f64>, got: &Value| {
        let want = match diffs.get(&key) {
            Some(v) => v.as_f64(),
            None => want,
        };
        let got_v = got["value"].as_f64();
        if want != got_v {
            mismatches.push(format!("{key}: want {want:?} got {got_v:?} ({})", got["raw"]));
        }
    };
    for (row, vals) in exp["sec2"].as_object().unwrap() {
        let cols: Vec<&String> = json["sec2"][row].as_object().unwrap().keys().collect();
        for (col, v) in cols.iter().zip(vals.as_array().unwrap()) {
            compare(format!("sec2.{row}.{col}"), v.as_f64(), &json["sec2"][row][col.as_str()]);
        }
    }
    for (row, vals) in exp["sec3"].as_object().unwrap() {
        let cols = [
            "natural_person",
            "commercial_enterprise",
            "research_institution",
            "public_welfare_org",
            "legal_service_org",
            "other_org",
            "total",
        ];
        for (col, v) in cols.iter().zip(vals.as_array().unwrap()) {
            compare(format!("sec3.{row}.{col}"), v.as_f64(), &json["sec3"][row][col]);
        }
    }
    let groups = ["review", "litigation_direct", "litigation_after_review"];
    let cols = ["upheld", "corrected", "other_result", "pending", "total"];
    for (i, v) in exp["sec4"].as_array().unwrap().iter().enumerate() {
        compare(
            format!("sec4.{}.{}", groups[i / 5], cols[i % 5]),
            v.as_f64(),
            &json["sec4"][groups[i / 5]][cols[i % 5]],
        );
    }
    assert!(mismatches.is_empty(), "{name}:\n{}", mismatches.join("\n"));
    assert_eq!(report.year, Some(2023), "{name}: year");
    assert_eq!(report.proactive_total, Some(406), "{name}: proactive_total");
    report
}

fn failed(report: &Report) -> Vec<String> {
    report.failed_checks().map(|c| format!("{} {}", c.id, c.scope)).collect()
}

#[test]
fn tab_table_with_a_blank_cell() {
    let r = assert_matches_expected("tab_blank_cell.txt");
    let blank = r.sec3.cell("carried_over", "legal_service_org").unwrap();
    assert_eq!(blank.kind, CellKind::Blank, "a blank stays blank, never 0");
    let h1 = r.checks.iter().find(|c| c.id == "H1" && c.scope == "legal_service_org").unwrap();
    assert_eq!(h1.status, CheckStatus::NotAssessable);
    assert!(failed(&r).is_empty(), "{:?}", failed(&r));
    assert_eq!(r.region.township_code.as_deref(), Some("640302105"));
}

#[test]
fn tab_table_broken_across_a_page() {
    let r = assert_matches_expected("tab_page_break.txt");
    assert!(failed(&r).is_empty(), "{:?}", failed(&r));
    assert_eq!(r.published_on.as_deref(), Some("2024-02-06"));
}

#[test]
fn docx_one_cell_per_line() {
    let r = assert_matches_expected("docx_lines.txt");
    assert!(failed(&r).is_empty(), "{:?}", failed(&r));
}

#[test]
fn web_scrape_with_a_short_row_and_clutter() {
    let r = assert_matches_expected("web_scrape.txt");
    assert_eq!(r.sec2.cell("normative_docs", "in_force").unwrap().kind, CellKind::Missing);
    assert_eq!(r.published_on.as_deref(), Some("2024-01-22"));
    assert_eq!(r.title.as_deref(), Some("静宁县城川镇2023年政府信息公开工作年度报告"));
}

#[test]
fn markdown_with_rows_that_lost_their_labels() {
    let r = assert_matches_expected("markdown_fragments.md");
    assert!(r.warnings.iter().any(|w| w.contains("sec3.partially_granted") && w.contains("without its label")));
    assert_eq!(r.sec3.cell("carried_forward", "total").unwrap().kind, CellKind::Blank);
}

#[test]
fn glued_crawler_text() {
    let r = assert_matches_expected("glued.txt");
    assert!(failed(&r).is_empty(), "{:?}", failed(&r));
}
