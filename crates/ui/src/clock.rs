//! The window's clock and the way times are said to people.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, FixedOffset, NaiveDate};
use trellis_core::Moment;
use trellis_core::time::local_time;

/// The device's UTC offset, in minutes east.
pub(crate) fn offset_minutes() -> i32 {
    chrono::Local::now().offset().local_minus_utc() / 60
}

/// Now, on the person's calendar.
pub(crate) fn now() -> Moment {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    Moment::new(ms, offset_minutes())
}

pub(crate) fn local(at_ms: i64) -> DateTime<FixedOffset> {
    local_time(at_ms, now().offset())
}

/// "18:04".
pub(crate) fn clock_time(at_ms: i64) -> String {
    local(at_ms).format("%H:%M").to_string()
}

/// "today at 18:04", "yesterday at 09:30", "on 3 March at 12:00".
pub(crate) fn when(at_ms: i64) -> String {
    let today = now().today();
    let t = local(at_ms);
    let day = t.date_naive();
    let time = t.format("%H:%M");
    if day == today {
        format!("today at {time}")
    } else if Some(day) == today.pred_opt() {
        format!("yesterday at {time}")
    } else {
        format!("on {} at {time}", long_date(day))
    }
}

/// "Sunday 22 November 2026".
pub(crate) fn long_date(day: NaiveDate) -> String {
    day.format("%A %-d %B %Y").to_string()
}

/// "22 Nov 2026" from an ISO date; the text itself if it is not one.
pub(crate) fn short_date(iso: &str) -> String {
    match trellis_core::time::parse_date(iso) {
        Some(d) if d == now().today() => "today".into(),
        Some(d) => d.format("%-d %b %Y").to_string(),
        None => iso.to_string(),
    }
}
