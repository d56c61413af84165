//! The couple's mailbox is a record in each partner's own space; the newest one counts.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod support;

use support::*;
use trellis_core::Action;

fn set(side: &mut Side, address: Option<&str>, minute: i64) {
    side.act(
        Action::SetMailbox {
            address: address.map(str::to_string),
        },
        at(minute),
    )
    .unwrap();
}

#[test]
fn either_partner_adds_or_removes_the_mailbox_and_the_newest_record_counts() {
    let (mut alex, mut sam) = pair();
    assert_eq!(alex.couple.mailbox(at(0)), None);

    set(&mut alex, Some("mailbox-one"), 1);
    exchange(&mut alex, &mut sam);
    assert_eq!(sam.couple.mailbox(at(2)).as_deref(), Some("mailbox-one"));

    set(&mut sam, Some("mailbox-two"), 3);
    exchange(&mut alex, &mut sam);
    assert_eq!(alex.couple.mailbox(at(4)).as_deref(), Some("mailbox-two"));

    set(&mut alex, None, 5);
    exchange(&mut alex, &mut sam);
    assert_eq!(sam.couple.mailbox(at(6)), None);
    assert_eq!(alex.couple.mailbox(at(6)), None);
}

#[test]
fn a_record_from_far_in_the_future_is_not_believed_and_bad_addresses_are_refused() {
    let (mut alex, mut sam) = pair();
    set(&mut alex, Some("mine"), 1);
    // Sam's clock is a week ahead.
    set(&mut sam, Some("far-ahead"), 7 * 24 * 60);
    exchange(&mut alex, &mut sam);
    assert_eq!(alex.couple.mailbox(at(2)).as_deref(), Some("mine"));

    let long = "x".repeat(trellis_core::action::MAX_MAILBOX_ADDRESS + 1);
    for bad in [long.as_str(), "line\nbreak"] {
        let err = alex
            .act(
                Action::SetMailbox {
                    address: Some(bad.into()),
                },
                at(3),
            )
            .unwrap_err();
        assert!(err.to_string().contains("mailbox address"), "{err}");
    }
}
