//! The warehouse on object storage: URL → ObjectStore (one function), partition paths (one
//! function), Parquet read and write, the Delta tables ([`delta`]), write-then-publish of the
//! one-file tables, the raw archive.
//!
//! The partitioned tables are Delta tables: files appear to readers by commit. The one-file tables
//! (`quarantine`, `bodies`) are written apart from publishing: [`Warehouse::write_staged`] writes a
//! complete Parquet file under `_staging/<run>/…` and returns a [`Staged`]; [`Warehouse::publish`]
//! renames it to its final name. Readers never see a partial file: on a local disk the rename is
//! atomic, on S3 the final object appears whole (server-side copy) or not at all.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::error::ArrowError;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use parquet::arrow::AsyncArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

pub mod delta;
pub use delta::{At, Committed, PARTITION_COLUMNS, TableWriter};

/// The `created_by` written into every Parquet footer: fixed, so that rewriting the same rows gives
/// the same bytes whatever the library version.
pub const CREATED_BY: &str = "gongkai";

/// Where staged files are written before they are published.
pub const STAGING: &str = "_staging";

/// The quarantine table: one file, not partitioned.
pub const QUARANTINE_FILE: &str = "quarantine/part-0.parquet";

/// The bodies table: one file, rewritten from the `reports` rows by every run that writes reports.
pub const BODIES_FILE: &str = "bodies/part-0.parquet";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{uri}: not a warehouse URL: {reason}")]
    BadUrl { uri: String, reason: String },
    #[error("{uri}: unsupported storage scheme `{scheme}` (use a path, file://, memory:// or s3://)")]
    Scheme { uri: String, scheme: String },
    #[error("{path}: {source}")]
    Object { path: String, source: object_store::Error },
    #[error("{path}: Parquet: {source}")]
    Parquet { path: String, source: ParquetError },
    #[error("{path}: Arrow: {source}")]
    Arrow { path: String, source: ArrowError },
    #[error("{path}: cannot create the warehouse directory: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: Delta table: {reason}")]
    Delta { path: String, reason: String },
    #[error("{uri}: no such directory (only ingest, rebuild and pipeline runs create a warehouse)")]
    Missing { uri: String },
}

/// An object store and the prefix the warehouse lives under.
#[derive(Debug, Clone)]
pub struct Warehouse {
    store: Arc<dyn ObjectStore>,
    root: Path,
    uri: String,
    /// The directory of a local warehouse: renames out of staging leave empty folders that object
    /// stores do not see, so they are removed on disk.
    local_dir: Option<std::path::PathBuf>,
}

/// The directory a plain path or `file://` URL names.
fn local_dir(uri: &str) -> Option<std::path::PathBuf> {
    match uri.split_once("://") {
        None => Some(std::path::PathBuf::from(uri)),
        Some(("file", _)) => url::Url::parse(uri).ok()?.to_file_path().ok(),
        Some(_) => None,
    }
}

/// A store chosen by URL scheme, for reading: a plain path or `file://` (which must exist),
/// `memory://` (a fresh in-memory store), `s3://bucket/prefix` (credentials, region, endpoint and
/// allow-http from the standard `AWS_*` environment variables, then `options` as `aws_…` config
/// keys). The one place that maps schemes to stores.
pub fn open_url(uri: &str, options: &[(String, String)]) -> Result<(Arc<dyn ObjectStore>, Path), StoreError> {
    open_store(uri, options, false)
}

/// [`open_url`]; with `create`, a missing local directory is created (writing commands only, so
/// that a mistyped path on a reading command is an error, not a new empty warehouse).
fn open_store(
    uri: &str,
    options: &[(String, String)],
    create: bool,
) -> Result<(Arc<dyn ObjectStore>, Path), StoreError> {
    let bad = |reason: String| StoreError::BadUrl { uri: uri.to_string(), reason };
    let Some((scheme, _)) = uri.split_once("://") else {
        return local(uri, std::path::Path::new(uri), create);
    };
    let url = url::Url::parse(uri).map_err(|e| bad(e.to_string()))?;
    let prefix = || Path::parse(url.path().trim_matches('/')).map_err(|e| bad(e.to_string()));
    match scheme {
        "file" => {
            let path = url.to_file_path().map_err(|_| bad("not an absolute file path".into()))?;
            local(uri, &path, create)
        }
        "memory" => {
            let prefix = Path::parse(format!("{}{}", url.host_str().unwrap_or(""), url.path()).trim_matches('/'))
                .map_err(|e| bad(e.to_string()))?;
            Ok((Arc::new(InMemory::new()), prefix))
        }
        "s3" | "s3a" => {
            let bucket = url.host_str().ok_or_else(|| bad("no bucket".into()))?;
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
            for (key, value) in options {
                let key: AmazonS3ConfigKey = key.parse().map_err(|e: object_store::Error| bad(e.to_string()))?;
                builder = builder.with_config(key, value);
            }
            let store = builder.build().map_err(|source| StoreError::Object { path: uri.to_string(), source })?;
            Ok((Arc::new(store), prefix()?))
        }
        other => Err(StoreError::Scheme { uri: uri.to_string(), scheme: other.to_string() }),
    }
}

fn local(uri: &str, dir: &std::path::Path, create: bool) -> Result<(Arc<dyn ObjectStore>, Path), StoreError> {
    if create {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io { path: uri.to_string(), source })?;
    } else if !dir.is_dir() {
        return Err(StoreError::Missing { uri: uri.to_string() });
    }
    // Automatic cleanup removes directories a delete leaves empty, so finished runs leave no empty
    // staging folders behind for readers that walk the tree.
    let store = LocalFileSystem::new_with_prefix(dir)
        .map_err(|source| StoreError::Object { path: uri.to_string(), source })?
        .with_automatic_cleanup(true);
    Ok((Arc::new(store), Path::default()))
}

/// The partition directory of a report, relative to its table: `province_code=NN/year=YYYY`, as
/// the Delta writer names it from the partition values. An unknown province is `00`; an unknown
/// year is `0`.
pub fn partition(province_code: Option<&str>, year: Option<i32>) -> String {
    let province = province_code.filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_digit())).unwrap_or("00");
    format!("province_code={province}/year={}", year.filter(|y| (0..=9999).contains(y)).unwrap_or(0))
}

/// The partition directory of a table's data file `TABLE/province_code=NN/year=YYYY/NAME`.
pub fn partition_of_file<'a>(table: &str, rel: &'a str) -> &'a str {
    let rel = rel.strip_prefix(table).and_then(|r| r.strip_prefix('/')).unwrap_or(rel);
    rel.rsplit_once('/').map_or(rel, |(dir, _)| dir)
}

/// The province code and year of a partition directory; `00` and 0 when unknown.
pub fn partition_values(partition: &str) -> (String, i32) {
    let value = |key: &str| partition.split('/').find_map(|p| p.strip_prefix(key)).unwrap_or_default();
    let province = value("province_code=");
    (if province.is_empty() { "00".into() } else { province.to_string() }, value("year=").parse().unwrap_or(0))
}

/// The year of a partition directory (`province_code=NN/year=YYYY`); 0 when unknown.
pub fn partition_year(partition: &str) -> i32 {
    partition_values(partition).1
}

/// Whether `rel` is a data file of a partitioned table (not its Delta log).
pub fn is_data_file(table: &str, rel: &str) -> bool {
    rel.ends_with(".parquet") && !rel.starts_with(&format!("{table}/_delta_log/"))
}

/// A file written under the staging prefix, not yet visible.
#[derive(Debug, Clone)]
pub struct Staged {
    /// Final path, relative to the warehouse root.
    pub target: String,
    staging: Path,
    pub rows: usize,
}

impl Warehouse {
    /// Open the warehouse at `uri` for writing (see [`open_url`]); a local directory is created
    /// when missing.
    pub fn open(uri: &str, options: &[(String, String)]) -> Result<Self, StoreError> {
        let (store, root) = open_store(uri, options, true)?;
        Ok(Warehouse { store, root, uri: uri.to_string(), local_dir: local_dir(uri) })
    }

    /// Open an existing warehouse for reading: a local directory that does not exist is an error.
    pub fn open_existing(uri: &str, options: &[(String, String)]) -> Result<Self, StoreError> {
        let (store, root) = open_store(uri, options, false)?;
        Ok(Warehouse { store, root, uri: uri.to_string(), local_dir: local_dir(uri) })
    }

    /// A warehouse over an existing store (tests share one `memory://` store between runs this way).
    pub fn new(store: Arc<dyn ObjectStore>, root: Path, uri: impl Into<String>) -> Self {
        let uri = uri.into();
        Warehouse { store, root, local_dir: local_dir(&uri), uri }
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// The absolute store path of `rel` (a `/`-separated path relative to the warehouse root).
    pub fn path(&self, rel: &str) -> Path {
        self.root.parts().chain(Path::from_iter(rel.split('/').filter(|p| !p.is_empty())).parts()).collect()
    }

    fn relative(&self, path: &Path) -> String {
        path.prefix_match(&self.root)
            .map(|parts| parts.map(|p| p.as_ref().to_string()).collect::<Vec<_>>().join("/"))
            .unwrap_or_else(|| path.to_string())
    }

    fn object_err(&self, path: &Path) -> impl FnOnce(object_store::Error) -> StoreError + '_ {
        let path = format!("{}/{}", self.uri.trim_end_matches('/'), self.relative(path));
        move |source| StoreError::Object { path, source }
    }

    /// The bytes at `rel`, or `None` when there is no such object.
    pub async fn get(&self, rel: &str) -> Result<Option<Bytes>, StoreError> {
        let path = self.path(rel);
        match self.store.get(&path).await {
            Ok(got) => Ok(Some(got.bytes().await.map_err(self.object_err(&path))?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.object_err(&path)(e)),
        }
    }

    pub async fn put(&self, rel: &str, bytes: Bytes) -> Result<(), StoreError> {
        let path = self.path(rel);
        self.store.put(&path, PutPayload::from(bytes)).await.map_err(self.object_err(&path))?;
        Ok(())
    }

    /// Store `bytes` at `rel` unless an object is already there (raw files are named by their hash,
    /// so an existing one holds the same bytes). Returns whether it wrote.
    pub async fn put_if_absent(&self, rel: &str, bytes: Bytes) -> Result<bool, StoreError> {
        let path = self.path(rel);
        match self.store.head(&path).await {
            Ok(_) => Ok(false),
            Err(object_store::Error::NotFound { .. }) => {
                self.store.put(&path, PutPayload::from(bytes)).await.map_err(self.object_err(&path))?;
                Ok(true)
            }
            Err(e) => Err(self.object_err(&path)(e)),
        }
    }

    pub async fn delete(&self, rel: &str) -> Result<(), StoreError> {
        let path = self.path(rel);
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.object_err(&path)(e)),
        }
    }

    /// Every object under `prefix` (relative paths, sorted).
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let path = self.path(prefix);
        let metas: Vec<_> = self.store.list(Some(&path)).try_collect().await.map_err(self.object_err(&path))?;
        let set: BTreeSet<String> = metas.iter().map(|m| self.relative(&m.location)).collect();
        Ok(set.into_iter().collect())
    }

    /// The rows of the Parquet file at `rel`, or `None` when it does not exist.
    pub async fn read_parquet(&self, rel: &str) -> Result<Option<RecordBatch>, StoreError> {
        let Some(bytes) = self.get(rel).await? else { return Ok(None) };
        let path = rel.to_string();
        let perr = |source| StoreError::Parquet { path: path.clone(), source };
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(perr)?;
        let schema = builder.schema().clone();
        let batches: Vec<RecordBatch> = builder
            .build()
            .map_err(perr)?
            .collect::<Result<_, _>>()
            .map_err(|source| StoreError::Arrow { path: path.clone(), source })?;
        let batch =
            concat_batches(&schema, &batches).map_err(|source| StoreError::Arrow { path: path.clone(), source })?;
        Ok(Some(plain_strings(batch).map_err(|source| StoreError::Arrow { path, source })?))
    }

    /// The value of `key` in the footer metadata of the Parquet file at `rel` (`None` when the file
    /// or the key is missing).
    pub async fn footer_value(&self, rel: &str, key: &str) -> Result<Option<String>, StoreError> {
        let Some(bytes) = self.get(rel).await? else { return Ok(None) };
        let perr = |source| StoreError::Parquet { path: rel.to_string(), source };
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(perr)?;
        let pairs = builder.metadata().file_metadata().key_value_metadata();
        Ok(pairs.and_then(|kv| kv.iter().find(|p| p.key == key).and_then(|p| p.value.clone())))
    }

    /// Only the columns `columns` of the Parquet file at `rel` (`None` when it does not exist):
    /// the other columns are never decoded, so reading the ids of a large table stays small.
    pub async fn read_parquet_columns(&self, rel: &str, columns: &[&str]) -> Result<Option<RecordBatch>, StoreError> {
        let Some(bytes) = self.get(rel).await? else { return Ok(None) };
        let perr = |source| StoreError::Parquet { path: rel.to_string(), source };
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(perr)?;
        let mask = parquet::arrow::ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
        let reader = builder.with_projection(mask).build().map_err(perr)?;
        let schema = arrow::array::RecordBatchReader::schema(&reader);
        let batches: Vec<RecordBatch> =
            reader.collect::<Result<_, _>>().map_err(|source| StoreError::Arrow { path: rel.to_string(), source })?;
        let batch = concat_batches(&schema, &batches)
            .and_then(plain_strings)
            .map_err(|source| StoreError::Arrow { path: rel.to_string(), source })?;
        Ok(Some(batch))
    }

    /// The data files of a partitioned table, relative to the warehouse root: once a command has
    /// finished (vacuumed), exactly the table's live rows.
    pub async fn data_files(&self, table: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.list(table).await?.into_iter().filter(|rel| is_data_file(table, rel)).collect())
    }

    /// Every row of a partitioned table's data files (only `columns` when given), each batch with
    /// its partition directory.
    pub async fn read_data_files(
        &self,
        table: &str,
        columns: Option<&[&str]>,
    ) -> Result<Vec<(String, RecordBatch)>, StoreError> {
        let mut out = Vec::new();
        for rel in self.data_files(table).await? {
            let batch = match columns {
                Some(columns) => self.read_parquet_columns(&rel, columns).await?,
                None => self.read_parquet(&rel).await?,
            };
            if let Some(batch) = batch {
                out.push((partition_of_file(table, &rel).to_string(), batch));
            }
        }
        Ok(out)
    }

    /// Write `batch` as zstd Parquet under the staging prefix of `run`; nothing is visible yet.
    pub async fn write_staged(&self, run: &str, target: &str, batch: &RecordBatch) -> Result<Staged, StoreError> {
        self.write_staged_with(run, target, batch, Vec::new()).await
    }

    /// [`Warehouse::write_staged`] with key-value metadata in the file's footer.
    pub async fn write_staged_with(
        &self,
        run: &str,
        target: &str,
        batch: &RecordBatch,
        metadata: Vec<(String, String)>,
    ) -> Result<Staged, StoreError> {
        let staging = self.path(&format!("{STAGING}/{run}/{target}"));
        let perr = |source| StoreError::Parquet { path: target.to_string(), source };
        let metadata = metadata.into_iter().map(|(k, v)| parquet::file::metadata::KeyValue::new(k, v)).collect();
        let props = writer_properties(Packing::Compacted).set_key_value_metadata(Some(metadata)).build();
        let out = BufWriter::new(self.store.clone(), staging.clone());
        let mut writer = AsyncArrowWriter::try_new(out, batch.schema(), Some(props)).map_err(perr)?;
        writer.write(batch).await.map_err(perr)?;
        writer.close().await.map_err(perr)?;
        Ok(Staged { target: target.to_string(), staging, rows: batch.num_rows() })
    }

    /// Make a staged file visible under its final name (rename: the old file or the new one, never
    /// a partial one).
    pub async fn publish(&self, staged: &Staged) -> Result<(), StoreError> {
        let target = self.path(&staged.target);
        self.store.rename(&staged.staging, &target).await.map_err(self.object_err(&target))
    }

    /// Remove what interrupted runs left under the staging prefix.
    pub async fn clear_staging(&self) -> Result<usize, StoreError> {
        let left = self.list(STAGING).await?;
        for rel in &left {
            self.delete(rel).await?;
        }
        if let Some(dir) = &self.local_dir {
            remove_empty_dirs(&dir.join(STAGING));
        }
        Ok(left.len())
    }
}

/// What a Parquet file of the warehouse is, for how it is compressed.
#[derive(Clone, Copy)]
enum Packing {
    /// A table file a run appends: a partition's share of one run, small, each of its hundreds of
    /// columns setting up a codec of its own. zstd's setup (a compression and a decompression
    /// context per column) costs more than it saves there, so LZ4: a 1,000-report run into
    /// 100,000 took 7.1 s with zstd and 5.6 s with LZ4, for files of the same size (BENCHMARKS.md).
    Run,
    /// A file `optimize` compacts, or one file of a whole table: zstd level 3.
    Compacted,
}

/// How every Parquet file of the warehouse is written: compressed as `packing` says, a fixed
/// `created_by`.
fn writer_properties(packing: Packing) -> parquet::file::properties::WriterPropertiesBuilder {
    let compression = match packing {
        Packing::Run => Compression::LZ4_RAW,
        Packing::Compacted => Compression::ZSTD(ZstdLevel::try_new(3).expect("zstd level 3 is valid")),
    };
    WriterProperties::builder().set_compression(compression).set_created_by(CREATED_BY.to_string())
}

/// `batch` with its string-view columns as plain strings: files `optimize` compacted (through
/// DataFusion) record their strings as views, and every reader of gongkai expects the warehouse
/// schemas.
fn plain_strings(batch: RecordBatch) -> Result<RecordBatch, ArrowError> {
    use arrow::datatypes::{DataType, Field, Schema};
    if !batch.schema().fields().iter().any(|f| f.data_type() == &DataType::Utf8View) {
        return Ok(batch);
    }
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if field.data_type() == &DataType::Utf8View {
            fields.push(Field::new(field.name(), DataType::Utf8, field.is_nullable()));
            columns.push(arrow::compute::cast(column, &DataType::Utf8)?);
        } else {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
        }
    }
    RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), columns)
}

/// Remove `dir` and the folders below it when they hold no files; anything else stays.
fn remove_empty_dirs(dir: &std::path::Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_empty_dirs(&entry.path());
            }
        }
        // Fails, harmlessly, when files remain.
        let _ = std::fs::remove_dir(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_a_missing_warehouse_is_an_error_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let typo = dir.path().join("warehuose");
        let path = typo.display().to_string();
        let err = Warehouse::open_existing(&path, &[]).unwrap_err();
        assert!(matches!(err, StoreError::Missing { .. }), "{err}");
        let url = url::Url::from_directory_path(&typo).unwrap().to_string();
        assert!(matches!(open_url(&url, &[]), Err(StoreError::Missing { .. })));
        assert!(!typo.exists(), "reading created nothing");
        Warehouse::open(&path, &[]).unwrap();
        assert!(typo.is_dir(), "writing creates the warehouse");
        Warehouse::open_existing(&path, &[]).unwrap();
        Warehouse::open_existing("memory://", &[]).unwrap();
    }
}
