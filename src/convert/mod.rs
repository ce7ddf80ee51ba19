//! Reports → Arrow RecordBatches. The canonical Arrow schemas of the warehouse tables live here
//! (documented column by column in README.md, "Tables"); nothing here does I/O.
//!
//! The Hive partition keys (`province_code`, `year`) are not stored in the partitioned tables'
//! files: readers get them from the path (`TABLE/province_code=NN/year=YYYY/part-0.parquet`).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Int32Array, Int64Array, ListBuilder, RecordBatch,
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
    ]))
}

/// A number as Decimal128(18, 4); `None` stays `None` (a blank is never 0).
pub fn to_decimal(v: Option<f64>) -> Option<i128> {
    v.filter(|v| v.is_finite()).map(|v| (v * 10f64.powi(DECIMAL_SCALE as i32)).round() as i128)
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

/// Days since 1970-01-01 for an ISO date `YYYY-MM-DD`.
pub fn date32(iso: &str) -> Option<i32> {
    let mut it = iso.split('-');
    let (y, m, d): (i64, i64, i64) = (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146097 + doe - 719468).ok()
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
    ];
    for (_, sec, row, c) in HEADLINES {
        columns.push(decimal_array(reports.iter().map(|r| to_decimal(section(r, sec).value(row, c))).collect())?);
    }
    columns.push(Arc::new(Int64Array::from_iter(reports.iter().map(|r| r.proactive_total))));
    columns.push(Arc::new(BooleanArray::from_iter(reports.iter().map(|r| Some(r.proactive_approx)))));
    columns.push(decimal_array(reports.iter().map(|r| to_decimal(r.info_fee_yuan)).collect())?);
    columns.push(Arc::new(Int64Array::from_iter(reports.iter().map(|r| r.narrative_applications))));
    columns.push(Arc::new(Int32Array::from_iter_values(
        reports.iter().map(|r| r.checks.iter().filter(|c| c.status == CheckStatus::Fail).count() as i32),
    )));
    let mut warnings = ListBuilder::new(StringBuilder::new()).with_field(Field::new("item", DataType::Utf8, true));
    for r in reports {
        for w in &r.warnings {
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
            decimal_array(rows.iter().map(|r| to_decimal(r.4.value)).collect())?,
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
            decimal_array(rows.iter().map(|r| to_decimal(r.1.lhs)).collect())?,
            decimal_array(rows.iter().map(|r| to_decimal(r.1.rhs)).collect())?,
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

/// Read quarantine rows back from a batch of [`quarantine_schema`].
pub fn quarantine_rows(batch: &RecordBatch) -> Vec<QuarantineRow> {
    let s = |i: usize| batch.column(i).as_any().downcast_ref::<StringArray>().expect("quarantine string column");
    let t = |i: usize| {
        batch.column(i).as_any().downcast_ref::<TimestampMicrosecondArray>().expect("quarantine timestamp column")
    };
    (0..batch.num_rows())
        .map(|i| QuarantineRow {
            source_uri: s(0).value(i).to_string(),
            report_id: s(1).value(i).to_string(),
            reason: s(2).value(i).to_string(),
            first_seen: t(3).value(i),
            last_seen: t(4).value(i),
        })
        .collect()
}

/// `report_id → ingested_at` and `report_id → source_uri` of a `reports` batch.
pub fn report_index(batch: &RecordBatch) -> HashMap<String, (i64, String)> {
    let ids = batch.column_by_name("report_id").and_then(|c| c.as_any().downcast_ref::<StringArray>());
    let uris = batch.column_by_name("source_uri").and_then(|c| c.as_any().downcast_ref::<StringArray>());
    let at = batch.column_by_name("ingested_at").and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>());
    let (Some(ids), Some(uris), Some(at)) = (ids, uris, at) else { return HashMap::new() };
    (0..batch.num_rows()).map(|i| (ids.value(i).to_string(), (at.value(i), uris.value(i).to_string()))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_decimals() {
        assert_eq!(date32("1970-01-01"), Some(0));
        assert_eq!(date32("2024-01-16"), Some(19738));
        assert_eq!(date32("2024-13-01"), None);
        assert_eq!(to_decimal(Some(1.25)), Some(12500));
        assert_eq!(to_decimal(None), None);
    }
}
