//! One table cell: the number and the text as printed.

use serde::{Serialize, Serializer};

/// What kind of content a cell held (SCHEMA.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CellKind {
    Number,
    Blank,
    Dash,
    Text,
    Missing,
}

impl CellKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CellKind::Number => "number",
            CellKind::Blank => "blank",
            CellKind::Dash => "dash",
            CellKind::Text => "text",
            CellKind::Missing => "missing",
        }
    }
}

/// A cell: `value` is set only for `kind == Number`; a blank never becomes 0.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    #[serde(serialize_with = "serialize_value")]
    pub value: Option<f64>,
    pub raw: String,
    pub kind: CellKind,
}

/// Whole numbers print as JSON integers (`0`, not `0.0`), money keeps its decimals.
fn serialize_value<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => s.serialize_i64(*v as i64),
        Some(v) => s.serialize_f64(*v),
        None => s.serialize_none(),
    }
}

impl Cell {
    pub fn missing() -> Self {
        Cell { value: None, raw: String::new(), kind: CellKind::Missing }
    }

    /// A cell whose printed text is kept but whose value is not certain (a cut several readings
    /// fit, a row whose placement is unknown): never stored as a number.
    pub fn undecided(raw: impl Into<String>) -> Self {
        Cell { value: None, raw: raw.into(), kind: CellKind::Text }
    }

    pub fn number(value: f64, raw: impl Into<String>) -> Self {
        Cell { value: Some(value), raw: raw.into(), kind: CellKind::Number }
    }

    /// Classify printed cell text. `raw` is kept as printed (trimmed); thousands separators and a
    /// trailing unit (件, 条, 个, 万元, 元) are tolerated in numbers.
    pub fn parse(raw: &str) -> Self {
        let raw = raw.trim();
        if raw.is_empty() {
            return Cell { value: None, raw: String::new(), kind: CellKind::Blank };
        }
        if is_dash(raw) {
            return Cell { value: None, raw: raw.to_string(), kind: CellKind::Dash };
        }
        match parse_number(raw) {
            Some(v) => Cell::number(v, raw),
            None => Cell { value: None, raw: raw.to_string(), kind: CellKind::Text },
        }
    }
}

/// Printed marks meaning "nothing here": slash, dashes, 无, 不适用.
pub fn is_dash(s: &str) -> bool {
    matches!(s, "/" | "-" | "--" | "—" | "——" | "–" | "－" | "无" | "不适用" | "\\" | "×")
}

/// A printed number: digits with optional sign, decimals, thousands commas and a unit suffix.
pub fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    let s =
        ["万元", "元", "件", "条", "个", "项", "次"].iter().fold(s, |s, unit| s.strip_suffix(unit).unwrap_or(s)).trim();
    // `1,234` is 1234, but `3,5` is a typo or two values, never 35: commas must group thousands.
    if s.contains(',') && !grouped_thousands(s) {
        return None;
    }
    let cleaned: String = s.chars().filter(|c| *c != ',').collect();
    let body = cleaned.strip_prefix(['+', '-']).unwrap_or(&cleaned);
    if body.is_empty() || !body.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    if !body.chars().all(|c| c.is_ascii_digit() || c == '.') || body.matches('.').count() > 1 || body.ends_with('.') {
        return None;
    }
    cleaned.parse::<f64>().ok()
}

/// `1,234` or `12,345,678.5`: one to three digits, then groups of exactly three.
fn grouped_thousands(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let int = body.split('.').next().unwrap_or("");
    let mut groups = int.split(',');
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
        && !body.split('.').nth(1).is_some_and(|f| f.contains(','))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_printed_cells() {
        assert_eq!(Cell::parse(" 12 ").value, Some(12.0));
        assert_eq!(Cell::parse("9116.36").value, Some(9116.36));
        assert_eq!(Cell::parse("-3").value, Some(-3.0));
        assert_eq!(Cell::parse("1,234").value, Some(1234.0));
        assert_eq!(Cell::parse("12,345,678").value, Some(12345678.0));
        // A comma that does not group thousands is not a number (issue: `3，5` was read as 35).
        assert_eq!(Cell::parse("3,5").kind, CellKind::Text);
        assert_eq!(Cell::parse("3,5").value, None);
        assert_eq!(Cell::parse("1,23").value, None);
        assert_eq!(Cell::parse("1234,567").value, None);
        assert_eq!(Cell::parse("").kind, CellKind::Blank);
        assert_eq!(Cell::parse("/").kind, CellKind::Dash);
        assert_eq!(Cell::parse("无").kind, CellKind::Dash);
        assert_eq!(Cell::parse("见附件").kind, CellKind::Text);
        assert_eq!(Cell::parse("1.").kind, CellKind::Text);
        assert_eq!(Cell::parse("251000元").value, Some(251000.0));
    }

    #[test]
    fn whole_numbers_serialise_as_integers() {
        let json = serde_json::to_string(&Cell::parse("7")).unwrap();
        assert_eq!(json, r#"{"value":7,"raw":"7","kind":"number"}"#);
        let json = serde_json::to_string(&Cell::parse("")).unwrap();
        assert_eq!(json, r#"{"value":null,"raw":"","kind":"blank"}"#);
    }
}
