//! This device's time zone, with its rules, for the command line and the window alike.
//!
//! The core reads no clock and knows no zone rules: it is handed a [`Moment`] and, to say a
//! time, a [`Zone`]. The rules live here, beside the rest of what belongs to the device,
//! so both front ends read every instant the same way.

use chrono::{Local, Offset, TimeZone};
use trellis_core::Moment;
use trellis_core::time::Zone;

/// The system's zone (the `TZ` variable, else the system's setting) with its rules: an
/// instant before a daylight-saving change, or after the next one, is read at the offset
/// it had or will have, not at today's.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalZone;

impl Zone for LocalZone {
    fn offset_at(&self, at_ms: i64) -> chrono::FixedOffset {
        match Local.timestamp_millis_opt(at_ms) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
                t.offset().fix()
            }
            // Only an instant outside chrono's range lands here (a partner can write any
            // number): today's offset is as good an answer as any, and never a panic.
            chrono::LocalResult::None => Local::now().offset().fix(),
        }
    }
}

impl LocalZone {
    /// Now, on this device's clock, at the offset in force now.
    pub fn now() -> Moment {
        let local = Local::now();
        Moment::new(
            local.timestamp_millis(),
            local.offset().fix().local_minus_utc() / 60,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_read_at_its_own_offset_and_wild_instants_do_not_panic() {
        let now = LocalZone::now();
        assert_eq!(
            LocalZone.offset_at(now.at_ms).local_minus_utc(),
            now.offset_minutes * 60
        );
        for at in [i64::MIN, i64::MAX, 0] {
            let _ = LocalZone.offset_at(at);
        }
    }
}
