//! The partitioned tables (`cells`, `checks`, `facts`, `reports`) as Delta Lake tables through
//! delta-rs: each run appends its new files in one commit per table, a rebuild replaces a table in
//! one commit, readers load a snapshot (the latest, or a recorded version) and never see a file
//! that no commit added.
//!
//! The data files keep the Hive layout `TABLE/province_code=NN/year=YYYY/part-….parquet`, and
//! files a commit removed are vacuumed as soon as the command that removed them finishes, so the
//! Parquet files under a table are exactly its live rows for engines that read plain Parquet.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use deltalake_core::kernel::engine::arrow_conversion::TryIntoKernel;
use deltalake_core::kernel::transaction::{CommitBuilder, CommitProperties};
use deltalake_core::kernel::{Action, Add, StructType};
use deltalake_core::logstore::{StorageConfig, default_logstore};
use deltalake_core::operations::vacuum::VacuumMode;
use deltalake_core::protocol::{DeltaOperation, SaveMode};
use deltalake_core::writer::{DeltaWriter, RecordBatchWriter};
use deltalake_core::{DeltaTable, DeltaTableError};
use object_store::ObjectStore;

use super::{StoreError, Warehouse};

/// The partition columns of every Delta table, in the order of the Hive directories.
pub const PARTITION_COLUMNS: [&str; 2] = ["province_code", "year"];

/// A table's schema with its partition columns last (as queries see it).
pub fn with_partition_columns(schema: &SchemaRef) -> SchemaRef {
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new(PARTITION_COLUMNS[0], DataType::Utf8, false));
    fields.push(Field::new(PARTITION_COLUMNS[1], DataType::Int32, false));
    Arc::new(Schema::new(fields))
}

/// `batch` with the partition columns of `partition` (`province_code=NN/year=YYYY`) appended.
pub fn add_partition_columns(batch: &RecordBatch, partition: &str) -> Result<RecordBatch, arrow::error::ArrowError> {
    let (province, year) = super::partition_values(partition);
    let n = batch.num_rows();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    columns.push(Arc::new(StringArray::from(vec![province; n])));
    columns.push(Arc::new(Int32Array::from(vec![year; n])));
    RecordBatch::try_new(with_partition_columns(&batch.schema()), columns)
}

fn delta_err(table: &str, wh: &Warehouse) -> impl Fn(DeltaTableError) -> StoreError + use<> {
    let path = format!("{}/{table}", wh.uri().trim_end_matches('/'));
    move |source| StoreError::Delta { path: path.clone(), reason: source.to_string() }
}

/// What a reader pins a table to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    Latest,
    Version(i64),
    /// The latest version committed at or before this time (µs since the epoch, UTC).
    Timestamp(i64),
}

impl Warehouse {
    /// The store rooted where the table's URL is rooted, and the table's URL (ending in `/`).
    fn table_location(&self, table: &str) -> Result<(Arc<dyn ObjectStore>, url::Url), StoreError> {
        let bad = |reason: String| StoreError::BadUrl { uri: self.uri.clone(), reason };
        let rel = self.path(table);
        if let Some(dir) = &self.local_dir {
            let abs = std::path::absolute(dir.join(table))
                .map_err(|source| StoreError::Io { path: self.uri.clone(), source })?;
            let url = url::Url::from_directory_path(&abs).map_err(|_| bad("not an absolute path".into()))?;
            return Ok((Arc::new(object_store::local::LocalFileSystem::new()), url));
        }
        let (scheme, _) = self.uri.split_once("://").unwrap_or(("memory", ""));
        let url = match scheme {
            "memory" => format!("memory:///{rel}/"),
            _ => {
                let parsed = url::Url::parse(&self.uri).map_err(|e| bad(e.to_string()))?;
                format!("{}://{}/{rel}/", parsed.scheme(), parsed.host_str().unwrap_or_default())
            }
        };
        Ok((self.store.clone(), url::Url::parse(&url).map_err(|e| bad(e.to_string()))?))
    }

    /// The Delta table `table`, not yet loaded.
    fn delta_handle(&self, table: &str) -> Result<DeltaTable, StoreError> {
        let (root, url) = self.table_location(table)?;
        let config = StorageConfig::default();
        let prefixed: Arc<dyn ObjectStore> =
            Arc::from(config.decorate_store(root.clone(), &url).map_err(delta_err(table, self))?);
        Ok(DeltaTable::new(default_logstore(prefixed, root, &url, &config)))
    }

    /// The Delta table `table` loaded at `at`, or `None` when it has no log yet.
    pub async fn delta(&self, table: &str, at: At) -> Result<Option<DeltaTable>, StoreError> {
        let mut handle = self.delta_handle(table)?;
        let err = delta_err(table, self);
        if !handle.verify_deltatable_existence().await.map_err(&err)? {
            return Ok(None);
        }
        match at {
            At::Latest => handle.load().await.map_err(&err)?,
            At::Version(v) => handle.load_version(v as _).await.map_err(&err)?,
            At::Timestamp(micros) => {
                let when = chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default();
                handle.load_with_datetime(when).await.map_err(&err)?
            }
        }
        Ok(Some(handle))
    }

    /// When `version` of `table` was committed (its commit file's modification time, as Delta's
    /// time travel reads it), in milliseconds; `None` when there is no such commit. A snapshot
    /// loaded from a checkpoint lists no commit files before it, so this asks the store.
    pub async fn commit_time(&self, table: &str, version: i64) -> Result<Option<i64>, StoreError> {
        use object_store::ObjectStoreExt as _;
        let path = self.path(&format!("{table}/_delta_log/{version:020}.json"));
        match self.store.head(&path).await {
            Ok(meta) => Ok(Some(meta.last_modified.timestamp_millis())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.object_err(&path)(e)),
        }
    }

    /// Whether `table` holds Parquet files but no Delta log: written by a gongkai before the
    /// warehouse became Delta tables, which only `gongkai rebuild` converts.
    pub async fn is_plain_parquet(&self, table: &str) -> Result<bool, StoreError> {
        let files = self.list(table).await?;
        let has_log = files.iter().any(|f| f.starts_with(&format!("{table}/_delta_log/")));
        Ok(!has_log && files.iter().any(|f| f.ends_with(".parquet")))
    }

    /// The table, created empty (partitioned, with `schema`) when it has no log yet.
    async fn delta_or_create(&self, table: &str, schema: &SchemaRef) -> Result<DeltaTable, StoreError> {
        if let Some(t) = self.delta(table, At::Latest).await? {
            return Ok(t);
        }
        let err = delta_err(table, self);
        let kernel: StructType = with_partition_columns(schema)
            .as_ref()
            .try_into_kernel()
            .map_err(|e| StoreError::Delta { path: format!("{}/{table}", self.uri), reason: e.to_string() })?;
        self.delta_handle(table)?
            .create()
            .with_table_name(table)
            .with_columns(kernel.fields().cloned())
            .with_partition_columns(PARTITION_COLUMNS)
            .with_save_mode(SaveMode::Ignore)
            .await
            .map_err(err)
    }

    /// A writer of new files for `table` (created when missing): nothing is visible until
    /// [`Warehouse::commit`].
    pub async fn table_writer(&self, table: &str, schema: &SchemaRef) -> Result<TableWriter, StoreError> {
        let delta = self.delta_or_create(table, schema).await?;
        let err = delta_err(table, self);
        let props = super::writer_properties(super::Packing::Run).build();
        let writer = RecordBatchWriter::for_table(&delta).map_err(&err)?.with_writer_properties(props);
        Ok(TableWriter { table: table.to_string(), delta, writer, adds: Vec::new(), rows: 0 })
    }

    /// Commit what `writer` wrote: appended, or replacing every live file of the table. An append
    /// of nothing makes no commit. Returns the table's version after the commit.
    pub async fn commit(&self, mut writer: TableWriter, replace: bool, run_id: &str) -> Result<Committed, StoreError> {
        let err = delta_err(&writer.table, self);
        writer.flush().await?;
        let snapshot = writer.delta.snapshot().map_err(&err)?;
        let mut actions: Vec<Action> = writer.adds.iter().cloned().map(Action::Add).collect();
        let mut removed = Vec::new();
        if replace {
            for file in snapshot.log_data().iter() {
                removed.push(file.path().to_string());
                actions.push(Action::Remove(file.remove_action(true)));
            }
        }
        let version = snapshot.version() as i64;
        let written: Vec<(String, usize)> = writer.adds.iter().map(|a| (a.path.clone(), rows_of_add(a))).collect();
        if actions.is_empty() {
            return Ok(Committed { table: writer.table, version, written, removed, rows: 0 });
        }
        let operation = DeltaOperation::Write {
            mode: if replace { SaveMode::Overwrite } else { SaveMode::Append },
            partition_by: Some(PARTITION_COLUMNS.iter().map(|c| c.to_string()).collect()),
            predicate: None,
        };
        let metadata = HashMap::from([("gongkai.run".to_string(), serde_json::Value::from(run_id))]);
        // An append is committed on top of another writer's commit; a replacing commit is not:
        // it would keep rows it never saw (and may hold the same reports), so it fails instead.
        let mut properties = CommitProperties::default().with_metadata(metadata);
        if replace {
            properties = properties.with_max_retries(0);
        }
        let finalized = match CommitBuilder::from(properties)
            .with_actions(actions)
            .build(Some(snapshot), writer.delta.log_store(), operation)
            .await
        {
            Ok(finalized) => finalized,
            Err(e) => {
                // The files of a commit that failed are no rows of the table: they go now.
                for (path, _) in &written {
                    let _ = self.delete(&format!("{}/{path}", writer.table)).await;
                }
                return Err(err(e));
            }
        };
        let version = finalized.version();
        match writer.delta.update_incremental(Some(version)).await {
            Ok(()) => self.checkpoint(&writer.delta, &writer.table).await,
            Err(e) => self.no_checkpoint(&writer.table, &e),
        }
        Ok(Committed { table: writer.table, version: version as i64, written, removed, rows: writer.rows })
    }

    /// Write a checkpoint of `delta` (loaded at the version just committed): opening the table
    /// then reads one Parquet file of its live files instead of every commit's JSON since the
    /// first (a run's commit of 20,000 files is megabytes of JSON, which every reader parsed on
    /// every open). A checkpoint that cannot be written costs only speed: the commit stands and
    /// readers read the commits until the next checkpoint, so it is said and not an error.
    async fn checkpoint(&self, delta: &DeltaTable, table: &str) {
        if let Err(e) = deltalake_core::checkpoints::create_checkpoint(delta, None).await {
            self.no_checkpoint(table, &e);
        }
    }

    fn no_checkpoint(&self, table: &str, e: &DeltaTableError) {
        let uri = self.uri.trim_end_matches('/');
        eprintln!("gongkai: {uri}/{table}: no checkpoint written ({e}); readers read its commits until the next one");
    }

    /// Remove the data files no live row needs: the files commits removed, and, with `orphans`,
    /// files no commit ever added (left by a run that died before committing). One writer holds
    /// the warehouse's lease, so nothing is being written meanwhile. Returns the files deleted.
    pub async fn vacuum(&self, table: &str, orphans: bool) -> Result<Vec<String>, StoreError> {
        let Some(delta) = self.delta(table, At::Latest).await? else { return Ok(Vec::new()) };
        let err = delta_err(table, self);
        let vacuum = |delta: DeltaTable, dry_run: bool| {
            delta
                .vacuum()
                .with_retention_period(chrono::Duration::zero())
                .with_enforce_retention_duration(false)
                .with_mode(if orphans { VacuumMode::Full } else { VacuumMode::Lite })
                .with_dry_run(dry_run)
        };
        // The log keeps a removed file's tombstone for days after the file was deleted, and
        // delta-rs lists every tombstone again: only files still present are deleted, and a
        // vacuum with none makes no commit (it would add two to every run's log).
        let (delta, planned) = vacuum(delta, true).await.map_err(&err)?;
        let present: std::collections::HashSet<String> = self.data_files(table).await?.into_iter().collect();
        let deleted: Vec<String> =
            planned.files_deleted.into_iter().filter(|f| present.contains(&format!("{table}/{f}"))).collect();
        if deleted.is_empty() {
            return Ok(deleted);
        }
        let (delta, _) = vacuum(delta, false).await.map_err(&err)?;
        // The vacuum committed its start and end: the checkpoint follows.
        self.checkpoint(&delta, table).await;
        Ok(deleted)
    }

    /// The live data files of `table` (relative to the warehouse root) in its latest snapshot;
    /// for a table of plain Parquet files (no log), every data file.
    pub async fn live_files(&self, table: &str) -> Result<Vec<String>, StoreError> {
        let Some(delta) = self.delta(table, At::Latest).await? else { return self.data_files(table).await };
        Ok(live_paths(&delta, table, self)?.into_iter().map(|p| format!("{table}/{p}")).collect())
    }

    /// The files a loaded snapshot of `table` reads, relative to the warehouse root.
    pub fn snapshot_files(&self, delta: &DeltaTable, table: &str) -> Result<Vec<String>, StoreError> {
        Ok(live_paths(delta, table, self)?.into_iter().map(|p| format!("{table}/{p}")).collect())
    }

    /// Every live row of a partitioned table (only `columns` when given), each batch with its
    /// partition directory.
    pub async fn read_live(
        &self,
        table: &str,
        columns: Option<&[&str]>,
    ) -> Result<Vec<(String, RecordBatch)>, StoreError> {
        let mut out = Vec::new();
        for rel in self.live_files(table).await? {
            let batch = match columns {
                Some(columns) => self.read_parquet_columns(&rel, columns).await?,
                None => self.read_parquet(&rel).await?,
            };
            match batch {
                Some(batch) => out.push((super::partition_of_file(table, &rel).to_string(), batch)),
                None => {
                    let path = format!("{}/{rel}", self.uri.trim_end_matches('/'));
                    return Err(StoreError::Delta { path, reason: "a live file of the table is missing".into() });
                }
            }
        }
        Ok(out)
    }

    /// The gongkai runs (`gongkai.run` of the commit) of the latest `limit` commits of `table`,
    /// newest first; `None` for a commit no run made (vacuum, optimize).
    pub async fn recent_runs(&self, table: &str, limit: usize) -> Result<Vec<Option<String>>, StoreError> {
        let Some(delta) = self.delta(table, At::Latest).await? else { return Ok(Vec::new()) };
        self.runs_of(&delta, table, limit).await
    }

    /// [`Warehouse::recent_runs`] of a table already loaded (at its latest version).
    pub async fn runs_of(
        &self,
        delta: &DeltaTable,
        table: &str,
        limit: usize,
    ) -> Result<Vec<Option<String>>, StoreError> {
        let infos: Vec<_> =
            futures::TryStreamExt::try_collect(delta.history(Some(limit))).await.map_err(delta_err(table, self))?;
        Ok(infos.into_iter().map(|i| i.info.get("gongkai.run").and_then(|v| v.as_str()).map(str::to_string)).collect())
    }

    /// Undo the latest commit of `table` (the files it added are removed in a new commit and
    /// vacuumed): for a run that committed some tables and died before the rest.
    pub async fn roll_back_latest(&self, table: &str, run_id: &str) -> Result<Vec<String>, StoreError> {
        let Some(delta) = self.delta(table, At::Latest).await? else { return Ok(Vec::new()) };
        let err = delta_err(table, self);
        let version = delta.version().unwrap_or_default() as i64;
        let before: std::collections::HashSet<String> = match version {
            0 => Default::default(),
            v => match self.delta(table, At::Version(v - 1)).await? {
                Some(prev) => live_paths(&prev, table, self)?.into_iter().collect(),
                None => Default::default(),
            },
        };
        let snapshot = delta.snapshot().map_err(&err)?;
        let mut removed = Vec::new();
        let mut actions = Vec::new();
        for file in snapshot.log_data().iter() {
            if !before.contains(file.path().as_ref()) {
                removed.push(file.path().to_string());
                actions.push(Action::Remove(file.remove_action(true)));
            }
        }
        if actions.is_empty() {
            return Ok(removed);
        }
        let metadata = HashMap::from([("gongkai.rollback".to_string(), serde_json::Value::from(run_id))]);
        CommitBuilder::from(CommitProperties::default().with_metadata(metadata))
            .with_actions(actions)
            .build(Some(snapshot), delta.log_store(), DeltaOperation::Delete { predicate: None })
            .await
            .map_err(&err)?;
        self.vacuum(table, false).await?;
        Ok(removed)
    }

    /// Compact each partition's small files into files of about `target_bytes` (one commit), then
    /// vacuum what it replaced. Returns (files removed, files added, version).
    pub async fn optimize(&self, table: &str, target_bytes: u64) -> Result<Option<(u64, u64, i64)>, StoreError> {
        let Some(delta) = self.delta(table, At::Latest).await? else { return Ok(None) };
        let target = std::num::NonZeroU64::new(target_bytes.max(1)).expect("nonzero");
        let props = super::writer_properties(super::Packing::Compacted).build();
        let (delta, metrics) = delta
            .optimize()
            .with_target_size(target)
            .with_writer_properties(props)
            .await
            .map_err(delta_err(table, self))?;
        let version = delta.version().unwrap_or_default() as i64;
        self.vacuum(table, false).await?;
        Ok(Some((metrics.num_files_removed, metrics.num_files_added, version)))
    }
}

/// The rows of a file the writer added, from the statistics it recorded.
fn rows_of_add(add: &Add) -> usize {
    let stats = add.stats.as_deref().and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
    stats.and_then(|s| s.get("numRecords").and_then(|n| n.as_u64())).unwrap_or(0) as usize
}

/// The live files of a loaded table, relative to the table.
fn live_paths(delta: &DeltaTable, table: &str, wh: &Warehouse) -> Result<Vec<String>, StoreError> {
    let snapshot = delta.snapshot().map_err(delta_err(table, wh))?;
    Ok(snapshot.log_data().iter().map(|f| f.path().to_string()).collect())
}

/// New files of one table, written as batches arrive and committed once.
pub struct TableWriter {
    table: String,
    delta: DeltaTable,
    writer: RecordBatchWriter,
    adds: Vec<Add>,
    rows: usize,
}

impl TableWriter {
    /// Write rows of one or more partitions (the batch carries its partition columns).
    pub async fn write(&mut self, batch: RecordBatch) -> Result<(), StoreError> {
        self.rows += batch.num_rows();
        let path = self.table.clone();
        self.writer.write(batch).await.map_err(|e| StoreError::Delta { path, reason: e.to_string() })
    }

    /// Close the files written so far (their rows leave memory); they stay invisible until the
    /// commit.
    pub async fn flush(&mut self) -> Result<(), StoreError> {
        let path = self.table.clone();
        let adds = self.writer.flush().await.map_err(|e| StoreError::Delta { path, reason: e.to_string() })?;
        self.adds.extend(adds);
        Ok(())
    }

    /// The files closed so far, relative to the table (for removing them when a run stops
    /// before its commit).
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.adds.iter().map(|a| a.path.as_str())
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Stop without committing: the open files are aborted and the closed ones deleted, so no
    /// file of the table is left that no commit added.
    pub async fn abandon(mut self, wh: &Warehouse) {
        self.writer.reset();
        for file in self.files() {
            let _ = wh.delete(&format!("{}/{file}", self.table)).await;
        }
    }
}

/// One table's commit.
#[derive(Debug, Clone)]
pub struct Committed {
    pub table: String,
    /// The table's version after the commit (unchanged when nothing was committed).
    pub version: i64,
    /// Files added (relative to the table) and their rows.
    pub written: Vec<(String, usize)>,
    /// Files the commit removed (replace only).
    pub removed: Vec<String>,
    pub rows: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;

    fn rows(n: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![n]))]).unwrap();
        add_partition_columns(&batch, "province_code=62/year=2023").unwrap()
    }

    /// Two writers that both started from one version: appends do not conflict (the second is
    /// committed on top of the first), but a replacing commit after another writer's commit fails
    /// cleanly instead of dropping that writer's rows.
    #[tokio::test]
    async fn concurrent_writers_append_or_fail_cleanly() {
        let wh = Warehouse::open("memory://", &[]).unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let (mut a, mut b) =
            (wh.table_writer("t", &schema).await.unwrap(), wh.table_writer("t", &schema).await.unwrap());
        a.write(rows(1)).await.unwrap();
        b.write(rows(2)).await.unwrap();
        assert_eq!(wh.commit(a, false, "run-a").await.unwrap().version, 1);
        assert_eq!(wh.commit(b, false, "run-b").await.unwrap().version, 2);
        assert_eq!(wh.live_files("t").await.unwrap().len(), 2);

        let (mut c, mut d) =
            (wh.table_writer("t", &schema).await.unwrap(), wh.table_writer("t", &schema).await.unwrap());
        c.write(rows(3)).await.unwrap();
        d.write(rows(4)).await.unwrap();
        wh.commit(c, false, "run-c").await.unwrap();
        let err = wh.commit(d, true, "run-d").await.unwrap_err();
        assert!(matches!(err, StoreError::Delta { .. }), "{err}");
        assert_eq!(wh.live_files("t").await.unwrap().len(), 3, "the replacing writer changed nothing");
        assert_eq!(wh.data_files("t").await.unwrap().len(), 3, "nor left its file behind");
    }
}
