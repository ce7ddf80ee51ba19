//! The fuzz targets' harnesses, shared with the regression test that runs every seed and every
//! input a fuzzer found (tests/suite/hostile.rs), so a finding stays fixed in CI.

use gongkai::map::assign::{ColKind, Costs, Item, Rule, solve};
use gongkai::read::tokens::Gap;

/// The whole parse of one file read as `.ext`: reader, token stream, mapper, checks, region.
pub fn parse(data: &[u8], ext: &str) {
    // An error is a fine outcome for noise; a panic, a hang or a blow-up is a finding.
    let _ = gongkai::parse::parse_bytes(data, &format!("fuzz.{ext}"));
}

/// The digit-run / assignment solver on one row: the first byte is the row's shape (width,
/// column kinds, identity, costs), the rest its printed values and the separators between them.
pub fn assign(data: &[u8]) {
    let Some((&shape, rest)) = data.split_first() else { return };
    let width = 1 + usize::from(shape % 15);
    let kinds: Vec<ColKind> = (0..width)
        .map(|i| match (shape >> 4, i) {
            (1, 3) => ColKind::Signed,
            (2, _) if i + 1 == width => ColKind::Money,
            _ => ColKind::Count,
        })
        .collect();
    let rule = match (shape >> 6) & 3 {
        0 => Rule::None,
        1 => Rule::SumLast,
        _ => Rule::Groups(1 + width / 3),
    };
    let costs = if shape & 0x80 == 0 { Costs::GLUED } else { Costs::SPACED };
    // Items: runs of digits (and `.`, `-`, `/`) as printed; the byte before each says the gap.
    let text = String::from_utf8_lossy(rest);
    let mut items = Vec::new();
    let mut gap = Gap::None;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '0'..='9' | '.' | '-' => current.push(c),
            '/' => items.push(Item { text: "/".into(), gap, dash: true }),
            _ => {
                if !current.is_empty() {
                    items.push(Item { text: std::mem::take(&mut current), gap, dash: false });
                }
                gap = match c {
                    ' ' => Gap::Space,
                    '\t' | '|' => Gap::Cell,
                    '\n' => Gap::Line,
                    _ => Gap::None,
                };
            }
        }
        if items.len() > 64 {
            return;
        }
    }
    if !current.is_empty() {
        items.push(Item { text: current, gap, dash: false });
    }
    let solved = solve(&items, &kinds, rule, costs);
    for reading in &solved.candidates {
        assert_eq!(reading.cells.len(), width, "a reading fills every cell");
    }
}
