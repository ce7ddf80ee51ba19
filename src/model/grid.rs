//! The table grid every reader produces and the one mapper consumes.

use serde::Serialize;

/// The container format a report arrived in (docs/schema.md §5 `source_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Txt,
    Md,
    Html,
    Docx,
    Pdf,
}

impl SourceFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Txt => "txt",
            SourceFormat::Md => "md",
            SourceFormat::Html => "html",
            SourceFormat::Docx => "docx",
            SourceFormat::Pdf => "pdf",
        }
    }
}

/// The lower-cased extension of a file name or URI (`Report.PDF` → `pdf`; none → empty): the one
/// place that reads extensions.
pub fn file_extension(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default()
}

/// How the mapper may read a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A table row: its cells are table cells in column order; an empty string is an empty cell.
    Table,
    /// A table row whose numbers lost their separators (`规章000`): a value cell may hold the digits of
    /// several adjacent cells, which the mapper splits using the column count and the identities.
    Glued,
    /// Running text (headings, narrative, fragments of labels outside any table): never a table row.
    Text,
}

/// Where a cell lies across the page: `(left, right)`.
pub type Span = (f64, f64);

/// One row of the document, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: RowKind,
    pub cells: Vec<String>,
    /// Where each cell lies across the page, `(left, right)`, for readers that know it (PDF, where
    /// a blank cell prints nothing and only the positions say which column a value stands in);
    /// empty otherwise.
    pub spans: Vec<Span>,
}

impl Row {
    pub fn table<S: Into<String>>(cells: impl IntoIterator<Item = S>) -> Self {
        Row { kind: RowKind::Table, cells: cells.into_iter().map(Into::into).collect(), spans: Vec::new() }
    }

    /// A table row whose cells carry their horizontal extent on the page.
    pub fn positioned(cells: impl IntoIterator<Item = (Span, String)>) -> Self {
        let (spans, cells) = cells.into_iter().unzip();
        Row { kind: RowKind::Table, cells, spans }
    }

    pub fn text(line: impl Into<String>) -> Self {
        Row { kind: RowKind::Text, cells: vec![line.into()], spans: Vec::new() }
    }
}

/// What a reader makes of a file: the plain text (for metadata and narrative facts) and the rows
/// (tables and text, in reading order) that the mapper turns into a report.
#[derive(Debug, Clone)]
pub struct Document {
    pub format: SourceFormat,
    /// The character encoding the bytes were decoded from (e.g. `UTF-8`, `GBK`).
    pub encoding: String,
    /// The whole readable text, one line per paragraph or table row, Unicode-normalised.
    pub text: String,
    pub rows: Vec<Row>,
    /// What the reader had to decide about the file (for the report's warnings).
    pub notes: Vec<String>,
}
