//! Servers over the one catalog of [`crate::catalog::open`]: the PostgreSQL wire protocol
//! ([`pg`]) for BI tools and scripts, and the dashboard ([`http`]) for people. They register no
//! tables of their own.
//!
//! [`Live`] keeps the catalog in step with the warehouse: before each statement the Delta logs and
//! the one-file tables' folders are listed, and when a run has committed or published since the
//! catalog was opened it is opened again, so new queries see new data without a restart.

pub mod auth;
mod catalog_sql;
mod chart;
mod dashboard;
mod functions;
pub mod guard;
mod html;
pub mod http;
pub mod pg;
mod printed;

use std::sync::Arc;

use datafusion::datasource::TableType;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::SessionContext;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::setup_pg_catalog;
use futures::TryStreamExt;

use crate::catalog::{self, CatalogError, ViewSql};
use crate::store::Warehouse;

/// What the table folders hold: every object's path, size and modification time, sorted.
type Stamp = Vec<(String, u64, i64)>;

/// The catalog as of the warehouse's last published change.
pub struct Live {
    wh: Warehouse,
    views: Vec<ViewSql>,
    /// The folders of the catalog's tables (not its views): what a pipeline run changes.
    tables: Vec<String>,
    /// The stamp the catalog was opened at, the catalog, and how many times it was opened.
    current: tokio::sync::Mutex<(Stamp, Arc<SessionContext>, u64)>,
}

impl Live {
    /// Open the catalog over `wh` with `views` (an error here is the one `gongkai query` gives).
    pub async fn open(wh: Warehouse, views: Vec<ViewSql>) -> Result<Live, CatalogError> {
        let probe = catalog::open(&wh, &views).await?;
        let tables = base_tables(&probe).await;
        // Stamped before opening: a change made while it opens is seen at the next statement.
        let stamp = stamp(&wh, &tables).await?;
        let ctx = open_for_pg(&wh, &views).await?;
        Ok(Live { wh, views, tables, current: tokio::sync::Mutex::new((stamp, ctx, 0)) })
    }

    /// The catalog for a statement starting now.
    pub async fn current(&self) -> Result<Arc<SessionContext>, CatalogError> {
        Ok(self.opened().await?.0)
    }

    /// The catalog for a statement starting now, and which opening of the warehouse it is: the
    /// number grows with every change seen, so what was computed at one number stays true until
    /// the next (the dashboard caches its pages by it).
    pub async fn opened(&self) -> Result<(Arc<SessionContext>, u64), CatalogError> {
        let now = stamp(&self.wh, &self.tables).await?;
        let mut current = self.current.lock().await;
        if current.0 != now {
            // Statements that arrive meanwhile wait for this one opening instead of each
            // opening their own.
            let generation = current.2 + 1;
            *current = (now, open_for_pg(&self.wh, &self.views).await?, generation);
        }
        Ok((current.1.clone(), current.2))
    }

    /// The catalog for a statement starting now, with a memory pool of its own of `memory_limit`
    /// bytes for that statement.
    pub async fn bounded(&self, memory_limit: usize) -> Result<Arc<SessionContext>, CatalogError> {
        with_memory_limit(&*self.current().await?, memory_limit)
    }

    pub fn warehouse(&self) -> &Warehouse {
        &self.wh
    }
}

/// `base` with a memory pool of its own of `memory_limit` bytes, for one statement.
pub fn with_memory_limit(base: &SessionContext, memory_limit: usize) -> Result<Arc<SessionContext>, CatalogError> {
    let runtime = RuntimeEnvBuilder::from_runtime_env(&base.runtime_env())
        .with_memory_limit(memory_limit, 1.0)
        .build_arc()
        .map_err(CatalogError::DataFusion)?;
    let state =
        datafusion::execution::SessionStateBuilder::new_from_existing(base.state()).with_runtime_env(runtime).build();
    Ok(Arc::new(SessionContext::new_with_state(state)))
}

/// The catalog with pg_catalog beside information_schema, as PostgreSQL clients expect it.
async fn open_for_pg(wh: &Warehouse, views: &[ViewSql]) -> Result<Arc<SessionContext>, CatalogError> {
    let ctx = catalog::open(wh, views).await?;
    setup_pg_catalog(&ctx, "datafusion", EmptyContextProvider).map_err(|e| CatalogError::DataFusion(*e))?;
    functions::register(&ctx).await.map_err(CatalogError::DataFusion)?;
    Ok(Arc::new(ctx))
}

/// The names of the catalog's tables that are not views.
async fn base_tables(ctx: &SessionContext) -> Vec<String> {
    let mut tables = Vec::new();
    for catalog_name in ctx.catalog_names() {
        let Some(catalog) = ctx.catalog(&catalog_name) else { continue };
        for schema_name in catalog.schema_names() {
            let Some(schema) = catalog.schema(&schema_name) else { continue };
            for name in schema.table_names() {
                if let Ok(Some(table)) = schema.table(&name).await
                    && table.table_type() == TableType::Base
                {
                    tables.push(name);
                }
            }
        }
    }
    tables.sort();
    tables
}

async fn stamp(wh: &Warehouse, tables: &[String]) -> Result<Stamp, CatalogError> {
    let store = wh.store();
    let mut stamp = Vec::new();
    for table in tables {
        // A Delta table changes by commit: its log says so without listing every data file.
        let prefix = if crate::pipeline::TABLES.contains(&table.as_str()) {
            wh.path(&format!("{table}/_delta_log"))
        } else {
            wh.path(table)
        };
        let metas: Vec<_> = store.list(Some(&prefix)).try_collect().await.map_err(|source| {
            CatalogError::Store(crate::store::StoreError::Object { path: format!("{}/{table}", wh.uri()), source })
        })?;
        stamp.extend(
            metas
                .into_iter()
                .map(|m| (m.location.to_string(), m.size, m.last_modified.timestamp_nanos_opt().unwrap_or(0))),
        );
    }
    stamp.sort();
    Ok(stamp)
}

/// `HOST:PORT`, or `PORT` alone for the loopback address.
pub fn parse_listen(text: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse().map_err(|_| "expected HOST:PORT (an IP address and a port) or a port".to_string())
}

/// A duration with its unit: `500ms`, `60s`, `5min`, `1h`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| "expected a whole number and a unit (ms, s, min, h)".to_string())?;
    let ms = match unit.trim() {
        "ms" => n,
        "s" => n * 1000,
        "min" => n * 60_000,
        "h" => n * 3_600_000,
        other => return Err(format!("unknown unit {other:?} (ms, s, min, h)")),
    };
    if ms == 0 {
        return Err("must be longer than zero".into());
    }
    Ok(std::time::Duration::from_millis(ms))
}

/// A size in bytes with an optional unit: `1GiB`, `512MiB`, `64KiB`, `2GB`, `1000000`.
pub fn parse_bytes(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: usize =
        number.parse().map_err(|_| "expected a whole number and a unit (KiB, MiB, GiB, KB, MB, GB)".to_string())?;
    let scale: usize = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        other => return Err(format!("unknown unit {other:?} (KiB, MiB, GiB, KB, MB, GB)")),
    };
    let bytes = n.checked_mul(scale).ok_or("too large")?;
    if bytes == 0 {
        return Err("must be more than zero".into());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_with_their_units() {
        assert_eq!(parse_listen("5433").unwrap().to_string(), "127.0.0.1:5433");
        assert_eq!(parse_listen("0.0.0.0:6000").unwrap().to_string(), "0.0.0.0:6000");
        assert!(parse_listen("localhost").is_err());
        assert_eq!(parse_duration("60s").unwrap().as_millis(), 60_000);
        assert_eq!(parse_duration("250ms").unwrap().as_millis(), 250);
        assert_eq!(parse_duration("2min").unwrap().as_secs(), 120);
        assert!(parse_duration("60").is_err(), "a unit is required");
        assert!(parse_duration("0s").is_err());
        assert_eq!(parse_bytes("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_bytes("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_bytes("2GB").unwrap(), 2_000_000_000);
        assert!(parse_bytes("1 TB").is_err());
    }
}
