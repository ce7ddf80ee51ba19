//! Renderers: one report printed in each layout that reports arrive in. A report is first laid
//! out as a list of pieces (title, paragraphs, table rows, page furniture), then each layout prints
//! the pieces its own way, so every layout shows the same cells.

use crate::template::{SEC3_COLS, col_label, sec2_caption, sec3_group, sec4_group_label};

use super::{Cell, Layout, Report, Rng, sec4_col};

/// Section headings of the national format (SCHEMA.md §1).
const SEC2_HEADING: &str = "二、主动公开政府信息情况";
const SEC3_HEADING: &str = "三、收到和处理政府信息公开申请情况";
const SEC4_HEADING: &str = "四、政府信息公开行政复议、行政诉讼情况";
const SEC3_NOTE: &str = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）";
const APPLICANTS: &str = "申请人情况";
const ORGS: &str = "法人或其他组织";
const CONTENT: &str = "信息内容";
const LITIGATION: &str = "行政诉讼";

enum Piece {
    Title,
    Para(String),
    /// Caption of a sec2 group and the number of value columns of its rows.
    Sec2Caption(&'static str, usize),
    Sec2Header(Vec<&'static str>),
    Sec2Row(String, Vec<Cell>),
    Sec3Header,
    /// Index into the report's sec3 rows.
    Sec3Row(usize),
    Sec4Header,
    Sec4Row,
    PageBreak(u32),
    Signature,
}

/// The report's bytes in `layout`.
pub(super) fn render(report: &Report, layout: Layout, rng: &mut Rng) -> Vec<u8> {
    let pieces = pieces(report, layout, rng);
    let text = match layout {
        Layout::Tabs | Layout::PageBreaks => lines(report, &pieces, Style::Tabs, rng),
        Layout::Collapsed => lines(report, &pieces, Style::Collapsed, rng),
        Layout::CellPerLine => lines(report, &pieces, Style::CellPerLine, rng),
        Layout::DocxLines => lines(report, &pieces, Style::DocxLines, rng),
        Layout::SplitNumbers => lines(report, &pieces, Style::SplitNumbers, rng),
        Layout::Markdown => markdown(report, &pieces),
        Layout::OneLine => one_line(report, &pieces),
        Layout::Csv => csv(report, &pieces, rng),
        Layout::Html => html(report, &pieces),
        Layout::Docx => return docx(&html(report, &pieces)),
    };
    text.into_bytes()
}

/// The report as a DOCX: the HTML layout's paragraphs and tables as `w:p` and `w:tbl`, colspans as
/// `w:gridSpan`, rowspans as `w:vMerge` (the merged cell continued in the rows below it).
fn docx(html: &str) -> Vec<u8> {
    use std::io::Write;
    static TAG: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?s)<(p|tr|/table|h1)[^>]*>(.*?)(?:</p>|</tr>|</h1>|$)"#).expect("valid regex")
    });
    static TD: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r#"<td([^>]*)>(.*?)</td>"#).expect("valid regex"));
    static SPAN: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r#"(rowspan|colspan)="(\d+)""#).expect("valid regex"));
    let unescape = |t: &str| t.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    let xml_text = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let para = |t: &str| format!("<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>", xml_text(t));
    let mut body = String::new();
    let mut table: Option<String> = None;
    // Cells merged down from rows above: grid column → (rows still covered, columns spanned).
    let mut below: std::collections::BTreeMap<usize, (usize, usize)> = Default::default();
    for line in html.lines() {
        let Some(c) = TAG.captures(line) else { continue };
        match &c[1] {
            "tr" => {
                let t = table.get_or_insert_with(|| {
                    below.clear();
                    String::from("<w:tbl>")
                });
                t.push_str("<w:tr>");
                let mut cells = TD.captures_iter(&c[2]).peekable();
                let mut col = 0;
                loop {
                    if let Some((left, span)) = below.get_mut(&col) {
                        let span = *span;
                        *left -= 1;
                        if *left == 0 {
                            below.remove(&col);
                        }
                        t.push_str(&format!(
                            "<w:tc><w:tcPr><w:gridSpan w:val=\"{span}\"/><w:vMerge/></w:tcPr><w:p/></w:tc>"
                        ));
                        col += span;
                        continue;
                    }
                    let Some(cell) = cells.next() else { break };
                    let (mut rows, mut cols) = (1, 1);
                    for a in SPAN.captures_iter(&cell[1]) {
                        let n: usize = a[2].parse().unwrap_or(1);
                        if &a[1] == "rowspan" { rows = n } else { cols = n }
                    }
                    let mut props = format!("<w:gridSpan w:val=\"{cols}\"/>");
                    if rows > 1 {
                        props.push_str("<w:vMerge w:val=\"restart\"/>");
                        below.insert(col, (rows - 1, cols));
                    }
                    let text = unescape(&cell[2]);
                    t.push_str(&format!("<w:tc><w:tcPr>{props}</w:tcPr>{}</w:tc>", para(&text)));
                    col += cols;
                }
                t.push_str("</w:tr>");
            }
            "/table" => {
                if let Some(t) = table.take() {
                    body.push_str(&t);
                    body.push_str("</w:tbl>");
                }
            }
            _ => {
                for piece in c[2].split("<br>") {
                    body.push_str(&para(&unescape(piece)));
                }
            }
        }
    }
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts = [("[Content_Types].xml", CONTENT_TYPES), ("word/document.xml", xml.as_str())];
    for (name, text) in parts {
        // Writing to memory cannot fail but for a bug; the generator has no I/O errors to report.
        zip.start_file(name, options).expect("zip entry in memory");
        zip.write_all(text.as_bytes()).expect("zip write in memory");
    }
    zip.finish().expect("zip in memory");
    buf.into_inner()
}

const CONTENT_TYPES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
    r#"<Default Extension="xml" ContentType="application/xml"/>"#,
    r#"<Override PartName="/word/document.xml" "#,
    r#"ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#
);

fn pieces(report: &Report, layout: Layout, rng: &mut Rng) -> Vec<Piece> {
    let (head, tail) = narrative(report, rng);
    let mut out = vec![Piece::Title];
    let furniture = layout == Layout::PageBreaks;
    let mut page = 1;
    for (i, p) in head.into_iter().enumerate() {
        if furniture && i == 4 {
            page += 1;
            out.push(Piece::PageBreak(page));
        }
        out.push(Piece::Para(p));
    }
    out.push(Piece::Para(SEC2_HEADING.into()));
    let specs: Vec<_> = report.sec2.iter().collect();
    for (spec, cells) in specs {
        if let Some(caption) = sec2_caption(report.template, spec.key) {
            out.push(Piece::Sec2Caption(caption, spec.cols.len()));
            out.push(Piece::Sec2Header(
                std::iter::once(CONTENT).chain(spec.cols.iter().map(|c| col_label(c))).collect(),
            ));
        }
        out.push(Piece::Sec2Row(spec.label.to_string(), cells.clone()));
    }
    out.push(Piece::Para(SEC3_HEADING.into()));
    out.push(Piece::Sec3Header);
    let break_at = report.page_break_after.or_else(|| furniture.then(|| 4 + rng.below(report.sec3.len() - 8)));
    for i in 0..report.sec3.len() {
        out.push(Piece::Sec3Row(i));
        if break_at == Some(i) {
            page += 1;
            out.push(Piece::PageBreak(page));
            out.push(Piece::Sec3Header);
        }
    }
    out.push(Piece::Para(SEC4_HEADING.into()));
    out.push(Piece::Sec4Header);
    out.push(Piece::Sec4Row);
    for (i, p) in tail.into_iter().enumerate() {
        if furniture && i == 2 {
            page += 1;
            out.push(Piece::PageBreak(page));
        }
        out.push(Piece::Para(p));
    }
    out.push(Piece::Signature);
    out
}

/// The narrative sections, before and after the tables.
fn narrative(r: &Report, rng: &mut Rng) -> (Vec<String>, Vec<String>) {
    let y = r.year;
    let we = r.body.we;
    let sp = |n: i64, spaced: bool| if spaced { format!(" {n} ") } else { n.to_string() };
    let spaced = rng.chance(0.4);
    let intro = if rng.chance(0.5) {
        format!(
            "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和上级有关要求编制，所列数据统计期限为{y}年1月1日至{y}年12月31日。"
        )
    } else {
        format!(
            "按照《中华人民共和国政府信息公开条例》要求，现公布{}{y}年度政府信息公开工作年度报告。本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。",
            r.agency
        )
    };
    let a = r.proactive / 5;
    let b = r.proactive / 7;
    let proactive = format!(
        "（一）主动公开。{y}年，{we}共发布各类信息{}条，其中机构职能类{}条、政策文件类{}条，其余为工作动态和民生信息。",
        sp(r.proactive, spaced),
        sp(a, spaced),
        sp(b, spaced)
    );
    let applications = if r.applications == 0 {
        format!("（二）依申请公开。{y}年，{we}未收到政府信息公开申请。")
    } else {
        format!("（二）依申请公开。{y}年共收到政府信息公开申请{}件，均已在法定期限内答复。", sp(r.applications, spaced))
    };
    let head = vec![
        intro,
        "一、总体情况".to_string(),
        proactive,
        applications,
        rng.pick(&[
            "（三）政府信息管理。严格执行信息发布审核制度，及时清理过期信息。",
            "（三）政府信息管理。落实公开属性源头认定，定期评估已公开信息。",
        ])
        .to_string(),
        "（四）政府信息公开平台建设。持续优化政府网站信息公开专栏，保障栏目内容及时更新。".to_string(),
        "（五）监督保障。将政府信息公开工作纳入年度考核，主动接受社会监督。".to_string(),
    ];
    let phone = format!("0{}-{}", rng.range(10, 999), rng.range(2_000_000, 8_999_999));
    let road = rng.pick(&["人民路", "中山路", "建设大道", "解放街", "府前街"]);
    let tail = vec![
        "五、存在的主要问题及改进情况".to_string(),
        rng.pick(&[
            "政策解读的形式还不够丰富，下一步将增加图解和问答，提升公开质量。",
            "依申请公开办理的规范化水平有待提高，下一步将加强业务培训。",
            "个别栏目更新不够及时，下一步将落实专人负责、定期检查。",
        ])
        .to_string(),
        "六、其他需要报告的事项".to_string(),
        "本年度未收取信息处理费。".to_string(),
        format!(
            "如对本报告有疑问，请与{}联系（地址：{}{road}{}号；电话：{phone}）。",
            r.agency,
            r.body.address(),
            rng.range(1, 300)
        ),
    ];
    (head, tail)
}

/// The lead cell (`三、本年度办理结果`) and group cell (`（三）不予公开`) printed before a sec3 row's label.
fn sec3_lead(key: &str) -> (Option<&'static str>, Option<&'static str>) {
    match key {
        "granted" => (sec3_group(key), None),
        _ => (None, sec3_group(key)),
    }
}

/// Rows whose label spans all label columns.
fn top_level(key: &str) -> bool {
    matches!(key, "new_received" | "carried_over" | "carried_forward")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Tabs,
    Collapsed,
    CellPerLine,
    DocxLines,
    SplitNumbers,
}

/// The line-based layouts: each row is a list of cells, printed by the style.
fn lines(r: &Report, pieces: &[Piece], style: Style, rng: &mut Rng) -> String {
    let mut out = String::new();
    let mut splits_left = 1 + rng.below(3);
    let sep = if style == Style::Collapsed { " " } else { "\t" };
    // One row of cells as the style prints it.
    let row = |out: &mut String, cells: &[String]| match style {
        Style::Tabs | Style::Collapsed => {
            out.push_str(&cells.join(sep));
            out.push('\n');
        }
        Style::CellPerLine => {
            out.push_str(&cells.iter().map(|c| c.trim()).filter(|c| !c.is_empty()).collect::<Vec<_>>().join("\n"));
            out.push_str("\n\n");
        }
        Style::DocxLines => {
            for c in cells {
                out.push('\t');
                out.push_str(c);
                out.push('\n');
            }
            out.push('\n');
        }
        Style::SplitNumbers => {
            for c in cells.iter().filter(|c| !c.is_empty()) {
                out.push_str(c);
                out.push('\n');
            }
        }
    };
    let para = |out: &mut String, text: &str| {
        if style == Style::SplitNumbers && !out.is_empty() {
            out.push('\n');
        }
        out.push_str(text);
        out.push_str(if style == Style::SplitNumbers { "\n" } else { "\n\n" });
    };
    // Only the tab layouts keep merged cells as empty cells; DOCX text has just a leading empty cell.
    let compact = style != Style::Tabs;
    let docx = style == Style::DocxLines;
    // Header words split one character per line (split-numbers only).
    let word = |w: &str| -> String {
        if style == Style::SplitNumbers { w.chars().map(String::from).collect::<Vec<_>>().join("\n") } else { w.into() }
    };
    let mut in_table = false;
    for piece in pieces {
        let table_piece = !matches!(piece, Piece::Para(_) | Piece::Title | Piece::Signature);
        if in_table && !table_piece && matches!(style, Style::Tabs | Style::Collapsed) {
            out.push('\n');
        }
        in_table = table_piece;
        match piece {
            Piece::Title => para(&mut out, &r.title()),
            Piece::Para(p) => para(&mut out, p),
            Piece::Signature => {
                out.push_str(&r.agency);
                out.push('\n');
                out.push_str(&r.date_text());
                out.push('\n');
            }
            Piece::Sec2Caption(caption, n) => {
                let mut cells = vec![caption.to_string()];
                if !compact {
                    cells.extend(std::iter::repeat_n(String::new(), *n.max(&3)));
                }
                row(&mut out, &cells);
            }
            Piece::Sec2Header(words) => {
                let mut cells: Vec<String> = words.iter().map(|w| w.to_string()).collect();
                pad(&mut cells, 4, compact);
                row(&mut out, &cells);
            }
            Piece::Sec2Row(label, values) => {
                let texts: Vec<String> = values.iter().map(Cell::text).collect();
                let all_same =
                    texts.windows(2).all(|w| w[0] == w[1]) && values.iter().all(|v| matches!(v, Cell::Num(_)));
                let mut cells = vec![label.clone()];
                if style == Style::Collapsed && all_same {
                    // One token expands to one row only: every cell that value.
                    cells.push(texts[0].clone());
                } else {
                    cells.extend(texts);
                }
                pad(&mut cells, 4, compact);
                row(&mut out, &cells);
            }
            Piece::Sec3Header => {
                let orgs: Vec<String> = SEC3_COLS[1..6].iter().map(|c| word(col_label(c))).collect();
                if compact {
                    row(&mut out, &[SEC3_NOTE.into(), word(APPLICANTS)]);
                    let mut second = vec![word(col_label("natural_person")), word(ORGS), word(col_label("total"))];
                    if docx {
                        second.insert(0, String::new());
                    }
                    row(&mut out, &second);
                    row(&mut out, &orgs);
                } else {
                    let mut first = vec![SEC3_NOTE.to_string(), String::new(), APPLICANTS.into()];
                    first.extend(std::iter::repeat_n(String::new(), 5));
                    first.extend([col_label("total").to_string(), String::new()]);
                    row(&mut out, &first);
                    let mut second =
                        vec![String::new(), String::new(), col_label("natural_person").into(), ORGS.into()];
                    second.extend(std::iter::repeat_n(String::new(), 6));
                    row(&mut out, &second);
                    let mut third = vec![String::new(); 3];
                    third.extend(orgs);
                    third.extend([String::new(), String::new()]);
                    row(&mut out, &third);
                }
            }
            Piece::Sec3Row(i) => {
                let (spec, values) = &r.sec3[*i];
                let label = r.sec3_label(spec);
                let (lead, group) = sec3_lead(spec.key);
                let mut texts: Vec<String> = values.iter().map(Cell::text).collect();
                let ints: Option<Vec<i64>> = values.iter().map(Cell::int_value).collect();
                if let (Style::Collapsed, Some(ints)) = (style, &ints)
                    && let Some(tokens) = collapse(ints, |v| v[..6].iter().sum::<i64>() == v[6])
                {
                    texts = tokens.iter().map(i64::to_string).collect();
                }
                if let (Style::SplitNumbers, Some(ints)) = (style, &ints)
                    && splits_left > 0
                    && rng.chance(0.3)
                    && let Some(split) = split_number(ints, rng)
                {
                    splits_left -= 1;
                    texts = split;
                }
                let group = group.map(|g| {
                    if style == Style::SplitNumbers {
                        let chars: Vec<char> = g.chars().collect();
                        let at =
                            chars.iter().position(|c| *c == '）').map_or(chars.len() / 2, |p| p + 3).min(chars.len());
                        format!(
                            "{}\n{}",
                            chars[..at].iter().collect::<String>(),
                            chars[at..].iter().collect::<String>()
                        )
                    } else {
                        g.to_string()
                    }
                });
                let mut cells = Vec::new();
                if compact {
                    if docx && lead.is_none() && !top_level(spec.key) {
                        cells.push(String::new());
                    }
                    cells.extend(lead.map(String::from));
                    cells.extend(group);
                    cells.push(label);
                } else if top_level(spec.key) {
                    cells.extend([label, String::new()]);
                } else if let Some(lead) = lead {
                    cells.extend([lead.to_string(), label]);
                } else if let Some(group) = group {
                    cells.extend([String::new(), group, label]);
                } else {
                    cells.extend([String::new(), label]);
                }
                cells.extend(texts);
                row(&mut out, &cells);
            }
            Piece::Sec4Header => {
                let cols: Vec<String> = (0..5).map(|i| word(col_label(sec4_col(i)))).collect();
                if compact {
                    row(&mut out, &[word(sec4_group_label("review")), word(LITIGATION)]);
                    let mut second = cols.clone();
                    second.extend([
                        word(sec4_group_label("litigation_direct")),
                        word(sec4_group_label("litigation_after_review")),
                    ]);
                    row(&mut out, &second);
                } else {
                    let mut first = vec![sec4_group_label("review").to_string()];
                    first.extend(std::iter::repeat_n(String::new(), 4));
                    first.push(LITIGATION.into());
                    first.extend(std::iter::repeat_n(String::new(), 9));
                    row(&mut out, &first);
                    let mut second = cols.clone();
                    second.push(sec4_group_label("litigation_direct").into());
                    second.extend(std::iter::repeat_n(String::new(), 4));
                    second.push(sec4_group_label("litigation_after_review").into());
                    second.extend(std::iter::repeat_n(String::new(), 4));
                    row(&mut out, &second);
                    let mut third = vec![String::new(); 5];
                    third.extend(cols.iter().cloned());
                    third.extend(cols);
                    row(&mut out, &third);
                }
            }
            Piece::Sec4Row => {
                let ints: Option<Vec<i64>> = r.sec4.iter().map(Cell::int_value).collect();
                let mut texts: Vec<String> = r.sec4.iter().map(Cell::text).collect();
                if let (Style::Collapsed, Some(ints)) = (style, &ints)
                    && let Some(tokens) = collapse(ints, |v| v.chunks(5).all(|g| g[..4].iter().sum::<i64>() == g[4]))
                {
                    texts = tokens.iter().map(i64::to_string).collect();
                }
                row(&mut out, &texts);
            }
            Piece::PageBreak(n) => {
                let mark = if rng.chance(0.5) { format!("- {n} -") } else { format!("第 {n} 页") };
                match style {
                    Style::Tabs | Style::Collapsed => out.push_str(&format!("\n{mark}\n\n")),
                    Style::SplitNumbers => out.push_str(&format!("{mark}\n")),
                    _ => out.push_str(&format!("{mark}\n\n")),
                }
            }
        }
    }
    out
}

/// Pad a row to `n` cells with empty ones (merged cells print as empty tabs), except in compact styles.
fn pad(cells: &mut Vec<String>, n: usize, compact: bool) {
    if !compact {
        while cells.len() < n {
            cells.push(String::new());
        }
    }
}

/// The row with each run of equal adjacent cells printed once, when exactly one way of expanding
/// the runs back to the row's width satisfies `holds`; `None` when nothing collapses or it would be
/// ambiguous.
fn collapse(values: &[i64], holds: impl Fn(&[i64]) -> bool) -> Option<Vec<i64>> {
    let mut tokens: Vec<i64> = Vec::new();
    for v in values {
        if tokens.last() != Some(v) {
            tokens.push(*v);
        }
    }
    // A row that breaks the identity as printed cannot be read back from its runs: print it in full.
    if tokens.len() == values.len() || !holds(values) {
        return None;
    }
    let mut fits = 0;
    let mut counts = vec![1usize; tokens.len()];
    expansions(&tokens, values.len() - tokens.len(), 0, &mut counts, &mut |counts| {
        let row: Vec<i64> = tokens.iter().zip(counts).flat_map(|(t, n)| std::iter::repeat_n(*t, *n)).collect();
        if holds(&row) {
            fits += 1;
        }
    });
    (fits == 1).then_some(tokens)
}

/// Every way of handing `extra` more cells to the tokens from `at` on.
fn expansions(tokens: &[i64], extra: usize, at: usize, counts: &mut Vec<usize>, visit: &mut impl FnMut(&[usize])) {
    if at + 1 == tokens.len() {
        counts[at] += extra;
        visit(counts);
        counts[at] -= extra;
        return;
    }
    for give in 0..=extra {
        counts[at] += give;
        expansions(tokens, extra - give, at + 1, counts, visit);
        counts[at] -= give;
    }
}

/// A sec3 row with one number of two or more digits broken in two (`162` → `1`, `62`), when exactly
/// one way of joining two adjacent tokens gives a row that adds up (H3).
fn split_number(values: &[i64], rng: &mut Rng) -> Option<Vec<String>> {
    let texts: Vec<String> = values.iter().map(i64::to_string).collect();
    let candidates: Vec<usize> = (0..texts.len()).filter(|i| texts[*i].len() >= 2).collect();
    if candidates.is_empty() {
        return None;
    }
    let i = *rng.pick(&candidates);
    let at = 1 + rng.below(texts[i].len() - 1);
    let mut tokens = texts.clone();
    let (a, b) = texts[i].split_at(at);
    tokens.splice(i..=i, [a.to_string(), b.to_string()]);
    let fits = (0..tokens.len() - 1)
        .filter(|j| {
            // A count is never printed with a leading zero, so such a join is no reading.
            if tokens[*j] == "0" {
                return false;
            }
            let mut row: Vec<String> = tokens.clone();
            let joined = format!("{}{}", row[*j], row[j + 1]);
            row.splice(*j..=j + 1, [joined]);
            let v: Option<Vec<i64>> = row.iter().map(|t| t.parse().ok()).collect();
            v.is_some_and(|v| v[..6].iter().sum::<i64>() == v[6])
        })
        .count();
    (fits == 1).then_some(tokens)
}

fn markdown(r: &Report, pieces: &[Piece]) -> String {
    let mut out = String::new();
    let md_row = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
    let sep = |n: usize| format!("|{}\n", "---|".repeat(n));
    let mut open: Option<&str> = None;
    for piece in pieces {
        let table = match piece {
            Piece::Sec2Caption(..) | Piece::Sec2Header(_) | Piece::Sec2Row(..) => Some("sec2"),
            Piece::Sec3Header | Piece::Sec3Row(_) => Some("sec3"),
            Piece::Sec4Header | Piece::Sec4Row => Some("sec4"),
            _ => None,
        };
        if open.is_some() && table != open {
            out.push('\n');
        }
        let starting = table.is_some() && table != open;
        open = table;
        match piece {
            Piece::Title => out.push_str(&format!("# {}\n\n", r.title())),
            Piece::Para(p) if p.starts_with(['一', '二', '三', '四', '五', '六']) && p.chars().nth(1) == Some('、') => {
                out.push_str(&format!("## {p}\n\n"))
            }
            Piece::Para(p) => out.push_str(&format!("{p}\n\n")),
            Piece::Signature => out.push_str(&format!("{}\n\n{}\n", r.agency, r.date_text())),
            Piece::Sec2Caption(caption, _) => {
                out.push_str(&md_row(&[caption.to_string(), String::new(), String::new(), String::new()]));
                if starting {
                    out.push_str(&sep(4));
                }
            }
            Piece::Sec2Header(words) => {
                let mut cells: Vec<String> = words.iter().map(|w| w.to_string()).collect();
                pad(&mut cells, 4, false);
                out.push_str(&md_row(&cells));
            }
            Piece::Sec2Row(label, values) => {
                let mut cells = vec![label.clone()];
                cells.extend(values.iter().map(Cell::text));
                pad(&mut cells, 4, false);
                out.push_str(&md_row(&cells));
            }
            Piece::Sec3Header => {
                let mut first = vec![String::new(), String::new(), String::new(), col_label("natural_person").into()];
                first.push(ORGS.into());
                first.extend(std::iter::repeat_n(String::new(), 4));
                first.push(col_label("total").into());
                out.push_str(&md_row(&first));
                out.push_str(&sep(10));
                let mut second = vec![String::new(); 4];
                second.extend(SEC3_COLS[1..6].iter().map(|c| col_label(c).to_string()));
                second.push(String::new());
                out.push_str(&md_row(&second));
            }
            Piece::Sec3Row(i) => {
                let (spec, values) = &r.sec3[*i];
                let label = r.sec3_label(spec);
                let (lead, group) = sec3_lead(spec.key);
                let mut cells = if top_level(spec.key) {
                    vec![label, String::new(), String::new()]
                } else if let Some(lead) = lead {
                    vec![lead.to_string(), label, String::new()]
                } else if let Some(group) = group {
                    vec![String::new(), group.to_string(), label]
                } else if matches!(spec.key, "partially_granted" | "results_total" | "other_subtotal") {
                    vec![String::new(), label, String::new()]
                } else {
                    vec![String::new(), String::new(), label]
                };
                cells.extend(values.iter().map(Cell::text));
                out.push_str(&md_row(&cells));
            }
            Piece::Sec4Header => {
                let mut first = vec![sec4_group_label("review").to_string()];
                first.extend(std::iter::repeat_n(String::new(), 4));
                first.push(LITIGATION.into());
                first.extend(std::iter::repeat_n(String::new(), 9));
                out.push_str(&md_row(&first));
                out.push_str(&sep(15));
                let cols: Vec<String> = (0..5).map(|i| col_label(sec4_col(i)).to_string()).collect();
                let mut second = vec![String::new(); 5];
                second.push(sec4_group_label("litigation_direct").into());
                second.extend(std::iter::repeat_n(String::new(), 4));
                second.push(sec4_group_label("litigation_after_review").into());
                second.extend(std::iter::repeat_n(String::new(), 4));
                out.push_str(&md_row(&second));
                let mut third = cols.clone();
                third.extend(cols.iter().cloned());
                third.extend(cols);
                out.push_str(&md_row(&third));
            }
            Piece::Sec4Row => out.push_str(&md_row(&r.sec4.iter().map(Cell::text).collect::<Vec<_>>())),
            Piece::PageBreak(n) => {
                // The table stops at the page number; the next page opens with the header again.
                out.push_str(&format!("- {n} -\n\n"));
            }
        }
    }
    out
}

/// Every cell and sentence glued together on one line, as crawlers strip tags.
fn one_line(r: &Report, pieces: &[Piece]) -> String {
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Title => out.push_str(&r.title()),
            Piece::Para(p) => out.push_str(p),
            Piece::Signature => {
                out.push_str(&r.agency);
                out.push_str(&r.date_text());
            }
            _ => out.push_str(&table_cells(r, piece).concat()),
        }
    }
    out.push('\n');
    out
}

/// The cells of a table piece in reading order, empty ones left out (the compact reading).
fn table_cells(r: &Report, piece: &Piece) -> Vec<String> {
    match piece {
        Piece::Sec2Caption(c, _) => vec![c.to_string()],
        Piece::Sec2Header(words) => words.iter().map(|w| w.to_string()).collect(),
        Piece::Sec2Row(label, values) => std::iter::once(label.clone()).chain(values.iter().map(Cell::text)).collect(),
        Piece::Sec3Header => {
            let mut v = vec![SEC3_NOTE.to_string(), APPLICANTS.into(), col_label("natural_person").into(), ORGS.into()];
            v.push(col_label("total").into());
            v.extend(SEC3_COLS[1..6].iter().map(|c| col_label(c).to_string()));
            v
        }
        Piece::Sec3Row(i) => {
            let (spec, values) = &r.sec3[*i];
            let (lead, group) = sec3_lead(spec.key);
            let mut v: Vec<String> = lead.into_iter().chain(group).map(String::from).collect();
            v.push(r.sec3_label(spec));
            v.extend(values.iter().map(Cell::text));
            v
        }
        Piece::Sec4Header => {
            let mut v = vec![sec4_group_label("review").to_string(), LITIGATION.into()];
            v.extend((0..5).map(|i| col_label(sec4_col(i)).to_string()));
            v.extend([
                sec4_group_label("litigation_direct").into(),
                sec4_group_label("litigation_after_review").into(),
            ]);
            v
        }
        Piece::Sec4Row => r.sec4.iter().map(Cell::text).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|c| !c.is_empty())
    .collect()
}

/// A crawler's CSV export: title and date in their own columns, the body in one quoted field
/// whose cells are separated by runs of carriage returns or by ideographic spaces; one export in
/// four keeps the page's markup in that field instead, on one line.
fn csv(r: &Report, pieces: &[Piece], rng: &mut Rng) -> String {
    if rng.chance(0.25) {
        let page = html(r, pieces);
        let body = page.split_once("<body>\n").map_or(page.as_str(), |(_, b)| b);
        let body = body.split_once("</body>").map_or(body, |(b, _)| b).replace('\n', "");
        return csv_export(r, &body, rng);
    }
    let ideographic = rng.chance(0.5);
    let mut body = String::new();
    let gap = |rng: &mut Rng, between_rows: bool| -> String {
        if ideographic && !between_rows {
            "\u{3000}".repeat(1 + rng.below(2))
        } else {
            "\r".repeat(1 + rng.below(3) + usize::from(between_rows))
        }
    };
    for piece in pieces {
        let parts: Vec<String> = match piece {
            Piece::Title => continue,
            Piece::Para(p) => vec![p.clone()],
            Piece::Signature => vec![r.agency.clone()],
            _ => table_cells(r, piece),
        };
        if parts.is_empty() {
            continue;
        }
        if !body.is_empty() {
            body.push_str(&gap(rng, true));
        }
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                body.push_str(&gap(rng, false));
            }
            body.push_str(p);
        }
    }
    csv_export(r, &body, rng)
}

/// The export's header and its one row around a body.
fn csv_export(r: &Report, body: &str, rng: &mut Rng) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let (y, m, d) = r.published;
    let time = format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:00", 8 + rng.below(10), rng.below(60));
    let url = format!("http://www.example.gov.cn/xxgk/{}/{}.html", r.body.code(), r.year);
    format!("标题,时间,内容,来源网站\r\n{},{},{},{}\r\n", quote(&r.title()), time, quote(body), url)
}

/// A simple web page: paragraphs and tables with merged cells as rowspan/colspan.
fn html(r: &Report, pieces: &[Piece]) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let td = |s: &str, attrs: &str| format!("<td{attrs}>{}</td>", esc(s));
    let mut out = format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(&r.title()),
        esc(&r.title())
    );
    let mut open: Option<&str> = None;
    let keys: Vec<&str> = r.sec3.iter().map(|(s, _)| s.key).collect();
    for piece in pieces {
        let table = match piece {
            Piece::Sec2Caption(..) | Piece::Sec2Header(_) | Piece::Sec2Row(..) => Some("sec2"),
            Piece::Sec3Header | Piece::Sec3Row(_) => Some("sec3"),
            Piece::Sec4Header | Piece::Sec4Row => Some("sec4"),
            _ => None,
        };
        if open.is_some() && table != open {
            out.push_str("</table>\n");
        }
        if table.is_some() && table != open {
            out.push_str("<table border=\"1\">\n");
        }
        open = table;
        match piece {
            Piece::Title => {}
            Piece::Para(p) => out.push_str(&format!("<p>{}</p>\n", esc(p))),
            Piece::Signature => {
                out.push_str(&format!("<p style=\"text-align:right\">{}<br>{}</p>\n", esc(&r.agency), r.date_text()))
            }
            Piece::Sec2Caption(caption, _) => out.push_str(&format!("<tr>{}</tr>\n", td(caption, " colspan=\"4\""))),
            Piece::Sec2Header(words) => {
                let span = if words.len() < 4 { format!(" colspan=\"{}\"", 5 - words.len()) } else { String::new() };
                let mut cells: Vec<String> = words.iter().map(|w| td(w, "")).collect();
                if let Some(last) = cells.last_mut() {
                    *last = td(words[words.len() - 1], &span);
                }
                out.push_str(&format!("<tr>{}</tr>\n", cells.concat()));
            }
            Piece::Sec2Row(label, values) => {
                let span = if values.len() < 3 { format!(" colspan=\"{}\"", 4 - values.len()) } else { String::new() };
                let mut cells = vec![td(label, "")];
                for (i, v) in values.iter().enumerate() {
                    cells.push(td(&v.text(), if i + 1 == values.len() { &span } else { "" }));
                }
                out.push_str(&format!("<tr>{}</tr>\n", cells.concat()));
            }
            Piece::Sec3Header => {
                out.push_str(&format!(
                    "<tr>{}{}{}</tr>\n",
                    td(SEC3_NOTE, " rowspan=\"3\" colspan=\"3\""),
                    td(APPLICANTS, " colspan=\"7\""),
                    ""
                ));
                out.push_str(&format!(
                    "<tr>{}{}{}</tr>\n",
                    td(col_label("natural_person"), " rowspan=\"2\""),
                    td(ORGS, " colspan=\"5\""),
                    td(col_label("total"), " rowspan=\"2\"")
                ));
                let orgs: String = SEC3_COLS[1..6].iter().map(|c| td(col_label(c), "")).collect();
                out.push_str(&format!("<tr>{orgs}</tr>\n"));
            }
            Piece::Sec3Row(i) => {
                let (spec, values) = &r.sec3[*i];
                let label = r.sec3_label(spec);
                let (lead, group) = sec3_lead(spec.key);
                let mut cells = String::new();
                if top_level(spec.key) {
                    cells += &td(&label, " colspan=\"3\"");
                } else {
                    if let Some(lead) = lead {
                        let n = keys.iter().filter(|k| !top_level(k)).count();
                        cells += &td(lead, &format!(" rowspan=\"{n}\""));
                    }
                    if let Some(group) = group {
                        let n = keys[*i..]
                            .iter()
                            .enumerate()
                            .take_while(|(j, k)| *j == 0 || (sec3_group(k).is_none() && !is_single(k)))
                            .count();
                        cells += &td(group, &format!(" rowspan=\"{n}\""));
                        cells += &td(&label, "");
                    } else if is_single(spec.key) {
                        cells += &td(&label, " colspan=\"2\"");
                    } else {
                        cells += &td(&label, "");
                    }
                }
                cells.extend(values.iter().map(|v| td(&v.text(), "")));
                out.push_str(&format!("<tr>{cells}</tr>\n"));
            }
            Piece::Sec4Header => {
                out.push_str(&format!(
                    "<tr>{}{}</tr>\n",
                    td(sec4_group_label("review"), " colspan=\"5\" rowspan=\"2\""),
                    td(LITIGATION, " colspan=\"10\"")
                ));
                out.push_str(&format!(
                    "<tr>{}{}</tr>\n",
                    td(sec4_group_label("litigation_direct"), " colspan=\"5\""),
                    td(sec4_group_label("litigation_after_review"), " colspan=\"5\"")
                ));
                let cols: String = (0..15).map(|i| td(col_label(sec4_col(i)), "")).collect();
                out.push_str(&format!("<tr>{cols}</tr>\n"));
            }
            Piece::Sec4Row => {
                let cells: String = r.sec4.iter().map(|v| td(&v.text(), "")).collect();
                out.push_str(&format!("<tr>{cells}</tr>\n"));
            }
            Piece::PageBreak(_) => {}
        }
    }
    if open.is_some() {
        out.push_str("</table>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Outcome rows printed across both inner label columns (no group of their own).
fn is_single(key: &str) -> bool {
    matches!(key, "granted" | "partially_granted" | "other_subtotal" | "results_total")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse_only_when_one_expansion_fits() {
        let h3 = |v: &[i64]| v[..6].iter().sum::<i64>() == v[6];
        assert_eq!(collapse(&[120, 15, 2, 0, 0, 1, 138], h3), Some(vec![120, 15, 2, 0, 1, 138]));
        assert_eq!(collapse(&[0; 7], h3), Some(vec![0]));
        assert_eq!(collapse(&[2, 0, 0, 0, 0, 0, 2], h3), Some(vec![2, 0, 2]));
        // 0 0 1 1 0 0 2 and 0 1 1 0 0 0 2 both fit `0 1 0 2`: left as printed.
        assert_eq!(collapse(&[0, 0, 1, 1, 0, 0, 2], h3), None);
        assert_eq!(collapse(&[1, 2, 3, 4, 5, 6, 21], h3), None);
    }

    #[test]
    fn split_numbers_are_recoverable() {
        let mut rng = Rng::new(1);
        for _ in 0..50 {
            if let Some(tokens) = split_number(&[150, 12, 0, 0, 0, 0, 162], &mut rng) {
                assert_eq!(tokens.len(), 8);
                assert_eq!(tokens.concat(), "150120000162");
            }
        }
    }
}
