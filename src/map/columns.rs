//! Short rows of a positioned grid placed under their columns.
//!
//! A PDF prints nothing for a blank cell, so a row of seven cells with one blank arrives as six
//! values, and filling from the left would move the printed total into `other_org`. The page still
//! says where each value stands: under the same column as the values of the full rows around it.
//! A short row is placed when every value lies under exactly one column of the full rows of its
//! table nearest before and after it (in template order), in order, and both rows agree; the cells
//! under no value are blank. Otherwise the row is left as printed for the identities to place, or
//! to stay without values.

use std::collections::HashMap;

use super::Printed;
use crate::model::Span;

/// Place every short positioned row of one table whose rows `keys` (template order) have `n` cells.
pub(super) fn place_short_rows(
    printed: &mut HashMap<&'static str, Printed>,
    section: &str,
    keys: &[&'static str],
    n: usize,
    warnings: &mut Vec<String>,
) {
    let full: Vec<Option<&[Span]>> =
        keys.iter().map(|k| printed.get(k).filter(|p| is_full(p, n)).map(|p| p.spans.as_slice())).collect();
    let mut placed: Vec<(&'static str, Vec<String>, Vec<Span>)> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let Some(row) = printed.get(key).filter(|p| is_short(p, n)) else { continue };
        let before = full[..i].iter().rev().find_map(|s| *s);
        let after = full[i + 1..].iter().find_map(|s| *s);
        let placements: Vec<Option<Vec<usize>>> =
            [before, after].into_iter().flatten().map(|columns| placement(&row.spans, columns)).collect();
        let agreed = match placements.as_slice() {
            [Some(one)] => Some(one),
            [Some(a), Some(b)] if a == b => Some(a),
            _ => None,
        };
        let Some(columns) = agreed else {
            continue;
        };
        let reference = before.or(after).expect("a placement has a reference row");
        let mut values = vec![String::new(); n];
        let mut spans = reference.to_vec();
        for (v, col) in columns.iter().enumerate() {
            values[*col] = row.values[v].clone();
            spans[*col] = row.spans[v];
        }
        warnings.push(format!(
            "{section}.{key}: {} values printed for {n} cells; placed under their columns, the other cells blank",
            row.values.len()
        ));
        placed.push((key, values, spans));
    }
    for (key, values, spans) in placed {
        if let Some(p) = printed.get_mut(key) {
            p.values = values;
            p.spans = spans;
        }
    }
}

/// A row that printed a value in each of its `n` cells, with their positions.
fn is_full(p: &Printed, n: usize) -> bool {
    p.values.len() == n && p.spans.len() == n && p.values.iter().all(|v| !v.trim().is_empty())
}

/// A row that printed some but not all of its `n` cells, with their positions.
fn is_short(p: &Printed, n: usize) -> bool {
    (1..n).contains(&p.values.len()) && p.spans.len() == p.values.len() && p.values.iter().all(|v| !v.trim().is_empty())
}

/// For each printed value, the column of `columns` it lies under: the one column whose extent
/// overlaps its own (whatever the alignment, a value and the values above it share the anchor
/// point), columns rising left to right. `None` when a value lies under no column or several.
fn placement(values: &[Span], columns: &[Span]) -> Option<Vec<usize>> {
    let overlaps = |a: &Span, b: &Span| a.0 < b.1 && b.0 < a.1;
    let mut placed = Vec::with_capacity(values.len());
    let mut last: Option<usize> = None;
    for value in values {
        let mut under = columns.iter().enumerate().filter(|(_, c)| overlaps(value, c)).map(|(i, _)| i);
        let (Some(col), None) = (under.next(), under.next()) else { return None };
        if last.is_some_and(|l| col <= l) {
            return None;
        }
        last = Some(col);
        placed.push(col);
    }
    Some(placed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seven columns 35 wide from x=330, values drawn centred, `width` per digit.
    fn centred(cols: &[usize], texts: &[&str]) -> Vec<Span> {
        cols.iter()
            .zip(texts)
            .map(|(c, t)| {
                let centre = 340.0 + 35.0 * *c as f64;
                let half = 2.5 * t.len() as f64;
                (centre - half, centre + half)
            })
            .collect()
    }

    fn row(cols: &[usize], texts: &[&str]) -> Printed {
        Printed { values: texts.iter().map(|t| t.to_string()).collect(), glued: false, spans: centred(cols, texts) }
    }

    #[test]
    fn a_short_row_takes_the_columns_of_the_full_rows_around_it() {
        let keys = ["a", "b", "c"];
        let mut printed = HashMap::from([
            ("a", row(&[0, 1, 2, 3, 4, 5, 6], &["12", "0", "0", "0", "0", "0", "12"])),
            // other_org blank: six values, the last of them the total.
            ("b", row(&[0, 1, 2, 3, 4, 6], &["120", "15", "2", "0", "1", "138"])),
            ("c", row(&[0, 1, 2, 3, 4, 5, 6], &["5", "0", "0", "0", "0", "0", "5"])),
        ]);
        let mut warnings = Vec::new();
        place_short_rows(&mut printed, "sec3", &keys, 7, &mut warnings);
        assert_eq!(printed["b"].values, ["120", "15", "2", "0", "1", "", "138"]);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn columns_that_do_not_say_leave_the_row_as_printed() {
        let keys = ["a", "b", "c"];
        let short = Printed {
            values: vec!["3".into(), "3".into()],
            glued: false,
            // Between two columns: under none.
            spans: vec![(355.0, 360.0), (420.0, 425.0)],
        };
        let mut printed = HashMap::from([
            ("a", row(&[0, 1, 2, 3, 4, 5, 6], &["1", "0", "0", "0", "0", "0", "1"])),
            ("b", short),
            ("c", row(&[0, 1, 2, 3, 4, 5, 6], &["1", "0", "0", "0", "0", "0", "1"])),
        ]);
        let mut warnings = Vec::new();
        place_short_rows(&mut printed, "sec3", &keys, 7, &mut warnings);
        assert_eq!(printed["b"].values, ["3", "3"]);
        assert!(warnings.is_empty());
    }

    #[test]
    fn rows_around_that_disagree_place_nothing() {
        let keys = ["a", "b", "c"];
        let mut shifted = row(&[0, 1, 2, 3, 4, 5, 6], &["1", "0", "0", "0", "0", "0", "1"]);
        for span in &mut shifted.spans {
            *span = (span.0 + 35.0, span.1 + 35.0);
        }
        let mut printed = HashMap::from([
            ("a", row(&[0, 1, 2, 3, 4, 5, 6], &["1", "0", "0", "0", "0", "0", "1"])),
            ("b", row(&[1, 2, 3, 4, 5, 6], &["1", "0", "0", "0", "0", "1"])),
            ("c", shifted),
        ]);
        let mut warnings = Vec::new();
        place_short_rows(&mut printed, "sec3", &keys, 7, &mut warnings);
        assert_eq!(printed["b"].values.len(), 6);
    }

    #[test]
    fn a_value_wider_than_its_column_neighbours_is_under_one_column_only() {
        let columns = centred(&[0, 1, 2], &["0", "0", "0"]);
        // Right-aligned neighbours would still overlap; a value spanning two columns does not place.
        assert_eq!(placement(&[(336.0, 380.0)], &columns), None);
        assert_eq!(placement(&[(330.0, 350.0)], &columns), Some(vec![0]));
    }
}
