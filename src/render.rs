//! Small helpers for human-readable output.

use chrono::{Local, TimeZone};
use trellis_core::id::short;
use trellis_core::view::{View, Who};

/// A stored millisecond timestamp in this device's local time.
pub fn when(at_ms: i64) -> String {
    match Local.timestamp_millis_opt(at_ms) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.format("%Y-%m-%d %H:%M").to_string()
        }
        chrono::LocalResult::None => "?".into(),
    }
}

pub fn clock(at_ms: i64) -> String {
    match Local.timestamp_millis_opt(at_ms) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.format("%H:%M").to_string()
        }
        chrono::LocalResult::None => "?".into(),
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
