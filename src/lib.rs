//! gongkai (公开): a data warehouse for China's annual government-information-disclosure reports
//! (政府信息公开工作年度报告).
//!
//! The pipeline, one module per stage, dependencies pointing one way:
//! [`read`] (bytes → rows) → [`map`] (rows → canonical report) → [`check`] (identities) with
//! [`region`] (place names → division codes) and [`body`] (which body published it); [`parse`] runs the stages for one file;
//! [`convert`] (reports → Arrow) → [`store`] (Parquet on object storage), run by [`pipeline`];
//! [`catalog`] (DataFusion over the warehouse and the views of `sql/`) → [`query`] and [`shell`].
//! [`schedule`] runs pipelines on cron schedules; [`serve`] serves the catalog to PostgreSQL clients. Types shared by every stage live in [`model`].
//! [`synth`] generates reports in every layout with their truth, from [`template`].

pub mod body;
pub mod catalog;
pub mod check;
pub mod convert;
pub mod map;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod query;
pub mod read;
pub mod region;
pub mod schedule;
pub mod serve;
pub mod shell;
pub mod store;
pub mod synth;
pub mod template;
