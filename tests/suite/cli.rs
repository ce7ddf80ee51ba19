//! The `gongkai parse` command as a user runs it: output shapes, failed checks, bad files.

use std::process::Command;

use super::repo;

fn gongkai(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gongkai")).args(args).output().expect("gongkai runs")
}

/// The blank-cell fixture with the natural-person total of outcomes misprinted (13 → 15).
fn broken_report(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/layouts/tab_blank_cell.txt")).unwrap();
    let broken = text.replace("（七）总计\t13\t", "（七）总计\t15\t");
    assert_ne!(text, broken, "fixture still has the row this test edits");
    let path = dir.join("broken.txt");
    std::fs::write(&path, broken).unwrap();
    path
}

#[test]
fn table_format_highlights_failed_checks() {
    let dir = tempfile::tempdir().unwrap();
    let path = broken_report(dir.path());
    let out = gongkai(&["parse", "--format", "table", path.to_str().unwrap()]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("FAIL H2 natural_person: 15 ≠ 13"), "{stdout}");
    assert!(stdout.contains("FAIL H1 natural_person"), "{stdout}");
}

#[test]
fn json_is_an_object_for_one_file_and_an_array_for_several() {
    let dir = tempfile::tempdir().unwrap();
    let path = broken_report(dir.path());
    let one: serde_json::Value = serde_json::from_slice(&gongkai(&["parse", path.to_str().unwrap()]).stdout).unwrap();
    assert!(one.is_object());
    assert_eq!(one["sec3"]["results_total"]["natural_person"]["value"], 15, "a printed total is never recomputed");
    let fixtures = repo().join("tests/fixtures/layouts");
    let many: serde_json::Value =
        serde_json::from_slice(&gongkai(&["parse", fixtures.to_str().unwrap()]).stdout).unwrap();
    assert_eq!(many.as_array().map(Vec::len), Some(6));
}

#[test]
fn unreadable_files_are_named_and_the_batch_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let good = broken_report(dir.path());
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let absent = dir.path().join("absent.txt");
    let out = gongkai(&["parse", empty.to_str().unwrap(), absent.to_str().unwrap(), good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(&format!("{}: empty file (0 bytes)", empty.display())), "{stderr}");
    assert!(stderr.contains(&format!("{}: cannot read file", absent.display())), "{stderr}");
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reports.as_array().map(Vec::len), Some(1));
}

#[test]
fn reading_a_warehouse_that_does_not_exist_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("warehuose");
    let wh = typo.to_str().unwrap();
    let out = gongkai(&["query", "SELECT COUNT(*) FROM reports", "--warehouse", wh]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such directory"), "{out:?}");
    let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["sql", "--warehouse", wh])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // A file:// source that does not exist is an error too, not an empty inbox.
    let source = url::Url::from_directory_path(dir.path().join("inbxo")).unwrap().to_string();
    let out = gongkai(&["ingest", &source, "--warehouse", dir.path().join("wh").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(!typo.exists() && !dir.path().join("inbxo").exists(), "reading created nothing");
}

#[test]
fn legacy_doc_files_in_a_directory_are_reported_not_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(repo().join("tests/fixtures/layouts/tab_blank_cell.txt"), dir.path().join("a.txt")).unwrap();
    std::fs::write(dir.path().join("old.doc"), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1").unwrap();
    let out = gongkai(&["parse", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("old.doc") && stderr.contains("legacy Word"), "{stderr}");
}
