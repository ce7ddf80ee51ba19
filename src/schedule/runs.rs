//! The `runs` table: one row per pipeline run, one small Parquet file per run
//! (`runs/part-<run_id>.parquet`), so that appending never rewrites anything. `run_id` starts with
//! the UTC start time, so file names sort by start.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use serde::Serialize;

pub use crate::convert::runs_schema;
use crate::store::{CREATED_BY, StoreError, Warehouse};

/// The table's directory.
pub const RUNS: &str = "runs";

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The run finished (files quarantined or unreadable are counted, not failures of the run).
    Succeeded,
    /// The run itself failed (storage unreachable, bad source) after every retry.
    Failed,
    /// Another scheduler held the pipeline's lease: this run did nothing.
    SkippedLeaseHeld,
    /// Cancelled by a shutdown (or the lease was lost): published files are whole, the next run
    /// completes the work.
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::SkippedLeaseHeld => "skipped_lease_held",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// One row of `runs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRecord {
    pub pipeline: String,
    pub run_id: String,
    /// Who ran it (host/process/run).
    pub holder: String,
    /// The fire time the run was for, µs UTC; `None` for a run started by hand.
    pub scheduled_for: Option<i64>,
    pub started: i64,
    pub finished: i64,
    pub status: String,
    /// Attempts made (1 + retries used).
    pub attempts: i64,
    /// Source files found (after the glob).
    pub files: i64,
    /// Of those, already in the warehouse and passed over.
    pub already_ingested: i64,
    pub reports: i64,
    pub quarantined: i64,
    pub unreadable: i64,
    pub error: Option<String>,
    /// The Delta version of each partitioned table after the run, as JSON
    /// (`{"cells":3,"checks":3,"facts":3,"reports":3}`): the `reports` version is the warehouse
    /// version `gongkai query --as-of` takes. `None` when the run committed nothing.
    pub versions: Option<String>,
}

impl RunRecord {
    /// A run of `pipeline` that started at `started`, with nothing done yet and `status` until
    /// it says otherwise.
    pub fn begun(pipeline: &str, run_id: String, holder: String, started: i64, status: RunStatus) -> Self {
        RunRecord {
            pipeline: pipeline.to_string(),
            run_id,
            holder,
            scheduled_for: None,
            started,
            finished: started,
            status: status.as_str().into(),
            attempts: 0,
            files: 0,
            already_ingested: 0,
            reports: 0,
            quarantined: 0,
            unreadable: 0,
            error: None,
            versions: None,
        }
    }
}

fn to_batch(r: &RunRecord) -> Result<RecordBatch, arrow::error::ArrowError> {
    let s = |v: &str| Arc::new(StringArray::from(vec![v.to_string()])) as ArrayRef;
    let ts = |v: Option<i64>| Arc::new(TimestampMicrosecondArray::from(vec![v]).with_timezone("UTC")) as ArrayRef;
    let n = |v: i64| Arc::new(Int64Array::from(vec![v])) as ArrayRef;
    RecordBatch::try_new(
        runs_schema(),
        vec![
            s(&r.pipeline),
            s(&r.run_id),
            s(&r.holder),
            ts(r.scheduled_for),
            ts(Some(r.started)),
            ts(Some(r.finished)),
            s(&r.status),
            n(r.attempts),
            n(r.files),
            n(r.already_ingested),
            n(r.reports),
            n(r.quarantined),
            n(r.unreadable),
            Arc::new(StringArray::from(vec![r.error.clone()])),
            Arc::new(StringArray::from(vec![r.versions.clone()])),
        ],
    )
}

/// Append one run: a new file `runs/part-<run_id>.parquet` (a whole-object put: it appears whole).
pub async fn append(wh: &Warehouse, record: &RunRecord) -> Result<(), StoreError> {
    let rel = format!("{RUNS}/part-{}.parquet", record.run_id);
    let arrow_err = |source| StoreError::Arrow { path: rel.clone(), source };
    let batch = to_batch(record).map_err(arrow_err)?;
    let perr = |source| StoreError::Parquet { path: rel.clone(), source };
    let props = WriterProperties::builder().set_created_by(CREATED_BY.to_string()).build();
    let mut buf = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buf, batch.schema(), Some(props)).map_err(perr)?;
    writer.write(&batch).map_err(perr)?;
    writer.close().map_err(perr)?;
    wh.put(&rel, Bytes::from(buf)).await
}

/// Every run recorded in the warehouse, oldest first (by `run_id`), optionally of one pipeline.
pub async fn read_runs(wh: &Warehouse, pipeline: Option<&str>) -> Result<Vec<RunRecord>, StoreError> {
    let mut out = Vec::new();
    for rel in wh.list(RUNS).await? {
        if !rel.ends_with(".parquet") {
            continue;
        }
        let Some(batch) = wh.read_parquet(&rel).await? else { continue };
        let bad = || StoreError::Arrow {
            path: rel.clone(),
            source: arrow::error::ArrowError::SchemaError("not a runs file".into()),
        };
        let col = |name: &str| batch.column_by_name(name).cloned().ok_or_else(bad);
        let strs = |name: &str| -> Result<StringArray, StoreError> {
            col(name)?.as_any().downcast_ref::<StringArray>().cloned().ok_or_else(bad)
        };
        let ints = |name: &str| -> Result<Int64Array, StoreError> {
            col(name)?.as_any().downcast_ref::<Int64Array>().cloned().ok_or_else(bad)
        };
        let times = |name: &str| -> Result<TimestampMicrosecondArray, StoreError> {
            col(name)?.as_any().downcast_ref::<TimestampMicrosecondArray>().cloned().ok_or_else(bad)
        };
        let (pl, id, holder, status, error) =
            (strs("pipeline")?, strs("run_id")?, strs("holder")?, strs("status")?, strs("error")?);
        // Runs recorded before versions were recorded have no such column.
        let versions = batch.column_by_name("versions").and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned());
        let (sched, started, finished) = (times("scheduled_for")?, times("started")?, times("finished")?);
        let (attempts, files, already, reports, quarantined, unreadable) = (
            ints("attempts")?,
            ints("files")?,
            ints("already_ingested")?,
            ints("reports")?,
            ints("quarantined")?,
            ints("unreadable")?,
        );
        for i in 0..batch.num_rows() {
            if pipeline.is_some_and(|p| p != pl.value(i)) {
                continue;
            }
            out.push(RunRecord {
                pipeline: pl.value(i).to_string(),
                run_id: id.value(i).to_string(),
                holder: holder.value(i).to_string(),
                scheduled_for: sched.is_valid(i).then(|| sched.value(i)),
                started: started.value(i),
                finished: finished.value(i),
                status: status.value(i).to_string(),
                attempts: attempts.value(i),
                files: files.value(i),
                already_ingested: already.value(i),
                reports: reports.value(i),
                quarantined: quarantined.value(i),
                unreadable: unreadable.value(i),
                error: error.is_valid(i).then(|| error.value(i).to_string()),
                versions: versions.as_ref().filter(|v| v.is_valid(i)).map(|v| v.value(i).to_string()),
            });
        }
    }
    out.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    Ok(out)
}
