//! Two partners edit while apart and exchange changes: they end up with the same document.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod support;

use proptest::prelude::*;
use support::*;
use trellis_core::{
    Action, CheckInDraft, RevisionDraft, View,
    schema::{Cadence, Need, Outcome},
    view::{AgreementStatus, Attention, Who},
};

#[test]
fn an_agreement_proposed_by_one_and_accepted_by_the_other_is_in_force_on_both() {
    let (mut alex, mut sam) = pair();
    let id = propose(&mut alex, "Phones at dinner", at(1));
    exchange(&mut alex, &mut sam);
    let sam_view = View::build(
        sam.couple.root(),
        &sam.couple.me(),
        &sam.couple.partner(),
        at(2),
    );
    let a = sam_view.agreement(&id).unwrap();
    assert_eq!(a.status, AgreementStatus::Proposed);
    assert_eq!(a.waiting_for, vec![Who::Me]);
    assert!(sam_view.attention.iter().any(
        |x| matches!(&**x, Attention::AgreementAwaitsMe { agreement, .. } if *agreement == id)
    ));

    sam.act(
        Action::AcceptAgreement {
            agreement: id[..8].to_string(),
            revision: None,
        },
        at(3),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);
    for side in [&mut alex, &mut sam] {
        let v = View::build(
            side.couple.root(),
            &side.couple.me(),
            &side.couple.partner(),
            at(4),
        );
        assert_eq!(v.agreement(&id).unwrap().status, AgreementStatus::InForce);
    }
    assert_eq!(alex.couple.root(), sam.couple.root());
}

#[test]
fn a_whole_practice_converges_after_edits_apart() {
    let (mut alex, mut sam) = pair();
    // Apart: both write.
    let phones = propose(&mut alex, "Phones", at(1));
    alex.act(
        Action::AddCheckIn(CheckInDraft {
            feel: "hopeful".into(),
            when: Some("we laugh together".into()),
            need: Some(Need::Reassurance),
            safety: Some(6),
            trust: Some(5),
            connection: Some(7),
            ..Default::default()
        }),
        at(2),
    )
    .unwrap();
    let repair = sam
        .act(
            Action::OpenRepair {
                what_happened: "You read my messages".into(),
                how_it_landed: "I felt watched".into(),
            },
            at(3),
        )
        .unwrap()
        .record;
    sam.act(
        Action::Appreciate {
            text: "Thank you for the tea".into(),
        },
        at(4),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);
    assert_eq!(alex.couple.root(), sam.couple.root());

    // The repair's long part: acknowledgement, commitment, follow-through, acknowledgement.
    alex.act(
        Action::AcknowledgeRepair {
            repair: repair.clone(),
            acknowledgement: "I read your messages without asking".into(),
            regret: "I am sorry it made you feel watched".into(),
        },
        at(10),
    )
    .unwrap();
    let commitment = alex
        .act(
            Action::AddCommitment {
                repair: repair.clone(),
                wording: "Ask before I look at anything of yours".into(),
                cadence: Some(Cadence::Weekly),
                due: None,
            },
            at(11),
        )
        .unwrap()
        .record;
    let report = alex
        .act(
            Action::ReportFollowThrough {
                commitment: commitment.clone(),
                outcome: Outcome::Kept,
                note: Some("Asked twice this week".into()),
                date: None,
            },
            at(12),
        )
        .unwrap()
        .record;
    sam.act(
        Action::AcceptAgreement {
            agreement: phones.clone(),
            revision: None,
        },
        at(13),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);
    sam.act(
        Action::AcknowledgeReport {
            report: report.clone(),
            note: Some("I noticed".into()),
        },
        at(14),
    )
    .unwrap();
    sam.act(
        Action::CloseRepair {
            repair: repair.clone(),
            note: None,
        },
        at(15),
    )
    .unwrap();
    alex.act(
        Action::CloseRepair {
            repair: repair.clone(),
            note: None,
        },
        at(16),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);
    assert_eq!(alex.couple.root(), sam.couple.root());

    let v = View::build(
        sam.couple.root(),
        &sam.couple.me(),
        &sam.couple.partner(),
        at(20),
    );
    let r = v.repairs.iter().find(|r| r.id == repair).unwrap();
    assert!(r.closed);
    assert_eq!(r.opened_by, Who::Me);
    assert!(r.acknowledgement.is_some());
    let c = &r.commitments[0];
    assert_eq!(c.owner, Who::Partner);
    assert_eq!(c.reports.len(), 1);
    assert!(c.reports[0].acknowledged.is_some());
    assert_eq!(
        v.agreement(&phones).unwrap().status,
        AgreementStatus::InForce
    );
    assert_eq!(v.checkins.len(), 1);
    assert_eq!(v.checkins[0].author, Who::Partner);
    assert!(v.checkins[0].folded, "Sam has not checked in that day yet");
    assert_eq!(v.weeks.len(), 1);
    assert_eq!(v.weeks[0].partner.safety, Some(6.0));
    assert_eq!(v.weeks[0].kept, 1);
    assert_eq!(v.weeks[0].appreciations, 1);
}

#[test]
fn concurrent_revisions_are_both_kept_and_need_a_conversation() {
    let (mut alex, mut sam) = pair();
    let id = propose(&mut alex, "Money", at(1));
    exchange(&mut alex, &mut sam);
    sam.act(
        Action::AcceptAgreement {
            agreement: id.clone(),
            revision: None,
        },
        at(2),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);
    // Apart, both revise the wording in force.
    alex.act(
        Action::ReviseAgreement {
            agreement: id.clone(),
            draft: RevisionDraft {
                wording: Some("We talk before any purchase over 100".into()),
                ..Default::default()
            },
        },
        at(3),
    )
    .unwrap();
    sam.act(
        Action::ReviseAgreement {
            agreement: id.clone(),
            draft: RevisionDraft {
                wording: Some("We talk before any purchase over 300".into()),
                ..Default::default()
            },
        },
        at(4),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);
    assert_eq!(alex.couple.root(), sam.couple.root());
    let v = View::build(
        alex.couple.root(),
        &alex.couple.me(),
        &alex.couple.partner(),
        at(5),
    );
    let a = v.agreement(&id).unwrap();
    assert_eq!(a.status, AgreementStatus::NeedsConversation);
    assert_eq!(a.current.len(), 2);
    let words: Vec<&str> = a
        .current
        .iter()
        .map(|r| a.revision(r).unwrap().wording.as_str())
        .collect();
    assert!(words.contains(&"We talk before any purchase over 100"));
    assert!(words.contains(&"We talk before any purchase over 300"));
    // Accepting is refused while two versions stand.
    assert!(
        alex.act(
            Action::AcceptAgreement {
                agreement: id.clone(),
                revision: None,
            },
            at(6),
        )
        .is_err()
    );
    // Settle: keep Sam's wording; then Sam agrees.
    let sams = a
        .current
        .iter()
        .find(|r| a.revision(r).unwrap().author == Who::Partner)
        .unwrap()
        .clone();
    alex.act(
        Action::ReviseAgreement {
            agreement: id.clone(),
            draft: RevisionDraft {
                from: Some(sams[..10].to_string()),
                ..Default::default()
            },
        },
        at(7),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);
    sam.act(
        Action::AcceptAgreement {
            agreement: id.clone(),
            revision: None,
        },
        at(8),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);
    let v = View::build(
        sam.couple.root(),
        &sam.couple.me(),
        &sam.couple.partner(),
        at(9),
    );
    let a = v.agreement(&id).unwrap();
    assert_eq!(a.status, AgreementStatus::InForce);
    assert_eq!(a.revisions.len(), 4, "every version stays readable");
    assert_eq!(
        a.current_revision().unwrap().wording,
        "We talk before any purchase over 300"
    );
}

#[derive(Debug, Clone)]
enum Step {
    Propose(bool),
    AcceptLatest(bool),
    Revise(bool, u8),
    CheckIn(bool, u8),
    Appreciate(bool),
    ReplyLatest(bool),
    Exchange,
    OneWay(bool),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        any::<bool>().prop_map(Step::Propose),
        any::<bool>().prop_map(Step::AcceptLatest),
        (any::<bool>(), 0u8..4).prop_map(|(s, n)| Step::Revise(s, n)),
        (any::<bool>(), 1u8..=10).prop_map(|(s, n)| Step::CheckIn(s, n)),
        any::<bool>().prop_map(Step::Appreciate),
        any::<bool>().prop_map(Step::ReplyLatest),
        Just(Step::Exchange),
        any::<bool>().prop_map(Step::OneWay),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_interleaving_converges(steps in proptest::collection::vec(step(), 1..40)) {
        let (mut alex, mut sam) = pair();
        let mut made = 0usize;
        for (i, s) in steps.iter().enumerate() {
            let now = at(10 + i as i64);
            let pick = |first: bool| first;
            match s {
                Step::Exchange => exchange(&mut alex, &mut sam),
                Step::OneWay(to_sam) => {
                    let (from, to) = if *to_sam { (&mut alex, &mut sam) } else { (&mut sam, &mut alex) };
                    let heads = to.couple.heads();
                    let changes = from.outgoing(&heads);
                    to.receive(changes).unwrap();
                }
                other => {
                    let side = match other {
                        Step::Propose(a) | Step::AcceptLatest(a) | Step::Revise(a, _)
                        | Step::CheckIn(a, _) | Step::Appreciate(a) | Step::ReplyLatest(a) => pick(*a),
                        _ => true,
                    };
                    let me = if side { &mut alex } else { &mut sam };
                    let view = View::build(me.couple.root(), &me.couple.me(), &me.couple.partner(), now);
                    let action = match other {
                        Step::Propose(_) => Some(Action::ProposeAgreement(trellis_core::AgreementDraft {
                            title: format!("Agreement {i}"),
                            category: trellis_core::schema::Category::Other,
                            wording: format!("Wording {i}"),
                            if_crossed: None,
                            review_on: None,
                        })),
                        Step::AcceptLatest(_) => view.agreements.last().map(|a| Action::AcceptAgreement {
                            agreement: a.id.clone(),
                            revision: None,
                        }),
                        Step::Revise(_, n) => view.agreements.get(*n as usize).map(|a| Action::ReviseAgreement {
                            agreement: a.id.clone(),
                            draft: RevisionDraft { wording: Some(format!("Revised at {i}")), ..Default::default() },
                        }),
                        Step::CheckIn(_, n) => Some(Action::AddCheckIn(CheckInDraft {
                            feel: format!("feeling {n}"),
                            safety: Some(*n),
                            ..Default::default()
                        })),
                        Step::Appreciate(_) => Some(Action::Appreciate { text: format!("thanks {i}") }),
                        Step::ReplyLatest(_) => view
                            .checkins
                            .iter()
                            .find(|c| c.author == Who::Partner)
                            .map(|c| Action::ReplyToCheckIn { checkin: c.id.clone(), text: "I hear you".into() }),
                        _ => None,
                    };
                    if let Some(action) = action
                        && me.act(action, now).is_ok()
                    {
                        made += 1;
                    }
                }
            }
        }
        let cached = alex.couple.root().clone();
        prop_assert_eq!(&cached, &alex.couple.fresh_root().unwrap(), "incremental refresh drifted before the exchange");
        exchange(&mut alex, &mut sam);
        prop_assert_eq!(alex.couple.root(), sam.couple.root());
        let fresh = sam.couple.fresh_root().unwrap();
        prop_assert_eq!(sam.couple.root(), &fresh);
        prop_assert_eq!(alex.couple.heads(), sam.couple.heads());
        // Every action that succeeded is one change, plus the couple's first change.
        prop_assert_eq!(alex.couple.change_count(), made + 1);
    }
}

#[test]
fn ending_the_space_leaves_both_copies_readable_and_read_only() {
    let (mut alex, mut sam) = pair();
    propose(&mut alex, "Kept for the record", at(1));
    exchange(&mut alex, &mut sam);
    sam.act(
        Action::EndSpace {
            note: Some("Thank you for trying with me".into()),
        },
        at(2),
    )
    .unwrap();
    let refused = sam
        .act(
            Action::Appreciate {
                text: "one more".into(),
            },
            at(3),
        )
        .unwrap_err();
    assert!(refused.to_string().contains("read-only"), "{refused}");
    exchange(&mut alex, &mut sam);
    let v = View::build(
        alex.couple.root(),
        &alex.couple.me(),
        &alex.couple.partner(),
        at(4),
    );
    let ended = v.ended.as_ref().expect("Alex's copy knows");
    assert_eq!(ended.by, Who::Partner);
    assert_eq!(ended.note.as_deref(), Some("Thank you for trying with me"));
    assert_eq!(v.agreements.len(), 1, "everything stays readable");
    assert!(
        alex.act(Action::Appreciate { text: "hi".into() }, at(5))
            .is_err()
    );
}

/// A "complete" said too soon can be taken back — and the partner's copy verifies that
/// change like any other — until both said it; then the repair is closed for good.
#[test]
fn a_complete_said_too_soon_is_taken_back_until_both_said_it() {
    let (mut alex, mut sam) = pair();
    let repair = sam
        .act(
            Action::OpenRepair {
                what_happened: "You cancelled again".into(),
                how_it_landed: "I felt last".into(),
            },
            at(1),
        )
        .unwrap()
        .record;
    exchange(&mut alex, &mut sam);
    alex.act(
        Action::AcknowledgeRepair {
            repair: repair.clone(),
            acknowledgement: "I cancelled twice".into(),
            regret: "I am sorry you felt last".into(),
        },
        at(2),
    )
    .unwrap();
    let close = |side: &mut Side, t| {
        side.act(
            Action::CloseRepair {
                repair: repair.clone(),
                note: None,
            },
            at(t),
        )
    };
    let reopen = |side: &mut Side, t| {
        side.act(
            Action::ReopenRepair {
                repair: repair.clone(),
            },
            at(t),
        )
    };
    let closed_by = |side: &Side| {
        let v = View::build(
            side.couple.root(),
            &side.couple.me(),
            &side.couple.partner(),
            at(20),
        );
        let r = v.repairs.into_iter().find(|r| r.id == repair).unwrap();
        (r.closed_by.clone(), r.closed)
    };
    assert!(reopen(&mut alex, 3).is_err(), "nothing to take back yet");
    close(&mut alex, 4).unwrap();
    exchange(&mut alex, &mut sam);
    assert_eq!(closed_by(&sam), (vec![Who::Partner], false));
    reopen(&mut alex, 5).unwrap();
    exchange(&mut alex, &mut sam);
    assert_eq!(closed_by(&sam), (vec![], false));
    assert_eq!(alex.couple.root(), sam.couple.root());

    close(&mut alex, 6).unwrap();
    close(&mut sam, 7).unwrap();
    exchange(&mut alex, &mut sam);
    assert!(closed_by(&alex).1);
    let err = reopen(&mut alex, 8).unwrap_err().to_string();
    assert!(err.contains("both said"), "{err}");
}
