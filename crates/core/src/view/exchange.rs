//! Which check-ins belong to the same exchange.
//!
//! Partners hours apart do not share a calendar day: Sam's Saturday morning is Alex's Friday
//! afternoon. Pairing check-ins by their date strings kept a partner's words folded a whole
//! extra day, so they are paired by when they were written, which reads the same in every
//! zone and does not move when a clock changes for daylight saving or a laptop travels.

/// How long before my partner's check-in one of mine still counts as my word in the same
/// exchange: a day, the longest two check-ins of one round can be apart.
const EXCHANGE_MS: i64 = 24 * 60 * 60 * 1000;

/// Whether my partner's check-in, written at `theirs_at`, waits folded. It opens once I have
/// written one of my own any time after it or in the day before it; `my_latest` is when I
/// last checked in.
pub(crate) fn folded(theirs_at: i64, my_latest: Option<i64>) -> bool {
    my_latest.is_none_or(|mine| mine < theirs_at.saturating_sub(EXCHANGE_MS))
}

/// The fold rule in one sentence, as the screen and the command line say it.
pub fn fold_rule(partner: &str) -> String {
    format!(
        "{partner}'s check-in opens once you have written your own — any time after it, or in the 24 hours before it."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 60 * 60 * 1000;

    #[test]
    fn mine_written_after_theirs_or_in_the_day_before_opens_it() {
        let theirs = 100 * HOUR;
        assert!(folded(theirs, None), "nothing of mine yet");
        assert!(!folded(theirs, Some(theirs + 3 * 24 * HOUR)), "days later");
        assert!(!folded(theirs, Some(theirs - 23 * HOUR)), "the day before");
        assert!(!folded(theirs, Some(theirs - 24 * HOUR)), "exactly a day");
        assert!(folded(theirs, Some(theirs - 25 * HOUR)), "an earlier round");
        // A time a partner can write anywhere must not overflow.
        assert!(folded(i64::MAX, Some(0)));
        assert!(!folded(i64::MIN, Some(0)));
    }
}
