//! The window's clock and the way times are said to people.
//!
//! Every time is shown in this device's zone with its rules ([`LocalZone`], shared with the
//! command line), so a time from before a daylight-saving change keeps the hour it had.
//! Dates of records are their author's calendar days: my partner's are marked as theirs.

use chrono::{DateTime, FixedOffset, NaiveDate};
use trellis_core::time::in_zone;
use trellis_core::{Moment, View, Who};
use trellis_store::LocalZone;

/// Now, on the person's calendar.
pub(crate) fn now() -> Moment {
    LocalZone::now()
}

/// An instant on this device's clock, at the offset in force at that instant.
pub(crate) fn local(at_ms: i64) -> DateTime<FixedOffset> {
    in_zone(at_ms, &LocalZone)
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

/// "22 Nov 2026" from an ISO date ("today" for mine of today); the text itself if it is not
/// one.
pub(crate) fn short_date(iso: &str) -> String {
    match trellis_core::time::parse_date(iso) {
        Some(d) if d == now().today() => "today".into(),
        Some(d) => d.format("%-d %b %Y").to_string(),
        None => iso.to_string(),
    }
}

/// A record's date as its author wrote it: mine as [`short_date`], my partner's as the day
/// on their calendar and marked so ("28 Nov 2026 (Sam's date)") — never "today", which is a
/// word about my calendar, not theirs.
pub(crate) fn date_of(view: &View, iso: &str, author: Who) -> String {
    match author {
        Who::Me => short_date(iso),
        Who::Partner => {
            let day = trellis_core::time::parse_date(iso)
                .map_or_else(|| iso.to_string(), |d| d.format("%-d %b %Y").to_string());
            format!("{day} ({}'s date)", view.partner.name)
        }
    }
}

/// [`date_of`], plus when it was written on my clock where that is another day than the
/// author's date (partners hours apart): "28 Nov 2026 (Sam's date) · written yesterday at
/// 17:00 your time".
pub(crate) fn record_date(view: &View, iso: &str, author: Who, at_ms: i64) -> String {
    let date = date_of(view, iso, author);
    let same_day = Some(local(at_ms).date_naive()) == trellis_core::time::parse_date(iso);
    if author == Who::Partner && !same_day {
        format!("{date} · written {} your time", when(at_ms))
    } else {
        date
    }
}
