//! The parser against the hand-read gold values of `../shared`: every cell must match, and the seeds'
//! identities and regions come out as read by hand.

use std::path::Path;
use std::process::Command;

use gongkai::model::CheckStatus;

use super::shared;

/// Run `tools/gold_check.py` of `shared` with the binary Cargo built for this test run.
fn gold_check(shared: &Path, pairs: &[(&Path, &Path)]) {
    let mut cmd = Command::new("python3");
    cmd.arg(shared.join("tools/gold_check.py")).args(["--bin", env!("CARGO_BIN_EXE_gongkai")]);
    for (raw, gold) in pairs {
        cmd.arg(raw).arg(gold);
    }
    let out = cmd.output().expect("python3 runs gold_check.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "gold check failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("(100.0%)"), "{stdout}");
}

#[test]
fn seeds_match_gold() {
    let Some(shared) = shared() else { return };
    let seeds = shared.join("seeds");
    gold_check(&shared, &[(&seeds, &seeds.join("gold"))]);
}

#[test]
fn real_text_and_markdown_match_gold() {
    let Some(shared) = shared() else { return };
    // Only the text-layout reports (03.txt, 06.md); the HTML and PDF readers have their own test.
    let dir = tempfile::tempdir().unwrap();
    let (raw, gold) = (dir.path().join("raw"), dir.path().join("gold"));
    std::fs::create_dir_all(&raw).unwrap();
    std::fs::create_dir_all(&gold).unwrap();
    for (file, name) in [("03.txt", "03"), ("06.md", "06")] {
        std::fs::copy(shared.join("real/raw").join(file), raw.join(file)).unwrap();
        std::fs::copy(shared.join("real/gold").join(format!("{name}.json")), gold.join(format!("{name}.json")))
            .unwrap();
    }
    gold_check(&shared, &[(&raw, &gold)]);
}

#[test]
fn real_html_and_pdf_match_gold() {
    let Some(shared) = shared() else { return };
    // 01.html (2019 template, blank cells) and 07.pdf (text layer; identity violations kept as printed).
    let dir = tempfile::tempdir().unwrap();
    let (raw, gold) = (dir.path().join("raw"), dir.path().join("gold"));
    std::fs::create_dir_all(&raw).unwrap();
    std::fs::create_dir_all(&gold).unwrap();
    for (file, name) in [("01.html", "01"), ("07.pdf", "07")] {
        std::fs::copy(shared.join("real/raw").join(file), raw.join(file)).unwrap();
        std::fs::copy(shared.join("real/gold").join(format!("{name}.json")), gold.join(format!("{name}.json")))
            .unwrap();
    }
    gold_check(&shared, &[(&raw, &gold)]);
}

#[test]
fn seed_identities_and_regions() {
    let Some(shared) = shared() else { return };
    let expected_codes = [
        ("000_e51fc33f15234b62.txt", "640302105"),
        ("001_50c134b5e3010c10.txt", "500111102"),
        ("002_f92c760234a9fe68.txt", "620422107"),
        ("003_b657cdc2b6fa0bce.txt", "411103103"),
        ("004_d028c3917ff344aa.txt", "510421102"),
    ];
    for (file, code) in expected_codes {
        let report = gongkai::parse::parse_file(&shared.join("seeds").join(file)).unwrap();
        assert_eq!(report.region.township_code.as_deref(), Some(code), "{file}: township code");
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail)
            .map(|c| format!("{} {}", c.id, c.scope))
            .collect();
        if file.starts_with("001") {
            assert_eq!(failed, ["H2 natural_person", "H2 total"], "{file}");
        } else {
            assert!(failed.is_empty(), "{file}: {failed:?}");
        }
    }
}

/// Reports written by others, printed again in every crawler layout (`scripts/relayout.py`): no cell
/// may come out wrong, no title, year or province may be lost, and a report without blank cells
/// has every cell right or left undecided with its printed digits.
#[test]
fn shared_reports_in_crawler_layouts() {
    let Some(shared) = shared() else { return };
    let out = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/relayout.py");
    let run = Command::new("python3")
        .arg(script)
        .args(["--bin", env!("CARGO_BIN_EXE_gongkai"), "--out"])
        .arg(out.path())
        .arg("--tools")
        .arg(shared.join("tools"))
        .arg(shared.join("seeds"))
        .arg(shared.join("seeds/gold"))
        .arg(shared.join("real/raw"))
        .arg(shared.join("real/gold"))
        .output()
        .expect("python3 runs relayout.py");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains("cell-per-line"), "{stdout}");
}
