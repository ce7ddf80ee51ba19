//! The deployment files of `deploy/` name only what gongkai has: every subcommand, flag and
//! `GONGKAI_*` variable they start gongkai with appears in gongkai's own `--help`; the YAML parses
//! and validates (tests/deploy_check.py: the Compose specification, Kubernetes' schemas); the
//! pipeline files they ship pass `gongkai check`; the systemd unit passes `systemd-analyze verify`
//! where systemd-analyze exists; the Dockerfile builds with README's deployment command.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use super::repo;

fn gongkai(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gongkai")).args(args).output().expect("gongkai runs")
}

/// `gongkai PATH… --help`.
fn help(path: &[&str]) -> String {
    let mut args = path.to_vec();
    args.push("--help");
    let out = gongkai(&args);
    assert!(out.status.success(), "gongkai {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommands a help text lists under `Commands:`.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// Every help text of gongkai, by subcommand path.
fn all_help() -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(path) = todo.pop() {
        let text = help(&path.iter().map(String::as_str).collect::<Vec<_>>());
        for sub in subcommands(&text) {
            let mut p = path.clone();
            p.push(sub);
            todo.push(p);
        }
        out.push((path, text));
    }
    out
}

/// Problems with one argument list gongkai would be started with: an unknown subcommand or a flag
/// its help does not show.
fn check_argv(argv: &[String], where_: &str) -> Vec<String> {
    let mut path: Vec<&str> = Vec::new();
    let mut text = help(&[]);
    let mut problems = Vec::new();
    let mut args = argv.iter().map(String::as_str);
    // Leading words are subcommands while the help lists them; the first one that is not is an error
    // unless the subcommand takes positional arguments (`pipeline run NAME`).
    for arg in args.by_ref() {
        if arg.starts_with('-') {
            if !flag_in(&text, arg) {
                problems.push(format!("{where_}: `gongkai {}`: {arg} is not in its --help", path.join(" ")));
            }
            continue;
        }
        if subcommands(&text).iter().any(|s| s == arg) {
            path.push(arg);
            text = help(&path);
        } else if path.is_empty() || !subcommands(&text).is_empty() {
            problems.push(format!("{where_}: `gongkai {}` has no subcommand {arg}", path.join(" ")));
        }
    }
    if path.is_empty() {
        problems.push(format!("{where_}: {argv:?} names no subcommand"));
    }
    problems
}

fn flag_in(help: &str, arg: &str) -> bool {
    let flag = arg.split('=').next().unwrap();
    help.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']').any(|w| w == flag)
}

/// `KEY=VALUE` lines of a unit file's section-less view: (key, value) in order.
fn unit_entries(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// A command line of a unit or a Dockerfile's exec form: gongkai's arguments after its binary.
fn gongkai_args(words: &[String]) -> Option<Vec<String>> {
    let first = words.first()?;
    (Path::new(first.trim_start_matches(['-', '@', '+', '!'])).file_name()? == "gongkai").then(|| words[1..].to_vec())
}

/// The JSON array of a Dockerfile instruction's exec form (`CMD ["gongkai", "check"]`).
fn exec_form(line: &str) -> Vec<String> {
    let start = line.find('[').unwrap_or_else(|| panic!("not in exec form: {line}"));
    serde_json::from_str(&line[start..]).unwrap_or_else(|e| panic!("{line}: {e}"))
}

#[test]
fn deployment_files_name_only_real_subcommands_flags_and_variables() {
    let Some(python) = super::python_with("yaml, kubernetes_validate, check_jsonschema") else { return };
    let deploy = repo().join("deploy");
    let out = Command::new(&python).arg(repo().join("tests/deploy_check.py")).arg(&deploy).output().unwrap();
    assert!(out.status.success(), "deploy_check.py: {}", String::from_utf8_lossy(&out.stderr));
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems: Vec<String> = serde_json::from_value(found["problems"].clone()).unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let mut commands: Vec<(String, Vec<String>)> =
        serde_json::from_value::<Vec<Vec<String>>>(found["commands"].clone())
            .unwrap()
            .into_iter()
            .map(|c| ("compose/k8s".to_string(), c))
            .collect();
    let mut variables: BTreeSet<String> = serde_json::from_value(found["variables"].clone()).unwrap();

    // The Dockerfile: ENTRYPOINT gongkai, its CMD and HEALTHCHECK, its ENV.
    let dockerfile = std::fs::read_to_string(deploy.join("Dockerfile")).unwrap();
    let instruction = |name: &str| -> Vec<&str> {
        dockerfile.lines().filter(|l| l.split_whitespace().next() == Some(name)).collect()
    };
    assert_eq!(instruction("ENTRYPOINT").iter().map(|l| exec_form(l)).collect::<Vec<_>>(), vec![vec!["gongkai"]]);
    for line in instruction("CMD") {
        commands.push(("Dockerfile CMD".into(), exec_form(line)));
    }
    for line in instruction("HEALTHCHECK") {
        let words = exec_form(line);
        commands.push(("Dockerfile HEALTHCHECK".into(), gongkai_args(&words).expect("the healthcheck runs gongkai")));
    }
    variables.extend(
        dockerfile
            .split(|c: char| c.is_whitespace() || c == '\\')
            .filter_map(|w| w.split_once('=').map(|(k, _)| k))
            .filter(|k| k.starts_with("GONGKAI_"))
            .map(str::to_string),
    );

    // The systemd units: every Exec line that runs gongkai, every GONGKAI_* it sets.
    for unit in std::fs::read_dir(deploy.join("systemd")).unwrap() {
        let unit = unit.unwrap().path();
        if unit.extension().is_none_or(|e| e != "service") {
            continue;
        }
        for (key, value) in unit_entries(&std::fs::read_to_string(&unit).unwrap()) {
            let words: Vec<String> = value.split_whitespace().map(str::to_string).collect();
            if key.starts_with("Exec") {
                let args =
                    gongkai_args(&words).unwrap_or_else(|| panic!("{}: {key} does not run gongkai", unit.display()));
                commands.push((unit.display().to_string(), args));
            } else if key == "Environment" {
                variables.extend(words.iter().filter_map(|w| w.split_once('=')).map(|(k, _)| k.to_string()));
            }
        }
    }

    let mut problems = Vec::new();
    assert!(commands.len() >= 6, "{commands:?}");
    for (where_, argv) in &commands {
        problems.extend(check_argv(argv, where_));
    }
    let helps = all_help();
    for v in variables.iter().filter(|v| v.starts_with("GONGKAI_")) {
        // A flag's variable (`[env: V=]`), or one the help names as read from the environment
        // (GONGKAI_PG_USER and GONGKAI_PG_PASSWORD).
        let named = |text: &str| {
            text.match_indices(v.as_str())
                .any(|(i, _)| !text[i + v.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
        };
        if !helps.iter().any(|(_, text)| text.contains(&format!("[env: {v}=")) || named(text)) {
            problems.push(format!("{v} is no variable of gongkai (in no --help)"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The pipeline files shipped for deployments pass `gongkai check`, and the ConfigMap carries
    // the same pipelines as deploy/pipelines/, with the CronJob firing when the file says.
    let pipelines: std::collections::BTreeMap<String, String> =
        serde_json::from_value(found["pipelines"].clone()).unwrap();
    assert!(!pipelines.is_empty(), "the ConfigMap carries pipeline files");
    let dir = tempfile::tempdir().unwrap();
    let significant = |t: &str| -> Vec<String> {
        t.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
    };
    for (name, text) in &pipelines {
        std::fs::write(dir.path().join(name), text).unwrap();
        let shipped = std::fs::read_to_string(deploy.join("pipelines").join(name)).unwrap();
        assert_eq!(significant(text), significant(&shipped), "{name}: ConfigMap and deploy/pipelines differ");
    }
    for d in [dir.path(), &deploy.join("pipelines")] {
        let out = gongkai(&["check", "--pipelines", d.to_str().unwrap()]);
        assert!(out.status.success(), "{}: {}", d.display(), String::from_utf8_lossy(&out.stderr));
    }
    for cron in found["cronjobs"].as_array().unwrap() {
        assert_eq!(cron["concurrencyPolicy"], "Forbid");
        let args: Vec<String> = serde_json::from_value(cron["args"].clone()).unwrap();
        let name = format!("{}.toml", args.last().unwrap());
        let text = &pipelines[&name];
        let field = |key: &str| {
            text.lines()
                .find_map(|l| {
                    l.strip_prefix(key)?.trim_start().strip_prefix('=').map(|v| v.trim().trim_matches('"').to_string())
                })
                .unwrap_or_else(|| panic!("{name}: no {key}"))
        };
        // The pipeline's cron has seconds first; Kubernetes' has none.
        let schedule = field("schedule");
        let (seconds, rest) = schedule.split_once(' ').unwrap();
        assert_eq!(seconds, "0", "{name}: a CronJob fires on whole minutes");
        assert_eq!(cron["schedule"], rest, "{name}: CronJob and pipeline fire at the same times");
        assert_eq!(cron["timeZone"], field("time_zone").as_str());
    }

    // The example settings file of the systemd unit is valid.
    let example = deploy.join("systemd/gongkai.toml");
    let pipelines_dir = repo().join("pipelines");
    let out =
        gongkai(&["check", "--config", example.to_str().unwrap(), "--pipelines", pipelines_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_image_builds_with_readmes_deployment_command() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let dockerfile = std::fs::read_to_string(repo().join("deploy/Dockerfile")).unwrap();
    let build = "cargo build --release --locked";
    assert!(readme.contains(&format!("`{build}`")), "README names the deployment build");
    let runs: Vec<&str> = dockerfile.lines().filter(|l| l.starts_with("RUN cargo")).collect();
    assert_eq!(runs, vec![format!("RUN {build}")], "the Dockerfile's only cargo command");
    // Every path the image copies from the repository exists.
    for line in dockerfile.lines().filter(|l| l.starts_with("COPY") && !l.contains("--from=")) {
        let words: Vec<&str> = line.split_whitespace().filter(|w| !w.starts_with("--")).collect();
        for src in &words[1..words.len() - 1] {
            assert!(repo().join(src).exists(), "{line}: {src} is not in the repository");
        }
    }
    // The binary the runtime stage copies is the one that command builds.
    assert!(dockerfile.contains("COPY --from=build /src/target/release/gongkai /usr/local/bin/gongkai"));
}

#[test]
fn systemd_units_pass_systemd_analyze() {
    let available = Command::new("systemd-analyze").arg("--version").output().is_ok_and(|o| o.status.success());
    if !available {
        // Not a failure in CI either: systemd is not part of what the tests need (README).
        eprintln!("skipping: systemd-analyze is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut units = 0;
    for unit in std::fs::read_dir(repo().join("deploy/systemd")).unwrap() {
        let unit = unit.unwrap().path();
        if unit.extension().is_none_or(|e| e != "service") {
            continue;
        }
        units += 1;
        // verify wants the binary the unit runs: the one this test built stands in for
        // /usr/local/bin/gongkai.
        let text =
            std::fs::read_to_string(&unit).unwrap().replace("/usr/local/bin/gongkai", env!("CARGO_BIN_EXE_gongkai"));
        let copy = dir.path().join(unit.file_name().unwrap());
        std::fs::write(&copy, text).unwrap();
        let out = Command::new("systemd-analyze").arg("verify").arg(&copy).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let name = unit.file_name().unwrap().to_string_lossy().to_string();
        assert!(out.status.success(), "systemd-analyze verify {name}: {stderr}");
        assert!(!stderr.contains(&name), "systemd-analyze verify {name} warns: {stderr}");
        // The hardening holds: systemd's exposure score at most 2.0 of 10 ("OK").
        let out = Command::new("systemd-analyze")
            .args(["security", "--offline=yes", "--threshold=20"])
            .arg(&copy)
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: exposure above 2.0:\n{}", String::from_utf8_lossy(&out.stdout));
    }
    assert!(units > 0, "deploy/systemd has a unit");
}
