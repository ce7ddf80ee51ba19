//! One query context over the warehouse: the Delta tables (with their partition columns), the
//! one-file Parquet tables and the views of `sql/`, registered in dependency order. Every way of querying (`gongkai query`,
//! `gongkai sql`, servers) starts from [`open`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::convert;
use crate::store::{self, At, Warehouse};

/// The view SQL shipped with gongkai: `sql/*.sql`, embedded so the binary runs from anywhere.
/// (A test checks this list against the folder.)
pub const EMBEDDED_VIEWS: &[(&str, &str)] = &[
    ("agency_trends", include_str!("../../sql/agency_trends.sql")),
    ("applicant_mix", include_str!("../../sql/applicant_mix.sql")),
    ("body_gaps", include_str!("../../sql/body_gaps.sql")),
    ("body_years", include_str!("../../sql/body_years.sql")),
    ("conflicts", include_str!("../../sql/conflicts.sql")),
    ("continuity", include_str!("../../sql/continuity.sql")),
    ("coverage", include_str!("../../sql/coverage.sql")),
    ("data_quality", include_str!("../../sql/data_quality.sql")),
    ("duplicates", include_str!("../../sql/duplicates.sql")),
    ("national_trend", include_str!("../../sql/national_trend.sql")),
    ("outcome_mix", include_str!("../../sql/outcome_mix.sql")),
    ("province_year_trends", include_str!("../../sql/province_year_trends.sql")),
    ("report_metrics", include_str!("../../sql/report_metrics.sql")),
];

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("table {table}: {source}")]
    Table { table: String, source: DataFusionError },
    #[error("view {view} ({origin}): {source}")]
    View { view: String, origin: String, source: DataFusionError },
    #[error("views {0}: each depends on a view that is missing or on one another")]
    Unresolved(String),
    #[error("{path}: cannot read view SQL: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}: written by an earlier gongkai without the tables the views read; run `gongkai rebuild`")]
    Outdated(String),
    #[error("--as-of: {0}")]
    AsOf(String),
    #[error("{0}")]
    DataFusion(#[from] DataFusionError),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
}

/// One view: its name (the file name) and its SQL (`CREATE VIEW name AS …`).
#[derive(Debug, Clone)]
pub struct ViewSql {
    pub name: String,
    pub sql: String,
    /// Where the SQL came from, for error messages.
    pub origin: String,
}

/// The views shipped with the binary.
pub fn embedded_views() -> Vec<ViewSql> {
    EMBEDDED_VIEWS
        .iter()
        .map(|(name, sql)| ViewSql { name: name.to_string(), sql: sql.to_string(), origin: format!("sql/{name}.sql") })
        .collect()
}

/// The views in a folder of `NAME.sql` files (`--sql-dir`), in name order.
pub fn views_from_dir(dir: &Path) -> Result<Vec<ViewSql>, CatalogError> {
    let io = |source| CatalogError::Io { path: dir.display().to_string(), source };
    // An entry that cannot be read may be a view: an error, not a view silently missing.
    let mut paths: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(io)?.map(|e| e.map(|e| e.path())).collect::<Result<Vec<_>, _>>().map_err(io)?;
    paths.retain(|p| p.extension().is_some_and(|e| e == "sql"));
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let sql = std::fs::read_to_string(&path)
                .map_err(|source| CatalogError::Io { path: path.display().to_string(), source })?;
            let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
            Ok(ViewSql { name, sql, origin: path.display().to_string() })
        })
        .collect()
}

/// Which state of the warehouse a query context reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AsOf {
    /// The latest state every table agrees on: a run that is committing its tables is not seen
    /// until it has committed `reports`, its last.
    #[default]
    Latest,
    /// The warehouse as it was at this version of `reports` (the warehouse version a run records
    /// in `runs`), with every other table as it was when that version was committed.
    Version(i64),
    /// The warehouse as it was at this time (µs since the epoch, UTC).
    Timestamp(i64),
}

impl std::str::FromStr for AsOf {
    type Err = String;

    /// A version number, or an RFC 3339 time (`2026-12-01T08:00:00Z`), or a date (`2026-12-01`,
    /// meaning its end, UTC).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Ok(v) = s.parse::<i64>() {
            return if v >= 0 { Ok(AsOf::Version(v)) } else { Err(format!("{s}: a version is 0 or more")) };
        }
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
            return Ok(AsOf::Timestamp(t.timestamp_micros()));
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            let end = d.and_hms_micro_opt(23, 59, 59, 999_999).expect("a valid time of day");
            return Ok(AsOf::Timestamp(end.and_utc().timestamp_micros()));
        }
        Err(format!("{s}: not a version number, an RFC 3339 time or a date (YYYY-MM-DD)"))
    }
}

/// A query context over the latest state of `wh` with every table and `views` registered.
pub async fn open(wh: &Warehouse, views: &[ViewSql]) -> Result<SessionContext, CatalogError> {
    open_as_of(wh, views, AsOf::Latest).await
}

/// A query context over `wh` as of `as_of`, with every table and `views` registered.
pub async fn open_as_of(wh: &Warehouse, views: &[ViewSql], as_of: AsOf) -> Result<SessionContext, CatalogError> {
    let mut config = SessionConfig::new().with_information_schema(true);
    // Strings stay Utf8 as written (not Utf8View), so results match the warehouse schemas.
    config.options_mut().execution.parquet.schema_force_view_types = false;
    let ctx = SessionContext::new_with_config(config);
    let base = table_base_url(wh)?;
    if !base.starts_with("file://") {
        let url = url::Url::parse(&base).map_err(|e| DataFusionError::External(Box::new(e)))?;
        let store_url = url::Url::parse(&format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")))
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        ctx.register_object_store(&store_url, wh.store());
    }
    // A warehouse of plain Parquet tables (before Delta), or with reports but no facts: the
    // views would read nothing or every number as NULL, which is never silent.
    for table in ["reports", "facts"] {
        if wh.is_plain_parquet(table).await? {
            return Err(CatalogError::Outdated(wh.uri().to_string()));
        }
    }
    let deltas = delta_tables(wh, as_of).await?;
    if deltas.contains_key("reports") && !deltas.contains_key("facts") {
        return Err(CatalogError::Outdated(wh.uri().to_string()));
    }
    for (table, schema) in [
        ("reports", convert::reports_schema()),
        ("cells", convert::cells_schema()),
        ("checks", convert::checks_schema()),
        ("facts", convert::facts_schema()),
    ] {
        let err = |source| CatalogError::Table { table: table.to_string(), source };
        let provider: Arc<dyn TableProvider> = match deltas.get(table) {
            Some(delta) => {
                delta
                    .update_datafusion_session(&ctx.state())
                    .map_err(|e| err(DataFusionError::External(Box::new(e))))?;
                delta.table_provider().await.map_err(|e| err(DataFusionError::External(Box::new(e))))?
            }
            None => {
                let schema = store::delta::with_partition_columns(&schema);
                Arc::new(MemTable::try_new(schema, vec![vec![]]).map_err(err)?)
            }
        };
        ctx.register_table(table, provider).map_err(err)?;
    }
    for (table, schema) in [
        ("quarantine", convert::quarantine_schema()),
        ("bodies", convert::bodies_schema()),
        ("runs", convert::runs_schema()),
    ] {
        let has_files = wh.list(table).await?.iter().any(|rel| rel.ends_with(".parquet"));
        register_table(&ctx, &base, table, schema, has_files)?;
    }
    register_views(&ctx, views).await?;
    Ok(ctx)
}

/// The partitioned tables that have a Delta log, each loaded at the state `as_of` names.
async fn delta_tables(
    wh: &Warehouse,
    as_of: AsOf,
) -> Result<std::collections::HashMap<&'static str, deltalake_core::DeltaTable>, CatalogError> {
    let mut out = std::collections::HashMap::new();
    let at = match as_of {
        AsOf::Latest => At::Latest,
        AsOf::Version(v) => At::Version(v),
        AsOf::Timestamp(t) => At::Timestamp(t),
    };
    let Some(reports) = wh.delta("reports", at).await? else {
        if as_of != AsOf::Latest {
            return Err(CatalogError::AsOf(format!("{}: the warehouse has no versions yet", wh.uri())));
        }
        // No reports yet: the other tables as they are (normally empty as well).
        for table in ["cells", "checks", "facts"] {
            if let Some(t) = wh.delta(table, At::Latest).await? {
                out.insert(table, t);
            }
        }
        return Ok(out);
    };
    let version = reports.version().unwrap_or_default() as i64;
    let committed = wh.commit_time("reports", version).await?;
    if let (AsOf::Timestamp(t), Some(ms)) = (as_of, committed)
        && ms * 1000 > t
    {
        let when = chrono::DateTime::from_timestamp_micros(t).unwrap_or_default().to_rfc3339();
        return Err(CatalogError::AsOf(format!("{}: the warehouse has no version at or before {when}", wh.uri())));
    }
    let reports_runs: BTreeSet<String> = match as_of {
        AsOf::Latest => wh.runs_of(&reports, "reports", 20).await?.into_iter().flatten().collect(),
        _ => BTreeSet::new(),
    };
    for table in ["cells", "checks", "facts"] {
        let pinned = match (as_of, committed) {
            // Each table as it was when this version of `reports` was committed (tables are
            // committed `reports` last, so that is the same run's commit).
            (AsOf::Version(_) | AsOf::Timestamp(_), Some(ms)) => wh.delta(table, At::Timestamp(ms * 1000)).await?,
            (AsOf::Version(_) | AsOf::Timestamp(_), None) => {
                return Err(CatalogError::AsOf(format!("{}: no commit time for version {version}", wh.uri())));
            }
            (AsOf::Latest, _) => {
                let latest = wh.delta(table, At::Latest).await?;
                // A run committing right now: its commit of this table is not seen until its
                // commit of `reports` is.
                let last_run = match &latest {
                    Some(t) => wh.runs_of(t, table, 1).await?.into_iter().next().flatten(),
                    None => None,
                };
                match (&latest, last_run) {
                    (Some(t), Some(run)) if !reports_runs.contains(&run) => {
                        let v = t.version().unwrap_or_default() as i64;
                        if v > 0 { wh.delta(table, At::Version(v - 1)).await? } else { None }
                    }
                    _ => latest,
                }
            }
        };
        if let Some(t) = pinned {
            out.insert(table, t);
        }
    }
    out.insert("reports", reports);
    if as_of != AsOf::Latest {
        // Commits since then may have replaced files (rebuild, optimize) that were deleted once
        // they were no live rows: such a state is gone, which is said, not read half.
        for (table, delta) in &out {
            let present: BTreeSet<String> = wh.data_files(table).await?.into_iter().collect();
            if wh.snapshot_files(delta, table)?.iter().any(|f| !present.contains(f)) {
                let version = delta.version().unwrap_or_default();
                return Err(CatalogError::AsOf(format!(
                    "{}: version {version} of {table} reads files that a later rebuild or optimize replaced and removed; it can no longer be read",
                    wh.uri()
                )));
            }
        }
    }
    Ok(out)
}

/// The URL under which the warehouse's tables live, ending in `/`.
fn table_base_url(wh: &Warehouse) -> Result<String, CatalogError> {
    let uri = wh.uri();
    let base = match uri.split_once("://") {
        None => {
            let abs = std::path::absolute(uri).map_err(|source| CatalogError::Io { path: uri.to_string(), source })?;
            url::Url::from_directory_path(&abs)
                .map_err(|_| CatalogError::Unresolved(format!("warehouse path {uri} is not absolute")))?
                .to_string()
        }
        Some(_) => uri.to_string(),
    };
    Ok(if base.ends_with('/') { base } else { format!("{base}/") })
}

/// A table of the Parquet files under `TABLE/` (`quarantine/`, `bodies/`, `runs/`). An empty table
/// when there are no files yet.
fn register_table(
    ctx: &SessionContext,
    base: &str,
    table: &str,
    schema: SchemaRef,
    has_files: bool,
) -> Result<(), CatalogError> {
    let err = |source| CatalogError::Table { table: table.to_string(), source };
    if !has_files {
        let empty = MemTable::try_new(schema, vec![vec![]]).map_err(err)?;
        ctx.register_table(table, Arc::new(empty)).map_err(err)?;
        return Ok(());
    }
    let url = ListingTableUrl::parse(format!("{base}{table}/")).map_err(err)?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new(url).with_listing_options(options).with_schema(schema);
    ctx.register_table(table, Arc::new(ListingTable::try_new(config).map_err(err)?)).map_err(err)?;
    Ok(())
}

/// Register views so that each comes after the views it reads (found by name in its SQL).
async fn register_views(ctx: &SessionContext, views: &[ViewSql]) -> Result<(), CatalogError> {
    for view in dependency_order(views)? {
        let df = ctx.sql(&view.sql).await.map_err(|source| CatalogError::View {
            view: view.name.clone(),
            origin: view.origin.clone(),
            source,
        })?;
        // CREATE VIEW registers on planning; collecting the (empty) result completes it.
        df.collect().await.map_err(|source| CatalogError::View {
            view: view.name.clone(),
            origin: view.origin.clone(),
            source,
        })?;
    }
    Ok(())
}

/// Plan every view against an empty warehouse (no storage touched) and return every error, each
/// naming its view and file: `gongkai check` runs this before the views meet real data.
pub async fn check_views(views: &[ViewSql]) -> Vec<String> {
    let wh = Warehouse::new(Arc::new(object_store::memory::InMemory::new()), Default::default(), "memory://");
    let ctx = match open(&wh, &[]).await {
        Ok(ctx) => ctx,
        Err(e) => return vec![e.to_string()],
    };
    let ordered = match dependency_order(views) {
        Ok(ordered) => ordered,
        Err(e) => return vec![e.to_string()],
    };
    let mut errors = Vec::new();
    for view in ordered {
        let planned = match ctx.sql(&view.sql).await {
            Ok(df) => df.collect().await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = planned {
            errors.push(format!("{}: view {}: {e}", view.origin, view.name));
        }
    }
    errors
}

/// The views ordered so that every view follows the views its SQL names.
pub fn dependency_order(views: &[ViewSql]) -> Result<Vec<&ViewSql>, CatalogError> {
    let names: BTreeSet<&str> = views.iter().map(|v| v.name.as_str()).collect();
    let deps =
        |v: &ViewSql| -> Vec<&str> { names.iter().copied().filter(|n| *n != v.name && mentions(&v.sql, n)).collect() };
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut ordered = Vec::new();
    while ordered.len() < views.len() {
        let ready: Vec<&ViewSql> = views
            .iter()
            .filter(|v| !done.contains(v.name.as_str()) && deps(v).iter().all(|d| done.contains(d)))
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = views.iter().map(|v| v.name.as_str()).filter(|n| !done.contains(n)).collect();
            return Err(CatalogError::Unresolved(stuck.join(", ")));
        }
        for v in ready {
            done.insert(v.name.as_str());
            ordered.push(v);
        }
    }
    Ok(ordered)
}

/// Whether `sql` uses the identifier `name` (a whole word, outside `--` comments).
fn mentions(sql: &str, name: &str) -> bool {
    sql.lines().map(|l| l.split("--").next().unwrap_or("")).any(|line| {
        line.match_indices(name).any(|(at, _)| {
            let before = line[..at].chars().next_back();
            let after = line[at + name.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !word(before) && !word(after)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(name: &str, sql: &str) -> ViewSql {
        ViewSql { name: name.into(), sql: sql.into(), origin: name.into() }
    }

    #[test]
    fn views_follow_the_views_they_read() {
        let views = [
            view("b", "CREATE VIEW b AS SELECT * FROM a -- not c"),
            view("a", "CREATE VIEW a AS SELECT * FROM reports"),
            view("c", "CREATE VIEW c AS SELECT * FROM b JOIN a_x ON true"),
        ];
        let order: Vec<&str> = dependency_order(&views).unwrap().iter().map(|v| v.name.as_str()).collect();
        assert_eq!(order, ["a", "b", "c"]);
        let cycle = [view("x", "SELECT * FROM y"), view("y", "SELECT * FROM x")];
        assert!(matches!(dependency_order(&cycle), Err(CatalogError::Unresolved(_))));
    }

    #[test]
    fn embedded_views_are_the_sql_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
        let on_disk: Vec<String> = views_from_dir(&dir).unwrap().into_iter().map(|v| v.name).collect();
        let embedded: Vec<String> = embedded_views().into_iter().map(|v| v.name).collect();
        assert_eq!(on_disk, embedded, "add new sql/ files to EMBEDDED_VIEWS");
        for v in embedded_views() {
            assert!(v.sql.contains(&format!("CREATE VIEW {} AS", v.name)), "{} creates its own name", v.name);
            assert!(v.sql.trim_start().starts_with("--"), "{} opens with a comment", v.name);
        }
    }
}
