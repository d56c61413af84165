//! The device's clock, for the node (the core never reads one itself).

use std::time::{SystemTime, UNIX_EPOCH};

use trellis_core::Moment;

/// Now, in UTC milliseconds, with the offset the node was given at start.
pub(crate) fn now() -> Moment {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    Moment::new(ms, offset_minutes())
}

static OFFSET: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

fn offset_minutes() -> i32 {
    OFFSET.load(std::sync::atomic::Ordering::Relaxed)
}

/// Sets the local UTC offset used for dates (the caller knows the time zone).
pub fn set_utc_offset_minutes(minutes: i32) {
    OFFSET.store(minutes, std::sync::atomic::Ordering::Relaxed);
}
