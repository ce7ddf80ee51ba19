//! Scheduled pipelines: checked pipeline files (every error at once), the cron daemon firing on
//! second-level schedules, content-hash skipping of sources already ingested, the runs table, the
//! lease (held, expired and taken over), cancellation converging with an uninterrupted run,
//! catch-up of a missed fire time, and the daemon as a process stopped by SIGTERM.
//!
//! Nothing sleeps in place of synchronisation: tests poll the runs table (an observable event) with
//! a timeout.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use gongkai::pipeline::{Outcome, Progress, Quiet};
use gongkai::schedule::{self, Daemon, Pipeline, RunRecord, RunRequest, config, lease, runs};
use gongkai::store::Warehouse;
use tokio_util::sync::CancellationToken;

use super::repo;

const TIMEOUT: Duration = Duration::from_secs(60);

/// A report made from the tab-separated fixture: another agency and year.
fn report_text(agency: &str, year: i32, proactive: u32) -> String {
    let base = std::fs::read_to_string(repo().join("tests/fixtures/layouts/tab_blank_cell.txt")).unwrap();
    base.replace("利通区古城镇", agency)
        .replace("全年共发布各类信息 406 条", &format!("全年共发布各类信息 {proactive} 条"))
        .replace("2023", &year.to_string())
}

/// Drop a file into the inbox the way an operator's copy should: under a hidden name, then renamed,
/// so that a run never reads half a file.
fn drop_file(inbox: &Path, name: &str, text: &str) {
    let tmp = inbox.join(format!(".{name}.part"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, inbox.join(name)).unwrap();
}

fn pipeline(dir: &Path, name: &str, schedule: &str, inbox: &Path, warehouse: &str, extra: &str) -> Pipeline {
    let text = format!(
        "schedule = \"{schedule}\"\nwarehouse = \"{warehouse}\"\n{extra}\n[source]\nuri = \"{}\"\nglob = \"*.txt\"\n",
        inbox.display()
    );
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, &text).unwrap();
    config::compile(&file, &text).unwrap_or_else(|e| panic!("{e:?}"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Poll the runs table of `wh` until `done` holds for its rows.
async fn wait_for_runs(wh: &Warehouse, what: &str, done: impl Fn(&[RunRecord]) -> bool) -> Vec<RunRecord> {
    let start = Instant::now();
    loop {
        let rows = runs::read_runs(wh, None).await.unwrap();
        if done(&rows) {
            return rows;
        }
        assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what}; runs: {rows:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every Parquet file of the warehouse reads.
async fn assert_readable(wh: &Warehouse) {
    for rel in wh.list("").await.unwrap() {
        assert!(!rel.starts_with("_staging/"), "staged file left: {rel}");
        if rel.ends_with(".parquet") && !rel.contains("/_delta_log/") {
            wh.read_parquet(&rel).await.unwrap_or_else(|e| panic!("{rel}: {e}"));
        }
    }
}

fn count_reports(rt: &tokio::runtime::Runtime, wh: &Warehouse) -> usize {
    rt.block_on(async {
        let mut n = 0;
        for (_, batch) in wh.read_live("reports", None).await.unwrap() {
            n += batch.num_rows();
        }
        n
    })
}

#[test]
fn bad_pipeline_files_give_every_error_at_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "schedule = \"0 0 3 1 *\"\ntime_zone = \"Mars/Olympus\"\nwarehouse = \"ftp://x/y\"\ncatch_up = \"yes\"\nretries = -1\ncolour = 1\n\n[source]\nglob = \"[\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.toml"), "schedule = [").unwrap();
    std::fs::write(dir.path().join("README.md"), "not a pipeline").unwrap();
    let good = "schedule = \"*/5 * * * * *\"\nwarehouse = \"memory://\"\n[source]\nuri = \"inbox/\"\n";
    std::fs::write(dir.path().join("good.toml"), good).unwrap();

    let errors = config::load_dir(dir.path()).unwrap_err().0;
    let got: Vec<(String, String)> =
        errors.iter().map(|e| (e.file.file_name().unwrap().to_string_lossy().to_string(), e.field.clone())).collect();
    let want: Vec<(String, String)> = [
        ("bad.toml", "colour"),
        ("bad.toml", "schedule"),
        ("bad.toml", "time_zone"),
        ("bad.toml", "warehouse"),
        ("bad.toml", "catch_up"),
        ("bad.toml", "retries"),
        ("bad.toml", "source.uri"),
        ("bad.toml", "source.glob"),
        ("broken.toml", "-"),
    ]
    .iter()
    .map(|(f, k)| (f.to_string(), k.to_string()))
    .collect();
    assert_eq!(got, want, "{errors:#?}");
    let schedule = errors.iter().find(|e| e.field == "schedule").unwrap();
    assert!(schedule.message.contains("expected 6"), "{schedule}");
    assert!(schedule.to_string().starts_with(&format!("{}: schedule: ", dir.path().join("bad.toml").display())));

    // `gongkai check` prints all of them and exits 1; the shipped pipelines are valid.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["check", "--pipelines", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.matches("error: ").count(), 9, "{stderr}");
    let shipped = config::load_dir(&repo().join("pipelines")).unwrap();
    let monthly = shipped.iter().find(|p| p.name == "monthly").expect("pipelines/monthly.toml");
    let after = Utc.with_ymd_and_hms(2026, 1, 15, 0, 0, 0).unwrap();
    let next: Vec<String> = monthly.next_fires(after, 2).iter().map(|t| t.to_rfc3339()).collect();
    assert_eq!(next, ["2026-02-01T03:00:00+08:00", "2026-03-01T03:00:00+08:00"]);
}

#[test]
fn the_daemon_fires_and_later_runs_ingest_only_new_files() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    drop_file(&inbox, "a.txt", &report_text("会宁县柴家门镇", 2023, 11));
    drop_file(&inbox, "b.txt", &report_text("米易县得石镇", 2022, 12));
    drop_file(&inbox, "notes.md", "not taken: the glob is *.txt");
    let wh_dir = dir.path().join("wh");
    let p = pipeline(dir.path(), "every_second", "*/1 * * * * *", &inbox, wh_dir.to_str().unwrap(), "");
    let rt = runtime();
    let wh = Warehouse::open(wh_dir.to_str().unwrap(), &[]).unwrap();
    let cancel = CancellationToken::new();
    rt.block_on(async {
        let daemon = Daemon::start(vec![(p, wh.clone())], cancel.clone()).await.unwrap();
        let ok = |r: &RunRecord| r.status == "succeeded";
        let first = wait_for_runs(&wh, "a first run", |rows| rows.iter().any(|r| ok(r) && r.reports == 2)).await;
        let first = first.iter().find(|r| ok(r) && r.reports == 2).unwrap().clone();
        assert_eq!((first.files, first.already_ingested), (2, 0), "{first:?}");
        assert!(first.scheduled_for.is_some());

        // A renamed copy of a known file and a new file arrive.
        drop_file(&inbox, "a_renamed.txt", &report_text("会宁县柴家门镇", 2023, 11));
        drop_file(&inbox, "c.txt", &report_text("会宁县柴家门镇", 2023, 13));
        let rows = wait_for_runs(&wh, "a run with the new file", |rows| {
            rows.iter().any(|r| ok(r) && r.reports == 1 && r.run_id > first.run_id)
        })
        .await;
        let second = rows.iter().find(|r| ok(r) && r.reports == 1).unwrap();
        assert_eq!((second.files, second.already_ingested), (4, 3), "{second:?}");
        // Every succeeded run stored either the first two, the new one, or nothing.
        for r in rows.iter().filter(|r| ok(r)) {
            assert!(r.run_id == first.run_id || r.reports <= 1, "{r:?}");
            assert!(r.run_id == first.run_id || r.run_id == second.run_id || r.reports == 0, "{r:?}");
        }
        cancel.cancel();
        daemon.wait().await.unwrap();
        assert_eq!(lease::current(&wh).await.unwrap(), None, "lease released");
        assert_readable(&wh).await;
    });
    assert_eq!(count_reports(&rt, &wh), 3);
}

#[test]
fn a_held_lease_blocks_a_second_scheduler_and_an_expired_one_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    drop_file(&inbox, "a.txt", &report_text("会宁县柴家门镇", 2023, 11));
    let rt = runtime();
    // memory:// has conditional update; the local disk takes an expired lease over by delete + create.
    let local = dir.path().join("wh");
    for uri in ["memory://", local.to_str().unwrap()] {
        let p = pipeline(dir.path(), "leased", "*/1 * * * * *", &inbox, uri, "lease_seconds = 30");
        let wh = Warehouse::open(uri, &[]).unwrap();
        rt.block_on(async {
            let now = Utc::now().timestamp_micros();
            // Another scheduler (another machine) holds the lease for an hour.
            let other = match lease::acquire(&wh, "leased", "other-host/1/run", now, 3_600_000_000).await.unwrap() {
                lease::Acquired::Taken(l) => l,
                lease::Acquired::Held(b) => panic!("held by {b:?}"),
            };
            let cancel = CancellationToken::new();
            let daemon = Daemon::start(vec![(p.clone(), wh.clone())], cancel.clone()).await.unwrap();
            let rows =
                wait_for_runs(&wh, "a skipped run", |rows| rows.iter().any(|r| r.status == "skipped_lease_held")).await;
            cancel.cancel();
            daemon.wait().await.unwrap();
            assert!(rows.iter().all(|r| r.status == "skipped_lease_held"), "{rows:#?}");
            let skipped = &rows[0];
            assert!(skipped.error.as_deref().unwrap_or("").contains("other-host/1/run"), "{skipped:?}");
            assert_eq!(count_reports_async(&wh).await, 0);
            assert_eq!(lease::current(&wh).await.unwrap().unwrap().holder, "other-host/1/run");
            drop(other); // its holder dies without releasing

            // A lease that expired (its holder died an hour ago) is taken over.
            wh.delete(lease::LEASE_FILE).await.unwrap();
            let past = now - 3_600_000_000;
            assert!(matches!(
                lease::acquire(&wh, "leased", "dead-host/2/run", past, 1_000_000).await.unwrap(),
                lease::Acquired::Taken(_)
            ));
            let record = schedule::run_pipeline(&p, &wh, &RunRequest::default(), &Quiet).await.unwrap();
            assert_eq!((record.status.as_str(), record.reports), ("succeeded", 1), "{uri}: {record:?}");
            assert_eq!(lease::current(&wh).await.unwrap(), None, "released after the run");
            let all = runs::read_runs(&wh, Some("leased")).await.unwrap();
            assert_eq!(all.last().unwrap(), &record);
        });
    }
}

async fn count_reports_async(wh: &Warehouse) -> usize {
    let mut n = 0;
    for rel in wh.list("reports").await.unwrap() {
        n += wh.read_parquet(&rel).await.unwrap().unwrap().num_rows();
    }
    n
}

/// Cancels the run (as the SIGTERM handler does) at a chosen point.
struct CancelAt {
    token: CancellationToken,
    step_prefix: Option<&'static str>,
    after_files: Option<usize>,
    files: Mutex<usize>,
}

impl Progress for CancelAt {
    fn start(&self, _: usize) {}
    fn file(&self, _: &str, _: &Outcome) {
        let mut n = self.files.lock().unwrap();
        *n += 1;
        if self.after_files.is_some_and(|k| *n >= k) {
            self.token.cancel();
        }
    }
    fn step(&self, message: &str) {
        if self.step_prefix.is_some_and(|p| message.starts_with(p)) {
            self.token.cancel();
        }
    }
}

#[test]
fn a_cancelled_run_leaves_a_readable_warehouse_and_the_next_run_converges() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for (i, agency) in ["会宁县柴家门镇", "米易县得石镇", "某某研究中心"].iter().enumerate() {
        for year in [2021, 2022, 2023] {
            drop_file(&inbox, &format!("r{i}_{year}.txt"), &report_text(agency, year, 10 + year as u32));
        }
    }
    drop_file(&inbox, "empty.txt", "");
    let rt = runtime();
    let clock = 1_700_000_000_000_000;
    let request = |cancel: CancellationToken| RunRequest { scheduled_for: None, cancel, data_clock: Some(clock) };

    // The reference: one uninterrupted run.
    let reference_dir = dir.path().join("reference");
    let p = pipeline(dir.path(), "p", "0 0 3 1 * *", &inbox, reference_dir.to_str().unwrap(), "");
    let reference = Warehouse::open(reference_dir.to_str().unwrap(), &[]).unwrap();
    let record =
        rt.block_on(schedule::run_pipeline(&p, &reference, &request(CancellationToken::new()), &Quiet)).unwrap();
    assert_eq!((record.status.as_str(), record.reports, record.quarantined), ("succeeded", 9, 1));
    let want = rt.block_on(super::table_rows(&reference));

    // Cancelled while reading files, and as the run was about to commit its tables.
    for (case, step_prefix, after_files) in [("reading", None, Some(2)), ("committing", Some("committing "), None)] {
        let wh_dir = dir.path().join(case);
        let p = pipeline(dir.path(), "p", "0 0 3 1 * *", &inbox, wh_dir.to_str().unwrap(), "");
        let wh = Warehouse::open(wh_dir.to_str().unwrap(), &[]).unwrap();
        let token = CancellationToken::new();
        let progress = CancelAt { token: token.clone(), step_prefix, after_files, files: Mutex::new(0) };
        let record = rt.block_on(schedule::run_pipeline(&p, &wh, &request(token), &progress)).unwrap();
        assert_eq!(record.status, "interrupted", "{case}: {record:?}");
        rt.block_on(assert_readable(&wh));
        assert_eq!(rt.block_on(lease::current(&wh)).unwrap(), None, "{case}: lease released");
        // A run commits all its tables or none: nothing of it is visible, and no file of it is
        // left under the tables.
        assert_eq!(count_reports(&rt, &wh), 0, "{case}: reports after the interruption");
        for table in gongkai::pipeline::TABLES {
            assert!(rt.block_on(wh.data_files(table)).unwrap().is_empty(), "{case}: {table} has files no commit added");
        }

        let record = rt.block_on(schedule::run_pipeline(&p, &wh, &request(CancellationToken::new()), &Quiet)).unwrap();
        assert_eq!(record.status, "succeeded", "{case}: {record:?}");
        assert_eq!(record.reports, 9, "{case}: the next run ingests everything");
        assert_eq!(rt.block_on(super::table_rows(&wh)), want, "{case}: not the rows of the uninterrupted run");
        let history: Vec<String> =
            rt.block_on(runs::read_runs(&wh, None)).unwrap().into_iter().map(|r| r.status).collect();
        assert_eq!(history, ["interrupted", "succeeded"]);
    }
}

#[test]
fn catch_up_runs_a_missed_fire_time_once_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    drop_file(&inbox, "a.txt", &report_text("会宁县柴家门镇", 2023, 11));
    let wh_dir = dir.path().join("wh");
    let wh = Warehouse::open(wh_dir.to_str().unwrap(), &[]).unwrap();
    let uri = wh_dir.to_str().unwrap();
    let monthly = pipeline(dir.path(), "monthly", "0 0 3 1 * *", &inbox, uri, "catch_up = true");
    let no_catch_up = pipeline(dir.path(), "monthly_plain", "0 0 3 1 * *", &inbox, uri, "");
    let rt = runtime();
    rt.block_on(async {
        let now = Utc::now();
        let last = monthly.last_fire(now).unwrap().with_timezone(&Utc);
        // A run recorded for the fire time before the last one: the last one was missed.
        let before = monthly.last_fire(last - chrono::Duration::seconds(1)).unwrap().with_timezone(&Utc);
        let mut old = RunRecord::begun(
            "monthly",
            "00000000T000000Z-monthly-old".into(),
            "earlier".into(),
            before.timestamp_micros(),
            schedule::RunStatus::Succeeded,
        );
        old.scheduled_for = Some(before.timestamp_micros());
        old.attempts = 1;
        runs::append(&wh, &old).await.unwrap();
        assert_eq!(schedule::missed_fire(&monthly, &wh, now).await.unwrap(), Some(last));

        let cancel = CancellationToken::new();
        let daemon =
            Daemon::start(vec![(monthly.clone(), wh.clone()), (no_catch_up.clone(), wh.clone())], cancel.clone())
                .await
                .unwrap();
        wait_for_runs(&wh, "the catch-up run", |rows| rows.iter().any(|r| r.run_id != old.run_id)).await;
        cancel.cancel();
        daemon.wait().await.unwrap();
        let rows = runs::read_runs(&wh, None)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.run_id != old.run_id)
            .collect::<Vec<_>>();
        assert_eq!(rows.len(), 1, "one catch-up run, none for the pipeline without catch_up: {rows:#?}");
        assert_eq!(rows[0].pipeline, "monthly");
        assert_eq!(rows[0].scheduled_for, Some(last.timestamp_micros()));
        assert_eq!((rows[0].status.as_str(), rows[0].reports), ("succeeded", 1));
        // Covered now: a restart runs nothing.
        assert_eq!(schedule::missed_fire(&monthly, &wh, Utc::now()).await.unwrap(), None);
    });
}

/// Kills the daemon if the test ends early.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_schedule_command_stops_cleanly_on_sigterm_during_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let mut n = 0;
    for agency in ["会宁县柴家门镇", "米易县得石镇", "某某研究中心"] {
        for year in [2021, 2022, 2023] {
            for k in 0..4 {
                n += 1;
                drop_file(&inbox, &format!("r{n:02}.txt"), &report_text(agency, year, 100 + k));
            }
        }
    }
    let pipelines = dir.path().join("pipelines");
    std::fs::create_dir_all(&pipelines).unwrap();
    let wh_dir: PathBuf = dir.path().join("wh");
    pipeline(&pipelines, "fast", "*/1 * * * * *", &inbox, wh_dir.to_str().unwrap(), "");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["schedule", "--pipelines", pipelines.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Child(child);

    // A run is going on while its lease object exists.
    let lease_file = wh_dir.join(lease::LEASE_FILE);
    let start = Instant::now();
    while !lease_file.exists() {
        assert!(start.elapsed() < TIMEOUT, "no run started");
        std::thread::sleep(Duration::from_millis(1));
    }
    let pid = child.0.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < TIMEOUT, "the daemon did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    assert!(!lease_file.exists(), "lease released");
    let rt = runtime();
    let wh = Warehouse::open(wh_dir.to_str().unwrap(), &[]).unwrap();
    rt.block_on(async {
        assert_readable(&wh).await;
        let rows = runs::read_runs(&wh, None).await.unwrap();
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|r| ["succeeded", "interrupted"].contains(&r.status.as_str())), "{rows:#?}");
    });

    // The next run completes the work.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["pipeline", "run", "fast", "--pipelines", pipelines.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count_reports(&rt, &wh), 36);
}

#[test]
fn a_lease_taken_over_is_lost_to_its_old_holder() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("wh");
    let rt = runtime();
    for uri in ["memory://", local.to_str().unwrap()] {
        let wh = Warehouse::open(uri, &[]).unwrap();
        rt.block_on(async {
            let take = |holder: &'static str, now: i64, ttl: i64| {
                let wh = wh.clone();
                async move {
                    match lease::acquire(&wh, "p", holder, now, ttl).await.unwrap() {
                        lease::Acquired::Taken(l) => Some(l),
                        lease::Acquired::Held(_) => None,
                    }
                }
            };
            let mut a = take("a", 1_000, 1_000).await.expect("free lease");
            assert!(take("b", 1_500, 1_000).await.is_none(), "{uri}: held until 2000");
            assert!(a.renew(&wh, 1_600, 1_000).await.unwrap(), "{uri}: the holder renews");
            assert!(take("b", 2_500, 1_000).await.is_none(), "{uri}: renewed until 2600");
            let mut b = take("b", 3_000, 1_000).await.expect("expired lease taken over");
            assert!(!a.renew(&wh, 3_100, 1_000).await.unwrap(), "{uri}: the old holder learns it lost the lease");
            a.release(&wh).await.unwrap();
            assert_eq!(lease::current(&wh).await.unwrap().unwrap().holder, "b", "{uri}: not released by a");
            assert!(b.renew(&wh, 3_200, 1_000).await.unwrap());
            b.release(&wh).await.unwrap();
            assert_eq!(lease::current(&wh).await.unwrap(), None);
        });
    }
}

#[test]
fn a_failing_run_is_retried_and_recorded_as_failed() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    drop_file(&inbox, "a.txt", &report_text("会宁县柴家门镇", 2023, 11));
    let wh_dir = dir.path().join("wh");
    let extra = "retries = 2\nretry_backoff_seconds = 0";
    let p = pipeline(dir.path(), "retried", "0 0 3 1 * *", &inbox, wh_dir.to_str().unwrap(), extra);
    let wh = Warehouse::open(wh_dir.to_str().unwrap(), &[]).unwrap();
    let rt = runtime();
    rt.block_on(async {
        // A damaged table file: every attempt fails reading it.
        wh.put(gongkai::store::QUARANTINE_FILE, bytes::Bytes::from_static(b"not parquet")).await.unwrap();
        let record = schedule::run_pipeline(&p, &wh, &RunRequest::default(), &Quiet).await.unwrap();
        assert_eq!((record.status.as_str(), record.attempts), ("failed", 3), "{record:?}");
        assert!(record.error.as_deref().unwrap_or("").contains(gongkai::store::QUARANTINE_FILE), "{record:?}");
        assert_eq!(runs::read_runs(&wh, None).await.unwrap(), vec![record]);
        assert_eq!(lease::current(&wh).await.unwrap(), None);
    });
}

/// The cron forms README documents, read as README says.
#[test]
fn cron_fields_read_as_documented() {
    let after = Utc.with_ymd_and_hms(2026, 1, 15, 0, 0, 0).unwrap(); // a Thursday, 08:00 in Shanghai
    let fires = |expr: &str, n: usize| -> Vec<String> {
        let text = format!("schedule = \"{expr}\"\nwarehouse = \"memory://\"\n[source]\nuri = \"inbox/\"\n");
        let p = config::compile(Path::new("p.toml"), &text).unwrap_or_else(|e| panic!("{expr}: {e:?}"));
        p.next_fires(after, n).iter().map(|t| t.format("%Y-%m-%d %a %H:%M:%S").to_string()).collect()
    };
    assert_eq!(fires("0 30 2 * * MON", 1), ["2026-01-19 Mon 02:30:00"]);
    assert_eq!(fires("0 0 12 * * 7", 1), ["2026-01-18 Sun 12:00:00"]);
    assert_eq!(fires("0 0 12 * * 0", 1), ["2026-01-18 Sun 12:00:00"]);
    assert_eq!(
        fires("0 0-30/15 9 * JAN *", 3),
        ["2026-01-15 Thu 09:00:00", "2026-01-15 Thu 09:15:00", "2026-01-15 Thu 09:30:00"]
    );
    assert_eq!(fires("*/2 * * * * *", 2), ["2026-01-15 Thu 08:00:02", "2026-01-15 Thu 08:00:04"]);
    // Both day fields restricted: both must match (the 1st that is a Monday: June 2026).
    assert_eq!(fires("0 0 3 1 * MON", 1), ["2026-06-01 Mon 03:00:00"]);
    let utc = "schedule = \"0 0 3 1 * *\"\ntime_zone = \"UTC\"\nwarehouse = \"memory://\"\n[source]\nuri = \"i/\"\n";
    let p = config::compile(Path::new("utc.toml"), utc).unwrap();
    assert_eq!(p.next_fires(after, 1)[0].to_rfc3339(), "2026-02-01T03:00:00+00:00");
}

#[test]
fn pipeline_run_and_list_as_a_user_runs_them() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    drop_file(&inbox, "a.txt", &report_text("会宁县柴家门镇", 2023, 11));
    let pipelines = dir.path().join("pipelines");
    std::fs::create_dir_all(&pipelines).unwrap();
    let wh_dir = dir.path().join("wh");
    pipeline(&pipelines, "monthly", "0 0 3 1 * *", &inbox, wh_dir.to_str().unwrap(), "");
    let gongkai = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--pipelines", pipelines.to_str().unwrap()]);
        std::process::Command::new(env!("CARGO_BIN_EXE_gongkai")).args(&all).output().unwrap()
    };
    let out = gongkai(&["pipeline", "list"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert_eq!(stdout.matches("  next ").count(), 3, "{stdout}");
    assert!(stdout.contains("03:00:00 CST") && stdout.contains("last run   none recorded"), "{stdout}");

    let out = gongkai(&["pipeline", "run", "monthly"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("succeeded (1 file(s), 0 already ingested, 1 report(s)"), "{stdout}");
    let out = gongkai(&["pipeline", "run", "monthly"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("succeeded (1 file(s), 1 already ingested, 0 report(s)"), "{stdout}");

    let stdout = String::from_utf8(gongkai(&["pipeline", "list"]).stdout).unwrap();
    assert!(stdout.contains("last run   pipeline monthly run ") && stdout.contains("1 already ingested"), "{stdout}");
    assert_eq!(gongkai(&["pipeline", "run", "nightly"]).status.code(), Some(2));
}

/// A progress that panics when the run starts: stands for any bug inside a run.
struct Panicking;

impl Progress for Panicking {
    fn start(&self, _: usize) {
        panic!("a bug inside the run");
    }
    fn file(&self, _: &str, _: &Outcome) {}
    fn step(&self, _: &str) {}
}

#[test]
fn a_panicking_run_is_recorded_as_failed_and_releases_the_lease() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    drop_file(&inbox, "a.txt", &report_text("会宁县柴家门镇", 2023, 11));
    let p = pipeline(dir.path(), "buggy", "0 0 3 1 * *", &inbox, "memory://", "");
    let wh = Warehouse::open("memory://", &[]).unwrap();
    runtime().block_on(async {
        let record = schedule::run_pipeline(&p, &wh, &RunRequest::default(), &Panicking).await.unwrap();
        assert_eq!(record.status, "failed", "{record:?}");
        assert!(record.error.as_deref().unwrap_or("").contains("a bug inside the run"), "{record:?}");
        assert_eq!(runs::read_runs(&wh, None).await.unwrap(), vec![record]);
        assert_eq!(lease::current(&wh).await.unwrap(), None, "lease released");
    });
}

#[test]
fn one_writer_per_warehouse_whichever_pipeline_or_command_writes() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    drop_file(&inbox, "a.txt", &report_text("会宁县柴家门镇", 2023, 11));
    let wh_dir = dir.path().join("wh");
    let uri = wh_dir.to_str().unwrap();
    let second = pipeline(dir.path(), "second", "0 0 3 1 * *", &inbox, uri, "");
    let wh = Warehouse::open(uri, &[]).unwrap();
    let rt = runtime();
    let now = Utc::now().timestamp_micros();
    // Another pipeline writes this warehouse.
    let first = match rt.block_on(lease::acquire(&wh, "first", "other-host/1/run", now, 3_600_000_000)).unwrap() {
        lease::Acquired::Taken(l) => l,
        lease::Acquired::Held(b) => panic!("held by {b:?}"),
    };
    let record = rt.block_on(schedule::run_pipeline(&second, &wh, &RunRequest::default(), &Quiet)).unwrap();
    assert_eq!(record.status, "skipped_lease_held", "{record:?}");
    assert!(record.error.as_deref().unwrap_or("").contains("other-host/1/run"), "{record:?}");
    let gongkai =
        |args: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_gongkai")).args(args).output().unwrap();
    let source = inbox.join("a.txt");
    for args in [vec!["ingest", source.to_str().unwrap(), "--warehouse", uri], vec!["rebuild", "--warehouse", uri]] {
        let out = gongkai(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("being written by first (other-host/1/run)"), "{args:?}: {stderr}");
    }
    assert_eq!(count_reports(&rt, &wh), 0, "nothing written beside the holder");
    rt.block_on(first.release(&wh)).unwrap();
    let out = gongkai(&["ingest", source.to_str().unwrap(), "--warehouse", uri]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count_reports(&rt, &wh), 1);
    assert_eq!(rt.block_on(lease::current(&wh)).unwrap(), None, "ingest released the lease");
}
