//! Scheduled ingestion: pipelines from `pipelines/*.toml` ([`config`]) run on their cron schedules
//! by a daemon on tokio-cron-scheduler. A scheduled job only calls [`run_pipeline`], which takes the
//! warehouse's lease ([`lease`]: one writer per warehouse), ingests the sources not yet in the warehouse (by content hash,
//! [`pipeline::Options::skip_ingested`]) and appends a row to the `runs` table ([`runs`]).
//!
//! Dependencies point one way: schedule → pipeline → store.

pub mod config;
pub mod lease;
pub mod runs;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use tokio_cron_scheduler::{Job, JobScheduler};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::{ConfigError, ConfigErrors, Pipeline};
pub use runs::{RunRecord, RunStatus};

use crate::pipeline::{self, PipelineError, Progress, now_micros};
use crate::store::{StoreError, Warehouse};
use lease::Hold;

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("pipeline `{name}`: {source}")]
    Open { name: String, source: StoreError },
    #[error("no pipeline named `{0}`")]
    Unknown(String),
    #[error("scheduler: {0}")]
    Scheduler(String),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// Another writer holds the warehouse's lease.
    #[error("the warehouse is being written by {writer} ({holder}) until {until}; try again later")]
    Busy { writer: String, holder: String, until: String },
}

/// What one run is asked to do.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// The fire time the run is for; `None` for a run started by hand.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Shutdown: the run stops between files and partitions, releases the lease and records
    /// `interrupted`.
    pub cancel: CancellationToken,
    /// The clock written into the data tables (`ingested_at`, quarantine times), µs UTC; `None`:
    /// now. Tests fix it to compare warehouses byte for byte.
    pub data_clock: Option<i64>,
}

/// `host/pid/run_id`: who holds a lease.
fn holder(run_id: &str) -> String {
    format!("{}/{}/{run_id}", host(), std::process::id())
}

pub(crate) fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Open the warehouse of every pipeline (URLs only: local directories are created, nothing is
/// reached over the network yet).
pub fn open_warehouses(pipelines: Vec<Pipeline>) -> Result<Vec<(Pipeline, Warehouse)>, ScheduleError> {
    pipelines
        .into_iter()
        .map(|p| match Warehouse::open(&p.warehouse, &[]) {
            Ok(wh) => Ok((p, wh)),
            Err(source) => Err(ScheduleError::Open { name: p.name.clone(), source }),
        })
        .collect()
}

/// Run `pipeline` once: take its lease (or record `skipped_lease_held`), ingest the source files
/// whose bytes are not in the warehouse yet (retrying a failed run with backoff), release the lease,
/// and append the run to `runs`. The returned record is the row appended.
pub async fn run_pipeline(
    p: &Pipeline,
    wh: &Warehouse,
    request: &RunRequest,
    progress: &dyn Progress,
) -> Result<RunRecord, StoreError> {
    let started = now_micros();
    let stamp = DateTime::<Utc>::from_timestamp_micros(started).unwrap_or_default();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let run_id = format!("{}-{}-{}", stamp.format("%Y%m%dT%H%M%S%.6fZ"), p.name, &suffix[..8]);
    let holder = holder(&run_id);
    let mut record = RunRecord::begun(&p.name, run_id, holder.clone(), started, RunStatus::Failed);
    record.scheduled_for = request.scheduled_for.map(|t| t.timestamp_micros());
    let ttl = p.lease_seconds as i64 * 1_000_000;
    // Losing the lease, or failing to renew it in time, cancels the run.
    let run_cancel = request.cancel.child_token();
    match lease::hold(wh, &p.name, &holder, ttl, run_cancel.clone()).await {
        Err(e) => record.error = Some(format!("taking the lease: {e}")),
        Ok(Hold::Busy(other)) => {
            let until = DateTime::<Utc>::from_timestamp_micros(other.expires).unwrap_or_default();
            record.status = RunStatus::SkippedLeaseHeld.as_str().into();
            record.error =
                Some(format!("lease held by {} ({}) until {}", other.holder, other.writer, until.to_rfc3339()));
        }
        Ok(Hold::Holding(held)) => {
            let attempt = attempt_runs(p, wh, request, &run_cancel, progress, &mut record);
            // A panic inside the run is a failed run: recorded, and the lease released.
            if let Err(panic) = std::panic::AssertUnwindSafe(attempt).catch_unwind().await {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                record.status = RunStatus::Failed.as_str().into();
                record.error = Some(format!("the run panicked: {msg}"));
                let _ = wh.clear_staging().await;
            }
            if record.status == RunStatus::Failed.as_str() {
                // Said before the lease and the record are written, which need the store again.
                eprintln!(
                    "gongkai: pipeline {} failed after {} attempt(s): {}; recording the run",
                    p.name,
                    record.attempts,
                    record.error.as_deref().unwrap_or("")
                );
            }
            if let Err(e) = held.release(wh).await {
                eprintln!("gongkai: releasing the lease of {}: {e}", p.name);
            }
        }
    }
    record.finished = now_micros();
    runs::append(wh, &record).await?;
    Ok(record)
}

/// The ingestion itself, with retries; fills `record`.
async fn attempt_runs(
    p: &Pipeline,
    wh: &Warehouse,
    request: &RunRequest,
    cancel: &CancellationToken,
    progress: &dyn Progress,
    record: &mut RunRecord,
) {
    let mut options = pipeline::Options {
        now: request.data_clock,
        skip_ingested: true,
        cancel: cancel.clone(),
        ..pipeline::Options::default()
    };
    if let Some(n) = p.concurrency {
        options.concurrency = n;
    }
    let mut backoff = Duration::from_secs(p.retry_backoff_seconds);
    loop {
        record.attempts += 1;
        let result = async {
            let mut listed = pipeline::list_sources(std::slice::from_ref(&p.source), &[]).await?;
            listed.sources.retain(|s| p.accepts(&s.uri()));
            listed.skipped.retain(|uri| p.accepts(uri));
            pipeline::ingest_listed(wh, listed, &options, progress).await
        }
        .await;
        match result {
            Ok(summary) => {
                record.status = RunStatus::Succeeded.as_str().into();
                record.error = None;
                summary.fill(record);
                return;
            }
            Err(PipelineError::Cancelled) => {
                record.status = RunStatus::Interrupted.as_str().into();
                let why = if request.cancel.is_cancelled() {
                    "shutdown"
                } else {
                    "the lease was lost or could not be renewed"
                };
                record.error = Some(format!("cancelled ({why}); the next run completes the work"));
                // Staged files are not visible; remove them now rather than at the next run.
                let _ = wh.clear_staging().await;
                return;
            }
            Err(e) => {
                record.status = RunStatus::Failed.as_str().into();
                record.error = Some(e.to_string());
                if record.attempts > i64::from(p.retries) {
                    return;
                }
                eprintln!(
                    "gongkai: pipeline {} attempt {} failed: {e}; retrying in {backoff:?}",
                    p.name, record.attempts
                );
                tokio::select! {
                    _ = cancel.cancelled() => {
                        record.status = RunStatus::Interrupted.as_str().into();
                        return;
                    }
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = backoff.saturating_mul(2);
            }
        }
    }
}

/// The fire time a `catch_up` pipeline missed: the most recent fire time at or before `now` when no
/// recorded run (other than an interrupted one) was for it or a later one. A pipeline that never
/// ran on this warehouse has missed its last fire time.
pub async fn missed_fire(
    p: &Pipeline,
    wh: &Warehouse,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let Some(last) = p.last_fire(now) else { return Ok(None) };
    let last = last.with_timezone(&Utc);
    let runs = runs::read_runs(wh, Some(&p.name)).await?;
    let covered = runs.iter().any(|r| {
        r.status != RunStatus::Interrupted.as_str() && r.scheduled_for.is_some_and(|t| t >= last.timestamp_micros())
    });
    Ok((!covered).then_some(last))
}

/// One line about a finished run, for the daemon's log.
pub fn describe_run(r: &RunRecord) -> String {
    let mut s = format!(
        "pipeline {} run {}: {} ({} file(s), {} already ingested, {} report(s), {} quarantined, {} unreadable)",
        r.pipeline, r.run_id, r.status, r.files, r.already_ingested, r.reports, r.quarantined, r.unreadable
    );
    if let Some(e) = &r.error {
        s += &format!(": {e}");
    }
    s
}

/// Whether `tz` has two offsets in the current year (tokio-cron-scheduler fixes the offset when a
/// job is created).
fn has_daylight_saving(tz: chrono_tz::Tz) -> bool {
    use chrono::{Datelike, Offset, TimeZone};
    let year = Utc::now().year();
    let offset = |m| {
        Utc.with_ymd_and_hms(year, m, 1, 0, 0, 0).single().map(|t| tz.offset_from_utc_datetime(&t.naive_utc()).fix())
    };
    offset(1) != offset(7)
}

async fn run_logged(p: Arc<Pipeline>, wh: Warehouse, scheduled_for: Option<DateTime<Utc>>, cancel: CancellationToken) {
    let request = RunRequest { scheduled_for, cancel, data_clock: None };
    match run_pipeline(&p, &wh, &request, &pipeline::Quiet).await {
        Ok(record) => eprintln!("gongkai: {}", describe_run(&record)),
        Err(e) => eprintln!("gongkai: pipeline {}: recording the run: {e}", p.name),
    }
}

/// The running scheduler: one cron job per pipeline, plus the catch-up runs of start-up.
pub struct Daemon {
    scheduler: JobScheduler,
    tracker: TaskTracker,
    cancel: CancellationToken,
}

impl Daemon {
    /// Start the jobs. Catch-up runs (pipelines with `catch_up` that missed their last fire time)
    /// start at once, beside the schedule. Cancelling `cancel` stops taking new work.
    pub async fn start(
        pipelines: Vec<(Pipeline, Warehouse)>,
        cancel: CancellationToken,
    ) -> Result<Daemon, ScheduleError> {
        let sched_err = |e: tokio_cron_scheduler::JobSchedulerError| ScheduleError::Scheduler(e.to_string());
        let scheduler = JobScheduler::new().await.map_err(sched_err)?;
        let tracker = TaskTracker::new();
        for (p, wh) in pipelines {
            let p = Arc::new(p);
            if p.catch_up {
                match missed_fire(&p, &wh, Utc::now()).await {
                    Ok(Some(missed)) => {
                        eprintln!(
                            "gongkai: pipeline {} missed its run of {}; running it now",
                            p.name,
                            missed.to_rfc3339()
                        );
                        tracker.spawn(run_logged(p.clone(), wh.clone(), Some(missed), cancel.clone()));
                    }
                    Ok(None) => {}
                    // The schedule goes on; the next fire time runs the pipeline.
                    Err(e) => eprintln!("gongkai: pipeline {}: cannot read its runs for catch-up: {e}", p.name),
                }
            }
            if has_daylight_saving(p.time_zone) {
                eprintln!(
                    "gongkai: pipeline {}: time zone {} changes its offset during the year; the scheduler keeps \
                     the offset of start-up, so restart it after a change",
                    p.name, p.time_zone
                );
            }
            let (tz, schedule) = (p.time_zone, p.schedule.clone());
            let (tracker2, cancel2) = (tracker.clone(), cancel.clone());
            let job = Job::new_async_tz(schedule.as_str(), tz, move |_id, _lock| {
                let (p, wh, tracker, cancel) = (p.clone(), wh.clone(), tracker2.clone(), cancel2.clone());
                Box::pin(async move {
                    if cancel.is_cancelled() {
                        return;
                    }
                    let fired = p.last_fire(Utc::now()).map(|t| t.with_timezone(&Utc));
                    // Run on the tracker so that shutdown waits for it.
                    let _ = tracker.spawn(run_logged(p, wh, fired, cancel)).await;
                })
            })
            .map_err(sched_err)?;
            scheduler.add(job).await.map_err(sched_err)?;
        }
        scheduler.start().await.map_err(sched_err)?;
        Ok(Daemon { scheduler, tracker, cancel })
    }

    /// Wait until cancelled, then stop the schedule and wait for running runs to stop (each
    /// releases its lease and records `interrupted` or its outcome).
    pub async fn wait(mut self) -> Result<(), ScheduleError> {
        self.cancel.cancelled().await;
        self.scheduler.shutdown().await.map_err(|e| ScheduleError::Scheduler(e.to_string()))?;
        self.tracker.close();
        self.tracker.wait().await;
        Ok(())
    }
}

/// `gongkai schedule`: run the pipelines on their schedules until SIGTERM or SIGINT, then stop
/// taking new work, let running runs stop cleanly (lease released, run recorded) and return.
pub async fn serve(pipelines: Vec<Pipeline>) -> Result<(), ScheduleError> {
    let pipelines = open_warehouses(pipelines)?;
    // The handlers are installed before any run starts, so a signal is never the default action.
    let mut signals = Signals::install().map_err(|e| ScheduleError::Scheduler(format!("signal handlers: {e}")))?;
    let cancel = CancellationToken::new();
    let names: Vec<String> = pipelines.iter().map(|(p, _)| format!("{} ({})", p.name, p.schedule)).collect();
    let daemon = Daemon::start(pipelines, cancel.clone()).await?;
    eprintln!("gongkai: scheduling {}", names.join(", "));
    let watcher = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            signals.recv().await;
            eprintln!("gongkai: shutting down: no new runs; waiting for running ones to stop");
            cancel.cancel();
        }
    });
    daemon.wait().await?;
    watcher.abort();
    Ok(())
}

/// SIGTERM and SIGINT, caught.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals { term: signal(SignalKind::terminate())?, int: signal(SignalKind::interrupt())? })
    }

    #[cfg(not(unix))]
    fn install() -> std::io::Result<Signals> {
        Ok(Signals {})
    }

    #[cfg(unix)]
    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn recv(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Run `write` (a manual `ingest` or `rebuild`) while holding the warehouse's lease as `writer`:
/// one writer per warehouse, whatever starts it. `write` gets `options` with a cancel token that
/// stops it when the lease is lost or cannot be renewed in time.
pub async fn exclusive<T: RunResult>(
    wh: &Warehouse,
    writer: &str,
    options: pipeline::Options,
    write: impl AsyncFnOnce(pipeline::Options) -> Result<T, PipelineError>,
) -> Result<T, ScheduleError> {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let holder = holder(&format!("{writer}-{}", &suffix[..8]));
    let cancel = options.cancel.child_token();
    let ttl = config::DEFAULT_LEASE_SECONDS as i64 * 1_000_000;
    let started = now_micros();
    let held = match lease::hold(wh, writer, &holder, ttl, cancel.clone()).await? {
        Hold::Busy(other) => {
            let until = DateTime::<Utc>::from_timestamp_micros(other.expires).unwrap_or_default();
            return Err(ScheduleError::Busy { writer: other.writer, holder: other.holder, until: until.to_rfc3339() });
        }
        Hold::Holding(held) => held,
    };
    let result = write(pipeline::Options { cancel, ..options }).await;
    // Every command that writes is a run in `runs`, with the versions it produced.
    let run_id = format!("{}-{writer}-{}", Utc::now().format("%Y%m%dT%H%M%SZ"), &suffix[..8]);
    let mut record = RunRecord::begun(writer, run_id, holder.clone(), started, RunStatus::Succeeded);
    record.finished = now_micros();
    record.attempts = 1;
    match &result {
        Ok(done) => done.fill(&mut record),
        Err(PipelineError::Cancelled) => record.status = RunStatus::Interrupted.as_str().into(),
        Err(e) => {
            record.status = RunStatus::Failed.as_str().into();
            record.error = Some(e.to_string());
        }
    }
    let recorded = runs::append(wh, &record).await;
    if let Err(e) = held.release(wh).await {
        eprintln!("gongkai: releasing the warehouse lease: {e}");
    }
    let done = result?;
    recorded?;
    Ok(done)
}

/// What a writing command puts in its `runs` row.
pub trait RunResult {
    fn fill(&self, record: &mut RunRecord);
}

impl RunResult for pipeline::Summary {
    fn fill(&self, record: &mut RunRecord) {
        record.files = self.files as i64;
        record.already_ingested = self.already_ingested as i64;
        record.reports = self.reports as i64;
        record.quarantined = self.quarantined.len() as i64;
        record.unreadable = self.unreadable.len() as i64;
        record.versions = versions_json(&self.versions);
    }
}

impl RunResult for pipeline::OptimizeSummary {
    fn fill(&self, record: &mut RunRecord) {
        record.versions = versions_json(&self.versions);
    }
}

/// The versions of a run as the JSON of `runs.versions`; `None` when it has none.
fn versions_json(versions: &std::collections::BTreeMap<String, i64>) -> Option<String> {
    (!versions.is_empty()).then(|| serde_json::to_string(versions).unwrap_or_default())
}

/// `gongkai pipeline run NAME`: run one pipeline now (lease and runs as for a scheduled run).
pub async fn run_now(
    pipelines: Vec<Pipeline>,
    name: &str,
    progress: &dyn Progress,
) -> Result<RunRecord, ScheduleError> {
    let p = pipelines.into_iter().find(|p| p.name == name).ok_or_else(|| ScheduleError::Unknown(name.into()))?;
    let wh =
        Warehouse::open(&p.warehouse, &[]).map_err(|source| ScheduleError::Open { name: p.name.clone(), source })?;
    let mut signals = Signals::install().map_err(|e| ScheduleError::Scheduler(format!("signal handlers: {e}")))?;
    let cancel = CancellationToken::new();
    let watcher = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            signals.recv().await;
            cancel.cancel();
        }
    });
    let request = RunRequest { scheduled_for: None, cancel, data_clock: None };
    let record = run_pipeline(&p, &wh, &request, progress).await;
    watcher.abort();
    Ok(record?)
}

/// A pipeline as `gongkai pipeline list` shows it.
#[derive(Debug, Clone)]
pub struct PipelineStatus {
    pub pipeline: Pipeline,
    pub next: Vec<DateTime<chrono_tz::Tz>>,
    /// The latest recorded run, or why the runs table could not be read.
    pub last_run: Result<Option<RunRecord>, String>,
}

/// Each pipeline with its next `n` fire times and its last run (from the warehouse's `runs`).
pub async fn status(pipelines: Vec<Pipeline>, now: DateTime<Utc>, n: usize) -> Vec<PipelineStatus> {
    let mut out = Vec::new();
    for p in pipelines {
        let next = p.next_fires(now, n);
        // Listing reads: a warehouse not created yet has no runs, and is not created here.
        let last_run = match Warehouse::open_existing(&p.warehouse, &[]) {
            Ok(wh) => runs::read_runs(&wh, Some(&p.name)).await.map(|r| r.last().cloned()).map_err(|e| e.to_string()),
            Err(StoreError::Missing { .. }) => Ok(None),
            Err(e) => Err(e.to_string()),
        };
        out.push(PipelineStatus { pipeline: p, next, last_run });
    }
    out
}
