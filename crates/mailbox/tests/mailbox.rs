//! The mailbox end to end over loopback: real client endpoints, a real mailbox, its store
//! on disk.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod common;

use std::time::Duration;

use common::{Device, contains, couple, options, start};
use trellis_core::SealKey;
use trellis_core::seal::seal;
use trellis_net::{MailboxCode, NetError};

#[tokio::test]
async fn a_code_registers_a_couple_once_and_envelopes_travel_between_them() {
    let tmp = tempfile::tempdir().unwrap();
    let mailbox = start(options(tmp.path())).await;
    let (alex, sam) = (Device::new(1).await, Device::new(2).await);
    let code = mailbox.new_code(Duration::from_secs(600)).unwrap();
    let code = MailboxCode::decode(&code.encode()).unwrap();
    let to_alex = alex.client(&mailbox);
    let to_sam = sam.client(&mailbox);
    to_alex
        .register(code.secret, alex.member(), sam.member())
        .await
        .unwrap();
    assert_eq!(mailbox.couples(), 1);
    // Idempotent for the couple: the code is used up, but the device is a member.
    to_sam
        .register(code.secret, sam.member(), alex.member())
        .await
        .unwrap();
    assert_eq!(mailbox.couples(), 1);

    // A second use of the code by anyone else is refused.
    let (robin, kim) = (Device::new(3).await, Device::new(4).await);
    let error = robin
        .client(&mailbox)
        .register(code.secret, robin.member(), kim.member())
        .await
        .unwrap_err();
    assert!(matches!(error, NetError::MailboxCodeClosed), "{error}");
    // So is an expired code.
    let expired = mailbox.new_code(Duration::from_millis(1)).unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let error = robin
        .client(&mailbox)
        .register(expired.secret, robin.member(), kim.member())
        .await
        .unwrap_err();
    assert!(matches!(error, NetError::MailboxCodeClosed), "{error}");
    assert_eq!(mailbox.couples(), 1);

    let envelopes: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i; 1000 + usize::from(i)]).collect();
    let mut ids = Vec::new();
    for e in &envelopes {
        ids.push(to_alex.deposit(e).await.unwrap());
    }
    let alex_sees = to_alex.status().await.unwrap();
    assert_eq!(alex_sees.waiting_for_partner, ids);
    assert_eq!(alex_sees.waiting_for_me, 0);
    assert_eq!(alex_sees.used_bytes, 3003);
    assert_eq!(to_sam.status().await.unwrap().waiting_for_me, 3);
    assert!(
        to_alex.pick_up().await.unwrap().is_empty(),
        "nothing for the sender"
    );

    let picked = to_sam.pick_up().await.unwrap();
    let expected: Vec<(u64, Vec<u8>)> = ids.iter().copied().zip(envelopes.clone()).collect();
    assert_eq!(picked, expected, "oldest first, byte for byte");
    // Until acknowledged, they stay.
    assert_eq!(to_sam.pick_up().await.unwrap(), expected);
    to_sam.acknowledge(&ids[..2]).await.unwrap();
    assert_eq!(
        to_alex.status().await.unwrap().waiting_for_partner,
        ids[2..]
    );
    to_sam.acknowledge(&ids).await.unwrap();
    let alex_sees = to_alex.status().await.unwrap();
    assert!(alex_sees.waiting_for_partner.is_empty());
    assert_eq!(alex_sees.used_bytes, 0);

    // Both ways.
    let back = to_sam.deposit(b"and back").await.unwrap();
    assert_eq!(
        to_alex.pick_up().await.unwrap(),
        vec![(back, b"and back".to_vec())]
    );
    mailbox.shutdown().await;
}

#[tokio::test]
async fn strangers_are_refused_and_couples_never_see_each_others_envelopes() {
    let tmp = tempfile::tempdir().unwrap();
    let mailbox = start(options(tmp.path())).await;
    let (alex, sam, robin, kim) = (
        Device::new(1).await,
        Device::new(2).await,
        Device::new(3).await,
        Device::new(4).await,
    );
    let (to_alex, to_sam) = couple(&mailbox, &alex, &sam).await;
    let (to_robin, to_kim) = couple(&mailbox, &robin, &kim).await;
    assert_eq!(mailbox.couples(), 2);

    let stranger = Device::new(9).await;
    let to_stranger = stranger.client(&mailbox);
    for result in [
        to_stranger.status().await.map(|_| ()),
        to_stranger.deposit(b"let me in").await.map(|_| ()),
        to_stranger.pick_up().await.map(|_| ()),
    ] {
        let error = result.unwrap_err();
        assert!(matches!(error, NetError::MailboxNotMember), "{error}");
    }

    to_alex.deposit(b"for Sam only").await.unwrap();
    to_robin.deposit(b"for Kim only").await.unwrap();
    assert_eq!(to_kim.pick_up().await.unwrap().len(), 1);
    assert_eq!(to_kim.pick_up().await.unwrap()[0].1, b"for Kim only");
    assert_eq!(to_sam.pick_up().await.unwrap()[0].1, b"for Sam only");
    let kim_sees = to_kim.status().await.unwrap();
    assert_eq!(kim_sees.waiting_for_me, 1);
    assert!(kim_sees.waiting_for_partner.is_empty());
    // Acknowledging another couple's id does nothing to theirs.
    let sams = to_sam.pick_up().await.unwrap()[0].0;
    to_kim.acknowledge(&[sams, sams + 1]).await.unwrap();
    assert_eq!(to_sam.status().await.unwrap().waiting_for_me, 1);

    // A couple that leaves is gone, devices and envelopes.
    to_robin.leave().await.unwrap();
    assert_eq!(mailbox.couples(), 1);
    let error = to_kim.status().await.unwrap_err();
    assert!(matches!(error, NetError::MailboxNotMember), "{error}");
    mailbox.shutdown().await;
}

#[tokio::test]
async fn a_restart_loses_nothing_and_the_same_clients_carry_on() {
    let tmp = tempfile::tempdir().unwrap();
    let mailbox = start(options(tmp.path())).await;
    let (alex, sam) = (Device::new(1).await, Device::new(2).await);
    let (to_alex, to_sam) = couple(&mailbox, &alex, &sam).await;
    let first = to_alex.deposit(&[7; 5000]).await.unwrap();
    let second = to_alex.deposit(&[8; 3_000_000]).await.unwrap();
    let addr = mailbox.addr();
    mailbox.shutdown().await;

    let mailbox = start(options(tmp.path())).await;
    assert_eq!(mailbox.addr().id, addr.id, "the same key");
    assert_eq!(mailbox.addr(), addr, "the same port");
    assert_eq!(mailbox.couples(), 1);
    let picked = to_sam.pick_up().await.unwrap();
    assert_eq!(
        picked,
        vec![(first, vec![7; 5000]), (second, vec![8; 3_000_000])]
    );
    let third = to_alex.deposit(b"after the restart").await.unwrap();
    assert!(third > second, "ids are never reused");
    mailbox.shutdown().await;
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_deposit_keeps_what_came_before_and_a_retry_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let mailbox = start(options(tmp.path())).await;
    let (alex, sam) = (Device::new(1).await, Device::new(2).await);
    let (to_alex, to_sam) = couple(&mailbox, &alex, &sam).await;
    let small = to_alex.deposit(&[1; 4096]).await.unwrap();

    let large = vec![2u8; 64 * 1024 * 1024];
    let depositing = {
        let (alex_endpoint, addr, large) = (alex.endpoint.clone(), mailbox.addr(), large.clone());
        tokio::spawn(async move {
            trellis_net::MailboxClient::new(alex_endpoint, addr)
                .deposit(&large)
                .await
        })
    };
    // The deposit is under way once its room is held.
    loop {
        if to_sam.status().await.unwrap().used_bytes > 4096 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    mailbox.shutdown().await;
    assert!(depositing.await.unwrap().is_err(), "the cut deposit fails");

    let mailbox = start(options(tmp.path())).await;
    let sam_sees = to_sam.status().await.unwrap();
    assert_eq!(sam_sees.waiting_for_me, 1);
    assert_eq!(
        sam_sees.used_bytes, 4096,
        "nothing of the cut deposit is left"
    );
    let retried = to_alex.deposit(&large).await.unwrap();
    // One pick-up is bounded in bytes: the large envelope comes on its own, after the
    // small one is acknowledged.
    assert_eq!(
        to_sam.pick_up().await.unwrap(),
        vec![(small, vec![1; 4096])]
    );
    to_sam.acknowledge(&[small]).await.unwrap();
    let picked = to_sam.pick_up().await.unwrap();
    assert_eq!(picked.len(), 1);
    assert_eq!(picked[0].0, retried);
    assert!(picked[0].1 == large);
    mailbox.shutdown().await;
}

#[tokio::test]
async fn a_full_mailbox_refuses_clearly_and_makes_room_as_envelopes_are_picked_up() {
    let tmp = tempfile::tempdir().unwrap();
    let mailbox = start(trellis_mailbox::MailboxOptions {
        quota_bytes: 10_000,
        ..options(tmp.path())
    })
    .await;
    let (alex, sam) = (Device::new(1).await, Device::new(2).await);
    let (to_alex, to_sam) = couple(&mailbox, &alex, &sam).await;
    let id = to_alex.deposit(&[1; 6000]).await.unwrap();
    let error = to_alex.deposit(&[2; 6000]).await.unwrap_err();
    assert!(
        matches!(
            error,
            NetError::MailboxFull {
                used: 6000,
                quota: 10_000
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("full"), "{error}");
    let error = to_alex.deposit(&[3; 20_000]).await.unwrap_err();
    assert!(
        matches!(
            error,
            NetError::MailboxTooLarge {
                len: 20_000,
                max: 10_000
            }
        ),
        "{error}"
    );
    // The partner's own deposits count against the same quota.
    let error = to_sam.deposit(&[4; 5000]).await.unwrap_err();
    assert!(matches!(error, NetError::MailboxFull { .. }), "{error}");

    to_sam.acknowledge(&[id]).await.unwrap();
    to_alex.deposit(&[2; 6000]).await.unwrap();
    assert_eq!(to_alex.status().await.unwrap().used_bytes, 6000);
    mailbox.shutdown().await;
}

#[tokio::test]
async fn an_envelope_nobody_picked_up_expires_into_a_notice_for_its_sender() {
    let tmp = tempfile::tempdir().unwrap();
    let mailbox = start(trellis_mailbox::MailboxOptions {
        expiry: Duration::from_millis(300),
        sweep_every: Duration::from_millis(50),
        ..options(tmp.path())
    })
    .await;
    let (alex, sam) = (Device::new(1).await, Device::new(2).await);
    let (to_alex, to_sam) = couple(&mailbox, &alex, &sam).await;
    let id = to_alex.deposit(&[5; 2000]).await.unwrap();
    let mut waited = 0;
    let alex_sees = loop {
        let status = to_alex.status().await.unwrap();
        if !status.expired.is_empty() || waited > 100 {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    };
    assert_eq!(alex_sees.expired, vec![id]);
    assert!(alex_sees.waiting_for_partner.is_empty());
    assert_eq!(alex_sees.used_bytes, 0);
    assert!(to_sam.pick_up().await.unwrap().is_empty());
    assert!(
        to_sam.status().await.unwrap().expired.is_empty(),
        "the notice is the sender's"
    );

    to_alex.forget_expired(&[id]).await.unwrap();
    assert!(to_alex.status().await.unwrap().expired.is_empty());
    mailbox.shutdown().await;
}

#[tokio::test]
async fn the_store_never_holds_the_words_inside_a_sealed_envelope() {
    const MARKER: &[u8] = b"WORDS-ONLY-SAM-MAY-READ";
    let tmp = tempfile::tempdir().unwrap();
    let mailbox = start(options(tmp.path())).await;
    let (alex, sam) = (Device::new(1).await, Device::new(2).await);
    let (to_alex, to_sam) = couple(&mailbox, &alex, &sam).await;
    let mut bundle = b"a check-in: ".to_vec();
    bundle.extend_from_slice(MARKER);
    let sam_key = SealKey::of(&sam.identity);
    let envelope = seal(&sam_key.public(), &bundle).unwrap();
    assert!(!contains(&envelope, MARKER));
    to_alex.deposit(&envelope).await.unwrap();
    mailbox.shutdown().await;

    let stored = std::fs::read(tmp.path().join("mailbox.redb")).unwrap();
    assert!(
        contains(&stored, &envelope[envelope.len() - 64..]),
        "the envelope is stored"
    );
    assert!(!contains(&stored, MARKER));

    let mailbox = start(options(tmp.path())).await;
    let picked = to_sam.pick_up().await.unwrap();
    assert_eq!(sam_key.open(&picked[0].1).unwrap(), bundle);
    mailbox.shutdown().await;
}
