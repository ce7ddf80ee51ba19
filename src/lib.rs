//! gongkai (公开): a data warehouse for China's annual government-information-disclosure reports
//! (政府信息公开工作年度报告).
//!
//! The pipeline, one module per stage, dependencies pointing one way:
//! [`read`] (bytes → rows) → [`map`] (rows → canonical report) → [`check`] (identities) with
//! [`region`] (place names → division codes) and [`body`] (which body published it); [`parse`] runs the stages for one file within a [`budget`];
//! [`convert`] (reports → Arrow) → [`store`] (Parquet on object storage), run by [`pipeline`];
//! [`catalog`] (DataFusion over the warehouse and the views of `sql/`) → [`query`] and [`shell`].
//! [`schedule`] runs pipelines on cron schedules; [`serve`] serves the catalog to PostgreSQL clients. Types shared by every stage live in [`model`].
//! [`synth`] generates reports in every layout with their truth, from [`template`].
//!
//! Without the `warehouse` feature (on by default) the crate is the parser alone: the stages up to
//! [`parse`] and [`synth`], for the fuzz targets.

pub mod body;
pub mod budget;
#[cfg(feature = "warehouse")]
pub mod catalog;
pub mod check;
#[cfg(feature = "warehouse")]
pub mod convert;
pub mod map;
pub mod model;
pub mod parse;
#[cfg(feature = "warehouse")]
pub mod pipeline;
#[cfg(feature = "warehouse")]
pub mod query;
pub mod read;
pub mod region;
#[cfg(feature = "warehouse")]
pub mod schedule;
#[cfg(feature = "warehouse")]
pub mod serve;
#[cfg(feature = "warehouse")]
pub mod shell;
#[cfg(feature = "warehouse")]
pub mod store;
pub mod synth;
pub mod template;

/// Every allocation is counted per thread, so that each file's parse has a memory budget
/// ([`budget`]).
#[global_allocator]
static ALLOCATOR: budget::CountingAllocator = budget::CountingAllocator;
