//! One file through the parser: read the bytes, map the rows, check the identities, place the
//! report on the map. A file that cannot be read yields an error naming the file and the reason;
//! a report that breaks its identities still parses.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use crate::budget::{Budget, Stopped};
pub use crate::map::Tables;
use crate::model::Report;
use crate::read::{self, ReadError};

/// A file that could not be parsed, with the reason.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("{path}: cannot read file: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: {source}")]
    Read { path: String, source: ReadError },
    /// Over its time or memory budget, or the parser panicked: the file costs only itself.
    #[error("{path}: {source}")]
    Stopped { path: String, source: Stopped },
}

/// The report id: SHA-256 of the source bytes, hex.
pub fn report_id(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Parse the bytes of one report. `source_uri` names the file in the report and in errors.
pub fn parse_bytes(bytes: &[u8], source_uri: &str) -> Result<Report, ParseError> {
    parse_bytes_using(bytes, source_uri, Tables::Auto)
}

/// [`parse_bytes_using`] within a time and memory budget, a panic of the parser included: what
/// batches call, so that one file can cost only itself.
pub fn parse_bytes_within(
    bytes: &[u8],
    source_uri: &str,
    tables: Tables,
    budget: Budget,
) -> Result<Report, ParseError> {
    crate::budget::within(budget, || parse_bytes_using(bytes, source_uri, tables))
        .unwrap_or_else(|source| Err(ParseError::Stopped { path: source_uri.to_string(), source }))
}

/// [`parse_bytes`] with a choice of table reading (see [`Tables`]).
pub fn parse_bytes_using(bytes: &[u8], source_uri: &str, tables: Tables) -> Result<Report, ParseError> {
    let doc =
        read::read(bytes, source_uri).map_err(|source| ParseError::Read { path: source_uri.to_string(), source })?;
    let report = crate::map::map_using(&doc, source_uri, report_id(bytes), tables);
    // A report before 2019 has no national tables, so it is known by what it says it is. A file
    // with no tables that never mentions information disclosure is some other document (a
    // notice, an index page, an error page the crawler kept): not stored as an empty report.
    if report.template == crate::model::Template::Legacy && !mentions_disclosure(&doc.text) {
        let why =
            "no statistical tables and no mention of 信息公开 or 政务公开 (an annual disclosure report names them)";
        return Err(ParseError::Read { path: source_uri.to_string(), source: read::ReadError::NotText(why.into()) });
    }
    Ok(report)
}

/// Whether `text` speaks of government information disclosure, as every annual report does.
fn mentions_disclosure(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains("信息公开") || compact.contains("政务公开")
}

/// Parse one file from disk.
pub fn parse_file(path: &Path) -> Result<Report, ParseError> {
    parse_file_using(path, Tables::Auto)
}

/// [`parse_file`] with a choice of table reading (see [`Tables`]).
pub fn parse_file_using(path: &Path, tables: Tables) -> Result<Report, ParseError> {
    let (uri, bytes) = read_file(path)?;
    parse_bytes_using(&bytes, &uri, tables)
}

/// [`parse_file_using`] within a budget (see [`parse_bytes_within`]).
pub fn parse_file_within(path: &Path, tables: Tables, budget: Budget) -> Result<Report, ParseError> {
    let (uri, bytes) = read_file(path)?;
    parse_bytes_within(&bytes, &uri, tables, budget)
}

/// A file's name as reports and errors give it, and its bytes.
fn read_file(path: &Path) -> Result<(String, Vec<u8>), ParseError> {
    let uri = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ParseError::Io { path: uri.clone(), source })?;
    Ok((uri, bytes))
}

/// File extensions a directory walk picks up as reports. Files named explicitly are always parsed.
/// Legacy Word (`doc`) is picked up so that it is reported as a file gongkai cannot read, not
/// passed over unseen.
pub const REPORT_EXTENSIONS: &[&str] =
    &["txt", "md", "markdown", "html", "htm", "shtml", "xhtml", "pdf", "docx", "doc", "csv"];

/// The files to parse from the paths a user gave, and the files a directory walk passed over.
#[derive(Debug, Default)]
pub struct Expanded {
    pub files: Vec<PathBuf>,
    /// Files inside the given directories whose extension is not a report format.
    pub skipped: Vec<PathBuf>,
    /// Directory entries that could not be read, with why (a file may be hidden behind them).
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Expand files and directories (recursively, in name order) into the files to parse. Hidden files
/// are passed over; a path that does not exist is kept so that reading it reports the error.
pub fn expand_paths(paths: &[PathBuf]) -> Expanded {
    let mut out = Expanded::default();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out);
        } else {
            out.files.push(path.clone());
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Expanded) {
    let mut entries: Vec<PathBuf> = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            for entry in rd {
                match entry {
                    Ok(e) => entries.push(e.path()),
                    Err(e) => out.unreadable.push((dir.to_path_buf(), format!("cannot read a directory entry: {e}"))),
                }
            }
        }
        Err(e) => {
            out.unreadable.push((dir.to_path_buf(), format!("cannot read the directory: {e}")));
            return;
        }
    }
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, out);
        } else if is_report_name(name) {
            out.files.push(path);
        } else {
            out.skipped.push(path);
        }
    }
}

/// Whether a file name has one of the report extensions.
pub fn is_report_name(name: &str) -> bool {
    REPORT_EXTENSIONS.contains(&crate::model::file_extension(name).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_doc_files_in_directories_are_taken_not_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("old.DOC"), b"\xd0\xcf\x11\xe0").unwrap();
        std::fs::write(dir.path().join("notes.xlsx"), b"a,b").unwrap();
        let expanded = expand_paths(&[dir.path().to_path_buf()]);
        assert_eq!(expanded.files, [dir.path().join("old.DOC")]);
        assert_eq!(expanded.skipped, [dir.path().join("notes.xlsx")]);
        let err = parse_file(&expanded.files[0]).unwrap_err().to_string();
        assert!(err.contains(".doc"), "{err}");
    }

    #[test]
    fn unreadable_directories_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        // A directory that vanished between listing and reading stands for one that cannot be read.
        let gone = dir.path().join("gone");
        let mut out = Expanded::default();
        walk(&gone, &mut out);
        assert!(out.files.is_empty());
        assert_eq!(out.unreadable.len(), 1);
        assert_eq!(out.unreadable[0].0, gone);
        assert!(out.unreadable[0].1.contains("cannot read the directory"), "{:?}", out.unreadable);
    }
}
