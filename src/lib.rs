//! gongkai (公开): a data warehouse for China's annual government-information-disclosure reports
//! (政府信息公开工作年度报告).
//!
//! The pipeline, one module per stage, dependencies pointing one way:
//! [`read`] (bytes → rows) → [`map`] (rows → canonical report) → [`check`] (identities) with
//! [`region`] (place names → division codes); [`parse`] runs the stages for one file.
//! Types shared by every stage live in [`model`]. [`pipeline`] runs one ingestion into the
//! warehouse ([`store`]); [`schedule`] runs pipelines on cron schedules.

pub mod check;
pub mod convert;
pub mod map;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod read;
pub mod region;
pub mod schedule;
pub mod store;
