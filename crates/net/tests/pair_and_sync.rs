//! Two real nodes in one process, over loopback: pairing and live, verified sync.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod support;

use support::*;
use trellis_core::schema::Category;
use trellis_core::{Action, AgreementDraft};
use trellis_net::Command;

fn propose(title: &str) -> Command {
    Command::Act(Action::ProposeAgreement(AgreementDraft {
        title: title.into(),
        category: Category::Communication,
        wording: format!("We agree on {title}"),
        if_crossed: None,
        review_on: None,
    }))
}

#[test]
fn pair_with_an_invite_then_changes_flow_live_both_ways() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let alex = start(&profile(tmp.path(), "Alex"));
    let sam = start(&profile(tmp.path(), "Sam"));
    let (a, b) = pair(&alex, &sam);
    assert_eq!(a, b, "both devices show the same safety number");

    // A change made on one side arrives on the other without any sync command.
    ok(&alex, propose("Phones at dinner"));
    wait_until(&sam, "Sam sees Alex's proposal", |s| {
        agreement_status(s, "Phones at dinner").as_deref() == Some("proposed")
    });
    let id = sam.snapshot().view.as_ref().unwrap().agreements[0]
        .id
        .clone();
    ok(
        &sam,
        Command::Act(Action::AcceptAgreement {
            agreement: id,
            revision: None,
        }),
    );
    wait_until(&alex, "Alex sees it in force", |s| {
        agreement_status(s, "Phones at dinner").as_deref() == Some("in force")
    });
    let snap = wait_until(&alex, "Alex's status settles", |s| {
        s.network.connected
            && s.status
                .as_ref()
                .and_then(|st| st.couple.as_ref())
                .is_some_and(|c| c.not_yet_with_partner == 0 && c.last_synced_at.is_some())
    });
    assert!(snap.network.connected);
    alex.shutdown();
    sam.shutdown();
}

#[test]
fn edits_made_apart_converge_when_the_devices_meet_again() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let alex_dir = profile(tmp.path(), "Alex");
    let sam_dir = profile(tmp.path(), "Sam");
    {
        let alex = start(&alex_dir);
        let sam = start(&sam_dir);
        pair(&alex, &sam);
        alex.shutdown();
        sam.shutdown();
    }
    // Apart: each writes with the network off.
    let offline = |dir: &std::path::Path, title: &str| {
        let node = start_with(dir, |o| o.network = false);
        ok(&node, propose(title));
        ok(
            &node,
            Command::Act(Action::Appreciate {
                text: format!("thanks, from the {title} side"),
            }),
        );
        node.shutdown();
    };
    offline(&alex_dir, "Alex's idea");
    offline(&sam_dir, "Sam's idea");

    let alex = start(&alex_dir);
    let sam = start(&sam_dir);
    for node in [&alex, &sam] {
        wait_until(node, "both ideas on both devices", |s| {
            agreement_status(s, "Alex's idea").is_some()
                && agreement_status(s, "Sam's idea").is_some()
        });
    }
    wait_until(&alex, "everything acknowledged", |s| {
        s.status
            .as_ref()
            .and_then(|st| st.couple.as_ref())
            .is_some_and(|c| c.not_yet_with_partner == 0)
    });
    assert_eq!(change_count(&alex), change_count(&sam));
    assert_eq!(change_count(&alex), 5);
}

#[test]
fn a_stranger_is_refused_right_after_the_handshake() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let alex = start(&profile(tmp.path(), "Alex"));
    let sam_dir = profile(tmp.path(), "Sam");
    {
        let sam = start(&sam_dir);
        pair(&alex, &sam);
        sam.shutdown();
    }
    // The worst case: a stranger who somehow learned the couple's sync ALPN.
    let alpn = sync_alpn(&sam_dir);
    let sam = start(&sam_dir);
    ok(&alex, propose("Private words"));
    let addr = address(&alex);

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let stranger = bare_endpoint(None, 0).await;
        let outcome: Result<(), String> = async {
            let conn = dial(&stranger, addr.clone(), &alpn).await?;
            let (mut send, mut recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
            send.write_all(b"hello?").await.map_err(|e| e.to_string())?;
            let mut buf = [0u8; 1];
            recv.read_exact(&mut buf).await.map_err(|e| e.to_string())?;
            Ok(())
        }
        .await;
        // The connection is closed before the stranger reads a single byte.
        outcome.expect_err("a stranger must not get a byte");
        stranger.close().await;
    });
    // Alex is still fine and still syncing with Sam.
    ok(&alex, propose("Still here"));
    wait_until(&sam, "Sam still gets Alex's changes", |s| {
        agreement_status(s, "Still here").is_some()
    });
}

#[test]
fn wrong_reused_and_expired_invites_are_refused() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let alex = start(&profile(tmp.path(), "Alex"));
    let sam = start(&profile(tmp.path(), "Sam"));
    let eve = start(&profile(tmp.path(), "Eve"));
    let code = open_invite(&alex);
    let invite = trellis_net::Invite::decode(&code).unwrap();

    // A wrong secret names an ALPN the inviter does not answer at all.
    let mut wrong = invite.clone();
    wrong.secret[0] ^= 0xff;
    match call(&eve, Command::Join(wrong.encode())) {
        trellis_net::Event::Failed { error, .. } => {
            assert!(error.to_string().contains("no answer"), "{error}")
        }
        other => panic!("a wrong code was accepted: {other:?}"),
    }
    // An expired code is refused before dialing.
    let mut old = invite.clone();
    old.expires_at = 1;
    match call(&eve, Command::Join(old.encode())) {
        trellis_net::Event::Failed { error, .. } => {
            assert!(error.to_string().contains("expired"), "{error}")
        }
        other => panic!("an expired code was accepted: {other:?}"),
    }
    // A mistyped code.
    match call(&eve, Command::Join(format!("{}X", &code[..code.len() - 2]))) {
        trellis_net::Event::Failed { error, .. } => {
            assert!(error.to_string().contains("not valid"), "{error}")
        }
        other => panic!("a mistyped code was accepted: {other:?}"),
    }
    // The ALPN alone is not enough: the handler checks the secret too.
    let reason = knock(&alex, &invite.alpn(), wrong.secret).expect("the open invite answers");
    assert!(reason.contains("not right"), "{reason}");
    // The real partner still gets in with the right code, once.
    ok(&sam, Command::Join(code.clone()));
    assert_eq!(
        knock(&alex, &invite.alpn(), invite.secret),
        None,
        "a used invite's ALPN is closed"
    );
    match call(&eve, Command::Join(code.clone())) {
        trellis_net::Event::Failed { error, .. } => {
            assert!(error.to_string().contains("no answer"), "{error}")
        }
        other => panic!("a used code was accepted again: {other:?}"),
    }
    // Five wrong tries close a new invite.
    let code = open_invite(&alex);
    let invite = trellis_net::Invite::decode(&code).unwrap();
    for i in 0..5 {
        let mut secret = invite.secret;
        secret[1] = secret[1].wrapping_add(1 + i);
        let reason = knock(&alex, &invite.alpn(), secret).expect("the open invite answers");
        assert!(
            reason.contains("not right") || reason.contains("too many"),
            "{reason}"
        );
    }
    wait_until(&alex, "the invite closed", |s| s.network.invite.is_none());
    assert_eq!(
        knock(&alex, &invite.alpn(), invite.secret),
        None,
        "a closed invite's ALPN is closed"
    );
    // Eve never became anyone's partner.
    assert!(eve.snapshot().status.as_ref().unwrap().couple.is_none());
}

#[test]
fn a_one_shot_sync_meets_reports_and_ends() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let alex_dir = profile(tmp.path(), "Alex");
    let sam_dir = profile(tmp.path(), "Sam");
    let alex = start(&alex_dir);
    {
        let sam = start(&sam_dir);
        pair(&alex, &sam);
        sam.shutdown();
    }
    ok(&alex, propose("While Sam was away"));
    let sam = start_with(&sam_dir, |o| o.auto_connect = false);
    ok(
        &sam,
        Command::Act(Action::Appreciate {
            text: "thanks".into(),
        }),
    );
    let started = std::time::Instant::now();
    let report = match call(&sam, Command::SyncOnce) {
        trellis_net::Event::SyncFinished { report, .. } => report,
        other => panic!("sync failed: {other:?}"),
    };
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert!(report.in_sync, "{report:?}");
    assert_eq!(report.sent_changes, 1);
    assert_eq!(report.received_changes, 1);
    assert_eq!(report.verified, 1);
    assert_eq!(report.rejected, 0);
    let s = wait_until(&sam, "Sam's status is honest", |s| {
        s.status
            .as_ref()
            .and_then(|st| st.couple.as_ref())
            .is_some_and(|c| c.not_yet_with_partner == 0)
    });
    assert!(agreement_status(&s, "While Sam was away").is_some());
    wait_until(&alex, "Alex has Sam's change", |s| {
        s.view.as_ref().is_some_and(|v| v.appreciations.len() == 1)
    });
}

#[test]
fn ending_the_space_reaches_the_partner_then_sync_stops() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let alex = start(&profile(tmp.path(), "Alex"));
    let sam = start(&profile(tmp.path(), "Sam"));
    pair(&alex, &sam);
    ok(&alex, propose("Kept readable"));
    wait_until(&sam, "Sam has the agreement", |s| {
        agreement_status(s, "Kept readable").is_some()
    });
    wait_until(&sam, "connected", |s| s.network.connected);
    ok(
        &sam,
        Command::EndSpace(Some("Thank you for everything".into())),
    );
    let a = wait_until(&alex, "Alex learns the space ended", |s| {
        s.view.as_ref().is_some_and(|v| v.ended.is_some())
    });
    assert_eq!(
        a.view
            .as_ref()
            .unwrap()
            .ended
            .as_ref()
            .unwrap()
            .note
            .as_deref(),
        Some("Thank you for everything")
    );
    wait_until(&alex, "the connection closes", |s| !s.network.connected);
    wait_until(&sam, "the connection closes", |s| !s.network.connected);
    // Both copies are read-only now.
    for node in [&alex, &sam] {
        match call(node, Command::Act(Action::Appreciate { text: "hi".into() })) {
            trellis_net::Event::Failed { error, .. } => {
                assert!(error.to_string().contains("read-only"), "{error}")
            }
            other => panic!("an ended space accepted a change: {other:?}"),
        }
        assert!(agreement_status(&node.snapshot(), "Kept readable").is_some());
    }
    // And they do not reconnect.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(!alex.snapshot().network.connected && !sam.snapshot().network.connected);
}
