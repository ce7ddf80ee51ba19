//! Any text → a stream of tokens that does not depend on line breaks or separators: text (label
//! fragments, headings, narrative), numbers and dash marks, each with the kind of gap printed before
//! it. Where a row starts or ends, and which cell a number fills, is decided later by the template
//! (`crate::map::stream`), never by the line breaks: crawler dumps put a whole report on one line,
//! web scrapes put every cell (or half a cell) on a line of its own.

use std::sync::LazyLock;

use regex::Regex;

/// What separated a token from the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Gap {
    /// Nothing: the token is glued to the one before (`规章000`).
    None,
    /// Spaces on the same line.
    Space,
    /// A cell separator of a structured layout (a tab, a markdown `|`): such a layout shows its
    /// empty cells, so a run of equal cells is never printed once there.
    Cell,
    /// At least one line break.
    Line,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Text,
    /// Digits, with a sign, thousands groups or a decimal part when printed so.
    Number,
    /// A printed "nothing here": `/`, `-`, `—`, `无`, `不适用`.
    Dash,
    /// An empty cell between two cell separators (`\t\t`, `|  |`).
    Blank,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    /// As printed (a number keeps its grouping commas).
    pub text: String,
    pub gap: Gap,
}

impl Token {
    /// A number's digits without grouping commas (`1,234` → `1234`).
    pub fn digits(&self) -> String {
        self.text.chars().filter(|c| *c != ',').collect()
    }
}

static PAGE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[ \t]*(?:[-—–－][ \t]*\d{1,3}[ \t]*[-—–－]|\d{1,3}[ \t]*/[ \t]*\d{1,3})[ \t]*$")
        .expect("page line")
});
static MARKDOWN_RULE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*(?::?-{3,}:?)?[ \t]*$").expect("rule")
});
static PAGE_MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"第[ \t]*\d{1,3}[ \t]*页(?:[ \t]*[,/]?[ \t]*共[ \t]*\d{1,3}[ \t]*页)?|共[ \t]*\d{1,3}[ \t]*页")
        .expect("page mark")
});

/// A dash that sets off a page number (`- 2 -`, `— 3 —`); the page-number patterns above and below
/// use the same characters.
pub(crate) fn is_page_number_dash(text: &str) -> bool {
    matches!(text, "-" | "—" | "–" | "－")
}

/// A page number whose line breaks a dump dropped, glued to the text on both sides
/// (`000- 2 -第二十条`). Spaced inside and glued outside, it is no blank printed as a dash: a spaced
/// dump sets those off on both sides (`0 - 2 - 0`).
static GLUED_PAGE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\S)[-—–－][ \t]+\d{1,3}[ \t]+[-—–－](\S)").expect("glued page number"));

/// Remove page furniture that a page break leaves inside a table: page-number lines (`- 2 -`,
/// `3/5`), the same glued into a dump, and page marks (`第 3 页`, `共 5 页`), which would otherwise
/// read as cells.
pub fn strip_page_furniture(text: &str) -> String {
    let text = MARKDOWN_RULE.replace_all(text, "");
    let text = PAGE_LINE.replace_all(&text, "");
    let text = GLUED_PAGE_NUMBER.replace_all(&text, "$1 $2");
    PAGE_MARK.replace_all(&text, " ").into_owned()
}

/// Whether a whole line is page furniture (`- 2 -`, `3/5`, `第 3 页`), for readers that go by lines.
pub fn is_page_furniture_line(line: &str) -> bool {
    let line = line.trim();
    !line.is_empty() && (PAGE_LINE.is_match(line) || PAGE_MARK.find(line).is_some_and(|m| m.len() == line.len()))
}

pub(crate) fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

fn is_dash_char(c: char) -> bool {
    matches!(c, '/' | '-' | '—' | '–' | '－' | '\\' | '×')
}

fn is_word_char(c: char) -> bool {
    c.is_alphabetic()
}

/// Tokenise normalised text (see `crate::read::normalize`).
pub fn tokens(text: &str) -> Vec<Token> {
    let text = strip_page_furniture(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<Token> = Vec::new();
    let mut gap = Gap::Line;
    let mut text_buf = String::new();
    let mut text_gap = Gap::Line;
    let mut i = 0;
    // A cell separator seen since the last token on this line: a second one makes a blank cell,
    // once the line has printed something. Empty cells that open a line are the label columns of
    // a structured layout (a merged label cell, `|  | 1.属于国家秘密 | 0 |`, a sheet's empty first
    // column), not cells of the row; a line of nothing but separators is empty cells.
    let mut open_cell = false;
    let mut line_content = false;
    let mut line_seps = 0usize;

    fn flush_text(buf: &mut String, gap: Gap, out: &mut Vec<Token>) {
        if !buf.is_empty() {
            out.push(Token { kind: TokenKind::Text, text: std::mem::take(buf), gap });
        }
    }

    while i < chars.len() {
        crate::budget::checkpoint();
        let c = chars[i];
        if c.is_whitespace() || c == '|' {
            flush_text(&mut text_buf, text_gap, &mut out);
            let g = match c {
                '\n' => Gap::Line,
                '\t' | '|' => Gap::Cell,
                _ => Gap::Space,
            };
            if g == Gap::Cell {
                if open_cell && line_content {
                    out.push(Token { kind: TokenKind::Blank, text: String::new(), gap: gap_or_none(&mut gap) });
                }
                open_cell = true;
                line_seps += 1;
            }
            if g == Gap::Line {
                if !line_content {
                    blank_line_cells(&mut out, line_seps, &mut gap);
                }
                (open_cell, line_content, line_seps) = (false, false, 0);
            }
            gap = gap.max(g);
            i += 1;
            continue;
        }
        open_cell = false;
        line_content = true;
        let prev = i.checked_sub(1).map(|j| chars[j]);
        // A minus or plus sign directly before digits belongs to the number (`178-3586` is 178 and
        // -3586 in a signed column); where a column cannot be negative the solver reads it as a dash
        // cell followed by the digits.
        let sign_here = matches!(c, '-' | '+' | '－') && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_ascii_digit() || sign_here {
            let (number, next) = read_number(&chars, i);
            // `2.其他…`, `2. 其他…`: the digit before `.`/`、` that opens a label is the label's
            // enumerator.
            let label_after = || {
                let mut j = next + 1;
                while chars.get(j).is_some_and(|c| matches!(c, ' ' | '\u{3000}')) {
                    j += 1;
                }
                chars
                    .get(j)
                    .is_some_and(|c| if j == next + 1 { !c.is_ascii_digit() && !c.is_whitespace() } else { is_cjk(*c) })
            };
            let enumerator = !number.contains('.') && matches!(chars.get(next), Some('.' | '、')) && label_after();
            let (number, rest_at) =
                if enumerator { (&number[..number.len() - 1], next - 1) } else { (&number[..], next) };
            if !number.is_empty() && number != "-" && number != "+" {
                flush_text(&mut text_buf, text_gap, &mut out);
                let g = gap_or_none(&mut gap);
                out.push(Token { kind: TokenKind::Number, text: number.to_string(), gap: g });
            }
            if enumerator {
                start_text(&text_buf, &mut text_gap, &mut gap);
                for ch in &chars[rest_at..next + 1] {
                    text_buf.push(*ch);
                }
                i = next + 1;
            } else {
                i = next;
            }
            continue;
        }
        if is_dash_char(c) {
            let start = i;
            while i < chars.len() && is_dash_char(chars[i]) {
                i += 1;
            }
            let after = chars.get(i).copied();
            // `增/减` is text; a dash anywhere else is a cell, even glued to a label (`数量—000`).
            let inside_word = prev.is_some_and(is_word_char) && after.is_some_and(is_word_char);
            if !inside_word {
                flush_text(&mut text_buf, text_gap, &mut out);
                let g = gap_or_none(&mut gap);
                out.push(Token { kind: TokenKind::Dash, text: chars[start..i].iter().collect(), gap: g });
            } else {
                start_text(&text_buf, &mut text_gap, &mut gap);
                text_buf.extend(&chars[start..i]);
            }
            continue;
        }
        start_text(&text_buf, &mut text_gap, &mut gap);
        text_buf.push(c);
        i += 1;
    }
    flush_text(&mut text_buf, text_gap, &mut out);
    if !line_content {
        blank_line_cells(&mut out, line_seps, &mut gap);
    }
    mark_word_dashes(&mut out);
    out
}

/// The empty cells of a line that printed nothing but cell separators (`\t`, `|  |`): one for a
/// lone separator or a pair, one for each further separator.
fn blank_line_cells(out: &mut Vec<Token>, seps: usize, gap: &mut Gap) {
    let blanks = if seps == 0 { 0 } else { (seps - 1).max(1) };
    for _ in 0..blanks {
        out.push(Token { kind: TokenKind::Blank, text: String::new(), gap: std::mem::replace(gap, Gap::Cell) });
    }
}

/// The gap before the token about to be pushed; the next one starts glued unless whitespace follows.
fn gap_or_none(gap: &mut Gap) -> Gap {
    std::mem::replace(gap, Gap::None)
}

fn start_text(buf: &str, text_gap: &mut Gap, gap: &mut Gap) {
    if buf.is_empty() {
        *text_gap = gap_or_none(gap);
    }
}

/// Read a number starting at `i`: sign, digits, thousands groups of exactly three digits, a decimal
/// part. `3,5` is not a number with a grouping comma: it stops at the comma.
fn read_number(chars: &[char], mut i: usize) -> (String, usize) {
    let mut s = String::new();
    if matches!(chars[i], '-' | '+' | '－') {
        s.push(if chars[i] == '+' { '+' } else { '-' });
        i += 1;
    }
    while i < chars.len() && chars[i].is_ascii_digit() {
        s.push(chars[i]);
        i += 1;
    }
    while i + 3 < chars.len()
        && chars[i] == ','
        && chars[i + 1..i + 4].iter().all(char::is_ascii_digit)
        && chars.get(i + 4).is_none_or(|c| !c.is_ascii_digit())
    {
        s.extend(&chars[i..i + 4]);
        i += 4;
    }
    if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
        s.push('.');
        i += 1;
        while i < chars.len() && chars[i].is_ascii_digit() {
            s.push(chars[i]);
            i += 1;
        }
    }
    (s, i)
}

/// `无` and `不适用` standing alone between separators are printed "nothing here" marks.
fn mark_word_dashes(tokens: &mut [Token]) {
    for i in 0..tokens.len() {
        if tokens[i].kind != TokenKind::Text || !matches!(tokens[i].text.as_str(), "无" | "不适用") {
            continue;
        }
        let before = tokens[i].gap != Gap::None || i == 0 || tokens[i - 1].kind != TokenKind::Text;
        let after = tokens.get(i + 1).is_none_or(|t| t.gap != Gap::None || t.kind != TokenKind::Text);
        if before && after {
            tokens[i].kind = TokenKind::Dash;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, String, Gap)> {
        tokens(text).into_iter().map(|t| (t.kind, t.text, t.gap)).collect()
    }

    use Gap::*;
    use TokenKind::*;

    #[test]
    fn glued_labels_and_numbers() {
        assert_eq!(
            kinds("规章000行政规范性文件61598第二十条"),
            vec![
                (Text, "规章".into(), Line),
                (Number, "000".into(), None),
                (Text, "行政规范性文件".into(), None),
                (Number, "61598".into(), None),
                (Text, "第二十条".into(), None),
            ]
        );
    }

    #[test]
    fn enumerator_digits_stay_with_their_label() {
        let t = kinds("4.保护第三方合法权益20000025.属于三类内部事务信息0000000");
        assert_eq!(t[0], (Text, "4.保护第三方合法权益".into(), Line));
        assert_eq!(t[1], (Number, "2000002".into(), None));
        assert_eq!(t[2], (Text, "5.属于三类内部事务信息".into(), None));
        assert_eq!(t[3], (Number, "0000000".into(), None));
        // Set apart from its label by a space, one cell per line.
        let t = kinds("0\n2. 其他法律法规禁止公开\n0");
        assert_eq!(t[0], (Number, "0".into(), Line));
        assert_eq!(t[1], (Text, "2.".into(), Line));
        assert_eq!(t[2], (Text, "其他法律法规禁止公开".into(), Space));
        assert_eq!(t[3], (Number, "0".into(), Line));
    }

    #[test]
    fn decimals_groups_signs_and_dashes() {
        let t = kinds("收费 9116.36 1,234 3,5 -3 / 增/减 无 —");
        let got: Vec<(TokenKind, &str)> = t.iter().map(|(k, s, _)| (*k, s.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (Text, "收费"),
                (Number, "9116.36"),
                (Number, "1,234"),
                (Number, "3"),
                (Text, ","),
                (Number, "5"),
                (Number, "-3"),
                (Dash, "/"),
                (Text, "增/减"),
                (Dash, "无"),
                (Dash, "—"),
            ]
        );
    }

    #[test]
    fn gaps_record_line_breaks() {
        let t = kinds("行政许可\n1\n62\n0");
        assert_eq!(t[1], (Number, "1".into(), Line));
        assert_eq!(t[2], (Number, "62".into(), Line));
        let t = kinds("0\r\r5");
        assert_eq!(t.len(), 2, "{t:?}");
    }

    #[test]
    fn page_marks_never_span_lines() {
        // One cell per line: `0`, `/`, `0` is three cells, not a page number `0/0`.
        let t = kinds("\t0\n\t/\n\t0\n\t-\n\t2\n\t-\n");
        assert_eq!(t.iter().filter(|t| t.0 != Blank).count(), 6, "{t:?}");
        // An empty cell line between two cells is a blank cell.
        let t = kinds("\t0\n\t\n\t4\n");
        assert_eq!(t.iter().map(|t| t.0).collect::<Vec<_>>(), vec![Number, Blank, Number]);
    }

    #[test]
    fn empty_cells_opening_a_line_are_label_columns() {
        // A Markdown page whose first column is empty: one value a row, no blank cells among them.
        let t = kinds("|  | 自然人 |\n|---|---|\n|  | 2 |\n|  | 0 |\n|\t| 3 |  | 4 |");
        let shown: Vec<(TokenKind, &str, Gap)> = t.iter().map(|t| (t.0, t.1.as_str(), t.2)).collect();
        assert_eq!(
            shown,
            vec![
                (Text, "自然人", Line),
                (Number, "2", Line),
                (Number, "0", Line),
                (Number, "3", Line),
                (Blank, "", Cell),
                (Number, "4", Cell)
            ]
        );
        // A sheet row whose label cell is merged into the row above.
        let t = kinds("行政许可\t5\n\t\t3");
        assert_eq!(t.iter().map(|t| t.0).collect::<Vec<_>>(), vec![Text, Number, Number]);
    }

    #[test]
    fn page_furniture_goes() {
        let t = kinds("规章 0 0\n- 2 -\n第 3 页\n0");
        let numbers: Vec<&str> = t.iter().filter(|t| t.0 == Number).map(|t| t.1.as_str()).collect();
        assert_eq!(numbers, vec!["0", "0", "0"]);
    }

    #[test]
    fn a_page_number_glued_into_a_dump_goes_but_spaced_dashed_blanks_stay() {
        let numbers =
            |text: &str| -> Vec<String> { kinds(text).into_iter().filter(|t| t.0 == Number).map(|t| t.1).collect() };
        assert_eq!(numbers("行政规范性文件000- 2 -第二十条"), vec!["000"]);
        let dashes = |text: &str| kinds(text).iter().filter(|t| t.0 == Dash).count();
        assert_eq!(dashes("规章 0 - 2 - 0"), 2);
    }
}
