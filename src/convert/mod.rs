//! Reports → Arrow RecordBatches. The canonical Arrow schemas of the warehouse tables live here
//! (documented column by column in README.md, "Tables"); nothing here does I/O.
//!
//! The Hive partition keys (`province_code`, `year`) are not stored in the partitioned tables'
//! files: readers get them from the path (`TABLE/province_code=NN/year=YYYY/part-0.parquet`).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Decimal128Array, Int32Array, Int64Array, ListBuilder, RecordBatch,
    StringArray, StringBuilder, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;

use crate::model::{CheckStatus, Report, Table};

/// Precision and scale of every decimal number in the warehouse (cell values, headline numbers, fees).
pub const DECIMAL_PRECISION: u8 = 18;
pub const DECIMAL_SCALE: i8 = 4;

/// The parser version recorded with every report (the crate version).
pub const PARSER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Headline numbers of the `reports` table: column name, section, row, column of the cell.
pub const HEADLINES: &[(&str, &str, &str, &str)] = &[
    ("new_received_total", "sec3", "new_received", "total"),
    ("carried_over_total", "sec3", "carried_over", "total"),
    ("granted_total", "sec3", "granted", "total"),
    ("partially_granted_total", "sec3", "partially_granted", "total"),
    ("results_total_total", "sec3", "results_total", "total"),
    ("carried_forward_total", "sec3", "carried_forward", "total"),
    ("review_total", "sec4", "review", "total"),
    ("litigation_direct_total", "sec4", "litigation_direct", "total"),
    ("litigation_after_review_total", "sec4", "litigation_after_review", "total"),
    ("normative_docs_issued", "sec2", "normative_docs", "issued"),
    ("normative_docs_in_force", "sec2", "normative_docs", "in_force"),
];

fn decimal() -> DataType {
    DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE)
}

fn timestamp_utc() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

/// `reports`: one row per report.
pub fn reports_schema() -> SchemaRef {
    let mut fields = vec![
        utf8("report_id", false),
        utf8("source_uri", false),
        utf8("source_format", false),
        utf8("encoding", false),
        utf8("template", false),
        utf8("parse_quality", false),
        utf8("title", true),
        utf8("agency", true),
        Field::new("published_on", DataType::Date32, true),
        utf8("province", true),
        utf8("prefecture", true),
        utf8("prefecture_code", true),
        utf8("county", true),
        utf8("county_code", true),
        utf8("township", true),
        utf8("township_code", true),
        utf8("level", false),
        utf8("body_id", true),
        utf8("body_kind", true),
    ];
    for (name, ..) in HEADLINES {
        fields.push(Field::new(*name, decimal(), true));
    }
    fields.extend([
        Field::new("proactive_total", DataType::Int64, true),
        Field::new("proactive_approx", DataType::Boolean, false),
        Field::new("info_fee_yuan", decimal(), true),
        Field::new("narrative_applications", DataType::Int64, true),
        Field::new("checks_failed", DataType::Int32, false),
        Field::new("cells_read", DataType::Int32, false),
        Field::new("warnings", DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))), false),
        utf8("parser_version", false),
        Field::new("ingested_at", timestamp_utc(), false),
    ]);
    Arc::new(Schema::new(fields))
}

/// `cells`: one row per table cell.
pub fn cells_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8("report_id", false),
        utf8("section", false),
        utf8("row", false),
        utf8("col", false),
        Field::new("value", decimal(), true),
        utf8("raw", false),
        utf8("kind", false),
    ]))
}

/// `checks`: one row per identity check.
pub fn checks_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8("report_id", false),
        utf8("id", false),
        utf8("scope", false),
        utf8("status", false),
        Field::new("lhs", decimal(), true),
        Field::new("rhs", decimal(), true),
    ]))
}

/// One column of `facts`: the cell it holds and whether it is money (a decimal) or a count.
#[derive(Debug, Clone)]
pub struct FactColumn {
    pub name: String,
    pub section: &'static str,
    pub row: &'static str,
    pub col: &'static str,
    pub money: bool,
}

/// Every cell key of both templates, once, in table order (sec2 of 2021 then 2019's own, sec3,
/// sec4): the value columns of `facts`, named `SECTION_ROW_COL` (`sec3_granted_total`).
pub static FACT_COLUMNS: std::sync::LazyLock<Vec<FactColumn>> = std::sync::LazyLock::new(|| {
    use crate::model::Template;
    use crate::template::{SEC3_COLS, SEC4_COLS, SEC4_GROUPS, sec2_specs, sec3_specs};
    let mut keys: Vec<(&'static str, &'static str, &'static str)> = Vec::new();
    let mut add = |key: (&'static str, &'static str, &'static str)| {
        if !keys.contains(&key) {
            keys.push(key);
        }
    };
    for template in [Template::Y2021, Template::Y2019] {
        for spec in sec2_specs(template) {
            for col in spec.cols {
                add(("sec2", spec.key, col));
            }
        }
    }
    for template in [Template::Y2021, Template::Y2019] {
        for spec in sec3_specs(template) {
            for col in SEC3_COLS {
                add(("sec3", spec.key, col));
            }
        }
    }
    for group in SEC4_GROUPS {
        for col in SEC4_COLS {
            add(("sec4", group, col));
        }
    }
    keys.into_iter()
        .map(|(section, row, col)| FactColumn {
            name: format!("{section}_{row}_{col}"),
            section,
            row,
            col,
            money: col.starts_with("amount"),
        })
        .collect()
});

/// `facts`: one row per report, every table cell its own column: counts as int64, money as
/// decimals, NULL where the cell is not a number (blank, dash, text, missing, or a count that is
/// not whole: `cells` keeps what was printed).
pub fn facts_schema() -> SchemaRef {
    let mut fields = vec![utf8("report_id", false)];
    for c in FACT_COLUMNS.iter() {
        fields.push(Field::new(&c.name, if c.money { decimal() } else { DataType::Int64 }, true));
    }
    Arc::new(Schema::new(fields))
}

/// The `facts` rows of `reports`.
pub fn facts_batch(reports: &[&Report]) -> Result<RecordBatch, ArrowError> {
    let mut columns: Vec<ArrayRef> = vec![strings(reports.iter().map(|r| Some(r.report_id.as_str())))];
    for c in FACT_COLUMNS.iter() {
        let values = reports.iter().map(|r| section(r, c.section).value(c.row, c.col));
        if c.money {
            columns.push(decimals(values, |i| format!("cell {} of report {}", c.name, reports[i].report_id))?);
        } else {
            let whole = |v: f64| (v.fract() == 0.0 && v.abs() < 9.0e15).then_some(v as i64);
            columns.push(Arc::new(Int64Array::from_iter(values.map(|v| v.and_then(whole)))));
        }
    }
    RecordBatch::try_new(facts_schema(), columns)
}

/// `bodies`: one row per publishing body (`body_id`) of the `reports` table.
pub fn bodies_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8("body_id", false),
        utf8("name", false),
        utf8("kind", false),
        utf8("department", true),
        utf8("code", false),
        utf8("province_code", false),
        utf8("prefecture_code", true),
        utf8("county_code", true),
        utf8("township_code", true),
        utf8("province", true),
        Field::new("names", DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))), false),
        Field::new("first_year", DataType::Int32, true),
        Field::new("last_year", DataType::Int32, true),
        Field::new("reports", DataType::Int64, false),
    ]))
}

/// `quarantine`: one row per source that could not be parsed.
pub fn quarantine_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8("source_uri", false),
        utf8("report_id", false),
        utf8("reason", false),
        Field::new("first_seen", timestamp_utc(), false),
        Field::new("last_seen", timestamp_utc(), false),
    ]))
}

/// `runs`: one row per pipeline run (written by the scheduler, one file per run).
pub fn runs_schema() -> SchemaRef {
    let ts = timestamp_utc;
    Arc::new(Schema::new(vec![
        Field::new("pipeline", DataType::Utf8, false),
        Field::new("run_id", DataType::Utf8, false),
        Field::new("holder", DataType::Utf8, false),
        Field::new("scheduled_for", ts(), true),
        Field::new("started", ts(), false),
        Field::new("finished", ts(), false),
        Field::new("status", DataType::Utf8, false),
        Field::new("attempts", DataType::Int64, false),
        Field::new("files", DataType::Int64, false),
        Field::new("already_ingested", DataType::Int64, false),
        Field::new("reports", DataType::Int64, false),
        Field::new("quarantined", DataType::Int64, false),
        Field::new("unreadable", DataType::Int64, false),
        Field::new("error", DataType::Utf8, true),
        Field::new("versions", DataType::Utf8, true),
    ]))
}

/// The largest magnitude Decimal128(18, 4) holds: 14 integer digits and 4 decimals.
const DECIMAL_MAX: i128 = 10i128.pow(DECIMAL_PRECISION as u32) - 1;

/// A number as Decimal128(18, 4); `None` stays `None` (a blank is never 0). A number the type
/// cannot hold is an error, never a wrapped or saturated value.
pub fn to_decimal(v: Option<f64>) -> Result<Option<i128>, String> {
    let Some(v) = v.filter(|v| v.is_finite()) else { return Ok(None) };
    let too_big =
        || format!("{v} does not fit Decimal128({DECIMAL_PRECISION}, {DECIMAL_SCALE}) (at most 14 integer digits)");
    let unit = 10i128.pow(DECIMAL_SCALE as u32);
    if v.trunc().abs() > (DECIMAL_MAX / unit) as f64 {
        return Err(too_big());
    }
    // Integer part and decimals apart: scaling the whole f64 by 10^4 would lose the last digits
    // of large counts (f64 holds 15–16 significant digits).
    let scaled = v.trunc() as i128 * unit + (v.fract() * unit as f64).round() as i128;
    if scaled.abs() > DECIMAL_MAX {
        return Err(too_big());
    }
    Ok(Some(scaled))
}

/// The decimals of `values`, each named by `name(i)` in the error of the first that does not fit.
fn decimals(
    values: impl IntoIterator<Item = Option<f64>>,
    name: impl Fn(usize) -> String,
) -> Result<ArrayRef, ArrowError> {
    let values = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| to_decimal(v).map_err(|e| ArrowError::InvalidArgumentError(format!("{}: {e}", name(i)))))
        .collect::<Result<Vec<_>, _>>()?;
    decimal_array(values)
}

/// Why `report` cannot be stored as it is: the first number (cell, check side, fee) that does not
/// fit the warehouse's decimal type, named. The pipeline quarantines such a report.
pub fn out_of_range(report: &Report) -> Option<String> {
    let id = &report.report_id;
    for sec in ["sec2", "sec3", "sec4"] {
        for (row, col, cell) in section(report, sec).cells() {
            if let Err(e) = to_decimal(cell.value) {
                return Some(format!("cell {sec}.{row}.{col} (printed `{}`): {e}", cell.raw));
            }
        }
    }
    for c in &report.checks {
        for side in [c.lhs, c.rhs] {
            if let Err(e) = to_decimal(side) {
                return Some(format!("check {} {} of report {id}: {e}", c.id, c.scope));
            }
        }
    }
    to_decimal(report.info_fee_yuan).err().map(|e| format!("info_fee_yuan of report {id}: {e}"))
}

fn decimal_array(values: Vec<Option<i128>>) -> Result<ArrayRef, ArrowError> {
    Ok(Arc::new(Decimal128Array::from(values).with_precision_and_scale(DECIMAL_PRECISION, DECIMAL_SCALE)?))
}

fn strings<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(values))
}

fn section<'a>(report: &'a Report, name: &str) -> &'a Table {
    match name {
        "sec2" => &report.sec2,
        "sec3" => &report.sec3,
        _ => &report.sec4,
    }
}

/// Days since 1970-01-01 for an ISO date `YYYY-MM-DD`; `None` for a date that does not exist
/// (`2024-02-30` is not shifted to March).
pub fn date32(iso: &str) -> Option<i32> {
    let mut it = iso.split('-');
    let (y, m, d): (i32, u32, u32) = (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?);
    if it.next().is_some() {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d)?;
    i32::try_from(date.signed_duration_since(chrono::NaiveDate::default()).num_days()).ok()
}

/// The warnings stored with a report: the parser's, and one for a printed date that does not exist
/// (stored as NULL).
fn stored_warnings(r: &Report) -> impl Iterator<Item = String> + '_ {
    let impossible = r
        .published_on
        .as_deref()
        .filter(|d| date32(d).is_none())
        .map(|d| format!("published_on {d} is not a calendar date; stored as NULL"));
    r.warnings.iter().cloned().chain(impossible)
}

/// The `reports` rows of `reports`. `known` gives, for a report already in the warehouse, its
/// original ingestion time (microseconds since the epoch, UTC) and source URI, which are kept; a new
/// report gets `now` and its own source URI.
pub fn reports_batch(
    reports: &[&Report],
    known: &HashMap<String, (i64, String)>,
    now: i64,
) -> Result<RecordBatch, ArrowError> {
    let col = |f: &dyn Fn(&Report) -> Option<&str>| strings(reports.iter().map(|r| f(r)));
    let mut columns: Vec<ArrayRef> = vec![
        col(&|r| Some(r.report_id.as_str())),
        strings(
            reports
                .iter()
                .map(|r| Some(known.get(&r.report_id).map_or(r.source_uri.as_str(), |(_, uri)| uri.as_str()))),
        ),
        col(&|r| Some(r.source_format.as_str())),
        col(&|r| Some(r.encoding.as_str())),
        col(&|r| Some(r.template.as_str())),
        col(&|r| Some(r.parse_quality.as_str())),
        col(&|r| r.title.as_deref()),
        col(&|r| r.agency.as_deref()),
        Arc::new(Date32Array::from_iter(reports.iter().map(|r| r.published_on.as_deref().and_then(date32)))),
        col(&|r| r.region.province.as_deref()),
        col(&|r| r.region.prefecture.as_deref()),
        col(&|r| r.region.prefecture_code.as_deref()),
        col(&|r| r.region.county.as_deref()),
        col(&|r| r.region.county_code.as_deref()),
        col(&|r| r.region.township.as_deref()),
        col(&|r| r.region.township_code.as_deref()),
        col(&|r| Some(r.region.level.as_str())),
        col(&|r| r.body_id.as_deref()),
        col(&|r| r.body_kind),
    ];
    for (_, sec, row, c) in HEADLINES {
        let values = reports.iter().map(|r| section(r, sec).value(row, c));
        columns.push(decimals(values, |i| format!("cell {sec}.{row}.{c} of report {}", reports[i].report_id))?);
    }
    columns.push(Arc::new(Int64Array::from_iter(reports.iter().map(|r| r.proactive_total))));
    columns.push(Arc::new(BooleanArray::from_iter(reports.iter().map(|r| Some(r.proactive_approx)))));
    let fees = reports.iter().map(|r| r.info_fee_yuan);
    columns.push(decimals(fees, |i| format!("info_fee_yuan of report {}", reports[i].report_id))?);
    columns.push(Arc::new(Int64Array::from_iter(reports.iter().map(|r| r.narrative_applications))));
    columns.push(Arc::new(Int32Array::from_iter_values(
        reports.iter().map(|r| r.checks.iter().filter(|c| c.status == CheckStatus::Fail).count() as i32),
    )));
    columns.push(Arc::new(Int32Array::from_iter_values(reports.iter().map(|r| cells_read(r) as i32))));
    let mut warnings = ListBuilder::new(StringBuilder::new()).with_field(Field::new("item", DataType::Utf8, true));
    for r in reports {
        for w in stored_warnings(r) {
            warnings.values().append_value(w);
        }
        warnings.append(true);
    }
    columns.push(Arc::new(warnings.finish()));
    columns.push(strings(reports.iter().map(|_| Some(PARSER_VERSION))));
    columns.push(Arc::new(
        TimestampMicrosecondArray::from_iter_values(
            reports.iter().map(|r| known.get(&r.report_id).map_or(now, |(at, _)| *at)),
        )
        .with_timezone("UTC"),
    ));
    RecordBatch::try_new(reports_schema(), columns)
}

/// How many table cells of `report` hold a number: with `parse_quality`, what decides which of
/// several reports of one body and year is canonical.
pub fn cells_read(report: &Report) -> usize {
    ["sec2", "sec3", "sec4"]
        .iter()
        .map(|sec| section(report, sec).cells().filter(|(_, _, c)| c.value.is_some()).count())
        .sum()
}

/// The `cells` rows of `reports`: every cell of sec2, sec3 and sec4 in table order.
pub fn cells_batch(reports: &[&Report]) -> Result<RecordBatch, ArrowError> {
    let mut rows = Vec::new();
    for r in reports {
        for sec in ["sec2", "sec3", "sec4"] {
            for (row, col, cell) in section(r, sec).cells() {
                rows.push((r.report_id.as_str(), sec, row, col, cell));
            }
        }
    }
    RecordBatch::try_new(
        cells_schema(),
        vec![
            strings(rows.iter().map(|r| Some(r.0))),
            strings(rows.iter().map(|r| Some(r.1))),
            strings(rows.iter().map(|r| Some(r.2))),
            strings(rows.iter().map(|r| Some(r.3))),
            decimals(rows.iter().map(|r| r.4.value), |i| {
                let (id, sec, row, col, _) = rows[i];
                format!("cell {sec}.{row}.{col} of report {id}")
            })?,
            strings(rows.iter().map(|r| Some(r.4.raw.as_str()))),
            strings(rows.iter().map(|r| Some(r.4.kind.as_str()))),
        ],
    )
}

/// The `checks` rows of `reports`.
pub fn checks_batch(reports: &[&Report]) -> Result<RecordBatch, ArrowError> {
    let rows: Vec<_> = reports.iter().flat_map(|r| r.checks.iter().map(move |c| (r.report_id.as_str(), c))).collect();
    RecordBatch::try_new(
        checks_schema(),
        vec![
            strings(rows.iter().map(|r| Some(r.0))),
            strings(rows.iter().map(|r| Some(r.1.id))),
            strings(rows.iter().map(|r| Some(r.1.scope.as_str()))),
            strings(rows.iter().map(|r| Some(r.1.status.as_str()))),
            decimals(rows.iter().map(|r| r.1.lhs), |i| {
                format!("check {} {} of report {}", rows[i].1.id, rows[i].1.scope, rows[i].0)
            })?,
            decimals(rows.iter().map(|r| r.1.rhs), |i| {
                format!("check {} {} of report {}", rows[i].1.id, rows[i].1.scope, rows[i].0)
            })?,
        ],
    )
}

/// One source that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRow {
    pub source_uri: String,
    pub report_id: String,
    pub reason: String,
    /// Microseconds since the epoch, UTC.
    pub first_seen: i64,
    pub last_seen: i64,
}

pub fn quarantine_batch(rows: &[QuarantineRow]) -> Result<RecordBatch, ArrowError> {
    RecordBatch::try_new(
        quarantine_schema(),
        vec![
            strings(rows.iter().map(|r| Some(r.source_uri.as_str()))),
            strings(rows.iter().map(|r| Some(r.report_id.as_str()))),
            strings(rows.iter().map(|r| Some(r.reason.as_str()))),
            Arc::new(
                TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| r.first_seen)).with_timezone("UTC"),
            ),
            Arc::new(
                TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| r.last_seen)).with_timezone("UTC"),
            ),
        ],
    )
}

/// A column of `batch` as the array type `T`, or an error naming the column and what it holds.
fn column<'a, T: 'static>(batch: &'a RecordBatch, table: &str, name: &str) -> Result<&'a T, ArrowError> {
    let col = batch
        .column_by_name(name)
        .ok_or_else(|| ArrowError::SchemaError(format!("{table}: no column `{name}`; run `gongkai rebuild`")))?;
    col.as_any().downcast_ref::<T>().ok_or_else(|| {
        ArrowError::SchemaError(format!("{table}: column `{name}` is {}, not the expected type", col.data_type()))
    })
}

/// Read quarantine rows back from a batch of [`quarantine_schema`]; a file with other columns or
/// types is an error, not a panic.
pub fn quarantine_rows(batch: &RecordBatch) -> Result<Vec<QuarantineRow>, ArrowError> {
    let s = |name| column::<StringArray>(batch, "quarantine", name);
    let t = |name| column::<TimestampMicrosecondArray>(batch, "quarantine", name);
    let (uri, id, reason, first, last) =
        (s("source_uri")?, s("report_id")?, s("reason")?, t("first_seen")?, t("last_seen")?);
    Ok((0..batch.num_rows())
        .map(|i| QuarantineRow {
            source_uri: uri.value(i).to_string(),
            report_id: id.value(i).to_string(),
            reason: reason.value(i).to_string(),
            first_seen: first.value(i),
            last_seen: last.value(i),
        })
        .collect())
}

/// `report_id → ingested_at` and `report_id → source_uri` of a `reports` batch. Missing columns are
/// an error: an empty index would reset every report's `ingested_at`.
pub fn report_index(batch: &RecordBatch) -> Result<HashMap<String, (i64, String)>, ArrowError> {
    let ids = column::<StringArray>(batch, "reports", "report_id")?;
    let uris = column::<StringArray>(batch, "reports", "source_uri")?;
    let at = column::<TimestampMicrosecondArray>(batch, "reports", "ingested_at")?;
    Ok((0..batch.num_rows()).map(|i| (ids.value(i).to_string(), (at.value(i), uris.value(i).to_string()))).collect())
}

/// What the `bodies` table keeps of one body while its reports are read.
#[derive(Debug, Default)]
struct BodySeen {
    kind: String,
    province: Option<String>,
    names: std::collections::BTreeSet<String>,
    years: Option<(i32, i32)>,
    reports: i64,
}

/// The columns of `reports` that [`bodies_batch`] reads.
pub const BODY_SOURCE_COLUMNS: &[&str] = &["body_id", "body_kind", "agency", "province"];

/// A string column of a batch of `table`, or an error naming what is missing.
pub fn string_column<'a>(batch: &'a RecordBatch, table: &str, name: &str) -> Result<&'a StringArray, ArrowError> {
    column::<StringArray>(batch, table, name)
}

/// The `bodies` rows of `reports` batches (each with the year of its partition, 0 when unknown).
/// A body's name is the longest of the names it printed (the most complete: 吴忠市利通区古城镇人民政府
/// over 利通区古城镇), the first in code-point order among equally long ones.
pub fn bodies_batch(parts: &[(i32, &RecordBatch)]) -> Result<RecordBatch, ArrowError> {
    bodies_batch_adding(None, parts)
}

/// [`bodies_batch`] of the reports `earlier` was made from and those of `parts`: a run that only
/// added reports updates `bodies` from its own rows instead of reading all of `reports` again
/// (names are a union, years a range and reports a count, so the result is the same).
pub fn bodies_batch_adding(
    earlier: Option<&RecordBatch>,
    parts: &[(i32, &RecordBatch)],
) -> Result<RecordBatch, ArrowError> {
    let mut seen: std::collections::BTreeMap<String, BodySeen> = Default::default();
    if let Some(earlier) = earlier {
        let ids = column::<StringArray>(earlier, "bodies", "body_id")?;
        let kinds = column::<StringArray>(earlier, "bodies", "kind")?;
        let provinces = column::<StringArray>(earlier, "bodies", "province")?;
        let names = column::<arrow::array::ListArray>(earlier, "bodies", "names")?;
        let first = column::<Int32Array>(earlier, "bodies", "first_year")?;
        let last = column::<Int32Array>(earlier, "bodies", "last_year")?;
        let reports = column::<Int64Array>(earlier, "bodies", "reports")?;
        for i in 0..earlier.num_rows() {
            let names = names.value(i);
            let names = names
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| ArrowError::SchemaError("bodies.names is not a list of strings".into()))?;
            let body = BodySeen {
                kind: kinds.value(i).to_string(),
                province: (!provinces.is_null(i)).then(|| provinces.value(i).to_string()),
                names: names.iter().flatten().map(str::to_string).collect(),
                years: (!first.is_null(i) && !last.is_null(i)).then(|| (first.value(i), last.value(i))),
                reports: reports.value(i),
            };
            seen.insert(ids.value(i).to_string(), body);
        }
    }
    for (year, batch) in parts {
        let ids = column::<StringArray>(batch, "reports", "body_id")?;
        let kinds = column::<StringArray>(batch, "reports", "body_kind")?;
        let agencies = column::<StringArray>(batch, "reports", "agency")?;
        let provinces = column::<StringArray>(batch, "reports", "province")?;
        for i in 0..batch.num_rows() {
            if ids.is_null(i) {
                continue;
            }
            let body = seen.entry(ids.value(i).to_string()).or_default();
            body.kind = kinds.value(i).to_string();
            if !provinces.is_null(i) {
                body.province = Some(provinces.value(i).to_string());
            }
            if !agencies.is_null(i) {
                body.names.insert(agencies.value(i).to_string());
            }
            if *year > 0 {
                body.years = Some(body.years.map_or((*year, *year), |(a, b)| (a.min(*year), b.max(*year))));
            }
            body.reports += 1;
        }
    }
    let rows: Vec<(&String, &BodySeen)> = seen.iter().collect();
    let code = |id: &str| id.split('/').next().unwrap_or_default().to_string();
    let codes: Vec<String> = rows.iter().map(|(id, _)| code(id)).collect();
    let prefix = |n: usize| strings(codes.iter().map(|c| (c.len() >= n).then(|| &c[..n])));
    let name =
        |b: &BodySeen| b.names.iter().max_by(|x, y| x.chars().count().cmp(&y.chars().count()).then(y.cmp(x))).cloned();
    let mut names = ListBuilder::new(StringBuilder::new()).with_field(Field::new("item", DataType::Utf8, true));
    for (_, b) in &rows {
        for n in &b.names {
            names.values().append_value(n);
        }
        names.append(true);
    }
    let columns: Vec<ArrayRef> = vec![
        strings(rows.iter().map(|(id, _)| Some(id.as_str()))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|(id, b)| name(b).unwrap_or_else(|| id.to_string())))),
        strings(rows.iter().map(|(_, b)| Some(b.kind.as_str()))),
        strings(rows.iter().map(|(id, _)| id.split_once("/department/").map(|(_, d)| d))),
        strings(codes.iter().map(|c| Some(c.as_str()))),
        prefix(2),
        prefix(4),
        prefix(6),
        prefix(9),
        strings(rows.iter().map(|(_, b)| b.province.as_deref())),
        Arc::new(names.finish()),
        Arc::new(Int32Array::from_iter(rows.iter().map(|(_, b)| b.years.map(|y| y.0)))),
        Arc::new(Int32Array::from_iter(rows.iter().map(|(_, b)| b.years.map(|y| y.1)))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|(_, b)| b.reports))),
    ];
    RecordBatch::try_new(bodies_schema(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        crate::parse::parse_bytes("某县2023年政府信息公开工作年度报告\n".as_bytes(), "r.txt").unwrap()
    }

    #[test]
    fn dates_and_decimals() {
        assert_eq!(date32("1970-01-01"), Some(0));
        assert_eq!(date32("2024-01-16"), Some(19738));
        assert_eq!(date32("2024-13-01"), None);
        assert_eq!(to_decimal(Some(1.25)), Ok(Some(12500)));
        assert_eq!(to_decimal(None), Ok(None));
    }

    #[test]
    fn impossible_dates_are_null_with_a_warning() {
        assert_eq!(date32("2024-02-29"), Some(19782));
        assert_eq!(date32("2024-02-30"), None, "not shifted to 2024-03-01");
        assert_eq!(date32("2023-02-29"), None);
        assert_eq!(date32("2023-04-31"), None);
        let mut r = report();
        r.published_on = Some("2024-02-30".into());
        let batch = reports_batch(&[&r], &HashMap::new(), 0).unwrap();
        let dates = batch.column_by_name("published_on").unwrap().as_any().downcast_ref::<Date32Array>().unwrap();
        assert!(arrow::array::Array::is_null(dates, 0));
        let warnings = batch.column_by_name("warnings").unwrap();
        let warnings = warnings.as_any().downcast_ref::<arrow::array::ListArray>().unwrap().value(0);
        let warnings = warnings.as_any().downcast_ref::<StringArray>().unwrap();
        assert!(warnings.iter().flatten().any(|w| w.contains("2024-02-30")), "{warnings:?}");
    }

    #[test]
    fn decimal_overflow_is_an_error_naming_the_cell() {
        assert_eq!(to_decimal(Some(99_999_999_999_999.0)), Ok(Some(999_999_999_999_990_000)));
        assert!(to_decimal(Some(100_000_000_000_000.0)).is_err(), "15 integer digits do not fit");
        assert!(to_decimal(Some(-1e15)).is_err());
        let mut r = report();
        r.sec3.rows.push(crate::model::TableRow {
            key: "granted",
            cells: vec![("total", crate::model::Cell::number(200_000_000_000_000.0, "200000000000000"))],
        });
        let err = cells_batch(&[&r]).unwrap_err().to_string();
        assert!(err.contains("cell sec3.granted.total"), "{err}");
        let reason = out_of_range(&r).unwrap();
        assert!(reason.contains("sec3.granted.total") && reason.contains("200000000000000"), "{reason}");
    }

    #[test]
    fn unexpected_columns_are_errors_not_panics() {
        use arrow::array::Int64Array;
        let wrong = RecordBatch::try_from_iter([
            ("source_uri", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
            ("report_id", Arc::new(StringArray::from(vec!["a"])) as ArrayRef),
        ])
        .unwrap();
        let err = quarantine_rows(&wrong).unwrap_err().to_string();
        assert!(err.contains("source_uri"), "{err}");
        let err = report_index(&wrong).unwrap_err().to_string();
        assert!(err.contains("source_uri"), "{err}");
        let ids_only =
            RecordBatch::try_from_iter([("report_id", Arc::new(StringArray::from(vec!["a"])) as ArrayRef)]).unwrap();
        let err = report_index(&ids_only).unwrap_err().to_string();
        assert!(err.contains("source_uri") || err.contains("ingested_at"), "{err}");
        let q = quarantine_batch(&[QuarantineRow {
            source_uri: "a.txt".into(),
            report_id: "1".into(),
            reason: "r".into(),
            first_seen: 1,
            last_seen: 2,
        }])
        .unwrap();
        assert_eq!(quarantine_rows(&q).unwrap().len(), 1);
    }
}
