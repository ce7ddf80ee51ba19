//! HTML, DOCX and PDF readers and encodings: each container of the same kind of made-up report maps to
//! the cells it prints, and every kind of unreadable file gives a one-line, specific error.

use std::io::Write;

use gongkai::model::Report;
use gongkai::parse::{ParseError, parse_bytes};
use gongkai::read::ReadError;
use serde_json::Value;

use super::{repo, shared};

fn value(report: &Report, path: &str) -> Value {
    let json = serde_json::to_value(report).unwrap();
    path.split('.').fold(json, |v, key| v[key].clone())
}

fn num(report: &Report, path: &str) -> Option<f64> {
    value(report, &format!("{path}.value")).as_f64()
}

fn kind(report: &Report, path: &str) -> String {
    value(report, &format!("{path}.kind")).as_str().unwrap_or("").to_string()
}

/// The parts of a report that depend on its content, not on its bytes or container.
fn content(report: &Report) -> Value {
    let mut json = serde_json::to_value(report).unwrap();
    for key in ["report_id", "source_uri", "source_format", "encoding"] {
        json.as_object_mut().unwrap().remove(key);
    }
    json
}

fn read_error(bytes: &[u8], name: &str) -> ReadError {
    match parse_bytes(bytes, name) {
        Err(ParseError::Read { source, .. }) => source,
        Err(other) => panic!("{name}: unexpected error {other}"),
        Ok(_) => panic!("{name}: parsed, expected an error"),
    }
}

// ---------- HTML ----------

#[test]
fn gbk_html_with_rowspan_and_colspan() {
    let bytes = std::fs::read(repo().join("tests/fixtures/formats/rowspan_gbk.html")).unwrap();
    assert!(std::str::from_utf8(&bytes).is_err(), "the fixture is GBK, not UTF-8");
    let r = parse_bytes(&bytes, "rowspan_gbk.html").unwrap();
    assert_eq!(r.encoding, "gb18030");
    assert_eq!(r.title.as_deref(), Some("示例县示例镇2022年政府信息公开工作年度报告"));
    assert_eq!(r.year, Some(2022));
    assert_eq!(r.published_on.as_deref(), Some("2023-01-20"));
    assert_eq!(r.proactive_total, Some(57));
    // The script's table and the nav are not read.
    assert_eq!(num(&r, "sec2.rules.issued"), Some(0.0));
    assert_eq!(num(&r, "sec2.normative_docs.in_force"), Some(12.0));
    assert_eq!(num(&r, "sec2.admin_license.decisions"), Some(15.0));
    assert_eq!(kind(&r, "sec2.admin_coercion.decisions"), "blank");
    assert_eq!(num(&r, "sec2.admin_fees.amount_wan_yuan"), Some(1.25));
    // Rows under a rowspan label keep their own label; &nbsp; stays blank, never 0.
    assert_eq!(num(&r, "sec3.new_received.natural_person"), Some(9.0));
    assert_eq!(kind(&r, "sec3.new_received.research_institution"), "blank");
    assert_eq!(num(&r, "sec3.withheld_state_secret.total"), Some(1.0));
    assert_eq!(num(&r, "sec3.unavailable_not_held.natural_person"), Some(2.0));
    assert_eq!(num(&r, "sec3.rejected_duplicate.total"), Some(1.0));
    assert_eq!(num(&r, "sec3.other_misc.total"), Some(0.0));
    assert_eq!(num(&r, "sec3.results_total.total"), Some(10.0));
    assert_eq!(num(&r, "sec4.litigation_direct.pending"), Some(1.0));
    assert_eq!(kind(&r, "sec4.litigation_after_review.total"), "blank");
    assert!(r.checks.iter().all(|c| c.status != gongkai::model::CheckStatus::Fail), "{:?}", r.checks);

    // The same document in UTF-8 (with its charset declaration changed) gives the same report.
    let (text, _, _) = encoding_rs::GBK.decode(&bytes);
    let utf8 = text.replace("charset=gbk", "charset=utf-8");
    let r8 = parse_bytes(utf8.as_bytes(), "rowspan_utf8.html").unwrap();
    assert_eq!(content(&r8), content(&r));
}

#[test]
fn html_saved_as_txt_is_read_as_html() {
    // An HTML report saved as .txt is still HTML by its markup.
    let html =
        "<h1>2023年政府信息公开工作年度报告</h1><p>一、总体情况</p><table><tr><td>规章</td><td>1</td></tr></table>";
    let r = parse_bytes(html.as_bytes(), "report.txt").unwrap();
    assert_eq!(r.source_format.as_str(), "html");
}

// ---------- encodings ----------

#[test]
fn gbk_and_utf16_copies_of_a_seed_parse_the_same() {
    let Some(shared) = shared() else { return };
    let path = shared.join("seeds/000_e51fc33f15234b62.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let original = parse_bytes(text.as_bytes(), "seed.txt").unwrap();
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    let from_gbk = parse_bytes(&gbk, "seed_gbk.txt").unwrap();
    assert_eq!(from_gbk.encoding, "gb18030");
    assert_eq!(content(&from_gbk), content(&original));

    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    assert_eq!(content(&parse_bytes(&utf16, "seed_utf16.txt").unwrap()), content(&original));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    assert_eq!(content(&parse_bytes(&bom, "seed_bom.txt").unwrap()), content(&original));
}

// ---------- DOCX ----------

/// A `w:tc` with optional merge properties.
fn tc(text: &str, props: &str) -> String {
    let runs: String =
        text.split('\n').map(|p| format!("<w:p><w:r><w:t xml:space=\"preserve\">{p}</w:t></w:r></w:p>")).collect();
    format!("<w:tc><w:tcPr>{props}</w:tcPr>{runs}</w:tc>")
}

fn tr(cells: &[String]) -> String {
    format!("<w:tr>{}</w:tr>", cells.concat())
}

fn para(text: &str) -> String {
    format!("<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")
}

fn values(vals: &[&str]) -> Vec<String> {
    vals.iter().map(|v| tc(v, "")).collect()
}

/// A small 2021-template report as DOCX: merged cells via gridSpan and vMerge, a label wrapped over
/// two paragraphs, entities and a blank cell.
fn docx_report() -> Vec<u8> {
    let span = |n: usize| format!("<w:gridSpan w:val=\"{n}\"/>");
    let restart = "<w:vMerge w:val=\"restart\"/>";
    let cont = "<w:vMerge/>";
    fn row7(n: &str) -> [&str; 7] {
        [n, "0", "0", "0", "0", "0", n]
    }
    let mut sec3 = vec![
        tr(&[tc("", &format!("{}{restart}", span(2))), tc("申请人情况", &span(7))]),
        tr(&[tc("", &format!("{}{cont}", span(2))), tc("自然人", ""), tc("商业企业", "")]),
    ];
    let mut add = |head: Option<(&str, bool)>, label: &str, vals: [&str; 7]| {
        let mut cells = Vec::new();
        if let Some((h, first)) = head {
            cells.push(tc(h, if first { restart } else { cont }));
        }
        let label_props = if head.is_some() { String::new() } else { span(2) };
        cells.push(tc(label, &label_props));
        cells.extend(values(&vals));
        sec3.push(tr(&cells));
    };
    add(None, "一、本年新收政府信息公开申请数量", ["5", "1", "0", "0", "0", "0", "6"]);
    add(None, "二、上年结转政府信息公开申请数量", row7("0"));
    let outcomes: &[(&str, [&str; 7])] = &[
        ("(一)予以公开", ["3", "1", "0", "0", "0", "0", "4"]),
        ("(二)部分公开(区分处理的,\n只计这一情形,不计其他情形)", row7("1")),
        ("(三)不予公开 1.属于国家秘密", row7("0")),
        ("2.其他法律行政法规禁止公开", row7("0")),
        ("3.危及“三安全一稳定”", row7("0")),
        ("4.保护第三方合法权益", row7("0")),
        ("5.属于三类内部事务信息", row7("0")),
        ("6.属于四类过程性信息", row7("0")),
        ("7.属于行政执法案卷", row7("0")),
        ("8.属于行政查询事项", row7("0")),
        ("(四)无法提供 1.本机关不掌握相关政府信息", row7("1")),
        ("2.没有现成信息需要另行制作", row7("0")),
        ("3.补正后申请内容仍不明确", row7("0")),
        ("(五)不予处理 1.信访举报投诉类申请", row7("0")),
        ("2.重复申请", row7("0")),
        ("3.要求提供公开出版物", row7("0")),
        ("4.无正当理由大量反复申请", row7("0")),
        ("5.要求行政机关确认或重新出具已获取信息", row7("0")),
        ("(六)其他处理 1.申请人无正当理由逾期不补正", row7("0")),
        ("2.申请人逾期未按收费通知要求缴纳费用", row7("0")),
        ("3.其他", row7("0")),
        ("(七)总计", ["4", "1", "0", "0", "0", "0", "6"]),
    ];
    for (i, (label, vals)) in outcomes.iter().enumerate() {
        add(Some(("三、本年度办理结果", i == 0)), label, *vals);
    }
    add(None, "四、结转下年度继续办理", ["1", "0", "0", "0", "0", "0", "0"]);

    let sec2 = [
        tr(&[tc("第二十条第(一)项", &span(4))]),
        tr(&[tc("信息内容", ""), tc("本年制发件数", ""), tc("本年废止件数", ""), tc("现行有效件数", "")]),
        tr(&[tc("规章", ""), tc("0", ""), tc("0", ""), tc("2", "")]),
        tr(&[tc("行政规范性文件", ""), tc("4", ""), tc("", ""), tc("31", "")]),
        tr(&[tc("行政许可", ""), tc("27", &span(3))]),
        tr(&[tc("行政处罚", ""), tc("3", &span(3))]),
        tr(&[tc("行政强制", ""), tc("0", &span(3))]),
        tr(&[tc("行政事业性收费", ""), tc("0.5", &span(3))]),
    ];
    let mut sec4 = values(&["0"; 15]);
    sec4[0] = tc("2", "");
    sec4[4] = tc("2", "");
    let body = [
        para("样例区样例街道2021年政府信息公开工作年度报告"),
        para("一、总体情况"),
        para("本年度共发布各类信息 88 条。R&amp;D &#x4E00;切正常。"),
        para("二、主动公开政府信息情况"),
        format!("<w:tbl>{}</w:tbl>", sec2.concat()),
        para("三、收到和处理政府信息公开申请情况"),
        format!("<w:tbl>{}</w:tbl>", sec3.concat()),
        para("四、政府信息公开行政复议、行政诉讼情况"),
        format!("<w:tbl>{}{}</w:tbl>", tr(&[tc("行政复议", &span(5)), tc("行政诉讼", &span(10))]), tr(&sec4)),
        para("五、存在的主要问题及改进情况"),
        para("无。"),
    ]
    .concat();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    zip_of(&[("[Content_Types].xml", "<Types/>"), ("word/document.xml", &xml)])
}

pub fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, text) in entries {
            zip.start_file(*name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn docx_tables_with_grid_span_and_vertical_merge() {
    let bytes = docx_report();
    // Named .pdf on purpose: the content decides.
    let r = parse_bytes(&bytes, "report.pdf").unwrap();
    assert_eq!(r.source_format.as_str(), "docx");
    assert_eq!(r.year, Some(2021));
    assert_eq!(r.agency.as_deref(), Some("样例区样例街道"));
    assert_eq!(r.proactive_total, Some(88));
    assert_eq!(num(&r, "sec2.rules.in_force"), Some(2.0));
    assert_eq!(kind(&r, "sec2.normative_docs.repealed"), "blank");
    assert_eq!(num(&r, "sec2.admin_license.decisions"), Some(27.0));
    assert_eq!(num(&r, "sec2.admin_fees.amount_wan_yuan"), Some(0.5));
    assert_eq!(num(&r, "sec3.new_received.total"), Some(6.0));
    assert_eq!(num(&r, "sec3.granted.commercial_enterprise"), Some(1.0));
    assert_eq!(num(&r, "sec3.partially_granted.total"), Some(1.0));
    assert_eq!(num(&r, "sec3.unavailable_not_held.natural_person"), Some(1.0));
    assert_eq!(num(&r, "sec3.results_total.total"), Some(6.0));
    assert_eq!(num(&r, "sec3.carried_forward.natural_person"), Some(1.0));
    assert_eq!(num(&r, "sec4.review.upheld"), Some(2.0));
    assert_eq!(num(&r, "sec4.litigation_after_review.total"), Some(0.0));
    let missing: Vec<String> = ["sec2", "sec3", "sec4"]
        .iter()
        .flat_map(|t| {
            let v = value(&r, t);
            let mut out = Vec::new();
            for (row, cells) in v.as_object().unwrap() {
                for (col, cell) in cells.as_object().unwrap() {
                    if cell["kind"] == "missing" {
                        out.push(format!("{t}.{row}.{col}"));
                    }
                }
            }
            out
        })
        .collect();
    assert!(missing.is_empty(), "{missing:?}");
}

// ---------- PDF ----------

/// A one-page PDF whose text is drawn glyph run by glyph run at the given positions (points from the
/// top-left), in a CID font with a ToUnicode map so the text layer reads back as Unicode.
pub fn pdf_of(runs: &[(f64, f64, &str)]) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, dictionary};

    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut highs: Vec<u32> = runs.iter().flat_map(|(_, _, t)| t.chars().map(|c| c as u32 >> 8)).collect();
    highs.sort();
    highs.dedup();
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    for chunk in highs.chunks(100) {
        cmap += &format!("{} beginbfrange\n", chunk.len());
        for h in chunk {
            cmap += &format!("<{h:02X}00> <{h:02X}FF> <{h:02X}00>\n");
        }
        cmap += "endbfrange\n";
    }
    cmap += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
    let to_unicode = doc.add_object(Stream::new(dictionary! {}, cmap.into_bytes()));
    let descriptor = doc.add_object(dictionary! {
        "Type" => "FontDescriptor", "FontName" => "SimSun", "Flags" => 4,
        "FontBBox" => vec![0.into(), (-140).into(), 1000.into(), 860.into()],
        "ItalicAngle" => 0, "Ascent" => 860, "Descent" => -140, "CapHeight" => 700, "StemV" => 80,
    });
    let cid_font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "SimSun",
        "CIDSystemInfo" => dictionary! { "Registry" => Object::string_literal("Adobe"), "Ordering" => Object::string_literal("Identity"), "Supplement" => 0 },
        "FontDescriptor" => descriptor, "DW" => 1000,
    });
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "SimSun", "Encoding" => "Identity-H",
        "DescendantFonts" => vec![cid_font.into()], "ToUnicode" => to_unicode,
    });
    let mut ops = Vec::new();
    for (x, y, text) in runs {
        let hex: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        ops.push(Operation::new("BT", vec![]));
        ops.push(Operation::new("Tf", vec!["F1".into(), 9.into()]));
        ops.push(Operation::new("Tm", vec![1.into(), 0.into(), 0.into(), 1.into(), (*x).into(), (842.0 - y).into()]));
        ops.push(Operation::new("Tj", vec![Object::String(hex, lopdf::StringFormat::Hexadecimal)]));
        ops.push(Operation::new("ET", vec![]));
    }
    let content = doc.add_object(Stream::new(dictionary! {}, Content { operations: ops }.encode().unwrap()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// A made-up report laid out like a PDF table: labels at x=40, seven value columns from x=330, rows
/// 15pt apart; a label wrapped above and below its values; a number drawn as two close glyph runs.
pub fn pdf_report() -> Vec<u8> {
    pdf_report_without(&[])
}

/// `pdf_report` with the cells `(row label, column index)` left blank: no glyph drawn, as a PDF
/// prints a blank cell.
fn pdf_report_without(blanks: &[(&str, usize)]) -> Vec<u8> {
    let mut runs: Vec<(f64, f64, String)> = vec![
        (200.0, 70.0, "样例市样例局".into()),
        (150.0, 85.0, "2022年政府信息公开工作年度报告".into()),
        (40.0, 110.0, "一、总体情况".into()),
        (40.0, 125.0, "二、主动公开政府信息情况".into()),
    ];
    let mut y = 140.0;
    let line = |runs: &mut Vec<(f64, f64, String)>, label: &str, vals: &[&str], y: &mut f64| {
        runs.push((40.0, *y, label.to_string()));
        for (i, v) in vals.iter().enumerate().filter(|(i, _)| !blanks.contains(&(label, *i))) {
            runs.push((330.0 + 35.0 * i as f64, *y, v.to_string()));
        }
        *y += 15.0;
    };
    line(&mut runs, "第二十条第(一)项", &[], &mut y);
    line(&mut runs, "规章", &["0", "0", "1"], &mut y);
    line(&mut runs, "行政规范性文件", &["2", "1", "9"], &mut y);
    line(&mut runs, "行政许可", &["120"], &mut y);
    line(&mut runs, "行政处罚", &["7"], &mut y);
    line(&mut runs, "行政强制", &["0"], &mut y);
    line(&mut runs, "行政事业性收费", &["3.5"], &mut y);
    line(&mut runs, "三、收到和处理政府信息公开申请情况", &[], &mut y);
    let z = ["0", "0", "0", "0", "0", "0", "0"];
    line(&mut runs, "一、本年新收政府信息公开申请数量", &["12", "0", "0", "0", "0", "0", "12"], &mut y);
    line(&mut runs, "二、上年结转政府信息公开申请数量", &z, &mut y);
    line(&mut runs, "三、本年度办理结果 (一)予以公开", &["5", "0", "0", "0", "0", "0", "5"], &mut y);
    // (二) wrapped over two lines, its values centred between them.
    runs.push((40.0, y, "(二)部分公开(区分处理的,只计".into()));
    for (i, v) in ["2", "0", "0", "0", "0", "0", "2"].iter().enumerate() {
        runs.push((330.0 + 35.0 * i as f64, y + 6.0, v.to_string()));
    }
    runs.push((40.0, y + 12.0, "这一情形,不计其他情形)".into()));
    y += 27.0;
    let rest: &[(&str, [&str; 7])] = &[
        ("(三)不予公开 1.属于国家秘密", z),
        ("2.其他法律行政法规禁止公开", z),
        ("3.危及“三安全一稳定”", z),
        ("4.保护第三方合法权益", z),
        ("5.属于三类内部事务信息", z),
        ("6.属于四类过程性信息", z),
        ("7.属于行政执法案卷", z),
        ("8.属于行政查询事项", z),
        ("(四)无法提供 1.本机关不掌握相关政府信息", ["5", "0", "0", "0", "0", "0", "5"]),
        ("2.没有现成信息需要另行制作", z),
        ("3.补正后申请内容仍不明确", z),
        ("(五)不予处理 1.信访举报投诉类申请", z),
        ("2.重复申请", z),
        ("3.要求提供公开出版物", z),
        ("4.无正当理由大量反复申请", z),
        ("5.要求行政机关确认或重新出具已获取信息", z),
        ("(六)其他处理", z),
    ];
    for (label, vals) in rest {
        line(&mut runs, label, vals, &mut y);
    }
    // (七)总计: the natural-person 12 is drawn as two glyph runs "1" and "2" a little apart.
    runs.push((40.0, y, "(七)总计".into()));
    runs.push((330.0, y, "1".into()));
    runs.push((342.0, y, "2".into()));
    for (i, v) in ["0", "0", "0", "0", "0", "12"].iter().enumerate() {
        runs.push((365.0 + 35.0 * i as f64, y, v.to_string()));
    }
    y += 15.0;
    line(&mut runs, "四、结转下年度继续办理", &z, &mut y);
    line(&mut runs, "四、政府信息公开行政复议、行政诉讼情况", &[], &mut y);
    let sec4: Vec<(f64, f64, String)> =
        (0..15).map(|i| (40.0 + 30.0 * i as f64, y, if i == 0 || i == 4 { "1" } else { "0" }.to_string())).collect();
    runs.extend(sec4);
    y += 15.0;
    runs.push((40.0, y, "五、存在的主要问题及改进情况".into()));
    runs.push((290.0, 815.0, "- 1 -".into()));
    let refs: Vec<(f64, f64, &str)> = runs.iter().map(|(x, y, t)| (*x, *y, t.as_str())).collect();
    pdf_of(&refs)
}

#[test]
fn pdf_text_layer_with_positions() {
    let bytes = pdf_report();
    let r = parse_bytes(&bytes, "report.pdf").unwrap();
    assert_eq!(r.source_format.as_str(), "pdf");
    assert_eq!(r.agency.as_deref(), Some("样例市样例局"));
    assert_eq!(r.year, Some(2022));
    assert_eq!(num(&r, "sec2.normative_docs.in_force"), Some(9.0));
    assert_eq!(num(&r, "sec2.admin_license.decisions"), Some(120.0));
    assert_eq!(num(&r, "sec2.admin_fees.amount_wan_yuan"), Some(3.5));
    assert_eq!(num(&r, "sec3.new_received.total"), Some(12.0));
    assert_eq!(num(&r, "sec3.partially_granted.natural_person"), Some(2.0));
    assert_eq!(num(&r, "sec3.unavailable_not_held.total"), Some(5.0));
    assert_eq!(num(&r, "sec3.other_subtotal.total"), Some(0.0));
    assert_eq!(num(&r, "sec3.results_total.natural_person"), Some(12.0));
    assert_eq!(num(&r, "sec3.results_total.commercial_enterprise"), Some(0.0));
    assert_eq!(num(&r, "sec4.review.total"), Some(1.0));
    assert!(r.checks.iter().all(|c| c.status != gongkai::model::CheckStatus::Fail), "{:?}", r.checks);
}

#[test]
fn pdf_blank_cells_stay_under_their_columns() {
    // A blank other_org in a sec3 row and a blank `repealed` in sec2: the page draws nothing there,
    // so the rows arrive short; the full rows beside them show the columns.
    let bytes = pdf_report_without(&[("一、本年新收政府信息公开申请数量", 5), ("规章", 1)]);
    let r = parse_bytes(&bytes, "report.pdf").unwrap();
    assert_eq!(num(&r, "sec3.new_received.natural_person"), Some(12.0));
    assert_eq!(kind(&r, "sec3.new_received.other_org"), "blank");
    assert_eq!(num(&r, "sec3.new_received.total"), Some(12.0));
    assert_eq!(num(&r, "sec2.rules.issued"), Some(0.0));
    assert_eq!(kind(&r, "sec2.rules.repealed"), "blank");
    assert_eq!(num(&r, "sec2.rules.in_force"), Some(1.0));
    let placed = r.warnings.iter().filter(|w| w.contains("placed under their columns")).count();
    assert_eq!(placed, 2, "{:?}", r.warnings);
}

#[test]
fn pdf_short_rows_without_a_full_row_beside_them_are_not_shifted() {
    // Both sec2 document rows short: no full row shows where the columns are, so neither row is
    // filled from the left; their cells keep no value and a warning says why.
    let bytes = pdf_report_without(&[("规章", 1), ("行政规范性文件", 1)]);
    let r = parse_bytes(&bytes, "report.pdf").unwrap();
    for key in ["rules", "normative_docs"] {
        for col in ["issued", "repealed", "in_force"] {
            assert_eq!(value(&r, &format!("sec2.{key}.{col}"))["value"], Value::Null, "sec2.{key}.{col}");
        }
    }
    assert!(
        r.warnings.iter().any(|w| w.contains("sec2.rules") && w.contains("does not show their columns")),
        "{:?}",
        r.warnings
    );
    // The rows of the other tables are untouched.
    assert_eq!(num(&r, "sec2.admin_license.decisions"), Some(120.0));
    assert_eq!(num(&r, "sec3.new_received.total"), Some(12.0));
}

#[test]
fn pdf_without_text_layer_needs_ocr() {
    let bytes = pdf_of(&[]);
    let err = read_error(&bytes, "scan.pdf");
    assert!(matches!(err, ReadError::NoTextLayer), "{err}");
    assert!(err.to_string().contains("no text layer; OCR needed"), "{err}");
}

// ---------- bad files ----------

#[test]
fn bad_files_give_specific_one_line_errors() {
    let pdf = pdf_report();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec();
    let jpeg = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0".to_vec();
    let mut corrupt_zip = b"PK\x03\x04".to_vec();
    corrupt_zip.extend_from_slice(&[0x14, 0, 0, 0, 8, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]);
    let garbage: Vec<u8> = (0..2000u32).map(|i| [0x01, 0x02, 0x81, 0xfe, 0x1b, 0x7f, 0x90][i as usize % 7]).collect();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated.pdf", pdf[..pdf.len() / 3].to_vec(), "damaged PDF"),
        ("corrupt.docx", corrupt_zip, "damaged DOCX"),
        ("not_docx.zip", zip_of(&[("a.txt", "hello")]), "without word/document.xml"),
        ("garbage.txt", garbage, "invalid bytes"),
        ("empty.txt", Vec::new(), "empty file"),
        ("scan.pdf", png, "image (PNG)"),
        ("photo.pdf", jpeg, "image (JPEG)"),
    ];
    for (name, bytes, want) in cases {
        let err = read_error(&bytes, name).to_string();
        assert!(err.contains(want), "{name}: {err}");
        assert!(!err.contains('\n'), "{name}: one line: {err}");
    }
}

#[test]
fn a_batch_reports_bad_files_and_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(repo().join("tests/fixtures/formats/rowspan_gbk.html"), dir.path().join("a_good.html")).unwrap();
    std::fs::write(dir.path().join("b_empty.pdf"), b"").unwrap();
    std::fs::write(dir.path().join("c_image.pdf"), b"\x89PNG\r\n\x1a\n0000").unwrap();
    std::fs::write(dir.path().join("d_good.docx"), docx_report()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["parse", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("gongkai: ") && lines[0].contains("b_empty.pdf: empty file"), "{stderr}");
    assert!(lines[1].contains("c_image.pdf: an image (PNG)"), "{stderr}");
    let reports: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reports.as_array().map(Vec::len), Some(2));
    assert_eq!(reports[1]["sec3"]["new_received"]["total"]["kind"], "number");
}

/// Deeply nested HTML is walked without recursion: 5,000 nested elements parse on a thread with
/// a 512 KiB stack (a recursive walk needs far more and aborts the whole process).
#[test]
fn deeply_nested_html_cannot_exhaust_the_stack() {
    let depth = 4_000;
    let html = format!(
        "<html><body>{}<p>某县2023年政府信息公开工作年度报告</p><table><tr><td>{}x{}</td></tr></table>{}</body></html>",
        "<div>".repeat(depth),
        "<span>".repeat(depth),
        "</span>".repeat(depth),
        "</div>".repeat(depth)
    );
    let report = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || parse_bytes(html.as_bytes(), "deep.html").map(|r| r.title))
        .unwrap()
        .join()
        .expect("the parser did not overflow its stack");
    assert_eq!(report.unwrap().as_deref(), Some("某县2023年政府信息公开工作年度报告"));
}

fn tables_of(report: &Report) -> Value {
    serde_json::json!({
        "title": value(report, "title"), "year": value(report, "year"), "region": value(report, "region"),
        "sec2": value(report, "sec2"), "sec3": value(report, "sec3"), "sec4": value(report, "sec4"),
    })
}

/// A spreadsheet export of the report itself (each table row one CSV record, no content column)
/// reads as the same table rows its tab-separated copy does; a CSV of prose alone reads as text.
#[test]
fn a_csv_sheet_of_the_report_reads_as_its_rows() {
    let tabs = std::fs::read_to_string(repo().join("tests/fixtures/layouts/tab_blank_cell.txt")).unwrap();
    assert!(!tabs.contains(','), "the fixture's prose has no ASCII comma to quote");
    let from_tabs = parse_bytes(tabs.as_bytes(), "report.txt").unwrap();
    let sheet = tabs.replace('\t', ",");
    let from_sheet = parse_bytes(sheet.as_bytes(), "report.csv").unwrap();
    assert_eq!(tables_of(&from_sheet), tables_of(&from_tabs));
    assert_eq!(num(&from_sheet, "sec3.new_received.total"), Some(16.0));
    let prose: String = tabs.lines().filter(|l| !l.contains('\t')).collect::<Vec<_>>().join("\n");
    let r = parse_bytes(prose.as_bytes(), "prose.csv").unwrap();
    assert_eq!(value(&r, "year"), value(&from_tabs, "year"));
}

/// Character references left by a crawler (`&#160;` between cells) separate cells; they are never
/// read as the number 160.
#[test]
fn entities_between_cells_are_separators_not_numbers() {
    let tabs = std::fs::read_to_string(repo().join("tests/fixtures/layouts/tab_blank_cell.txt")).unwrap();
    let spaced = parse_bytes(tabs.replace('\t', " ").as_bytes(), "spaced.txt").unwrap();
    for entity in ["&#160;", "&nbsp;", "&#xA0;"] {
        let r = parse_bytes(tabs.replace('\t', entity).as_bytes(), "entities.txt").unwrap();
        assert_eq!(tables_of(&r), tables_of(&spaced), "{entity}");
        assert!(!tables_of(&r).to_string().contains("160"), "{entity}");
    }
}

#[test]
fn a_document_without_tables_that_is_no_disclosure_report_is_refused() {
    // A crawler keeps whatever the site served: a notice, an index page, an error page.
    for (name, text) in [
        ("notice.txt", "关于开展春季植树活动的通知\n各单位：请于3月12日前报名。\n"),
        ("error.html", "<html><body><h1>404 Not Found</h1><p>页面不存在</p></body></html>"),
    ] {
        let err = read_error(text.as_bytes(), name);
        assert!(err.to_string().starts_with("not a report: no statistical tables"), "{name}: {err}");
    }
    // A report from before the national tables is still a report (narrative, no cells).
    let legacy = "某县人民政府2015年政府信息公开工作年度报告\n一、概述\n本年度共主动公开政府信息1200条。\n";
    let r = parse_bytes(legacy.as_bytes(), "2015.txt").unwrap();
    assert_eq!(r.template.as_str(), "legacy");
    assert_eq!(r.year, Some(2015));
}

#[test]
fn utf8_with_a_stray_byte_is_read_as_utf8() {
    let good = std::fs::read_to_string(repo().join("tests/fixtures/layouts/tab_blank_cell.txt")).unwrap();
    let cut = good.char_indices().nth(200).unwrap().0;
    let mut bytes = good.as_bytes().to_vec();
    bytes.splice(cut..cut, [0xff]);
    let r = parse_bytes(&bytes, "stray.txt").unwrap();
    assert_eq!(r.encoding, "UTF-8");
    assert!(r.warnings.iter().any(|w| w.contains("not valid UTF-8")), "{:?}", r.warnings);
    let clean = parse_bytes(good.as_bytes(), "clean.txt").unwrap();
    assert_eq!(r.title, clean.title);
    assert_eq!(content(&r)["sec3"], content(&clean)["sec3"], "the tables read as without the stray byte");
}
