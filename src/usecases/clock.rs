//! The one place the service reads the time for the domain. The domain never reads the clock:
//! a use case asks [`Clock`] and passes the date in, so tests can stand on any day.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// Vietnam's time zone (UTC+7, no daylight saving): programmes start and end on Vietnamese days.
pub fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// The date in Vietnam at `at`.
pub fn vietnam_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&vietnam()).date_naive()
}

#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    /// The machine's clock.
    #[default]
    System,
    /// Always this instant (tests that must stand on a given day).
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => at,
        }
    }

    /// Today in Vietnam.
    pub fn today(self) -> NaiveDate {
        vietnam_date(self.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn today_is_the_vietnamese_date() {
        // 18:00 UTC on 31 December is already 1 January in Hải Phòng.
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 18, 0, 0).unwrap();
        assert_eq!(
            Clock::Fixed(at).today(),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 16, 59, 59).unwrap();
        assert_eq!(
            Clock::Fixed(at).today(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
    }
}
