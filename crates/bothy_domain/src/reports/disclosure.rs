//! Disclosure control: small counts are not published.
//!
//! Rule (Public Health Scotland, "Statistical Disclosure Control Protocol",
//! and NHS Digital's suppression rules for NHS Talking Therapies
//! publications, both of which suppress counts of 1 to 4 people): a count
//! from 1 to `threshold - 1` is replaced by `*`. Zero is shown: it says that
//! nobody in the group had the event, which discloses nothing about a
//! person the way 1 to 4 could, and hiding it would make every sparse
//! table unreadable (docs/reports.md).
//!
//! Secondary suppression: where a row or column total is published, one
//! suppressed cell on that line could be recovered by subtraction, so the
//! next smallest shown cell on the line is suppressed too (a non-zero one
//! first), or, when there is none, the total itself. This repeats until no
//! line has exactly one hidden value. It is the common "next smallest cell"
//! heuristic; it does not solve the table as a linear system, which is why
//! the threshold is a setting a deployment can raise.

/// The threshold: counts from 1 to `threshold - 1` are suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Suppression {
    pub threshold: u64,
}

impl Default for Suppression {
    fn default() -> Self {
        Suppression { threshold: 5 }
    }
}

impl Suppression {
    /// No suppression: for staff reading their own caseload.
    pub const NONE: Suppression = Suppression { threshold: 1 };

    /// Whether a count alone must be hidden.
    pub fn is_small(self, n: u64) -> bool {
        n > 0 && n < self.threshold
    }

    /// One count with no totals beside it.
    pub fn cell(self, n: u64) -> Cell {
        if self.is_small(n) {
            Cell::Suppressed
        } else {
            Cell::Shown(n)
        }
    }
}

/// A count as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Cell {
    Shown(u64),
    Suppressed,
}

impl Cell {
    pub fn shown(self) -> Option<u64> {
        match self {
            Cell::Shown(n) => Some(n),
            Cell::Suppressed => None,
        }
    }

    /// "12" or "*", as tables and CSV files write it.
    pub fn text(self) -> String {
        match self {
            Cell::Shown(n) => n.to_string(),
            Cell::Suppressed => "*".to_string(),
        }
    }
}

/// A table after suppression: the cells, each row's total and each
/// column's total (present when the caller asked for them), and the grand
/// total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    pub cells: Vec<Vec<Cell>>,
    pub row_totals: Option<Vec<Cell>>,
    pub col_totals: Option<Vec<Cell>>,
    pub total: Option<Cell>,
}

/// Suppresses a rectangular table of counts whose rows and/or columns add
/// up to totals that are published with it.
pub fn suppress_table(
    counts: &[Vec<u64>],
    rule: Suppression,
    row_totals: bool,
    col_totals: bool,
) -> Suppressed {
    let rows = counts.len();
    let cols = counts.first().map_or(0, Vec::len);
    let mut hidden: Vec<Vec<bool>> = counts
        .iter()
        .map(|r| r.iter().map(|&n| rule.is_small(n)).collect())
        .collect();
    let row_sum: Vec<u64> = counts.iter().map(|r| r.iter().sum()).collect();
    let col_sum: Vec<u64> = (0..cols)
        .map(|c| counts.iter().map(|r| r[c]).sum())
        .collect();
    let mut row_hidden: Vec<bool> = row_sum.iter().map(|&n| rule.is_small(n)).collect();
    let mut col_hidden: Vec<bool> = col_sum.iter().map(|&n| rule.is_small(n)).collect();
    loop {
        let mut changed = false;
        if row_totals {
            for r in 0..rows {
                let line: Vec<(u64, bool)> =
                    (0..cols).map(|c| (counts[r][c], hidden[r][c])).collect();
                if let Some(fix) = complement(&line, row_hidden[r]) {
                    match fix {
                        Some(c) => hidden[r][c] = true,
                        None => row_hidden[r] = true,
                    }
                    changed = true;
                }
            }
        }
        if col_totals {
            for c in 0..cols {
                let line: Vec<(u64, bool)> =
                    (0..rows).map(|r| (counts[r][c], hidden[r][c])).collect();
                if let Some(fix) = complement(&line, col_hidden[c]) {
                    match fix {
                        Some(r) => hidden[r][c] = true,
                        None => col_hidden[c] = true,
                    }
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let cell = |n: u64, h: bool| if h { Cell::Suppressed } else { Cell::Shown(n) };
    let grand: u64 = row_sum.iter().sum();
    Suppressed {
        cells: (0..rows)
            .map(|r| {
                (0..cols)
                    .map(|c| cell(counts[r][c], hidden[r][c]))
                    .collect()
            })
            .collect(),
        row_totals: row_totals
            .then(|| (0..rows).map(|r| cell(row_sum[r], row_hidden[r])).collect()),
        col_totals: col_totals
            .then(|| (0..cols).map(|c| cell(col_sum[c], col_hidden[c])).collect()),
        total: (row_totals || col_totals).then(|| rule.cell(grand)),
    }
}

/// For one line whose total is published: when exactly one value on it is
/// hidden (a cell, with the total shown), which cell to hide as well
/// (`Some(Some(index))`: the smallest shown, non-zero ones first) or that
/// the total must go (`Some(None)`); `None` when the line is safe.
fn complement(line: &[(u64, bool)], total_hidden: bool) -> Option<Option<usize>> {
    if total_hidden {
        return None;
    }
    let hidden = line.iter().filter(|(_, h)| *h).count();
    if hidden != 1 {
        return None;
    }
    let pick = line
        .iter()
        .enumerate()
        .filter(|(_, (_, h))| !h)
        .min_by_key(|(_, (n, _))| (*n == 0, *n))
        .map(|(i, _)| i);
    Some(pick)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Cell::{Shown as S, Suppressed as X};

    #[test]
    fn one_to_four_hidden_zero_and_five_shown() {
        let rule = Suppression::default();
        assert_eq!(rule.cell(0), S(0));
        for n in 1..5 {
            assert_eq!(rule.cell(n), X);
        }
        assert_eq!(rule.cell(5), S(5));
        assert_eq!(Suppression { threshold: 10 }.cell(9), X);
        assert_eq!(Suppression::NONE.cell(1), S(1));
    }

    #[test]
    fn a_lone_small_cell_takes_the_next_smallest_with_it() {
        // Column totals published: 3 alone would be total - 20 - 9.
        let t = suppress_table(
            &[vec![20], vec![3], vec![9], vec![40]],
            Suppression::default(),
            false,
            true,
        );
        assert_eq!(t.cells, vec![vec![S(20)], vec![X], vec![X], vec![S(40)]]);
        assert_eq!(t.col_totals, Some(vec![S(72)]));
    }

    #[test]
    fn zeros_are_not_used_as_the_complement_when_a_count_is_there() {
        let t = suppress_table(
            &[vec![0], vec![2], vec![30], vec![7]],
            Suppression::default(),
            false,
            true,
        );
        assert_eq!(t.cells, vec![vec![S(0)], vec![X], vec![S(30)], vec![X]]);
    }

    #[test]
    fn a_small_total_is_hidden_and_needs_no_complement() {
        let t = suppress_table(&[vec![0], vec![3]], Suppression::default(), false, true);
        assert_eq!(t.cells, vec![vec![S(0)], vec![X]]);
        assert_eq!(t.col_totals, Some(vec![X]));
        assert_eq!(t.total, Some(X));
    }

    #[test]
    fn two_way_tables_stay_safe_on_every_line() {
        let counts = vec![vec![12, 3, 8], vec![10, 15, 20], vec![7, 9, 30]];
        let t = suppress_table(&counts, Suppression::default(), true, true);
        // Every row and column with a published total has 0 or 2+ hidden cells.
        for r in 0..3 {
            let h = t.cells[r].iter().filter(|c| **c == X).count();
            assert!(h != 1, "row {r}: {:?}", t.cells);
        }
        for c in 0..3 {
            let h = (0..3).filter(|&r| t.cells[r][c] == X).count();
            assert!(h != 1, "column {c}: {:?}", t.cells);
        }
        assert_eq!(t.cells[0][1], X);
        assert_eq!(t.total, Some(S(114)));
    }

    #[test]
    fn without_totals_only_small_counts_go() {
        let t = suppress_table(&[vec![3, 50]], Suppression::default(), false, false);
        assert_eq!(t.cells, vec![vec![X, S(50)]]);
        assert_eq!(t.total, None);
    }
}
