//! What a member or a code holder sends may be refused, never crash the mailbox.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod common;

use std::time::Duration;

use common::{Device, couple, options, start};
use trellis_net::NetError;
use trellis_net::mailbox::{Member, Reply, Request, members_alpn, registration_alpn};

/// Opens a stream as `device`, sends raw bytes, and returns whatever comes back.
async fn raw(
    device: &Device,
    mailbox: &trellis_mailbox::Mailbox,
    alpn: &[u8],
    bytes: &[u8],
) -> Vec<u8> {
    let conn = device.endpoint.connect(mailbox.addr(), alpn).await.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    let _ = send.write_all(bytes).await;
    let _ = send.finish();
    let answer = tokio::time::timeout(Duration::from_secs(10), recv.read_to_end(1 << 20)).await;
    conn.close(0u32.into(), b"");
    answer.ok().and_then(Result::ok).unwrap_or_default()
}

#[tokio::test]
async fn garbage_from_a_member_is_refused_and_the_mailbox_carries_on() {
    let tmp = tempfile::tempdir().unwrap();
    let mailbox = start(options(tmp.path())).await;
    let (alex, sam) = (Device::new(1).await, Device::new(2).await);
    let (to_alex, to_sam) = couple(&mailbox, &alex, &sam).await;

    let mut huge = u32::MAX.to_le_bytes().to_vec();
    huge.extend_from_slice(&[1, 5]);
    let mut chunk_first = Request::Chunk(vec![1; 10]).encode();
    chunk_first.extend(Request::Status.encode());
    let mut deposit_lies = Request::Deposit { len: 10 }.encode();
    deposit_lies.extend(Request::Chunk(vec![1; 11]).encode());
    let mut deposit_stops = Request::Deposit { len: 1000 }.encode();
    deposit_stops.extend(Request::Chunk(vec![1; 10]).encode());
    let mut wrong_version = Request::Status.encode();
    wrong_version[4] = 99;
    let cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        vec![1, 0, 0, 0, 1],
        huge,
        wrong_version,
        chunk_first,
        deposit_lies,
        deposit_stops,
        Request::Deposit { len: u64::MAX }.encode(),
        Request::Register {
            secret: [0; 16],
            me: alex.member(),
            partner: sam.member(),
        }
        .encode(),
        (0..=255u8).cycle().take(5000).collect(),
    ];
    for case in &cases {
        let answer = raw(&alex, &mailbox, &members_alpn(&mailbox.addr().id), case).await;
        // Whatever came back is at most a refusal, never an envelope or a stored deposit.
        if answer.len() > 4 {
            let reply = Reply::decode(&answer[4..]);
            assert!(
                !matches!(reply, Ok(Reply::Deposited { .. })),
                "{case:?} was stored: {reply:?}"
            );
        }
    }
    let status = to_sam.status().await.unwrap();
    assert_eq!(status.waiting_for_me, 0, "nothing half-sent was kept");
    assert_eq!(status.used_bytes, 0);
    to_alex.deposit(b"still working").await.unwrap();
    assert_eq!(to_sam.pick_up().await.unwrap().len(), 1);
    mailbox.shutdown().await;
}

#[tokio::test]
async fn a_code_takes_only_its_secret_and_only_valid_certificates() {
    let tmp = tempfile::tempdir().unwrap();
    let mailbox = start(options(tmp.path())).await;
    let (alex, sam) = (Device::new(1).await, Device::new(2).await);
    let code = mailbox.new_code(Duration::from_secs(600)).unwrap();
    let alpn = registration_alpn(&code.secret);

    // The right door with the wrong secret (someone who saw the ALPN go by).
    let wrong = Request::Register {
        secret: [0; 16],
        me: alex.member(),
        partner: sam.member(),
    }
    .encode();
    let answer = raw(&alex, &mailbox, &alpn, &wrong).await;
    assert!(matches!(Reply::decode(&answer[4..]), Ok(Reply::Refused(_))));

    // A certificate that does not verify.
    let forged = Member {
        device_certificate: [7; 64],
        ..sam.member()
    };
    let forged = Request::Register {
        secret: code.secret,
        me: alex.member(),
        partner: forged,
    }
    .encode();
    let answer = raw(&alex, &mailbox, &alpn, &forged).await;
    assert!(matches!(Reply::decode(&answer[4..]), Ok(Reply::Refused(_))));
    // Registering on someone else's behalf.
    let answer = raw(
        &sam,
        &mailbox,
        &alpn,
        &Request::Register {
            secret: code.secret,
            me: alex.member(),
            partner: sam.member(),
        }
        .encode(),
    )
    .await;
    assert!(matches!(Reply::decode(&answer[4..]), Ok(Reply::Refused(_))));
    assert_eq!(mailbox.couples(), 0);

    // The code still works for the real thing, once.
    let to_alex = alex.client(&mailbox);
    to_alex
        .register(code.secret, alex.member(), sam.member())
        .await
        .unwrap();
    assert_eq!(mailbox.couples(), 1);
    let error = to_alex
        .register(code.secret, sam.member(), alex.member())
        .await
        .unwrap_err();
    assert!(
        matches!(error, NetError::Internal(_)),
        "the client checks `me` first: {error}"
    );
    mailbox.shutdown().await;
}
