//! The privacy rule for every figure shown to staff or in a comparison: nothing drawn from fewer
//! than [`MIN_GROUP`] firms, since so few could be recognised, and nothing that can be worked
//! out by subtraction. Every reader of aggregates (the dashboard, `/api/v1/stats`, the exports,
//! the result page's peer comparison) decides through this module:
//!
//! - [`shown`]: a figure of 1–4 firms is withheld;
//! - [`table`]: complementary suppression within a table whose total is shown: when the
//!   withheld cells together hold 1–4 firms (the total minus the shown cells would give them),
//!   the next smallest shown cells are withheld too, until the withheld total is 0 or ≥ 5;
//! - [`check_view`]: a whole view (a set of filters) is shown only if every coarser view, got by
//!   dropping any subset of its filters (`from` and `to` count as two), holds 0 or ≥ 5 firms
//!   more than it, and, when it has a date range, every month in it holds 0 or ≥ 5 of its firms.
//!   Otherwise two answers could be subtracted to single out a few firms.

/// Smallest number of firms a shown figure may be drawn from.
pub const MIN_GROUP: u64 = 5;

/// What may be shown of a figure drawn from some number of firms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown<T> {
    /// Drawn from at least [`MIN_GROUP`] firms.
    Figure(T),
    /// Drawn from 1 to `MIN_GROUP - 1` firms: withheld.
    Suppressed,
    /// Drawn from no firm: there is nothing to show, and nobody to recognise.
    NoFirms,
}

/// The one decision: `figure`, drawn from `firms` firms, as it may be shown.
pub fn shown<T>(firms: u64, figure: T) -> Shown<T> {
    match firms {
        0 => Shown::NoFirms,
        n if n < MIN_GROUP => Shown::Suppressed,
        _ => Shown::Figure(figure),
    }
}

impl<T> Shown<T> {
    /// The figure when it may be shown.
    pub fn figure(self) -> Option<T> {
        match self {
            Shown::Figure(v) => Some(v),
            Shown::Suppressed | Shown::NoFirms => None,
        }
    }

    pub fn is_suppressed(&self) -> bool {
        matches!(self, Shown::Suppressed)
    }
}

/// Complementary suppression of one table's counts whose total is known: each cell as it may
/// be shown. Cells of 1–4 are withheld; while the withheld cells hold 1–4 firms together, the
/// smallest shown cell (the first of equals) is withheld as well. Zero cells stay shown (they
/// reveal no one, and withholding them would protect nothing).
pub fn table(counts: &[u64]) -> Vec<Shown<u64>> {
    let mut withheld: Vec<bool> = counts
        .iter()
        .map(|&c| shown(c, ()).is_suppressed())
        .collect();
    loop {
        let total: u64 = counts
            .iter()
            .zip(&withheld)
            .filter(|(_, w)| **w)
            .map(|(c, _)| c)
            .sum();
        if total == 0 || total >= MIN_GROUP {
            break;
        }
        let next = counts
            .iter()
            .enumerate()
            .filter(|(i, c)| !withheld[*i] && **c > 0)
            .min_by_key(|(_, c)| **c)
            .map(|(i, _)| i);
        match next {
            Some(i) => withheld[i] = true,
            None => break,
        }
    }
    counts
        .iter()
        .zip(withheld)
        .map(|(&c, w)| match (c, w) {
            (0, _) => Shown::NoFirms,
            (_, true) => Shown::Suppressed,
            (c, false) => Shown::Figure(c),
        })
        .collect()
}

/// A count that has a complement in a known total (firms with a barrier, and those without):
/// a two-cell table.
pub fn share(count: u64, total: u64) -> Shown<u64> {
    table(&[count, total.saturating_sub(count)])[0]
}

/// The firm counts a view's check needs, from one grouped query: for each combination of
/// which of the view's non-date filters a firm matches, and each month, how many firms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewCounts {
    /// The view's non-date filters, in the order of each row's flags.
    pub filters: Vec<String>,
    /// The view's date range, as `yyyymm` months (inclusive).
    pub from: Option<i32>,
    pub to: Option<i32>,
    /// (which filters match, month, firms).
    pub rows: Vec<(Vec<bool>, i32, u64)>,
}

/// Why a whole view is withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withheld {
    /// Dropping these filters adds 1–4 firms: the two views would single them out.
    Difference { dropped: Vec<String> },
    /// This month of the range holds 1–4 of the view's firms.
    Month(i32),
}

/// Whether a whole view may be shown (see the module documentation).
pub fn check_view(v: &ViewCounts) -> Result<(), Withheld> {
    let k = v.filters.len();
    // (name, month, whether it is a lower bound).
    let dates: Vec<(&str, i32, bool)> = [
        v.from.map(|m| ("from", m, true)),
        v.to.map(|m| ("to", m, false)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let inside = |bound: &(&str, i32, bool), month: i32| {
        if bound.2 {
            month >= bound.1
        } else {
            month <= bound.1
        }
    };
    let all = k + dates.len();
    // Firms matching the filters in `kept` (a bit per filter: non-date ones, then dates).
    let firms = |kept: u32| -> u64 {
        v.rows
            .iter()
            .filter(|(matches, month, _)| {
                (0..k).all(|i| kept & (1 << i) == 0 || matches.get(i).copied().unwrap_or(false))
                    && dates
                        .iter()
                        .enumerate()
                        .all(|(j, d)| kept & (1 << (k + j)) == 0 || inside(d, *month))
            })
            .map(|(_, _, n)| n)
            .sum()
    };
    let every = (1u32 << all) - 1;
    let n = firms(every);
    for kept in 0..every {
        let more = firms(kept) - n;
        if more > 0 && more < MIN_GROUP {
            let dropped = (0..all)
                .filter(|i| kept & (1 << i) == 0)
                .map(|i| {
                    if i < k {
                        v.filters[i].clone()
                    } else {
                        dates[i - k].0.to_string()
                    }
                })
                .collect();
            return Err(Withheld::Difference { dropped });
        }
    }
    if !dates.is_empty() {
        let mut months = std::collections::BTreeMap::<i32, u64>::new();
        for (matches, month, count) in &v.rows {
            if matches.iter().all(|m| *m) && dates.iter().all(|d| inside(d, *month)) {
                *months.entry(*month).or_default() += count;
            }
        }
        if let Some((month, _)) = months.iter().find(|(_, c)| shown(**c, ()).is_suppressed()) {
            return Err(Withheld::Month(*month));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_threshold_is_five_firms() {
        assert_eq!(shown(0, 1.0), Shown::NoFirms);
        for n in 1..MIN_GROUP {
            assert_eq!(shown(n, 1.0), Shown::Suppressed, "{n}");
        }
        assert_eq!(shown(MIN_GROUP, 1.0), Shown::Figure(1.0));
    }

    proptest! {
        #[test]
        fn a_figure_is_shown_exactly_when_enough_firms_stand_behind_it(n in 0u64..10_000, v in any::<i64>()) {
            let s = shown(n, v);
            prop_assert_eq!(s.figure().is_some(), n >= MIN_GROUP);
            prop_assert_eq!(s.is_suppressed(), n > 0 && n < MIN_GROUP);
        }
    }

    #[test]
    fn one_small_cell_takes_the_next_smallest_with_it() {
        // Total 20: withholding only the 3 would let 20 - 17 give it.
        let t = table(&[3, 10, 7, 0]);
        assert_eq!(
            t,
            vec![
                Shown::Suppressed,
                Shown::Figure(10),
                Shown::Suppressed,
                Shown::NoFirms
            ]
        );
        // Two small cells already hold 6 together: enough.
        assert_eq!(
            table(&[3, 3, 10]),
            vec![Shown::Suppressed, Shown::Suppressed, Shown::Figure(10)]
        );
        assert_eq!(table(&[5, 6]), vec![Shown::Figure(5), Shown::Figure(6)]);
        // A share whose complement is 1–4 firms is withheld as well.
        assert_eq!(share(18, 20), Shown::Suppressed);
        assert_eq!(share(15, 20), Shown::Figure(15));
    }

    fn view(
        filters: usize,
        from: Option<i32>,
        to: Option<i32>,
        rows: Vec<(Vec<bool>, i32, u64)>,
    ) -> ViewCounts {
        ViewCounts {
            filters: (0..filters).map(|i| format!("f{i}")).collect(),
            from,
            to,
            rows,
        }
    }

    #[test]
    fn a_view_a_few_firms_away_from_a_coarser_one_is_withheld() {
        // Province (f0) has 12 firms, 10 of them in the sector (f1).
        let rows = vec![
            (vec![true, true], 202611, 10),
            (vec![true, false], 202611, 2),
            (vec![false, true], 202611, 30),
        ];
        assert_eq!(
            check_view(&view(2, None, None, rows.clone())),
            Err(Withheld::Difference {
                dropped: vec!["f1".into()]
            })
        );
        assert_eq!(
            check_view(&view(0, None, None, vec![(vec![], 202611, 7)])),
            Ok(())
        );
        // A month of the range with 3 firms.
        let rows = vec![
            (vec![], 202610, 20),
            (vec![], 202611, 3),
            (vec![], 202612, 20),
        ];
        assert_eq!(
            check_view(&view(0, Some(202611), None, rows.clone())),
            Err(Withheld::Month(202611))
        );
        assert_eq!(
            check_view(&view(0, Some(202611), Some(202611), rows.clone())),
            Err(Withheld::Month(202611))
        );
        assert_eq!(
            check_view(&view(0, Some(202610), Some(202610), rows)),
            Ok(())
        );
    }

    /// A firm of the model: its values of three filters and its month.
    #[derive(Debug, Clone)]
    struct Firm {
        values: [u8; 3],
        month: i32,
    }

    fn firms() -> impl Strategy<Value = Vec<Firm>> {
        prop::collection::vec(
            (prop::array::uniform3(0u8..3), 202601i32..202605)
                .prop_map(|(values, month)| Firm { values, month }),
            0..80,
        )
    }

    proptest! {
        #[test]
        fn suppressed_tables_never_leave_a_small_remainder(counts in prop::collection::vec(0u64..12, 1..8)) {
            let t = table(&counts);
            let withheld: u64 = counts.iter().zip(&t).filter(|(_, s)| s.is_suppressed()).map(|(c, _)| c).sum();
            let total: u64 = counts.iter().sum();
            prop_assert!(withheld == 0 || withheld >= MIN_GROUP || withheld == total);
            for (c, s) in counts.iter().zip(&t) {
                if let Shown::Figure(v) = s {
                    prop_assert_eq!(v, c);
                    prop_assert!(*c >= MIN_GROUP);
                }
            }
        }

        /// Against a model of the firms themselves: a shown view differs from every view with
        /// fewer filters by 0 or at least 5 firms.
        #[test]
        fn a_shown_view_cannot_be_subtracted_from_a_coarser_one(
            firms in firms(),
            wanted in prop::array::uniform3(prop::option::of(0u8..3)),
            from in prop::option::of(202601i32..202605),
            to in prop::option::of(202601i32..202605),
        ) {
            let set: Vec<(usize, u8)> = wanted.iter().enumerate().filter_map(|(i, w)| w.map(|w| (i, w))).collect();
            let mut grouped = std::collections::BTreeMap::<(Vec<bool>, i32), u64>::new();
            for f in &firms {
                let m: Vec<bool> = set.iter().map(|(i, w)| f.values[*i] == *w).collect();
                *grouped.entry((m, f.month)).or_default() += 1;
            }
            let v = ViewCounts {
                filters: set.iter().map(|(i, _)| format!("f{i}")).collect(),
                from,
                to,
                rows: grouped.into_iter().map(|((m, month), n)| (m, month, n)).collect(),
            };
            let in_view = |f: &Firm, keep: &[bool]| {
                set.iter().enumerate().all(|(j, (i, w))| !keep[j] || f.values[*i] == *w)
                    && (!keep[set.len()] || from.is_none_or(|m| f.month >= m))
                    && (!keep[set.len() + 1] || to.is_none_or(|m| f.month <= m))
            };
            let everything = vec![true; set.len() + 2];
            let n = firms.iter().filter(|f| in_view(f, &everything)).count() as u64;
            if check_view(&v).is_ok() {
                for mask in 0u32..(1 << (set.len() + 2)) {
                    let keep: Vec<bool> = (0..set.len() + 2).map(|i| mask & (1 << i) != 0).collect();
                    let coarser = firms.iter().filter(|f| in_view(f, &keep)).count() as u64;
                    let more = coarser - n;
                    prop_assert!(more == 0 || more >= MIN_GROUP, "{more} more firms without {keep:?}");
                }
                if from.is_some() || to.is_some() {
                    for month in 202601..202605 {
                        let c = firms.iter().filter(|f| f.month == month && in_view(f, &everything)).count() as u64;
                        prop_assert!(c == 0 || c >= MIN_GROUP);
                    }
                }
            }
        }
    }
}
