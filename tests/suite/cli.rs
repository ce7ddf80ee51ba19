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

/// `gongkai ARGS` as a user whom file permissions bind: as root (CI runs as root, and root reads any
/// folder) through `setpriv` as `nobody`, otherwise as the caller.
fn gongkai_unprivileged(args: &[&std::ffi::OsStr]) -> std::process::Output {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the effective user of the process looking at it.
    let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
    let mut command = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(env!("CARGO_BIN_EXE_gongkai"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_gongkai"))
    };
    command.args(args).output().expect("gongkai runs (as root, setpriv from util-linux is needed)")
}

#[test]
fn folders_that_cannot_be_listed_are_reported_not_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    let locked = inbox.join("locked");
    std::fs::create_dir_all(&locked).unwrap();
    std::fs::copy(repo().join("tests/fixtures/layouts/tab_blank_cell.txt"), inbox.join("a.txt")).unwrap();
    std::fs::copy(repo().join("tests/fixtures/layouts/tab_blank_cell.txt"), locked.join("b.txt")).unwrap();
    let wh = dir.path().join("wh");
    std::fs::create_dir(&wh).unwrap();
    for (path, mode) in
        [(dir.path(), 0o777), (inbox.as_path(), 0o755), (wh.as_path(), 0o777), (locked.as_path(), 0o000)]
    {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    // A folder walk: the locked folder is named with why, the readable report still parses.
    let out = gongkai_unprivileged(&["parse".as_ref(), inbox.as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("{}: cannot read the directory", locked.display())), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let alone: serde_json::Value =
        serde_json::from_slice(&gongkai(&["parse", inbox.join("a.txt").to_str().unwrap()]).stdout).unwrap();
    assert_eq!(report, alone, "the readable report parses as it does alone");

    // A glob that must look into the locked folder: counted unreadable, the run fails, the rest is stored.
    let pattern = inbox.join("*").join("*.txt");
    let summary = dir.path().join("summary.json");
    let out = gongkai_unprivileged(&[
        "ingest".as_ref(),
        pattern.as_os_str(),
        inbox.join("a.txt").as_os_str(),
        "--warehouse".as_ref(),
        wh.as_os_str(),
        "--summary-json".as_ref(),
        summary.as_os_str(),
    ]);
    // Folders of settings: pipelines and views that cannot be listed are errors naming them.
    let pipelines =
        gongkai_unprivileged(&["pipeline".as_ref(), "list".as_ref(), "--pipelines".as_ref(), locked.as_os_str()]);
    let views = gongkai_unprivileged(&[
        "query".as_ref(),
        "--warehouse".as_ref(),
        wh.as_os_str(),
        "--sql-dir".as_ref(),
        locked.as_os_str(),
        "SELECT 1".as_ref(),
    ]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    for (what, out) in [("pipeline list", &pipelines), ("query --sql-dir", &views)] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what}: {stderr}");
        assert!(
            stderr.contains(&locked.display().to_string()) && stderr.contains("ermission denied"),
            "{what}: {stderr}"
        );
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(&summary).expect(&stderr)).unwrap();
    let unreadable = summary["unreadable"].as_array().expect("unreadable list");
    assert!(
        unreadable.iter().any(|q| q["source_uri"].as_str().is_some_and(|u| u.contains("locked"))
            && q["reason"].as_str().is_some_and(|r| r.contains("cannot list"))),
        "{summary}"
    );
    assert_eq!(summary["reports"], 1, "{summary}");
}
