//! Which device each partner syncs from: the card's, until a record of theirs names another;
//! a replaced device never comes back, and nothing the other partner writes moves it.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod support;

use support::*;
use trellis_core::{Action, Identity};

fn new_device() -> [u8; 32] {
    Identity::generate().unwrap().public().0
}

/// The action Sam's copy makes to move Sam to `device`.
fn move_to(side: &mut Side, device: [u8; 32]) -> Action {
    let certificate = side.identity().certify_device(&device);
    side.couple
        .device_to_record(&(device, certificate))
        .unwrap()
}

#[test]
fn a_recorded_device_replaces_the_one_before_and_never_gives_way_back() {
    let (mut alex, mut sam) = pair();
    let key = sam.couple.me();
    let first = alex.couple.current_device(&key).unwrap().0;

    // Sam moves to a new laptop, then to a third.
    let second = new_device();
    let action = move_to(&mut sam, second);
    sam.act(action, at(1)).unwrap();
    let third = new_device();
    let action = move_to(&mut sam, third);
    sam.act(action, at(2)).unwrap();
    exchange(&mut alex, &mut sam);
    assert_eq!(alex.couple.current_device(&key).unwrap().0, third);
    let retired = alex.couple.retired_devices(&key);
    assert!(retired.contains(&first) && retired.contains(&second));
    assert_eq!(alex.couple.devices_of(&key).len(), 3);

    // A copy on a retired device does not take over again, and the current one is current.
    let cert = sam.identity().certify_device(&first);
    assert!(sam.couple.device_to_record(&(first, cert)).is_none());
    let cert = sam.identity().certify_device(&third);
    assert!(sam.couple.device_to_record(&(third, cert)).is_none());
}

#[test]
fn a_device_certified_by_another_key_is_refused_before_it_is_written() {
    let (mut alex, mut sam) = pair();
    let device = new_device();
    let stranger = Identity::generate().unwrap();
    let err = sam
        .act(
            Action::RecordDevice {
                device: hex::encode(device),
                certificate: hex::encode(stranger.certify_device(&device)),
                replaces: None,
            },
            at(1),
        )
        .unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
    // Nor can Alex's copy write one (it would be Alex's own record, and the certificate
    // is not Alex's); writing into Sam's space is refused by the ownership rule.
    let key = sam.couple.me();
    let before = alex.couple.current_device(&key);
    let err = alex
        .act(
            Action::RecordDevice {
                device: hex::encode(device),
                certificate: hex::encode(stranger.certify_device(&device)),
                replaces: None,
            },
            at(2),
        )
        .unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
    exchange(&mut alex, &mut sam);
    assert_eq!(alex.couple.current_device(&key), before);
    assert_eq!(sam.couple.current_device(&key), before);
}
