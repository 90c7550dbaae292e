//! Dates as people here read and type them: Vietnamese days (UTC+7), shown as `22/11/2026`,
//! typed in filters as `2026-11-22` (what `<input type="date">` sends).

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

fn day_start(date: NaiveDate) -> Option<DateTime<Utc>> {
    vietnam()
        .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// A date not in the `2026-11-22` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadDate;

/// Parses `YYYY-MM-DD`; a blank is `Ok(None)`.
pub fn parse_day(value: Option<&str>) -> Result<Option<NaiveDate>, BadDate> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| BadDate),
    }
}

/// `from` and `to` days (both inclusive) as a half-open UTC range.
pub fn day_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    (
        from.and_then(day_start),
        to.and_then(|d| d.succ_opt()).and_then(day_start),
    )
}

/// `22/11/2026 14:05` in Vietnamese time.
pub fn vn_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&vietnam())
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// `22/11/2026` in Vietnamese time.
pub fn vn_date(at: DateTime<Utc>) -> String {
    at.with_timezone(&vietnam()).format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_vietnamese_days() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 22);
        let (from, until) = day_range(day, day);
        assert_eq!(
            from.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-11-21T17:00:00+00:00")
        );
        assert_eq!(
            until.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-11-22T17:00:00+00:00")
        );
        assert_eq!(parse_day(Some("")), Ok(None));
        assert!(parse_day(Some("22/11/2026")).is_err());
    }
}
