//! Settings in one place: each one by flag, by `GONGKAI_*` variable and by config file, in that order
//! of precedence, as `gongkai check` reports them and as commands act on them; and `gongkai check`
//! listing every error of a config file at once.

use std::path::Path;
use std::process::{Command, Output};

use super::repo;

/// Every variable gongkai reads its settings from, so that a test sees only the ones it sets.
const VARIABLES: [&str; 8] = [
    "GONGKAI_CONFIG",
    "GONGKAI_WAREHOUSE",
    "GONGKAI_S3_ENDPOINT",
    "GONGKAI_S3_ALLOW_HTTP",
    "GONGKAI_S3_OPTIONS",
    "GONGKAI_SQL_DIR",
    "GONGKAI_PIPELINES",
    "GONGKAI_CONCURRENCY",
];

fn gongkai(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gongkai"));
    for v in VARIABLES {
        cmd.env_remove(v);
    }
    cmd.args(args).envs(env.iter().copied()).output().expect("gongkai runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The line `gongkai check` prints for one setting.
fn setting_line(out: &Output, key: &str) -> String {
    let text = stdout(out);
    let prefix = format!("setting {key} ");
    text.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no {prefix}line in {text}")).to_string()
}

fn write_config(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn flag_beats_variable_beats_config_file_beats_default() {
    let dir = tempfile::tempdir().unwrap();
    let pipelines = repo().join("pipelines").display().to_string();
    let file = write_config(
        dir.path(),
        "gongkai.toml",
        &format!(
            "warehouse = \"file-wh\"\nconcurrency = 3\npipelines = {pipelines:?}\n\n[s3_options]\naws_region = \"file-region\"\n"
        ),
    );

    // Nothing set: the built-in defaults.
    let out = gongkai(&["check"], &[("GONGKAI_PIPELINES", &pipelines)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(setting_line(&out, "warehouse"), "setting warehouse = ./warehouse (default)");
    // An empty GONGKAI_CONFIG names no file.
    let out = gongkai(&["check"], &[("GONGKAI_PIPELINES", &pipelines), ("GONGKAI_CONFIG", "")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(setting_line(&out, "warehouse"), "setting warehouse = ./warehouse (default)");

    // The file alone.
    let out = gongkai(&["check", "--config", &file], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(setting_line(&out, "warehouse"), format!("setting warehouse = file-wh (config file {file})"));
    assert_eq!(setting_line(&out, "concurrency"), format!("setting concurrency = 3 (config file {file})"));
    assert_eq!(
        setting_line(&out, "s3_options"),
        format!("setting s3_options = aws_region=file-region (config file {file})")
    );
    assert_eq!(setting_line(&out, "pipelines"), format!("setting pipelines = {pipelines} (config file {file})"));

    // A variable beats the file; the file's other keys still count.
    let out = gongkai(
        &["check", "--config", &file],
        &[
            ("GONGKAI_WAREHOUSE", "env-wh"),
            ("GONGKAI_S3_OPTIONS", "aws_region=env-region,aws_virtual_hosted_style_request=false"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(setting_line(&out, "warehouse"), "setting warehouse = env-wh (environment GONGKAI_WAREHOUSE)");
    assert_eq!(
        setting_line(&out, "s3_options"),
        "setting s3_options = aws_region=env-region,aws_virtual_hosted_style_request=false (environment GONGKAI_S3_OPTIONS)"
    );
    assert_eq!(setting_line(&out, "concurrency"), format!("setting concurrency = 3 (config file {file})"));

    // A flag beats both.
    let out = gongkai(
        &["check", "--config", &file, "--warehouse", "flag-wh", "--concurrency", "5"],
        &[("GONGKAI_WAREHOUSE", "env-wh"), ("GONGKAI_CONCURRENCY", "4")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(setting_line(&out, "warehouse"), "setting warehouse = flag-wh (flag --warehouse)");
    assert_eq!(setting_line(&out, "concurrency"), "setting concurrency = 5 (flag --concurrency)");

    // The config file itself: GONGKAI_CONFIG, unless --config names another.
    let other =
        write_config(dir.path(), "other.toml", &format!("warehouse = \"other-wh\"\npipelines = {pipelines:?}\n"));
    let out = gongkai(&["check"], &[("GONGKAI_CONFIG", &file)]);
    assert_eq!(setting_line(&out, "warehouse"), format!("setting warehouse = file-wh (config file {file})"));
    let out = gongkai(&["check", "--config", &other], &[("GONGKAI_CONFIG", &file)]);
    assert_eq!(setting_line(&out, "warehouse"), format!("setting warehouse = other-wh (config file {other})"));
}

#[test]
fn commands_act_on_the_setting_that_wins() {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh").display().to_string();
    let file = write_config(dir.path(), "gongkai.toml", &format!("warehouse = {wh:?}\n"));
    // ingest and query take the warehouse from the file alone.
    let report = repo().join("tests/fixtures/layouts/tab_blank_cell.txt");
    let out = gongkai(&["ingest", report.to_str().unwrap(), "--config", &file], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(Path::new(&wh).join("reports").is_dir(), "ingest wrote to the file's warehouse");
    let count = ["query", "SELECT COUNT(*) AS n FROM reports", "--format", "csv", "--config", &file];
    let out = gongkai(&count, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "n\n1");

    // A variable naming a missing warehouse beats the file: the query fails naming it...
    let env_wh = dir.path().join("env-wh").display().to_string();
    let out = gongkai(&count, &[("GONGKAI_WAREHOUSE", &env_wh)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&env_wh), "{}", stderr(&out));
    // ...and a flag beats the variable again.
    let mut with_flag = count.to_vec();
    with_flag.extend(["--warehouse", &wh]);
    let out = gongkai(&with_flag, &[("GONGKAI_WAREHOUSE", &env_wh)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "n\n1");
}

#[test]
fn boolean_variables_take_the_usual_spellings_and_reject_others() {
    let pipelines = repo().join("pipelines").display().to_string();
    for (value, expected) in [("true", "true"), ("1", "true"), ("yes", "true"), ("false", "false"), ("0", "false")] {
        let out = gongkai(&["check"], &[("GONGKAI_S3_ALLOW_HTTP", value), ("GONGKAI_PIPELINES", &pipelines)]);
        assert!(out.status.success(), "{value}: {}", stderr(&out));
        assert_eq!(
            setting_line(&out, "s3_allow_http"),
            format!("setting s3_allow_http = {expected} (environment GONGKAI_S3_ALLOW_HTTP)")
        );
    }
    let out = gongkai(&["check"], &[("GONGKAI_S3_ALLOW_HTTP", "maybe"), ("GONGKAI_PIPELINES", &pipelines)]);
    assert_eq!(out.status.code(), Some(2), "a usage error, as for a bad flag value");
}

#[test]
fn check_lists_every_error_of_the_settings_at_once_and_other_commands_refuse_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let pipelines = repo().join("pipelines").display().to_string();
    let file = write_config(
        dir.path(),
        "bad.toml",
        &format!(
            "pipelines = {pipelines:?}\nwarehouse = 5\nconcurrency = 0\nwarehose = \"typo\"\n[s3_options]\naws_region = 1\n"
        ),
    );
    let out = gongkai(&["check", "--config", &file], &[("GONGKAI_S3_OPTIONS", "aws_nonsense=1")]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    for expected in [
        format!("{file}: warehouse: expected a string, found integer"),
        format!("{file}: concurrency: must be at least 1, found 0"),
        format!("{file}: warehose: unknown setting"),
        format!("{file}: s3_options: aws_region: expected a string"),
        "s3_options: aws_nonsense: not an S3 setting".to_string(),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in\n{err}");
    }
    assert!(err.contains("5 error(s)"), "{err}");
    // The pipeline files and views are still checked beside the settings.
    assert!(stdout(&out).contains("view(s) valid"), "{}", stdout(&out));

    // Any other command stops before doing anything, naming the file's errors.
    let out = gongkai(&["query", "SELECT 1", "--config", &file], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&format!("{file}: warehose: unknown setting")), "{}", stderr(&out));

    // A warehouse URI no store takes, and a config file that is not there.
    let out = gongkai(&["check", "--warehouse", "ftp://host/wh"], &[("GONGKAI_PIPELINES", &pipelines)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("warehouse: "), "{}", stderr(&out));
    let missing = dir.path().join("absent.toml").display().to_string();
    let out = gongkai(&["check", "--config", &missing], &[("GONGKAI_PIPELINES", &pipelines)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&format!("{missing}: -: cannot read the config file")), "{}", stderr(&out));
}

#[test]
fn secrets_among_the_s3_options_are_not_printed() {
    let pipelines = repo().join("pipelines").display().to_string();
    let out = gongkai(
        &["check", "--s3-option", "aws_secret_access_key=hunter2", "--s3-option", "aws_region=x"],
        &[("GONGKAI_PIPELINES", &pipelines)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("hunter2"), "{}", stdout(&out));
    assert_eq!(
        setting_line(&out, "s3_options"),
        "setting s3_options = aws_secret_access_key=(hidden),aws_region=x (flag --s3-option)"
    );
}
