//! Grid → report: the one row/column mapper. Every reader (text layouts, HTML, DOCX, PDF) hands over
//! the same [`Document`] rows; this module finds the statistical tables among them by their row labels,
//! places each printed value in its SCHEMA.md cell, and reads the metadata from the text.
//!
//! How a row is read: its label is its last text cell, its values are the cells after the label.
//! Layout noise is absorbed here, once, for all readers:
//! - merged cells that became empty cells: surplus blanks at the ends of a row are dropped;
//! - rows that lost their label (fragmented PDF conversions): a row of exactly seven values inside the
//!   sec3 table fills the next row in template order, with a warning;
//! - cells glued together (`8855698`): cut by the assignment solver ([`assign`]) under the identities;
//!   a cell the cuts disagree on has no value.
//!
//! Text reports are also read from their token stream by the template ([`stream`]); the reading the
//! report's identities support better is kept.

pub mod assign;
mod columns;
pub mod meta;
pub mod stream;

use std::collections::HashMap;

use crate::template::{self as labels, SEC3_COLS, SEC4_COLS, SEC4_GROUPS, Section};

use crate::check;
use crate::model::{
    Cell, CellKind, CheckStatus, Document, ParseQuality, Report, Row, RowKind, SourceFormat, Span, Table, TableRow,
    Template,
};

/// Where the walk through the rows stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Before,
    Sec2,
    Sec3,
    Sec4,
    After,
}

/// The printed value cells of one table row, before they are fitted to the template's columns.
#[derive(Debug, Clone)]
struct Printed {
    values: Vec<String>,
    glued: bool,
    /// Where each value lies across the page (PDF), parallel to `values`; empty when unknown.
    spans: Vec<Span>,
}

/// Which reading of a text report's tables to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tables {
    /// Read both the rows and the token stream, keep the one the identities support better.
    #[default]
    Auto,
    /// Only the rows the reader laid out (the only reading for HTML, DOCX and PDF grids).
    Grid,
    /// Only the token stream (text and markdown).
    Stream,
}

/// Map a document to the canonical report. `report_id` and `source_uri` identify the source file.
pub fn map(doc: &Document, source_uri: &str, report_id: String) -> Report {
    map_using(doc, source_uri, report_id, Tables::Auto)
}

/// [`map`], choosing which reading of the tables to keep (for diagnosing a layout).
pub fn map_using(doc: &Document, source_uri: &str, report_id: String, tables_from: Tables) -> Report {
    let meta = meta::extract(&doc.text);
    let mut warnings = doc.notes.clone();
    let found_template = detect_template(&doc.text);

    let mut tables = collect(&doc.rows, found_template, &mut warnings);
    place_under_columns(&mut tables, found_template, &mut warnings);
    let template = if tables.sec2.is_empty() && tables.sec3.is_empty() && tables.sec4.is_empty() {
        if meta.year.is_some_and(|y| y >= 2019) || found_template == Template::Y2019 {
            warnings.push("no statistical tables found in the report".to_string());
            found_template
        } else {
            Template::Legacy
        }
    } else {
        found_template
    };

    let narrative = meta::sec2_facts(&doc.text);
    let mut quality_flags = QualityFlags::default();
    let (sec2, sec3, sec4) = if template == Template::Legacy {
        (Table::default(), Table::default(), Table::default())
    } else {
        let is_text = matches!(doc.format, SourceFormat::Txt | SourceFormat::Md);
        // Text has no reliable row structure: the tables are also read from the token stream.
        let streamed = is_text.then(|| {
            let tokens = crate::read::tokens::tokens(&doc.text);
            stream::read_tables(&tokens, template, &narrative)
        });
        let layout = GridLayout {
            collapsed_runs: runs_may_be_collapsed(&tables),
            broken_numbers: is_text,
            values_may_glue: streamed.as_ref().is_some_and(|s| s.values_may_glue),
        };
        let grid = (
            build_sec2(&tables.sec2, template, &narrative, tables.procurement_in_wan, layout, &mut warnings),
            build_sec3(&tables.sec3, template, layout, &mut warnings),
            build_sec4(&tables.sec4, &tables.sec4_surplus, layout.collapsed_runs, &mut warnings),
        );
        quality_flags.uncertain = warnings.iter().filter(|w| w.contains("ambiguous")).count()
            + [&grid.0, &grid.1, &grid.2].iter().map(|t| undecided_cells(t)).sum::<usize>();
        quality_flags.inferred = warnings
            .iter()
            .filter(|w| {
                w.contains("placed by position")
                    || w.contains("cut the printed")
                    || w.contains("blank cells not printed")
            })
            .count();
        if let Some(streamed) = streamed.filter(|_| tables_from != Tables::Grid) {
            // Keep whichever reading the report's own arithmetic and completeness support better.
            let grid_score = reading_score(&grid.0, &grid.1, &grid.2, quality_flags.uncertain);
            let stream_score = reading_score(&streamed.sec2, &streamed.sec3, &streamed.sec4, streamed.uncertain);
            // In a crawler dump (rows whose digits ran into their labels) the row reading can only
            // guess where cells start, so the stream reading is kept unless the identities favour
            // the rows.
            let glued = doc.rows.iter().any(|r| r.kind == RowKind::Glued);
            // Where values stand before their labels, the row reading is shifted by a row.
            let stream_wins = streamed.values_first
                || if glued {
                    identity_balance(&streamed.sec2, &streamed.sec3, &streamed.sec4)
                        >= identity_balance(&grid.0, &grid.1, &grid.2)
                } else {
                    stream_score > grid_score
                };
            if stream_wins || tables_from == Tables::Stream {
                warnings.retain(|w| !w.starts_with("sec2") && !w.starts_with("sec3") && !w.starts_with("sec4"));
                warnings.extend(streamed.warnings);
                quality_flags = QualityFlags { uncertain: streamed.uncertain, inferred: streamed.inferred };
                let mut sec2 = streamed.sec2;
                for row in &mut sec2.rows {
                    for (col, cell) in &mut row.cells {
                        *cell = to_yuan(col, std::mem::replace(cell, Cell::missing()), tables.procurement_in_wan);
                    }
                }
                (sec2, streamed.sec3, streamed.sec4)
            } else {
                grid
            }
        } else {
            grid
        }
    };
    let checks = if template == Template::Legacy { Vec::new() } else { check::run(&sec2, &sec3, &sec4) };
    let parse_quality = quality(template, &sec2, &sec3, &sec4, &checks, quality_flags);

    if let (Some(said), Some(printed)) = (meta.narrative_applications, sec3.value("new_received", "total"))
        && said as f64 != printed
    {
        warnings.push(format!("narrative: says {said} applications were received; the table prints {printed}"));
    }

    let hints: Vec<&str> = [meta.title.as_deref(), meta.agency.as_deref()].into_iter().flatten().collect();
    let (region, region_warnings) = resolve_region(&hints, &doc.text);
    warnings.extend(region_warnings);
    let body = crate::body::identify(meta.agency.as_deref(), &region)
        .map_err(|why| warnings.push(format!("body: {why}; no body_id")))
        .ok();

    Report {
        report_id,
        source_uri: source_uri.to_string(),
        source_format: doc.format,
        encoding: doc.encoding.clone(),
        template,
        title: meta.title,
        agency: meta.agency,
        year: meta.year,
        published_on: meta.published_on,
        region,
        body_id: body.as_ref().map(|b| b.id.clone()),
        body_kind: body.as_ref().map(|b| b.kind.as_str()),
        proactive_total: meta.proactive_total,
        proactive_approx: meta.proactive_approx,
        info_fee_yuan: meta.info_fee_yuan,
        narrative_applications: meta.narrative_applications,
        sec2,
        sec3,
        sec4,
        checks,
        warnings,
        parse_quality,
    }
}

/// The region from the title and agency; when a name there exists in several places (宝山区,
/// 白云区), the body's own address, contact and signature lines may name the city or province that
/// narrows it. The narrower place is kept only when it extends what the title gave.
fn resolve_region(hints: &[&str], text: &str) -> (crate::model::Region, Vec<String>) {
    let (region, mut warnings) = crate::region::resolve(hints);
    if let Some((near, warning)) = crate::region::near_county(hints, &region) {
        warnings.push(warning);
        return (near, warnings);
    }
    if !warnings.iter().any(|w| w.contains("places")) {
        return (region, warnings);
    }
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut context: Vec<&str> = lines
        .iter()
        .filter(|l| {
            l.chars().count() <= 80
                && ["地址", "住址", "邮编", "邮政编码", "电话", "联系方式"].iter().any(|k| l.contains(k))
        })
        .copied()
        .collect();
    context.extend(lines.iter().rev().take(3));
    if context.is_empty() {
        return (region, warnings);
    }
    // The telephone's area code names the city even where the address does not.
    let contact = context.join("\n");
    let dialled = crate::region::dialled_place(&contact);
    let posted = crate::region::posted_province(&contact);
    let mut with_context: Vec<&str> = hints.to_vec();
    with_context.extend(context);
    with_context.extend(dialled.as_deref());
    with_context.extend(posted);
    let (narrowed, narrowed_warnings) = crate::region::resolve(&with_context);
    let extends = |code: &Option<String>, wider: &Option<String>| {
        wider.as_ref().is_none_or(|w| code.as_ref().is_some_and(|c| c.starts_with(w.as_str())))
    };
    let more_specific = narrowed.level != crate::model::Level::Unknown
        && extends(&narrowed.province_code, &region.province_code)
        && extends(&narrowed.county_code, &region.county_code)
        && narrowed.county_code.is_some()
        && region.county_code.is_none();
    if more_specific {
        let mut out: Vec<String> = narrowed_warnings;
        out.push(format!(
            "region: {} narrowed by the report's address, postcode, telephone or signature lines",
            hints.first().copied().unwrap_or("the title")
        ));
        return (narrowed, out);
    }
    (region, warnings)
}

/// What the mapper had to infer, for [`quality`].
#[derive(Debug, Default, Clone, Copy)]
struct QualityFlags {
    /// Cells left without a value because several readings fit.
    uncertain: usize,
    /// Cells placed by inference (cut, joined, expanded, placed by order) rather than as printed.
    inferred: usize,
}

/// Identities that hold minus identities that fail.
fn identity_balance(sec2: &Table, sec3: &Table, sec4: &Table) -> i64 {
    let (pass, fail) = identity_counts(sec2, sec3, sec4);
    pass - fail
}

/// How well a reading of the tables is supported: identities that hold, cells read, minus cells
/// missing or uncertain and identities that fail.
fn reading_score(sec2: &Table, sec3: &Table, sec4: &Table, uncertain: usize) -> i64 {
    let (pass, fail) = identity_counts(sec2, sec3, sec4);
    let cells = [sec2, sec3, sec4].iter().flat_map(|t| t.cells()).collect::<Vec<_>>();
    let numbers =
        cells.iter().filter(|(_, _, c)| matches!(c.kind, CellKind::Number | CellKind::Dash | CellKind::Blank)).count()
            as i64;
    let missing = cells.iter().filter(|(_, _, c)| c.kind == CellKind::Missing).count() as i64;
    3 * pass - 4 * fail + numbers - missing - 2 * uncertain as i64
}

/// Identities H1–H4 that hold and checks that fail.
fn identity_counts(sec2: &Table, sec3: &Table, sec4: &Table) -> (i64, i64) {
    let checks = check::run(sec2, sec3, sec4);
    let pass = checks.iter().filter(|c| c.id != "H5" && c.status == CheckStatus::Pass).count() as i64;
    let fail = checks.iter().filter(|c| c.status == CheckStatus::Fail).count() as i64;
    (pass, fail)
}

/// `parse_quality` (issue: analysts filter on it): `exact` when every cell was read unambiguously
/// and nothing inferred is contradicted by an identity; `ambiguous` when some cell was left open
/// or an inferred placement meets a failing identity; `partial` when cells are missing; `failed`
/// when no table cell was found at all.
fn quality(
    template: Template,
    sec2: &Table,
    sec3: &Table,
    sec4: &Table,
    checks: &[crate::model::Check],
    flags: QualityFlags,
) -> ParseQuality {
    if template == Template::Legacy {
        return ParseQuality::Exact;
    }
    let cells: Vec<&Cell> = [sec2, sec3, sec4].iter().flat_map(|t| t.cells().map(|(_, _, c)| c)).collect();
    if cells.is_empty() || cells.iter().all(|c| c.kind == CellKind::Missing) {
        return ParseQuality::Failed;
    }
    let failing = checks.iter().any(|c| c.status == CheckStatus::Fail);
    if flags.uncertain > 0 || (flags.inferred > 0 && failing) {
        return ParseQuality::Ambiguous;
    }
    if cells.iter().any(|c| c.kind == CellKind::Missing) {
        return ParseQuality::Partial;
    }
    ParseQuality::Exact
}

/// Cells the mapper left without a value although digits were printed for them (a placement it
/// could not be sure of): the report is not `exact`.
fn undecided_cells(table: &Table) -> usize {
    table
        .cells()
        .filter(|(_, _, c)| {
            c.kind == CellKind::Text && c.value.is_none() && c.raw.chars().any(|ch| ch.is_ascii_digit())
        })
        .count()
}

/// The 2019 trial format announces itself by its sec2 header words.
fn detect_template(text: &str) -> Template {
    let markers = ["本年新制作数量", "上一年项目数量", "第二十条第(九)项", "本年新公开数量"];
    if markers.iter().any(|m| text.contains(m)) { Template::Y2019 } else { Template::Y2021 }
}

#[derive(Default)]
struct Collected {
    sec2: HashMap<&'static str, Printed>,
    sec3: HashMap<&'static str, Printed>,
    sec4: Vec<String>,
    /// Values printed in sec4's row past its fifteen cells: which fifteen are the cells is unknown.
    sec4_surplus: Vec<String>,
    /// The 2019 procurement header prints its amount in 万元 (`采购总金额(万元)`).
    procurement_in_wan: bool,
}

fn is_value(cell: &str) -> bool {
    matches!(Cell::parse(cell).kind, CellKind::Number | CellKind::Dash)
}

/// Whether a cell of the row opens with one of `words` and is short enough to be a heading or a
/// table caption rather than a sentence that mentions them (`报告全文包括总体情况、主动公开…`).
fn has_heading(row: &Row, words: &[&str]) -> bool {
    let opens = |text: &str| {
        let norm = labels::normalize_label(text);
        words.iter().any(|w| norm.starts_with(w) && norm.chars().count() <= w.chars().count() + 30)
    };
    // A heading with a space in it (`第二 十条第（一）项`) is split over two cells by a spaced dump.
    row.cells.iter().any(|cell| opens(cell)) || row.cells.windows(2).any(|pair| opens(&pair.concat()))
}

fn row_text(row: &Row) -> String {
    row.cells.concat()
}

/// Walk the rows once, assigning table rows to their cells.
fn collect(rows: &[Row], template: Template, warnings: &mut Vec<String>) -> Collected {
    let sec3_rows = match template {
        Template::Y2019 => labels::SEC3_ROWS_2019,
        _ => labels::SEC3_ROWS_2021,
    };
    let mut out = Collected::default();
    let mut stage = Stage::Before;
    let mut sec3_heading_seen = false;
    // Index in `sec3_rows` of the last row placed, for rows that lost their label.
    let mut sec3_cursor: Option<usize> = None;

    let mut sec4_page_numbers: Vec<String> = Vec::new();
    for (at, row) in rows.iter().enumerate() {
        crate::budget::checkpoint();
        let text = row_text(row);
        if stage == Stage::After {
            break;
        }
        if matches!(stage, Stage::Before | Stage::Sec2) {
            if has_heading(row, &["第二十条", "主动公开政府信息情况"]) {
                stage = Stage::Sec2;
            }
            if has_heading(row, &["收到和处理政府信息公开申请"]) {
                sec3_heading_seen = true;
            }
        }
        if stage == Stage::Sec3 && (text.contains("行政复议") || text.contains("行政法复议")) {
            stage = Stage::Sec4;
        }
        if stage == Stage::Sec4 && has_heading(row, &["存在的主要问题", "其他需要报告的事项"]) {
            stage = Stage::After;
            continue;
        }
        if text.contains("采购总金额") && text.contains("万元") && text.chars().count() <= 40 {
            out.procurement_in_wan = true;
        }
        if row.kind == RowKind::Text {
            continue;
        }
        let label_at = row.cells.iter().rposition(|c| !c.trim().is_empty() && !is_value(c));
        let values_from = label_at.map_or(0, |i| i + 1);
        let values: Vec<String> = row.cells[values_from..].to_vec();
        let spans: Vec<Span> =
            if row.spans.len() == row.cells.len() { row.spans[values_from..].to_vec() } else { Vec::new() };
        let glued = row.kind == RowKind::Glued;
        let has_number = values.iter().any(|v| Cell::parse(v).kind == CellKind::Number);

        if stage == Stage::Sec4 {
            // A short sec4 is never topped up from what follows the table (a date line, a sentence).
            if !out.sec4.is_empty() && label_at.is_some_and(|i| !is_sec4_header(&row.cells[i])) {
                stage = Stage::After;
                continue;
            }
            if out.sec4.is_empty() && is_page_number_in_header(row, label_at, &values, rows.get(at + 1)) {
                sec4_page_numbers.push(values.join(" "));
                continue;
            }
            if has_number {
                collect_sec4(&values, &mut out.sec4, &mut out.sec4_surplus);
                if out.sec4.len() >= 15 {
                    stage = Stage::After;
                }
            }
            continue;
        }

        let Some(label_at) = label_at else {
            // A row of values with no label: inside sec3 it is the next row of the template.
            if stage == Stage::Sec3 && has_number {
                let fitted = trim_to(&values, SEC3_COLS.len());
                let next = sec3_cursor.map_or(0, |c| c + 1);
                if fitted.len() == SEC3_COLS.len() && next < sec3_rows.len() && !out.sec3.contains_key(sec3_rows[next])
                {
                    let key = sec3_rows[next];
                    warnings.push(format!("sec3.{key}: row printed without its label; placed by position"));
                    out.sec3.insert(key, Printed { values, glued, spans });
                    sec3_cursor = Some(next);
                }
            }
            continue;
        };
        if values.is_empty() {
            continue;
        }
        let label = &row.cells[label_at];
        // A label broken over lines (`行` / `政` / `处` / `罚`) is the run of short text cells before the values.
        let run_from = row.cells[..label_at]
            .iter()
            .rposition(|c| c.trim().is_empty() || is_value(c) || c.trim().chars().count() > 4)
            .map_or(0, |i| i + 1);
        let label_run: String = row.cells[run_from..=label_at].concat();
        // A long label broken at its commas (`部分公开(区分处理的,` / `只计这一情形,` / …) is every text cell before the values.
        let text_from =
            row.cells[..label_at].iter().rposition(|c| c.trim().is_empty() || is_value(c)).map_or(0, |i| i + 1);
        let text_run: String = row.cells[text_from..=label_at].concat();
        // A label whose cell printed a space (`一、本年新收政府信息 公开申请数量`) is its last text
        // cells: the fewest that match, so table headers before it do not make it too long to match.
        let suffix_runs = || (text_from..label_at).rev().map(|k| row.cells[k..=label_at].concat());
        let match_label = |section| {
            labels::match_label(label, section, template)
                .or_else(|| labels::match_label(&label_run, section, template))
                .or_else(|| labels::match_label(&text_run, section, template))
                .or_else(|| suffix_runs().find_map(|run| labels::match_label(&run, section, template)))
        };
        // A sec2 label with one character wrong (`行政范性文件`): the one row not yet read it can be.
        let near_sec2 = || {
            let mut near = labels::sec2_specs(template)
                .iter()
                .filter(|spec| !out.sec2.contains_key(spec.key) && labels::near_label(label, spec));
            let spec = near.next().filter(|_| near.next().is_none())?;
            warnings.push(format!("sec2.{}: label printed as {label:?}; taken for the template's row", spec.key));
            Some(spec)
        };
        if stage == Stage::Sec2
            && let Some(spec) =
                match_label(Section::Sec2).or_else(|| match_label(Section::Sec3).is_none().then(near_sec2).flatten())
        {
            if printed_row(&values, spec.cols.len()) {
                out.sec2.entry(spec.key).or_insert(Printed { values, glued, spans });
            }
            continue;
        }
        let sec3_open = matches!(stage, Stage::Sec2 | Stage::Sec3) || sec3_heading_seen;
        let matched = match_label(Section::Sec3).filter(|_| sec3_open);
        // A label with one character wrong, where the template expects its row next.
        let near = || {
            let next = sec3_rows.get(sec3_cursor.map_or(0, |c| c + 1))?;
            let spec = labels::sec3_spec(next);
            ((stage == Stage::Sec3 || sec3_open) && !out.sec3.contains_key(next) && labels::near_label(label, spec))
                .then(|| {
                    warnings
                        .push(format!("sec3.{next}: label printed as {label:?}; taken for the template's row there"));
                    spec
                })
        };
        let Some(spec) = matched.or_else(near) else {
            continue;
        };
        if !printed_row(&values, spec.cols.len()) {
            continue;
        }
        stage = Stage::Sec3;
        if out.sec3.contains_key(spec.key) {
            warnings.push(format!("sec3.{}: printed twice; kept the first", spec.key));
            continue;
        }
        if !sec3_rows.contains(&spec.key) && spec.key != "other_subtotal" {
            warnings.push(format!("sec3.{}: not a row of the {} template; ignored", spec.key, template.as_str()));
            continue;
        }
        out.sec3.insert(spec.key, Printed { values, glued, spans });
        let cursor_key = if spec.key == "other_subtotal" { "other_misc" } else { spec.key };
        sec3_cursor = sec3_rows.iter().position(|k| *k == cursor_key).or(sec3_cursor);
    }
    if !sec4_page_numbers.is_empty() {
        warnings.push(format!(
            "sec4: {} between the table's header words taken for page numbers, not cells",
            sec4_page_numbers.join(", ")
        ));
    }
    out
}

/// A page number that a page break printed inside sec4's header (`行政复议 - 2 - 行政诉讼 …`): the
/// row's only values are a number of one to three digits set off by dashes, after a header word and
/// before a row that goes on with the header. The template prints the header before its one row of
/// values, so such a number is no cell.
fn is_page_number_in_header(row: &Row, label_at: Option<usize>, values: &[String], next: Option<&Row>) -> bool {
    let [open, number, close] = values else {
        return false;
    };
    let header_before = label_at.is_some_and(|i| is_sec4_header(&row.cells[i]));
    let header_after = next
        .and_then(|r| r.cells.iter().find(|c| !c.trim().is_empty()))
        .is_some_and(|c| !is_value(c) && is_sec4_header(c));
    header_before
        && header_after
        && crate::read::tokens::is_page_number_dash(open.trim())
        && crate::read::tokens::is_page_number_dash(close.trim())
        && (1..=3).contains(&number.trim().len())
        && number.trim().bytes().all(|b| b.is_ascii_digit())
}

/// Whether the cells after a label are a printed row: some value, or a full row of empty cells (a
/// header cell such as 总计 followed by one merged blank is not).
fn printed_row(values: &[String], columns: usize) -> bool {
    values.iter().any(|v| is_value(v)) || values.len() >= columns
}

/// Words of the sec4 table header (`行政复议 … 结果维持 … 总计`), which may stand between its values.
fn is_sec4_header(label: &str) -> bool {
    let mut rest = labels::normalize_label(label);
    for w in labels::sec4_header_words() {
        rest = rest.replace(w, "");
    }
    rest.is_empty()
}

/// sec4 is one row of fifteen values (sometimes spread over several rows of the layout).
fn collect_sec4(values: &[String], sec4: &mut Vec<String>, surplus: &mut Vec<String>) {
    let needed = 15 - sec4.len();
    let taken = if sec4.is_empty() && values.len() >= 15 {
        trim_to(values, 15)
    } else {
        values.iter().filter(|v| !v.trim().is_empty()).cloned().collect()
    };
    surplus.extend(taken.iter().skip(needed).filter(|v| !v.trim().is_empty()).cloned());
    sec4.extend(taken.into_iter().take(needed));
}

/// Drop surplus empty cells at the ends of a row (left by merged cells) until it has `n` cells,
/// leading ones first.
fn trim_to(values: &[String], n: usize) -> Vec<String> {
    let mut v: &[String] = values;
    while v.len() > n && v.first().is_some_and(|c| c.trim().is_empty()) {
        v = &v[1..];
    }
    while v.len() > n && v.last().is_some_and(|c| c.trim().is_empty()) {
        v = &v[..v.len() - 1];
    }
    v.to_vec()
}

/// What the layout of a report's rows may have done to its cells.
#[derive(Debug, Clone, Copy)]
struct GridLayout {
    /// A run of equal adjacent cells may be printed once.
    collapsed_runs: bool,
    /// A number may be broken over two lines (text layouts; a cell of HTML, DOCX or PDF is a cell).
    broken_numbers: bool,
    /// The text runs values together somewhere in its tables (`规章000`, `00` for two cells), so a
    /// value of several digits in a short row may be several cells.
    values_may_glue: bool,
}

/// Whether the tables may come from a crawler that prints a run of equal adjacent cells once
/// (the evidence as for the token stream: [`stream::COLLAPSE_EVIDENCE`]).
fn runs_may_be_collapsed(tables: &Collected) -> bool {
    let short_with_pair = |values: &[String], cells: usize| {
        let filled: Vec<&str> = values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
        filled.len() < cells && filled.windows(2).any(|w| w[0] == w[1] && is_value(w[0]) && !stream::is_zero(w[0]))
    };
    let sec3 = tables.sec3.values().filter(|p| !p.glued && short_with_pair(&p.values, SEC3_COLS.len()));
    sec3.count() + usize::from(short_with_pair(&tables.sec4, 15)) < stream::COLLAPSE_EVIDENCE
}

/// Printed cells → the template's cells: missing where the report printed fewer. A row that
/// printed more values than the template has cells is taken only when `fits` says its first cells
/// are the row (its identity holds over them, the surplus being a column the template lacks);
/// otherwise which value belongs to which cell is unknown and no cell gets one.
fn fit(
    key: &str,
    printed: &[String],
    cols: &[&'static str],
    fits: impl Fn(&[Cell]) -> bool,
    warnings: &mut Vec<String>,
) -> Vec<(&'static str, Cell)> {
    let values = trim_to(printed, cols.len());
    let mut cells: Vec<Cell> = values.iter().take(cols.len()).map(|v| Cell::parse(v)).collect();
    if values.len() > cols.len() {
        let printed = values.iter().map(|v| v.trim()).collect::<Vec<_>>().join(" ");
        if fits(&cells) {
            warnings.push(format!(
                "{key}: {} cells printed, {} expected ({printed}); the first {} add up, kept them",
                values.len(),
                cols.len(),
                cols.len()
            ));
        } else {
            warnings.push(format!(
                "{key}: {} cells printed, {} expected ({printed}); placement uncertain, cells left without a value",
                values.len(),
                cols.len()
            ));
            cells = cols.iter().map(|_| Cell::undecided(printed.clone())).collect();
        }
    }
    cols.iter().enumerate().map(|(i, col)| (*col, cells.get(i).cloned().unwrap_or_else(Cell::missing))).collect()
}

/// H3 over a sec3 row's cells: the total is the sum of the six applicant columns.
fn row_adds_up(cells: &[Cell]) -> bool {
    let values: Vec<Option<f64>> = cells.iter().map(|c| c.value).collect();
    assign::satisfies(&values, assign::Rule::SumLast) == Some(true)
}

/// A grid row that printed fewer values than its `n` count columns: its cells when exactly one
/// expansion of runs printed once fits `rule` (cells of a grid are never cut).
fn expand_short_row(printed: &[&String], n: usize, rule: assign::Rule, may_collapse: bool) -> Option<Vec<String>> {
    // `000000` is digits run together, not one value printed for a run of cells.
    if !may_collapse || printed.iter().any(|v| assign::has_leading_zero(v.trim())) {
        return None;
    }
    let items: Vec<assign::Item> = printed
        .iter()
        .map(|v| {
            let cell = Cell::parse(v);
            let text =
                if cell.kind == CellKind::Number { v.chars().filter(|c| *c != ',').collect() } else { v.to_string() };
            assign::Item { text, gap: crate::read::tokens::Gap::Space, dash: cell.kind != CellKind::Number }
        })
        .collect();
    let mut costs = assign::Costs::SPACED;
    costs.split = costs.max + 1;
    let solved = assign::solve(&items, &vec![assign::ColKind::Count; n], rule, costs);
    match solved.candidates.as_slice() {
        [only] if !solved.broken => Some(only.cells.clone()),
        _ => None,
    }
}

/// A text row that printed more values than its `n` cells, read as numbers broken over lines
/// (`3` / `4` for 34): its cells when exactly one way of joining neighbours fits H3, and what was
/// joined.
fn join_broken_numbers(printed: &[&String], n: usize) -> Option<(Vec<String>, String)> {
    let items: Option<Vec<assign::Item>> = printed
        .iter()
        .map(|v| {
            let v = v.trim();
            v.bytes().all(|b| b.is_ascii_digit()).then(|| assign::Item::number(v, crate::read::tokens::Gap::Line))
        })
        .collect();
    let costs = assign::Costs { split: 7, join: 1, expand: 7, max: 6 };
    let solved = assign::solve(&items?, &vec![assign::ColKind::Count; n], assign::Rule::SumLast, costs);
    match solved.candidates.as_slice() {
        [only] if !solved.broken && !solved.exhausted => {
            let joined: Vec<String> = only
                .ops
                .iter()
                .filter_map(|op| match op {
                    assign::Op::Join(a, b) => Some(format!("joined {a} and {b} broken over a line")),
                    _ => None,
                })
                .collect();
            Some((only.cells.clone(), joined.join(", ")))
        }
        _ => None,
    }
}

/// A sec3 row as printed. A row with fewer values than columns is never filled from the left (that
/// moves the printed total into `other_org`): a collapsed run is expanded when exactly one expansion
/// fits H3; otherwise the total is kept when the values before it add up to it, the other cells
/// keep the printed text without a value, and the row is left to [`place_short_rows`].
fn fit_sec3(
    key: &'static str,
    printed: &[String],
    layout: GridLayout,
    short_rows: &mut Vec<ShortRow>,
    warnings: &mut Vec<String>,
) -> Vec<(&'static str, Cell)> {
    let values = trim_to(printed, SEC3_COLS.len());
    let filled: Vec<&String> = values.iter().filter(|v| !v.trim().is_empty()).collect();
    // A full row of text that does not add up as printed is a finding, unless the text may have
    // broken a number over lines: `05` (8 / 05 for 805), or neighbours that, joined, add up.
    if layout.broken_numbers
        && values.len() == SEC3_COLS.len()
        && !row_adds_up(&values.iter().map(|v| Cell::parse(v)).collect::<Vec<_>>())
    {
        let parts: Vec<&str> = filled.iter().map(|v| v.trim()).collect();
        let why = if parts.iter().any(|v| assign::has_leading_zero(v)) {
            Some("prints a leading zero: a number broken over lines")
        } else if parts.len() == SEC3_COLS.len() && assign::joined_reading_adds_up(&parts, |_| true) {
            Some("adds up with numbers broken over lines joined (and blank cells not printed)")
        } else {
            None
        };
        if let Some(why) = why {
            let printed = parts.join(" ");
            warnings.push(format!(
                "sec3.{key}: {printed} does not add up as printed and {why}; placement uncertain, cells left without a value"
            ));
            return SEC3_COLS.iter().map(|c| (*c, Cell::undecided(printed.clone()))).collect();
        }
    }
    if values.len() > SEC3_COLS.len() && layout.broken_numbers {
        let first: Vec<Cell> = values.iter().take(SEC3_COLS.len()).map(|v| Cell::parse(v)).collect();
        if !row_adds_up(&first)
            && let Some((cells, joined)) = join_broken_numbers(&filled, SEC3_COLS.len())
        {
            warnings.push(format!("sec3.{key}: {joined}; the row adds up"));
            return SEC3_COLS.iter().zip(&cells).map(|(c, v)| (*c, Cell::parse(v))).collect();
        }
    }
    if values.len() >= SEC3_COLS.len() || filled.is_empty() {
        return fit(&format!("sec3.{key}"), printed, SEC3_COLS, row_adds_up, warnings);
    }
    if let Some(cells) = expand_short_row(&filled, SEC3_COLS.len(), assign::Rule::SumLast, layout.collapsed_runs) {
        warnings.push(format!(
            "sec3.{key}: {} values printed for 7 cells; a run of equal cells printed once, expanded",
            filled.len()
        ));
        return SEC3_COLS.iter().zip(&cells).map(|(c, v)| (*c, Cell::parse(v))).collect();
    }
    let short = ShortRow::new(key, filled.iter().map(|v| v.trim().to_string()).collect());
    let total_certain = short.as_ref().is_some_and(|r| r.total_certain);
    let printed = filled.iter().map(|s| s.trim()).collect::<Vec<_>>().join(" ");
    warnings.push(format!(
        "sec3.{key}: {} values printed for 7 cells ({printed}); placement uncertain, {}",
        filled.len(),
        if total_certain { "kept the total" } else { "cells left without a value" }
    ));
    short_rows.extend(short);
    SEC3_COLS
        .iter()
        .map(|c| {
            if *c == "total" && total_certain {
                (*c, Cell::parse(filled[filled.len() - 1]))
            } else {
                (*c, Cell::undecided(printed.clone()))
            }
        })
        .collect()
}

/// A sec3 row of a text layout that printed fewer values than cells (blank cells not printed):
/// where its values sit is settled afterwards by the column identities, if they can.
pub(super) struct ShortRow {
    key: &'static str,
    /// The printed values, in order.
    printed: Vec<String>,
    /// Its last value is the row total (the others add up to it).
    total_certain: bool,
}

impl ShortRow {
    /// A short row of printed values; `None` when one of them is not a number.
    pub(super) fn new(key: &'static str, printed: Vec<String>) -> Option<ShortRow> {
        let values: Vec<f64> = printed.iter().map(|v| Cell::parse(v).value).collect::<Option<_>>()?;
        let total_certain =
            values.split_last().is_some_and(|(total, parts)| (parts.iter().sum::<f64>() - total).abs() < 1e-9);
        (printed.len() < SEC3_COLS.len()).then_some(ShortRow { key, printed, total_certain })
    }
}

/// Every way to put a short row's values, in order, into the seven sec3 cells (the total cell
/// fixed when it is certain): per cell, which printed value it holds.
fn placements(row: &ShortRow) -> Vec<[Option<usize>; 7]> {
    let n = SEC3_COLS.len();
    let k = row.printed.len();
    let (placed, free) = if row.total_certain { (k - 1, n - 1) } else { (k, n) };
    (0u32..1 << free)
        .filter(|mask| mask.count_ones() as usize == placed)
        .map(|mask| {
            let mut cells = [None; 7];
            let mut next = 0..placed;
            for (col, cell) in cells.iter_mut().enumerate().take(free) {
                if mask & (1 << col) != 0 {
                    *cell = next.next();
                }
            }
            if row.total_certain {
                cells[n - 1] = Some(k - 1);
            }
            cells
        })
        .collect()
}

/// Place short rows by the column identities H1 and H2: a row takes the one placement of its
/// values that adds no failing identity and makes at least one more hold, when exactly one does.
/// Placing a row may settle another, so this repeats until nothing changes.
pub(super) fn place_short_rows(table: &mut Table, short_rows: &[ShortRow], warnings: &mut Vec<String>) {
    let keys: Vec<&str> = table.rows.iter().map(|r| r.key).collect();
    let identities = check::ColumnIdentities::new(&keys);
    let mut values: Vec<[Option<f64>; 7]> =
        table.rows.iter().map(|r| std::array::from_fn(|col| r.cell(SEC3_COLS[col]).and_then(|c| c.value))).collect();
    let tally = |values: &[[Option<f64>; 7]]| identities.tally(|i, col| values[i][col]);
    let mut pending: Vec<&ShortRow> = short_rows.iter().collect();
    loop {
        let before = pending.len();
        pending.retain(|row| {
            let Some(r) = keys.iter().position(|k| *k == row.key) else { return false };
            let numbers: Vec<Option<f64>> = row.printed.iter().map(|p| Cell::parse(p).value).collect();
            let (base_passes, base_fails) = tally(&values);
            let mut fitting = placements(row).into_iter().filter(|cells| {
                let mut trial = values.clone();
                trial[r] = cells.map(|i| i.and_then(|i| numbers[i]));
                let (passes, fails) = tally(&trial);
                fails == base_fails && passes > base_passes
            });
            let (Some(only), None) = (fitting.next(), fitting.next()) else { return true };
            values[r] = only.map(|i| i.and_then(|i| numbers[i]));
            for (slot, held) in table.rows[r].cells.iter_mut().zip(only) {
                slot.1 = held.map_or_else(Cell::missing, |i| Cell::parse(&row.printed[i]));
            }
            warnings.push(format!(
                "sec3.{}: blank cells not printed; the one placement of its {} values that fits the column identities taken",
                row.key,
                row.printed.len()
            ));
            false
        });
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
}

/// How a cut of a glued sec2 row agrees with what the narrative states: one point per stated cell
/// it matches, `None` when it contradicts one.
pub(crate) fn narrative_score(row: &str, cols: &[&str], values: &[Option<f64>], facts: &[meta::Fact]) -> Option<usize> {
    let mut score = 0;
    for fact in facts.iter().filter(|f| f.row == row) {
        if let Some(i) = cols.iter().position(|c| *c == fact.col) {
            match values.get(i).copied().flatten() {
                Some(v) if (v - fact.value).abs() < 1e-9 => score += 1,
                Some(_) => return None,
                None => {}
            }
        }
    }
    Some(score)
}

/// The single digit run of a glued row that must be cut into `n` cells, if that is the situation.
fn glued_run(printed: &Printed, n: usize) -> Option<String> {
    let cells: Vec<&String> = printed.values.iter().filter(|v| !v.trim().is_empty()).collect();
    match cells.as_slice() {
        [only] if printed.glued && n > 1 && only.len() >= n && only.chars().all(|c| c.is_ascii_digit()) => {
            Some(only.to_string())
        }
        _ => None,
    }
}

/// Whether a text row that printed fewer values than its `n` cells may be values run together
/// rather than blank cells not printed: the report glues values somewhere, or this row prints a
/// leading zero (`00`), and its digits are enough to fill the cells. Filling from the left would
/// then store `6060` (60 and 60) as one cell.
fn short_row_may_hide_cuts(printed: &[String], n: usize, layout: GridLayout) -> bool {
    if !layout.broken_numbers {
        return false; // a cell of HTML, DOCX or PDF is a cell
    }
    let values: Vec<&str> = printed.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
    let numbers: Vec<&str> = values.iter().copied().filter(|v| v.chars().all(|c| c.is_ascii_digit())).collect();
    let digits: usize = numbers.iter().map(|v| v.len()).sum();
    let row_glues = numbers.iter().any(|v| assign::has_leading_zero(v));
    values.len() < n && numbers.len() == values.len() && digits >= n && (layout.values_may_glue || row_glues)
}

/// A positioned row (PDF) that still printed fewer values than its `n` cells once placed under its
/// columns: the page did not say where its blank cells are, so filling from the left would guess.
fn unplaced_short_row(p: &Printed, n: usize) -> bool {
    // A placed row has all `n` cells, its blanks as empty strings.
    !p.spans.is_empty() && (1..n).contains(&p.values.len())
}

fn build_sec2(
    printed: &HashMap<&'static str, Printed>,
    template: Template,
    narrative: &[meta::Fact],
    procurement_in_wan: bool,
    layout: GridLayout,
    warnings: &mut Vec<String>,
) -> Table {
    let mut table = Table::default();
    for spec in labels::sec2_specs(template) {
        let key = format!("sec2.{}", spec.key);
        let cells = match printed.get(spec.key) {
            None => spec.cols.iter().map(|c| (*c, Cell::missing())).collect(),
            Some(p) => match glued_run(p, spec.cols.len()) {
                Some(run) => {
                    let candidates = glued_cuts(&run, spec.cols.len(), assign::Rule::None);
                    let score = |s: &Vec<u64>| {
                        let values: Vec<Option<f64>> = s.iter().map(|n| Some(*n as f64)).collect();
                        narrative_score(spec.key, spec.cols, &values, narrative)
                    };
                    let best = candidates.iter().filter_map(score).max().unwrap_or(0);
                    let top: Vec<&Vec<u64>> = candidates.iter().filter(|s| score(s) == Some(best)).collect();
                    if top.len() > 1 {
                        warnings.push(format!(
                            "{key}: ambiguous: glued digits {run} split {} ways (first {:?}); cells left without a value",
                            top.len(),
                            top[0]
                        ));
                    }
                    if top.len() == 1 {
                        warnings.push(format!("{key}: cut the printed digits {run}"));
                    }
                    match top.first() {
                        Some(_) if top.len() > 1 => {
                            spec.cols.iter().map(|c| (*c, Cell::undecided(run.clone()))).collect()
                        }
                        Some(s) => spec
                            .cols
                            .iter()
                            .zip(s.iter())
                            .map(|(c, n)| (*c, Cell::number(*n as f64, n.to_string())))
                            .collect(),
                        None => {
                            warnings.push(format!(
                                "{key}: glued digits {run} cannot be cut into {} cells; cells left without a value",
                                spec.cols.len()
                            ));
                            spec.cols.iter().map(|c| (*c, Cell::undecided(run.clone()))).collect()
                        }
                    }
                }
                None if short_row_may_hide_cuts(&p.values, spec.cols.len(), layout) => {
                    let printed = p.values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect::<Vec<_>>();
                    let printed = printed.join(" ");
                    warnings.push(format!(
                        "{key}: {printed} printed for {} cells where values may run together; placement uncertain, cells left without a value",
                        spec.cols.len()
                    ));
                    spec.cols.iter().map(|c| (*c, Cell::undecided(printed.clone()))).collect()
                }
                None if unplaced_short_row(p, spec.cols.len()) => {
                    let printed = p.values.join(" ");
                    warnings.push(format!(
                        "{key}: {printed} printed for {} cells and the page does not show their columns; cells left without a value",
                        spec.cols.len()
                    ));
                    spec.cols.iter().map(|c| (*c, Cell::undecided(printed.clone()))).collect()
                }
                None => {
                    let printed: Vec<&str> = p.values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
                    // Text drops blank cells and may print a run of equal cells once, so which cells
                    // a short row's values are is not printed: read from the first column, said so.
                    if layout.broken_numbers && !printed.is_empty() && printed.len() < spec.cols.len() {
                        warnings.push(format!(
                            "{key}: ambiguous: {} printed for {} cells; read from the first column, the others missing",
                            printed.join(" "),
                            spec.cols.len()
                        ));
                    }
                    fit(&key, &p.values, spec.cols, |_| false, warnings)
                }
            },
        };
        let cells = cells.into_iter().map(|(col, cell)| (col, to_yuan(col, cell, procurement_in_wan))).collect();
        table.rows.push(TableRow { key: spec.key, cells });
    }
    table
}

/// `amount_yuan` is in yuan whatever the report printed: `25.1万元`, or `25.1` under a 万元 header.
fn to_yuan(col: &str, cell: Cell, header_in_wan: bool) -> Cell {
    match cell.value {
        Some(v) if col == "amount_yuan" && (cell.raw.contains('万') || header_in_wan) => {
            Cell { value: Some((v * 10_000.0 * 100.0).round() / 100.0), ..cell }
        }
        _ => cell,
    }
}

/// The sec3 rows of the template in order, with the 2021 subtotal of (六)其他处理 where the report
/// prints one (and without its three parts where it prints only the subtotal).
fn sec3_keys(printed: &HashMap<&'static str, Printed>, template: Template) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = match template {
        Template::Y2019 => labels::SEC3_ROWS_2019.to_vec(),
        _ => labels::SEC3_ROWS_2021.to_vec(),
    };
    if template == Template::Y2021 && printed.contains_key("other_subtotal") {
        let split_printed =
            ["other_no_correction", "other_fee_unpaid", "other_misc"].iter().any(|k| printed.contains_key(k));
        let at = keys.iter().position(|k| *k == "results_total").expect("results_total");
        keys.insert(at, "other_subtotal");
        if !split_printed {
            keys.retain(|k| !matches!(*k, "other_no_correction" | "other_fee_unpaid" | "other_misc"));
        }
    }
    keys
}

/// Short rows of a positioned grid (PDF) placed under the columns of the full rows of their table
/// ([`columns`]); sec2's sub-tables are told apart by their cell counts.
fn place_under_columns(tables: &mut Collected, template: Template, warnings: &mut Vec<String>) {
    let sec3 = sec3_keys(&tables.sec3, template);
    columns::place_short_rows(&mut tables.sec3, "sec3", &sec3, SEC3_COLS.len(), warnings);
    let specs = labels::sec2_specs(template);
    let mut widths: Vec<usize> = specs.iter().map(|s| s.cols.len()).filter(|n| *n > 1).collect();
    widths.sort_unstable();
    widths.dedup();
    for n in widths {
        let keys: Vec<&'static str> = specs.iter().filter(|s| s.cols.len() == n).map(|s| s.key).collect();
        columns::place_short_rows(&mut tables.sec2, "sec2", &keys, n, warnings);
    }
}

fn build_sec3(
    printed: &HashMap<&'static str, Printed>,
    template: Template,
    layout: GridLayout,
    warnings: &mut Vec<String>,
) -> Table {
    let keys = sec3_keys(printed, template);
    let n = SEC3_COLS.len();
    // Glued rows: candidate splits per row, then the combination that satisfies most identities.
    let mut glued: Vec<(&'static str, Vec<Vec<u64>>)> = Vec::new();
    let mut short_rows: Vec<ShortRow> = Vec::new();
    let mut table = Table::default();
    for key in &keys {
        let cells = match printed.get(key) {
            None => SEC3_COLS.iter().map(|c| (*c, Cell::missing())).collect(),
            Some(p) => match glued_run(p, n) {
                Some(run) => {
                    let candidates = glued_cuts(&run, n, assign::Rule::SumLast);
                    if candidates.is_empty() {
                        // Not a number: the cut is unknown, so no cell has a value; the digits stay.
                        warnings.push(format!(
                            "sec3.{key}: glued digits {run} have no split whose columns add up to the total; cells left without a value"
                        ));
                        SEC3_COLS.iter().map(|c| (*c, Cell::undecided(run.clone()))).collect()
                    } else {
                        warnings.push(format!("sec3.{key}: cut the printed digits {run}"));
                        glued.push((key, candidates));
                        SEC3_COLS.iter().map(|c| (*c, Cell::missing())).collect()
                    }
                }
                None => fit_sec3(key, &p.values, layout, &mut short_rows, warnings),
            },
        };
        table.rows.push(TableRow { key, cells });
    }
    if !glued.is_empty() {
        resolve_glued_sec3(&mut table, &glued, warnings);
    }
    if !short_rows.is_empty() {
        place_short_rows(&mut table, &short_rows, warnings);
    }
    table
}

/// Every cut of a glued run into `n` counts that satisfies `rule` (the assignment solver's cuts;
/// rows that break `rule` in every cut give none).
fn glued_cuts(run: &str, n: usize, rule: assign::Rule) -> Vec<Vec<u64>> {
    let item = assign::Item::number(run, crate::read::tokens::Gap::None);
    let solved = assign::solve(&[item], &vec![assign::ColKind::Count; n], rule, assign::Costs::GLUED);
    if solved.broken || solved.exhausted {
        return Vec::new();
    }
    solved
        .candidates
        .iter()
        .filter(|r| r.ops.iter().all(|op| matches!(op, assign::Op::Split { .. })))
        .filter_map(|r| r.cells.iter().map(|c| c.parse::<u64>().ok()).collect())
        .collect()
}

/// Choose one split per glued sec3 row so that the column identities H1 and H2 hold for as many
/// columns as possible; report rows whose choice was not forced.
fn resolve_glued_sec3(table: &mut Table, glued: &[(&'static str, Vec<Vec<u64>>)], warnings: &mut Vec<String>) {
    let combos: usize = glued.iter().map(|(_, c)| c.len()).product();
    let limit = 200_000;
    let mut choice = vec![0usize; glued.len()];
    let mut best: Option<(usize, Vec<usize>)> = None;
    let mut ties = 0usize;
    if combos <= limit {
        // The table's numbers once; a combination only swaps in the glued rows' candidates.
        let keys: Vec<&str> = table.rows.iter().map(|r| r.key).collect();
        let identities = check::ColumnIdentities::new(&keys);
        let printed: Vec<Vec<Option<f64>>> =
            table.rows.iter().map(|r| SEC3_COLS.iter().map(|c| r.cell(c).and_then(|c| c.value)).collect()).collect();
        let glued_at: Vec<Option<usize>> =
            table.rows.iter().map(|r| glued.iter().position(|(k, _)| *k == r.key)).collect();
        loop {
            crate::budget::checkpoint();
            let score = identities.passes(|r, col| match glued_at[r] {
                Some(g) => glued[g].1[choice[g]].get(col).map(|n| *n as f64),
                None => printed[r][col],
            });
            match &best {
                Some((s, _)) if *s > score => {}
                Some((s, _)) if *s == score => ties += 1,
                _ => {
                    best = Some((score, choice.clone()));
                    ties = 0;
                }
            }
            // Next combination (odometer).
            let mut i = 0;
            while i < choice.len() {
                choice[i] += 1;
                if choice[i] < glued[i].1.len() {
                    break;
                }
                choice[i] = 0;
                i += 1;
            }
            if i == choice.len() {
                break;
            }
        }
    } else {
        warnings.push(format!("sec3: {combos} combinations of glued splits, too many to weigh"));
    }
    let chosen = best.map(|(_, c)| c).unwrap_or_else(|| vec![0; glued.len()]);
    apply_choice(table, glued, &chosen);
    if ties > 0 || combos > limit {
        // Several combinations fit equally well: a cell on which a row's candidate cuts disagree has
        // no value (its printed digits stay in `raw`); cells all cuts agree on are kept.
        let rows: Vec<&str> = glued.iter().filter(|(_, c)| c.len() > 1).map(|(k, _)| *k).collect();
        for (key, candidates) in glued.iter().filter(|(_, c)| c.len() > 1) {
            let row = table.rows.iter_mut().find(|r| r.key == *key).expect("glued row present");
            for (i, (_, cell)) in row.cells.iter_mut().enumerate() {
                if candidates.iter().any(|c| c[i] != candidates[0][i]) {
                    let run: String = candidates[0].iter().map(u64::to_string).collect();
                    *cell = Cell::undecided(run);
                }
            }
        }
        warnings.push(format!(
            "sec3: ambiguous: glued digits in rows {} fit the identities in several ways; cells they disagree on left without a value",
            rows.join(", "),
        ));
    }
}

fn apply_choice(table: &mut Table, glued: &[(&'static str, Vec<Vec<u64>>)], choice: &[usize]) {
    for ((key, candidates), pick) in glued.iter().zip(choice) {
        let row = table.rows.iter_mut().find(|r| r.key == *key).expect("glued row present");
        row.cells = SEC3_COLS
            .iter()
            .zip(&candidates[*pick])
            .map(|(c, n)| (*c, Cell::number(*n as f64, n.to_string())))
            .collect();
    }
}

fn build_sec4(values: &[String], surplus: &[String], may_collapse: bool, warnings: &mut Vec<String>) -> Table {
    let mut values = values.to_vec();
    if !surplus.is_empty() {
        warnings.push(format!(
            "sec4: {} values printed for 15 cells ({} {}); which are the cells is uncertain, cells missing",
            values.len() + surplus.len(),
            values.join(" "),
            surplus.join(" ")
        ));
        values.clear();
    } else if !values.is_empty() && values.len() < 15 {
        // Never filled from the left: which cells were lost is unknown, unless a run of equal cells
        // printed once expands one way only under H4.
        let printed: Vec<&String> = values.iter().collect();
        match expand_short_row(&printed, 15, assign::Rule::Groups(5), may_collapse) {
            Some(cells) => {
                warnings.push(format!(
                    "sec4: {} of 15 cells printed; a run of equal cells printed once, expanded",
                    values.len()
                ));
                values = cells;
            }
            None => {
                warnings.push(format!(
                    "sec4: {} of 15 cells found ({}); placement uncertain, cells missing",
                    values.len(),
                    values.join(" ")
                ));
                values.clear();
            }
        }
    }
    let mut table = Table::default();
    for (g, group) in SEC4_GROUPS.iter().enumerate() {
        let cells = SEC4_COLS
            .iter()
            .enumerate()
            .map(|(c, col)| (*col, values.get(g * 5 + c).map_or_else(Cell::missing, |v| Cell::parse(v))))
            .collect();
        table.rows.push(TableRow { key: group, cells });
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sec4_printed_with_more_values_than_cells_is_left_missing() {
        let row: Vec<String> = "- 2 - 1 0 0 1 2 0 1 0 0 1 0 0 0 0 0".split(' ').map(String::from).collect();
        let (mut sec4, mut surplus) = (Vec::new(), Vec::new());
        collect_sec4(&row, &mut sec4, &mut surplus);
        assert_eq!((sec4.len(), surplus.len()), (15, 3));
        let mut warnings = Vec::new();
        let table = build_sec4(&sec4, &surplus, false, &mut warnings);
        assert!(table.cells().all(|(_, _, c)| c.kind == CellKind::Missing));
        assert!(warnings.iter().any(|w| w.contains("18 values printed for 15 cells")), "{warnings:?}");
        let (mut exact, mut none) = (Vec::new(), Vec::new());
        collect_sec4(&row[3..], &mut exact, &mut none);
        assert!(none.is_empty());
        let table = build_sec4(&exact, &none, false, &mut warnings);
        assert_eq!(table.value("review", "total"), Some(2.0));
    }

    #[test]
    fn procurement_amounts_become_yuan() {
        assert_eq!(to_yuan("amount_yuan", Cell::parse("251000元"), false).value, Some(251000.0));
        assert_eq!(to_yuan("amount_yuan", Cell::parse("25.1万元"), false).value, Some(251000.0));
        assert_eq!(to_yuan("amount_yuan", Cell::parse("3.5"), true).value, Some(35000.0));
        assert_eq!(to_yuan("items", Cell::parse("6"), true).value, Some(6.0));
        assert_eq!(to_yuan("amount_yuan", Cell::parse(""), true).kind, CellKind::Blank);
    }
}
