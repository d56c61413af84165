//! An agreement both said yes to keeps holding while a change to it is proposed: the
//! wording in force changes only when both say yes to the new one.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod support;

use support::*;
use trellis_core::view::{AgreementStatus, AgreementView, View};
use trellis_core::{Action, RevisionDraft};

fn view_of(side: &Side, now: trellis_core::Moment) -> View {
    View::build(
        side.couple.root(),
        &side.couple.me(),
        &side.couple.partner(),
        now,
    )
}

fn agreement(side: &Side, id: &str, now: trellis_core::Moment) -> AgreementView {
    view_of(side, now).agreement(id).unwrap().clone()
}

fn wording_of(a: &AgreementView, revision: Option<&String>) -> String {
    a.revision(revision.unwrap()).unwrap().wording.clone()
}

fn revise(side: &mut Side, id: &str, wording: &str, now: trellis_core::Moment) {
    side.act(
        Action::ReviseAgreement {
            agreement: id.into(),
            draft: RevisionDraft {
                wording: Some(wording.into()),
                ..Default::default()
            },
        },
        now,
    )
    .unwrap();
}

fn accept(side: &mut Side, id: &str, now: trellis_core::Moment) {
    side.act(
        Action::AcceptAgreement {
            agreement: id.into(),
            revision: None,
        },
        now,
    )
    .unwrap();
}

/// Both said yes; returns the agreement's id.
fn in_force(alex: &mut Side, sam: &mut Side) -> String {
    let id = propose(alex, "Phones at dinner", at(1));
    exchange(alex, sam);
    accept(sam, &id, at(2));
    exchange(alex, sam);
    assert_eq!(agreement(alex, &id, at(3)).status, AgreementStatus::InForce);
    id
}

#[test]
fn a_proposed_change_leaves_the_agreed_wording_in_force_until_both_say_yes() {
    let (mut alex, mut sam) = pair();
    let id = in_force(&mut alex, &mut sam);
    let agreed = "We agree: Phones at dinner";

    revise(
        &mut alex,
        &id,
        "Phones stay in the other room at dinner",
        at(4),
    );
    exchange(&mut alex, &mut sam);
    for side in [&alex, &sam] {
        let a = agreement(side, &id, at(5));
        assert_eq!(a.status, AgreementStatus::ChangeProposed, "{a:?}");
        assert!(a.in_force());
        assert_eq!(wording_of(&a, a.holding.as_ref()), agreed);
        assert_eq!(
            wording_of(&a, a.current.first()),
            "Phones stay in the other room at dinner"
        );
        assert_eq!(
            view_of(side, at(5))
                .agreements
                .iter()
                .filter(|a| a.in_force())
                .count(),
            1,
            "still one agreement in force"
        );
    }
    assert_eq!(
        agreement(&sam, &id, at(5)).waiting_for,
        [trellis_core::view::Who::Me]
    );

    // A second revision before Sam answers: still the agreed wording holds.
    revise(
        &mut alex,
        &id,
        "Phones stay in the other room at every meal",
        at(6),
    );
    exchange(&mut alex, &mut sam);
    let a = agreement(&sam, &id, at(7));
    assert_eq!(a.status, AgreementStatus::ChangeProposed);
    assert_eq!(wording_of(&a, a.holding.as_ref()), agreed);

    // Sam's yes puts the new wording in force; the old one is history.
    accept(&mut sam, &id, at(8));
    exchange(&mut alex, &mut sam);
    for side in [&alex, &sam] {
        let a = agreement(side, &id, at(9));
        assert_eq!(a.status, AgreementStatus::InForce);
        assert_eq!(
            wording_of(&a, a.holding.as_ref()),
            "Phones stay in the other room at every meal"
        );
    }
}

#[test]
fn changes_proposed_apart_keep_the_agreed_wording_in_force_while_they_are_talked_over() {
    let (alex, _sam, id) = two_versions_apart();
    let a = agreement(&alex, &id, at(6));
    assert_eq!(a.status, AgreementStatus::NeedsConversation);
    assert!(a.in_force());
    assert_eq!(
        wording_of(&a, a.holding.as_ref()),
        "We agree: Phones at dinner"
    );
}

#[test]
fn a_wording_never_agreed_together_is_never_in_force() {
    let (mut alex, mut sam) = pair();
    let id = propose(&mut alex, "Phones at dinner", at(1));
    exchange(&mut alex, &mut sam);
    // Sam answers with other words instead of a yes: nothing holds yet.
    revise(
        &mut sam,
        &id,
        "Phones away at dinner, except on call nights",
        at(2),
    );
    exchange(&mut alex, &mut sam);
    let a = agreement(&alex, &id, at(3));
    assert_eq!(a.status, AgreementStatus::Proposed);
    assert_eq!(a.holding, None);
    assert!(!a.in_force());
}

/// An agreement in force, then two versions written apart: Alex's ends "100", Sam's "300".
fn two_versions_apart() -> (Side, Side, String) {
    let (mut alex, mut sam) = pair();
    let id = in_force(&mut alex, &mut sam);
    revise(
        &mut alex,
        &id,
        "We talk before any purchase over 100",
        at(4),
    );
    revise(&mut sam, &id, "We talk before any purchase over 300", at(5));
    exchange(&mut alex, &mut sam);
    (alex, sam, id)
}

/// [`two_versions_apart`], then Alex settles by keeping, word for word, the version ending in `kept`.
fn settled_by_alex_keeping(kept: &str) -> (Side, Side, String) {
    let (mut alex, mut sam, id) = two_versions_apart();
    let version = agreement(&alex, &id, at(6))
        .revisions
        .iter()
        .find(|r| r.wording.ends_with(kept))
        .unwrap()
        .id
        .clone();
    alex.act(
        Action::ReviseAgreement {
            agreement: id.clone(),
            draft: RevisionDraft {
                from: Some(version),
                ..Default::default()
            },
        },
        at(7),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);
    (alex, sam, id)
}

#[test]
fn choosing_the_version_the_other_said_yes_to_settles_a_conversation_in_one_step() {
    // Alex keeps Sam's words: Sam already said yes to them.
    let (alex, sam, id) = settled_by_alex_keeping("300");
    for side in [&alex, &sam] {
        let a = agreement(side, &id, at(8));
        assert_eq!(a.status, AgreementStatus::InForce, "{a:?}");
        assert!(a.waiting_for.is_empty());
        assert_eq!(
            wording_of(&a, a.holding.as_ref()),
            "We talk before any purchase over 300"
        );
    }
}

#[test]
fn choosing_my_own_version_still_waits_for_the_others_yes() {
    let (_alex, sam, id) = settled_by_alex_keeping("100");
    let a = agreement(&sam, &id, at(8));
    assert_eq!(a.status, AgreementStatus::ChangeProposed, "{a:?}");
    assert_eq!(a.waiting_for, [trellis_core::view::Who::Me]);
    // The agreed wording from before the conversation still holds.
    assert_eq!(
        wording_of(&a, a.holding.as_ref()),
        "We agree: Phones at dinner"
    );
}
