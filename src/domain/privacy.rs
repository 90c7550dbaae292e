//! The privacy rule for every figure shown to staff or in a comparison: nothing drawn from fewer
//! than [`MIN_GROUP`] firms, since so few could be recognised. Every reader of aggregates (the
//! dashboard, `/api/v1/stats`, the result page's peer comparison) decides through [`shown`].

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
}
