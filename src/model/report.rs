//! The canonical report of docs/schema.md §6.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{Cell, SourceFormat};

/// Which national table format the report follows (docs/schema.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Template {
    #[serde(rename = "2021")]
    Y2021,
    #[serde(rename = "2019")]
    Y2019,
    #[serde(rename = "legacy")]
    Legacy,
}

impl Template {
    pub fn as_str(self) -> &'static str {
        match self {
            Template::Y2021 => "2021",
            Template::Y2019 => "2019",
            Template::Legacy => "legacy",
        }
    }
}

/// The administrative level a report's region resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Province,
    Prefecture,
    County,
    Township,
    #[default]
    Unknown,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::Prefecture => "prefecture",
            Level::County => "county",
            Level::Township => "township",
            Level::Unknown => "unknown",
        }
    }
}

/// Where a report belongs, with 2023 statistical division codes (统计用区划代码).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Region {
    pub province: Option<String>,
    pub province_code: Option<String>,
    pub prefecture: Option<String>,
    pub prefecture_code: Option<String>,
    pub county: Option<String>,
    pub county_code: Option<String>,
    pub township: Option<String>,
    pub township_code: Option<String>,
    pub level: Level,
}

/// One row of a statistical table: its docs/schema.md row key and its cells in column order.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    pub key: &'static str,
    pub cells: Vec<(&'static str, Cell)>,
}

impl TableRow {
    pub fn cell(&self, col: &str) -> Option<&Cell> {
        self.cells.iter().find(|(c, _)| *c == col).map(|(_, cell)| cell)
    }
}

/// A statistical table (sec2, sec3 or sec4), rows in template order. Serialises as
/// `{ row: { col: cell } }` in that order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub rows: Vec<TableRow>,
}

impl Table {
    pub fn row(&self, key: &str) -> Option<&TableRow> {
        self.rows.iter().find(|r| r.key == key)
    }

    pub fn cell(&self, row: &str, col: &str) -> Option<&Cell> {
        self.row(row).and_then(|r| r.cell(col))
    }

    pub fn value(&self, row: &str, col: &str) -> Option<f64> {
        self.cell(row, col).and_then(|c| c.value)
    }

    /// Every cell with its row and column keys, in table order.
    pub fn cells(&self) -> impl Iterator<Item = (&'static str, &'static str, &Cell)> {
        self.rows.iter().flat_map(|r| r.cells.iter().map(move |(c, cell)| (r.key, *c, cell)))
    }
}

impl Serialize for Table {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Cols<'a>(&'a [(&'static str, Cell)]);
        impl Serialize for Cols<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in self.0 {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(self.rows.len()))?;
        for row in &self.rows {
            m.serialize_entry(row.key, &Cols(&row.cells))?;
        }
        m.end()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Fail,
    NotAssessable,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "fail",
            CheckStatus::NotAssessable => "not_assessable",
        }
    }
}

/// The outcome of one identity (docs/schema.md §4) over one scope (a column, row or group).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub id: &'static str,
    pub scope: String,
    pub status: CheckStatus,
    #[serde(serialize_with = "serialize_num")]
    pub lhs: Option<f64>,
    #[serde(serialize_with = "serialize_num")]
    pub rhs: Option<f64>,
}

fn serialize_num<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => s.serialize_i64(*v as i64),
        Some(v) => s.serialize_f64(*v),
        None => s.serialize_none(),
    }
}

/// How far a report's cells can be trusted, for analysts to filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ParseQuality {
    /// Every cell read unambiguously; every identity holds or fails as printed.
    #[default]
    Exact,
    /// Some cell fits several readings (left without a value), or an inferred placement meets a
    /// failing identity.
    Ambiguous,
    /// Some cells of the template were not found.
    Partial,
    /// No table cell was found.
    Failed,
}

impl ParseQuality {
    pub fn as_str(self) -> &'static str {
        match self {
            ParseQuality::Exact => "exact",
            ParseQuality::Ambiguous => "ambiguous",
            ParseQuality::Partial => "partial",
            ParseQuality::Failed => "failed",
        }
    }
}

/// A parsed report: metadata, narrative facts, the three tables, identity checks and warnings.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub report_id: String,
    pub source_uri: String,
    pub source_format: SourceFormat,
    pub encoding: String,
    pub template: Template,
    pub title: Option<String>,
    pub agency: Option<String>,
    pub year: Option<i32>,
    pub published_on: Option<String>,
    pub region: Region,
    /// The publishing body, stable across years and formats (`CODE/KIND`); `None` when the
    /// printed name and region do not tell it with certainty (a warning says why).
    pub body_id: Option<String>,
    /// `government`, `government_office` or `department`, with `body_id`.
    pub body_kind: Option<&'static str>,
    pub proactive_total: Option<i64>,
    pub proactive_approx: bool,
    #[serde(serialize_with = "serialize_num")]
    pub info_fee_yuan: Option<f64>,
    pub narrative_applications: Option<i64>,
    pub sec2: Table,
    pub sec3: Table,
    pub sec4: Table,
    pub checks: Vec<Check>,
    pub warnings: Vec<String>,
    pub parse_quality: ParseQuality,
}

impl Report {
    pub fn failed_checks(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == CheckStatus::Fail)
    }
}
