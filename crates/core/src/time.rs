//! Time as the user's device sees it. Core never reads a clock: callers pass a [`Moment`].

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, Utc};

/// A point in time plus the UTC offset of the device at that time, so that dates
/// are the user's local dates ("today" on their calendar, not in UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The device's offset from UTC, in minutes east.
    pub offset_minutes: i32,
}

impl Moment {
    pub fn new(at_ms: i64, offset_minutes: i32) -> Self {
        Self {
            at_ms,
            offset_minutes,
        }
    }

    /// The same moment `minutes` later.
    pub fn plus_minutes(self, minutes: i64) -> Self {
        Self {
            at_ms: self.at_ms + minutes * 60_000,
            ..self
        }
    }

    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.offset_minutes * 60).unwrap_or(Utc.fix())
    }

    pub fn local(&self) -> DateTime<FixedOffset> {
        local_time(self.at_ms, self.offset())
    }

    /// The user's calendar date at this moment.
    pub fn today(&self) -> NaiveDate {
        self.local().date_naive()
    }

    /// Seconds since the epoch, as automerge stores change times.
    pub fn unix_seconds(&self) -> i64 {
        self.at_ms.div_euclid(1000)
    }
}

/// A millisecond timestamp shown in the given offset.
pub fn local_time(at_ms: i64, offset: FixedOffset) -> DateTime<FixedOffset> {
    let utc = DateTime::<Utc>::from_timestamp_millis(at_ms).unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    utc.with_timezone(&offset)
}

/// Dates travel in the document as ISO strings ("2026-11-22").
pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// The Monday that starts the ISO week of `date`; weeks are how progress is shown.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    let back = i64::from(date.weekday().num_days_from_monday());
    date - chrono::Duration::days(back)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_dates_follow_the_offset() {
        // 2026-11-22 23:30 UTC is already the 23rd in Auckland (+13:00) and still the 22nd in LA.
        let at = Utc
            .with_ymd_and_hms(2026, 11, 22, 23, 30, 0)
            .unwrap()
            .timestamp_millis();
        assert_eq!(format_date(Moment::new(at, 13 * 60).today()), "2026-11-23");
        assert_eq!(format_date(Moment::new(at, -8 * 60).today()), "2026-11-22");
    }

    #[test]
    fn weeks_start_on_monday() {
        let sunday = parse_date("2026-11-22").unwrap();
        assert_eq!(format_date(week_start(sunday)), "2026-11-16");
        let monday = parse_date("2026-11-16").unwrap();
        assert_eq!(week_start(monday), monday);
        assert!(parse_date("22/11/2026").is_none());
    }
}
