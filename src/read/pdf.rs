//! PDF → rows from the text layer with glyph positions (`pdf-extract` on `lopdf`, no external tools).
//!
//! Glyphs are grouped into lines by their baseline, and a line into cells where the horizontal gap
//! between glyphs is wide (a table column boundary); digits close to each other always stay one number.
//! Table labels that wrap over several lines around their row's values (vertically centred cells) are
//! folded into the nearest line that holds values, so each table row reads label-then-values as the
//! mapper expects. A PDF with no text layer is reported as needing OCR; panics inside the PDF
//! libraries are caught and reported as damaged files, and what the libraries would do without a
//! bound (decode bombs, forms that draw themselves) is refused first ([`super::pdf_bounds`]).

use std::panic::{AssertUnwindSafe, catch_unwind};

use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

use super::ReadError;
use crate::model::{Cell, CellKind, Row, Span};

#[derive(Debug, Clone)]
struct Glyph {
    x: f64,
    /// Top-down baseline position.
    y: f64,
    end: f64,
    size: f64,
    ch: String,
}

#[derive(Default)]
struct Collector {
    /// Per page: its width, its height and its glyphs.
    pages: Vec<(f64, f64, Vec<Glyph>)>,
    /// The current page's top, to turn PDF y (upwards) into top-down y.
    top: f64,
    /// The current page's left edge, so that x is measured from it.
    left: f64,
}

impl OutputDev for Collector {
    fn begin_page(&mut self, _: u32, media_box: &MediaBox, _: Option<(f64, f64, f64, f64)>) -> Result<(), OutputError> {
        let height = media_box.ury - media_box.lly;
        self.top = media_box.ury;
        self.left = media_box.llx;
        self.pages.push((media_box.urx - media_box.llx, height, Vec::new()));
        Ok(())
    }
    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _: f64,
        font_size: f64,
        ch: &str,
    ) -> Result<(), OutputError> {
        // The text rendering matrix maps glyph space to the page; its scale gives the drawn font size.
        let (vx, vy) = (font_size * (trm.m11 + trm.m21), font_size * (trm.m12 + trm.m22));
        let size = (vx * vy).abs().sqrt();
        crate::budget::checkpoint();
        let (x, y) = (trm.m31 - self.left, self.top - trm.m32);
        if let Some((_, _, glyphs)) = self.pages.last_mut() {
            glyphs.push(Glyph { x, y, end: x + width * size, size: size.max(1.0), ch: ch.to_string() });
        }
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// Read a PDF's text layer into rows and text lines.
pub fn rows(bytes: &[u8]) -> Result<(Vec<Row>, String), ReadError> {
    let pages = glyphs(bytes)?;
    if pages.is_empty() {
        return Err(ReadError::Damaged { format: "PDF", reason: "no pages".into() });
    }
    let text_glyphs = pages.iter().flat_map(|(_, _, g)| g).filter(|g| !g.ch.trim().is_empty()).count();
    if text_glyphs == 0 {
        return Err(ReadError::NoTextLayer);
    }
    let mut rows = Vec::new();
    for (width, height, glyphs) in pages {
        rows.extend(page_rows(glyphs, width, height));
    }
    let text =
        rows.iter().map(|r: &Row| r.cells.iter().filter(|c| !c.is_empty()).cloned().collect::<Vec<_>>().join("\t"));
    let text = text.collect::<Vec<_>>().join("\n");
    Ok((rows, text))
}

fn glyphs(bytes: &[u8]) -> Result<Vec<(f64, f64, Vec<Glyph>)>, ReadError> {
    // lopdf decodes streams whole and without a limit: count first what they decode to.
    let limit = super::pdf_bounds::MAX_DECODED;
    if super::pdf_bounds::decoded_size(bytes, limit).is_err() {
        return Err(ReadError::PdfStreamsTooLarge { limit });
    }
    let pages = guarded(|| {
        let doc = pdf_extract::Document::load_mem(bytes).map_err(|e| format!("cannot open: {e}"))?;
        if doc.is_encrypted() {
            return Err("encrypted".to_string());
        }
        // pdf-extract draws forms by recursion, without a depth limit: walk the calls first.
        super::pdf_bounds::drawn_size(&doc, super::pdf_bounds::MAX_DRAWN)?;
        let mut collector = Collector::default();
        pdf_extract::output_doc(&doc, &mut collector).map_err(|e| format!("cannot read the text layer: {e}"))?;
        Ok(collector.pages)
    });
    pages.map_err(|reason| ReadError::Damaged { format: "PDF", reason })
}

thread_local! {
    /// Set while PDF code runs on this thread, so its panics are reported as errors, not printed.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run PDF library code, turning a panic into an error that names the library's message. The panic
/// hook is wrapped once so that panics caught here print nothing (a batch prints one line per file).
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(|g| g.get()) {
                previous(info);
            }
        }));
    });
    GUARDED.with(|g| g.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(false));
    match result {
        Ok(r) => r,
        // The parse's budget stopped it inside the library (at a glyph): not the library's failure.
        Err(panic) if crate::budget::is_stop(panic.as_ref()) => std::panic::resume_unwind(panic),
        Err(panic) => Err(format!("the PDF library failed: {}", crate::budget::panic_message(panic.as_ref()))),
    }
}

/// Glyphs of value cells: digits, decimal marks and the dashes printed for "none".
fn is_value_glyph(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '/' | '—' | '－' | '／'))
}

/// One cell of a line: its text and its horizontal extent on the page.
struct Piece {
    left: f64,
    right: f64,
    text: String,
}

/// One line of a page: its baseline and cells.
struct Line {
    y: f64,
    size: f64,
    cells: Vec<Piece>,
    /// The right end of the line's last glyph.
    right: f64,
}

impl Line {
    fn has_values(&self) -> bool {
        self.cells.iter().any(|p| is_number(&p.text))
    }

    /// The left edge of the line's first number (labels lie left of it).
    fn first_value_x(&self) -> f64 {
        self.cells.iter().find(|p| is_number(&p.text)).map_or(f64::MAX, |p| p.left)
    }
}

fn is_number(cell: &str) -> bool {
    matches!(Cell::parse(cell).kind, CellKind::Number)
}

fn page_rows(mut glyphs: Vec<Glyph>, width: f64, height: f64) -> Vec<Row> {
    glyphs.retain(|g| !g.ch.trim().is_empty() && g.x.is_finite() && g.y.is_finite());
    glyphs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    // Lines: glyphs whose baselines are within 40% of the font size.
    let mut groups: Vec<Vec<Glyph>> = Vec::new();
    for g in glyphs {
        match groups.last_mut() {
            Some(line) if (g.y - line[0].y).abs() <= 0.4 * line[0].size.max(g.size) => line.push(g),
            _ => groups.push(vec![g]),
        }
    }
    let mut lines: Vec<Line> = groups.into_iter().map(line_cells).collect();
    // Page numbers in the margins are not report content; anything else there (a table row that
    // reached the margin) is.
    lines.retain(|l| !(l.y < height * 0.07 || l.y > height * 0.93) || !is_page_number(l, width));
    fold_wrapped_labels(lines)
}

/// Whether a margin line is a lone page number: one short number in a page-number form (`- 3 -`,
/// `— 3 —`, `第 3 页`, `第3页`), or a bare number centred on the page. Never a line with several
/// numbers or cells.
fn is_page_number(line: &Line, width: f64) -> bool {
    let [piece] = line.cells.as_slice() else { return false };
    let text: String = piece.text.chars().filter(|c| !c.is_whitespace()).collect();
    let short_number = |s: &str| (1..=4).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    let dashes = ['-', '—', '－', '–'];
    let decorated = text
        .strip_prefix('第')
        .and_then(|t| t.strip_suffix('页'))
        .or_else(|| text.strip_prefix(dashes).and_then(|t| t.strip_suffix(dashes)));
    if decorated.is_some_and(short_number) {
        return true;
    }
    let centre = (piece.left + line.right) / 2.0;
    short_number(&text) && width > 0.0 && (centre - width / 2.0).abs() < width * 0.1
}

/// Cut a line's glyphs into cells at wide gaps; digits that are close stay together.
fn line_cells(mut glyphs: Vec<Glyph>) -> Line {
    glyphs.sort_by(|a, b| a.x.total_cmp(&b.x));
    let y = glyphs.iter().map(|g| g.y).sum::<f64>() / glyphs.len() as f64;
    let size = glyphs.iter().map(|g| g.size).fold(0.0, f64::max);
    let right = glyphs.iter().map(|g| g.end).fold(f64::MIN, f64::max);
    let mut cells: Vec<Piece> = Vec::new();
    let mut prev: Option<&Glyph> = None;
    for g in &glyphs {
        let split = match prev {
            None => true,
            Some(p) => {
                let gap = g.x - p.end;
                let digits = is_value_glyph(&p.ch) && is_value_glyph(&g.ch);
                // Digits of one number touch (gaps near 0) while narrow value columns can be under one
                // em apart (0.8 em in real reports), so digits join only when closer than 0.6 em; text
                // glyphs join up to a full em (letter-spaced labels), cells start beyond that.
                let limit = if digits { 0.6 * g.size } else { 1.0 * g.size };
                gap > limit
            }
        };
        if split {
            cells.push(Piece { left: g.x, right: g.end, text: String::new() });
        }
        if let Some(piece) = cells.last_mut() {
            piece.text.push_str(&g.ch);
            piece.right = piece.right.max(g.end);
        }
        prev = Some(g);
    }
    Line { y, size, cells, right }
}

/// Lines without values lying within a line's height of a line with values are wrapped parts of that
/// row's labels: merge their cells (by column) into it, so the row reads label-then-values.
fn fold_wrapped_labels(lines: Vec<Line>) -> Vec<Row> {
    let value_lines: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].has_values()).collect();
    let mut target: Vec<Option<usize>> = vec![None; lines.len()];
    for (i, line) in lines.iter().enumerate() {
        if line.has_values() {
            continue;
        }
        let nearest = value_lines
            .iter()
            .map(|&v| (v, (lines[v].y - line.y).abs()))
            .filter(|(v, d)| *d <= 1.6 * lines[*v].size.max(line.size))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        // Only label columns: the fragment must lie left of the row's first value.
        if let Some((v, _)) = nearest {
            let first_value_x = lines[v].first_value_x();
            if line.cells.iter().all(|p| p.left < first_value_x) {
                target[i] = Some(v);
            }
        }
    }
    let mut rows = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if target[i].is_some() {
            continue;
        }
        if !line.has_values() {
            rows.push(Row::text(line.cells.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join(" ")));
            continue;
        }
        // Label fragments in y order, merged into columns by their left x.
        let mut parts: Vec<(f64, &Piece)> = Vec::new();
        for (j, other) in lines.iter().enumerate() {
            if j == i || target[j] == Some(i) {
                parts.extend(other.cells.iter().map(|p| (other.y, p)));
            }
        }
        let first_value_x = line.first_value_x();
        let (mut labels, values): (Vec<_>, Vec<_>) = parts.into_iter().partition(|(_, p)| p.left < first_value_x);
        labels.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut columns: Vec<(Span, String)> = Vec::new();
        for (_, p) in labels {
            match columns.iter_mut().find(|((left, _), _)| (left - p.left).abs() < 2.0 * line.size) {
                Some(((_, right), t)) => {
                    t.push_str(&p.text);
                    *right = right.max(p.right);
                }
                None => columns.push(((p.left, p.right), p.text.clone())),
            }
        }
        columns.sort_by(|a, b| a.0.0.total_cmp(&b.0.0));
        let mut values: Vec<(Span, String)> =
            values.into_iter().map(|(_, p)| ((p.left, p.right), p.text.clone())).collect();
        values.sort_by(|a, b| a.0.0.total_cmp(&b.0.0));
        rows.push(Row::positioned(columns.into_iter().chain(values)));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glyphs(y: f64, runs: &[(f64, &str)]) -> Vec<Glyph> {
        runs.iter()
            .flat_map(|(x, t)| {
                t.chars().enumerate().map(move |(i, c)| {
                    let gx = x + 10.0 * i as f64;
                    Glyph { x: gx, y, end: gx + 10.0, size: 10.0, ch: c.to_string() }
                })
            })
            .collect()
    }

    #[test]
    fn panics_become_errors() {
        let r: Result<(), String> = guarded(|| panic!("index out of bounds"));
        assert_eq!(r, Err("the PDF library failed: index out of bounds".to_string()));
        assert_eq!(guarded(|| Ok(3)), Ok(3));
    }

    #[test]
    fn close_digits_join_and_column_gaps_split() {
        // "1" and "5" 4pt apart are one number; "3" 30pt away is the next column.
        let line = line_cells(glyphs(100.0, &[(0.0, "规章"), (100.0, "1"), (114.0, "5"), (154.0, "3")]));
        let cells: Vec<&str> = line.cells.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(cells, ["规章", "15", "3"]);
    }

    #[test]
    fn wrapped_labels_fold_into_their_value_line() {
        let mut all = glyphs(100.0, &[(0.0, "部分公开")]);
        all.extend(glyphs(106.0, &[(200.0, "2"), (240.0, "0")]));
        all.extend(glyphs(112.0, &[(0.0, "其他情形")]));
        all.extend(glyphs(160.0, &[(0.0, "三、说明")]));
        let rows: Vec<Vec<String>> = page_rows(all, 595.0, 842.0).into_iter().map(|r| r.cells).collect();
        assert_eq!(rows, [vec!["部分公开其他情形", "2", "0"], vec!["三、说明"]]);
    }

    #[test]
    fn only_lone_page_numbers_leave_the_margins() {
        let (w, h) = (595.0, 842.0);
        let texts = |rows: Vec<Row>| rows.into_iter().map(|r| r.cells.join("|")).collect::<Vec<_>>();
        // Page numbers: decorated forms anywhere in the margin, a bare number when centred.
        let mut all = glyphs(20.0, &[(500.0, "-3-")]);
        all.extend(glyphs(830.0, &[(292.0, "7")]));
        all.extend(glyphs(825.0, &[(60.0, "第12页")]));
        all.extend(glyphs(400.0, &[(0.0, "正文")]));
        assert_eq!(texts(page_rows(all, w, h)), ["正文"]);
        // A row of values printed in the bottom margin, and a lone number off centre, stay.
        let mut all = glyphs(400.0, &[(0.0, "正文")]);
        all.extend(glyphs(820.0, &[(100.0, "3"), (200.0, "0"), (300.0, "3")]));
        all.extend(glyphs(830.0, &[(60.0, "12")]));
        all.extend(glyphs(840.0, &[(260.0, "3 5")]));
        let rows = texts(page_rows(all, w, h));
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert!(rows.contains(&"3|0|3".to_string()), "{rows:?}");
    }
}
