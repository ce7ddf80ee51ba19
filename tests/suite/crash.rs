//! Crash safety: `gongkai ingest` killed with SIGKILL at random moments, on the local disk and on
//! an S3 server, then run again: the warehouse equals an uninterrupted run's (same rows, no
//! duplicates) and holds no file that readers of plain Parquet would see but no commit added.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gongkai::store::Warehouse;

const TRIALS: u64 = 20;

fn sources(dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["synth", "--count", "12", "--seed", "21", "--layouts", "tabs,html,markdown", "--raw-only", "--out"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn ingest(src: &Path, warehouse: &str, env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gongkai"));
    cmd.arg("ingest").arg(src).args(["--warehouse", warehouse]).envs(env.iter().cloned());
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    cmd
}

/// A kill moment in [0, limit), the same for the same trial (a small LCG, so a failure names its
/// delay and can be repeated).
fn moment(trial: u64, limit: Duration) -> Duration {
    let x = trial.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) >> 33;
    limit.mul_f64((x % 1000) as f64 / 1000.0)
}

/// The rows a reader sees, without the ingestion times (each run has its own).
fn rows(warehouse: &str, env: &[(String, String)]) -> std::collections::BTreeMap<String, Vec<String>> {
    let options: Vec<(String, String)> =
        env.iter().filter_map(|(k, v)| store_option(k).map(|k| (k, v.clone()))).collect();
    let wh = Warehouse::open_existing(warehouse, &options).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        for table in gongkai::pipeline::TABLES {
            let live: std::collections::BTreeSet<String> = wh.live_files(table).await.unwrap().into_iter().collect();
            let files: std::collections::BTreeSet<String> = wh.data_files(table).await.unwrap().into_iter().collect();
            assert_eq!(live, files, "{warehouse}: {table} holds files no commit added");
        }
        assert!(wh.list("_staging").await.unwrap().is_empty(), "{warehouse}: staged files left");
        super::table_rows_except(&wh, &["ingested_at"]).await
    })
}

/// The store option of an `AWS_*` variable, for opening the warehouse in the test process.
fn store_option(var: &str) -> Option<String> {
    let key = match var {
        "AWS_ENDPOINT" => "aws_endpoint",
        "AWS_ALLOW_HTTP" => "aws_allow_http",
        "AWS_ACCESS_KEY_ID" => "aws_access_key_id",
        "AWS_SECRET_ACCESS_KEY" => "aws_secret_access_key",
        "AWS_REGION" => "aws_region",
        _ => return None,
    };
    Some(key.to_string())
}

/// Run the trials against warehouses `warehouse(trial)`; `reference` is an uninterrupted run.
fn trials(src: &Path, reference: &str, warehouse: impl Fn(u64) -> String, env: &[(String, String)]) {
    let start = Instant::now();
    let out = ingest(src, reference, env).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let took = start.elapsed();
    let want = rows(reference, env);
    assert_eq!(want["reports"].len(), 12);
    let mut killed = 0;
    for trial in 0..TRIALS {
        let wh = warehouse(trial);
        let delay = moment(trial, took);
        let mut child = ingest(src, &wh, env).spawn().unwrap();
        // The experiment is the kill at a random moment of the run, not a wait for anything.
        std::thread::sleep(delay);
        killed += usize::from(child.try_wait().unwrap().is_none());
        child.kill().unwrap();
        child.wait().unwrap();
        let again = ingest(src, &wh, env).output().unwrap();
        assert!(
            again.status.success(),
            "trial {trial} (killed after {delay:?}): the next run failed: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        let got = rows(&wh, env);
        for (table, lines) in &want {
            let have = got.get(table).cloned().unwrap_or_default();
            let missing: Vec<&String> = lines.iter().filter(|l| !have.contains(l)).take(2).collect();
            let extra: Vec<&String> = have.iter().filter(|l| !lines.contains(l)).take(2).collect();
            assert!(
                have.len() == lines.len() && missing.is_empty(),
                "trial {trial} (killed after {delay:?}): {table} has {} rows, the uninterrupted run {}; missing {missing:?}, extra {extra:?}",
                have.len(),
                lines.len()
            );
        }
    }
    assert!(killed as u64 >= TRIALS / 2, "only {killed} of {TRIALS} runs were still running when killed");
}

#[test]
fn ingest_killed_at_random_moments_on_local_disk_converges() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    sources(&src);
    let dir = |name: String| tmp.path().join(name).display().to_string();
    trials(&src, &dir("reference".into()), |t| dir(format!("wh{t}")), &[]);
}

#[test]
fn ingest_killed_at_random_moments_on_s3_converges() {
    let Some(server) = super::warehouse::moto("crash") else { return };
    let env: Vec<(String, String)> = [
        ("AWS_ENDPOINT", format!("http://127.0.0.1:{}", server.port)),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    sources(&src);
    trials(&src, "s3://crash/reference", |t| format!("s3://crash/wh{t}"), &env);
}
