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

/// The reader's time zone, as far as the caller knows it: the UTC offset in force at an
/// instant. The core has no zone rules, so a bare [`Moment`] reads every instant at its own
/// offset; a caller that has the system's rules (chrono's `Local`) passes them, and an instant
/// on the far side of a daylight-saving change is read at the offset it had or will have.
pub trait Zone {
    fn offset_at(&self, at_ms: i64) -> FixedOffset;
}

impl Zone for Moment {
    fn offset_at(&self, _at_ms: i64) -> FixedOffset {
        self.offset()
    }
}

impl Zone for FixedOffset {
    fn offset_at(&self, _at_ms: i64) -> FixedOffset {
        *self
    }
}

/// An instant on the reader's clock.
pub fn in_zone(at_ms: i64, zone: &dyn Zone) -> DateTime<FixedOffset> {
    local_time(at_ms, zone.offset_at(at_ms))
}

/// The offset `minutes` east of UTC if people live at it (UTC−12:00 to UTC+14:00). A record
/// can claim any number; a clock shown "for Sam" must not come from a number no zone has.
pub fn plausible_offset(minutes: i32) -> Option<FixedOffset> {
    if !(-12 * 60..=14 * 60).contains(&minutes) {
        return None;
    }
    FixedOffset::east_opt(minutes * 60)
}

/// "UTC+09:00", "UTC−08:00" (a true minus sign, as people write it).
pub fn offset_label(offset: FixedOffset) -> String {
    let minutes = offset.local_minus_utc() / 60;
    let sign = if minutes < 0 { '−' } else { '+' };
    let minutes = minutes.abs();
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A clock time of the partner's that the reader acts on ("I'll be back at 13:02"): in the
/// reader's time, and in the partner's own where their offset is known and differs —
/// "20:02 your time · 13:02 for Sam".
pub fn partner_clock(
    at_ms: i64,
    reader: &dyn Zone,
    partner_offset: Option<FixedOffset>,
    partner: &str,
) -> String {
    let mine = in_zone(at_ms, reader);
    let clock = mine.format("%H:%M");
    match partner_offset {
        Some(theirs) if theirs == *mine.offset() => format!("{clock} for both of you"),
        Some(theirs) => format!(
            "{clock} your time · {} for {partner}",
            local_time(at_ms, theirs).format("%H:%M")
        ),
        None => format!("{clock} your time"),
    }
}

/// "" today, "tomorrow ", "on 2026-11-29 " otherwise: the day an instant falls on for the
/// reader, said only when it is not today, so "back at 05:02" never hides a date change.
pub fn day_word(at_ms: i64, now: Moment, zone: &dyn Zone) -> String {
    let day = in_zone(at_ms, zone).date_naive();
    let today = in_zone(now.at_ms, zone).date_naive();
    if day == today {
        String::new()
    } else if Some(day) == today.succ_opt() {
        "tomorrow ".into()
    } else {
        format!("on {} ", format_date(day))
    }
}

/// Dates travel in the document as ISO strings ("2026-11-22").
pub fn format_date(date: NaiveDate) -> String {
    // Written by hand for the years people live in: a view formats a date per week of a
    // long history, and chrono's format machinery costs more than the rest of that work.
    match u32::try_from(date.year()) {
        Ok(year @ 0..=9999) => format!("{year:04}-{:02}-{:02}", date.month(), date.day()),
        _ => date.format("%Y-%m-%d").to_string(),
    }
}

pub fn parse_date(text: &str) -> Option<NaiveDate> {
    // The form every Trellis writes ("2026-11-28") is read directly: a view reads a date
    // per record. Anything else goes through chrono, which also accepts what people type
    // (spaces around it, a one-digit month).
    if let Some(date) = plain_date(text.as_bytes()) {
        return date;
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// `YYYY-MM-DD` with ASCII digits: `Some` of what chrono would read (a date, or `None` for
/// one that does not exist); `None` for any other shape.
fn plain_date(b: &[u8]) -> Option<Option<NaiveDate>> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b else {
        return None;
    };
    let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |ds: &[u8]| {
        ds.iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let year = i32::try_from(n(&digits[..4])).ok()?;
    Some(NaiveDate::from_ymd_opt(
        year,
        n(&digits[4..6]),
        n(&digits[6..]),
    ))
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
    fn dates_read_and_written_by_hand_match_chrono() {
        let chrono_parse = |t: &str| NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok();
        let mut day = NaiveDate::from_ymd_opt(1999, 12, 1).unwrap();
        while day.year() < 2031 {
            let text = format_date(day);
            assert_eq!(text, day.format("%Y-%m-%d").to_string());
            assert_eq!(parse_date(&text), Some(day));
            day = day.succ_opt().unwrap();
        }
        for text in [
            "2026-02-29",
            "2024-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "0000-01-01",
            "9999-12-31",
            " 2026-11-28",
            "2026-11-28 ",
            "2026-1-28",
            "+2026-11-28",
            "2026/11/28",
            "２０２６-11-28",
            "2026-11-2x",
            "",
            "2026-11-28-",
        ] {
            assert_eq!(parse_date(text), chrono_parse(text), "{text:?}");
        }
        for year in [-1, 0, 10_000] {
            let d = NaiveDate::from_ymd_opt(year, 3, 4).unwrap();
            assert_eq!(format_date(d), d.format("%Y-%m-%d").to_string());
        }
    }

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

    /// Los Angeles in autumn 2026: −07:00 until 1 November 09:00 UTC, −08:00 after.
    struct LosAngeles;

    impl Zone for LosAngeles {
        fn offset_at(&self, at_ms: i64) -> FixedOffset {
            let fall_back = Utc
                .with_ymd_and_hms(2026, 11, 1, 9, 0, 0)
                .unwrap()
                .timestamp_millis();
            let hours = if at_ms < fall_back { -7 } else { -8 };
            FixedOffset::east_opt(hours * 3600).unwrap()
        }
    }

    #[test]
    fn a_partners_clock_is_said_in_both_zones_only_when_known() {
        // Sam (Tokyo) is back at 13:02 on Saturday; Alex (Los Angeles) reads Friday 20:02.
        let back = Utc
            .with_ymd_and_hms(2026, 11, 28, 4, 2, 0)
            .unwrap()
            .timestamp_millis();
        let alex = FixedOffset::west_opt(8 * 3600).unwrap();
        let tokyo = plausible_offset(9 * 60);
        assert_eq!(
            partner_clock(back, &alex, tokyo, "Sam"),
            "20:02 your time · 13:02 for Sam"
        );
        assert_eq!(partner_clock(back, &alex, None, "Sam"), "20:02 your time");
        assert_eq!(
            partner_clock(back, &alex, Some(alex), "Sam"),
            "20:02 for both of you"
        );
    }

    #[test]
    fn only_offsets_people_live_at_are_believed() {
        assert!(plausible_offset(14 * 60).is_some());
        assert!(plausible_offset(-12 * 60).is_some());
        assert!(plausible_offset(14 * 60 + 1).is_none());
        assert!(plausible_offset(i32::MIN).is_none());
        assert_eq!(
            offset_label(FixedOffset::west_opt(8 * 3600).unwrap()),
            "UTC−08:00"
        );
        assert_eq!(
            offset_label(FixedOffset::east_opt(5 * 3600 + 1800).unwrap()),
            "UTC+05:30"
        );
    }

    #[test]
    fn an_instant_across_the_fall_back_is_read_at_its_own_offset() {
        // A pause started at 01:30 PDT for an hour ends at 01:30 PST, not 02:30.
        let start = Utc
            .with_ymd_and_hms(2026, 11, 1, 8, 30, 0)
            .unwrap()
            .timestamp_millis();
        let back = start + 60 * 60_000;
        assert_eq!(
            in_zone(back, &LosAngeles).format("%H:%M").to_string(),
            "01:30"
        );
        let fixed = Moment::new(start, -7 * 60);
        assert_eq!(in_zone(back, &fixed).format("%H:%M").to_string(), "02:30");
        assert_eq!(day_word(back, fixed, &LosAngeles), "");
        assert_eq!(
            day_word(start + 24 * 3_600_000, fixed, &LosAngeles),
            "tomorrow "
        );
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
