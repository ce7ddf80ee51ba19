//! DOCX → rows: the tables (`w:tbl`) and paragraphs of `word/document.xml`, read with `zip` and
//! `quick-xml`. Merged cells follow the same policy as HTML: a `w:gridSpan` cell is kept once, and a
//! cell continuing a `w:vMerge` is an empty cell. Archives are refused when they would decompress
//! beyond [`MAX_UNZIPPED`], by their declared sizes and by the bytes actually read.

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

use super::ReadError;
use super::decode::squeeze;
use crate::model::Row;

/// Upper bound on the decompressed size of a DOCX (all entries, and the document part as read).
pub const MAX_UNZIPPED: u64 = 64 * 1024 * 1024;

/// Read a DOCX archive into rows and text lines.
pub fn rows(bytes: &[u8]) -> Result<(Vec<Row>, String), ReadError> {
    let xml = document_xml(bytes, MAX_UNZIPPED)?;
    parse_document(&xml)
}

fn zip_error(e: zip::result::ZipError) -> ReadError {
    ReadError::Damaged { format: "DOCX", reason: format!("corrupt zip archive: {e}") }
}

/// The bytes of `word/document.xml`, within the size limit.
fn document_xml(bytes: &[u8], limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        declared = declared.saturating_add(archive.by_index_raw(i).map_err(zip_error)?.size());
    }
    if declared > limit {
        return Err(ReadError::TooLarge { size: declared, limit });
    }
    let mut part = archive.by_name("word/document.xml").map_err(|e| match e {
        zip::result::ZipError::FileNotFound => {
            ReadError::NotText("a zip archive without word/document.xml (not a DOCX)".into())
        }
        e => zip_error(e),
    })?;
    let mut xml = Vec::new();
    // The declared size may lie: count what decompression actually yields.
    (&mut part).take(limit + 1).read_to_end(&mut xml).map_err(|e| ReadError::Damaged {
        format: "DOCX",
        reason: format!("cannot decompress word/document.xml: {e}"),
    })?;
    if xml.len() as u64 > limit {
        return Err(ReadError::TooLarge { size: xml.len() as u64, limit });
    }
    Ok(xml)
}

/// One table being read (tables nest; the innermost is last).
#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    row: Vec<String>,
    cell: String,
    in_cell: bool,
    /// The cell's `w:vMerge` continues the cell above.
    merged_below: bool,
}

fn parse_document(xml: &[u8]) -> Result<(Vec<Row>, String), ReadError> {
    let mut reader = Reader::from_reader(xml);
    let mut rows: Vec<Row> = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    let mut para = String::new();
    let mut tables: Vec<Table> = Vec::new();
    let mut in_text = false;
    let damaged = |e: &dyn std::fmt::Display| ReadError::Damaged {
        format: "DOCX",
        reason: format!("malformed word/document.xml: {e}"),
    };
    loop {
        crate::budget::checkpoint();
        let event = reader.read_event().map_err(|e| damaged(&e))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => match e.name().as_ref() {
                "w:t" => in_text = matches!(event, Event::Start(_)),
                "w:tab" => para.push('\t'),
                "w:br" | "w:cr" => para.push('\n'),
                "w:tbl" if matches!(event, Event::Start(_)) => {
                    flush_para(&mut para, &mut tables, &mut rows, &mut lines);
                    tables.push(Table::default());
                }
                "w:tc" => {
                    if let Some(t) = tables.last_mut() {
                        t.in_cell = true;
                        t.cell.clear();
                        t.merged_below = false;
                    }
                }
                "w:vMerge" => {
                    // `<w:vMerge/>` or `w:val="continue"` continues the cell above; `restart` opens a merge.
                    let val = e.try_get_attribute("w:val").ok().flatten().map(|a| a.value.to_string());
                    if let Some(t) = tables.last_mut() {
                        t.merged_below = val.as_deref().is_none_or(|v| v == "continue");
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_text => para.push_str(&t),
            Event::GeneralRef(r) if in_text => {
                // Entity references inside w:t (`&amp;`, `&#x4E00;`).
                if let Some(c) = r.resolve_char_ref().ok().flatten() {
                    para.push(c);
                } else if let Some(s) = quick_xml::escape::resolve_xml_entity(&r) {
                    para.push_str(s);
                }
            }
            Event::End(e) => match e.name().as_ref() {
                "w:t" => in_text = false,
                "w:p" => {
                    if let Some(t) = tables.last_mut().filter(|t| t.in_cell) {
                        // Paragraphs inside a cell are line wraps of one cell.
                        t.cell.push_str(para.trim());
                        para.clear();
                    } else {
                        flush_para(&mut para, &mut tables, &mut rows, &mut lines);
                    }
                }
                "w:tc" => {
                    if let Some(t) = tables.last_mut() {
                        t.cell.push_str(para.trim());
                        para.clear();
                        let cell = squeeze(&std::mem::take(&mut t.cell));
                        t.row.push(if t.merged_below { String::new() } else { cell });
                        t.in_cell = false;
                    }
                }
                "w:tr" => {
                    if let Some(t) = tables.last_mut() {
                        let row = std::mem::take(&mut t.row);
                        t.rows.push(row);
                    }
                }
                "w:tbl" => {
                    if let Some(t) = tables.pop() {
                        emit_table(t, &mut tables, &mut rows, &mut lines);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    flush_para(&mut para, &mut tables, &mut rows, &mut lines);
    Ok((rows, lines.join("\n")))
}

/// A finished table: its rows go out, or, for a table nested in a cell, its text joins that cell.
fn emit_table(t: Table, outer: &mut [Table], rows: &mut Vec<Row>, lines: &mut Vec<String>) {
    if let Some(parent) = outer.last_mut() {
        for r in t.rows {
            parent.cell.push_str(&r.concat());
        }
        return;
    }
    for r in t.rows {
        if r.iter().all(|c| c.is_empty()) {
            continue;
        }
        lines.push(r.iter().filter(|c| !c.is_empty()).cloned().collect::<Vec<_>>().join("\t"));
        rows.push(Row::table(r));
    }
}

fn flush_para(para: &mut String, tables: &mut [Table], rows: &mut Vec<Row>, lines: &mut Vec<String>) {
    if let Some(t) = tables.last_mut().filter(|t| t.in_cell) {
        t.cell.push_str(para.trim());
        para.clear();
        return;
    }
    for line in para.split('\n') {
        let line = squeeze(line);
        if !line.is_empty() {
            rows.push(Row::text(line.clone()));
            lines.push(line);
        }
    }
    para.clear();
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(name: &str, body: &[u8]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut buf);
        zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(body).unwrap();
        zip.finish().unwrap();
        buf.into_inner()
    }

    #[test]
    fn refuses_archives_beyond_the_limit() {
        let xml = format!("<w:document><w:body>{}</w:body></w:document>", "<w:p/>".repeat(1000));
        let bytes = zip_of("word/document.xml", xml.as_bytes());
        assert!(document_xml(&bytes, 1 << 20).is_ok());
        assert!(matches!(document_xml(&bytes, 1024), Err(ReadError::TooLarge { .. })));
    }

    #[test]
    fn merged_cells_and_wrapped_paragraphs() {
        let xml = br#"<w:document><w:body><w:p><w:r><w:t>Title</w:t></w:r></w:p><w:tbl>
            <w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>A</w:t></w:r></w:p></w:tc>
              <w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>x</w:t></w:r></w:p><w:p><w:r><w:t>y</w:t></w:r></w:p></w:tc></w:tr>
            <w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc><w:tc><w:p/></w:tc></w:tr>
            </w:tbl></w:body></w:document>"#;
        let (rows, text) = parse_document(xml).unwrap();
        assert_eq!(rows, vec![Row::text("Title"), Row::table(["A", "xy"]), Row::table(["", "1", ""])]);
        assert_eq!(text, "Title\nA\txy\n1");
    }
}
