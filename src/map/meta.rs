//! Report metadata and narrative facts read from the running text: title, agency, year, publication
//! date, the number of proactively published items, the information fee charged and the number of
//! applications the narrative mentions.

use std::sync::LazyLock;

use regex::Regex;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Meta {
    pub title: Option<String>,
    pub agency: Option<String>,
    pub year: Option<i32>,
    pub published_on: Option<String>,
    pub proactive_total: Option<i64>,
    pub proactive_approx: bool,
    pub info_fee_yuan: Option<f64>,
    pub narrative_applications: Option<i64>,
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("metadata pattern")
}

/// What may stand before a title on its line: a markdown heading mark, a page's `正文` (body)
/// mark, a `标题:` field name.
static TITLE_PREFIX: LazyLock<Regex> = LazyLock::new(|| re(r"^(#{1,6}\s*)?(正文\s*)?((标题|题名|名称)\s*[:：]\s*)?"));
static REPORT_WORDS: LazyLock<Regex> =
    LazyLock::new(|| re(r"(关于)?((政府|政务)?信息|政务)公开(工作)?(年度)?(报告|年报)$|工作年度报告$|年度报告$"));
static YEAR_IN_TITLE: LazyLock<Regex> = LazyLock::new(|| re(r"(19|20)(\d{2})\s*年度?"));
static STAT_PERIOD: LazyLock<Regex> = LazyLock::new(|| re(r"(20\d{2})\s*年\s*1\s*月\s*1\s*日\s*(至|到|-|—)"));
static LABELLED_DATE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(发布时间|发布日期|生成日期|成文日期|发文日期|日期)\s*[:：]?\s*(20\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})",
    )
});
static CN_DATE: LazyLock<Regex> = LazyLock::new(|| re(r"(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"));
static PROACTIVE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(共发布各类信息|主动公开(政府|政务)?信息(总数|总量)?(为|共)?|共主动公开(政府|政务)?信息|主动公开各类(政府)?信息)\s*(\d+)\s*(余|多)?\s*(条|件)",
    )
});
static FEE_NONE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(没有|未|无|不)[^。；]{0,30}(收取|产生|收)[^。；]{0,20}处理费|处理费[^。；]{0,10}(为|共)?\s*0\s*元|(没有|未|无|不)[^。；]{0,10}(收取|产生)[^。；]{0,10}费用",
    )
});
static FEE_AMOUNT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(收取|收缴)[^。；]{0,20}处理费\s*(共计|合计|共)?\s*(\d+(\.\d+)?)\s*元"));
static APPLICATIONS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(收到|接到|受理)(了)?(各类)?(政府信息公开|依申请公开)?(的)?(申请)?\s*(共)?\s*(\d+)\s*(件|次|个|份)")
});

/// A table cell the narrative states in words (`现行有效行政规范性文件698件`): the evidence that
/// decides between cuts of a glued sec2 row, which no identity ties together.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub row: &'static str,
    pub col: &'static str,
    pub value: f64,
}

/// The sec2 cells the narrative states: documents issued, repealed and in force (or, in the 2019
/// template, publicly available), and procurement items. A phrase must name the document kind
/// next to the number; a bare `12件` elsewhere is no evidence.
pub fn sec2_facts(text: &str) -> Vec<Fact> {
    static PHRASES: LazyLock<Vec<(Regex, &'static str, &'static str)>> = LazyLock::new(|| {
        let docs = |verb: &str, kind: &str| {
            re(&format!(r"{verb}[的了]?(?:本机关)?(?:行政)?{kind}(?:总数|数量)?[共为]?\s*(\d+)\s*件"))
        };
        let mut v = Vec::new();
        for (kind, row) in [("规范性文件", "normative_docs"), ("规章", "rules")] {
            v.push((docs("(?:新制作)", kind), row, "made"));
            v.push((docs("废止", kind), row, "repealed"));
            v.push((docs("现行有效", kind), row, "in_force"));
            v.push((docs("对外公开", kind), row, "total_public"));
        }
        v.push((re(r"集中采购项目[共为]?\s*(\d+)\s*[项个]"), "central_procurement", "items"));
        v
    });
    let mut facts = Vec::new();
    for (pattern, row, col) in PHRASES.iter() {
        for c in pattern.captures_iter(text) {
            if let Ok(value) = c[1].parse::<f64>() {
                facts.push(Fact { row, col, value });
            }
        }
    }
    facts.extend(listed_issues(text));
    // Two statements of one cell that disagree are no evidence for either.
    let disputed: Vec<(&str, &str)> = facts
        .iter()
        .filter(|f| facts.iter().any(|g| g.row == f.row && g.col == f.col && g.value != f.value))
        .map(|f| (f.row, f.col))
        .collect();
    facts.retain(|f| !disputed.contains(&(f.row, f.col)));
    // What is left states each cell once, however many phrases repeat it.
    facts.sort_by_key(|f| (f.row, f.col));
    facts.dedup_by_key(|f| (f.row, f.col));
    facts
}

/// Documents issued this year, right after the verb (`制发规章1件`) or named in a list after it (`发布政府信息393件，其中包括：行政规范性
/// 文件13件`, `印发规章2件、规范性文件5件`): each item of the sentence after an issuing verb, unless a
/// word between them says the count is of another kind (repealed, in force, revised).
fn listed_issues(text: &str) -> Vec<Fact> {
    static VERB: LazyLock<Regex> = LazyLock::new(|| re(r"制发|印发|出台|制定|发布"));
    static ITEM: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?:行政|部门)?(规范性文件|规章)(?:总数|数量)?[共为]?\s*(\d+)\s*[件条]"));
    const OTHER_KIND: [&str; 7] = ["废止", "有效", "清理", "修改", "修订", "失效", "备案"];
    let mut facts = Vec::new();
    for sentence in text.split(['。', '；', ';']) {
        let Some(verb) = VERB.find(sentence) else { continue };
        let mut from = verb.end();
        for item in ITEM.captures_iter(&sentence[verb.end()..]) {
            let whole = item.get(0).expect("match");
            let at = verb.end() + whole.start();
            if OTHER_KIND.iter().any(|w| sentence[from..at].contains(w)) {
                break;
            }
            from = verb.end() + whole.end();
            let row = if &item[1] == "规章" { "rules" } else { "normative_docs" };
            if let Ok(value) = item[2].parse::<f64>() {
                // `issued` in the 2021 template; in the 2019 one, newly made.
                facts.push(Fact { row, col: "issued", value });
                facts.push(Fact { row, col: "made", value });
            }
        }
    }
    facts
}

/// Read metadata and narrative facts from the report's text.
pub fn extract(text: &str) -> Meta {
    let mut meta = Meta { title: find_title(text), ..Meta::default() };
    if let Some(title) = &meta.title {
        meta.agency = agency_from_title(title);
        meta.year = YEAR_IN_TITLE.captures(title).and_then(|c| format!("{}{}", &c[1], &c[2]).parse().ok());
    }
    if meta.agency.is_none() {
        meta.agency = signed_by(text);
    }
    if meta.year.is_none() {
        meta.year = STAT_PERIOD.captures(text).and_then(|c| c[1].parse().ok());
    }

    meta.published_on =
        LABELLED_DATE.captures(text).map(|c| iso_date(&c[2], &c[3], &c[4])).or_else(|| signature_date(text));
    if let Some(c) = PROACTIVE.captures(text) {
        meta.proactive_total = c[7].parse().ok();
        meta.proactive_approx = c.get(8).is_some();
    }
    meta.info_fee_yuan =
        FEE_AMOUNT.captures(text).and_then(|c| c[3].parse().ok()).or_else(|| FEE_NONE.is_match(text).then_some(0.0));
    meta.narrative_applications = APPLICATIONS.captures(text).and_then(|c| c[8].parse().ok());
    meta
}

/// Sentences of the body open like this; a title never does (`本年度报告根据…编制`).
static SENTENCE_OPENER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(本年度|本报告|本年|根据|按照|依据|依照|现将|现发布|为了|为|我[局委办镇乡区县市省]|全年|今年|\d{4}年[,，以来度]*[我全])",
    )
});
/// Where a title ends: the report words after 信息公开 (`…政府信息公开工作年度报告`), which a
/// line break of the original may have cut (`…信息公开工作　年度报告`).
static TITLE_END: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:信息|政务)公开(?:[^，。；,;:：》>›»\s]|\s){0,12}?(报告|年报)"));
/// What separates a title from what a page prints before it on the same line: field names
/// (`发布机构:`), breadcrumbs (`首页 > …`), sentence punctuation, ideographic spaces, tabs or a
/// wide gap, a page's buttons. A single space does not: titles are printed `某县 2023 年…`.
/// After sentence-internal punctuation (`，`, `》`…) the words are part of a sentence, not a title.
/// A page's buttons end in a bracket (`字号：[ 大 中 小 ]`, `【关闭窗口】`).
static BEFORE_TITLE: LazyLock<Regex> = LazyLock::new(|| re(r#"[:：>›»。|《，,、；;》“”"\]】]|\u{3000}|\t|\s{2,}"#));
const IN_SENTENCE: &[&str] = &["，", ",", "、", "；", ";", "》", "“", "”", "\""];
/// The longest title we accept, in characters.
const TITLE_MAX: usize = 80;

/// The first line naming the report (`…政府信息公开工作年度报告`), cut to the title's own span:
/// a crawler dump glues the body after it and page metadata before it (`发布机构:…年度报告信息来源:…`),
/// a breadcrumb (`首页 > 政务公开 > …`) gives its last part. A title broken over two lines
/// (`…政府信息公开工作` / `年度报告`) is joined. A title quoted in a sentence (`现发布《…年度报告》`)
/// is used only when no line prints one of its own.
fn find_title(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).take(80).collect();
    let (mut quoted, mut generic) = (None, None);
    for (i, raw_line) in lines.iter().enumerate() {
        let line = despaced(&TITLE_PREFIX.replace(raw_line, ""));
        let joined = match lines.get(i + 1).map(|next| despaced(next)) {
            // A title broken over lines (`…政府信息公开工作` / `年度报告`, `…信息公开` / `工作年度报告`):
            // its report words start on this line and end on the next.
            Some(next)
                if !TITLE_END.is_match(&line)
                    && TITLE_END
                        .find(&format!("{line}{next}"))
                        .is_some_and(|m| m.start() < line.len() && m.end() > line.len()) =>
            {
                format!("{line}{next}")
            }
            _ => line.to_string(),
        };
        for (candidate, in_quotes) in title_spans(&joined) {
            if SENTENCE_OPENER.is_match(&candidate) {
                continue;
            }
            // The name of the site's column (`首页 > 政务公开 > 政府信息公开年报`) names neither a
            // body nor a year: a title only when nothing better is printed.
            if agency_from_title(&candidate).is_none()
                && !YEAR_IN_TITLE.is_match(&candidate)
                && !i.checked_sub(1).is_some_and(|j| is_agency_line(lines[j]))
                && !lines.get(i + 1).is_some_and(|next| is_agency_line(next))
            {
                generic.get_or_insert(candidate);
                continue;
            }
            let (title, printed_alone) = whole_title(&lines, i, &joined, &candidate, in_quotes);
            if printed_alone {
                return Some(title);
            }
            quoted.get_or_insert(title);
        }
    }
    quoted.or(generic)
}

/// A line whose characters are set apart one by one (a PDF's title page: `政 府 信 息 公 开 …`)
/// without the spaces; any other line as it is.
fn despaced(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    let single = words.iter().filter(|w| w.chars().count() == 1).count();
    if words.len() >= 8 && single * 5 >= words.len() * 4 { words.concat() } else { line.to_string() }
}

/// A line that is only the year reported on (`2023年度`, `（2023年）`), printed above or below a
/// title that does not name it.
fn is_year_line(line: &str) -> bool {
    static YEAR_LINE: LazyLock<Regex> = LazyLock::new(|| re(r"^[（(]?\s*(19|20)\d{2}\s*年度?\s*[)）]?$"));
    YEAR_LINE.is_match(line.trim())
}

/// A candidate completed from its neighbours, and whether it is printed as a title of its own
/// (not quoted in a sentence).
fn whole_title(lines: &[&str], i: usize, joined: &str, candidate: &str, in_quotes: bool) -> (String, bool) {
    // A title set on two lines: the agency alone above `2023年…年度报告` (PDF title pages).
    // Or below it (`政府信息公开工作年度报告（2023年）` / `某县某镇`), when the line above is no body.
    let candidate = match (i.checked_sub(1).map(|j| lines[j]), lines.get(i + 1)) {
        (Some(prev), _) if candidate == joined && agency_from_title(candidate).is_none() && is_agency_line(prev) => {
            format!("{prev}{candidate}")
        }
        (_, Some(next)) if candidate == joined && agency_from_title(candidate).is_none() && is_agency_line(next) => {
            format!("{next}{candidate}")
        }
        _ => candidate.to_string(),
    };
    // The year alone on the line above or below (`2023年度` / `某县…工作年度报告`).
    let candidate = if candidate == joined && !YEAR_IN_TITLE.is_match(&candidate) {
        match (i.checked_sub(1).map(|j| lines[j]), lines.get(i + 1)) {
            (Some(prev), _) if is_year_line(prev) => format!("{}{candidate}", prev.trim()),
            (_, Some(next)) if is_year_line(next) => format!("{candidate}{}", next.trim()),
            _ => candidate,
        }
    } else {
        candidate
    };
    let title = candidate.split_whitespace().collect::<Vec<_>>().join(" ");
    if in_quotes {
        return (title, false);
    }
    // A text cut at a fixed width may break the title's first words onto the line before
    // (`发布机构: 会宁县柴` / `家门镇2022年…`): the body's quoted title, ending the same way, says
    // what it was.
    if joined.starts_with(&candidate) {
        let compact = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        static QUOTED: LazyLock<Regex> = LazyLock::new(|| re(r"《([^《》]{4,80})》"));
        let rest = compact(&format!("{}{}", &joined[candidate.len()..], lines[i + 1..].concat()));
        let title_compact = compact(&title);
        let longer = QUOTED
            .captures_iter(&rest)
            .map(|c| c[1].to_string())
            .find(|q| q.len() > title_compact.len() && q.ends_with(&title_compact) && TITLE_END.is_match(q));
        if let Some(q) = longer {
            return (q, true);
        }
    }
    (title, true)
}

/// The titles within one line, one per report-words ending: each from after the last separator
/// before its report words to their end; whether it stood inside 《》. A dump may print the site's
/// column name (`…政府信息公开年报`) before the title on the same line.
fn title_spans(line: &str) -> Vec<(String, bool)> {
    TITLE_END.find_iter(line).filter_map(|end| title_span(line, end)).collect()
}

fn title_span(line: &str, end: regex::Match) -> Option<(String, bool)> {
    let head = &line[..end.start()];
    // The body's name in brackets before the year (`【某县某镇】2023年政府信息公开年报`) is the
    // title's own, not a page's field.
    static BRACKETED_BODY: LazyLock<Regex> = LazyLock::new(|| re(r"^[【\[]([^【】\[\]]{2,30})[】\]]"));
    let bracketed = BRACKETED_BODY.captures(head).filter(|c| is_agency_line(&c[1])).map(|c| c[0].len());
    // The sentence that presents the report names it as a quote would (`现将某镇2023年度…报告如下`).
    static PRESENTING: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(现将|现发布|现予公布|现公布|特发布)\s*"));
    let presented = |sep: regex::Match| PRESENTING.find(&head[sep.end()..]).map(|v| sep.end() + v.end());
    let (start, in_quotes) = match BEFORE_TITLE.find_iter(head).last() {
        Some(sep) if bracketed == Some(sep.end()) => (0, false),
        Some(sep) => match presented(sep) {
            Some(at) => (at, true),
            None if IN_SENTENCE.contains(&sep.as_str()) => return None,
            None => (sep.end(), sep.as_str() == "《"),
        },
        None => (0, false),
    };
    // The year may follow the report words in brackets (`…工作年度报告（2023年）`).
    static YEAR_AFTER: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*[（(]\s*(19|20)\d{2}\s*年度?\s*[)）]"));
    let end_at = end.end() + YEAR_AFTER.find(&line[end.end()..]).map_or(0, |m| m.end());
    // A quoted title closes right after its report words; words that go on (`…年度报告格式〉的通知》`)
    // are the name of another document.
    static CLOSED: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(》|如下|公布如下|予以公布|发布如下)"));
    if in_quotes && !CLOSED.is_match(&line[end_at..]) {
        return None;
    }
    // A page's button glued before the title (`打印本页某区…`) is no part of it; no body's name
    // begins with these words.
    static PAGE_BUTTONS: LazyLock<Regex> = LazyLock::new(|| {
        re(r"^(?:\s*(?:打印本页|打印此页|打印|关闭窗口|关闭本页|关闭|收藏本页|收藏|分享到|分享|返回顶部|返回))+")
    });
    // A number glued before the title is the field before it (`浏览次数：1523某区…`), unless it is
    // the title's year (`2023年某区…`).
    static FIELD_NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"^[\d\s.\-:：/]+"));
    let mut title = line[start..end_at].trim();
    title = &title[PAGE_BUTTONS.find(title).map_or(0, |b| b.end())..];
    if let Some(number) = FIELD_NUMBER.find(title) {
        let from = match YEAR_IN_TITLE.find(title) {
            Some(year) if year.start() < number.end() => year.start(),
            _ => number.end(),
        };
        title = title[from..].trim();
    }
    (title.chars().count() <= TITLE_MAX).then(|| (title.to_string(), in_quotes))
}

/// A short line that is only the name of a public body (`洪泽区人民政府`).
fn is_agency_line(line: &str) -> bool {
    static AGENCY: LazyLock<Regex> = LazyLock::new(|| {
        re(r"^[\p{Han}()]{2,30}(政府|办公室|办公厅|局|委员会|委|厅|办事处|街道|镇|乡|院|中心|部|办)$")
    });
    AGENCY.is_match(line.trim())
}

/// The publishing body as the title prints it: the title without its year and report words.
fn agency_from_title(title: &str) -> Option<String> {
    let without_year = YEAR_IN_TITLE.replace_all(title, "");
    let compact: String = without_year.chars().filter(|c| !c.is_whitespace()).collect();
    // Brackets the year stood in (`年度报告（2023年）`), or around the body's name (`【某镇】`).
    let compact = compact.trim_end_matches("（）").trim_end_matches("()");
    let agency = REPORT_WORDS.replace(compact, "");
    let agency = agency.trim_end_matches(['的', '关', '于']).trim_matches(['【', '】', '[', ']']).to_string();
    (!agency.is_empty()).then_some(agency)
}

/// The body that signs the report (`某县某镇人民政府` above the date in the closing lines): the
/// publisher where no title names it.
fn signed_by(text: &str) -> Option<String> {
    let closing: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).rev().take(4).collect();
    closing.into_iter().find(|l| is_agency_line(l)).map(str::to_string)
}

fn iso_date(y: &str, m: &str, d: &str) -> String {
    format!("{y}-{:0>2}-{:0>2}", m, d)
}

/// A date printed in the closing lines (the signature block `2024年1月16日`).
fn signature_date(text: &str) -> Option<String> {
    let tail: String = {
        let chars: Vec<char> = text.trim_end().chars().collect();
        chars[chars.len().saturating_sub(200)..].iter().collect()
    };
    CN_DATE.captures_iter(&tail).last().map(|c| iso_date(&c[1], &c[2], &c[3]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_title_agency_year_and_facts() {
        let text = "\n某县某镇 2023 年政府信息公开工作年度报告\n\n一、总体情况\n共发布各类信息 321 条，\
                    本年度没有产生信息公开处理费。全年共收到政府信息公开申请 4 件。\n\n某县某镇人民政府\n2024年2月3日\n";
        let m = extract(text);
        assert_eq!(m.title.as_deref(), Some("某县某镇 2023 年政府信息公开工作年度报告"));
        assert_eq!(m.agency.as_deref(), Some("某县某镇"));
        assert_eq!(m.year, Some(2023));
        assert_eq!(m.published_on.as_deref(), Some("2024-02-03"));
        assert_eq!(m.proactive_total, Some(321));
        assert!(!m.proactive_approx);
        assert_eq!(m.info_fee_yuan, Some(0.0));
        assert_eq!(m.narrative_applications, Some(4));
    }

    #[test]
    fn approximate_counts_split_titles_and_labelled_dates() {
        let text = "发布时间:2023-01-09 11:00\n2024 年某市某局政府信息公开工作\n年度报告\n主动公开政府信息180余条,收取信息处理费共计12.5元。";
        let m = extract(text);
        assert_eq!(m.title.as_deref(), Some("2024 年某市某局政府信息公开工作年度报告"));
        // The line that ends the title may go on with the body.
        let body_after =
            extract("正文\n 2024 年某市某局政府信息公开工作 \n 年度报告 根据《条例》的要求，编制本报告。\n");
        assert_eq!(body_after.title.as_deref(), Some("2024 年某市某局政府信息公开工作年度报告"));
        assert_eq!(m.agency.as_deref(), Some("某市某局"));
        assert_eq!(m.year, Some(2024));
        assert_eq!(m.published_on.as_deref(), Some("2023-01-09"));
        assert_eq!(m.proactive_total, Some(180));
        assert!(m.proactive_approx);
        assert_eq!(m.info_fee_yuan, Some(12.5));
    }

    #[test]
    fn sec2_facts_name_their_cell() {
        let facts = sec2_facts(
            "设立规范性文件库，集中公开现行有效行政规范性文件698件。全年共收到申请 14 件。对外公开规章15件、规范性文件40件。",
        );
        let got: Vec<(&str, &str, f64)> = facts.iter().map(|f| (f.row, f.col, f.value)).collect();
        assert!(got.contains(&("normative_docs", "in_force", 698.0)), "{got:?}");
        assert!(got.contains(&("rules", "total_public", 15.0)), "{got:?}");
        assert!(!got.iter().any(|f| f.2 == 14.0), "{got:?}");
    }

    #[test]
    fn documents_issued_may_be_listed_after_the_verb() {
        let facts = sec2_facts(
            "当年发布政府信息 393 件，其中包括：行政规范性文件 13 件；印发规章2件、部门规范性文件5件，废止规范性文件1件。清理后现行有效规章9件。",
        );
        let got: Vec<(&str, &str, f64)> = facts.iter().map(|f| (f.row, f.col, f.value)).collect();
        // 13 and 5 are both stated as issued normative documents: disputed, so neither counts.
        assert!(!got.iter().any(|f| f.0 == "normative_docs" && f.1 == "issued"), "{got:?}");
        assert!(got.contains(&("rules", "issued", 2.0)), "{got:?}");
        assert!(got.contains(&("rules", "in_force", 9.0)), "{got:?}");
        assert!(!got.iter().any(|f| f.1 == "issued" && (f.2 == 1.0 || f.2 == 9.0 || f.2 == 393.0)), "{got:?}");
        let facts = sec2_facts("当年发布政府信息 393 件，其中包括：行政规范性文件 13 件；规划计划文件 2 件。");
        assert!(facts.contains(&Fact { row: "normative_docs", col: "issued", value: 13.0 }), "{facts:?}");
    }

    #[test]
    fn titles_in_dumps_breadcrumbs_and_not_in_sentences() {
        let m = extract(
            "某县某镇2023年政府信息公开工作年度报告本年度报告根据《中华人民共和国政府信息公开条例》编制，全文包括总体情况、主动公开政府信息情况等六部分，数据统计期限为2023年1月1日至12月31日。",
        );
        assert_eq!(m.title.as_deref(), Some("某县某镇2023年政府信息公开工作年度报告"));
        let m = extract("本年度报告根据《条例》编制政府信息公开年度报告\n某市某局2022年政府信息公开工作年度报告\n");
        assert_eq!(m.title.as_deref(), Some("某市某局2022年政府信息公开工作年度报告"));
        let m = extract("当前位置：首页 > 政务公开 > 某区2021年政府信息公开工作年度报告\n正文");
        assert_eq!(m.title.as_deref(), Some("某区2021年政府信息公开工作年度报告"));
        // The site's column name in the breadcrumb is no title when the page prints one.
        for sep in ["\n", ""] {
            let text = format!(
                "首页 > 政务公开 > 政府信息公开年报{sep}发布时间：2024-01-15 10:32:07{sep}浏览次数：1523{sep}字号：[ 大 中 小 ]{sep}打印本页{sep}某区某镇2023年政府信息公开工作年度报告{sep}一、总体情况"
            );
            let m = extract(&text);
            assert_eq!(m.title.as_deref(), Some("某区某镇2023年政府信息公开工作年度报告"), "separator {sep:?}");
            assert_eq!(m.year, Some(2023));
        }
        assert_eq!(extract("首页 > 政务公开 > 政府信息公开年报\n正文").title.as_deref(), Some("政府信息公开年报"));
    }

    #[test]
    fn titles_cut_from_what_a_dump_glues_around_them() {
        // Body glued after the title, and a `>` later in the body (`《…贯彻<纲要>…》`).
        let m = extract(
            "2019年某市人民政府办公厅政府信息公开工作年度报告发布日期:2020-01-31本年度报告根据《条例》编制。《某市贯彻<某纲要>实施方案》等文件。",
        );
        assert_eq!(m.title.as_deref(), Some("2019年某市人民政府办公厅政府信息公开工作年度报告"));
        assert_eq!(m.agency.as_deref(), Some("某市人民政府办公厅"));
        // Page metadata before it, glued or set off by ideographic spaces.
        for sep in ["", "\u{3000}"] {
            let m = extract(&format!(
                "索引号:123{sep}所属机构:某县融媒体中心{sep}发布机构:{sep}某县某镇2022年政府信息公开工作年度报告{sep}信息来源:某县人民政府{sep}根据《条例》要求,现发布《某镇2022年政府信息公开工作年度报告》。"
            ));
            assert_eq!(m.title.as_deref(), Some("某县某镇2022年政府信息公开工作年度报告"), "separator {sep:?}");
        }
        // Only a sentence quoting the title: the quoted title; a sentence alone: none.
        let m = extract("正文\u{3000}2024 年某市科委政府信息公开工作\u{3000}年度报告\u{3000}根据《条例》的要求编制。");
        assert_eq!(m.agency.as_deref(), Some("某市科委"));
        // Cut at a fixed width: the title's first words on the line before; the body's quoted title says so.
        let m = extract(
            "发布机构: 某县柴\n家门镇2022年政府信息公开工作年度报告 信息来源:某县人民政府 现发布《柴家\n门镇2022年政府信息公开工作年度报告》。",
        );
        assert_eq!(m.title.as_deref(), Some("柴家门镇2022年政府信息公开工作年度报告"));
        let m = extract("根据《条例》要求,现发布《某镇2022年政府信息公开工作年度报告》。");
        assert_eq!(m.title.as_deref(), Some("某镇2022年政府信息公开工作年度报告"));
        assert_eq!(extract("本年度报告根据《条例》编制政府信息公开年度报告，全文包括六部分。").title, None);
    }

    #[test]
    fn year_after_the_report_words_body_below_or_in_brackets() {
        let m = extract("政府信息公开工作年度报告（2023年）\n某县某镇\n本年度报告根据《条例》编制。\n");
        assert_eq!(m.title.as_deref(), Some("某县某镇政府信息公开工作年度报告（2023年）"));
        assert_eq!(m.agency.as_deref(), Some("某县某镇"));
        assert_eq!(m.year, Some(2023));
        let m = extract("【某县某镇】2023年政府信息公开年报\n一、总体情况\n");
        assert_eq!(m.title.as_deref(), Some("【某县某镇】2023年政府信息公开年报"));
        assert_eq!(m.agency.as_deref(), Some("某县某镇"));
        assert_eq!(m.year, Some(2023));
        let m = extract("某县某镇政府信息公开工作年度报告\n（2023年度）\n");
        assert_eq!((m.agency.as_deref(), m.year), (Some("某县某镇"), Some(2023)));
        let m = extract("2023年度\n某县某镇政府信息公开工作年度报告\n");
        assert_eq!((m.agency.as_deref(), m.year), (Some("某县某镇"), Some(2023)));
        let m = extract("某县某镇\n2023年度政府信息公开\n工作年度报告\n");
        assert_eq!(m.title.as_deref(), Some("某县某镇2023年度政府信息公开工作年度报告"));
        let m = extract("某县某镇 2 0 2 3 年 政 府 信 息 公 开 工 作 年 度 报 告\n");
        assert_eq!((m.agency.as_deref(), m.year), (Some("某县某镇"), Some(2023)));
        let m = extract("某县某镇2023年度政务公开工作年度报告\n");
        assert_eq!((m.agency.as_deref(), m.year), (Some("某县某镇"), Some(2023)));
        let m = extract("根据有关要求，现将某县某镇 2023 年度政府信息公开工作报告如下。\n");
        assert_eq!(m.title.as_deref(), Some("某县某镇 2023 年度政府信息公开工作报告"));
        assert_eq!((m.agency.as_deref(), m.year), (Some("某县某镇"), Some(2023)));
        // No title at all: the body that signs it publishes it.
        let m = extract("一、总体情况\n本年度未收取信息处理费。\n某县某镇人民政府\n2024年1月16日\n");
        assert_eq!((m.title, m.agency.as_deref()), (None, Some("某县某镇人民政府")));
        // A quote that goes on past the report words names another document.
        let m = extract(
            "根据《国务院办公厅关于印发〈政府信息公开工作年度报告格式〉的通知》，现发布《某镇2023年政府信息公开工作年度报告》。",
        );
        assert_eq!(m.title.as_deref(), Some("某镇2023年政府信息公开工作年度报告"));
        // A page's field in brackets is still no part of the title.
        let m = extract("【发布机构：某县】某县某镇2023年政府信息公开工作年度报告\n");
        assert_eq!(m.agency.as_deref(), Some("某县某镇"));
    }

    #[test]
    fn agency_on_its_own_line_above_the_title() {
        let m = extract("某区人民政府\n2023年政府信息公开工作年度报告\n一、总体情况\n");
        assert_eq!(m.title.as_deref(), Some("某区人民政府2023年政府信息公开工作年度报告"));
        assert_eq!(m.agency.as_deref(), Some("某区人民政府"));
    }
}
