//! Small helpers for human-readable output.

use chrono::{DateTime, FixedOffset};
use trellis_core::id::short;
use trellis_core::time::in_zone;
use trellis_core::view::{View, Who};
pub use trellis_store::LocalZone;

/// An instant on this device's clock, with its zone's rules; none for a number no clock can
/// show (a partner can write any).
fn local(at_ms: i64) -> Option<DateTime<FixedOffset>> {
    DateTime::from_timestamp_millis(at_ms)?;
    Some(in_zone(at_ms, &LocalZone))
}

/// A stored millisecond timestamp in this device's local time.
pub fn when(at_ms: i64) -> String {
    local(at_ms).map_or_else(|| "?".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}

pub fn clock(at_ms: i64) -> String {
    local(at_ms).map_or_else(|| "?".into(), |t| t.format("%H:%M").to_string())
}

/// The date column of a record: its author's calendar day, and — when that is not the
/// reader's day at the moment it was written (partners hours apart, or a day chosen
/// afterwards) — when it was written on the reader's clock.
pub fn record_date(view: &View, date: &str, author: Who, at_ms: i64) -> String {
    let same_day = local(at_ms).map(|t| t.date_naive()) == trellis_core::time::parse_date(date);
    match author {
        Who::Partner if !same_day => format!(
            "{} (written {} your time)",
            view.date_of(date, author),
            when(at_ms)
        ),
        _ => view.date_of(date, author),
    }
}

pub fn who(view: &View, who: Who) -> &str {
    match who {
        Who::Me => "You",
        Who::Partner => &view.partner.name,
    }
}

pub fn id(id: &str) -> &str {
    short(id)
}

/// Indents every line of `text` after the first.
pub fn indent(text: &str, by: &str) -> String {
    text.lines().collect::<Vec<_>>().join(&format!("\n{by}"))
}

/// The phrase as it is shown: numbered, six words a line, with what it is for.
pub fn phrase_text(phrase: &str) -> String {
    let words: Vec<&str> = phrase.split(' ').collect();
    let lines: Vec<String> = words
        .chunks(6)
        .enumerate()
        .map(|(row, chunk)| {
            chunk
                .iter()
                .enumerate()
                .map(|(i, w)| format!("{:>2}. {w:<9}", row * 6 + i + 1))
                .collect::<Vec<_>>()
                .join(" ")
                .trim_end()
                .to_string()
        })
        .collect();
    format!(
        "Your recovery phrase. Write these {} words on paper and keep it somewhere \
         safe:\n\n{}\n\n\
         If this computer is lost with no backup, `trellis recover` brings you back on a new \
         one with these words and an invite from your partner's device. Anyone who has them \
         can sign as you, so keep them as you would a key. To see them again: `trellis \
         recovery-phrase`.",
        trellis_core::recovery::PHRASE_WORDS,
        lines.join("\n")
    )
}
