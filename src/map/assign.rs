//! The assignment solver: the printed values of one table row (numbers and dash marks, with the
//! gaps printed between them) → the template's cells for that row.
//!
//! A layout may have lost what separated the cells, so a row's values are read in every way the
//! template allows, each with a cost:
//! - as printed, one value per cell (cost 0, always taken when the count fits);
//! - a digit run cut into several cells (`713000074` → 71|3|0|0|0|0|74), for glued layouts;
//! - two numbers broken over a line break joined (`1` / `62` → 162), for one-cell-per-line scrapes;
//! - a value printed once for a run of equal cells expanded (`120 15 2 0 1 138` → …0|0…), for
//!   crawlers that collapse runs.
//!
//! Readings of the lowest cost that satisfy the row's identity (H3: total = the six applicant
//! columns; H4: each sec4 group's total = its four results) win. When none satisfies it the row is
//! broken as printed (a finding) and every lowest-cost reading stays a candidate for the column
//! identities to decide ([`super::stream`]). Leading zeros never start a cut number.

use crate::read::tokens::Gap;

/// One printed value of a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Digits as printed without grouping commas (a sign or decimal point kept), or the dash mark.
    pub text: String,
    pub gap: Gap,
    pub dash: bool,
}

/// Whether joining some neighbours of a row (numbers broken over lines) gives fewer values whose
/// last is the sum of the others; `joinable(i)` says whether part `i + 1` may continue part `i`.
/// Then a row of seven values that does not add up may be fewer numbers with blank cells not
/// printed (`8 21 3 5 2 1 859` for 821 35 · · 2 1 859), and the printed reading is not certain.
pub fn joined_reading_adds_up(parts: &[&str], joinable: impl Fn(usize) -> bool) -> bool {
    let digits = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if parts.len() < 3 || parts.len() > 12 || !parts.iter().all(digits) {
        return false;
    }
    // Bit i set: part i + 1 continues part i.
    let allowed: u32 = (0..parts.len() - 1).filter(|i| joinable(*i)).map(|i| 1 << i).sum();
    (1u32..1 << (parts.len() - 1)).filter(|joins| joins & !allowed == 0).any(|joins| {
        let mut numbers: Vec<String> = vec![parts[0].to_string()];
        for (i, part) in parts.iter().enumerate().skip(1) {
            match numbers.last_mut() {
                Some(last) if joins & (1 << (i - 1)) != 0 => last.push_str(part),
                _ => numbers.push(part.to_string()),
            }
        }
        if numbers.iter().any(|n| (n.len() > 1 && n.starts_with('0')) || n.len() > 15) {
            return false;
        }
        let values: Vec<u64> = numbers.iter().map(|n| n.parse().expect("digits")).collect();
        match values.split_last() {
            Some((total, parts)) if !parts.is_empty() => parts.iter().sum::<u64>() == *total,
            _ => false,
        }
    })
}

impl Item {
    pub fn number(text: &str, gap: Gap) -> Self {
        Item { text: text.to_string(), gap, dash: false }
    }
}

/// What a column may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColKind {
    Count,
    /// The 2019 `change` column: a count that may be negative.
    Signed,
    /// Money, with up to six decimals.
    Money,
}

/// The identity that ties a row's cells together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    None,
    /// The last cell is the sum of the others (sec3 H3).
    SumLast,
    /// Groups of `0` cells, each group's last cell the sum of the others (sec4 H4).
    Groups(usize),
}

/// How much each way of reading costs; the layout decides (glued text makes cutting cheap).
#[derive(Debug, Clone, Copy)]
pub struct Costs {
    pub split: u32,
    pub join: u32,
    pub expand: u32,
    pub max: u32,
}

impl Costs {
    pub const GLUED: Costs = Costs { split: 1, join: 3, expand: 3, max: 4 };
    pub const SPACED: Costs = Costs { split: 3, join: 1, expand: 1, max: 6 };
}

/// What a reading did to the printed values, for the warnings.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A digit run cut into cells; `apart` when the run was printed apart from its neighbours (a
    /// separator before and after it), where blank cells not printed would explain the row as well.
    Split {
        run: String,
        apart: bool,
    },
    Join(String, String),
    Expand(String, usize),
}

/// One way of reading a row: a value per cell (text as printed, the slice of a cut run, or the
/// dash mark) and what it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub cells: Vec<String>,
    pub cost: u32,
    pub ops: Vec<Op>,
}

impl Reading {
    pub fn values(&self) -> Vec<Option<f64>> {
        self.cells.iter().map(|c| number(c)).collect()
    }

    /// Whether this reading cuts a run printed apart from its neighbours and `rule` does not vouch
    /// for it: the row could as well have lost blank cells (a dump drops them), which puts its values
    /// in other columns. Such a reading is no more likely than those, and is not taken.
    pub fn cut_apart_unconfirmed(&self, rule: Rule) -> bool {
        self.ops.iter().any(|op| matches!(op, Op::Split { apart: true, .. }))
            && (rule == Rule::None || satisfies(&self.values(), rule) != Some(true))
    }
}

/// The result for one row.
#[derive(Debug, Clone, Default)]
pub struct Solved {
    /// Distinct readings (by value) that remain; one means the row is certain.
    pub candidates: Vec<Reading>,
    /// No reading satisfies the row's identity: the row breaks it as printed (or was misprinted).
    pub broken: bool,
    /// The search gave up (too many readings to weigh).
    pub exhausted: bool,
}

fn number(s: &str) -> Option<f64> {
    if s.is_empty() || crate::model::cell::is_dash(s) {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Whether a whole number is printed with a leading zero (`05`), which no table prints for a count.
pub fn has_leading_zero(s: &str) -> bool {
    s.len() > 1 && s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` is a number a cut could produce for a column of `kind`.
fn valid_piece(s: &str, kind: ColKind) -> bool {
    let body = match kind {
        ColKind::Signed => s.strip_prefix(['-', '+']).unwrap_or(s),
        _ => s,
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) if kind == ColKind::Money => (i, Some(f)),
        Some(_) => return false,
        None => (body, None),
    };
    let int_ok = !int.is_empty()
        && int.len() <= 12
        && int.bytes().all(|b| b.is_ascii_digit())
        && (int.len() == 1 || !int.starts_with('0'));
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.len() <= 6 && f.bytes().all(|b| b.is_ascii_digit()));
    int_ok && frac_ok
}

/// Whether a printed value can stand as one cell of `kind` as printed.
fn valid_as_printed(item: &Item, kind: ColKind) -> bool {
    if item.dash {
        return true;
    }
    match kind {
        ColKind::Count => item.text.bytes().all(|b| b.is_ascii_digit()) && item.text.len() <= 14,
        ColKind::Signed => {
            let b = item.text.strip_prefix(['-', '+']).unwrap_or(&item.text);
            !b.is_empty() && b.bytes().all(|b| b.is_ascii_digit()) && b.len() <= 14
        }
        ColKind::Money => number(&item.text).is_some() && item.text.split('.').next().is_some_and(|i| i.len() <= 14),
    }
}

/// Whether the values satisfy the rule: `Some(true)`/`Some(false)`, or `None` when a cell in it is
/// not a number.
pub fn satisfies(values: &[Option<f64>], rule: Rule) -> Option<bool> {
    let sum_last = |vals: &[Option<f64>]| -> Option<bool> {
        let (last, parts) = vals.split_last()?;
        let total = (*last)?;
        let sum = parts.iter().try_fold(0.0, |acc, v| v.map(|v| acc + v))?;
        Some((sum - total).abs() < 1e-9)
    };
    match rule {
        Rule::None => Some(true),
        Rule::SumLast => sum_last(values),
        Rule::Groups(size) => {
            let mut all = Some(true);
            for group in values.chunks(size) {
                match sum_last(group) {
                    Some(false) => return Some(false),
                    None => all = None,
                    Some(true) => {}
                }
            }
            all
        }
    }
}

/// Whether run `i` of a row was printed apart from its neighbours (a separator before it and
/// after it) as a count may be: a run no count prints as one (`00`) is cells whatever else the
/// row lost.
fn printed_apart(items: &[Item], i: usize) -> bool {
    items[i].gap != Gap::None
        && items.get(i + 1).is_none_or(|next| next.gap != Gap::None)
        && !has_leading_zero(&items[i].text)
}

/// Whether each of a row's printed runs cuts into counts one way only, whatever number of cells the
/// row held (`0000002`: no count but `0` starts with a zero, so seven single digits). Such a cut is
/// as certain as the row printed apart, and an identity it breaks is the report's own finding.
pub fn cuts_one_way(items: &[Item]) -> bool {
    items.iter().all(|i| !i.dash && i.text.bytes().all(|b| b.is_ascii_digit()) && segmentations(i.text.as_bytes()) == 1)
}

/// In how many ways `digits` cut into counts (pieces of at most 12 digits, no leading zero),
/// counted up to 2.
fn segmentations(digits: &[u8]) -> usize {
    let n = digits.len();
    if n == 0 {
        return 0;
    }
    // ways[k]: cuts of digits[k..].
    let mut ways = vec![0usize; n + 1];
    ways[n] = 1;
    for k in (0..n).rev() {
        ways[k] = if digits[k] == b'0' {
            ways[k + 1]
        } else {
            (k + 1..=n.min(k + 12)).map(|end| ways[end]).sum::<usize>().min(2)
        };
    }
    ways[0]
}

/// Cap on readings enumerated for one row.
const MAX_READINGS: usize = 20_000;
/// Cap on search steps for one row.
const MAX_STEPS: usize = 400_000;

struct Search<'a> {
    items: &'a [Item],
    collapsible: bool,
    kinds: &'a [ColKind],
    costs: Costs,
    out: Vec<Reading>,
    steps: usize,
    exhausted: bool,
}

impl Search<'_> {
    fn n(&self) -> usize {
        self.kinds.len()
    }

    fn go(&mut self, i: usize, cells: &mut Vec<String>, cost: u32, ops: &mut Vec<Op>) {
        self.steps += 1;
        crate::budget::checkpoint();
        if self.steps > MAX_STEPS || self.out.len() >= MAX_READINGS {
            self.exhausted = true;
            return;
        }
        let n = self.n();
        if i == self.items.len() {
            if cells.len() == n {
                self.out.push(Reading { cells: cells.clone(), cost, ops: ops.clone() });
            }
            return;
        }
        let left = n - cells.len();
        // Every item left yields at least one cell unless joined; joins are rare, so prune loosely.
        if left == 0 {
            return;
        }
        let item = &self.items[i];
        let kind = self.kinds[cells.len()];
        if item.dash {
            cells.push(item.text.clone());
            self.go(i + 1, cells, cost, ops);
            cells.pop();
            return;
        }
        // As printed (`01` is no printed count: digits of two cells ran together).
        if valid_as_printed(item, kind) && (kind == ColKind::Money || !has_leading_zero(&item.text)) {
            cells.push(item.text.clone());
            self.go(i + 1, cells, cost, ops);
            cells.pop();
        }
        // Joined with the next number across a line break.
        if let Some(next) = self.items.get(i + 1)
            && !next.dash
            && next.gap == Gap::Line
            && cost + self.costs.join <= self.costs.max
        {
            let joined = format!("{}{}", item.text, next.text);
            if valid_piece(&joined, kind) {
                cells.push(joined);
                ops.push(Op::Join(item.text.clone(), next.text.clone()));
                self.go(i + 2, cells, cost + self.costs.join, ops);
                ops.pop();
                cells.pop();
            }
        }
        // Cut into several cells. A run no count prints as one (`00`, `05`) is several cells, or
        // the end of a number broken before it: cutting it is no more a guess than that join.
        let split_cost = if kind != ColKind::Money && has_leading_zero(&item.text) {
            self.costs.split.min(self.costs.join)
        } else {
            self.costs.split
        };
        if left >= 2 && item.text.len() >= 2 && cost + split_cost <= self.costs.max {
            let max_parts = left.min(item.text.len());
            // The last item must fill every cell left: fewer pieces end no reading, so they are
            // not enumerated (a long glued run has hundreds of thousands of cuts).
            let min_parts = if i + 1 == self.items.len() { left } else { 2 };
            for parts in min_parts..=max_parts {
                let kinds = &self.kinds[cells.len()..cells.len() + parts];
                let mut pieces = Vec::new();
                let mut found = Vec::new();
                cut(&item.text, kinds, &mut pieces, &mut found, &mut self.steps);
                for split in found {
                    let before = cells.len();
                    cells.extend(split);
                    ops.push(Op::Split { run: item.text.clone(), apart: printed_apart(self.items, i) });
                    self.go(i + 1, cells, cost + split_cost, ops);
                    ops.pop();
                    cells.truncate(before);
                    if self.exhausted {
                        return;
                    }
                }
            }
        }
        // Expanded: printed once for a run of equal cells. A crawler that collapses runs never prints
        // two equal values side by side, so a row that does lost cells some other way.
        if left >= 2 && cost + self.costs.expand <= self.costs.max && valid_piece(&item.text, kind) && self.collapsible
        {
            for copies in 2..=left {
                let before = cells.len();
                cells.extend(std::iter::repeat_n(item.text.clone(), copies));
                ops.push(Op::Expand(item.text.clone(), copies));
                self.go(i + 1, cells, cost + self.costs.expand, ops);
                ops.pop();
                cells.truncate(before);
            }
        }
    }
}

/// Every way to cut `s` into `kinds.len()` valid pieces.
fn cut(s: &str, kinds: &[ColKind], pieces: &mut Vec<String>, out: &mut Vec<Vec<String>>, steps: &mut usize) {
    *steps += 1;
    crate::budget::checkpoint();
    if *steps > MAX_STEPS || out.len() >= MAX_READINGS {
        return;
    }
    if kinds.len() == 1 {
        if valid_piece(s, kinds[0]) {
            pieces.push(s.to_string());
            out.push(pieces.clone());
            pieces.pop();
        }
        return;
    }
    let bytes = s.as_bytes();
    for len in 1..=bytes.len().saturating_sub(kinds.len() - 1) {
        if !s.is_char_boundary(len) {
            continue;
        }
        let head = &s[..len];
        if valid_piece(head, kinds[0]) {
            pieces.push(head.to_string());
            cut(&s[len..], &kinds[1..], pieces, out, steps);
            pieces.pop();
        } else if head.len() > 1 && head.starts_with('0') && !head.contains('.') {
            break; // a longer head with a leading zero is no better
        }
    }
}

/// Cuts of one digit run that satisfy a sum rule directly: choose the parts, then the total must be
/// the digits of their sum. Much faster than enumerating every cut when runs are long. The search
/// keeps byte offsets and numbers, and makes strings only for a cut that is found: a hostile run
/// costs its step cap in arithmetic, not in allocations.
fn sum_cuts(s: &str, parts: usize, groups: usize, out: &mut Vec<Vec<String>>, steps: &mut usize) {
    struct Cuts<'a> {
        s: &'a [u8],
        parts: usize,
        /// The end offset of every piece chosen so far (parts and totals).
        ends: Vec<usize>,
        out: &'a mut Vec<Vec<String>>,
        steps: &'a mut usize,
    }
    impl Cuts<'_> {
        fn group(&mut self, at: usize, groups_left: usize) {
            if groups_left == 0 {
                if at == self.s.len() {
                    let text = std::str::from_utf8(self.s).unwrap_or_default();
                    let mut start = 0;
                    let cut = self.ends.iter().map(|&end| std::mem::replace(&mut start, end)..end);
                    let cells = cut.map(|range| text[range].to_string()).collect();
                    self.out.push(cells);
                }
                return;
            }
            self.parts_of(at, self.parts, 0, groups_left);
        }

        fn parts_of(&mut self, at: usize, left: usize, sum: u64, groups_left: usize) {
            *self.steps += 1;
            crate::budget::checkpoint();
            if *self.steps > MAX_STEPS || self.out.len() >= MAX_READINGS {
                return;
            }
            let rest = &self.s[at..];
            if left == 0 {
                let width = digits(sum);
                if rest.len() >= width && number_is(&rest[..width], sum) {
                    self.ends.push(at + width);
                    self.group(at + width, groups_left - 1);
                    self.ends.pop();
                }
                return;
            }
            let mut value: u64 = 0;
            for len in 1..=rest.len().min(12) {
                // A count has no leading zero (`0` alone is one).
                if len > 1 && rest[0] == b'0' {
                    break;
                }
                value = value * 10 + u64::from(rest[len - 1] - b'0');
                let Some(next) = sum.checked_add(value) else { break };
                // The parts still to come take a digit each, and the total at least as many
                // digits as the sum so far.
                if rest.len() - len < (left - 1) + digits(next) {
                    break;
                }
                self.ends.push(at + len);
                self.parts_of(at + len, left - 1, next, groups_left);
                self.ends.pop();
            }
        }
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    let mut cuts = Cuts { s: s.as_bytes(), parts, ends: Vec::new(), out, steps };
    cuts.group(0, groups);
}

/// How many decimal digits `n` prints with.
fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// Whether `text` (ASCII digits) is `n` printed, without leading zeros.
fn number_is(text: &[u8], n: u64) -> bool {
    let mut value: u64 = 0;
    for &b in text {
        value = match value.checked_mul(10).and_then(|v| v.checked_add(u64::from(b - b'0'))) {
            Some(v) => v,
            None => return false,
        };
    }
    value == n && (text.len() == 1 || text[0] != b'0')
}

/// Read one row's printed values into `kinds.len()` cells under `rule`.
pub fn solve(items: &[Item], kinds: &[ColKind], rule: Rule, costs: Costs) -> Solved {
    let n = kinds.len();
    // Empty cells at the ends of a row beyond its width are merged-cell padding.
    let mut items = items;
    while items.len() > n && items.first().is_some_and(|i| i.text.is_empty()) {
        items = &items[1..];
    }
    while items.len() > n && items.last().is_some_and(|i| i.text.is_empty()) {
        items = &items[..items.len() - 1];
    }
    // A sign before digits where no column may be negative is a dash cell glued to the number.
    let unsigned: Vec<Item>;
    if !kinds.contains(&ColKind::Signed) && items.iter().any(|i| !i.dash && i.text.starts_with(['-', '+'])) {
        unsigned = items
            .iter()
            .flat_map(|i| match i.text.strip_prefix(['-', '+']) {
                Some(rest) if !i.dash => {
                    vec![Item { text: i.text[..1].to_string(), gap: i.gap, dash: true }, Item::number(rest, Gap::None)]
                }
                _ => vec![i.clone()],
            })
            .collect();
        items = &unsigned;
    }
    if items.is_empty() || n == 0 {
        return Solved::default();
    }
    // As printed when the count fits: a broken identity is then a finding, not a reason to re-read.
    if items.len() == n && items.iter().zip(kinds).all(|(it, k)| valid_as_printed(it, *k)) {
        let cells = items.iter().map(|i| i.text.clone()).collect();
        let reading = Reading { cells, cost: 0, ops: Vec::new() };
        let broken = satisfies(&reading.values(), rule) == Some(false);
        // `05` is no printed count: a number broke there (`8` / `05` for 805), and the row cannot
        // be placed as printed.
        if broken && items.iter().any(|i| !i.dash && has_leading_zero(&i.text)) {
            return Solved::default();
        }
        return Solved { candidates: vec![reading], broken, exhausted: false };
    }
    let mut steps = 0;
    // One glued run under a sum rule: cut it by the rule directly.
    if items.len() == 1
        && !items[0].dash
        && costs.split <= costs.max
        && items[0].text.bytes().all(|b| b.is_ascii_digit())
    {
        let groups = match rule {
            Rule::SumLast => Some((n - 1, 1)),
            Rule::Groups(size) if n.is_multiple_of(size) => Some((size - 1, n / size)),
            _ => None,
        };
        if let Some((parts, groups)) = groups {
            let mut found = Vec::new();
            sum_cuts(&items[0].text, parts, groups, &mut found, &mut steps);
            if !found.is_empty() && steps <= MAX_STEPS {
                let candidates = found
                    .into_iter()
                    .map(|cells| Reading {
                        cells,
                        cost: costs.split,
                        ops: vec![Op::Split { run: items[0].text.clone(), apart: printed_apart(items, 0) }],
                    })
                    .collect();
                return Solved { candidates: distinct(candidates), broken: false, exhausted: false };
            }
        }
    }
    let collapsible = items.windows(2).all(|w| w[0].text != w[1].text) && items.iter().all(|i| i.gap != Gap::Cell);
    let mut search = Search { items, kinds, collapsible, costs, out: Vec::new(), steps, exhausted: false };
    search.go(0, &mut Vec::with_capacity(n), 0, &mut Vec::new());
    let exhausted = search.exhausted;
    let mut readings = search.out;
    if readings.is_empty() {
        return Solved { candidates: Vec::new(), broken: false, exhausted };
    }
    readings.sort_by_key(|r| r.cost);
    let min_cost = readings[0].cost;
    for cost in min_cost..=costs.max {
        let fitting: Vec<Reading> =
            readings.iter().filter(|r| r.cost == cost && satisfies(&r.values(), rule) == Some(true)).cloned().collect();
        if !fitting.is_empty() {
            return Solved { candidates: distinct(fitting), broken: false, exhausted };
        }
    }
    let cheapest: Vec<Reading> = readings.into_iter().filter(|r| r.cost == min_cost).collect();
    // Broken only when every reading contradicts the rule; a dash or blank makes it unassessable.
    let broken = rule != Rule::None && cheapest.iter().all(|r| satisfies(&r.values(), rule) == Some(false));
    Solved { candidates: distinct(cheapest), broken, exhausted }
}

/// Readings that differ in value, first of each kept. Hashed by value (readings of equal values
/// print equal numbers), so tens of thousands of readings cost no more than reading them.
fn distinct(readings: Vec<Reading>) -> Vec<Reading> {
    let mut seen = std::collections::HashSet::new();
    // `+ 0.0` makes -0 and 0 one value, as `==` has them.
    let key = |r: &Reading| -> Vec<Option<u64>> { r.values().iter().map(|v| v.map(|x| (x + 0.0).to_bits())).collect() };
    readings.into_iter().filter(|r| seen.insert(key(r))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(parts: &[(&str, Gap)]) -> Vec<Item> {
        parts.iter().map(|(t, g)| Item::number(t, *g)).collect()
    }

    fn values(s: &Solved) -> Vec<Vec<Option<f64>>> {
        s.candidates.iter().map(|r| r.values()).collect()
    }

    fn v(xs: &[f64]) -> Vec<Option<f64>> {
        xs.iter().map(|x| Some(*x)).collect()
    }

    const SEC3: [ColKind; 7] = [ColKind::Count; 7];

    #[test]
    fn a_leading_zero_is_never_one_printed_count() {
        let s = solve(&items(&[("1", Gap::Space), ("01", Gap::None)]), &[ColKind::Count; 3], Rule::None, Costs::SPACED);
        assert_eq!(values(&s), vec![v(&[1.0, 0.0, 1.0])]);
    }

    #[test]
    fn joined_readings_that_add_up() {
        let row = ["8", "21", "3", "5", "2", "1", "859"];
        assert!(joined_reading_adds_up(&row, |_| true));
        // Only where a line break stands may two parts be one number.
        assert!(!joined_reading_adds_up(&row, |i| i >= 2));
        // A broken identity that no joining explains stays a finding.
        assert!(!joined_reading_adds_up(&["12", "3", "0", "1", "0", "0", "17"], |_| true));
        assert!(!joined_reading_adds_up(&["3", "-", "3"], |_| true));
    }

    #[test]
    fn glued_runs_cut_by_the_row_total() {
        let s = solve(&items(&[("713000074", Gap::None)]), &SEC3, Rule::SumLast, Costs::GLUED);
        assert_eq!(values(&s), vec![v(&[71.0, 3.0, 0.0, 0.0, 0.0, 0.0, 74.0])]);
        assert_eq!(s.candidates[0].cells[6], "74");
        let s = solve(&items(&[("0000000", Gap::None)]), &SEC3, Rule::SumLast, Costs::GLUED);
        assert_eq!(values(&s), vec![v(&[0.0; 7])]);
    }

    #[test]
    fn numbers_broken_over_lines_are_joined() {
        let row = items(&[
            ("1", Gap::Line),
            ("62", Gap::Line),
            ("0", Gap::Line),
            ("0", Gap::Line),
            ("0", Gap::Line),
            ("0", Gap::Line),
            ("0", Gap::Line),
            ("162", Gap::Line),
        ]);
        let s = solve(&row, &SEC3, Rule::SumLast, Costs::SPACED);
        assert_eq!(values(&s), vec![v(&[162.0, 0.0, 0.0, 0.0, 0.0, 0.0, 162.0])]);
    }

    #[test]
    fn collapsed_runs_expand_when_one_expansion_fits() {
        let row = items(&[
            ("120", Gap::Space),
            ("15", Gap::Space),
            ("2", Gap::Space),
            ("0", Gap::Space),
            ("1", Gap::Space),
            ("138", Gap::Space),
        ]);
        let s = solve(&row, &SEC3, Rule::SumLast, Costs::SPACED);
        assert_eq!(values(&s), vec![v(&[120.0, 15.0, 2.0, 0.0, 0.0, 1.0, 138.0])]);
        let s = solve(&items(&[("0", Gap::Space)]), &SEC3, Rule::SumLast, Costs::SPACED);
        assert_eq!(values(&s), vec![v(&[0.0; 7])]);
        let s = solve(&items(&[("0", Gap::Space)]), &[ColKind::Count; 15], Rule::Groups(5), Costs::SPACED);
        assert_eq!(values(&s), vec![v(&[0.0; 15])]);
        // Two equal values side by side: not a collapsed row, so no expansion is tried.
        let row =
            items(&[("5", Gap::Space), ("0", Gap::Space), ("0", Gap::Space), ("0", Gap::Space), ("5", Gap::Space)]);
        let s = solve(&row, &SEC3, Rule::SumLast, Costs::SPACED);
        assert!(s.candidates.iter().all(|r| r.ops.iter().all(|op| !matches!(op, Op::Expand(..)))), "{s:?}");
    }

    #[test]
    fn a_row_that_fits_as_printed_is_kept_even_when_it_breaks_its_identity() {
        let row = items(&[("1", Gap::Space); 7]);
        let s = solve(&row, &SEC3, Rule::SumLast, Costs::SPACED);
        assert_eq!(s.candidates.len(), 1);
        assert!(s.broken);
    }

    #[test]
    fn an_unsplittable_run_is_never_one_number() {
        // 20000011 cannot be seven cells that add up: the row is broken, every cheapest cut remains.
        let s = solve(&items(&[("20000011", Gap::None)]), &SEC3, Rule::SumLast, Costs::GLUED);
        assert!(s.broken);
        assert!(s.candidates.len() > 1);
        assert!(s.candidates.iter().all(|r| r.cells.len() == 7));
    }

    #[test]
    fn runs_no_count_prints_are_cut_in_spaced_rows_too() {
        // Zeros of adjacent cells printed together (`00`, `000`) in an otherwise spaced sec4.
        let printed = ["0", "00", "0", "000", "0", "00", "00", "0", "0", "0"];
        let row: Vec<Item> = printed.iter().map(|t| Item::number(t, Gap::Space)).collect();
        let s = solve(&row, &[ColKind::Count; 15], Rule::Groups(5), Costs::SPACED);
        assert_eq!(values(&s), vec![v(&[0.0; 15])]);
        // A value that may be one number is not cut at that price: `10` stays ten.
        let row = items(&[("10", Gap::Space), ("0", Gap::Space), ("10", Gap::Space)]);
        let s = solve(&row, &[ColKind::Count; 4], Rule::SumLast, Costs::SPACED);
        assert!(s.candidates.iter().all(|r| r.cells.contains(&"10".to_string()) || r.cost > 1), "{s:?}");
    }

    #[test]
    fn sec4_glued_run_cut_by_group_totals() {
        let s = solve(&items(&[("100010000000000", Gap::None)]), &[ColKind::Count; 15], Rule::Groups(5), Costs::GLUED);
        assert_eq!(values(&s), vec![v(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])]);
    }

    #[test]
    fn signs_glued_to_numbers() {
        // 2019 items: 178 | -3 | 586, and nothing else once the sign is the change's.
        let kinds = [ColKind::Count, ColKind::Signed, ColKind::Count];
        let s = solve(&items(&[("178", Gap::None), ("-3586", Gap::None)]), &kinds, Rule::None, Costs::GLUED);
        assert!(values(&s).contains(&v(&[178.0, -3.0, 586.0])), "{s:?}");
        assert!(values(&s).iter().all(|r| r[2] != Some(3586.0)), "{s:?}");
        // Counts cannot be negative: the minus is a dash cell.
        let s = solve(&items(&[("1", Gap::None), ("-0", Gap::None)]), &[ColKind::Count; 3], Rule::None, Costs::GLUED);
        assert_eq!(s.candidates.len(), 1);
        assert_eq!(s.candidates[0].cells, vec!["1", "-", "0"]);
    }

    #[test]
    fn runs_of_zeros_and_one_last_digit_cut_one_way() {
        assert!(cuts_one_way(&items(&[("0000002", Gap::None)])));
        assert!(cuts_one_way(&items(&[("000", Gap::None), ("5", Gap::Space)])));
        // `20` may be one count or two cells; `0012` may end in 12.
        assert!(!cuts_one_way(&items(&[("2000002", Gap::None)])));
        assert!(!cuts_one_way(&items(&[("0012", Gap::None)])));
        assert!(!cuts_one_way(&[Item { text: "-".into(), gap: Gap::None, dash: true }]));
    }

    #[test]
    fn sec2_runs_without_identity_keep_every_cut() {
        let s = solve(&items(&[("8855698", Gap::None)]), &[ColKind::Count; 3], Rule::None, Costs::GLUED);
        assert_eq!(s.candidates.len(), 15);
        let s = solve(&items(&[("000", Gap::None)]), &[ColKind::Count; 3], Rule::None, Costs::GLUED);
        assert_eq!(values(&s), vec![v(&[0.0; 3])]);
    }
}
