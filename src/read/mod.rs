//! Bytes → [`Document`]: detect the format from the content, decode the text, and lay it out as
//! rows. Every reader feeds the same row grid to the one mapper in [`crate::map`].

pub mod decode;
pub mod text;

use unicode_normalization::UnicodeNormalization;

use crate::model::{Document, SourceFormat};

/// Why a file could not be read at all. Each message is one line, specific to the file's problem.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("empty file (0 bytes)")]
    Empty,
    #[error("{0} files are not supported yet")]
    Unsupported(&'static str),
    #[error("not a report: {0}")]
    NotText(String),
}

/// Detect the container format from the bytes, falling back on the file name's extension.
pub fn sniff(bytes: &[u8], name: &str) -> SourceFormat {
    if bytes.starts_with(b"%PDF") {
        return SourceFormat::Pdf;
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return SourceFormat::Docx;
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(8192)]).to_ascii_lowercase();
    if ["<html", "<!doctype html", "<table", "<p>", "<p ", "<div", "<body"].iter().any(|m| head.contains(m)) {
        return SourceFormat::Html;
    }
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "md" | "markdown" => SourceFormat::Md,
        _ => SourceFormat::Txt,
    }
}

/// Read one file's bytes into a document.
pub fn read(bytes: &[u8], name: &str) -> Result<Document, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    let format = sniff(bytes, name);
    match format {
        SourceFormat::Txt | SourceFormat::Md => {
            let decoded = decode::decode(bytes);
            if decoded.text.contains('\0') {
                return Err(ReadError::NotText("binary content (NUL bytes) in a text file".into()));
            }
            let text = normalize(&decoded.text);
            let rows = text::rows(&text);
            Ok(Document { format, encoding: decoded.encoding, text, rows })
        }
        SourceFormat::Html => Err(ReadError::Unsupported("HTML")),
        SourceFormat::Docx => Err(ReadError::Unsupported("DOCX")),
        SourceFormat::Pdf => Err(ReadError::Unsupported("PDF")),
    }
}

/// Unicode NFKC (full-width forms become half-width, so `（一）` reads as `(一)`), no-break and
/// ideographic spaces become spaces, zero-width marks and carriage returns go.
pub fn normalize(text: &str) -> String {
    text.nfkc()
        .filter(|c| !matches!(c, '\r' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}'))
        .map(|c| if c == '\u{a0}' || c == '\u{3000}' { ' ' } else { c })
        .collect()
}
