//! An agency's case for a firm that agreed to be contacted: its statuses and which changes are
//! allowed, and the order in which leads deserve attention. Pure: the caller stores and dates.
//!
//! ```text
//! new → contacted → supporting → re-assessed → closed
//!  └──────┴────────────┴─────────────┴──────→ declined (the firm said no) or closed
//! closed, declined → contacted (the firm came back)
//! ```

use crate::domain::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    New,
    Contacted,
    Supporting,
    Reassessed,
    Closed,
    Declined,
}

/// A change the workflow does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAllowed {
    pub from: Status,
    pub to: Status,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::New,
        Status::Contacted,
        Status::Supporting,
        Status::Reassessed,
        Status::Closed,
        Status::Declined,
    ];

    /// The statuses a re-assessment of the firm moves to re-assessed: help under way.
    pub const UNDER_WAY: [Status; 2] = [Status::Contacted, Status::Supporting];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Contacted => "contacted",
            Status::Supporting => "supporting",
            Status::Reassessed => "reassessed",
            Status::Closed => "closed",
            Status::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn title(self) -> Text {
        match self {
            Status::New => Text::new("Mới", "New"),
            Status::Contacted => Text::new("Đã liên hệ", "Contacted"),
            Status::Supporting => Text::new("Đang hỗ trợ", "Supporting"),
            Status::Reassessed => Text::new("Đã đánh giá lại", "Re-assessed"),
            Status::Closed => Text::new("Đã đóng", "Closed"),
            Status::Declined => Text::new("Từ chối", "Declined"),
        }
    }

    /// Still being worked on (not closed or declined).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Closed | Status::Declined)
    }

    /// Whether a case in `self` may move to `to`. Staying put is allowed (a note, an assignee or
    /// a date changes without a new status).
    pub fn may_become(self, to: Status) -> bool {
        use Status::{Closed, Contacted, Declined, New, Reassessed, Supporting};
        if self == to {
            return true;
        }
        match (self, to) {
            // Forward along the way, one step at a time.
            (New, Contacted) | (Contacted, Supporting) | (Supporting, Reassessed) => true,
            // A re-assessment can come while the firm is only contacted; help goes on after it.
            (Contacted, Reassessed) | (Reassessed, Supporting) => true,
            // Any open case may end, either way.
            (from, Closed | Declined) => from.is_open(),
            // The firm came back.
            (Closed | Declined, Contacted) => true,
            _ => false,
        }
    }

    /// `Ok(to)` when allowed.
    pub fn change_to(self, to: Status) -> Result<Status, NotAllowed> {
        if self.may_become(to) {
            Ok(to)
        } else {
            Err(NotAllowed { from: self, to })
        }
    }

    /// Where a case in `self` may go next, itself first.
    pub fn choices(self) -> Vec<Status> {
        std::iter::once(self)
            .chain(
                Self::ALL
                    .into_iter()
                    .filter(|s| *s != self && self.may_become(*s)),
            )
            .collect()
    }
}

/// How urgently a lead deserves an agency's attention; smaller first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// A compliance or security risk the roadmap raised.
    Risk = 0,
    /// A low level with several barriers.
    Struggling = 1,
    /// A candidate for funding or e-commerce support.
    Candidate = 2,
    Other = 3,
}

/// Agency flags (rules' `agency_flag`) that put a lead first.
pub const RISK_FLAGS: [&str; 2] = ["compliance_risk", "security_risk"];
/// Agency flags that make a lead a candidate.
pub const CANDIDATE_FLAGS: [&str; 2] = ["funding_candidate", "ecommerce_candidate"];
/// "Low level": Mức 0 or 1.
pub const LOW_LEVEL_MAX: i16 = 1;
/// "Several barriers": two or more.
pub const SEVERAL_BARRIERS: usize = 2;

impl Priority {
    pub fn of(flags: &[String], level: i16, barriers: usize) -> Priority {
        let has = |set: &[&str]| flags.iter().any(|f| set.contains(&f.as_str()));
        if has(&RISK_FLAGS) {
            Priority::Risk
        } else if level <= LOW_LEVEL_MAX && barriers >= SEVERAL_BARRIERS {
            Priority::Struggling
        } else if has(&CANDIDATE_FLAGS) {
            Priority::Candidate
        } else {
            Priority::Other
        }
    }

    pub fn title(self) -> Text {
        match self {
            Priority::Risk => Text::new("Rủi ro tuân thủ/an toàn", "Compliance or security risk"),
            Priority::Struggling => {
                Text::new("Mức thấp, nhiều rào cản", "Low level, several barriers")
            }
            Priority::Candidate => {
                Text::new("Ứng viên tài trợ/TMĐT", "Funding or e-commerce candidate")
            }
            Priority::Other => Text::new("Khác", "Other"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_way_forward_is_allowed_and_backwards_is_not() {
        use Status::*;
        for (from, to) in [
            (New, Contacted),
            (Contacted, Supporting),
            (Supporting, Reassessed),
            (Reassessed, Closed),
            (New, Declined),
            (Closed, Contacted),
        ] {
            assert!(from.may_become(to), "{from:?} → {to:?}");
        }
        for (from, to) in [
            (Contacted, New),
            (Supporting, Contacted),
            (New, Supporting),
            (New, Reassessed),
            (Closed, Declined),
            (Declined, Closed),
            (Closed, Supporting),
        ] {
            assert_eq!(from.change_to(to), Err(NotAllowed { from, to }));
        }
        assert_eq!(
            Status::Supporting.change_to(Status::Supporting),
            Ok(Supporting)
        );
    }

    #[test]
    fn statuses_read_back() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("done"), None);
    }

    #[test]
    fn priorities_follow_the_issue_order() {
        let flags = |f: &[&str]| f.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(
            Priority::of(&flags(&["security_risk"]), 5, 0),
            Priority::Risk
        );
        assert_eq!(
            Priority::of(&flags(&["funding_candidate", "compliance_risk"]), 0, 3),
            Priority::Risk
        );
        assert_eq!(
            Priority::of(&flags(&["funding_candidate"]), 1, 2),
            Priority::Struggling
        );
        assert_eq!(
            Priority::of(&flags(&["funding_candidate"]), 2, 4),
            Priority::Candidate
        );
        assert_eq!(
            Priority::of(&flags(&["ecommerce_candidate"]), 0, 1),
            Priority::Candidate
        );
        assert_eq!(Priority::of(&flags(&["skills"]), 0, 1), Priority::Other);
    }

    fn status() -> impl Strategy<Value = Status> {
        proptest::sample::select(Status::ALL.to_vec())
    }

    /// Every status a case can reach from `from` through allowed changes.
    fn reachable(from: Status) -> BTreeSet<Status> {
        let mut seen = BTreeSet::from([from]);
        let mut todo = vec![from];
        while let Some(s) = todo.pop() {
            for next in s.choices() {
                if seen.insert(next) {
                    todo.push(next);
                }
            }
        }
        seen
    }

    proptest! {
        #[test]
        fn a_walk_of_allowed_changes_never_skips_contact(steps in proptest::collection::vec(status(), 0..40)) {
            let mut current = Status::New;
            let mut contacted = false;
            for to in steps {
                if let Ok(next) = current.change_to(to) {
                    current = next;
                    contacted |= current == Status::Contacted;
                    // Help or a re-assessment only ever follows a contact.
                    if matches!(current, Status::Supporting | Status::Reassessed) {
                        prop_assert!(contacted);
                    }
                }
            }
        }

        #[test]
        fn every_open_case_can_be_closed_and_every_status_reached(from in status()) {
            if from.is_open() {
                prop_assert!(from.may_become(Status::Closed));
            }
            // Nothing is a dead end: from anywhere, every other status can be reached again.
            prop_assert_eq!(reachable(from).len(), if from == Status::New { 6 } else { 5 });
            prop_assert_eq!(from.choices()[0], from);
        }

        #[test]
        fn priority_is_monotone_in_risk(level in 0i16..=5, barriers in 0usize..6, extra in proptest::collection::vec(proptest::sample::select(vec!["skills", "funding_candidate", "ecommerce_candidate", "awareness"]), 0..4)) {
            let mut flags: Vec<String> = extra.iter().map(|s| (*s).to_string()).collect();
            let without = Priority::of(&flags, level, barriers);
            flags.push("compliance_risk".into());
            prop_assert_eq!(Priority::of(&flags, level, barriers), Priority::Risk);
            prop_assert!(Priority::Risk <= without);
            // More barriers never make a lead less urgent.
            prop_assert!(Priority::of(&flags[..flags.len() - 1], level, barriers + 1) <= without);
        }
    }
}
