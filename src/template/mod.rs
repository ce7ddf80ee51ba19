//! The national templates as data. The label vocabulary: which printed row labels mean which SCHEMA.md row, per template. Kept as
//! data so every reader's grid is mapped by the same table.
//!
//! Labels are compared after [`normalize_label`] (no spaces, punctuation or enumerator marks), and a
//! pattern must match at the END of the label, so headings that a layout glued in front of a label
//! (`第二十条第（五）项信息内容…行政许可`) do not hide it, while a label that merely mentions a word
//! (`规章制度建设`) does not match.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::Template;

/// Sections holding statistical tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Sec2,
    Sec3,
}

pub struct RowSpec {
    pub section: Section,
    pub key: &'static str,
    pub cols: &'static [&'static str],
    /// The label as the national format prints it (the generator renders it; docs quote it).
    pub label: &'static str,
    /// Matches the END of a label cell (grids, where a cell is a whole label).
    pattern: &'static str,
    /// Finds the label inside running text with spaces and punctuation removed (token streams,
    /// where nothing says where a label starts or ends). No enumerator: that is read separately.
    stream: &'static str,
}

pub const SEC3_COLS: &[&str] = &[
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "public_welfare_org",
    "legal_service_org",
    "other_org",
    "total",
];
pub const SEC4_GROUPS: &[&str] = &["review", "litigation_direct", "litigation_after_review"];
pub const SEC4_COLS: &[&str] = &["upheld", "corrected", "other_result", "pending", "total"];

const DOCS_2021: &[&str] = &["issued", "repealed", "in_force"];
const DECISIONS: &[&str] = &["decisions"];
const DOCS_2019: &[&str] = &["made", "published", "total_public"];
const ITEMS_2019: &[&str] = &["prev_year_items", "change", "decisions"];

const fn spec(
    section: Section,
    key: &'static str,
    cols: &'static [&'static str],
    label: &'static str,
    pattern: &'static str,
    stream: &'static str,
) -> RowSpec {
    RowSpec { section, key, cols, label, pattern, stream }
}

use Section::{Sec2, Sec3};

static SEC2_2021: &[RowSpec] = &[
    spec(Sec2, "rules", DOCS_2021, "规章", "规章$", "规章"),
    spec(Sec2, "normative_docs", DOCS_2021, "行政规范性文件", "规范性文件$", "规范性文件"),
    spec(Sec2, "admin_license", DECISIONS, "行政许可", "行政许可$", "行政许可"),
    spec(Sec2, "admin_penalty", DECISIONS, "行政处罚", "行政处罚$", "行政处罚"),
    spec(Sec2, "admin_coercion", DECISIONS, "行政强制", "行政强制$", "行政强制"),
    spec(Sec2, "admin_fees", &["amount_wan_yuan"], "行政事业性收费", "事业性收费$", "事业性收费"),
];

static SEC2_2019: &[RowSpec] = &[
    spec(Sec2, "rules", DOCS_2019, "规章", "规章$", "规章"),
    spec(Sec2, "normative_docs", DOCS_2019, "规范性文件", "规范性文件$", "规范性文件"),
    spec(Sec2, "admin_license", ITEMS_2019, "行政许可", "行政许可$", "行政许可"),
    spec(
        Sec2,
        "other_admin_services",
        ITEMS_2019,
        "其他对外管理服务事项",
        "其他对外管理服务事项$",
        "其他对外管理服务事项",
    ),
    spec(Sec2, "admin_penalty", ITEMS_2019, "行政处罚", "行政处罚$", "行政处罚"),
    spec(Sec2, "admin_coercion", ITEMS_2019, "行政强制", "行政强制$", "行政强制"),
    spec(Sec2, "admin_fees", &["prev_year_items", "change"], "行政事业性收费", "事业性收费$", "事业性收费"),
    spec(Sec2, "central_procurement", &["items", "amount_yuan"], "政府集中采购", "集中采购$", "集中采购"),
];

/// sec3 rows shared by both templates, in table order; the three split 其他处理 rows are 2021-only
/// and `other_subtotal` is the merged row (2019, and 2021 reports that merge it).
static SEC3: &[RowSpec] = &[
    spec(
        Sec3,
        "new_received",
        SEC3_COLS,
        "一、本年新收政府信息公开申请数量",
        "新收.*申请数量?$",
        "新收\\p{Han}{0,10}?申请(数量)?",
    ),
    spec(
        Sec3,
        "carried_over",
        SEC3_COLS,
        "二、上年结转政府信息公开申请数量",
        "上年结转.*申请数量?$",
        "上年结转\\p{Han}{0,10}?申请(数量)?",
    ),
    spec(Sec3, "granted", SEC3_COLS, "（一）予以公开", "予以公开$", "予以公开"),
    spec(
        Sec3,
        "partially_granted",
        SEC3_COLS,
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        "部分公开(区分处理.*)?$",
        "部分公开(区分处理的?只计这一情形不计其他情形)?",
    ),
    spec(Sec3, "withheld_state_secret", SEC3_COLS, "1.属于国家秘密", "国家秘密$", "(属于)?国家秘密"),
    spec(
        Sec3,
        "withheld_law_prohibited",
        SEC3_COLS,
        "2.其他法律行政法规禁止公开",
        "法.*止公开$",
        "(其他)?法律\\p{Han}{0,6}?止公开",
    ),
    spec(
        Sec3,
        "withheld_security_stability",
        SEC3_COLS,
        "3.危及“三安全一稳定”",
        "(三安全一稳定|危及.*稳定)$",
        "(危及)?三安全一稳定",
    ),
    spec(Sec3, "withheld_third_party", SEC3_COLS, "4.保护第三方合法权益", "第三方合法权益$", "(保护)?第三方合法权益"),
    spec(
        Sec3,
        "withheld_internal_affairs",
        SEC3_COLS,
        "5.属于三类内部事务信息",
        "内部事务(信息)?$",
        "(属于)?三类内部事务(信息)?",
    ),
    spec(Sec3, "withheld_process_info", SEC3_COLS, "6.属于四类过程性信息", "过程性信息$", "(属于)?四类过程性信息"),
    spec(Sec3, "withheld_enforcement_file", SEC3_COLS, "7.属于行政执法案卷", "执法案卷$", "(属于)?行政执法案卷"),
    spec(Sec3, "withheld_admin_query", SEC3_COLS, "8.属于行政查询事项", "查询事项$", "(属于)?行政查询事项"),
    spec(
        Sec3,
        "unavailable_not_held",
        SEC3_COLS,
        "1.本机关不掌握相关政府信息",
        "不掌握.*信息$",
        "(本机关)?不掌握\\p{Han}{0,6}?信息",
    ),
    spec(
        Sec3,
        "unavailable_needs_creation",
        SEC3_COLS,
        "2.没有现成信息需要另行制作",
        "另行制作$",
        "(没有现成信息)?(需要)?另行制作",
    ),
    spec(
        Sec3,
        "unavailable_unclear",
        SEC3_COLS,
        "3.补正后申请内容仍不明确",
        "不明确$",
        "(补正后)?(申请)?内容仍?不明确",
    ),
    spec(Sec3, "rejected_petition", SEC3_COLS, "1.信访举报投诉类申请", "投诉类申请$", "(信访举报)?投诉类申请"),
    spec(Sec3, "rejected_duplicate", SEC3_COLS, "2.重复申请", "重复申请$", "重复申请"),
    spec(Sec3, "rejected_publication", SEC3_COLS, "3.要求提供公开出版物", "出版物$", "(要求提供)?公开出版物"),
    spec(Sec3, "rejected_excessive", SEC3_COLS, "4.无正当理由大量反复申请", "反复申请$", "(无正当理由)?大量反复申请"),
    spec(
        Sec3,
        "rejected_confirm_reissue",
        SEC3_COLS,
        "5.要求行政机关确认或重新出具已获取信息",
        "(已获取信息|重新出具.*)$",
        "(要求行政机关)?确认或重新出具(已获取信息)?",
    ),
    spec(
        Sec3,
        "other_no_correction",
        SEC3_COLS,
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "逾期不补正.*$",
        "(申请人)?无正当理由逾期不补正(行政机关不再处理其政府信息公开申请)?",
    ),
    spec(
        Sec3,
        "other_fee_unpaid",
        SEC3_COLS,
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "缴纳费用.*$",
        "(申请人)?逾期未按收费通知要求缴纳费用(行政机关不再处理其政府信息公开申请)?",
    ),
    spec(Sec3, "other_misc", SEC3_COLS, "3.其他", "^\\d?其他$", "其他"),
    spec(Sec3, "other_subtotal", SEC3_COLS, "（六）其他处理", "其他处理$", "其他处理"),
    spec(Sec3, "results_total", SEC3_COLS, "（七）总计", "^七?总计$", "总计"),
    spec(Sec3, "carried_forward", SEC3_COLS, "四、结转下年度继续办理", "结转下年度.*$", "结转下年度(继续办理)?"),
];

/// sec3 row keys each template prints, in order (`other_subtotal` stands in for the split rows where
/// a report merges them).
pub const SEC3_ROWS_2021: &[&str] = &[
    "new_received",
    "carried_over",
    "granted",
    "partially_granted",
    "withheld_state_secret",
    "withheld_law_prohibited",
    "withheld_security_stability",
    "withheld_third_party",
    "withheld_internal_affairs",
    "withheld_process_info",
    "withheld_enforcement_file",
    "withheld_admin_query",
    "unavailable_not_held",
    "unavailable_needs_creation",
    "unavailable_unclear",
    "rejected_petition",
    "rejected_duplicate",
    "rejected_publication",
    "rejected_excessive",
    "rejected_confirm_reissue",
    "other_no_correction",
    "other_fee_unpaid",
    "other_misc",
    "results_total",
    "carried_forward",
];
pub const SEC3_ROWS_2019: &[&str] = &[
    "new_received",
    "carried_over",
    "granted",
    "partially_granted",
    "withheld_state_secret",
    "withheld_law_prohibited",
    "withheld_security_stability",
    "withheld_third_party",
    "withheld_internal_affairs",
    "withheld_process_info",
    "withheld_enforcement_file",
    "withheld_admin_query",
    "unavailable_not_held",
    "unavailable_needs_creation",
    "unavailable_unclear",
    "rejected_petition",
    "rejected_duplicate",
    "rejected_publication",
    "rejected_excessive",
    "rejected_confirm_reissue",
    "other_subtotal",
    "results_total",
    "carried_forward",
];

/// The printed header of a column (SCHEMA.md §2).
pub fn col_label(col: &str) -> &'static str {
    match col {
        "issued" => "本年制发件数",
        "repealed" => "本年废止件数",
        "in_force" => "现行有效件数",
        "decisions" => "本年处理决定数量",
        "amount_wan_yuan" => "本年收费金额（单位：万元）",
        "made" => "本年新制作数量",
        "published" => "本年新公开数量",
        "total_public" => "对外公开总数量",
        "prev_year_items" => "上一年项目数量",
        "change" => "本年增/减",
        "items" => "采购项目数量",
        "amount_yuan" => "采购总金额",
        "natural_person" => "自然人",
        "commercial_enterprise" => "商业企业",
        "research_institution" => "科研机构",
        "public_welfare_org" => "社会公益组织",
        "legal_service_org" => "法律服务机构",
        "other_org" => "其他",
        "total" => "总计",
        "upheld" => "结果维持",
        "corrected" => "结果纠正",
        "other_result" => "其他结果",
        "pending" => "尚未审结",
        _ => "",
    }
}

/// The caption printed above a group of sec2 rows (the article of the regulation they report on).
pub fn sec2_caption(template: Template, row: &str) -> Option<&'static str> {
    match (template, row) {
        (_, "rules") => Some("第二十条第（一）项"),
        (_, "admin_license") => Some("第二十条第（五）项"),
        (_, "admin_penalty") => Some("第二十条第（六）项"),
        (_, "admin_fees") => Some("第二十条第（八）项"),
        (Template::Y2019, "central_procurement") => Some("第二十条第（九）项"),
        _ => None,
    }
}

/// The group heading printed before a sec3 row, where one opens there.
pub fn sec3_group(row: &str) -> Option<&'static str> {
    match row {
        "granted" => Some("三、本年度办理结果"),
        "withheld_state_secret" => Some("（三）不予公开"),
        "unavailable_not_held" => Some("（四）无法提供"),
        "rejected_petition" => Some("（五）不予处理"),
        "other_no_correction" => Some("（六）其他处理"),
        _ => None,
    }
}

/// The printed name of a sec4 group.
pub fn sec4_group_label(group: &str) -> &'static str {
    match group {
        "review" => "行政复议",
        "litigation_direct" => "未经复议直接起诉",
        "litigation_after_review" => "复议后起诉",
        _ => "",
    }
}

/// Words of the sec3 column header (申请人情况 … 总计), longest first.
pub fn sec3_header_words() -> Vec<&'static str> {
    let mut words: Vec<&'static str> = SEC3_COLS.iter().map(|c| col_label(c)).collect();
    words.extend(["申请人情况", "法人或其他组织"]);
    words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    words
}

/// Words of the sec4 header (行政复议 … 复议后起诉 … 结果维持 … 总计), and the halves a cell break
/// leaves of them (结果 / 维持), longest first.
pub fn sec4_header_words() -> Vec<&'static str> {
    let mut words: Vec<&'static str> = SEC4_GROUPS.iter().map(|g| sec4_group_label(g)).collect();
    words.push("行政诉讼");
    for col in SEC4_COLS {
        let label = col_label(col);
        words.push(label);
        if label.chars().count() == 4 {
            let mid = label.char_indices().nth(2).map_or(label.len(), |(i, _)| i);
            words.extend([&label[..mid], &label[mid..]]);
        }
    }
    words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    words.dedup();
    words
}

/// The sec3 rows a template prints, in order, with their specs.
pub fn sec3_specs(template: Template) -> Vec<&'static RowSpec> {
    let keys = match template {
        Template::Y2019 => SEC3_ROWS_2019,
        _ => SEC3_ROWS_2021,
    };
    keys.iter().map(|k| sec3_spec(k)).collect()
}

/// The enumerator a sec3 label opens with (`5` of `5.属于三类内部事务信息`), if any.
pub fn enumerator(spec: &RowSpec) -> Option<char> {
    let mut chars = spec.label.chars();
    let first = chars.next()?;
    (first.is_ascii_digit() && chars.next() == Some('.')).then_some(first)
}

impl RowSpec {
    /// The pattern that finds this label in compacted running text.
    pub fn stream_regex(&self) -> &'static Regex {
        STREAM
            .iter()
            .find(|(key, section, _)| *key == self.key && *section == self.section)
            .map(|(_, _, r)| r)
            .expect("stream pattern")
    }
}

static STREAM: LazyLock<Vec<(&'static str, Section, Regex)>> = LazyLock::new(|| {
    SEC2_2021
        .iter()
        .chain(SEC2_2019)
        .chain(SEC3)
        .map(|s| (s.key, s.section, Regex::new(s.stream).expect("stream pattern")))
        .collect()
});

/// The outcome rows that H2 adds up to `results_total`: everything between `granted` and the total.
pub fn is_outcome_row(key: &str) -> bool {
    !matches!(key, "new_received" | "carried_over" | "results_total" | "carried_forward")
}

struct Compiled {
    spec: &'static RowSpec,
    regex: Regex,
}

fn compile(specs: &'static [RowSpec]) -> Vec<Compiled> {
    specs.iter().map(|spec| Compiled { spec, regex: Regex::new(spec.pattern).expect("label pattern") }).collect()
}

static COMPILED_2021: LazyLock<Vec<Compiled>> = LazyLock::new(|| compile(SEC2_2021));
static COMPILED_2019: LazyLock<Vec<Compiled>> = LazyLock::new(|| compile(SEC2_2019));
static COMPILED_SEC3: LazyLock<Vec<Compiled>> = LazyLock::new(|| compile(SEC3));

/// The sec2 rows of a template, in order.
pub fn sec2_specs(template: Template) -> &'static [RowSpec] {
    match template {
        Template::Y2019 => SEC2_2019,
        _ => SEC2_2021,
    }
}

pub fn sec3_spec(key: &str) -> &'static RowSpec {
    SEC3.iter().find(|s| s.key == key).expect("known sec3 row")
}

/// The row a printed label means in `section`, if any.
pub fn match_label(label: &str, section: Section, template: Template) -> Option<&'static RowSpec> {
    let norm = normalize_label(label);
    if norm.is_empty() || norm.chars().count() > 80 {
        return None;
    }
    let table: &[Compiled] = match (section, template) {
        (Section::Sec3, _) => &COMPILED_SEC3,
        (Section::Sec2, Template::Y2019) => &COMPILED_2019,
        (Section::Sec2, _) => &COMPILED_2021,
    };
    table.iter().find(|c| c.regex.is_match(&norm)).map(|c| c.spec)
}

/// Whether a printed label that matches no pattern is `spec`'s label with one character wrong,
/// missing or added (`1.属于国年秘密`): the end of the normalised label is compared with the
/// template's printed label, which must be long enough for one edit to leave it unmistakable.
pub fn near_label(printed: &str, spec: &RowSpec) -> bool {
    let want: Vec<char> = normalize_label(spec.label).chars().collect();
    let got: Vec<char> = normalize_label(printed).chars().collect();
    if want.len() < 4 {
        return false;
    }
    (want.len().saturating_sub(1)..=want.len() + 1)
        .any(|n| n <= got.len() && edit_distance(&got[got.len() - n..], &want) <= 1)
}

/// The words of a label to compare a misprinted one against, without its enumerator: the whole
/// label and, for one with a note in brackets (`（二）部分公开（区分处理的，…）`), its words before
/// the note. Only forms of at least four characters, where one edit leaves the label unmistakable.
pub fn label_words(spec: &RowSpec) -> Vec<Vec<char>> {
    let whole = normalize_label(spec.label);
    let whole = whole.trim_start_matches(|c: char| c.is_ascii_digit()).to_string();
    let head = spec.label.rfind(['（', '(']).filter(|at| *at > 0).map(|at| &spec.label[..at]);
    let head = head.map(normalize_label).map(|h| h.trim_start_matches(|c: char| c.is_ascii_digit()).to_string());
    let mut forms: Vec<Vec<char>> = std::iter::once(whole).chain(head).map(|w| w.chars().collect()).collect();
    forms.retain(|w| w.len() >= 4);
    forms.dedup();
    forms
}

pub(crate) fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Strip what varies between printings of one label: spaces, punctuation, brackets and the
/// enumerators `一、` `(二)` `3.` at its start (digits elsewhere are kept).
pub fn normalize_label(label: &str) -> String {
    let kept: String =
        label.chars().filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation() && !is_cjk_punctuation(*c)).collect();
    let stripped = kept.trim_start_matches(['一', '二', '三', '四', '五', '六', '七', '八', '九', '十']);
    // A label that is nothing but a numeral word is left alone.
    if stripped.is_empty() { kept.clone() } else { stripped.to_string() }
}

fn is_cjk_punctuation(c: char) -> bool {
    matches!(
        c,
        '、' | '。'
            | '，'
            | '：'
            | '；'
            | '“'
            | '”'
            | '‘'
            | '’'
            | '《'
            | '》'
            | '〈'
            | '〉'
            | '【'
            | '】'
            | '（'
            | '）'
            | '…'
            | '—'
            | '·'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(label: &str, section: Section) -> Option<&'static str> {
        match_label(label, section, Template::Y2021).map(|s| s.key)
    }

    #[test]
    fn labels_match_by_meaning() {
        assert_eq!(key("行政规范性文件", Sec2), Some("normative_docs"));
        assert_eq!(key("规范性文件", Sec2), Some("normative_docs"));
        assert_eq!(key("第二十条第(五)项信息内容本年处理决定数量行政许可", Sec2), Some("admin_license"));
        assert_eq!(key("2.其他法律法规禁止公开", Sec3), Some("withheld_law_prohibited"));
        assert_eq!(key("2.其他法律行政法规禁止公开", Sec3), Some("withheld_law_prohibited"));
        assert_eq!(key("2.其他法律行政止公开", Sec3), Some("withheld_law_prohibited"));
        assert_eq!(key("1. 属于国家秘密", Sec3), Some("withheld_state_secret"));
        assert_eq!(key("(二) 部分公开(区分处理的, 只计这一情形, 不计其他情形)", Sec3), Some("partially_granted"));
        assert_eq!(key("3.其他", Sec3), Some("other_misc"));
        assert_eq!(key("(六)其他处理", Sec3), Some("other_subtotal"));
        assert_eq!(key("(七) 总计", Sec3), Some("results_total"));
        assert_eq!(key("七、总计", Sec3), Some("results_total"));
        assert_eq!(key("一、本年新收政府信息公开申请数量", Sec3), Some("new_received"));
        assert_eq!(key("四、结转下年度继续办理", Sec3), Some("carried_forward"));
        assert_eq!(key("4.无正当理由大量反复申请", Sec3), Some("rejected_excessive"));
        assert_eq!(key("2.重复申请", Sec3), Some("rejected_duplicate"));
    }

    #[test]
    fn one_wrong_character_is_near() {
        let spec = sec3_spec("withheld_state_secret");
        assert!(near_label("1.属于国年秘密", spec));
        assert!(near_label("(三)不予公开 1.属于国家密", spec));
        assert!(!near_label("1.属于过程性信息", spec));
        assert!(!near_label("其他", sec3_spec("other_misc")));
    }

    #[test]
    fn near_misses_do_not_match() {
        assert_eq!(key("其他", Sec2), None);
        assert_eq!(key("规章制度建设", Sec2), None);
        assert_eq!(key("1.本机关不掌握相关政", Sec3), None);
        assert_eq!(key("信息内容", Sec2), None);
        assert_eq!(key("总计", Sec2), None);
    }
}
