//! One run: source → read → map → check → convert → store, with an outcome per file.
//!
//! [`ingest`] reads every source file (a bounded number in flight), archives its bytes under
//! `raw/<report_id>.<ext>`, parses it on the blocking pool and streams its rows into new files of
//! the Delta tables (`store::delta`), flushed every [`FLUSH_REPORTS`] reports so that memory does
//! not grow with the run; at the end each table gets one commit that appends the run's files
//! (`reports` last). [`rebuild`] re-parses the raw archive with the current parser and replaces
//! every table in one commit each. A file that fails is reported with its reason and the run
//! carries on.
//!
//! One writer per warehouse: callers hold the warehouse's lease around these calls
//! (`schedule::exclusive` for `gongkai ingest` and `rebuild`, `schedule::run_pipeline` for
//! pipeline runs).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::RecordBatch;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::convert::{self, QuarantineRow};
use crate::model::Report;
use crate::parse::{self, Budget};
use crate::store::{self, BODIES_FILE, Committed, QUARANTINE_FILE, StoreError, TableWriter, Warehouse};

/// The partitioned tables, in the order they are committed (`reports` last, so that a report row
/// appears only once its cells, checks and facts are in place).
pub const TABLES: [&str; 4] = ["cells", "checks", "facts", "reports"];

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{source_arg}: bad source pattern: {reason}")]
    Pattern { source_arg: String, reason: String },
    #[error("building the {table} rows of {partition}: {source}")]
    Convert { table: String, partition: String, source: arrow::error::ArrowError },
    /// The run was cancelled (shutdown): nothing half-written is visible; what was published
    /// stays, the rest is done by the next run.
    #[error("the run was cancelled before it finished")]
    Cancelled,
    #[error(
        "{0}: its tables are plain Parquet files written by an earlier gongkai; run `gongkai rebuild` once to convert them to Delta tables"
    )]
    PlainParquet(String),
}

/// The largest file a run parses: the largest real reports (scanned PDFs aside, which have no text
/// to read) are a few MB.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Files read and parsed at once (bounds memory: at most this many files' bytes are held).
    pub concurrency: usize,
    /// The run's clock, microseconds since the epoch UTC (`None`: now).
    pub now: Option<i64>,
    /// Store settings (`aws_endpoint`, …) for object-store sources such as `s3://bucket/inbox/`.
    pub source_options: Vec<(String, String)>,
    /// Pass over sources whose bytes are already in the warehouse: their SHA-256 is a `report_id`
    /// of `reports` or `quarantine` (a renamed file is not ingested again, a changed one is).
    pub skip_ingested: bool,
    /// Checked between files and between published partitions: when cancelled, the run stops
    /// taking new work, leaves every published file whole and returns [`PipelineError::Cancelled`].
    pub cancel: CancellationToken,
    /// Files larger than this are quarantined unparsed.
    pub max_file_bytes: u64,
    /// What one file's parse may spend (time, memory): a file over it is quarantined with that
    /// reason, and the run does not wait for it.
    pub parse_budget: Budget,
    /// Keep each file's outcome in the summary (off for runs of millions of generated reports,
    /// whose outcomes would be most of the run's memory).
    pub record_outcomes: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            now: None,
            source_options: Vec::new(),
            skip_ingested: false,
            cancel: CancellationToken::new(),
            record_outcomes: true,
            max_file_bytes: MAX_FILE_BYTES,
            parse_budget: Budget::DEFAULT,
        }
    }
}

/// What happened to one source file.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Parsed and stored.
    Stored { report_id: String, partition: String, checks_failed: usize },
    /// Same bytes as an earlier file of this run: stored once, under the earlier file's name.
    Duplicate { report_id: String },
    /// Could not be parsed: raw bytes archived, a row in `quarantine`.
    Quarantined { report_id: String, reason: String },
    /// Could not even be read: nothing stored.
    Unreadable { reason: String },
    /// Already in the warehouse (same bytes, whatever the name), passed over
    /// ([`Options::skip_ingested`]).
    AlreadyIngested { report_id: String },
}

/// Progress of a run, for a progress bar or log lines.
pub trait Progress: Send + Sync {
    /// The run found `total` source files.
    fn start(&self, total: usize);
    /// One file is done.
    fn file(&self, uri: &str, outcome: &Outcome);
    /// A step of the run (writing, publishing).
    fn step(&self, message: &str);
}

/// Progress that reports nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: usize) {}
    fn file(&self, _: &str, _: &Outcome) {}
    fn step(&self, _: &str) {}
}

/// One file written and committed (or published).
#[derive(Debug, Clone, Serialize)]
pub struct WrittenFile {
    pub path: String,
    pub rows: usize,
}

/// The summary of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub warehouse: String,
    pub files: usize,
    /// Distinct reports parsed and stored in this run.
    pub reports: usize,
    pub duplicates: usize,
    /// Files passed over because their bytes are already in the warehouse ([`Options::skip_ingested`]).
    pub already_ingested: usize,
    /// Reports with at least one failed identity (stored all the same).
    pub reports_with_failed_identities: usize,
    pub quarantined: Vec<QuarantinedFile>,
    pub unreadable: Vec<QuarantinedFile>,
    /// Reports whose raw object a rebuild could not read (or found missing): their old rows were
    /// kept as they were, not dropped.
    pub kept: Vec<String>,
    /// Files inside the given directories or prefixes passed over: not a report format by extension.
    pub skipped: Vec<String>,
    pub raw_archived_new: usize,
    /// Partition directories written, e.g. `province_code=64/year=2023`.
    pub partitions: Vec<String>,
    /// Of those, the partitions of reports whose province is unknown (`province_code=00`).
    pub unknown_region_partitions: Vec<String>,
    /// Partitions of reports without a year (`year=0`).
    pub unknown_year_partitions: Vec<String>,
    /// Every file the run added.
    pub written: Vec<WrittenFile>,
    /// Files deleted because no live row is in them any more (rebuild only).
    pub deleted: Vec<String>,
    /// Rows written per table.
    pub rows: BTreeMap<String, usize>,
    /// Each partitioned table's Delta version after the run (unchanged when the run added nothing).
    pub versions: BTreeMap<String, i64>,
    /// Outcome per source file, in source order.
    pub outcomes: Vec<(String, Outcome)>,
}

impl Summary {
    /// True when some file was quarantined or unreadable.
    pub fn had_failures(&self) -> bool {
        !self.quarantined.is_empty() || !self.unreadable.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct QuarantinedFile {
    pub source_uri: String,
    pub reason: String,
}

/// A source file: on the local disk or in an object store.
#[derive(Debug, Clone)]
pub enum Source {
    Local(PathBuf),
    Object {
        store: Arc<dyn ObjectStore>,
        path: Path,
        uri: String,
    },
    /// Bytes made in the process (`gongkai synth --warehouse`), named by `uri`.
    Memory {
        uri: String,
        bytes: Bytes,
    },
}

impl Source {
    pub fn uri(&self) -> String {
        match self {
            Source::Local(p) => p.display().to_string(),
            Source::Object { uri, .. } | Source::Memory { uri, .. } => uri.clone(),
        }
    }

    async fn bytes(&self) -> Result<Bytes, String> {
        match self {
            Source::Local(p) => tokio::fs::read(p).await.map(Bytes::from).map_err(|e| format!("cannot read file: {e}")),
            Source::Object { store, path, .. } => {
                let got = store.get(path).await.map_err(|e| e.to_string())?;
                got.bytes().await.map_err(|e| e.to_string())
            }
            Source::Memory { bytes, .. } => Ok(bytes.clone()),
        }
    }
}

/// The sources a run found, and the files it passed over because their extension is not a report
/// format (listed in the summary, never dropped silently).
pub struct Listed {
    pub sources: Vec<Source>,
    pub skipped: Vec<String>,
    /// Paths the listing could not read (a glob error, an unreadable directory entry), with why:
    /// counted as unreadable files, never dropped silently.
    pub unreadable: Vec<QuarantinedFile>,
}

/// Expand the SOURCE arguments: local files, directories (recursively), glob patterns, and object
/// store prefixes (`s3://bucket/inbox/`, `file:///…`). Sorted by URI, duplicates removed. Inside
/// directories and prefixes only report files (by extension) are taken; a file named as such always is.
pub async fn list_sources(args: &[String], store_options: &[(String, String)]) -> Result<Listed, PipelineError> {
    let mut out: BTreeMap<String, Source> = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut unreadable = Vec::new();
    let add_local = |expanded: parse::Expanded,
                     out: &mut BTreeMap<String, Source>,
                     skipped: &mut Vec<String>,
                     unreadable: &mut Vec<QuarantinedFile>| {
        skipped.extend(expanded.skipped.iter().map(|p| p.display().to_string()));
        unreadable.extend(
            expanded
                .unreadable
                .into_iter()
                .map(|(p, reason)| QuarantinedFile { source_uri: p.display().to_string(), reason }),
        );
        for p in expanded.files {
            out.insert(p.display().to_string(), Source::Local(p));
        }
    };
    for arg in args {
        if arg.contains("://") {
            let (store, prefix) = store::open_url(arg, store_options)?;
            let metas: Vec<_> = store
                .list(Some(&prefix))
                .try_collect()
                .await
                .map_err(|source| StoreError::Object { path: arg.clone(), source })?;
            for meta in metas {
                let rest: Vec<String> = meta
                    .location
                    .prefix_match(&prefix)
                    .map(|p| p.map(|p| p.as_ref().to_string()).collect())
                    .unwrap_or_default();
                if rest.iter().any(|p| p.starts_with('.')) {
                    continue;
                }
                let uri = format!("{}/{}", arg.trim_end_matches('/'), rest.join("/"));
                if !rest.is_empty() && !parse::is_report_name(&uri) {
                    skipped.push(uri);
                    continue;
                }
                out.insert(uri.clone(), Source::Object { store: store.clone(), path: meta.location, uri });
            }
        } else if arg.contains(['*', '?', '[']) {
            let paths = glob::glob(arg)
                .map_err(|e| PipelineError::Pattern { source_arg: arg.clone(), reason: e.to_string() })?;
            let mut files = Vec::new();
            let mut errors = Vec::new();
            for path in paths {
                match path {
                    Ok(p) => files.push(p),
                    // A path the pattern could not look into (permission denied): reported.
                    Err(e) => errors.push((e.path().to_path_buf(), format!("cannot list: {}", e.error()))),
                }
            }
            let mut expanded = parse::expand_paths(&files);
            expanded.unreadable.extend(errors);
            add_local(expanded, &mut out, &mut skipped, &mut unreadable);
        } else {
            add_local(parse::expand_paths(&[PathBuf::from(arg)]), &mut out, &mut skipped, &mut unreadable);
        }
    }
    Ok(Listed { sources: out.into_values().collect(), skipped, unreadable })
}

/// The raw-archive extension of a source name: its lower-cased extension when it is one of the
/// known formats, `bin` otherwise.
pub fn raw_extension(uri: &str) -> &'static str {
    match crate::model::file_extension(uri).as_str() {
        "txt" => "txt",
        "md" => "md",
        "html" | "htm" => "html",
        "pdf" => "pdf",
        "docx" => "docx",
        "csv" => "csv",
        "doc" => "doc",
        _ => "bin",
    }
}

/// Now, in microseconds since the epoch, UTC.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

/// What parsing one file gave.
enum Parsed {
    Report(Box<Report>),
    Failed { report_id: String, reason: String },
    Unreadable(String),
    Known(String),
}

/// Read, archive and parse one source. A file over the size limit or the parse budget is
/// quarantined with that reason (its bytes archived all the same), and the run goes on.
async fn process(
    wh: &Warehouse,
    uri: String,
    bytes: Result<Bytes, String>,
    archive: bool,
    known: &BTreeSet<String>,
    options: &Options,
) -> Result<(Parsed, bool), PipelineError> {
    let bytes = match bytes {
        Ok(b) => b,
        Err(reason) => return Ok((Parsed::Unreadable(reason), false)),
    };
    let report_id = parse::report_id(&bytes);
    if known.contains(&report_id) {
        return Ok((Parsed::Known(report_id), false));
    }
    let archived = if archive {
        wh.put_if_absent(&format!("raw/{report_id}.{}", raw_extension(&uri)), bytes.clone()).await?
    } else {
        false
    };
    if bytes.len() as u64 > options.max_file_bytes {
        let reason = format!(
            "{} bytes, over the limit of {} bytes a file (no report is this large)",
            bytes.len(),
            options.max_file_bytes
        );
        return Ok((Parsed::Failed { report_id, reason }, archived));
    }
    let name = uri.clone();
    let budget = options.parse_budget;
    let task =
        tokio::task::spawn_blocking(move || parse::parse_bytes_within(&bytes, &name, parse::Tables::Auto, budget));
    // The parse stops itself at its next checkpoint past the budget; the batch does not wait even
    // for code between checkpoints.
    let result = match tokio::time::timeout(budget.time, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => {
            let reason = format!("the parse task of this file ended abnormally: {join}");
            return Ok((Parsed::Failed { report_id, reason }, archived));
        }
        Err(_) => {
            let reason = parse::Stopped::Time(budget.time).to_string();
            return Ok((Parsed::Failed { report_id, reason }, archived));
        }
    };
    Ok(match result {
        Ok(report) => match convert::out_of_range(&report) {
            // A number the warehouse cannot hold is never stored wrapped: the file is quarantined.
            Some(reason) => (Parsed::Failed { report_id, reason }, archived),
            None => (Parsed::Report(Box::new(report)), archived),
        },
        Err(err) => {
            // The parse error names the file first; keep only the reason.
            let reason = err.to_string();
            let reason = reason.strip_prefix(&format!("{uri}: ")).unwrap_or(&reason).to_string();
            (Parsed::Failed { report_id, reason }, archived)
        }
    })
}

/// Whether the run adds to the existing partitions or rewrites the whole warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Merge,
    Replace,
}

/// Ingest the source files into the warehouse.
pub async fn ingest(
    wh: &Warehouse,
    sources: &[String],
    options: &Options,
    progress: &dyn Progress,
) -> Result<Summary, PipelineError> {
    let listed = list_sources(sources, &options.source_options).await?;
    ingest_listed(wh, listed, options, progress).await
}

/// Ingest sources already listed (by [`list_sources`], perhaps filtered further).
pub async fn ingest_listed(
    wh: &Warehouse,
    listed: Listed,
    options: &Options,
    progress: &dyn Progress,
) -> Result<Summary, PipelineError> {
    let total = listed.sources.len();
    let inputs = Box::new(listed.sources.into_iter().map(|s| (s.uri(), None::<String>, s)));
    let mut summary = run(wh, (total, inputs), Vec::new(), options, progress, Mode::Merge, true).await?;
    summary.skipped = listed.skipped;
    for q in listed.unreadable {
        summary.outcomes.push((q.source_uri.clone(), Outcome::Unreadable { reason: q.reason.clone() }));
        summary.unreadable.push(q);
    }
    Ok(summary)
}

/// The footer key of `bodies/part-0.parquet` naming the `reports` version it was made from.
const BODIES_FROM: &str = "gongkai.reports_version";

/// Reports whose rows are held before they are written out (about 35 KB of rows each, so some
/// 350 MB at most): the rows a run holds are bounded by this, not by the number of files the run
/// has. Each flush writes a file per partition, so fewer flushes make fewer, larger files.
const FLUSH_REPORTS: usize = 10_000;

/// Held batches of one table and partition that are joined into one (see [`Sink::add`]).
const COMPACT_HELD: usize = 16;

/// Every `report_id` the warehouse holds: in `reports` or (with `quarantined`) in `quarantine`.
/// Only committed rows count, so a run interrupted before its commit leaves its sources to the
/// next run. One column of each live file is read: the check costs the ids, not the reports.
pub async fn ingested_ids(wh: &Warehouse) -> Result<BTreeSet<String>, PipelineError> {
    let mut ids = reported_ids(wh).await?;
    ids.extend(read_quarantine(wh).await?.into_iter().map(|q| q.report_id));
    Ok(ids)
}

/// The `report_id` of every row of `reports`.
async fn reported_ids(wh: &Warehouse) -> Result<BTreeSet<String>, PipelineError> {
    let mut ids = BTreeSet::new();
    for (partition, batch) in wh.read_live("reports", Some(&["report_id"])).await? {
        let col = convert::string_column(&batch, "reports", "report_id")
            .map_err(|source| StoreError::Arrow { path: format!("{}/reports/{partition}", wh.uri()), source })?;
        ids.extend(col.iter().flatten().map(str::to_string));
    }
    Ok(ids)
}

/// `report_id → (ingested_at, source_uri)` of every row of `reports`.
async fn report_times(wh: &Warehouse) -> Result<HashMap<String, (i64, String)>, PipelineError> {
    let mut times = HashMap::new();
    for (partition, batch) in wh.read_live("reports", Some(&["report_id", "source_uri", "ingested_at"])).await? {
        let index = convert::report_index(&batch)
            .map_err(|source| StoreError::Arrow { path: format!("{}/reports/{partition}", wh.uri()), source })?;
        times.extend(index);
    }
    Ok(times)
}

/// The rows of the quarantine table (none when it has no file yet).
async fn read_quarantine(wh: &Warehouse) -> Result<Vec<QuarantineRow>, StoreError> {
    let Some(batch) = wh.read_parquet(QUARANTINE_FILE).await? else { return Ok(Vec::new()) };
    convert::quarantine_rows(&batch)
        .map_err(|source| StoreError::Arrow { path: format!("{}/{QUARANTINE_FILE}", wh.uri()), source })
}

/// Re-parse every archived raw file with the current parser and rewrite every table.
pub async fn rebuild(wh: &Warehouse, options: &Options, progress: &dyn Progress) -> Result<Summary, PipelineError> {
    // The original names of archived files, from the reports and quarantine tables.
    let mut names: BTreeMap<String, String> =
        report_times(wh).await?.into_iter().map(|(id, (_, uri))| (id, uri)).collect();
    names.extend(read_quarantine(wh).await?.into_iter().map(|q| (q.report_id, q.source_uri)));
    let mut inputs = Vec::new();
    let mut archived = BTreeSet::new();
    for rel in wh.list("raw").await? {
        let id = raw_id(&rel).to_string();
        let uri = names.get(&id).cloned().unwrap_or_else(|| format!("{}/{rel}", wh.uri().trim_end_matches('/')));
        let source = Source::Object { store: wh.store(), path: wh.path(&rel), uri: uri.clone() };
        inputs.push((uri, Some(rel), source));
        archived.insert(id);
    }
    // Reports whose raw object is gone cannot be re-parsed: their rows are kept, not dropped.
    let missing = names.into_iter().filter(|(id, _)| !archived.contains(id)).collect();
    let inputs: Inputs = (inputs.len(), Box::new(inputs.into_iter()));
    run(wh, inputs, missing, options, progress, Mode::Replace, false).await
}

/// Ingest `total` reports made in the process, one at a time as `sources` yields them, without
/// archiving their bytes (`gongkai synth --warehouse`: a benchmark or demo warehouse of any size in
/// bounded memory; a rebuild keeps such reports' rows, having no raw file to re-parse).
pub async fn ingest_generated(
    wh: &Warehouse,
    total: usize,
    sources: impl Iterator<Item = (String, Vec<u8>)> + Send + 'static,
    options: &Options,
    progress: &dyn Progress,
) -> Result<Summary, PipelineError> {
    let inputs = sources.map(|(uri, bytes)| {
        let source = Source::Memory { uri: uri.clone(), bytes: Bytes::from(bytes) };
        (uri, None, source)
    });
    run(wh, (total, Box::new(inputs)), Vec::new(), options, progress, Mode::Merge, false).await
}

/// The sources of a run, as they come: their number, and each one's URI, raw archive path (a
/// rebuild) and source.
type Inputs = (usize, Box<dyn Iterator<Item = (String, Option<String>, Source)> + Send>);

/// Compact the small files of every partitioned table (`gongkai optimize`): one commit per table
/// that had files to compact, then the files it replaced are vacuumed.
pub async fn optimize(wh: &Warehouse, target_bytes: u64) -> Result<OptimizeSummary, PipelineError> {
    let mut summary = OptimizeSummary { warehouse: wh.uri().to_string(), ..Default::default() };
    refuse_plain_parquet(wh).await?;
    for table in TABLES {
        if let Some((removed, added, version)) = wh.optimize(table, target_bytes).await? {
            summary.tables.push(OptimizedTable { table: table.to_string(), removed, added, version });
            summary.versions.insert(table.to_string(), version);
        }
    }
    Ok(summary)
}

/// What `gongkai optimize` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OptimizeSummary {
    pub warehouse: String,
    pub tables: Vec<OptimizedTable>,
    /// Each table's version afterwards.
    pub versions: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptimizedTable {
    pub table: String,
    /// Small files replaced.
    pub removed: u64,
    /// Compacted files written.
    pub added: u64,
    pub version: i64,
}

/// The `report_id` of a raw archive object `raw/<report_id>.<ext>`.
fn raw_id(rel: &str) -> &str {
    rel.trim_start_matches("raw/").split('.').next().unwrap_or_default()
}

/// A warehouse whose tables are plain Parquet files (written before the tables were Delta
/// tables) is converted by `gongkai rebuild` only: appending to it would lose its rows.
async fn refuse_plain_parquet(wh: &Warehouse) -> Result<(), PipelineError> {
    for table in TABLES {
        if wh.is_plain_parquet(table).await? {
            return Err(PipelineError::PlainParquet(wh.uri().to_string()));
        }
    }
    Ok(())
}

/// Before a run adds to the warehouse: finish what an interrupted run left. Tables are committed
/// `reports` last, so a run that died after committing some tables left commits of a run that
/// `reports` never saw: those are rolled back (their reports are ingested again by this run).
/// Files no commit added (a run that died while writing) are vacuumed. Returns what it did.
async fn recover(wh: &Warehouse, run_id: &str) -> Result<Vec<String>, PipelineError> {
    let mut done = Vec::new();
    let reports_runs: BTreeSet<String> = wh.recent_runs("reports", 20).await?.into_iter().flatten().collect();
    for table in TABLES.iter().filter(|t| **t != "reports") {
        if let Some(Some(last)) = wh.recent_runs(table, 1).await?.first()
            && !reports_runs.contains(last)
        {
            let removed = wh.roll_back_latest(table, run_id).await?;
            done.push(format!("rolled back {table}: {} file(s) of {last}, a run that did not finish", removed.len()));
        }
    }
    for table in TABLES {
        let orphans = wh.vacuum(table, true).await?;
        if !orphans.is_empty() {
            done.push(format!("removed {} file(s) of {table} that no commit added", orphans.len()));
        }
    }
    Ok(done)
}

/// The writers of the partitioned tables during one run. Rows are held per table and partition
/// until a flush, which writes each partition's rows as one file and closes it before the next:
/// one file is open at a time, so memory is the rows of the reports since the last flush.
struct Sink {
    writers: Vec<TableWriter>,
    /// Per table (in the order of `writers`): the rows of each partition since the last flush.
    held: Vec<BTreeMap<String, Vec<RecordBatch>>>,
    since_flush: usize,
}

impl Sink {
    async fn open(wh: &Warehouse) -> Result<Self, PipelineError> {
        let mut writers = Vec::new();
        for table in TABLES {
            writers.push(wh.table_writer(table, &table_schema(table)).await?);
        }
        Ok(Sink { held: vec![BTreeMap::new(); writers.len()], writers, since_flush: 0 })
    }

    /// Hold one report's rows for every table.
    async fn add(
        &mut self,
        report: &Report,
        times: &HashMap<String, (i64, String)>,
        now: i64,
    ) -> Result<(), PipelineError> {
        let partition = store::partition(report.region.province_code.as_deref(), report.year);
        let reports = [report];
        for (writer, held) in self.writers.iter().zip(&mut self.held) {
            let table = writer.table();
            let conv = |source| PipelineError::Convert { table: table.into(), partition: partition.clone(), source };
            let batch = match table {
                "reports" => convert::reports_batch(&reports, times, now),
                "cells" => convert::cells_batch(&reports),
                "facts" => convert::facts_batch(&reports),
                _ => convert::checks_batch(&reports),
            }
            .map_err(conv)?;
            let batches = held.entry(partition.clone()).or_default();
            batches.push(batch);
            // A report's rows are a small batch with buffers of its own; thousands of them held
            // cost far more memory and allocation than their rows. Joined as they come in.
            if batches.len() >= COMPACT_HELD {
                let joined = arrow::compute::concat_batches(&batches[0].schema(), batches.iter()).map_err(conv)?;
                *batches = vec![joined];
            }
        }
        self.since_flush += 1;
        if self.since_flush >= FLUSH_REPORTS {
            self.flush().await?;
        }
        Ok(())
    }

    /// Hold rows kept from the table as it was (a rebuild's reports without a raw object), in the
    /// table's schema (a file read back may name a list's items otherwise).
    fn add_rows(&mut self, table: &str, partition: &str, batch: RecordBatch) -> Result<(), PipelineError> {
        let conv = |source| PipelineError::Convert { table: table.into(), partition: partition.into(), source };
        let schema = table_schema(table);
        let columns = schema
            .fields()
            .iter()
            .map(|f| {
                let column = batch.column_by_name(f.name()).ok_or_else(|| {
                    arrow::error::ArrowError::SchemaError(format!("no column {} in the kept rows", f.name()))
                })?;
                arrow::compute::cast(column, f.data_type())
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(conv)?;
        let batch = RecordBatch::try_new(schema, columns).map_err(conv)?;
        if let Some(i) = self.writers.iter().position(|w| w.table() == table) {
            self.held[i].entry(partition.to_string()).or_default().push(batch);
        }
        Ok(())
    }

    /// Write the rows held, one closed file per table and partition (not yet visible).
    async fn flush(&mut self) -> Result<(), PipelineError> {
        for (writer, held) in self.writers.iter_mut().zip(&mut self.held) {
            for (partition, batches) in std::mem::take(held) {
                let table = writer.table().to_string();
                let conv =
                    |source| PipelineError::Convert { table: table.clone(), partition: partition.clone(), source };
                let schema = table_schema(&table);
                let rows = arrow::compute::concat_batches(&schema, &batches)
                    .and_then(|b| store::delta::add_partition_columns(&b, &partition))
                    .map_err(conv)?;
                writer.write(rows).await?;
                writer.flush().await?;
            }
        }
        self.since_flush = 0;
        Ok(())
    }

    /// Commit every table, `reports` last; `replace`: each commit replaces the table's rows.
    async fn commit(mut self, wh: &Warehouse, replace: bool, run_id: &str) -> Result<Vec<Committed>, PipelineError> {
        if let Err(e) = self.flush().await {
            self.abandon(wh).await;
            return Err(e);
        }
        let mut committed = Vec::new();
        let mut writers = self.writers.into_iter();
        while let Some(writer) = writers.next() {
            match wh.commit(writer, replace, run_id).await {
                Ok(c) => committed.push(c),
                Err(e) => {
                    for rest in writers {
                        rest.abandon(wh).await;
                    }
                    return Err(e.into());
                }
            }
        }
        Ok(committed)
    }

    /// Stop without committing anything: no file of this run stays behind.
    async fn abandon(self, wh: &Warehouse) {
        for writer in self.writers {
            writer.abandon(wh).await;
        }
    }
}

/// The schema of a partitioned table's rows (without the partition columns).
fn table_schema(table: &str) -> arrow::datatypes::SchemaRef {
    match table {
        "reports" => convert::reports_schema(),
        "cells" => convert::cells_schema(),
        "facts" => convert::facts_schema(),
        _ => convert::checks_schema(),
    }
}

/// What the read-and-parse phase of a run found.
#[derive(Default)]
struct Collected {
    /// Reports written, by id, with their partition.
    stored: BTreeMap<String, String>,
    failed: BTreeMap<String, (String, String)>,
    /// Rebuild: reports whose raw object could not be read keep their old rows.
    kept: BTreeSet<String>,
}

/// One run over `inputs` (URI, raw archive path for a rebuild, source). `missing` (rebuild only):
/// reports in the warehouse without a raw object, whose rows are kept as they are.
async fn run(
    wh: &Warehouse,
    inputs: Inputs,
    missing: Vec<(String, String)>,
    options: &Options,
    progress: &dyn Progress,
    mode: Mode,
    archive: bool,
) -> Result<Summary, PipelineError> {
    let now = options.now.unwrap_or_else(now_micros);
    let run_id = format!("run-{now}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let mut summary = Summary { warehouse: wh.uri().to_string(), files: inputs.0, ..Summary::default() };
    progress.start(inputs.0);
    let cleared = wh.clear_staging().await?;
    if cleared > 0 {
        progress.step(&format!("removed {cleared} staged file(s) left by an interrupted run"));
    }
    // A rebuild reads the old tables (names, ingestion times, kept rows) as they are, then
    // replaces every table; adding to the warehouse first finishes what an interrupted run left.
    let (known, times) = match mode {
        Mode::Merge => {
            refuse_plain_parquet(wh).await?;
            for step in recover(wh, &run_id).await? {
                progress.step(&step);
            }
            let known = if options.skip_ingested { ingested_ids(wh).await? } else { reported_ids(wh).await? };
            (known, HashMap::new())
        }
        Mode::Replace => (BTreeSet::new(), report_times(wh).await?),
    };

    let mut sink = Sink::open(wh).await?;
    let collected = match collect(
        wh,
        inputs,
        missing,
        options,
        progress,
        mode,
        archive,
        &known,
        &times,
        now,
        &mut sink,
        &mut summary,
    )
    .await
    {
        Ok(c) => c,
        Err(e) => {
            sink.abandon(wh).await;
            return Err(e);
        }
    };
    progress.step("committing the tables");
    if options.cancel.is_cancelled() {
        sink.abandon(wh).await;
        return Err(PipelineError::Cancelled);
    }
    let committed = sink.commit(wh, mode == Mode::Replace, &run_id).await?;
    let wrote_reports = committed.iter().any(|c| c.rows > 0 || !c.removed.is_empty());
    for c in &committed {
        summary.versions.insert(c.table.clone(), c.version);
        *summary.rows.entry(c.table.clone()).or_default() += c.rows;
        for (path, rows) in &c.written {
            summary.written.push(WrittenFile { path: format!("{}/{path}", c.table), rows: *rows });
        }
    }
    if mode == Mode::Replace {
        // The replaced files (and files of a warehouse of plain Parquet) go now, so that the
        // Parquet files under each table are its live rows.
        for table in TABLES {
            summary.deleted.extend(wh.vacuum(table, true).await?.into_iter().map(|f| format!("{table}/{f}")));
        }
        summary.deleted.sort();
    }

    let mut staged = Vec::new();
    // `bodies` says which version of `reports` it was made from, so that a run that died after
    // committing `reports` and before writing `bodies` is made good by the next one.
    let reports_version = summary.versions.get("reports").map(i64::to_string).unwrap_or_default();
    let bodies_from = wh.footer_value(BODIES_FILE, BODIES_FROM).await?;
    if wrote_reports || bodies_from != Some(reports_version.clone()) {
        let appended = committed.iter().find(|c| c.table == "reports" && c.removed.is_empty());
        let bodies = match appended {
            // `bodies` was made from the version this run appended to: add the run's reports only.
            Some(c) if mode == Mode::Merge && bodies_from == Some((c.version - 1).to_string()) => {
                bodies_adding(wh, c).await?
            }
            _ => bodies_of(wh).await?,
        };
        let from = vec![(BODIES_FROM.to_string(), reports_version)];
        staged.push(wh.write_staged_with(&run_id, BODIES_FILE, &bodies, from).await?);
    }
    if let Some(file) = stage_quarantine(wh, &run_id, mode, &collected, now).await? {
        staged.push(file);
    }
    for file in &staged {
        wh.publish(file).await?;
        summary.written.push(WrittenFile { path: file.target.clone(), rows: file.rows });
    }
    wh.clear_staging().await?;
    Ok(summary)
}

/// Read and parse every input, writing each report to the sink; outcomes in source order.
#[allow(clippy::too_many_arguments)]
async fn collect(
    wh: &Warehouse,
    (_, inputs): Inputs,
    missing: Vec<(String, String)>,
    options: &Options,
    progress: &dyn Progress,
    mode: Mode,
    archive: bool,
    known: &BTreeSet<String>,
    times: &HashMap<String, (i64, String)>,
    now: i64,
    sink: &mut Sink,
    summary: &mut Summary,
) -> Result<Collected, PipelineError> {
    let cancel = &options.cancel;
    let mut stream = futures::stream::iter(inputs.map(|(uri, raw, source)| async move {
        if cancel.is_cancelled() {
            return (uri, raw, Err(PipelineError::Cancelled));
        }
        let bytes = source.bytes().await;
        let result = process(wh, uri.clone(), bytes, archive, known, options).await;
        (uri, raw, result)
    }))
    .buffered(options.concurrency.max(1));

    let mut c = Collected::default();
    let mut partitions = BTreeSet::new();
    let mut with_failed_identities = 0;
    while let Some((uri, raw, result)) = stream.next().await {
        if cancel.is_cancelled() {
            return Err(PipelineError::Cancelled);
        }
        let (parsed, archived) = result?;
        summary.raw_archived_new += usize::from(archived);
        let outcome = match parsed {
            Parsed::Report(report) if c.stored.contains_key(&report.report_id) => {
                summary.duplicates += 1;
                Outcome::Duplicate { report_id: report.report_id.clone() }
            }
            Parsed::Report(report) => {
                let partition = store::partition(report.region.province_code.as_deref(), report.year);
                let checks_failed = report.failed_checks().count();
                with_failed_identities += usize::from(checks_failed > 0);
                sink.add(&report, times, now).await?;
                c.stored.insert(report.report_id.clone(), partition.clone());
                partitions.insert(partition.clone());
                Outcome::Stored { report_id: report.report_id.clone(), partition, checks_failed }
            }
            Parsed::Failed { report_id, reason } => {
                summary.quarantined.push(QuarantinedFile { source_uri: uri.clone(), reason: reason.clone() });
                c.failed.entry(report_id.clone()).or_insert((uri.clone(), reason.clone()));
                Outcome::Quarantined { report_id, reason }
            }
            Parsed::Unreadable(mut reason) => {
                if let (Mode::Replace, Some(raw)) = (mode, &raw) {
                    c.kept.insert(raw_id(raw).to_string());
                    reason += &format!(" ({raw}); the report's rows are kept as they were");
                }
                summary.unreadable.push(QuarantinedFile { source_uri: uri.clone(), reason: reason.clone() });
                Outcome::Unreadable { reason }
            }
            Parsed::Known(report_id) => {
                summary.already_ingested += 1;
                Outcome::AlreadyIngested { report_id }
            }
        };
        progress.file(&uri, &outcome);
        if options.record_outcomes {
            summary.outcomes.push((uri, outcome));
        }
    }
    drop(stream);
    for (id, uri) in missing {
        let reason = format!("no raw object raw/{id}.*; the report's rows are kept as they were");
        summary.unreadable.push(QuarantinedFile { source_uri: uri.clone(), reason: reason.clone() });
        summary.outcomes.push((uri, Outcome::Unreadable { reason }));
        c.kept.insert(id);
    }
    // Rebuild: the old rows of the reports that could not be re-parsed.
    if !c.kept.is_empty() {
        for table in TABLES {
            for (partition, batch) in wh.read_live(table, None).await? {
                let rows = rows_of(&batch, &c.kept).map_err(|source| PipelineError::Convert {
                    table: table.into(),
                    partition: partition.clone(),
                    source,
                })?;
                if rows.num_rows() > 0 {
                    sink.add_rows(table, &partition, rows)?;
                    partitions.insert(partition);
                }
            }
        }
    }
    summary.kept = c.kept.iter().cloned().collect();
    summary.reports = c.stored.len();
    summary.reports_with_failed_identities = with_failed_identities;
    for partition in partitions {
        if partition.starts_with("province_code=00/") {
            summary.unknown_region_partitions.push(partition.clone());
        }
        if partition.ends_with("/year=0") {
            summary.unknown_year_partitions.push(partition.clone());
        }
        summary.partitions.push(partition);
    }
    Ok(c)
}

/// The quarantine table after the run, staged when it changed: one file, keyed by report_id (the
/// hash of the bytes).
async fn stage_quarantine(
    wh: &Warehouse,
    run_id: &str,
    mode: Mode,
    c: &Collected,
    now: i64,
) -> Result<Option<store::Staged>, PipelineError> {
    let existing = read_quarantine(wh).await?;
    if c.failed.is_empty() && existing.is_empty() {
        return Ok(None);
    }
    let mut rows: BTreeMap<String, QuarantineRow> = BTreeMap::new();
    let keep = |q: &&QuarantineRow| mode == Mode::Merge || c.kept.contains(&q.report_id);
    rows.extend(existing.iter().filter(keep).map(|q| (q.report_id.clone(), q.clone())));
    let first_seen: HashMap<&str, i64> = existing.iter().map(|q| (q.report_id.as_str(), q.first_seen)).collect();
    for (id, (uri, reason)) in &c.failed {
        let first = first_seen.get(id.as_str()).copied().unwrap_or(now);
        let row = QuarantineRow {
            source_uri: uri.clone(),
            report_id: id.clone(),
            reason: reason.clone(),
            first_seen: first,
            last_seen: now,
        };
        rows.insert(id.clone(), row);
    }
    // A file that now parses leaves the quarantine.
    rows.retain(|id, _| !c.stored.contains_key(id));
    let rows: Vec<QuarantineRow> = rows.into_values().collect();
    if rows == existing {
        return Ok(None);
    }
    let batch = convert::quarantine_batch(&rows).map_err(|source| PipelineError::Convert {
        table: "quarantine".into(),
        partition: "-".into(),
        source,
    })?;
    Ok(Some(wh.write_staged(run_id, QUARANTINE_FILE, &batch).await?))
}

/// The `bodies` table, from every row of `reports`.
async fn bodies_of(wh: &Warehouse) -> Result<RecordBatch, PipelineError> {
    let reports = wh.read_live("reports", Some(convert::BODY_SOURCE_COLUMNS)).await?;
    let parts: Vec<(i32, &RecordBatch)> = reports.iter().map(|(p, b)| (store::partition_year(p), b)).collect();
    convert::bodies_batch(&parts).map_err(|source| PipelineError::Convert {
        table: "bodies".into(),
        partition: "-".into(),
        source,
    })
}

/// `bodies` updated with the reports of one appending commit of `reports` (see
/// [`convert::bodies_batch_adding`]): the cost of a run's bodies is its own reports.
async fn bodies_adding(wh: &Warehouse, appended: &Committed) -> Result<RecordBatch, PipelineError> {
    let earlier = wh.read_parquet(BODIES_FILE).await?;
    let mut added = Vec::new();
    for (path, _) in &appended.written {
        let rel = format!("reports/{path}");
        let Some(batch) = wh.read_parquet_columns(&rel, convert::BODY_SOURCE_COLUMNS).await? else {
            return bodies_of(wh).await;
        };
        added.push((store::partition_year(store::partition_of_file("reports", &rel)), batch));
    }
    let parts: Vec<(i32, &RecordBatch)> = added.iter().map(|(y, b)| (*y, b)).collect();
    convert::bodies_batch_adding(earlier.as_ref(), &parts).map_err(|source| PipelineError::Convert {
        table: "bodies".into(),
        partition: "-".into(),
        source,
    })
}

/// The rows of `batch` whose `report_id` is in `ids`.
fn rows_of(batch: &RecordBatch, ids: &BTreeSet<String>) -> Result<RecordBatch, arrow::error::ArrowError> {
    if ids.is_empty() {
        return Ok(batch.slice(0, 0));
    }
    let col = batch
        .column_by_name("report_id")
        .and_then(|c| c.as_any().downcast_ref::<arrow::array::StringArray>())
        .ok_or_else(|| arrow::error::ArrowError::SchemaError("no report_id column".into()))?;
    let keep: arrow::array::BooleanArray = col.iter().map(|id| Some(id.is_some_and(|id| ids.contains(id)))).collect();
    arrow::compute::filter_record_batch(batch, &keep)
}

impl Summary {
    /// The summary as plain text lines.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s += &format!("warehouse  {}\n", self.warehouse);
        s += &format!(
            "files      {} ({} report(s) stored, {} duplicate(s), {} already ingested, {} quarantined, {} unreadable)\n",
            self.files,
            self.reports,
            self.duplicates,
            self.already_ingested,
            self.quarantined.len(),
            self.unreadable.len()
        );
        s += &format!(
            "identities {} report(s) with a failed identity (stored all the same)\n",
            self.reports_with_failed_identities
        );
        s += &format!("raw        {} new file(s) archived\n", self.raw_archived_new);
        s += &format!("partitions {} written: {}\n", self.partitions.len(), self.partitions.join(", "));
        if !self.unknown_region_partitions.is_empty() {
            s += &format!(
                "           unknown province (province_code=00): {}\n",
                self.unknown_region_partitions.join(", ")
            );
        }
        if !self.unknown_year_partitions.is_empty() {
            s += &format!("           unknown year (year=0000): {}\n", self.unknown_year_partitions.join(", "));
        }
        for (table, rows) in &self.rows {
            s += &format!("rows       {table}: {rows} in the files written\n");
        }
        if !self.versions.is_empty() {
            let versions: Vec<String> = self.versions.iter().map(|(t, v)| format!("{t} {v}")).collect();
            s += &format!("versions   {}\n", versions.join(", "));
        }
        for rel in &self.deleted {
            s += &format!("deleted    {rel}\n");
        }
        for q in &self.quarantined {
            s += &format!("quarantined {}: {}\n", q.source_uri, q.reason);
        }
        for q in &self.unreadable {
            s += &format!("unreadable {}: {}\n", q.source_uri, q.reason);
        }
        if !self.kept.is_empty() {
            s += &format!(
                "kept       {} report(s) whose raw object could not be read: their old rows stay as they were\n",
                self.kept.len()
            );
        }
        for uri in &self.skipped {
            s += &format!("passed over {uri}: not a report file by its extension\n");
        }
        s
    }
}
