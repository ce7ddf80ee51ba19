//! One file through the parser: read the bytes, map the rows, check the identities, place the
//! report on the map. A file that cannot be read yields an error naming the file and the reason;
//! a report that breaks its identities still parses.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

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
}

/// The report id: SHA-256 of the source bytes, hex.
pub fn report_id(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Parse the bytes of one report. `source_uri` names the file in the report and in errors.
pub fn parse_bytes(bytes: &[u8], source_uri: &str) -> Result<Report, ParseError> {
    parse_bytes_using(bytes, source_uri, Tables::Auto)
}

/// [`parse_bytes`] with a choice of table reading (see [`Tables`]).
pub fn parse_bytes_using(bytes: &[u8], source_uri: &str, tables: Tables) -> Result<Report, ParseError> {
    let doc =
        read::read(bytes, source_uri).map_err(|source| ParseError::Read { path: source_uri.to_string(), source })?;
    Ok(crate::map::map_using(&doc, source_uri, report_id(bytes), tables))
}

/// Parse one file from disk.
pub fn parse_file(path: &Path) -> Result<Report, ParseError> {
    parse_file_using(path, Tables::Auto)
}

/// [`parse_file`] with a choice of table reading (see [`Tables`]).
pub fn parse_file_using(path: &Path, tables: Tables) -> Result<Report, ParseError> {
    let uri = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ParseError::Io { path: uri.clone(), source })?;
    parse_bytes_using(&bytes, &uri, tables)
}

/// File extensions a directory walk picks up as reports. Files named explicitly are always parsed.
pub const REPORT_EXTENSIONS: &[&str] =
    &["txt", "md", "markdown", "html", "htm", "shtml", "xhtml", "pdf", "docx", "csv"];

/// The files to parse from the paths a user gave, and the files a directory walk passed over.
#[derive(Debug, Default)]
pub struct Expanded {
    pub files: Vec<PathBuf>,
    /// Files inside the given directories whose extension is not a report format.
    pub skipped: Vec<PathBuf>,
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
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => {
            out.files.push(dir.to_path_buf());
            return;
        }
    };
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
    REPORT_EXTENSIONS.contains(&extension(Path::new(name)).as_str())
}

fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}
