//! Plain-text and markdown layouts → rows. Reports reach us as text in several shapes, all seen in
//! real files, and each is recognised line by line:
//!
//! - markdown tables (`| a | b |`), e.g. PDFs converted to markdown;
//! - tab tables, where merged cells became empty tabs;
//! - DOCX-derived "one cell per line": a tab opens each cell, a blank line closes a row, and a line
//!   without a tab continues the cell above (`商业` / `企业`);
//! - free lines: web scrapes with one cell per line, label-and-number lines (`行政处罚 0`), and crawler
//!   dumps whose cells were glued together with no separator (`规章000行政规范性文件8855698`).
//!
//! Free lines are cut into text and value segments; a row ends where text follows a value, so a label
//! collects the values printed after it. Which rows are table rows of which section is the mapper's job.

use super::tokens::is_cjk;
use crate::model::{Row, RowKind, cell::is_dash};

/// Build rows from normalised text.
pub fn rows(text: &str) -> Vec<Row> {
    // A page break inside a table leaves its page number between two cells.
    let lines: Vec<&str> = text.lines().filter(|l| !super::tokens::is_page_furniture_line(l)).collect();
    let one_cell_per_line = is_one_cell_per_line(&lines);
    let mut out = Vec::new();
    let mut free = FreeRows::default();
    let mut docx_row: Vec<String> = Vec::new();

    for line in &lines {
        crate::budget::checkpoint();
        let trimmed = line.trim();
        if one_cell_per_line {
            // A tab alone opens an empty cell; only a truly empty line closes the row.
            if line.starts_with('\t') && trimmed.is_empty() && !line[1..].contains('\t') {
                free.flush(&mut out);
                docx_row.push(String::new());
                continue;
            }
            if trimmed.is_empty() {
                flush_table(&mut docx_row, &mut out);
                continue;
            }
            if let Some(cell) = line.strip_prefix('\t').filter(|c| !c.contains('\t')) {
                free.flush(&mut out);
                docx_row.push(cell.trim().to_string());
                continue;
            }
            if let Some(last) = docx_row.last_mut() {
                last.push_str(trimmed);
                continue;
            }
        }
        if trimmed.is_empty() {
            continue;
        }
        if let Some(cells) = markdown_cells(trimmed) {
            free.flush(&mut out);
            if !cells.iter().all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' '))) {
                out.push(Row::table(cells));
            }
        } else if line.contains('\t') {
            free.flush(&mut out);
            let cells: Vec<String> = line.split('\t').map(|c| c.trim().to_string()).collect();
            if cells.iter().any(|c| !c.is_empty()) {
                out.push(Row::table(cells));
            }
        } else {
            free.line(trimmed, &mut out);
        }
    }
    flush_table(&mut docx_row, &mut out);
    free.flush(&mut out);
    out
}

fn flush_table(row: &mut Vec<String>, out: &mut Vec<Row>) {
    if row.iter().any(|c| !c.is_empty()) {
        out.push(Row::table(std::mem::take(row)));
    }
    row.clear();
}

/// The DOCX-derived layout: many lines that are a tab followed by one cell.
fn is_one_cell_per_line(lines: &[&str]) -> bool {
    let single = lines.iter().filter(|l| l.starts_with('\t') && l.matches('\t').count() == 1).count();
    let multi = lines.iter().filter(|l| l.matches('\t').count() >= 2).count();
    single >= 20 && single > 3 * multi
}

fn markdown_cells(line: &str) -> Option<Vec<String>> {
    let inner = line.strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(|c| c.trim().to_string()).collect())
}

/// A piece of a free line.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Text(String),
    /// A number or a dash mark.
    Value(String),
}

/// Accumulates free lines into rows: a row ends where text follows a value.
#[derive(Default)]
struct FreeRows {
    cells: Vec<String>,
    last_was_value: bool,
    glued: bool,
}

impl FreeRows {
    fn line(&mut self, line: &str, out: &mut Vec<Row>) {
        let glued = is_glued(line);
        if glued != self.glued {
            self.flush(out);
            self.glued = glued;
        }
        for segment in segments(line) {
            match segment {
                Segment::Text(t) => {
                    if self.last_was_value {
                        self.flush(out);
                    }
                    self.cells.push(t);
                    self.last_was_value = false;
                }
                Segment::Value(v) => {
                    self.cells.push(v);
                    self.last_was_value = true;
                }
            }
        }
        if glued {
            self.flush(out);
        }
    }

    fn flush(&mut self, out: &mut Vec<Row>) {
        if !self.cells.is_empty() {
            let has_value = self.last_was_value || self.cells.iter().any(|c| is_value(c));
            let kind = match (has_value, self.glued) {
                (false, _) => RowKind::Text,
                (true, true) => RowKind::Glued,
                (true, false) => RowKind::Table,
            };
            let cells = std::mem::take(&mut self.cells);
            out.push(if kind == RowKind::Text {
                Row::text(cells.join(" "))
            } else {
                Row { kind, cells, spans: Vec::new() }
            });
        }
        self.last_was_value = false;
    }
}

fn is_value(cell: &str) -> bool {
    is_dash(cell) || crate::model::cell::parse_number(cell).is_some()
}

/// A crawler dump: a long line in which digits run straight into table labels.
fn is_glued(line: &str) -> bool {
    if line.chars().count() < 300 {
        return false;
    }
    let chars: Vec<char> = line.chars().collect();
    let glued_joins = chars
        .windows(2)
        .filter(|w| (is_cjk(w[0]) && w[1].is_ascii_digit()) || (w[0].is_ascii_digit() && is_cjk(w[1])))
        .count();
    glued_joins >= 10 && ["规章", "本年新收", "总计"].iter().all(|l| line.contains(l))
}

/// Cut a free line into text and value segments. Whitespace separates segments; inside a chunk,
/// digit runs are values, except an enumerator that opens a label (`2.重复申请`, `1、`), which stays
/// with its label even when glued to the digits before it (`00000002.其他…` → `0000000`, `2.其他…`).
pub fn segments(line: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let chunks: Vec<&str> = line.split_whitespace().collect();
    let mut prefix = String::new();
    for (c, chunk) in chunks.iter().enumerate() {
        // `2. 其他…`: an enumerator set apart from its label.
        let enumerator =
            chunk.strip_suffix(['.', '、']).is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                && chunks.get(c + 1).and_then(|next| next.chars().next()).is_some_and(is_cjk);
        if enumerator {
            prefix = chunk.to_string();
            continue;
        }
        if is_dash(chunk) {
            out.push(Segment::Value(chunk.to_string()));
            continue;
        }
        let chars: Vec<char> = chunk.chars().collect();
        let mut text = std::mem::take(&mut prefix);
        let mut i = 0;
        while i < chars.len() {
            if !chars[i].is_ascii_digit() {
                text.push(chars[i]);
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            // A decimal point between digits belongs to the number.
            if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let digits: String = chars[start..i].iter().collect();
            let enumerator_follows = i < chars.len()
                && matches!(chars[i], '.' | '、')
                && chars.get(i + 1).is_some_and(|c| !c.is_ascii_digit())
                && !digits.contains('.');
            // Digits directly after text are part of it (`第711号`, `2023年`) unless a table label
            // precedes them, which is what the glued layout looks like; keep them as values and let the
            // mapper decide.
            let (value, enumerator) = if enumerator_follows {
                let split = digits.len() - 1;
                (&digits[..split], &digits[split..])
            } else {
                (&digits[..], "")
            };
            if !value.is_empty() {
                if !text.is_empty() {
                    out.push(Segment::Text(std::mem::take(&mut text)));
                }
                out.push(Segment::Value(value.to_string()));
            }
            text.push_str(enumerator);
        }
        if !text.is_empty() {
            out.push(Segment::Text(text));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Segment::*;

    fn t(s: &str) -> Segment {
        Text(s.into())
    }
    fn v(s: &str) -> Segment {
        Value(s.into())
    }

    #[test]
    fn segments_split_glued_digits_and_keep_enumerators() {
        assert_eq!(
            segments("规章000行政规范性文件8855698"),
            vec![t("规章"), v("000"), t("行政规范性文件"), v("8855698")]
        );
        assert_eq!(
            segments("1.属于国家秘密00000002.其他法律"),
            vec![t("1.属于国家秘密"), v("0000000"), t("2.其他法律")]
        );
        assert_eq!(segments("行政事业性收费9116.36 三、"), vec![t("行政事业性收费"), v("9116.36"), t("三、")]);
        assert_eq!(segments("行政处罚 0"), vec![t("行政处罚"), v("0")]);
        assert_eq!(segments("3.其他 / 0"), vec![t("3.其他"), v("/"), v("0")]);
        // An enumerator set apart from its label by a space is still the label's.
        assert_eq!(segments("2. 其他法律法规禁止公开 0"), vec![t("2.其他法律法规禁止公开"), v("0")]);
        assert_eq!(segments("收费 2. 0"), vec![t("收费"), v("2"), t("."), v("0")]);
    }

    #[test]
    fn web_scrape_cells_group_into_rows() {
        let text = "规章\n\n   0\n\n0\n\n行政规范性文件\n\n0\n\n本单位名义制发数量\n\n信息内容\n\n0\n\n行政许可\n\n0\n";
        let rows = rows(text);
        let cells: Vec<Vec<String>> = rows.iter().map(|r| r.cells.clone()).collect();
        assert_eq!(cells[0], vec!["规章", "0", "0"]);
        assert_eq!(cells[1], vec!["行政规范性文件", "0"]);
        assert_eq!(cells[2], vec!["本单位名义制发数量", "信息内容", "0"]);
        assert_eq!(cells[3], vec!["行政许可", "0"]);
    }

    #[test]
    fn one_cell_per_line_rows_close_at_blank_lines() {
        let mut text = String::new();
        for _ in 0..10 {
            text.push_str("\t行政处罚\n\t4\n\n\t商业\n企业\n\t科研\n机构\n\n");
        }
        let rows = rows(&text);
        assert_eq!(rows[0].cells, vec!["行政处罚", "4"]);
        assert_eq!(rows[1].cells, vec!["商业企业", "科研机构"]);
    }

    #[test]
    fn markdown_and_tabs() {
        let rows = rows("| 规章 | 1 | 0 | 2 |\n|---|---|---|---|\n行政许可\t\t5\t\n");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cells, vec!["规章", "1", "0", "2"]);
        assert_eq!(rows[1].cells, vec!["行政许可", "", "5", ""]);
    }
}
