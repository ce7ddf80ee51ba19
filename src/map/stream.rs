//! Token stream → the three tables, driven by the template rather than by line breaks.
//!
//! 1. Every template label is looked up in the running text with spaces and punctuation removed
//!    (a label split over lines, or glued to numbers on both sides, is still one label).
//! 2. Among all places each label occurs, one order-preserving choice is made for the whole table
//!    (dynamic programming): labels close to each other and followed by values win over the same
//!    words in the narrative or in a repeated header.
//! 3. The values between one label and the next belong to that row; the assignment solver
//!    ([`super::assign`]) reads them into the template's cells, and the column identities decide
//!    between readings of rows that their own identity leaves open.

use std::sync::LazyLock;

use regex::Regex;

use super::assign::{self, ColKind, Costs, Item, Op, Reading, Rule, Solved};
use crate::check::ColumnIdentities;
use crate::model::{Cell, Table, TableRow, Template};
use crate::read::tokens::{Gap, Token, TokenKind};
use crate::template::{self, RowSpec, SEC3_COLS, SEC4_COLS, SEC4_GROUPS};

/// Marks a number or dash in the compacted text, so no label matches across one.
const VALUE_MARK: char = '\u{e000}';

/// The text of the tokens with whitespace and punctuation removed, each character pointing back to
/// its token.
struct Compact {
    text: String,
    /// Byte offset in `text` of each character, and the token it came from.
    chars: Vec<(usize, usize)>,
}

impl Compact {
    fn build(tokens: &[Token]) -> Self {
        let mut text = String::new();
        let mut chars = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            match t.kind {
                TokenKind::Text => {
                    for c in t.text.chars().filter(|c| c.is_alphanumeric()) {
                        chars.push((text.len(), i));
                        text.push(c);
                    }
                }
                TokenKind::Blank => {}
                _ => {
                    chars.push((text.len(), i));
                    text.push(VALUE_MARK);
                }
            }
        }
        Compact { text, chars }
    }

    /// The index of the character at byte offset `b`.
    fn char_at(&self, b: usize) -> usize {
        self.chars.partition_point(|(off, _)| *off < b)
    }

    fn token_of_char(&self, c: usize) -> usize {
        self.chars.get(c).map_or(usize::MAX, |(_, t)| *t)
    }
}

/// A place a label occurs: character span in the compact text.
#[derive(Debug, Clone, Copy)]
struct Hit {
    start: usize,
    end: usize,
    followed_by_value: bool,
    /// The label was printed around its row's values (wrapped in its cell: `一、本 0 0 … 年新收…`),
    /// which stand inside the span.
    wraps_values: bool,
}

/// The compact text with its value marks taken out, and for each character its compact index.
struct Unvalued {
    text: String,
    at: Vec<(usize, usize)>,
}

impl Unvalued {
    fn new(compact: &Compact) -> Self {
        let mut text = String::new();
        let mut at: Vec<(usize, usize)> = Vec::new();
        for (i, c) in compact.text.chars().enumerate() {
            if c != VALUE_MARK {
                at.push((text.len(), i));
                text.push(c);
            }
        }
        Unvalued { text, at }
    }
}

/// Where each template label occurs printed around values: the label's own words in the compact
/// text with the values taken out, kept only where values stood inside.
fn wrapped_hits(unvalued: &Unvalued, spec: &RowSpec) -> Vec<Hit> {
    let alnum = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).collect::<String>();
    // With its enumerator (`（二）` may be all that stands before the values) and, for the
    // Chinese-numeral enumerators (`一、`, `（二）`), without it; `1.` is matched as printed.
    let bare = spec.label.trim_start_matches(|c: char| !c.is_alphanumeric() || "一二三四五六七八九十".contains(c));
    let mut variants = vec![alnum(spec.label), alnum(bare)];
    variants.dedup();
    let Unvalued { text, at } = unvalued;
    let index = |byte: usize| at.partition_point(|(b, _)| *b < byte);
    let mut hits: Vec<Hit> = Vec::new();
    for words in variants.iter().filter(|w| w.chars().count() >= 4) {
        for (b, m) in text.match_indices(words.as_str()) {
            let (first, last) = (index(b), index(b + m.len()) - 1);
            let (start, end) = (at[first].1, at[last].1 + 1);
            let values_inside = end - start > last + 1 - first;
            if values_inside && !hits.iter().any(|h| h.start <= start && end <= h.end) {
                hits.push(Hit { start, end, followed_by_value: true, wraps_values: true });
            }
        }
    }
    hits
}

static SEC3_HEADER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("(?:{}){{4,}}", template::sec3_header_words().join("|"))).expect("header"));
static SEC4_START: LazyLock<Regex> = LazyLock::new(|| Regex::new("行政复议").expect("sec4"));
static SEC4_END: LazyLock<Regex> = LazyLock::new(|| Regex::new("主要问题|改进情况|其他需要报告的事项").expect("end"));

/// The row specs in printing order for a template; 2021 may print the merged 其他处理 row before
/// (or instead of) its three parts.
fn label_order(template: Template) -> Vec<&'static RowSpec> {
    let mut specs: Vec<&'static RowSpec> = template::sec2_specs(template).iter().collect();
    let sec3 = template::sec3_specs(template);
    for spec in sec3 {
        if template == Template::Y2021 && spec.key == "other_no_correction" {
            specs.push(template::sec3_spec("other_subtotal"));
        }
        specs.push(spec);
    }
    specs
}

/// The best score of a chain of label occurrences ending at one occurrence, and the occurrence
/// (label, occurrence) before it.
type ChainEnd = (f64, Option<(usize, usize)>);

/// The labels found and the support of the chain that found them, to compare label orders.
fn located_support(hits: &[Option<Hit>], score: f64) -> (usize, i64) {
    (hits.iter().filter(|h| h.is_some()).count(), score.round() as i64)
}

/// The label orders to try when the template's order misses sec2 labels: the blocks of sec2 (rows
/// sharing their columns, one sub-table each: 规章 and 规范性文件, the decisions, the fees) in every
/// other order. A page that sets the sub-tables side by side prints them out of order once its
/// tags are stripped.
fn sec2_block_orders(template: Template) -> Vec<Vec<&'static RowSpec>> {
    let specs = template::sec2_specs(template);
    let mut blocks: Vec<Vec<&'static RowSpec>> = Vec::new();
    for spec in specs {
        match blocks.last_mut() {
            Some(block) if std::ptr::eq(block[0].cols, spec.cols) => block.push(spec),
            _ => blocks.push(vec![spec]),
        }
    }
    let sec3: Vec<&'static RowSpec> = label_order(template).into_iter().skip(specs.len()).collect();
    let mut orders = Vec::new();
    permutations(&mut (0..blocks.len()).collect::<Vec<_>>(), 0, &mut |order| {
        if order.windows(2).any(|w| w[0] > w[1]) {
            let mut specs: Vec<&'static RowSpec> = order.iter().flat_map(|b| blocks[*b].iter().copied()).collect();
            specs.extend(&sec3);
            orders.push(specs);
        }
    });
    orders
}

fn permutations(items: &mut Vec<usize>, k: usize, visit: &mut impl FnMut(&[usize])) {
    if k == items.len() {
        visit(items);
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permutations(items, k + 1, visit);
        items.swap(k, i);
    }
}

/// Find every occurrence of every label, then choose one consistent, order-preserving set; with
/// the chain's score.
fn locate(compact: &Compact, specs: &[&'static RowSpec], wrapped: bool) -> (Vec<Option<Hit>>, f64) {
    let blocked: Vec<(usize, usize)> = SEC3_HEADER
        .find_iter(&compact.text)
        .filter(|m| {
            let (person, enterprise) =
                (template::col_label("natural_person"), template::col_label("commercial_enterprise"));
            m.as_str().contains(person) || m.as_str().contains(enterprise)
        })
        .map(|m| (compact.char_at(m.start()), compact.char_at(m.end())))
        .collect();
    let value_after = |end: usize| {
        compact.text[compact.chars.get(end).map_or(compact.text.len(), |c| c.0)..]
            .chars()
            .take(24)
            .any(|c| c == VALUE_MARK)
    };
    let unvalued = wrapped.then(|| Unvalued::new(compact));
    let hits: Vec<Vec<Hit>> = specs
        .iter()
        .map(|spec| {
            spec.stream_regex()
                .find_iter(&compact.text)
                .map(|m| (compact.char_at(m.start()), compact.char_at(m.end())))
                .filter(|(s, e)| !blocked.iter().any(|(bs, be)| s < be && e > bs))
                .map(|(start, end)| Hit { start, end, followed_by_value: value_after(end), wraps_values: false })
                .chain(unvalued.as_ref().map(|u| wrapped_hits(u, spec)).unwrap_or_default())
                .collect()
        })
        .collect();
    // best[j][o]: best score of a chain ending with label j at its occurrence o.
    let gain = |h: &Hit| 10.0 + if h.followed_by_value { 4.0 } else { 0.0 };
    let mut best: Vec<Vec<ChainEnd>> = Vec::with_capacity(specs.len());
    for j in 0..specs.len() {
        let mut row = Vec::with_capacity(hits[j].len());
        for h in &hits[j] {
            let mut score = gain(h);
            let mut from = None;
            for (pj, prev) in best.iter().enumerate() {
                for (po, (ps, _)) in prev.iter().enumerate() {
                    let ph = &hits[pj][po];
                    if ph.end <= h.start {
                        let s = ps + gain(h) - (h.start - ph.end) as f64 / 40.0;
                        if s > score {
                            score = s;
                            from = Some((pj, po));
                        }
                    }
                }
            }
            row.push((score, from));
        }
        best.push(row);
    }
    let mut end: Option<(usize, usize)> = None;
    let mut top = f64::MIN;
    for (j, row) in best.iter().enumerate() {
        for (o, (s, _)) in row.iter().enumerate() {
            if *s > top {
                top = *s;
                end = Some((j, o));
            }
        }
    }
    let mut chosen = vec![None; specs.len()];
    while let Some((j, o)) = end {
        chosen[j] = Some(hits[j][o]);
        end = best[j][o].1;
    }
    (chosen, top)
}

/// How far from a found neighbour a misprinted label is looked for, in compact characters.
const MISPRINT_REACH: usize = 300;

/// Labels not found whose words stand, one character wrong, missing or added, between the labels
/// found around them (`行政规范文件`, `5.属于三类内部事物信息`) and are followed by values: the
/// template's order says which row they are. A form found twice in that stretch is left alone.
/// Returns the rows taken so, with the words as printed.
fn recover_misprinted_labels(
    compact: &Compact,
    specs: &[&'static RowSpec],
    hits: &mut [Option<Hit>],
) -> Vec<(usize, String)> {
    let chars: Vec<char> = compact.text.chars().collect();
    let mut recovered = Vec::new();
    for j in 0..specs.len() {
        if hits[j].is_some() || specs[j].key == "other_subtotal" {
            continue;
        }
        let prev_end = hits[..j].iter().rev().find_map(|h| h.map(|h| h.end));
        let next_start = hits[j + 1..].iter().find_map(|h| h.map(|h| h.start));
        let (from, to) = match (prev_end, next_start) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => (a, (a + MISPRINT_REACH).min(chars.len())),
            (None, Some(b)) => (b.saturating_sub(MISPRINT_REACH), b),
            (None, None) => continue,
        };
        if from >= to {
            continue;
        }
        let mut places: Vec<(usize, usize, usize)> = Vec::new();
        for form in template::label_words(specs[j]) {
            for len in form.len() - 1..=form.len() + 1 {
                for start in from..to.saturating_sub(len) + 1 {
                    let span = &chars[start..start + len];
                    if span.contains(&VALUE_MARK) {
                        continue;
                    }
                    let distance = template::edit_distance(span, &form);
                    if distance <= 1 && chars[start + len..to.min(start + len + 24)].contains(&VALUE_MARK) {
                        places.push((distance, start, start + len));
                    }
                }
            }
        }
        let Some(best) = places.iter().map(|p| p.0).min() else { continue };
        // One place, however many spans match there (their union is the label); two apart are
        // two candidates and neither is sure.
        let best: Vec<(usize, usize)> = places.iter().filter(|p| p.0 == best).map(|p| (p.1, p.2)).collect();
        let start = best.iter().map(|p| p.0).min().unwrap_or(from);
        let first_end = best.iter().filter(|p| p.0 == start).map(|p| p.1).max().unwrap_or(start);
        if best.iter().any(|p| p.0 >= first_end) {
            continue;
        }
        let end = best.iter().map(|p| p.1).max().unwrap_or(first_end);
        hits[j] = Some(Hit { start, end, followed_by_value: true, wraps_values: false });
        recovered.push((j, chars[start..end].iter().collect()));
    }
    recovered
}

/// The printed values between two token positions, in groups separated by text.
fn value_groups(tokens: &[Token]) -> Vec<Vec<Item>> {
    let mut groups: Vec<Vec<Item>> = Vec::new();
    let mut current: Vec<Item> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            TokenKind::Number => {
                let next = tokens.get(i + 1);
                let prev = i.checked_sub(1).map(|p| &tokens[p]);
                // `2023年`, `第3`: a number that is part of a date or an ordinal is text.
                let date_like = next.is_some_and(|n| {
                    n.gap == Gap::None
                        && n.kind == TokenKind::Text
                        && n.text.starts_with(['年', '月', '日', '号', '时', '页', '%'])
                });
                let ordinal = t.gap == Gap::None
                    && prev.is_some_and(|p| p.kind == TokenKind::Text && p.text.ends_with(['第', '共', '约']));
                if date_like || ordinal {
                    close(&mut current, &mut groups);
                } else {
                    current.push(Item::number(&t.digits(), t.gap));
                }
            }
            TokenKind::Dash | TokenKind::Blank => current.push(Item { text: t.text.clone(), gap: t.gap, dash: true }),
            TokenKind::Text => {
                let unit = matches!(t.text.as_str(), "件" | "条" | "个" | "项" | "次" | "元" | "万元");
                if !unit && t.text.chars().any(char::is_alphanumeric) {
                    close(&mut current, &mut groups);
                }
            }
        }
    }
    close(&mut current, &mut groups);
    groups
}

/// Close a group; one of empty cells only (a header's merged cells) is no row's values.
fn close(current: &mut Vec<Item>, groups: &mut Vec<Vec<Item>>) {
    if current.iter().any(|i| !i.text.is_empty()) {
        groups.push(std::mem::take(current));
    }
    current.clear();
}

/// The tables read from a token stream, before the report is assembled.
#[derive(Debug, Default)]
pub struct StreamTables {
    pub sec2: Table,
    pub sec3: Table,
    pub sec4: Table,
    pub warnings: Vec<String>,
    /// Cells whose value the layout left uncertain (set to no value, printed digits kept).
    pub uncertain: usize,
    /// Cells placed by inference (cut, joined, expanded, or placed by order) rather than as printed.
    pub inferred: usize,
    /// Labels of the template found in the text.
    pub labels_found: usize,
    /// Some value of the tables is glued to its label, or prints a leading zero: this text may
    /// drop the separator between two values (`10` printed for 1 and 0).
    pub values_may_glue: bool,
    /// Each row's values stand before its label (the identities supported that reading better):
    /// a reading of rows, which gives a label the values after it, is shifted by one row.
    pub values_first: bool,
}

/// Short rows (fewer values than cells) printing two equal non-zero values side by side that show a
/// report does not collapse runs of equal cells: a collapsing crawler never prints `18 18`, except
/// where two rows' values ran together (mostly rows of zeros, `0` `0`, which are not counted). Below this, a short row may be a collapsed run; from it on, a
/// short row lost its cells some other way (blank cells a dump dropped) and is never expanded.
/// (Full rows say nothing: a crawler may print a row whole when collapsing would lose it.)
pub(crate) const COLLAPSE_EVIDENCE: usize = 2;

pub(crate) fn is_zero(value: &str) -> bool {
    value.parse::<f64>().is_ok_and(|v| v == 0.0)
}

/// A row whose first value is glued to its label (`规章000`) lost its separators: cutting its digits
/// comes first, whatever the rest of the document looks like.
fn row_costs(items: &[Item], cells: usize, doc: Costs) -> Costs {
    let mut costs = match items.first() {
        Some(first) if first.gap == Gap::None && items.len() < cells => Costs::GLUED,
        _ => doc,
    };
    if doc.expand > doc.max {
        costs.expand = costs.max + 1;
    }
    costs
}

/// Whether the report may print a run of equal adjacent cells once (see [`COLLAPSE_EVIDENCE`]).
fn runs_may_be_collapsed(printed: &[Option<Vec<Item>>], specs: &[&'static RowSpec]) -> bool {
    let pairs = printed
        .iter()
        .zip(specs)
        .filter_map(|(items, spec)| items.as_ref().map(|items| (items, spec.cols.len())))
        .filter(|(items, cells)| {
            items.len() < *cells
                && items.windows(2).any(|w| !w[0].dash && !w[1].dash && w[0].text == w[1].text && !is_zero(&w[0].text))
        })
        .count();
    pairs < COLLAPSE_EVIDENCE
}

fn col_kind(col: &str) -> ColKind {
    match col {
        "amount_wan_yuan" | "amount_yuan" => ColKind::Money,
        "change" => ColKind::Signed,
        _ => ColKind::Count,
    }
}

/// Glued layouts (numbers run straight into labels) make cutting a run cheap; elsewhere cutting is
/// the last resort and joining or expanding comes first.
fn costs_for(tokens: &[Token], glued: usize) -> Costs {
    let numbers = tokens.iter().filter(|t| t.kind == TokenKind::Number).count();
    if numbers > 0 && glued * 2 > numbers { Costs::GLUED } else { Costs::SPACED }
}

/// Numbers printed right after a Chinese label with nothing between (`规章000`).
fn glued_to_labels(tokens: &[Token]) -> usize {
    tokens
        .windows(2)
        .filter(|w| {
            w[1].kind == TokenKind::Number && w[1].gap == Gap::None && w[0].kind == TokenKind::Text && {
                let last = w[0].text.chars().last().unwrap_or(' ');
                ('\u{4e00}'..='\u{9fff}').contains(&last)
            }
        })
        .count()
}

/// Why a row short of values printed apart is left undecided unless its identity vouches for a cut.
const CUT_OR_BLANK: &str = "fewer values than cells, printed apart, and no identity says whether a number's digits \
     ran together or blank cells were not printed; cells left without a value";

/// Read the tables of a report from its token stream.
pub fn read_tables(tokens: &[Token], template: Template, narrative: &[super::meta::Fact]) -> StreamTables {
    let mut out = StreamTables::default();
    let compact = Compact::build(tokens);
    let mut specs = label_order(template);
    let (mut hits, score) = locate(&compact, &specs, false);
    let mut support = located_support(&hits, score);
    let sec2_rows = template::sec2_specs(template).len();
    if hits[..sec2_rows].iter().any(Option::is_none) {
        for order in sec2_block_orders(template) {
            let (other, score) = locate(&compact, &order, false);
            if located_support(&other, score) > support {
                support = located_support(&other, score);
                (specs, hits) = (order, other);
            }
        }
    }
    // Labels not found may have been printed around their values (a long label wrapped in its cell).
    if hits.iter().zip(&specs).any(|(h, s)| h.is_none() && s.key != "other_subtotal") {
        let (other, score) = locate(&compact, &specs, true);
        if located_support(&other, score) > support {
            hits = other;
        }
    }
    for (j, printed) in recover_misprinted_labels(&compact, &specs, &mut hits) {
        let section = if specs[j].section == template::Section::Sec2 { "sec2" } else { "sec3" };
        out.warnings.push(format!(
            "{section}.{}: label printed as {printed:?}, one character off the template's; taken for that row",
            specs[j].key
        ));
    }
    out.labels_found = hits.iter().filter(|h| h.is_some()).count();

    // Region of each found label: from the token after its end to the token where the next found
    // label starts; the last sec3 label's region ends where sec4 starts.
    let found: Vec<(usize, Hit)> = hits.iter().enumerate().filter_map(|(j, h)| h.map(|h| (j, h))).collect();
    let last_end_char = found.last().map(|(_, h)| h.end).unwrap_or(0);
    let sec4_start_char = SEC4_START
        .find_at(&compact.text, compact.chars.get(last_end_char).map_or(compact.text.len(), |c| c.0))
        .map(|m| compact.char_at(m.end()));
    // The layout style is judged on the tables alone: narrative numbers are usually spaced.
    let table_from = found.first().map_or(0, |(_, h)| compact.token_of_char(h.start));
    let table_to =
        sec4_start_char.map_or(tokens.len(), |c| compact.token_of_char(c.saturating_sub(1))).min(tokens.len());
    let table_tokens = &tokens[table_from.min(table_to)..table_to];
    let glued = glued_to_labels(table_tokens);
    let costs = costs_for(table_tokens, glued);
    // `00` printed in a table is two cells run together, as surely as `规章000`.
    out.values_may_glue =
        glued > 0 || table_tokens.iter().any(|t| t.kind == TokenKind::Number && assign::has_leading_zero(&t.text));
    let region_end_token = |k: usize| -> usize {
        match found.get(k + 1) {
            Some((_, next)) => compact.token_of_char(next.start),
            None => sec4_start_char.map_or(tokens.len(), |c| compact.token_of_char(c.saturating_sub(1))),
        }
    };
    let mut printed: Vec<Option<Vec<Item>>> = vec![None; specs.len()];
    // The text printed between a label and the one before it: table headers, for sec2's columns.
    let mut before: Vec<String> = vec![String::new(); specs.len()];
    for (k, (j, hit)) in found.iter().enumerate() {
        let prev_end = k.checked_sub(1).map_or(0, |p| found[p].1.end);
        let (a, b) = (
            compact.chars.get(prev_end).map_or(compact.text.len(), |c| c.0),
            compact.chars.get(hit.start).map_or(compact.text.len(), |c| c.0),
        );
        before[*j] = compact.text[a.min(b)..b].to_string();
        let from = compact.token_of_char(hit.end - 1) + 1;
        let to = region_end_token(k).max(from).min(tokens.len());
        let mut groups = value_groups(&tokens[from..to]).into_iter();
        printed[*j] = if hit.wraps_values {
            let inside = compact.token_of_char(hit.start)..from.min(tokens.len());
            value_groups(&tokens[inside]).into_iter().next()
        } else {
            groups.next()
        };
        // Rows whose label was not found (a typo), between this one and the next found: their values
        // follow in order, one group each, when the counts agree.
        let next_j = found.get(k + 1).map_or(specs.len(), |(nj, _)| *nj);
        let skipped: Vec<usize> = (j + 1..next_j).filter(|s| specs[*s].section == template::Section::Sec3).collect();
        let rest: Vec<Vec<Item>> = groups.collect();
        if !skipped.is_empty() && rest.len() == skipped.len() {
            for (s, g) in skipped.iter().zip(rest) {
                out.warnings.push(format!(
                    "sec3.{}: label not found; values placed by the template's row order",
                    specs[*s].key
                ));
                out.inferred += g.len();
                printed[*s] = Some(g);
            }
        }
    }

    let first = values_printed_first(tokens, &compact, &found, &printed, &specs);
    let fresh =
        StreamTables { labels_found: out.labels_found, values_may_glue: out.values_may_glue, ..Default::default() };
    // Sharing out a row's surplus of values presumes each label's values follow it: not in a reading
    // against the layout's signs of values printed first.
    let assemble = |mut printed: Vec<Option<Vec<Item>>>, mut out: StreamTables, spill: bool| {
        if spill {
            spill_into_empty_rows(&specs, template, costs, &mut printed, &mut out);
        }
        let costs =
            if runs_may_be_collapsed(&printed, &specs) { costs } else { Costs { expand: costs.max + 1, ..costs } };
        out.sec2 = build_sec2(&specs, &printed, &before, template, narrative, costs, &mut out);
        out.sec3 = build_sec3(&specs, &printed, template, costs, &mut out);
        if let Some(start) = sec4_start_char {
            out.sec4 = build_sec4(tokens, &compact, start, costs, &mut out);
        }
        out
    };
    let after = assemble(printed, out, first.is_none());
    if let Some(first) = first {
        let mut before_labels = assemble(first, fresh, true);
        let score = |t: &StreamTables| super::reading_score(&t.sec2, &t.sec3, &t.sec4, t.uncertain);
        if score(&before_labels) > score(&after) {
            before_labels.warnings.push(
                "tables: each row's values are printed before its label; read so, as the identities support".into(),
            );
            before_labels.values_first = true;
            return before_labels;
        }
    }
    after
}

/// Each label's values read from just before it, when the layout may print a row's values first
/// (some text extractions order a row so): the last sec3 label found has no values after it, and a
/// value stands right before it. `None` when the layout shows no sign of that.
fn values_printed_first(
    tokens: &[Token],
    compact: &Compact,
    found: &[(usize, Hit)],
    printed: &[Option<Vec<Item>>],
    specs: &[&'static RowSpec],
) -> Option<Vec<Option<Vec<Item>>>> {
    let value_before = |hit: &Hit| {
        let at = compact.token_of_char(hit.start);
        at.checked_sub(1).and_then(|i| tokens.get(i)).is_some_and(|t| t.kind != TokenKind::Text)
    };
    let (last_j, last_hit) = found.iter().rev().find(|(j, _)| specs[*j].section == template::Section::Sec3)?;
    if printed[*last_j].is_some() || !value_before(last_hit) {
        return None;
    }
    let mut first: Vec<Option<Vec<Item>>> = vec![None; specs.len()];
    // A sec2 table may print its rows label first while the others print values first (a page
    // whose item tables are prose lines): a table whose header (`信息内容…`) stands right before its
    // first label, with no values between, is read label first, row by row as printed.
    let mut label_first_table = false;
    for (k, (j, hit)) in found.iter().enumerate() {
        let start = compact.token_of_char(hit.start).min(tokens.len());
        let mut from = k.checked_sub(1).map_or(0, |p| compact.token_of_char(found[p].1.end - 1) + 1).min(start);
        let header = tokens[from..start]
            .iter()
            .rposition(|t| t.kind == TokenKind::Text && (t.text.contains("信息内容") || t.text.contains("第二十条")));
        if let Some(h) = header {
            from += h + 1;
            label_first_table =
                specs[*j].section == template::Section::Sec2 && value_groups(&tokens[from..start]).is_empty();
        } else if specs[*j].section != template::Section::Sec2 {
            label_first_table = false;
        }
        if label_first_table {
            first[*j] = printed[*j].clone();
            continue;
        }
        // Between two labels there is no other row's label; a group heading (`（三）不予公开`) may
        // stand between a row's values and its label. Before the first label, only values right
        // before it are its own.
        let group = if k > 0 || value_before(hit) { value_groups(&tokens[from..start]).pop() } else { None };
        match group {
            Some(group) => first[*j] = Some(group),
            // Labels with nothing between them (`（六）其他处理 1.申请人无正当理由…`): the values
            // before the first are the row's, whose label is the last.
            None => {
                if let Some((p, _)) = k.checked_sub(1).map(|p| found[p]) {
                    first[*j] = first[p].take();
                }
            }
        }
    }
    Some(first)
}

/// A sec3 row that printed several rows' values, beside rows in the template whose labels printed
/// none: a page that set merged label cells beside the numbers prints the labels apart from their
/// values once its tags are stripped (`予以公开 9 0 0 0 0 0 9 0 0 0 0 0 0 0 （二）部分公开`), and a
/// PDF whose long labels wrapped prints several labels, then their rows of values. The values are
/// shared out in the template's row order only when every row's worth adds up as printed and the
/// rows without values beside it make one window of the right size.
fn spill_into_empty_rows(
    specs: &[&'static RowSpec],
    template: Template,
    costs: Costs,
    printed: &mut [Option<Vec<Item>>],
    out: &mut StreamTables,
) {
    let n = SEC3_COLS.len();
    let kinds = [ColKind::Count; 7];
    let rows_of_template: Vec<&str> = template::sec3_specs(template).iter().map(|s| s.key).collect();
    for j in 0..specs.len() {
        let Some(items) = printed[j].as_ref().filter(|_| specs[j].section == template::Section::Sec3) else {
            continue;
        };
        let alone = assign::solve(items, &kinds, Rule::SumLast, row_costs(items, n, costs));
        if !alone.candidates.is_empty() && !alone.broken {
            continue;
        }
        // The rows beside it in the template's order: this template's sec3 rows, not the merged
        // 其他处理 row, which stands for the split rows (unless it is the row that printed).
        let order: Vec<usize> = (0..specs.len())
            .filter(|&r| {
                r == j
                    || specs[r].section == template::Section::Sec3
                        && specs[r].key != "other_subtotal"
                        && rows_of_template.contains(&specs[r].key)
            })
            .collect();
        let at = order.iter().position(|&r| r == j).expect("the row itself");
        let window = |k: usize| -> Option<Vec<usize>> {
            let windows: Vec<&[usize]> = (at.saturating_sub(k - 1)..=at)
                .filter_map(|from| order.get(from..from + k))
                .filter(|rows| rows.iter().all(|&r| r == j || printed[r].is_none()))
                .collect();
            match windows[..] {
                [rows] => Some(rows.to_vec()),
                _ => None,
            }
        };
        let Some((rows, chunks, cut)) = shared_out(items, n, costs, window) else { continue };
        let k = rows.len();
        let others: Vec<String> = rows.iter().filter(|r| **r != j).map(|r| format!("sec3.{}", specs[*r].key)).collect();
        out.warnings.push(format!(
            "{}: their labels printed no values, and sec3.{} printed {k} rows' worth that each add up{}; shared out in the template's row order",
            others.join(", "),
            specs[j].key,
            if cut { " once its digits are cut" } else { "" }
        ));
        out.inferred += n * if cut { k } else { k - 1 };
        for (r, chunk) in rows.into_iter().zip(chunks) {
            printed[r] = Some(chunk);
        }
    }
}

/// How a row's printed values read as `k` rows of `n` cells each adding up, for the one `k` whose
/// window of valueless rows exists: the rows, their values, and whether digit runs were cut. Values
/// printed apart are taken as printed; glued runs are cut only where one cut fits every row.
fn shared_out(
    items: &[Item],
    n: usize,
    costs: Costs,
    window: impl Fn(usize) -> Option<Vec<usize>>,
) -> Option<(Vec<usize>, Vec<Vec<Item>>, bool)> {
    let adds_up = |chunk: &[Item]| {
        chunk.len() == n && chunk.iter().all(|i| !i.dash) && {
            let values: Vec<Option<f64>> = chunk.iter().map(|i| i.text.parse::<f64>().ok()).collect();
            assign::satisfies(&values, Rule::SumLast) == Some(true)
        }
    };
    if items.len().is_multiple_of(n) && items.len() >= 2 * n {
        let rows = window(items.len() / n)?;
        return items.chunks(n).all(adds_up).then(|| (rows, items.chunks(n).map(<[Item]>::to_vec).collect(), false));
    }
    if items.iter().all(|i| i.gap != Gap::None) {
        return None;
    }
    let mut readings = Vec::new();
    for k in 2..=3 {
        let Some(rows) = window(k) else { continue };
        let kinds = vec![ColKind::Count; k * n];
        let solved = assign::solve(items, &kinds, Rule::Groups(n), row_costs(items, k * n, costs));
        if solved.exhausted || solved.broken || solved.candidates.is_empty() {
            continue;
        }
        if solved.candidates.len() > 1 {
            return None;
        }
        readings.push((rows, solved.candidates[0].cells.clone()));
    }
    let [(rows, cells)] = &readings[..] else { return None };
    let chunks = cells.chunks(n).map(|c| c.iter().map(|v| Item::number(v, Gap::Space)).collect()).collect();
    Some((rows.clone(), chunks, true))
}

fn describe(ops: &[Op]) -> String {
    let parts: Vec<String> = ops
        .iter()
        .map(|op| match op {
            Op::Split { run, .. } => format!("cut the printed digits {run}"),
            Op::Join(a, b) => format!("joined {a} and {b} broken over a line"),
            Op::Expand(v, n) => format!("{v} printed once for {n} equal cells"),
        })
        .collect();
    parts.join("; ")
}

fn printed_text(items: &[Item]) -> String {
    items.iter().map(|i| i.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// The cells of one row from its solved readings: certain cells as read; where readings disagree,
/// no value, the printed text kept.
fn row_cells(
    key: &str,
    cols: &[&'static str],
    items: &[Item],
    chosen: Option<&Reading>,
    alternatives: &[&Reading],
    out: &mut StreamTables,
) -> Vec<(&'static str, Cell)> {
    let Some(reading) = chosen else {
        let raw = printed_text(items);
        out.uncertain += cols.len();
        return cols.iter().map(|c| (*c, Cell::undecided(raw.clone()))).collect();
    };
    if !reading.ops.is_empty() {
        // No identity binds a sec2 row: a run printed once there is the layout's likeliest reading
        // (a crawler collapsing a row of zeros), not a certain one, since text also drops blanks.
        let unbound = key.starts_with("sec2.") && reading.ops.iter().any(|op| matches!(op, Op::Expand(..)));
        if unbound {
            out.warnings.push(format!("{key}: ambiguous: {}, or blank cells not printed", describe(&reading.ops)));
            out.uncertain += 1;
        } else {
            out.warnings.push(format!("{key}: {}", describe(&reading.ops)));
        }
        out.inferred += cols.len();
    }
    // Readings that disagree on how runs were printed once disagree on where every value sits (a
    // blank cell not printed is read as a run too), so none of their cells is certain.
    let expansions_disagree =
        alternatives.len() > 1 && alternatives.iter().any(|alt| alt.ops.iter().any(|op| matches!(op, Op::Expand(..))));
    cols.iter()
        .enumerate()
        .map(|(i, col)| {
            let text = &reading.cells[i];
            let agreed = !expansions_disagree
                && alternatives.iter().all(|alt| Cell::parse(&alt.cells[i]).value == Cell::parse(text).value);
            if agreed {
                (*col, Cell::parse(text))
            } else {
                out.uncertain += 1;
                (*col, Cell::undecided(printed_text(items)))
            }
        })
        .collect()
}

fn build_sec2(
    specs: &[&'static RowSpec],
    printed: &[Option<Vec<Item>>],
    before: &[String],
    template: Template,
    narrative: &[super::meta::Fact],
    costs: Costs,
    out: &mut StreamTables,
) -> Table {
    let mut table = Table::default();
    // Some 2019 reports print the item tables without 上一年项目数量: their rows have one cell less.
    let mut prev_year_printed = true;
    for spec in template::sec2_specs(template) {
        let key = format!("sec2.{}", spec.key);
        let j = specs.iter().position(|s| std::ptr::eq(*s, spec));
        if let Some(header) = j.map(|j| &before[j])
            && (header.contains("信息内容") || header.contains("第二十条"))
        {
            prev_year_printed = header.contains("上一年项目数量") || !header.contains("增减");
        }
        let Some(items) = j.and_then(|j| printed[j].clone()) else {
            let cells = spec.cols.iter().map(|c| (*c, Cell::missing())).collect();
            table.rows.push(TableRow { key: spec.key, cells });
            continue;
        };
        let printed_cols: Vec<&'static str> =
            spec.cols.iter().copied().filter(|c| prev_year_printed || *c != "prev_year_items").collect();
        let row = sec2_row(&key, &printed_cols, &items, narrative, costs, out);
        let cells = spec
            .cols
            .iter()
            .map(|c| (*c, row.iter().find(|(k, _)| k == c).map_or_else(Cell::missing, |(_, cell)| cell.clone())))
            .collect();
        table.rows.push(TableRow { key: spec.key, cells });
    }
    table
}

/// One sec2 row read into the columns the report printed.
fn sec2_row(
    key: &str,
    cols: &[&'static str],
    items: &[Item],
    narrative: &[super::meta::Fact],
    costs: Costs,
    out: &mut StreamTables,
) -> Vec<(&'static str, Cell)> {
    // Where values may run together, a value of several digits may be several cells.
    let digits: usize = items.iter().map(|i| i.text.len()).sum();
    let leading_zero = items.iter().any(|i| assign::has_leading_zero(&i.text));
    let split_could_fill = out.values_may_glue && digits >= cols.len() && !leading_zero;
    // Values that only a sign sets apart (`行政许可284-50`) ran together: one run for the solver,
    // whose signed column says where the sign may stand.
    let one_run = items.iter().skip(1).all(|i| i.gap == Gap::None && !i.dash);
    if items.len() < cols.len() && items.len() > 1 && split_could_fill && !one_run {
        out.warnings.push(format!(
            "{key}: {} of {} cells printed ({}) where values may run together; placement uncertain, cells left without a value",
            items.len(),
            cols.len(),
            printed_text(items)
        ));
        return row_cells(key, cols, items, None, &[], out);
    }
    // Zeros run together (`00`) can only be cut one way, into single zeros: when they are fewer
    // than the row's cells they are a short row like one printed apart.
    let zeros_only = items.iter().all(|i| !i.dash && !i.text.is_empty() && i.text.bytes().all(|b| b == b'0'));
    if out.values_may_glue && zeros_only && items.len() < digits && digits < cols.len() {
        out.warnings.push(format!(
            "{key}: the zeros {} run together read as {digits} of {} cells; the rest missing",
            printed_text(items),
            cols.len()
        ));
        return cols
            .iter()
            .enumerate()
            .map(|(i, c)| (*c, if i < digits { Cell::parse("0") } else { Cell::missing() }))
            .collect();
    }
    if items.len() < cols.len() && items.len() > 1 && !leading_zero && items.iter().all(|i| i.gap != Gap::None) {
        // A short row of separately printed values (a scrape that lost a line, or blank cells at
        // its end not printed): the documented preference is that the cells it printed fill from
        // the left and the rest are missing (the report is then `partial`, never `exact`); the
        // seeds print 行政规范性文件 0 0 for three cells with 现行有效件数 left blank. Glued values
        // (`规章000`, or `00` printed for two cells) are cut instead.
        out.warnings.push(format!("{key}: {} of {} cells printed; the rest missing", items.len(), cols.len()));
        return cols
            .iter()
            .enumerate()
            .map(|(i, c)| (*c, items.get(i).map_or_else(Cell::missing, |it| Cell::parse(&it.text))))
            .collect();
    }
    let kinds: Vec<ColKind> = cols.iter().map(|c| col_kind(c)).collect();
    let solved = assign::solve(items, &kinds, Rule::None, row_costs(items, kinds.len(), costs));
    let row = key.trim_start_matches("sec2.");
    let (chosen, alts) = pick_by_narrative(&solved, row, cols, narrative);
    let chosen = chosen.filter(|_| !solved.exhausted);
    // The narrative repeating a cell (`制发规章1件`) vouches for a cut as an identity would.
    let vouched = |r: &Reading| super::narrative_score(row, cols, &r.values(), narrative).is_some_and(|s| s > 0);
    if chosen.is_some_and(|r| r.cut_apart_unconfirmed(Rule::None) && !vouched(r)) {
        out.warnings.push(format!("{key}: {CUT_OR_BLANK}"));
        return row_cells(key, cols, items, None, &[], out);
    }
    if alts.len() > 1 {
        out.warnings.push(format!(
            "{key}: ambiguous: the printed digits {} read {} ways; cells left without a value",
            printed_text(items),
            alts.len()
        ));
    }
    row_cells(key, cols, items, chosen, &alts, out)
}

/// Among readings that no identity separates, those that agree best with the cells the narrative
/// states (and contradict none).
fn pick_by_narrative<'a>(
    solved: &'a Solved,
    row: &str,
    cols: &[&str],
    facts: &[super::meta::Fact],
) -> (Option<&'a Reading>, Vec<&'a Reading>) {
    let score = |r: &Reading| super::narrative_score(row, cols, &r.values(), facts);
    let best = solved.candidates.iter().filter_map(score).max().unwrap_or(0);
    let top: Vec<&Reading> = solved.candidates.iter().filter(|r| score(r) == Some(best)).collect();
    (top.first().copied(), top)
}

fn sec3_keys(printed: &[Option<Vec<Item>>], specs: &[&'static RowSpec], template: Template) -> Vec<&'static str> {
    let has = |key: &str| {
        specs
            .iter()
            .position(|s| s.key == key && s.section == template::Section::Sec3)
            .is_some_and(|j| printed[j].is_some())
    };
    let mut keys: Vec<&'static str> = template::sec3_specs(template).iter().map(|s| s.key).collect();
    if template == Template::Y2021 && has("other_subtotal") {
        let split = ["other_no_correction", "other_fee_unpaid", "other_misc"].iter().any(|k| has(k));
        let at = keys.iter().position(|k| *k == "results_total").unwrap_or(keys.len());
        keys.insert(at, "other_subtotal");
        if !split {
            keys.retain(|k| !matches!(*k, "other_no_correction" | "other_fee_unpaid" | "other_misc"));
        }
    }
    keys
}

fn build_sec3(
    specs: &[&'static RowSpec],
    printed: &[Option<Vec<Item>>],
    template: Template,
    costs: Costs,
    out: &mut StreamTables,
) -> Table {
    let keys = sec3_keys(printed, specs, template);
    let kinds = [ColKind::Count; 7];
    let rows: Vec<(&'static str, Option<Vec<Item>>, Solved)> = keys
        .iter()
        .map(|key| {
            let j = specs.iter().position(|s| s.key == *key && s.section == template::Section::Sec3);
            let items = j.and_then(|j| printed[j].clone());
            let solved = items
                .as_ref()
                .map(|it| assign::solve(it, &kinds, Rule::SumLast, row_costs(it, kinds.len(), costs)))
                .unwrap_or_default();
            (*key, items, solved)
        })
        .collect();
    let mut choice = choose_jointly(&rows);
    // A row that breaks its own identity in every reading is taken only as printed (a finding);
    // read by inference (cut, joined, expanded) it is not certain at all.
    for (r, (key, items, solved)) in rows.iter().enumerate() {
        let Some(chosen) = solved.candidates.get(choice.chosen[r]) else { continue };
        if solved.exhausted {
            out.warnings.push(format!("sec3.{key}: too many readings of the printed values to weigh"));
            choice.rejected[r] = true;
        } else if solved.broken && chosen.cost == 0 && joins_add_up(items.as_deref()) {
            // As printed it is a finding only if nothing else could be printed that way.
            out.warnings.push(format!(
                "sec3.{key}: does not add up as printed, but does with numbers broken over lines joined (and blank cells not printed)"
            ));
            choice.rejected[r] = true;
        } else if solved.broken
            && chosen.cost > 0
            && !(solved.candidates.len() == 1
                && chosen.ops.iter().all(|op| matches!(op, Op::Split { .. }))
                && items.as_deref().is_some_and(assign::cuts_one_way))
        {
            // Column identities cannot vouch for it: columns of zeros pass them whatever was read.
            // Runs that cut only one way (`0000002`) need no vouching: the row is as printed.
            out.warnings.push(format!("sec3.{key}: no reading of the printed values fits its row total"));
            choice.rejected[r] = true;
        } else if chosen.cut_apart_unconfirmed(Rule::SumLast) {
            out.warnings.push(format!("sec3.{key}: {CUT_OR_BLANK}"));
            choice.rejected[r] = true;
        }
    }
    let mut table = Table::default();
    let mut short_rows = Vec::new();
    for (r, (key, items, solved)) in rows.iter().enumerate() {
        let name = format!("sec3.{key}");
        let cells = match items {
            None => SEC3_COLS.iter().map(|c| (*c, Cell::missing())).collect(),
            Some(items) if solved.candidates.is_empty() => {
                out.warnings.push(format!(
                    "{name}: the printed values {} cannot be read as {} cells; cells left without a value",
                    printed_text(items),
                    SEC3_COLS.len()
                ));
                // Fewer values than cells, each printed apart: blank cells not printed, which the
                // column identities may place.
                let apart = items.iter().skip(1).all(|i| i.gap != Gap::None)
                    && items.first().is_some_and(|i| i.gap != Gap::None || !out.values_may_glue)
                    && items.iter().all(|i| !i.dash);
                if apart {
                    short_rows.extend(super::ShortRow::new(key, items.iter().map(|i| i.text.clone()).collect()));
                }
                row_cells(&name, SEC3_COLS, items, None, &[], out)
            }
            Some(items) if choice.rejected[r] => row_cells(&name, SEC3_COLS, items, None, &[], out),
            Some(items) => {
                let alts: Vec<&Reading> = choice.alternatives[r].iter().map(|c| &solved.candidates[*c]).collect();
                if alts.len() > 1 {
                    out.warnings.push(format!(
                        "{name}: ambiguous: the printed values {} fit the identities {} ways; differing cells left without a value",
                        printed_text(items),
                        alts.len()
                    ));
                }
                row_cells(&name, SEC3_COLS, items, Some(&solved.candidates[choice.chosen[r]]), &alts, out)
            }
        };
        table.rows.push(TableRow { key, cells });
    }
    if !short_rows.is_empty() {
        let before = super::undecided_cells(&table);
        super::place_short_rows(&mut table, &short_rows, &mut out.warnings);
        let placed = before - super::undecided_cells(&table);
        out.uncertain = out.uncertain.saturating_sub(placed);
        out.inferred += placed;
    }
    table
}

/// Whether the row's values, joined where a line break stands between two of them, could be
/// fewer numbers that add up (see [`assign::joined_reading_adds_up`]).
fn joins_add_up(items: Option<&[Item]>) -> bool {
    let Some(items) = items else { return false };
    let parts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    assign::joined_reading_adds_up(&parts, |i| items[i + 1].gap == Gap::Line)
}

struct Joint {
    chosen: Vec<usize>,
    /// Rows whose chosen reading the evidence does not support: read as uncertain.
    rejected: Vec<bool>,
    /// Per row, the candidates that reach the best score with the others as chosen.
    alternatives: Vec<Vec<usize>>,
}

/// The column identities H1 and H2 over the rows' candidate readings, parsed once, so that
/// scoring a choice allocates nothing: the joint search weighs up to 200,000 choices.
struct ColumnScorer {
    /// Per row, per candidate reading, its seven values.
    values: Vec<Vec<[Option<f64>; 7]>>,
    identities: ColumnIdentities,
}

impl ColumnScorer {
    fn new(rows: &[(&'static str, Option<Vec<Item>>, Solved)]) -> Self {
        let values = rows
            .iter()
            .map(|(_, _, solved)| {
                solved
                    .candidates
                    .iter()
                    .map(|r| {
                        let mut v = [None; 7];
                        for (slot, x) in v.iter_mut().zip(r.values()) {
                            *slot = x;
                        }
                        v
                    })
                    .collect()
            })
            .collect();
        let keys: Vec<&str> = rows.iter().map(|(k, _, _)| *k).collect();
        ColumnScorer { values, identities: ColumnIdentities::new(&keys) }
    }

    /// H1 and H2 passes of a choice of readings.
    fn score(&self, choice: &[usize]) -> usize {
        self.identities.passes(|r, col| self.values[r].get(choice[r]).and_then(|v| v[col]))
    }
}

/// Choose one reading per row so that the column identities hold as often as possible: exhaustively
/// when the combinations are few, else one row at a time until nothing improves.
fn choose_jointly(rows: &[(&'static str, Option<Vec<Item>>, Solved)]) -> Joint {
    let sizes: Vec<usize> = rows.iter().map(|(_, _, s)| s.candidates.len().max(1)).collect();
    let scorer = ColumnScorer::new(rows);
    let mut chosen = vec![0usize; rows.len()];
    // Per row, every candidate that takes part in some best-scoring combination: a row is certain
    // only when all of them agree.
    let mut alternatives: Vec<Vec<usize>> = sizes.iter().map(|n| (0..*n).collect()).collect();
    let combos = sizes.iter().try_fold(1usize, |acc, s| acc.checked_mul(*s)).unwrap_or(usize::MAX);
    if combos == 1 {
        alternatives = vec![vec![0]; rows.len()];
    } else if combos <= 200_000 {
        let mut current = vec![0usize; rows.len()];
        let mut best = scorer.score(&current);
        let mut in_best: Vec<Vec<bool>> = sizes.iter().map(|n| vec![false; *n]).collect();
        let mark = |in_best: &mut Vec<Vec<bool>>, combo: &[usize]| {
            for (r, c) in combo.iter().enumerate() {
                in_best[r][*c] = true;
            }
        };
        mark(&mut in_best, &current);
        loop {
            let mut i = 0;
            while i < current.len() {
                current[i] += 1;
                if current[i] < sizes[i] {
                    break;
                }
                current[i] = 0;
                i += 1;
            }
            if i == current.len() {
                break;
            }
            let s = scorer.score(&current);
            if s > best {
                best = s;
                chosen.clone_from(&current);
                in_best = sizes.iter().map(|n| vec![false; *n]).collect();
                mark(&mut in_best, &current);
            } else if s == best {
                mark(&mut in_best, &current);
            }
        }
        alternatives = in_best.iter().map(|flags| (0..flags.len()).filter(|c| flags[*c]).collect()).collect();
    } else {
        // Too many combinations to weigh them all: one row at a time towards more passing
        // identities, and every candidate of a row that had several stays an alternative, so no
        // cell of such a row is taken as certain unless all its readings agree.
        for _ in 0..4 {
            let mut changed = false;
            for r in 0..rows.len() {
                let mut best = scorer.score(&chosen);
                for c in 0..sizes[r] {
                    let mut trial = chosen.clone();
                    trial[r] = c;
                    let s = scorer.score(&trial);
                    if s > best {
                        best = s;
                        chosen = trial;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }
    Joint { rejected: vec![false; rows.len()], chosen, alternatives }
}

/// sec4: the fifteen values after its heading, up to the next section or the first narrative.
fn build_sec4(tokens: &[Token], compact: &Compact, start_char: usize, costs: Costs, out: &mut StreamTables) -> Table {
    let from = compact.token_of_char(start_char.saturating_sub(1)) + 1;
    let end_char = SEC4_END
        .find_at(&compact.text, compact.chars.get(start_char).map_or(compact.text.len(), |c| c.0))
        .map(|m| compact.char_at(m.start()));
    let to = end_char.map_or(tokens.len(), |c| compact.token_of_char(c)).max(from).min(tokens.len());
    let mut items: Vec<Item> = Vec::new();
    let (window, page_numbers) = without_page_numbers_in_header(&tokens[from..to]);
    if !page_numbers.is_empty() {
        out.warnings.push(format!(
            "sec4: {} between the table's header words taken for page numbers, not cells",
            page_numbers.join(", ")
        ));
    }
    for group in value_groups_until_narrative(&window) {
        items.extend(group);
    }
    let n = SEC4_GROUPS.len() * SEC4_COLS.len();
    let mut table = Table::default();
    if items.is_empty() {
        for g in SEC4_GROUPS {
            table.rows.push(TableRow { key: g, cells: SEC4_COLS.iter().map(|c| (*c, Cell::missing())).collect() });
        }
        return table;
    }
    let kinds = vec![ColKind::Count; n];
    let solved = assign::solve(&items, &kinds, Rule::Groups(SEC4_COLS.len()), row_costs(&items, n, costs));
    let cols: Vec<&'static str> = (0..n).map(|i| SEC4_COLS[i % SEC4_COLS.len()]).collect();
    let alts: Vec<&Reading> = solved.candidates.iter().collect();
    if alts.len() > 1 {
        out.warnings.push(format!(
            "sec4: ambiguous: the printed values {} fit the identities {} ways; differing cells left without a value",
            printed_text(&items),
            alts.len()
        ));
    }
    let mut chosen = solved.candidates.first().filter(|_| !solved.exhausted);
    if chosen.is_some_and(|r| r.cut_apart_unconfirmed(Rule::Groups(SEC4_COLS.len()))) {
        out.warnings.push(format!("sec4: {CUT_OR_BLANK}"));
        chosen = None;
    }
    let cells = row_cells("sec4", &cols, &items, chosen, &alts, out);
    for (g, group) in SEC4_GROUPS.iter().enumerate() {
        let row: Vec<(&'static str, Cell)> = cells[g * 5..g * 5 + 5].to_vec();
        table.rows.push(TableRow { key: group, cells: row });
    }
    table
}

/// sec4's tokens without the page numbers a page break printed inside its header (`复议 - 2 -
/// 行政诉讼`), and those numbers. The template prints the header before its one row of values, so
/// a number of one to three digits set off by dashes between two header words, with values still
/// to come, is no cell.
fn without_page_numbers_in_header(tokens: &[Token]) -> (Vec<Token>, Vec<String>) {
    let is_value = |t: &Token| matches!(t.kind, TokenKind::Number | TokenKind::Dash);
    let is_page_dash = |t: &Token| t.kind == TokenKind::Dash && crate::read::tokens::is_page_number_dash(&t.text);
    let (mut kept, mut page_numbers) = (Vec::with_capacity(tokens.len()), Vec::new());
    let mut i = 0;
    while i < tokens.len() {
        let w = &tokens[i..];
        let page_number = i > 0
            && w.len() > 4
            && tokens[i - 1].kind == TokenKind::Text
            && is_page_dash(&w[0])
            && w[1].kind == TokenKind::Number
            && w[1].text.len() <= 3
            && is_page_dash(&w[2])
            && w[3].kind == TokenKind::Text
            && w[4..].iter().any(is_value);
        if page_number {
            page_numbers.push(format!("- {} -", w[1].text));
            i += 3;
        } else {
            kept.push(tokens[i].clone());
            i += 1;
        }
    }
    (kept, page_numbers)
}

/// Value groups of sec4, stopping at the first stretch of narrative after values began (headers
/// of the table are short words; a sentence is not) or at the first date.
fn value_groups_until_narrative(tokens: &[Token]) -> Vec<Vec<Item>> {
    let mut end = tokens.len();
    let mut seen_value = false;
    for (i, t) in tokens.iter().enumerate() {
        // A number the next word makes a date (`2024 年`) is narrative, never a case count.
        let dated = t.kind == TokenKind::Number
            && tokens.get(i + 1).is_some_and(|n| n.kind == TokenKind::Text && n.text.starts_with(['年', '月', '日']));
        if dated {
            end = i;
            break;
        }
        match t.kind {
            TokenKind::Number | TokenKind::Dash => seen_value = true,
            TokenKind::Blank => {}
            TokenKind::Text if seen_value && t.text.chars().filter(|c| c.is_alphanumeric()).count() >= 12 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    value_groups(&tokens[..end])
}
