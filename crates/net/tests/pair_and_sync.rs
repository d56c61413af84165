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
