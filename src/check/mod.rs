//! The report's own arithmetic (勾稽关系, SCHEMA.md §4). A failed identity is a finding about the
//! report, never an error of the run, and nothing here changes a cell.

use crate::model::{Cell, CellKind, Check, CheckStatus, Table};
use crate::template::{self as labels, SEC3_COLS};

/// Run H1–H5 over a report's tables.
pub fn run(sec2: &Table, sec3: &Table, sec4: &Table) -> Vec<Check> {
    let mut checks = Vec::new();
    if !sec3.rows.is_empty() {
        let keys: Vec<&str> = sec3.rows.iter().map(|r| r.key).collect();
        let outcome_rows = outcome_rows(&keys);
        for col in SEC3_COLS {
            let cell = |row: &str| sec3.cell(row, col);
            checks.push(identity(
                "H1",
                col,
                &[cell("new_received"), cell("carried_over")],
                &[cell("results_total"), cell("carried_forward")],
            ));
            let parts: Vec<Option<&Cell>> = outcome_rows.iter().map(|r| cell(r)).collect();
            checks.push(identity("H2", col, &[cell("results_total")], &parts));
        }
        for row in &sec3.rows {
            let parts: Vec<Option<&Cell>> = SEC3_COLS[..6].iter().map(|c| row.cell(c)).collect();
            checks.push(identity("H3", row.key, &[row.cell("total")], &parts));
        }
    }
    for group in &sec4.rows {
        let parts: Vec<Option<&Cell>> =
            ["upheld", "corrected", "other_result", "pending"].iter().map(|c| group.cell(c)).collect();
        checks.push(identity("H4", group.key, &[group.cell("total")], &parts));
    }
    for (name, table) in [("sec2", sec2), ("sec3", sec3), ("sec4", sec4)] {
        if !table.rows.is_empty() {
            checks.push(whole_counts(name, table));
        }
    }
    checks
}

/// The sec3 rows that H2 adds up, among the rows a report has: the outcome rows, and where a
/// report prints both the merged 其他处理 row and its split rows, the split rows only.
pub fn outcome_rows<'a>(sec3_rows: &[&'a str]) -> Vec<&'a str> {
    let outcome: Vec<&str> = sec3_rows.iter().copied().filter(|k| labels::is_outcome_row(k)).collect();
    let split_other = outcome.iter().any(|k| matches!(*k, "other_no_correction" | "other_fee_unpaid" | "other_misc"));
    outcome.into_iter().filter(|k| !(split_other && *k == "other_subtotal")).collect()
}

/// An identity as SCHEMA.md §4 states it, for readers of a failed check.
pub fn formula(id: &str) -> &'static str {
    match id {
        "H1" => "new_received + carried_over = results_total + carried_forward (per sec3 column)",
        "H2" => "results_total = sum of the outcome rows (per sec3 column)",
        "H3" => "total = sum of the six applicant columns (per sec3 row)",
        "H4" => "total = upheld + corrected + other_result + pending (per sec4 group)",
        "H5" => "counts are whole numbers ≥ 0 (per section)",
        _ => "",
    }
}

/// The cells (section, row, column) one check of `id` over `scope` reads, given the sec3 rows the
/// report has. H5 covers a whole section: its cells are the section's counts, named by the caller.
pub fn identity_cells(id: &str, scope: &str, sec3_rows: &[&str]) -> Vec<(&'static str, String, String)> {
    let cell = |section: &'static str, row: &str, col: &str| (section, row.to_string(), col.to_string());
    match id {
        "H1" => ["new_received", "carried_over", "results_total", "carried_forward"]
            .iter()
            .map(|row| cell("sec3", row, scope))
            .collect(),
        "H2" => std::iter::once("results_total")
            .chain(outcome_rows(sec3_rows))
            .map(|row| cell("sec3", row, scope))
            .collect(),
        "H3" => SEC3_COLS.iter().map(|col| cell("sec3", scope, col)).collect(),
        "H4" => ["upheld", "corrected", "other_result", "pending", "total"]
            .iter()
            .map(|col| cell("sec4", scope, col))
            .collect(),
        _ => Vec::new(),
    }
}

/// The column identities H1 and H2 of a sec3 table with rows `keys`, with the row positions found
/// once: searches that weigh many readings of the same rows count passes without allocating.
#[derive(Debug, Clone)]
pub struct ColumnIdentities {
    /// Rows of H1: new_received, carried_over, results_total, carried_forward.
    h1: [Option<usize>; 4],
    /// The outcome rows H2 adds up to results_total (the split 其他处理 rows over the merged one).
    outcome: Vec<usize>,
}

impl ColumnIdentities {
    pub fn new(keys: &[&str]) -> Self {
        let index = |key: &str| keys.iter().position(|k| *k == key);
        let split_other = keys.iter().any(|k| matches!(*k, "other_no_correction" | "other_fee_unpaid" | "other_misc"));
        let outcome = (0..keys.len())
            .filter(|&i| labels::is_outcome_row(keys[i]) && !(split_other && keys[i] == "other_subtotal"))
            .collect();
        let h1 = [index("new_received"), index("carried_over"), index("results_total"), index("carried_forward")];
        ColumnIdentities { h1, outcome }
    }

    /// H1 and H2 passes over the seven columns, `value(row, col)` giving each cell's number.
    pub fn passes(&self, value: impl Fn(usize, usize) -> Option<f64>) -> usize {
        self.tally(value).0
    }

    /// H1 and H2 over the seven columns: how many pass and how many fail (the rest are not
    /// assessable), `value(row, col)` giving each cell's number.
    pub fn tally(&self, value: impl Fn(usize, usize) -> Option<f64>) -> (usize, usize) {
        let at = |row: Option<usize>, col: usize| row.and_then(|r| value(r, col));
        let (mut passes, mut fails) = (0, 0);
        let mut count = |holds: bool| if holds { passes += 1 } else { fails += 1 };
        for col in 0..SEC3_COLS.len() {
            let [a, b, c, d] = self.h1.map(|r| at(r, col));
            if let (Some(a), Some(b), Some(c), Some(d)) = (a, b, c, d) {
                count((a + b - c - d).abs() < 1e-9);
            }
            let parts: Option<f64> = self.outcome.iter().try_fold(0.0, |acc, r| value(*r, col).map(|v| acc + v));
            if let (Some(total), Some(sum)) = (at(self.h1[2], col), parts) {
                count((total - sum).abs() < 1e-9);
            }
        }
        (passes, fails)
    }
}

/// `sum(lhs) = sum(rhs)`; not assessable when any cell is not a number.
fn identity(id: &'static str, scope: &str, lhs: &[Option<&Cell>], rhs: &[Option<&Cell>]) -> Check {
    let sum = |cells: &[Option<&Cell>]| -> Option<f64> {
        cells.iter().try_fold(0.0, |acc, c| c.and_then(|c| c.value).map(|v| acc + v))
    };
    let (l, r) = (sum(lhs), sum(rhs));
    let status = match (l, r) {
        (Some(l), Some(r)) if (l - r).abs() < 1e-9 => CheckStatus::Pass,
        (Some(_), Some(_)) => CheckStatus::Fail,
        _ => CheckStatus::NotAssessable,
    };
    Check { id, scope: scope.to_string(), status, lhs: l, rhs: r }
}

/// H5: every count is a whole number ≥ 0. Money columns and the 2019 signed `change` are exempt.
/// `lhs` is the number of offending cells, `rhs` is 0.
/// Whether H5 reads column `col` (money and the 2019 template's signed change are exempt).
fn counted_by_h5(col: &str) -> bool {
    !matches!(col, "amount_wan_yuan" | "amount_yuan" | "change")
}

/// Whether a number printed in column `col` breaks H5.
pub fn breaks_h5(col: &str, value: f64) -> bool {
    counted_by_h5(col) && (value < 0.0 || value.fract() != 0.0)
}

fn whole_counts(scope: &str, table: &Table) -> Check {
    let mut numbers = 0;
    let bad = table
        .cells()
        .filter(|(_, col, cell)| counted_by_h5(col) && cell.kind == CellKind::Number)
        .inspect(|_| numbers += 1)
        .filter(|(_, col, cell)| cell.value.is_some_and(|v| breaks_h5(col, v)))
        .count();
    let status = match (bad, numbers) {
        (0, 0) => CheckStatus::NotAssessable,
        (0, _) => CheckStatus::Pass,
        _ => CheckStatus::Fail,
    };
    Check { id: "H5", scope: scope.to_string(), status, lhs: Some(bad as f64), rhs: Some(0.0) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TableRow;

    fn sec3(rows: &[(&'static str, [&str; 7])]) -> Table {
        Table {
            rows: rows
                .iter()
                .map(|(key, vals)| TableRow {
                    key,
                    cells: SEC3_COLS.iter().zip(vals).map(|(c, v)| (*c, Cell::parse(v))).collect(),
                })
                .collect(),
        }
    }

    fn status(checks: &[Check], id: &str, scope: &str) -> CheckStatus {
        checks.iter().find(|c| c.id == id && c.scope == scope).map(|c| c.status).expect("check present")
    }

    #[test]
    fn identities_pass_fail_and_not_assessable() {
        let t = sec3(&[
            ("new_received", ["3", "1", "0", "0", "0", "0", "4"]),
            ("carried_over", ["1", "0", "0", "0", "0", "0", "1"]),
            ("granted", ["2", "1", "0", "0", "0", "0", "3"]),
            ("partially_granted", ["1", "0", "0", "0", "0", "", "1"]),
            ("results_total", ["3", "1", "0", "0", "0", "0", "5"]),
            ("carried_forward", ["1", "0", "0", "0", "0", "0", "0"]),
        ]);
        let checks = run(&Table::default(), &t, &Table::default());
        assert_eq!(status(&checks, "H1", "natural_person"), CheckStatus::Pass);
        assert_eq!(status(&checks, "H1", "total"), CheckStatus::Pass);
        assert_eq!(status(&checks, "H2", "total"), CheckStatus::Fail);
        assert_eq!(status(&checks, "H2", "other_org"), CheckStatus::NotAssessable);
        assert_eq!(status(&checks, "H3", "carried_forward"), CheckStatus::Fail);
        assert_eq!(status(&checks, "H3", "granted"), CheckStatus::Pass);
        assert_eq!(status(&checks, "H5", "sec3"), CheckStatus::Pass);
        let failed = checks.iter().find(|c| c.id == "H2" && c.scope == "total").unwrap();
        assert_eq!((failed.lhs, failed.rhs), (Some(5.0), Some(4.0)));
    }

    #[test]
    fn negative_or_fractional_counts_fail_h5() {
        let t = sec3(&[("new_received", ["-1", "0.5", "0", "0", "0", "0", "0"])]);
        let checks = run(&Table::default(), &t, &Table::default());
        let h5 = checks.iter().find(|c| c.id == "H5").unwrap();
        assert_eq!(h5.status, CheckStatus::Fail);
        assert_eq!(h5.lhs, Some(2.0));
    }
}
