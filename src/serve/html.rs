//! HTML of the dashboard: escaping, the page frame, and query results as tables.

use std::fmt::Write;

use arrow::array::Array;
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::query::QueryResult;

/// `text` safe inside HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` as one URL query or path component.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The navigation, in order: (path, label).
const NAV: &[(&str, &str)] = &[
    ("/", "全国趋势 National"),
    ("/provinces", "各省 Provinces"),
    ("/quality", "数据质量 Data quality"),
    ("/search", "检索 Search"),
];

/// A whole page around `body`.
pub fn frame(title: &str, body: &str) -> String {
    let mut nav = String::new();
    for (href, label) in NAV {
        let _ = write!(nav, r#"<a href="{href}">{label}</a>"#);
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · gongkai</title><link rel="stylesheet" href="/assets/dashboard.css"></head>
<body><header><strong>gongkai 公开</strong> <nav>{nav}</nav>
<form action="/search" method="get"><input name="q" placeholder="机构、地区或年份 body, place or year"><button>检索</button></form></header>
<main><h1>{title}</h1>
{body}</main>
<footer>政府信息公开工作年度报告 · every number links to the reports behind it · <a href="/api/">JSON</a></footer>
<script src="/assets/dashboard.js"></script></body></html>
"#,
        title = escape(title),
    )
}

/// How a table links or marks its cells.
pub struct Decor<'a> {
    /// The page a cell leads to, by column name and row (escaped here).
    pub link: &'a dyn Fn(&str, &Row) -> Option<String>,
    /// A class for the row (`break`, `failed`), or none.
    pub row_class: &'a dyn Fn(&Row) -> Option<&'static str>,
    /// Figures to hide: a column and why (too few reports behind it).
    pub hide: &'a dyn Fn(&str, &Row) -> Option<String>,
}

impl Default for Decor<'_> {
    fn default() -> Self {
        Decor { link: &|_, _| None, row_class: &|_| None, hide: &|_, _| None }
    }
}

/// One result row: its values as text (`None` for NULL), by column.
pub struct Row {
    pub columns: std::sync::Arc<Vec<String>>,
    pub values: Vec<Option<String>>,
}

impl Row {
    pub fn get(&self, column: &str) -> Option<&str> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.values[i].as_deref()
    }

    pub fn number(&self, column: &str) -> Option<f64> {
        self.get(column)?.parse().ok()
    }
}

/// The rows of a result as text, each value as arrow prints it (so as `gongkai query` prints it).
pub fn rows(result: &QueryResult) -> Vec<Row> {
    let columns: std::sync::Arc<Vec<String>> =
        std::sync::Arc::new(result.schema.fields().iter().map(|f| f.name().clone()).collect());
    let options = FormatOptions::default();
    let mut out = Vec::new();
    for batch in &result.batches {
        let formatters: Vec<ArrayFormatter> = batch
            .columns()
            .iter()
            .map(|a| ArrayFormatter::try_new(a.as_ref(), &options))
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        if formatters.len() != batch.num_columns() {
            continue;
        }
        for i in 0..batch.num_rows() {
            let values = batch
                .columns()
                .iter()
                .zip(&formatters)
                .map(|(a, f)| if a.is_null(i) { None } else { Some(f.value(i).to_string()) })
                .collect();
            out.push(Row { columns: columns.clone(), values });
        }
    }
    out
}

/// The columns whose values are shares or rates (floating point), shown rounded in HTML.
fn float_columns(schema: &arrow::datatypes::Schema) -> Vec<bool> {
    schema.fields().iter().map(|f| matches!(f.data_type(), DataType::Float64 | DataType::Float32)).collect()
}

/// A result as an HTML table with a caption, a CSV link and the row count.
pub fn table(id: &str, caption: &str, csv_href: &str, result: &QueryResult, decor: &Decor) -> String {
    let rows = rows(result);
    let floats = float_columns(&result.schema);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<section class="table" id="table-{id}"><h2>{caption}</h2><p class="meta">{n} rows · <a href="{csv}">CSV</a></p><div class="scroll"><table><thead><tr>"#,
        id = escape(id),
        caption = escape(caption),
        n = rows.len(),
        csv = escape(csv_href),
    );
    for f in result.schema.fields() {
        let _ = write!(out, "<th>{}</th>", escape(f.name()));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &rows {
        match (decor.row_class)(row) {
            Some(class) => {
                let _ = write!(out, r#"<tr class="{class}">"#);
            }
            None => out.push_str("<tr>"),
        }
        for (i, column) in row.columns.iter().enumerate() {
            let shown = match (&row.values[i], (decor.hide)(column, row)) {
                (_, Some(why)) => format!(r#"<span class="hidden" title="{}">—</span>"#, escape(&why)),
                (None, _) => r#"<span class="null">NULL</span>"#.to_string(),
                (Some(v), None) => {
                    let text = if floats[i] { round_float(v) } else { v.clone() };
                    match (decor.link)(column, row) {
                        Some(href) => format!(r#"<a href="{}">{}</a>"#, escape(&href), escape(&text)),
                        None => escape(&text),
                    }
                }
            };
            let _ = write!(out, "<td>{shown}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div></section>");
    out
}

/// A float as at most four decimals (the CSV and JSON keep every digit).
fn round_float(text: &str) -> String {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => {
            let s = format!("{v:.4}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" { "0".into() } else { s.to_string() }
        }
        _ => text.to_string(),
    }
}

/// The dashboard's stylesheet.
pub const CSS: &str = r#"
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Microsoft YaHei", sans-serif; margin: 0; color: #222; }
header { display: flex; gap: 1.5em; align-items: center; padding: .6em 1em; background: #123; color: #fff; flex-wrap: wrap; }
header a { color: #cde; margin-right: 1em; }
main { padding: 0 1em 2em; }
footer { padding: 1em; color: #666; font-size: .85em; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
figure.chart { margin: 0; }
figure.chart.small { display: inline-block; }
.legend span { margin-right: 1em; font-size: .85em; }
.legend i { display: inline-block; width: .8em; height: .8em; margin-right: .3em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: .85em; }
th, td { border: 1px solid #ccc; padding: .2em .4em; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; }
td.label, th.label { text-align: left; white-space: normal; max-width: 22em; }
tr.break td, td.failed { background: #fde2e2; }
.null, .hidden, .meta { color: #888; }
.cell .raw { display: block; color: #555; }
.cell .value { display: block; font-weight: bold; }
.cell.undecided .value, .cell.missing .value { color: #b00; font-weight: normal; }
.check.fail { color: #b00; }
tr.group td { background: #f7f7f7; font-weight: bold; }
dl.report-meta { display: grid; grid-template-columns: max-content auto; gap: .15em 1em; }
dl.report-meta dt { color: #666; }
dl.report-meta dd { margin: 0; }
"#;

/// The dashboard's one script: after the page is laid out, each chart records how many of its
/// marks the browser drew (a box of non-zero size), so a reader or a test can see the charts
/// rendered. It changes nothing else.
pub const SCRIPT: &str = r#"
window.addEventListener('load', function () {
  var figures = document.querySelectorAll('figure.chart');
  figures.forEach(function (figure) {
    var drawn = 0;
    figure.querySelectorAll('.mark').forEach(function (mark) {
      var box = mark.getBBox();
      if (box.width > 0 && box.height > 0) { drawn += 1; }
    });
    figure.setAttribute('data-drawn', String(drawn));
  });
  document.body.setAttribute('data-charts-drawn', String(figures.length));
});
"#;
