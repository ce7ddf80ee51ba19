//! One body, one report a year: a generated multi-year corpus whose bodies print their names
//! differently from year to year, with some reports arriving twice in another format (HTML, DOCX,
//! PDF text), one copy misprinting two cells, a year missing for one body, two townships of the same
//! name in different counties, a township named without its county and a department that could be
//! several. The views are compared with values computed here from the generated truth.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use gongkai::pipeline::{self, Options, Quiet};
use gongkai::store::Warehouse;
use gongkai::synth::{self, Layout};
use serde_json::Value;

use super::views::{assert_same_on_duckdb, close, num, runtime, view_rows};

/// Reports written by hand beside the generated ones: (file, text, expected body_id).
const SPECIAL: [(&str, &str, Option<&str>); 4] = [
    ("chengguan_a.txt", "和林格尔县城关镇2023年政府信息公开工作年度报告\n", Some("150123100/government")),
    ("chengguan_b.txt", "清水河县城关镇2023年政府信息公开工作年度报告\n", Some("150124100/government")),
    // Hundreds of counties have a 城关镇: the place, and so the body, is not certain.
    ("chengguan_bare.txt", "城关镇2023年政府信息公开工作年度报告\n", None),
    // 办公室 of a county could be its government's office or any other office.
    ("office.txt", "米易县办公室2023年政府信息公开工作年度报告\n", None),
];

struct Corpus {
    /// Truth of every generated file written, by file name.
    truth: BTreeMap<String, Value>,
    /// The copy that misprints two cells, the file it copies, and their body and year.
    misprint: (String, String, String, i32),
    /// The body and year left out of the corpus.
    gap: (String, i32),
}

/// The total column (the last of seven) of a sec3 row of the truth.
fn sec3_total(t: &Value, row: &str) -> f64 {
    t["sec3_full"][row][6].as_f64().unwrap()
}

/// Generate, write and ingest the corpus.
fn build(dir: &Path) -> (Corpus, Warehouse) {
    let opts = synth::Options {
        count: 48,
        seed: 20,
        layouts: vec![Layout::Tabs, Layout::Html, Layout::Docx, Layout::PageBreaks],
        years: (2021, 2024),
        fault_rate: 0.0,
        panel: true,
        duplicates: 0.35,
    };
    let corpus = synth::generate_with(&opts);
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    // Leave out one body's 2022 report (and its copies): a gap between 2021 and 2023.
    let gap_body = corpus[0].2["body_id"].as_str().unwrap().to_string();
    let gap = (gap_body, 2022);
    let mut truth = BTreeMap::new();
    let mut misprint = None;
    for (name, bytes, t) in &corpus {
        let (body, year) = (t["body_id"].as_str().unwrap().to_string(), t["year"].as_i64().unwrap() as i32);
        if (body.clone(), year) == gap {
            continue;
        }
        std::fs::write(inbox.join(name), bytes).unwrap();
        truth.insert(name.clone(), t.clone());
        // One tabs report arrives again with its 予以公开 row misprinted (natural persons and total + 5).
        if misprint.is_none() && t["layout"] == "tabs" && t["duplicate_of"].is_null() {
            let text = String::from_utf8(bytes.clone()).unwrap();
            let changed: Vec<String> = text
                .lines()
                .map(|line| {
                    let mut cells: Vec<String> = line.split('\t').map(str::to_string).collect();
                    if line.contains("予以公开") && cells.len() == 9 {
                        for i in [2, 8] {
                            cells[i] = (cells[i].parse::<i64>().unwrap() + 5).to_string();
                        }
                    }
                    cells.join("\t")
                })
                .collect();
            let copy = format!("again_{name}");
            assert_ne!(changed.join("\n"), text.trim_end(), "the 予以公开 row was found in {name}");
            std::fs::write(inbox.join(&copy), changed.join("\n") + "\n").unwrap();
            misprint = Some((copy, name.clone(), body, year));
        }
    }
    for (file, text, _) in SPECIAL {
        std::fs::write(inbox.join(file), text).unwrap();
    }
    let wh = Warehouse::open(&dir.join("wh").display().to_string(), &[]).unwrap();
    let summary =
        runtime().block_on(pipeline::ingest(&wh, &[inbox.display().to_string()], &Options::default(), &Quiet)).unwrap();
    assert_eq!(summary.reports, truth.len() + 1 + SPECIAL.len(), "{}", summary.render());
    (Corpus { truth, misprint: misprint.expect("a tabs report to misprint"), gap }, wh)
}

fn text(row: &serde_json::Map<String, Value>, col: &str) -> String {
    row[col].as_str().unwrap_or_default().to_string()
}

#[test]
fn every_body_keeps_one_series_and_every_report_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let (c, wh) = build(dir.path());
    let rt = runtime();
    let q = |sql: &str| view_rows(&rt, &wh, sql);

    // What the truth says: each body's years and names, one report per body and year.
    let mut years: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    let mut names: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut canonical: BTreeMap<(String, i32), &Value> = BTreeMap::new();
    for t in c.truth.values() {
        let body = t["body_id"].as_str().unwrap().to_string();
        let year = t["year"].as_i64().unwrap() as i32;
        years.entry(body.clone()).or_default().insert(year);
        names.entry(body.clone()).or_default().insert(t["agency"].as_str().unwrap().to_string());
        canonical.insert((body, year), t);
    }
    assert!(names.values().any(|n| n.len() > 1), "some body prints its name in several ways");
    let copies = c.truth.values().filter(|t| !t["duplicate_of"].is_null()).count();
    assert!(copies >= 5, "the corpus has reports that arrive twice ({copies})");

    // The bodies table: one row per body, every name it printed.
    let bodies = q("SELECT body_id, names FROM bodies ORDER BY body_id");
    let mut want: BTreeMap<String, BTreeSet<String>> = names.clone();
    for (_, text, id) in SPECIAL {
        if let Some(id) = id {
            want.entry(id.to_string()).or_default().insert(text.split("2023").next().unwrap().to_string());
        }
    }
    let got: BTreeMap<String, BTreeSet<String>> = bodies
        .iter()
        .map(|r| {
            let names = r["names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect();
            (text(r, "body_id"), names)
        })
        .collect();
    assert_eq!(got, want);

    // Each body's series is whole in agency_trends, one row a year, its gap year absent.
    let trends = q("SELECT body_id, year, prev_year, continuity FROM agency_trends ORDER BY body_id, year");
    let mut series: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    for r in &trends {
        assert!(series.entry(text(r, "body_id")).or_default().insert(num(r, "year").unwrap() as i32), "one row a year");
        if r["prev_year"].as_f64() == num(r, "year").map(|y| y - 1.0) {
            assert_eq!(r["continuity"], "match", "{r:?}");
        }
    }
    for (_, _, id) in SPECIAL.iter().filter(|s| s.2.is_some()) {
        series.remove(id.unwrap());
    }
    assert_eq!(series, years);

    // Province sums count each body and year once: the canonical report's numbers.
    let (misprint_file, original, misprint_body, misprint_year) = &c.misprint;
    let mut want: BTreeMap<(String, i32), (f64, f64, f64)> = BTreeMap::new();
    for ((body, year), t) in &canonical {
        let e = want.entry((t["province_code"].as_str().unwrap().to_string(), *year)).or_default();
        e.0 += 1.0;
        e.1 += sec3_total(t, "new_received");
        let mut granted = sec3_total(t, "granted");
        // The misprinted copy and its original tie on quality, cells and format: the smaller
        // report_id (SHA-256 of the bytes) is canonical.
        if (body, year) == (misprint_body, misprint_year) {
            let hash = |f: &str| gongkai::parse::report_id(&std::fs::read(dir.path().join("inbox").join(f)).unwrap());
            if hash(misprint_file) < hash(original) {
                granted += 5.0;
            }
        }
        e.2 += granted;
    }
    for (_, text, _) in SPECIAL {
        let code = if text.starts_with("米易") {
            "51"
        } else if text.starts_with("城关") {
            "00"
        } else {
            "15"
        };
        want.entry((code.to_string(), 2023)).or_default().0 += 1.0;
    }
    let rows = q("SELECT province_code, year, reports, applications, granted FROM province_year_trends");
    assert_eq!(rows.len(), want.len());
    for r in &rows {
        let key = (text(r, "province_code"), num(r, "year").unwrap() as i32);
        let (reports, apps, granted) = want[&key];
        assert_eq!(num(r, "reports"), Some(reports), "{key:?}");
        if apps > 0.0 || num(r, "applications").is_some() {
            assert!(close(num(r, "applications"), Some(apps)), "{key:?}: {r:?} vs {apps}");
            assert!(close(num(r, "granted"), Some(granted)), "{key:?}: {r:?} vs {granted}");
        }
    }

    // Duplicates: every copy, beside a report of its own body and year.
    let dups = q(
        "SELECT d.report_id, d.duplicate_of, d.body_id, d.year, r.body_id AS canonical_body, r.year AS canonical_year \
                  FROM duplicates d JOIN reports r ON r.report_id = d.duplicate_of",
    );
    assert_eq!(dups.len(), copies + 1);
    for r in &dups {
        assert_eq!((text(r, "body_id"), num(r, "year")), (text(r, "canonical_body"), num(r, "canonical_year")));
    }

    // Conflicts: exactly the two misprinted cells, with both values.
    let conflicts = q("SELECT body_id, year, section, \"row\", col, canonical_value, duplicate_value FROM conflicts");
    assert_eq!(conflicts.len(), 2, "{conflicts:?}");
    for r in &conflicts {
        assert_eq!((text(r, "body_id"), num(r, "year")), (misprint_body.clone(), Some(*misprint_year as f64)));
        assert_eq!((text(r, "section"), text(r, "row")), ("sec3".to_string(), "granted".to_string()));
        assert!(["natural_person", "total"].contains(&text(r, "col").as_str()));
        let diff = num(r, "canonical_value").unwrap() - num(r, "duplicate_value").unwrap();
        assert_eq!(diff.abs(), 5.0);
    }

    // Cross-year checks: a carried_over row and an in_force row per sec2 document row for every
    // pair of consecutive years; the generated bodies are consistent, so all match.
    let pairs: usize = years.values().map(|ys| ys.iter().filter(|y| ys.contains(&(**y - 1))).count()).sum();
    let continuity = q("SELECT item, status FROM continuity");
    assert_eq!(continuity.len(), pairs * 3, "carried_over, rules.in_force, normative_docs.in_force");
    assert!(continuity.iter().all(|r| r["status"] == "match"), "{continuity:?}");

    // The gap is listed, and counted in coverage.
    let gaps = q("SELECT body_id, year FROM body_gaps");
    assert_eq!(gaps.len(), 1);
    assert_eq!((text(&gaps[0], "body_id"), num(&gaps[0], "year")), (c.gap.0.clone(), Some(c.gap.1 as f64)));
    let gap_province = c.gap.0.get(..2).unwrap();
    let coverage = q(&format!("SELECT gaps FROM coverage WHERE province_code = '{gap_province}' AND year = 2022"));
    assert_eq!(num(&coverage[0], "gaps"), Some(1.0));

    // Uncertain bodies: no body_id, a warning that says why, counted in data_quality.
    let unidentified = q("SELECT source_uri, warnings FROM reports WHERE body_id IS NULL ORDER BY source_uri");
    assert_eq!(unidentified.len(), 2);
    assert!(format!("{:?}", unidentified[0]["warnings"]).contains("body:"), "{unidentified:?}");
    let quality = q("SELECT SUM(unidentified_reports) AS u, SUM(duplicate_reports) AS d FROM data_quality");
    assert_eq!((num(&quality[0], "u"), num(&quality[0], "d")), (Some(2.0), Some((copies + 1) as f64)));

    assert_same_on_duckdb(&dir.path().join("wh"), &wh);
}

/// The seeds, the hand-read real reports and a generated multi-year corpus with copies in one
/// warehouse: every body's series whole in agency_trends, each report counted once in
/// province_year_trends, the cross-year checks as rows.
#[test]
fn shared_reports_and_a_generated_corpus_keep_every_series_whole() {
    let Some(shared) = super::shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("generated");
    std::fs::create_dir_all(&inbox).unwrap();
    let opts = synth::Options { count: 60, seed: 21, panel: true, duplicates: 0.3, ..synth::Options::default() };
    let corpus = synth::generate_with(&opts);
    for (name, bytes, _) in &corpus {
        std::fs::write(inbox.join(name), bytes).unwrap();
    }
    let copies = corpus.iter().filter(|(_, _, t)| !t["duplicate_of"].is_null()).count();
    let sources: Vec<String> =
        [shared.join("seeds"), shared.join("real/raw"), inbox].iter().map(|p| p.display().to_string()).collect();
    let wh = Warehouse::open(&dir.path().join("wh").display().to_string(), &[]).unwrap();
    let rt = runtime();
    let summary = rt.block_on(pipeline::ingest(&wh, &sources, &Options::default(), &Quiet)).unwrap();
    assert!(summary.quarantined.is_empty() && summary.unreadable.is_empty(), "{}", summary.render());
    let q = |sql: &str| view_rows(&rt, &wh, sql);
    let one = |sql: &str| num(&q(sql)[0], "n");

    assert_eq!(one("SELECT COUNT(*) AS n FROM reports WHERE body_id IS NULL"), Some(0.0), "every body identified");
    assert_eq!(one("SELECT COUNT(*) AS n FROM duplicates"), Some(copies as f64));
    let canonical = one("SELECT COUNT(*) AS n FROM report_metrics WHERE canonical");
    assert_eq!(canonical, Some((summary.reports - copies) as f64));
    assert_eq!(one("SELECT SUM(reports) AS n FROM province_year_trends"), canonical, "each report counted once");
    // Each body's rows in agency_trends are exactly the years it has a canonical report for.
    let broken = q("SELECT m.body_id FROM report_metrics m \
                    LEFT JOIN agency_trends t ON t.body_id = m.body_id AND t.year = m.year \
                    WHERE m.canonical AND t.body_id IS NULL");
    assert!(broken.is_empty(), "{broken:?}");
    assert_eq!(
        one(
            "SELECT COUNT(*) AS n FROM (SELECT body_id, year FROM agency_trends GROUP BY body_id, year HAVING COUNT(*) > 1) d"
        ),
        Some(0.0)
    );
    // Every pair of consecutive years of a body has its carried_over check.
    let pairs = one("SELECT COUNT(*) AS n FROM agency_trends WHERE prev_year = year - 1");
    assert!(pairs.unwrap() > 0.0);
    assert_eq!(one("SELECT COUNT(*) AS n FROM continuity WHERE item = 'carried_over'"), pairs);
}
