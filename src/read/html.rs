//! HTML → rows, with html5ever (through `scraper`) rather than patterns, so that broken markup, entities
//! and Word-exported HTML (`<o:p>`, `mso-` styles) parse the way a browser would.
//!
//! Tables become [`Row::table`] rows: `rowspan`/`colspan` are laid out on a grid so every printed cell
//! lands in its column; a cell spanning several columns is kept once (the mapper reads a row as label
//! then values, one per printed cell), and the rows a `rowspan` covers get an empty cell in its place.
//! Paragraphs outside tables become [`Row::text`] lines. Both also go into the document text, one line
//! per paragraph or table row, for the metadata.

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

use super::decode::squeeze;
use crate::model::Row;

/// Elements whose content is never report text.
const SKIPPED: &[&str] = &["script", "style", "nav", "noscript", "template", "head", "select", "button", "iframe"];
/// Elements that end a line of running text.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "section",
    "article",
    "header",
    "footer",
    "tr",
    "table",
    "blockquote",
    "pre",
    "hr",
    "dd",
    "dt",
    "center",
    "title",
    "body",
    "html",
    "main",
    "aside",
];

/// The deepest nesting [`check_depth`] lets through: the HTML parser's time grows with the square
/// of the nesting, and 200,000 nested elements take it minutes.
pub const MAX_DEPTH: usize = 10_000;

/// Refuse a page nested deeper than [`MAX_DEPTH`], by a scan of its tags before the parse. Elements
/// a page may leave open (`p`, `li`, `td`, …) and void elements are not counted, so messy real
/// pages stay far below the limit.
pub fn check_depth(html: &str) -> Result<(), super::ReadError> {
    const UNCOUNTED: &[&str] = &[
        "p", "li", "td", "th", "tr", "tbody", "thead", "tfoot", "option", "optgroup", "dt", "dd", "colgroup",
        "caption", "rb", "rt", "rp", "head", "body", "html", "br", "img", "hr", "meta", "link", "input", "col", "area",
        "base", "embed", "param", "source", "track", "wbr",
    ];
    let bytes = html.as_bytes();
    let (mut depth, mut at) = (0usize, 0usize);
    while let Some(offset) = bytes[at..].iter().position(|&b| b == b'<') {
        let start = at + offset + 1;
        let closing = bytes.get(start) == Some(&b'/');
        let name_start = start + usize::from(closing);
        let name_len = bytes[name_start..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        at = name_start + name_len;
        if name_len == 0 {
            continue;
        }
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        if UNCOUNTED.contains(&name.as_str()) {
            continue;
        }
        let end = bytes[at..].iter().position(|&b| b == b'>').map_or(bytes.len(), |p| at + p);
        let self_closing = end > 0 && bytes.get(end - 1) == Some(&b'/');
        if closing {
            depth = depth.saturating_sub(1);
        } else if !self_closing {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(super::ReadError::TooDeep { limit: MAX_DEPTH });
            }
        }
    }
    Ok(())
}

/// Lay out an HTML document (already decoded to text) as rows, returning the rows and the text lines.
pub fn rows(html: &str) -> (Vec<Row>, String) {
    let html = unescape_js_string(html);
    let doc = Html::parse_document(&html);
    let mut walker = Walker::default();
    // <title> sits in <head>, which is otherwise skipped; it often names the report.
    if let Some(title) =
        doc.root_element().descendants().filter_map(ElementRef::wrap).find(|e| e.value().name() == "title")
    {
        walker.line.push_str(&title.text().collect::<String>());
        walker.flush();
    }
    walker.walk(doc.root_element());
    walker.flush();
    let text = walker.lines.join("\n");
    (walker.rows, text)
}

/// Reports embedded in JavaScript arrive as a string literal whose quotes are escaped (`<p style=\"…\">`).
fn unescape_js_string(html: &str) -> std::borrow::Cow<'_, str> {
    if html.contains("=\\\"") || html.contains("=\\'") {
        html.replace("\\\"", "\"")
            .replace("\\'", "'")
            .replace("\\/", "/")
            .replace("\\n", "\n")
            .replace("\\t", "\t")
            .into()
    } else {
        html.into()
    }
}

#[derive(Default)]
struct Walker {
    rows: Vec<Row>,
    lines: Vec<String>,
    line: String,
}

impl Walker {
    fn flush(&mut self) {
        let line = squeeze(&self.line);
        self.line.clear();
        if !line.is_empty() {
            self.rows.push(Row::text(line.clone()));
            self.lines.push(line);
        }
    }

    /// Lay out the subtree of `root` (skipped tags passed over, tables laid out on their own).
    fn walk(&mut self, root: ElementRef) {
        walk_edges(root, |edge| match edge {
            Edge::Open(node) => match node.value() {
                Node::Text(t) => {
                    self.line.push_str(t);
                    false
                }
                Node::Element(e) if SKIPPED.contains(&e.name()) => true,
                Node::Element(e) if e.name() == "table" => {
                    self.flush();
                    if let Some(table) = ElementRef::wrap(node) {
                        self.table(table);
                    }
                    true
                }
                Node::Element(e) => {
                    if BLOCKS.contains(&e.name()) {
                        self.flush();
                    }
                    false
                }
                _ => false,
            },
            Edge::Close(node) => {
                if matches!(node.value(), Node::Element(e) if BLOCKS.contains(&e.name())) {
                    self.flush();
                }
                false
            }
        });
    }

    fn table(&mut self, table: ElementRef) {
        for cells in table_grid(table) {
            if cells.iter().all(|c| c.is_empty()) {
                continue;
            }
            self.lines.push(cells.iter().filter(|c| !c.is_empty()).cloned().collect::<Vec<_>>().join("\t"));
            self.rows.push(Row::table(cells));
        }
    }
}

/// The rows of a table (not of tables nested in its cells), each as the printed cells in grid order.
fn table_grid(table: ElementRef) -> Vec<Vec<String>> {
    // Per grid column: rows still covered by a rowspan from above, and whether the column is the
    // first one of that spanning cell (only the first yields an empty cell).
    let mut covered: Vec<(usize, bool)> = Vec::new();
    let mut out = Vec::new();
    for tr in own_rows(table) {
        // Spans may make many more cells than the page has bytes.
        crate::budget::checkpoint();
        let mut row: Vec<String> = Vec::new();
        let mut col = 0usize;
        let skip_covered = |col: &mut usize, row: &mut Vec<String>, covered: &mut Vec<(usize, bool)>| {
            while let Some((left, first)) = covered.get_mut(*col).filter(|(left, _)| *left > 0) {
                *left -= 1;
                if *first {
                    row.push(String::new());
                }
                *col += 1;
            }
        };
        for td in tr.children().filter_map(ElementRef::wrap).filter(|e| matches!(e.value().name(), "td" | "th")) {
            skip_covered(&mut col, &mut row, &mut covered);
            let span = |attr: &str| {
                td.value().attr(attr).and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(1).clamp(1, 1000)
            };
            let (colspan, rowspan) = (span("colspan"), span("rowspan"));
            row.push(cell_text(td));
            if covered.len() < col + colspan {
                covered.resize(col + colspan, (0, false));
            }
            for (i, c) in covered[col..col + colspan].iter_mut().enumerate() {
                *c = (rowspan - 1, i == 0);
            }
            col += colspan;
        }
        skip_covered(&mut col, &mut row, &mut covered);
        out.push(row);
    }
    out
}

/// `tr` elements of this table: its own, through thead/tbody/tfoot, not those of nested tables.
fn own_rows(table: ElementRef) -> Vec<ElementRef> {
    let mut out = Vec::new();
    for child in table.children().filter_map(ElementRef::wrap) {
        match child.value().name() {
            "tr" => out.push(child),
            "thead" | "tbody" | "tfoot" => {
                out.extend(child.children().filter_map(ElementRef::wrap).filter(|e| e.value().name() == "tr"))
            }
            _ => {}
        }
    }
    out
}

/// A cell's text: `<br>` and paragraphs inside a cell join without a space between CJK characters
/// (they are line wraps: `本年新<br>制作数量`), with one space between Latin words.
fn cell_text(td: ElementRef) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = String::new();
    collect_cell(td, &mut parts, &mut cur);
    parts.push(cur);
    let mut out = String::new();
    for part in parts.iter().map(|p| squeeze(p)).filter(|p| !p.is_empty()) {
        let join_space = out.chars().last().is_some_and(|c| c.is_ascii_alphanumeric())
            && part.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if join_space {
            out.push(' ');
        }
        out.push_str(&part);
    }
    out
}

/// The edges of `root`'s subtree in document order, given to `visit` without recursion (a hostile
/// file of tens of thousands of nested elements costs time in proportion, never the stack). When
/// `visit` returns true for an opening edge, that element's subtree, its closing edge included, is
/// passed over.
fn walk_edges(root: ElementRef, mut visit: impl FnMut(Edge<Node>) -> bool) {
    let mut passing: Option<NodeId> = None;
    for edge in root.traverse() {
        crate::budget::checkpoint();
        match (edge, passing) {
            (Edge::Open(node), None) => passing = visit(Edge::Open(node)).then(|| node.id()),
            (Edge::Close(node), Some(id)) if id == node.id() => passing = None,
            (Edge::Close(node), None) => {
                visit(Edge::Close(node));
            }
            _ => {}
        }
    }
}

/// The text of a cell's subtree in parts split at block elements.
fn collect_cell(td: ElementRef, parts: &mut Vec<String>, cur: &mut String) {
    walk_edges(td, |edge| {
        let (node, open) = match edge {
            Edge::Open(node) => (node, true),
            Edge::Close(node) => (node, false),
        };
        if node.id() == td.id() {
            return false;
        }
        match node.value() {
            Node::Text(t) if open => cur.push_str(t),
            Node::Element(e) if open && SKIPPED.contains(&e.name()) => return true,
            Node::Element(e) if BLOCKS.contains(&e.name()) => parts.push(std::mem::take(cur)),
            _ => {}
        }
        false
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn nesting_past_the_limit_is_refused_before_the_parse() {
        let nested = |n: usize| format!("<html><body>{}x{}</body></html>", "<div>".repeat(n), "</div>".repeat(n));
        assert!(check_depth(&nested(MAX_DEPTH)).is_ok());
        assert!(matches!(check_depth(&nested(MAX_DEPTH + 1)), Err(super::super::ReadError::TooDeep { .. })));
        // Cells and paragraphs left open, void and self-closing elements, comments: not nesting.
        let messy =
            "<table>".to_string() + &"<tr><td>1<td>2<p>x<br><img src=a.png/><!-- c -->".repeat(20_000) + "</table>";
        assert!(check_depth(&messy).is_ok());
    }

    use super::*;

    #[test]
    fn spans_breaks_and_blanks() {
        let html = r#"<html><head><style>p{mso-margin:0}</style><script>var x="<td>9</td>";</script></head>
            <body><p class=MsoNormal>标题<o:p></o:p></p>
            <table><tr><td rowspan=2>组</td><td colspan=2>本年新<br>制作数量</td><td>7</td></tr>
            <tr><td>甲</td><td>&nbsp;</td><td>5</td></tr></table><nav>菜单</nav></body></html>"#;
        let (rows, text) = rows(html);
        assert_eq!(rows[0], Row::text("标题"));
        assert_eq!(rows[1], Row::table(["组", "本年新制作数量", "7"]));
        assert_eq!(rows[2], Row::table(["", "甲", "", "5"]));
        assert_eq!(rows.len(), 3);
        assert!(!text.contains("菜单") && !text.contains("var x"));
        assert!(text.contains("本年新制作数量"));
    }

    #[test]
    fn js_string_quotes_are_unescaped() {
        let (rows, _) =
            rows(r#"<p style=\"x\">一、总体情况</p><table><tr><td colspan=\"2\">规章</td><td>3</td></tr></table>"#);
        assert_eq!(rows[1], Row::table(["规章", "3"]));
    }
}
