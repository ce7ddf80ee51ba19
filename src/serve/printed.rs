//! A report page's printed tables: each cell's raw text above its stored value, in the template's
//! rows and columns, the cells of every failed identity highlighted, and the failures listed with
//! their formula, both sides and the difference.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::dashboard::trim_decimal;
use super::html::{Row, encode, escape};
use crate::check;
use crate::model::Template;
use crate::template as labels;

/// A cell by section, row and column.
type CellKey = (String, String, String);

/// The report's metadata, and the link to its archived raw file.
pub fn head(m: &Row, id: &str) -> String {
    let mut head = String::from(r#"<dl class="report-meta">"#);
    for key in [
        "agency",
        "year",
        "province",
        "prefecture",
        "county",
        "township",
        "template",
        "source_format",
        "parse_quality",
        "checks_failed",
        "body_id",
        "source_uri",
    ] {
        let value = m.get(key).unwrap_or("");
        let shown = match key {
            "body_id" if !value.is_empty() => format!(r#"<a href="/body/{}">{}</a>"#, encode(value), escape(value)),
            _ => escape(value),
        };
        let _ = write!(head, "<dt>{key}</dt><dd>{shown}</dd>");
    }
    let _ = write!(
        head,
        r#"</dl><p><a class="raw-file" href="/raw/{}">原始文件 The archived raw file</a> · report_id <code>{}</code></p>"#,
        encode(id),
        escape(id)
    );
    head
}

fn key_of(cell: &Row) -> CellKey {
    let part = |column: &str| cell.get(column).unwrap_or("").to_string();
    (part("section"), part("row"), part("col"))
}

/// The cells every failed check reads, each with the checks (`H3 new_received`) that name it.
pub fn failed_cells(cells: &[Row], checks: &[Row]) -> BTreeMap<CellKey, Vec<String>> {
    let mut sec3_rows: Vec<&str> =
        cells.iter().filter(|c| c.get("section") == Some("sec3")).filter_map(|c| c.get("row")).collect();
    sec3_rows.dedup();
    let mut failed: BTreeMap<CellKey, Vec<String>> = BTreeMap::new();
    for c in checks.iter().filter(|c| c.get("status") == Some("fail")) {
        let (id, scope) = (c.get("id").unwrap_or(""), c.get("scope").unwrap_or(""));
        let covered: Vec<CellKey> = if id == "H5" {
            // H5 covers a section: the counts in it that are negative or not whole.
            cells
                .iter()
                .filter(|cell| cell.get("section") == Some(scope))
                .filter(|cell| cell.number("value").is_some_and(|v| check::breaks_h5(cell.get("col").unwrap_or(""), v)))
                .map(key_of)
                .collect()
        } else {
            check::identity_cells(id, scope, &sec3_rows).into_iter().map(|(s, r, c)| (s.to_string(), r, c)).collect()
        };
        for key in covered {
            failed.entry(key).or_default().push(format!("{id} {scope}"));
        }
    }
    failed
}

fn template_of(name: &str) -> Template {
    match name {
        "2019" => Template::Y2019,
        "legacy" => Template::Legacy,
        _ => Template::Y2021,
    }
}

/// One printed table of a report: its rows (key, label) and columns (key, header).
struct Layout {
    section: &'static str,
    title: &'static str,
    rows: Vec<(String, String)>,
    cols: Vec<(String, String)>,
}

fn layouts(template: Template) -> Vec<Layout> {
    let mut sec2_cols: Vec<&str> = Vec::new();
    for spec in labels::sec2_specs(template) {
        for c in spec.cols {
            if !sec2_cols.contains(c) {
                sec2_cols.push(c);
            }
        }
    }
    let pair = |c: &&str| (c.to_string(), labels::col_label(c).to_string());
    vec![
        Layout {
            section: "sec2",
            title: "二、主动公开政府信息情况",
            rows: labels::sec2_specs(template).iter().map(|s| (s.key.to_string(), s.label.to_string())).collect(),
            cols: sec2_cols.iter().map(pair).collect(),
        },
        Layout {
            section: "sec3",
            title: "三、收到和处理政府信息公开申请情况",
            rows: labels::sec3_specs(template).iter().map(|s| (s.key.to_string(), s.label.to_string())).collect(),
            cols: labels::SEC3_COLS.iter().map(pair).collect(),
        },
        Layout {
            section: "sec4",
            title: "四、政府信息公开行政复议、行政诉讼情况",
            rows: labels::SEC4_GROUPS
                .iter()
                .map(|g| (g.to_string(), labels::sec4_group_label(g).to_string()))
                .collect(),
            cols: labels::SEC4_COLS.iter().map(pair).collect(),
        },
    ]
}

/// The three tables of `template` with the report's cells, as printed and as stored.
pub fn tables(template: &str, cells: &[Row], failed: &BTreeMap<CellKey, Vec<String>>) -> String {
    let by_key: BTreeMap<CellKey, &Row> = cells.iter().map(|c| (key_of(c), c)).collect();
    let mut out = String::from(
        "<p>Each cell shows the text as printed (above) and the value stored (below). Cells of a failed identity are \
         highlighted; hover for the checks that read them.</p>",
    );
    for layout in layouts(template_of(template)) {
        let _ = write!(
            out,
            r#"<section class="printed" id="printed-{s}"><h2>{t}</h2><div class="scroll"><table><thead><tr><th class="label"></th>"#,
            s = layout.section,
            t = escape(layout.title)
        );
        for (_, header) in &layout.cols {
            let _ = write!(out, "<th>{}</th>", escape(header));
        }
        out.push_str("</tr></thead><tbody>");
        for (row, label) in &layout.rows {
            if layout.section == "sec3"
                && let Some(group) = labels::sec3_group(row)
            {
                let span = layout.cols.len() + 1;
                let _ =
                    write!(out, r#"<tr class="group"><td class="label" colspan="{span}">{}</td></tr>"#, escape(group));
            }
            let _ = write!(out, r#"<tr><td class="label">{}</td>"#, escape(label));
            for (col, _) in &layout.cols {
                let key = (layout.section.to_string(), row.clone(), col.clone());
                match by_key.get(&key) {
                    None => out.push_str("<td></td>"),
                    Some(cell) => out.push_str(&cell_html(&key, cell, failed.get(&key))),
                }
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table></div></section>");
    }
    out
}

/// One cell: its raw text above its value (or its kind when it has none), highlighted when a
/// failed check reads it.
fn cell_html((section, row, col): &CellKey, cell: &Row, failed: Option<&Vec<String>>) -> String {
    let kind = cell.get("kind").unwrap_or("");
    let class = if failed.is_some() { " failed" } else { "" };
    let value = cell.get("value").map(trim_decimal).unwrap_or_else(|| format!("({kind})"));
    let fails = failed.map(|f| format!(" · fails {}", f.join(", "))).unwrap_or_default();
    let hover = format!("{section}.{row}.{col} · {kind}{fails}");
    format!(
        r#"<td class="cell {kind}{class}" title="{}" data-cell="{section}.{}.{}"><span class="raw">{}</span><span class="value">{}</span></td>"#,
        escape(&hover),
        escape(row),
        escape(col),
        escape(cell.get("raw").unwrap_or("")),
        escape(&value),
    )
}

/// Every failed check: its formula, both sides and the difference.
pub fn failures(checks: &[Row]) -> String {
    let mut out = String::from(r#"<section id="failed-checks"><h2>未通过的勾稽关系 Failed identities</h2>"#);
    let failing: Vec<&Row> = checks.iter().filter(|c| c.get("status") == Some("fail")).collect();
    if failing.is_empty() {
        out.push_str("<p>None: every identity that could be assessed holds.</p>");
    }
    let side = |c: &Row, column: &str| escape(&c.get(column).map(trim_decimal).unwrap_or_else(|| "NULL".into()));
    for c in failing {
        let (id, scope) = (c.get("id").unwrap_or(""), c.get("scope").unwrap_or(""));
        let _ = write!(
            out,
            r#"<p class="check fail"><strong>{} {}</strong>: {}. Left side {}, right side {}, difference {}.</p>"#,
            escape(id),
            escape(scope),
            escape(check::formula(id)),
            side(c, "lhs"),
            side(c, "rhs"),
            side(c, "difference"),
        );
    }
    out.push_str("</section>");
    out
}
