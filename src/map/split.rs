//! Splitting digit runs whose cell separators were lost (`8855698` → 88 | 55 | 698).
//!
//! A run of n digits can be cut into k numbers in C(n-1, k-1) ways; printed numbers have no leading
//! zeros, which removes most of them. What is left is ranked by the report's own arithmetic (row
//! totals H3 and column identities H1/H2 for sec3) and then by the narrative, which often repeats a
//! table number with its unit (`现行有效行政规范性文件698件`). When more than one split survives every
//! test, the caller keeps the first and says so in the warnings.

/// Every way to cut `digits` into `parts` numbers without leading zeros (a lone `0` is fine).
pub fn splits(digits: &str, parts: usize) -> Vec<Vec<u64>> {
    let bytes = digits.as_bytes();
    let mut out = Vec::new();
    if parts == 0 || bytes.len() < parts || bytes.len() > 40 || !bytes.iter().all(u8::is_ascii_digit) {
        return out;
    }
    let mut current = Vec::with_capacity(parts);
    fn go(bytes: &[u8], parts: usize, current: &mut Vec<u64>, out: &mut Vec<Vec<u64>>) {
        if parts == 1 {
            if let Some(n) = number(bytes) {
                current.push(n);
                out.push(current.clone());
                current.pop();
            }
            return;
        }
        for len in 1..=bytes.len() + 1 - parts {
            if let Some(n) = number(&bytes[..len]) {
                current.push(n);
                go(&bytes[len..], parts - 1, current, out);
                current.pop();
            }
        }
    }
    go(bytes, parts, &mut current, &mut out);
    out
}

fn number(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || (bytes.len() > 1 && bytes[0] == b'0') || bytes.len() > 15 {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// Splits of a sec3 row: the six applicant columns must add up to the printed total (H3).
pub fn sec3_row_splits(digits: &str, columns: usize) -> Vec<Vec<u64>> {
    splits(digits, columns).into_iter().filter(|s| s[..s.len() - 1].iter().sum::<u64>() == s[s.len() - 1]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumerates_splits_without_leading_zeros() {
        assert_eq!(splits("000", 3), vec![vec![0, 0, 0]]);
        assert_eq!(splits("105", 2), vec![vec![10, 5]]);
        assert_eq!(splits("8855698", 3).len(), 15);
        assert!(splits("12", 3).is_empty());
    }

    #[test]
    fn sec3_rows_must_add_up() {
        assert_eq!(sec3_row_splits("713000074", 7), vec![vec![71, 3, 0, 0, 0, 0, 74]]);
        assert_eq!(sec3_row_splits("0000000", 7), vec![vec![0; 7]]);
        assert_eq!(sec3_row_splits("370000037", 7).len(), 1);
        // 1|1|0|0|0|0|2 and 11|0|0|0|0|0|... : only the first adds up.
        assert_eq!(sec3_row_splits("1100002", 7), vec![vec![1, 1, 0, 0, 0, 0, 2]]);
    }
}
