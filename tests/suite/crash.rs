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

/// The `AWS_*` variables that point gongkai at the S3 server on `port`.
fn s3_env(port: u16) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT", format!("http://127.0.0.1:{port}")),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
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
    let env = s3_env(server.port);
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    sources(&src);
    trials(&src, "s3://crash/reference", |t| format!("s3://crash/wh{t}"), &env);
}

/// A TCP proxy in front of the S3 server that can be cut: once `cut_after` bytes of requests have
/// passed, every open connection is closed and new ones are closed as they arrive, until
/// `restore` (the store is unreachable, as when its server stops, and comes back with its data).
struct Cuttable {
    port: u16,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Cuttable {
    fn new(upstream: u16, cut_after: usize) -> Cuttable {
        use std::io::{Read, Write};
        use std::net::{TcpListener, TcpStream};
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicUsize::new(0));
        let flag = down.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if flag.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else { continue };
                let pipe = move |mut from: TcpStream,
                                 mut to: TcpStream,
                                 count: Option<Arc<AtomicUsize>>,
                                 down: Arc<AtomicBool>| {
                    // The read timeout is how often a pipe looks at `down` while idle.
                    from.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
                    let mut buf = [0u8; 16 * 1024];
                    loop {
                        if down.load(Ordering::SeqCst) {
                            break;
                        }
                        match from.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => {
                                // The cut happens once, when the count crosses `cut_after`;
                                // after `restore` bytes pass freely.
                                let before = count.as_ref().map(|c| c.fetch_add(n, Ordering::SeqCst));
                                if let Some(before) = before
                                    && before < cut_after
                                    && before + n >= cut_after
                                {
                                    down.store(true, Ordering::SeqCst);
                                    break;
                                }
                                if to.write_all(&buf[..n]).is_err() {
                                    break;
                                }
                            }
                            Err(e)
                                if matches!(
                                    e.kind(),
                                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                                ) => {}
                            Err(_) => break,
                        }
                    }
                    let _ = from.shutdown(std::net::Shutdown::Both);
                    let _ = to.shutdown(std::net::Shutdown::Both);
                };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (d1, d2, count) = (flag.clone(), flag.clone(), sent.clone());
                std::thread::spawn(move || pipe(client, server, Some(count), d1));
                std::thread::spawn(move || pipe(s2, c2, None, d2));
            }
        });
        Cuttable { port, down }
    }

    fn is_down(&self) -> bool {
        self.down.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn restore(&self) {
        self.down.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn a_store_outage_mid_run_fails_cleanly_is_recorded_and_the_next_run_succeeds() {
    use std::io::BufRead;
    let Some(server) = super::warehouse::moto("outage") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    sources(&src);
    let size: u64 = std::fs::read_dir(&src).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    let direct = s3_env(server.port);
    // The uninterrupted run, straight to the server.
    let out = ingest(&src, "s3://outage/reference", &direct).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let want = rows("s3://outage/reference", &direct);

    // The store goes away once about half of the reports' bytes have been sent to it.
    let cut = Cuttable::new(server.port, size as usize / 2);
    let through = s3_env(cut.port);
    let pipelines = tmp.path().join("pipelines");
    std::fs::create_dir_all(&pipelines).unwrap();
    std::fs::write(
        pipelines.join("outage.toml"),
        format!(
            "schedule = \"0 0 3 1 * *\"\nwarehouse = \"s3://outage/wh\"\nretries = 1\nretry_backoff_seconds = 1\n[source]\nuri = \"{}\"\n",
            src.display()
        ),
    )
    .unwrap();
    let run = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gongkai"));
        cmd.args(["pipeline", "run", "outage", "--pipelines"]).arg(&pipelines).envs(through.iter().cloned());
        cmd.env_remove("GONGKAI_CONFIG").stdout(Stdio::null()).stderr(Stdio::piped());
        cmd
    };
    let started = Instant::now();
    let mut child = run().spawn().unwrap();
    let mut log = Vec::new();
    for line in std::io::BufReader::new(child.stderr.take().unwrap()).lines().map_while(Result::ok) {
        // Every attempt has failed: the store comes back, so the failure can be recorded.
        if line.contains("pipeline outage failed after") {
            assert!(cut.is_down(), "the run failed before the outage: {line}");
            cut.restore();
        }
        log.push(line);
    }
    let status = child.wait().unwrap();
    let log = log.join("\n");
    assert!(!status.success(), "the run during the outage succeeded:\n{log}");
    assert!(log.contains("attempt 1 failed"), "the run was tried again after a backoff:\n{log}");
    assert!(started.elapsed() < Duration::from_secs(600), "retries are bounded: {:?}", started.elapsed());

    // Recorded as a failure with its reason; nothing half-written is visible to readers.
    let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["query", "SELECT status, attempts, error FROM runs", "--warehouse", "s3://outage/wh", "--format", "csv"])
        .envs(direct.iter().cloned())
        .env_remove("GONGKAI_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let runs = super::serve::csv_rows(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(runs.len(), 2, "one run recorded: {runs:?}\n{log}");
    assert_eq!((runs[1][0].as_str(), runs[1][1].as_str()), ("failed", "2"), "{runs:?}");
    assert!(!runs[1][2].is_empty(), "the failure says why");
    let after_outage = rows("s3://outage/wh", &direct);
    assert!(after_outage.get("reports").is_none_or(|r| r.is_empty()), "no report of the failed run is visible");

    // The next run, the store back, completes the work: the uninterrupted run's rows.
    let out = run().output().unwrap();
    assert!(out.status.success(), "the next run: {}", String::from_utf8_lossy(&out.stderr));
    let got = rows("s3://outage/wh", &direct);
    assert_eq!(got, want, "the warehouse after the outage and a second run equals an uninterrupted run");
}
