//! Bytes → [`Document`]: detect the format from the content, decode the text, and lay it out as
//! rows. Every reader feeds the same row grid to the one mapper in [`crate::map`].

pub mod csv;
pub mod decode;
pub mod docx;
pub mod html;
pub mod pdf;
pub mod pdf_bounds;
pub mod text;
pub mod tokens;

use unicode_normalization::UnicodeNormalization;

use crate::model::{Document, Row, SourceFormat};

/// Why a file could not be read at all. Each message is one line, specific to the file's problem.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("empty file (0 bytes)")]
    Empty,
    #[error("{0} files are not supported yet")]
    Unsupported(&'static str),
    #[error("not a report: {0}")]
    NotText(String),
    #[error("an image ({0}), not a report; OCR needed")]
    Image(&'static str),
    #[error("damaged {format} file: {reason}")]
    Damaged { format: &'static str, reason: String },
    #[error("PDF has no text layer; OCR needed")]
    NoTextLayer,
    #[error("archive too large: {size} bytes decompressed, limit {limit}")]
    TooLarge { size: u64, limit: u64 },
    #[error("{format} of {size} bytes, over the limit of {limit} bytes for one report")]
    TooLong { format: &'static str, size: u64, limit: u64 },
    #[error("HTML nested more than {limit} elements deep (a report's page is nested tens deep)")]
    TooDeep { limit: usize },
    #[error("PDF streams decode to more than {limit} bytes (a report's text needs a few MB): a compression bomb")]
    PdfStreamsTooLarge { limit: u64 },
}

/// The longest text, Markdown, CSV or HTML file read as one report: a report's text is tens of
/// KB; a crawler's export of a whole site is not one report, and reading it would take minutes.
pub const MAX_TEXT_BYTES: u64 = 16 * 1024 * 1024;

/// Image formats by their magic numbers: a scan renamed `.pdf` must not be taken for a PDF.
fn image_kind(bytes: &[u8]) -> Option<&'static str> {
    let magic: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"\xff\xd8\xff", "JPEG"),
        (b"GIF87a", "GIF"),
        (b"GIF89a", "GIF"),
        (b"II*\0", "TIFF"),
        (b"MM\0*", "TIFF"),
        (b"BM", "BMP"),
    ];
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some("WebP");
    }
    magic.iter().find(|(m, _)| bytes.starts_with(m)).map(|(_, k)| *k)
}

/// Detect the container format from the bytes, falling back on the file name's extension.
pub fn sniff(bytes: &[u8], name: &str) -> SourceFormat {
    // The PDF header may follow some junk within the first KB.
    if bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-") {
        return SourceFormat::Pdf;
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return SourceFormat::Docx;
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(8192)]).to_ascii_lowercase();
    // A CSV export of crawled pages may quote HTML in its content column; it is unwrapped first.
    if csv::looks_like_export(&head) {
        return SourceFormat::Txt;
    }
    if ["<html", "<!doctype html", "<table", "<p>", "<p ", "<div", "<body"].iter().any(|m| head.contains(m)) {
        return SourceFormat::Html;
    }
    let ext = extension(name);
    match ext.as_str() {
        "md" | "markdown" => SourceFormat::Md,
        "html" | "htm" | "shtml" | "xhtml" => SourceFormat::Html,
        _ => SourceFormat::Txt,
    }
}

/// Read one file's bytes into a document.
pub fn read(bytes: &[u8], name: &str) -> Result<Document, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    if let Some(kind) = image_kind(bytes) {
        return Err(ReadError::Image(kind));
    }
    if bytes.starts_with(b"\xd0\xcf\x11\xe0") {
        return Err(ReadError::Unsupported("legacy Word (.doc, OLE)"));
    }
    let format = sniff(bytes, name);
    if matches!(format, SourceFormat::Txt | SourceFormat::Md | SourceFormat::Html)
        && bytes.len() as u64 > MAX_TEXT_BYTES
    {
        let format = if format == SourceFormat::Html { "HTML" } else { "text" };
        return Err(ReadError::TooLong { format, size: bytes.len() as u64, limit: MAX_TEXT_BYTES });
    }
    match format {
        SourceFormat::Txt | SourceFormat::Md => {
            let decoded = decode_text(bytes)?;
            let lossy = lossy_note(&decoded);
            if decoded.text.contains('\0') {
                let ext = extension(name);
                return Err(ReadError::NotText(match ext.as_str() {
                    "pdf" => "named .pdf but not a PDF (no %PDF header)".into(),
                    "docx" => "named .docx but not a zip archive".into(),
                    _ => "binary content (NUL bytes) in a text file".into(),
                }));
            }
            let (body, notes) =
                match csv::looks_like_export(&decoded.text).then(|| csv::unwrap(&decoded.text)).flatten() {
                    // The crawler kept the page's markup: its tables are grids, read as any page's.
                    Some(unwrapped) if unwrapped.body_is_html() => {
                        let page = unwrapped.html();
                        html::check_depth(&page)?;
                        let (rows, text) = html::rows(&page);
                        let mut doc = normalized(format, decoded.encoding, rows, &text);
                        doc.notes.extend(unwrapped.notes);
                        doc.notes.extend(lossy);
                        return Ok(doc);
                    }
                    Some(unwrapped) => (unwrapped.text(), unwrapped.notes),
                    None => {
                        // A sheet of the report's own rows. With no row of several cells it is plain
                        // text: as printed, or its fields one a line when every field was quoted.
                        let quoted = csv::looks_like_quoted_sheet(&decoded.text);
                        let sheet = (quoted || extension(name) == "csv").then(|| csv::sheet_rows(&decoded.text));
                        match sheet.flatten() {
                            Some((rows, text)) if rows.iter().any(|r| r.cells.len() >= 2) => {
                                let mut doc = normalized(format, decoded.encoding, rows, &text);
                                doc.notes.extend(lossy);
                                return Ok(doc);
                            }
                            Some((_, text)) if quoted => (text, Vec::new()),
                            _ => (decoded.text, Vec::new()),
                        }
                    }
                };
            let text = normalize(&body);
            let rows = text::rows(&text);
            let mut notes = notes;
            notes.extend(lossy);
            Ok(Document { format, encoding: decoded.encoding, text, rows, notes })
        }
        SourceFormat::Html => {
            let decoded = decode_text(bytes)?;
            html::check_depth(&decoded.text)?;
            let (rows, text) = html::rows(&decoded.text);
            let note = lossy_note(&decoded);
            let mut doc = normalized(format, decoded.encoding, rows, &text);
            doc.notes.extend(note);
            Ok(doc)
        }
        SourceFormat::Docx => {
            let (rows, text) = docx::rows(bytes)?;
            Ok(normalized(format, "UTF-8".into(), rows, &text))
        }
        SourceFormat::Pdf => {
            let (rows, text) = pdf::rows(bytes)?;
            Ok(normalized(format, "pdf-text-layer".into(), rows, &text))
        }
    }
}

use crate::model::file_extension as extension;

/// Decode text, refusing bytes that do not read as text in the encoding chosen: many invalid
/// sequences (U+FFFD) or control characters mean binary data, not a report.
fn decode_text(bytes: &[u8]) -> Result<decode::Decoded, ReadError> {
    let decoded = decode::decode(bytes);
    let total = decoded.text.chars().count().max(1);
    let bad = decoded
        .text
        .chars()
        .filter(|c| *c == '\u{fffd}' || (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\0')))
        .count();
    if bad * 20 > total {
        return Err(ReadError::NotText(format!(
            "invalid bytes: {bad} of {total} characters are not text in {}",
            decoded.encoding
        )));
    }
    Ok(decoded)
}

/// The warning for text some of whose bytes were not valid in its encoding.
fn lossy_note(decoded: &decode::Decoded) -> Option<String> {
    // Counted only for lossy text: a clean file pays nothing here.
    if !decoded.lossy {
        return None;
    }
    let bad = decoded.text.chars().filter(|c| *c == '\u{fffd}').count();
    (bad > 0).then(|| format!("encoding: {bad} character(s) not valid {} are shown as U+FFFD", decoded.encoding))
}

/// Normalise the cells and text a structured reader produced, as the text reader does.
fn normalized(format: SourceFormat, encoding: String, rows: Vec<Row>, text: &str) -> Document {
    let rows = rows
        .into_iter()
        .map(|r| Row { cells: r.cells.iter().map(|c| normalize(c).trim().to_string()).collect(), ..r })
        .collect();
    Document { format, encoding, text: normalize(text), rows, notes: Vec::new() }
}

/// Character references a crawler left in the text when it stripped the tags (`&nbsp;`, `&#160;`,
/// `&amp;`). Left as printed, `&#160;` would read as the number 160 between two cells.
fn decode_entities(text: &str) -> std::borrow::Cow<'_, str> {
    static ENTITY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}));").expect("entity")
    });
    ENTITY.replace_all(text, |caps: &regex::Captures| {
        let number = match (caps.get(1), caps.get(2)) {
            (Some(d), _) => d.as_str().parse::<u32>().ok(),
            (_, Some(h)) => u32::from_str_radix(h.as_str(), 16).ok(),
            _ => None,
        };
        match (number, caps.get(3)) {
            (Some(n), _) => char::from_u32(n).map_or_else(|| caps[0].to_string(), String::from),
            (None, Some(name)) => quick_xml::escape::resolve_html5_entity(name.as_str())
                .map_or_else(|| caps[0].to_string(), str::to_string),
            _ => caps[0].to_string(),
        }
    })
}

/// Unicode NFKC (full-width forms become half-width, so `（一）` reads as `(一)`), no-break and
/// ideographic spaces become spaces, zero-width marks go (between digits they part cells). A carriage return ends a line: CSV
/// exports separate cells by runs of bare `\r`, which must not glue `1\r0` into `10`. Footnote
/// markers (`①`, `²`) go before NFKC would turn them into digits that read as cells.
pub fn normalize(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let text = decode_entities(&text);
    let folded: Vec<char> = text.chars().filter(|c| !is_footnote_mark(*c)).collect::<String>().nfkc().collect();
    let mut out = String::with_capacity(folded.len());
    for (i, &c) in folded.iter().enumerate() {
        match c {
            // Between digits a zero-width mark is where a page editor closed one cell and opened the
            // next (`1&#8203;0` for 1 and 0): it must not glue them into 10.
            c if is_zero_width(c) => {
                let digit_before = out.chars().next_back().is_some_and(|p| p.is_ascii_digit());
                let digit_after =
                    folded[i + 1..].iter().find(|n| !is_zero_width(**n)).is_some_and(|n| n.is_ascii_digit());
                if digit_before && digit_after {
                    out.push(' ');
                }
            }
            '\u{a0}' | '\u{3000}' => out.push(' '),
            '\r' => out.push('\n'),
            c => out.push(c),
        }
    }
    out
}

fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}')
}

/// Circled and superscript numerals, used as footnote markers.
fn is_footnote_mark(c: char) -> bool {
    matches!(c, '\u{2460}'..='\u{2473}' | '\u{24ea}' | '\u{2776}'..='\u{2793}' | '\u{b9}' | '\u{b2}' | '\u{b3}' | '\u{2070}' | '\u{2074}'..='\u{2079}')
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn entities_left_by_a_crawler_are_decoded_not_read_as_numbers() {
        assert_eq!(normalize("予以公开&#160;12&nbsp;3&amp;4"), "予以公开 12 3&4");
        assert_eq!(normalize("行政许可&#x3000;5"), "行政许可 5");
        // Not a character reference: kept as printed.
        assert_eq!(normalize("R&D 与 &unknownentity; 与 &#99999999;"), "R&D 与 &unknownentity; 与 &#99999999;");
    }

    #[test]
    fn zero_width_marks_part_digits_and_vanish_elsewhere() {
        assert_eq!(normalize("行政规范性文件 1\u{200b}0&#8203;&#8203;1"), "行政规范性文件 1 0 1");
        assert_eq!(normalize("行政\u{200b}许可\u{feff}5"), "行政许可5");
    }
}
