//! Crawler layouts whose line breaks say nothing about rows, one fixture per failure class
//! (written by scripts/make_stream_fixtures.py): every cell must come out as the report printed it.

use gongkai::model::{CheckStatus, ParseQuality, Report};
use serde_json::Value;

use super::repo;

fn parse(name: &str) -> Report {
    gongkai::parse::parse_file(&repo().join("tests/fixtures/streams").join(name)).expect("fixture parses")
}

fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/streams/expected.json")).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    all[name].clone()
}

/// Every expected cell, as `(key, want, got, raw)` for those that differ.
fn mismatches(name: &str) -> (Report, Vec<String>) {
    let report = parse(name);
    let exp = expected(name);
    let json = serde_json::to_value(&report).unwrap();
    let mut bad = Vec::new();
    for sec in ["sec2", "sec3"] {
        for (row, vals) in exp[sec].as_object().unwrap() {
            let Some(cells) = json[sec][row].as_object() else {
                bad.push(format!("{sec}.{row}: row absent"));
                continue;
            };
            for ((col, cell), want) in cells.iter().zip(vals.as_array().unwrap()) {
                if cell["value"].as_f64() != want.as_f64() {
                    bad.push(format!("{sec}.{row}.{col}: want {want} got {} (raw {})", cell["value"], cell["raw"]));
                }
            }
        }
    }
    let groups = ["review", "litigation_direct", "litigation_after_review"];
    let cols = ["upheld", "corrected", "other_result", "pending", "total"];
    for (i, want) in exp["sec4"].as_array().unwrap().iter().enumerate() {
        let cell = &json["sec4"][groups[i / 5]][cols[i % 5]];
        if cell["value"].as_f64() != want.as_f64() {
            bad.push(format!("sec4.{}.{}: want {want} got {}", groups[i / 5], cols[i % 5], cell["value"]));
        }
    }
    assert_eq!(json["template"], exp["template"], "{name}: template");
    (report, bad)
}

fn assert_exact(name: &str) -> Report {
    assert_cells(name, ParseQuality::Exact)
}

fn assert_cells(name: &str, quality: ParseQuality) -> Report {
    let (report, bad) = mismatches(name);
    assert!(
        bad.is_empty(),
        "{name}: {} cells differ:\n{}\nwarnings: {:#?}",
        bad.len(),
        bad.join("\n"),
        report.warnings
    );
    assert_eq!(report.parse_quality, quality, "{name}: {:#?}", report.warnings);
    assert!(report.failed_checks().next().is_none(), "{name}: {:?}", report.failed_checks().collect::<Vec<_>>());
    report
}

#[test]
fn whole_report_on_one_line() {
    let r = assert_exact("one_line.txt");
    assert_eq!(r.title.as_deref(), Some("陇县东风镇2023年政府信息公开工作年度报告"));
    assert_eq!(r.region.township.as_deref(), Some("东风镇"));
    assert!(r.warnings.iter().any(|w| w.contains("cut the printed digits")), "{:?}", r.warnings);
    // The glued enumerator `5.` of the next label is not a digit of the row before it.
    assert_eq!(r.sec3.cell("withheld_third_party", "total").unwrap().raw, "0");
}

#[test]
fn one_cell_per_line_with_numbers_broken_over_lines() {
    let r = assert_exact("split_numbers.txt");
    assert!(r.warnings.iter().any(|w| w.contains("joined 1 and 2")), "{:?}", r.warnings);
    assert_eq!(r.sec3.cell("new_received", "natural_person").unwrap().raw, "12");
}

#[test]
fn csv_export_with_carriage_returns_and_ideographic_spaces() {
    let r = assert_exact("export.csv");
    assert_eq!(r.title.as_deref(), Some("凤翔区横水镇2023年政府信息公开工作年度报告"));
    assert_eq!(r.published_on.as_deref(), Some("2024-01-25"));
    assert_eq!(r.year, Some(2023));
}

/// The export kept the page's markup in its content field: the tables are read as the page's
/// grids, and the numbers of the markup's attributes (widths, styles) are no cells.
#[test]
fn csv_export_holding_the_pages_html() {
    let r = assert_exact("export_html.csv");
    assert_eq!(r.title.as_deref(), Some("凤翔区彪角镇2023年政府信息公开工作年度报告"));
    assert_eq!(r.published_on.as_deref(), Some("2024-01-26"));
    assert_eq!(r.region.township.as_deref(), Some("彪角镇"));
    assert!(r.warnings.iter().all(|w| !w.contains("width")), "{:?}", r.warnings);
}

#[test]
fn collapsed_runs_expand_by_the_identities() {
    let r = assert_exact("collapsed.txt");
    assert!(r.warnings.iter().any(|w| w.contains("printed once for 7 equal cells")), "{:?}", r.warnings);
}

#[test]
fn glued_2019_template_with_two_column_item_tables() {
    // The report does not print 上一年项目数量, so those cells are missing and the report is partial.
    let r = assert_cells("glued_2019.txt", ParseQuality::Partial);
    assert_eq!(r.sec2.cell("admin_license", "prev_year_items").unwrap().kind, gongkai::model::CellKind::Missing);
    assert_eq!(r.sec2.value("central_procurement", "amount_yuan"), Some(125000.0));
}

/// Labels that wrapped in a PDF's cells come out before their rows of values; each row's worth is
/// shared out in the template's order, and the row whose blank total printed nothing is placed by
/// the column identities.
#[test]
fn pdf_spill_of_labels_before_their_rows_of_values() {
    let (r, bad) = mismatches("pdf_spill.txt");
    assert!(bad.is_empty(), "{} cells differ:\n{}\nwarnings: {:#?}", bad.len(), bad.join("\n"), r.warnings);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("sec3.rejected_petition, sec3.rejected_duplicate: their labels printed no values")),
        "{:#?}",
        r.warnings
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("sec3.carried_forward: blank cells not printed")),
        "{:#?}",
        r.warnings
    );
    let total = r.sec3.cell("carried_forward", "total").unwrap();
    assert_eq!((total.value, total.raw.as_str()), (None, ""), "the blank total stays blank");
    assert!(r.failed_checks().next().is_none(), "{:?}", r.failed_checks().collect::<Vec<_>>());
}

/// The same spill glued on one line: the spilled rows are one digit run after the last label,
/// cut where exactly one cut makes every row add up.
#[test]
fn glued_pdf_spill_is_cut_into_its_rows() {
    let (r, bad) = mismatches("pdf_spill_glued.txt");
    assert!(bad.is_empty(), "{} cells differ:\n{}\nwarnings: {:#?}", bad.len(), bad.join("\n"), r.warnings);
    assert!(r.warnings.iter().any(|w| w.contains("each add up once its digits are cut")), "{:#?}", r.warnings);
    assert!(r.failed_checks().next().is_none(), "{:?}", r.failed_checks().collect::<Vec<_>>());
}

#[test]
fn page_furniture_inside_a_table() {
    assert_exact("page_furniture.txt");
}

/// A saved page: the site's navigation above the report (its breadcrumb ends like a title, its
/// fields carry numbers) and a footer of site codes, licence numbers and telephones below.
#[test]
fn site_navigation_and_footer_around_the_report() {
    for (name, township) in [("site_page.txt", "横渠镇"), ("site_page_one_line.txt", "汤峪镇")] {
        let r = assert_exact(name);
        assert_eq!(
            r.title.as_deref(),
            Some(format!("眉县{township}2023年政府信息公开工作年度报告").as_str()),
            "{name}"
        );
        assert_eq!(r.year, Some(2023), "{name}");
        assert_eq!(r.region.county.as_deref(), Some("眉县"), "{name}");
        assert_eq!(r.region.township.as_deref(), Some(township), "{name}");
    }
}

/// Labels misprinted by one character (a character dropped or wrong, a space inside): the
/// template's order and the labels found around each say which row it is, and a warning says so.
#[test]
fn misprinted_labels_are_taken_for_their_rows() {
    for name in ["label_typos.txt", "label_typos_spaced.txt"] {
        let r = assert_exact(name);
        for row in ["sec2.normative_docs", "sec2.admin_fees", "sec3.withheld_internal_affairs"] {
            assert!(
                r.warnings.iter().any(|w| w.starts_with(row) && w.contains("label printed as")),
                "{name}: {row}: {:#?}",
                r.warnings
            );
        }
    }
}

/// A page break inside sec4's header of a spaced dump leaves its page number between two header
/// words (`结果纠正 - 3 - 其他结果`): no cell, though a blank printed as a dash looks the same.
#[test]
fn a_page_number_inside_the_review_table_header_is_no_cell() {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/streams/label_typos_spaced.txt")).unwrap();
    let once = text.replacen("行政诉讼 结果维持 结果纠正 其他结果", "行政诉讼 结果维持 结果纠正 - 3 - 其他结果", 1);
    // Page breaks after the first header word and inside both litigation headers, where the row
    // reading ends a row at each, and one after a sec3 row, which makes the rows the better reading.
    let thrice = text
        .replacen("行政复议 行政诉讼", "行政复议 - 2 - 行政诉讼", 1)
        .replacen("复议后起诉 结果维持", "复议后起诉 - 3 - 结果维持", 1)
        .replacen("尚未审结 总计 1 0", "尚未审结 - 4 - 总计 1 0", 1)
        .replacen("0 0 0 0 0 2 三、本年度办理结果", "0 0 0 0 0 2 - 1 - 三、本年度办理结果", 1);
    for (paged, marks) in [(once, &["- 3 -"][..]), (thrice, &["- 2 -", "- 3 -", "- 4 -"][..])] {
        assert_ne!(paged, text);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paged.txt");
        std::fs::write(&path, paged).unwrap();
        let report = gongkai::parse::parse_file(&path).unwrap();
        let want = [1.0, 0.0, 0.0, 1.0, 2.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let groups = ["review", "litigation_direct", "litigation_after_review"];
        let cols = ["upheld", "corrected", "other_result", "pending", "total"];
        let json = serde_json::to_value(&report).unwrap();
        for (i, want) in want.iter().enumerate() {
            assert_eq!(
                json["sec4"][groups[i / 5]][cols[i % 5]]["value"].as_f64(),
                Some(*want),
                "sec4 cell {i} {marks:?}"
            );
        }
        let named = |m: &str| report.warnings.iter().any(|w| w.contains(m) && w.contains("page number"));
        assert!(marks.iter().all(|m| named(m)), "{marks:?} {:?}", report.warnings);
    }
}

/// A glued row that no cut can make add up is never stored as one number: its cells have no value,
/// its printed digits are kept, and the report is not `exact`.
#[test]
fn unsplittable_glued_run_is_not_a_number() {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/streams/one_line.txt")).unwrap();
    let broken = text.replace("上年结转政府信息公开申请数量2000002", "上年结转政府信息公开申请数量20000011");
    assert_ne!(broken, text);
    let r = gongkai::parse::parse_bytes(broken.as_bytes(), "broken.txt").unwrap();
    let row = r.sec3.row("carried_over").unwrap();
    assert!(row.cells.iter().all(|(_, c)| c.value != Some(20000011.0)), "{row:?}");
    assert_ne!(r.parse_quality, ParseQuality::Exact, "{:?}", r.warnings);
}

/// An identity the report breaks as printed stays a failed check, and the other cells are still read.
#[test]
fn a_printed_break_is_reported_not_repaired() {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/streams/split_numbers.txt")).unwrap();
    // granted.natural_person 5 → 6: H3 of granted and H2 of natural_person fail as printed.
    let at = text.find("（一）予以公开\n5\n").expect("granted row");
    let broken = format!("{}（一）予以公开\n6\n{}", &text[..at], &text[at + "（一）予以公开\n5\n".len()..]);
    let r = gongkai::parse::parse_bytes(broken.as_bytes(), "broken.txt").unwrap();
    assert_eq!(r.sec3.value("granted", "natural_person"), Some(6.0));
    let failed: Vec<(&str, &str)> = r.failed_checks().map(|c| (c.id, c.scope.as_str())).collect();
    assert!(failed.contains(&("H3", "granted")), "{failed:?}");
    assert!(failed.contains(&("H2", "natural_person")), "{failed:?}");
    assert!(r.checks.iter().filter(|c| c.id == "H1").all(|c| c.status == CheckStatus::Pass));
}

/// A district name shared by several cities (宝山区) is narrowed by the city the report's own
/// address line names; without it, only what is certain is kept.
#[test]
fn shared_district_names_are_narrowed_by_the_address() {
    let body = "宝山区2023年政府信息公开工作年度报告\n\n一、总体情况\n本年度共发布各类信息 12 条。\n";
    let r = gongkai::parse::parse_bytes(body.as_bytes(), "a.txt").unwrap();
    assert_eq!(r.region.county_code, None, "{:?}", r.region);
    let with_address = format!("{body}联系地址：上海市宝山区密山路5号\n");
    let r = gongkai::parse::parse_bytes(with_address.as_bytes(), "b.txt").unwrap();
    assert_eq!(r.region.province.as_deref(), Some("上海市"), "{:?} {:?}", r.region, r.warnings);
    assert_eq!(r.region.county.as_deref(), Some("宝山区"));
    assert!(r.warnings.iter().any(|w| w.contains("narrowed")), "{:?}", r.warnings);
}

/// Where the address names only the street, the contact telephone's area code names the city:
/// 0317 is dialled in 沧州, not in 石家庄 or 平顶山, which also have a 新华区.
#[test]
fn shared_district_names_are_narrowed_by_the_telephone_area_code() {
    let body = "新华区人民政府2023年政府信息公开工作年度报告\n\n一、总体情况\n本年度共发布各类信息 12 条。\n";
    let r = gongkai::parse::parse_bytes(body.as_bytes(), "a.txt").unwrap();
    assert_eq!(r.region.county_code, None, "{:?}", r.region);
    let with_phone = format!("{body}联系地址：解放西路18号\n联系电话：0317-2025127\n");
    let r = gongkai::parse::parse_bytes(with_phone.as_bytes(), "b.txt").unwrap();
    assert_eq!(r.region.county_code.as_deref(), Some("130902"), "{:?} {:?}", r.region, r.warnings);
    assert!(r.warnings.iter().any(|w| w.contains("narrowed")), "{:?}", r.warnings);
    // Numbers of two different cities name neither.
    let two = format!("{body}联系电话：0317-2025127，0311-86044567\n");
    let r = gongkai::parse::parse_bytes(two.as_bytes(), "c.txt").unwrap();
    assert_eq!(r.region.county_code, None, "{:?}", r.region);
}

/// Where neither the address nor a telephone names the city, the postcode names the province:
/// 510 is Guangdong's, so 白云区 is Guangzhou's, not Guiyang's. Two 鼓楼区 in 江苏 stay apart: a
/// postcode narrows to a province only.
#[test]
fn shared_district_names_are_narrowed_by_the_postcode_province() {
    let body = "白云区人民政府2023年政府信息公开工作年度报告\n\n一、总体情况\n本年度共发布各类信息 12 条。\n";
    let r = gongkai::parse::parse_bytes(body.as_bytes(), "a.txt").unwrap();
    assert_eq!(r.region.county_code, None, "{:?}", r.region);
    let with_postcode = format!("{body}联系地址：云城东路3号，邮编：510080\n");
    let r = gongkai::parse::parse_bytes(with_postcode.as_bytes(), "b.txt").unwrap();
    assert_eq!(r.region.county_code.as_deref(), Some("440111"), "{:?} {:?}", r.region, r.warnings);
    assert!(r.warnings.iter().any(|w| w.contains("narrowed")), "{:?}", r.warnings);
    let jiangsu = "鼓楼区人民政府2023年政府信息公开工作年度报告\n\n一、总体情况\n本年度共发布各类信息 12 条。\n联系地址：中山北路1号，邮编：210009\n";
    let r = gongkai::parse::parse_bytes(jiangsu.as_bytes(), "c.txt").unwrap();
    assert_eq!(r.region.county_code, None, "{:?} {:?}", r.region, r.warnings);
}

/// The values of every table cell of `tab_blank_cell.txt` as read from `text`, for layouts of it.
fn cell_values(text: &str) -> Vec<(String, Option<f64>)> {
    let r = gongkai::parse::parse_bytes(text.as_bytes(), "case.md").expect("parses");
    [&r.sec2, &r.sec3, &r.sec4]
        .iter()
        .flat_map(|t| t.cells())
        .map(|(row, col, c)| (format!("{row}.{col}"), c.value))
        .collect()
}

/// The cells of `original` that `layout` (the same report printed otherwise) does not read alike,
/// with their values in `original`.
fn cells_read_otherwise(original: &str, layout: &str) -> Vec<(String, Option<f64>)> {
    let read: std::collections::HashMap<String, Option<f64>> = cell_values(layout).into_iter().collect();
    cell_values(original).into_iter().filter(|(key, want)| read.get(key) != Some(want)).collect()
}

fn tab_blank_cell() -> String {
    std::fs::read_to_string(repo().join("tests/fixtures/layouts/tab_blank_cell.txt")).unwrap()
}

/// A Markdown export whose first column is empty (the page's merged label column): every table
/// row opens with `|  |`. Those empty cells were read as blank cells between the values.
#[test]
fn markdown_with_an_empty_first_column() {
    let original = tab_blank_cell();
    let markdown: String = original
        .lines()
        .map(|line| {
            if line.contains('\t') {
                format!("|  | {} |\n", line.split('\t').collect::<Vec<_>>().join(" | "))
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    assert!(markdown.contains("|  | 规章 | 1 | 0 | 3 |"));
    assert_eq!(cell_values(&markdown), cell_values(&original));
}

/// A page that sets sec2's sub-tables side by side prints them out of order once its tags are
/// stripped: the decisions and the fees before 规章 and 规范性文件. Those rows were not found.
#[test]
fn sec2_sub_tables_printed_out_of_order() {
    let dump = tab_blank_cell().split_whitespace().collect::<Vec<_>>().join(" ");
    let docs = "第二十条第（一）项 信息内容 本年制发件数 本年废止件数 现行有效件数 规章 1 0 3 行政规范性文件 4 1 12 ";
    let fees = "行政事业性收费 1.25 ";
    assert!(dump.contains(docs) && dump.contains(fees));
    let moved = dump.replacen(docs, "", 1).replacen(fees, &format!("{fees}{docs}"), 1);
    let r = gongkai::parse::parse_bytes(moved.as_bytes(), "case.txt").expect("parses");
    let values =
        |row: &str| -> Vec<Option<f64>> { r.sec2.row(row).unwrap().cells.iter().map(|(_, c)| c.value).collect() };
    assert_eq!(values("rules"), [1.0, 0.0, 3.0].map(Some), "{:?}", r.warnings);
    assert_eq!(values("normative_docs"), [4.0, 1.0, 12.0].map(Some), "{:?}", r.warnings);
    assert_eq!(values("admin_license"), [Some(57.0)]);
}

/// Merged label cells beside the numbers: the next row's label printed after both rows' values
/// (`予以公开 5 1 0 0 0 0 6 2 1 0 0 0 0 3 （二）部分公开…`). The second seven belong to the row whose
/// label printed none, since both rows then add up; a run that does not divide so stays undecided.
#[test]
fn two_rows_of_values_before_the_second_label() {
    let dump = tab_blank_cell().split_whitespace().collect::<Vec<_>>().join(" ");
    let (granted, partial) =
        ("（一）予以公开 5 1 0 0 0 0 6 ", "（二）部分公开（区分处理的，只计这一情形，不计其他情形） 2 1 0 0 0 0 3 ");
    assert!(dump.contains(&format!("{granted}{partial}")));
    let spilled = dump.replacen(
        &format!("{granted}{partial}"),
        "（一）予以公开 5 1 0 0 0 0 6 2 1 0 0 0 0 3 （二）部分公开（区分处理的，只计这一情形，不计其他情形） ",
        1,
    );
    let r = gongkai::parse::parse_bytes(spilled.as_bytes(), "case.txt").expect("parses");
    let values =
        |row: &str| -> Vec<Option<f64>> { r.sec3.row(row).unwrap().cells.iter().map(|(_, c)| c.value).collect() };
    assert_eq!(values("granted"), [5.0, 1.0, 0.0, 0.0, 0.0, 0.0, 6.0].map(Some), "{:?}", r.warnings);
    assert_eq!(values("partially_granted"), [2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 3.0].map(Some), "{:?}", r.warnings);
    // Second half not adding up: nothing is shared out.
    let broken = spilled.replacen("6 2 1 0 0 0 0 3", "6 2 1 0 0 0 0 4", 1);
    let r = gongkai::parse::parse_bytes(broken.as_bytes(), "case.txt").expect("parses");
    let partial = r.sec3.row("partially_granted").unwrap();
    assert!(partial.cells.iter().all(|(_, c)| c.value.is_none()), "{partial:?} {:?}", r.warnings);
}

/// A tab layout printed as text with each table row's values before its label, except the rows
/// `label_first` keeps as they are.
fn printed_values_first(tabs: &str, label_first: impl Fn(&str) -> bool) -> String {
    let is_value = |c: &str| c.parse::<f64>().is_ok() || c == "-";
    tabs.lines()
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').map(str::trim).filter(|c| !c.is_empty()).collect();
            let (values, labels): (Vec<&str>, Vec<&str>) = cells.iter().partition(|c| is_value(c));
            if line.contains('\t') && !values.is_empty() && !labels.is_empty() && !label_first(line) {
                format!("{} {}\n", values.join(" "), labels.join(" "))
            } else {
                format!("{}\n", cells.join(" "))
            }
        })
        .collect()
}

/// Some text extractions print each table row's values before its label (`5 1 0 0 0 0 6 （一）予以公开`).
/// Read after their labels, every row took the next row's values. The identities favour the reading
/// that gives each label the values before it.
#[test]
fn each_row_printed_values_first() {
    let original = tab_blank_cell();
    let values_first = printed_values_first(&original, |_| false);
    assert!(values_first.contains("5 1 0 0 0 0 6 三、本年度办理结果 （一）予以公开"), "{values_first}");
    let r = gongkai::parse::parse_bytes(values_first.as_bytes(), "case.txt").expect("parses");
    assert!(r.warnings.iter().any(|w| w.contains("printed before its label")), "{:?}", r.warnings);
    let differ = cells_read_otherwise(&original, &values_first);
    // The blank cell of 上年结转 (`2 0 0 0 0 2` for seven cells) is not in the text at all.
    assert!(differ.iter().all(|(key, _)| key.starts_with("carried_over.")), "{differ:?}");
    assert_eq!(r.sec3.row("granted").unwrap().cells[0].1.value, Some(5.0));
}

/// Long labels wrapped in their cells, as text taken from a PDF prints them: the label's first
/// characters, the row's values, then the rest of the label on the next line
/// (`二、上 2 0 0 0 0 2` / `年结转政府信息公开申请数量`). Such a label was not found, and the row
/// before it took its values.
#[test]
fn labels_wrapped_around_their_values() {
    let original = tab_blank_cell();
    let is_value = |c: &str| c.parse::<f64>().is_ok() || c == "-";
    let wrapped: String = original
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').map(str::trim).filter(|c| !c.is_empty()).collect();
            let (values, labels): (Vec<&str>, Vec<&str>) = cells.iter().partition(|c| is_value(c));
            let label = labels.join(" ");
            match label.char_indices().nth(3) {
                // A row whose label is one cell (a group heading is a cell of its own).
                Some((cut, _))
                    if line.contains('\t') && !values.is_empty() && labels.len() == 1 && label.chars().count() > 10 =>
                {
                    format!("{} {}\n{}\n", &label[..cut], values.join(" "), &label[cut..])
                }
                _ => format!("{}\n", cells.join(" ")),
            }
        })
        .collect();
    assert!(wrapped.contains("二、上 2 0 0 0 0 2\n年结转政府信息公开申请数量"), "{wrapped}");
    let differ = cells_read_otherwise(&original, &wrapped);
    assert!(differ.iter().all(|(key, _)| key.starts_with("carried_over.")), "{differ:?}");
    let r = gongkai::parse::parse_bytes(wrapped.as_bytes(), "case.txt").expect("parses");
    assert_eq!(r.sec3.value("new_received", "total"), Some(16.0), "{:?}", r.warnings);
}

/// A sec2 row of text that printed fewer values than its columns does not say which cells they
/// are (text drops blank cells): whatever is read of it is flagged, and the report is not `exact`.
#[test]
fn a_short_sec2_row_of_text_is_never_exact() {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/streams/label_typos_spaced.txt")).unwrap();
    let short = text.replacen("规章 1 0 3 ", "规章 1 ", 1);
    assert_ne!(short, text);
    let r = gongkai::parse::parse_bytes(short.as_bytes(), "short.txt").unwrap();
    assert_ne!(r.parse_quality, ParseQuality::Exact, "{:?}", r.warnings);
    let json = serde_json::to_value(&r).unwrap();
    let rules = &json["sec2"]["rules"];
    let stored: Vec<f64> =
        ["issued", "repealed", "in_force"].iter().filter_map(|c| rules[c]["value"].as_f64()).collect();
    assert!(stored.iter().all(|v| *v == 1.0), "{rules}");
    if !stored.is_empty() {
        assert!(r.warnings.iter().any(|w| w.starts_with("sec2.rules") && w.contains("ambiguous")), "{:?}", r.warnings);
    }
}

/// The 2019 item tables glued on one line with a signed 本年增/减 (`行政许可284-50`): the sign says
/// where the change starts, so 284 | -5 | 0 is the one reading, and it is taken.
#[test]
fn glued_2019_item_rows_with_a_signed_change() {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/streams/glued_2019.txt")).unwrap();
    let from = "第二十条第（五）项信息内容本年增/减处理决定数量行政许可010其他对外管理服务事项15";
    let to = "第二十条第（五）项信息内容上一年项目数量本年增/减处理决定数量行政许可284-50其他对外管理服务事项71+35";
    assert!(text.contains(from));
    let r = gongkai::parse::parse_bytes(text.replacen(from, to, 1).as_bytes(), "signed.txt").unwrap();
    let row = |key: &str| -> Vec<Option<f64>> { r.sec2.row(key).unwrap().cells.iter().map(|(_, c)| c.value).collect() };
    assert_eq!(row("admin_license"), [284.0, -5.0, 0.0].map(Some), "{:?}", r.warnings);
    assert_eq!(row("other_admin_services"), [71.0, 3.0, 5.0].map(Some), "{:?}", r.warnings);
}

/// A glued row that breaks its row total but whose digits cut one way only (`0000003`: no count but
/// `0` starts with a zero) is read as printed, and the break is the report's finding.
#[test]
fn a_glued_row_that_cuts_one_way_keeps_its_printed_break() {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/streams/one_line.txt")).unwrap();
    let from = "3.危及“三安全一稳定”0000000";
    assert!(text.contains(from));
    let broken = text.replacen(from, "3.危及“三安全一稳定”0000003", 1);
    let r = gongkai::parse::parse_bytes(broken.as_bytes(), "broken.txt").unwrap();
    let row = r.sec3.row("withheld_security_stability").unwrap();
    let values: Vec<Option<f64>> = row.cells.iter().map(|(_, c)| c.value).collect();
    assert_eq!(values, [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0].map(Some), "{:?}", r.warnings);
    let failed: Vec<(&str, &str)> = r.failed_checks().map(|c| (c.id, c.scope.as_str())).collect();
    assert!(failed.contains(&("H3", "withheld_security_stability")), "{failed:?}");
    // `1000003` may be 10 | 0 | 0 | 0 | 0 | 3 with a blank cell not printed: not taken.
    let unsure = text.replacen(from, "3.危及“三安全一稳定”1000003", 1);
    let r = gongkai::parse::parse_bytes(unsure.as_bytes(), "unsure.txt").unwrap();
    let row = r.sec3.row("withheld_security_stability").unwrap();
    assert!(row.cells.iter().all(|(_, c)| c.value.is_none()), "{row:?}");
}

/// Values printed before their labels in the statistical tables, while the item tables of sec2 print
/// each label first (prose lines under their `信息内容` header): those rows keep the values after
/// their labels. Read values first, 行政处罚 took 行政许可's 57.
#[test]
fn sec2_tables_printed_label_first_among_values_first_tables() {
    let original = tab_blank_cell();
    let label_first = ["行政许可", "行政处罚", "行政强制", "行政事业性收费"];
    let mixed = printed_values_first(&original, |line| label_first.iter().any(|l| line.starts_with(l)));
    assert!(mixed.contains("本年处理决定数量\n行政许可 57\n"), "{mixed}");
    let r = gongkai::parse::parse_bytes(mixed.as_bytes(), "case.txt").expect("parses");
    assert!(r.warnings.iter().any(|w| w.contains("printed before its label")), "{:?}", r.warnings);
    let differ = cells_read_otherwise(&original, &mixed);
    assert!(differ.iter().all(|(key, _)| key.starts_with("carried_over.")), "{differ:?}");
}
