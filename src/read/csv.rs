//! CSV exports of crawled pages: the report sits in one quoted field of a row (columns such as
//! 标题,时间,内容,来源网站), and the title and date live in the CSV's own columns, not in the body.
//! The export becomes plain text again, the title and date as labelled lines above the body, so the
//! text reader and the metadata reader see what they see in any other report.

use crate::model::Row;

/// Column names that hold each part, as crawlers name them.
const TITLE: &[&str] = &["标题", "题名", "名称", "title"];
const DATE: &[&str] = &["时间", "发布时间", "发布日期", "日期", "成文日期", "date", "time"];
const CONTENT: &[&str] = &["内容", "正文", "全文", "content", "text", "body"];

/// A CSV export unwrapped: the title and date as labelled lines, the content field as the crawler
/// saved it (text, or the page's HTML), and notes for the report's warnings.
pub struct Unwrapped {
    pub head: Vec<String>,
    pub body: String,
    pub notes: Vec<String>,
}

impl Unwrapped {
    /// The export as plain text: the labelled lines above the body.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in &self.head {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&self.body);
        out.push('\n');
        out
    }

    /// Whether the crawler saved the page's markup in the content field rather than its text.
    pub fn body_is_html(&self) -> bool {
        let head = self.body.get(..self.body.len().min(65_536)).unwrap_or(&self.body).to_ascii_lowercase();
        ["<table", "<td", "<p>", "<p ", "<div", "<br", "<span"].iter().any(|m| head.contains(m))
    }

    /// The export as one HTML page: the labelled lines as paragraphs above the saved markup.
    pub fn html(&self) -> String {
        let mut out = String::new();
        for line in &self.head {
            let escaped = line.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            out.push_str(&format!("<p>{escaped}</p>\n"));
        }
        out.push_str(&self.body);
        out
    }
}

fn column(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| {
        let h = h.trim().trim_start_matches('\u{feff}').to_lowercase();
        names.iter().any(|n| h == *n)
    })
}

/// Whether the text looks like a CSV export of crawled pages: a header line naming a content column.
pub fn looks_like_export(text: &str) -> bool {
    let first = text.trim_start_matches('\u{feff}').lines().next().unwrap_or("");
    first.contains(',')
        && first.split(',').any(|h| CONTENT.contains(&h.trim().trim_matches('"').to_lowercase().as_str()))
}

/// Unwrap a CSV export; `None` when it is not one (no header with a content column, or no row).
pub fn unwrap(text: &str) -> Option<Unwrapped> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().ok()?.clone();
    let content = column(&headers, CONTENT)?;
    let title = column(&headers, TITLE);
    let date = column(&headers, DATE);
    let rows: Vec<csv::StringRecord> = reader.records().filter_map(Result::ok).collect();
    let with_content: Vec<&csv::StringRecord> =
        rows.iter().filter(|r| r.get(content).is_some_and(|c| !c.trim().is_empty())).collect();
    // One report per export is the rule; when a crawler put several pages in one file, the longest
    // body is the report and the others are named in the warnings.
    let best = with_content.iter().max_by_key(|r| r.get(content).map_or(0, str::len))?;
    let mut notes = Vec::new();
    if with_content.len() > 1 {
        notes.push(format!("CSV export holds {} rows with content; read the longest", with_content.len()));
    }
    let mut head = Vec::new();
    if let Some(t) = title.and_then(|i| best.get(i)).map(str::trim).filter(|t| !t.is_empty()) {
        head.push(format!("标题: {t}"));
    }
    if let Some(d) = date.and_then(|i| best.get(i)).map(str::trim).filter(|d| !d.is_empty()) {
        head.push(format!("发布时间: {d}"));
    }
    Some(Unwrapped { head, body: best.get(content).unwrap_or("").to_string(), notes })
}

/// A spreadsheet export saved under another name, every field quoted (`"规章","13","","524"`):
/// nine lines in ten open and close a quoted field, as plain text's lines do not.
pub fn looks_like_quoted_sheet(text: &str) -> bool {
    let (mut lines, mut quoted) = (0, 0);
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        lines += 1;
        quoted += usize::from(line.len() >= 2 && line.starts_with('"') && line.ends_with('"'));
    }
    lines >= 5 && quoted * 10 >= lines * 9
}

/// A spreadsheet export of the report itself (no content column): each record is a row of the
/// page, a table row where it has two or more cells, its empty fields blank cells. Trailing empty
/// fields are the sheet's padding to its widest row, not cells; the text is each record's fields
/// joined by spaces, a line each. `None` when the text is not CSV.
pub fn sheet_rows(text: &str) -> Option<(Vec<Row>, String)> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut lines = String::new();
    for record in reader.records() {
        let record = record.ok()?;
        let mut cells: Vec<&str> = record.iter().map(str::trim).collect();
        while cells.last().is_some_and(|c| c.is_empty()) {
            cells.pop();
        }
        if cells.is_empty() {
            continue;
        }
        lines.push_str(&cells.join(" "));
        lines.push('\n');
        rows.push(if cells.len() >= 2 { Row::table(cells) } else { Row::text(cells[0]) });
    }
    Some((rows, lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_and_date_come_from_their_columns() {
        let csv = "标题,时间,内容,来源网站\n\"某县2023年政府信息公开工作年度报告\",2024-01-20,\"一、总体情况\r\r规章\r0\r0\r0\",http://x\n";
        assert!(looks_like_export(csv));
        let u = unwrap(csv).unwrap();
        assert!(u.text().starts_with("标题: 某县2023年政府信息公开工作年度报告\n发布时间: 2024-01-20\n一、总体情况"));
        assert!(u.text().contains("规章\r0\r0\r0"));
        assert!(u.notes.is_empty());
    }

    #[test]
    fn a_content_field_holding_markup_becomes_one_page() {
        let csv = "标题,时间,内容\n\"某县<2023>年报\",2024-01-20,\"<p style=\"\"width:100px\"\">一、总体情况</p><table><tr><td>规章</td><td>0</td></tr></table>\"\n";
        let u = unwrap(csv).unwrap();
        assert!(u.body_is_html());
        assert!(
            u.html().starts_with(
                "<p>标题: 某县&lt;2023&gt;年报</p>\n<p>发布时间: 2024-01-20</p>\n<p style=\"width:100px\">"
            )
        );
        let text = unwrap("标题,内容\n年报,\"一、总体情况\r规章\r0\"\n").unwrap();
        assert!(!text.body_is_html(), "text without markup stays text");
    }

    #[test]
    fn a_quoted_sheet_is_told_from_plain_text() {
        let sheet = "\"标题\"\n\"一、总体情况\"\n\"项目\",\"本年制发件数\"\n\"规章\",\"0\"\n\"行政规范性文件\",\"3\"\n";
        assert!(looks_like_quoted_sheet(sheet));
        let one_field = "\"标题\"\n\"规章\"\n\"0\"\n\"行政规范性文件\"\n\"3\"\n";
        assert!(looks_like_quoted_sheet(one_field));
        let prose = "一、总体情况\n\"放管服\"改革\n规章 0\n行政规范性文件 3\n\"二、主动公开\"\n";
        assert!(!looks_like_quoted_sheet(prose));
    }

    #[test]
    fn not_an_export() {
        assert!(!looks_like_export("一、总体情况,我局认真贯彻"));
        assert!(unwrap("a,b\n1,2\n").is_none());
    }
}
