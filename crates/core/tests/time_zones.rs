//! Apart in time as well as in space: Alex in Los Angeles (UTC−08:00), Sam in Tokyo
//! (UTC+09:00), seventeen hours apart, read through the core views.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod support;

use automerge::transaction::Transactable;
use automerge::{Author, AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};
use support::*;
use trellis_core::export::{ExportOptions, Section, markdown_in};
use trellis_core::time::Zone;
use trellis_core::view::{AgreementStatus, Attention, Who};
use trellis_core::{
    Action, AgreementDraft, ChangeSignature, CheckInDraft, Moment, SignedChange, View,
    schema::Category,
};

const LA: i32 = -8 * 60;
const TOKYO: i32 = 9 * 60;

/// The moment a wall clock at `offset` minutes east reads `y-m-d h:min`.
fn wall(offset: i32, (y, m, d): (i32, u32, u32), (h, min): (u32, u32)) -> Moment {
    let zone = FixedOffset::east_opt(offset * 60).unwrap();
    let at = zone.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
    Moment::new(at.timestamp_millis(), offset)
}

fn la(day: u32, h: u32, min: u32) -> Moment {
    wall(LA, (2026, 11, day), (h, min))
}

fn tokyo(day: u32, h: u32, min: u32) -> Moment {
    wall(TOKYO, (2026, 11, day), (h, min))
}

fn view(side: &Side, now: Moment) -> View {
    View::build(
        side.couple.root(),
        &side.couple.me(),
        &side.couple.partner(),
        now,
    )
}

fn check_in(side: &mut Side, feel: &str, now: Moment) -> String {
    side.act(
        Action::AddCheckIn(CheckInDraft {
            feel: feel.into(),
            ..Default::default()
        }),
        now,
    )
    .unwrap()
    .record
}

fn lines(view: &View, now: Moment) -> Vec<String> {
    view.attention
        .iter()
        .map(|a| a.describe(view, now, &now))
        .collect()
}

fn awaits_reply(view: &View) -> bool {
    view.attention
        .iter()
        .any(|a| matches!(&**a, Attention::CheckInAwaitsReply { .. }))
}

#[test]
fn a_check_in_across_the_date_line_opens_with_mine_in_the_same_exchange() {
    let (mut alex, mut sam) = pair();
    // Saturday morning in Tokyo is Friday afternoon in Los Angeles.
    let sams = check_in(&mut sam, "rested", tokyo(28, 9, 0));
    exchange(&mut alex, &mut sam);

    let now = la(27, 16, 30);
    let v = view(&alex, now);
    let c = v.checkins.iter().find(|c| c.id == sams).unwrap();
    assert_eq!(c.date, "2026-11-28", "Sam's own calendar day");
    assert!(c.folded, "Alex has not written in this exchange yet");
    assert!(
        !awaits_reply(&v),
        "no nag about a check-in Alex cannot read yet"
    );
    let invitation = lines(&v, now)
        .into_iter()
        .find(|l| l.starts_with("A check-in today"))
        .unwrap();
    assert!(
        invitation.contains("Sam's newest opens once yours is written"),
        "{invitation}"
    );

    // Alex writes on Friday: that opens Sam's Saturday check-in, no extra day to wait.
    let alexs = check_in(&mut alex, "tired but close", la(27, 17, 0));
    let now = la(27, 17, 5);
    let v = view(&alex, now);
    let mine = v.checkins.iter().find(|c| c.id == alexs).unwrap();
    assert_eq!(mine.date, "2026-11-27", "the two dates differ");
    assert!(v.checkins.iter().all(|c| !c.folded));
    assert!(awaits_reply(&v), "now it can be answered");
    assert!(
        lines(&v, now).contains(
            &"Sam's check-in of 2026-11-28 (Sam's date) has no answer from you yet".into()
        ),
        "{:?}",
        lines(&v, now)
    );
    assert!(
        !lines(&v, now)
            .iter()
            .any(|l| l.starts_with("A check-in today"))
    );

    // Sam wrote an hour before Alex: the same exchange, so Alex's is open for Sam at once.
    exchange(&mut alex, &mut sam);
    let v = view(&sam, tokyo(28, 10, 30));
    let c = v.checkins.iter().find(|c| c.id == alexs).unwrap();
    assert!(!c.folded);
    assert!(awaits_reply(&v));
}

#[test]
fn a_check_in_from_an_earlier_round_does_not_open_a_new_one() {
    let (mut alex, mut sam) = pair();
    // Alex's last check-in is more than a day older than Sam's: a round ago.
    check_in(&mut alex, "hopeful", la(25, 8, 0));
    let sams = check_in(&mut sam, "unsure", tokyo(28, 9, 0));
    exchange(&mut alex, &mut sam);
    let folded = |v: &View| v.checkins.iter().find(|c| c.id == sams).unwrap().folded;
    assert!(folded(&view(&alex, la(27, 18, 0))));
    // Days later it still opens with Alex's next check-in: it never stays folded for good.
    check_in(&mut alex, "better", la(30, 8, 0));
    assert!(!folded(&view(&alex, la(30, 8, 1))));

    // One written within the day before theirs already counts.
    let (mut alex, mut sam) = pair();
    check_in(&mut alex, "calm", la(26, 20, 0));
    let sams = check_in(&mut sam, "calm too", tokyo(28, 9, 0)); // 20 hours later
    exchange(&mut alex, &mut sam);
    let v = view(&alex, la(27, 17, 0));
    assert!(!v.checkins.iter().find(|c| c.id == sams).unwrap().folded);
}

#[test]
fn a_pause_carries_its_return_time_to_each_side_in_their_own_time() {
    let (mut alex, mut sam) = pair();
    sam.act(
        Action::StartTimeOut {
            minutes: 30,
            note: None,
        },
        tokyo(28, 12, 32),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);

    let now = tokyo(28, 12, 33);
    assert!(lines(&view(&sam, now), now).contains(&"You are on a pause, back at 13:02".into()));
    let now = la(27, 19, 33);
    let v = view(&alex, now);
    // The pause carries Sam's offset, so Alex is told both clocks.
    assert!(
        lines(&v, now)
            .contains(&"Sam is on a pause, back at 20:02 your time · 13:02 for Sam".into()),
        "{:?}",
        lines(&v, now)
    );
    let t = &v.timeouts[0];
    assert_eq!(t.author_offset_minutes, Some(TOKYO));
    assert_eq!(
        t.describe(&v, now, &now),
        "Sam is on a pause, back at 20:02 your time · 13:02 for Sam"
    );
    // A pause without an offset (written before it was recorded) says the reader's clock.
    let unknown = Attention::TimeOut {
        who: Who::Partner,
        back_at: t.back_at,
        note: None,
        author_offset_minutes: None,
    };
    assert_eq!(
        unknown.describe(&v, now, &now),
        "Sam is on a pause, back at 20:02 your time"
    );
    // An offset no zone has is not believed.
    let nonsense = Attention::TimeOut {
        who: Who::Partner,
        back_at: t.back_at,
        note: None,
        author_offset_minutes: Some(40 * 60),
    };
    assert_eq!(
        nonsense.describe(&v, now, &now),
        "Sam is on a pause, back at 20:02 your time"
    );

    // The export says whose clock its times are on.
    for (side, now, back, label) in [
        (&alex, la(27, 19, 40), "2026-11-27 20:02", "UTC−08:00"),
        (&sam, tokyo(28, 12, 40), "2026-11-28 13:02", "UTC+09:00"),
    ] {
        let text = markdown_in(
            &view(side, now),
            &ExportOptions {
                sections: vec![Section::TimeOuts],
                since: None,
                until: None,
                now,
            },
            &now,
        );
        assert!(text.contains(&format!("back at {back}")), "{text}");
        assert!(text.contains(label), "{text}");
    }
}

#[test]
fn a_pause_ending_after_midnight_for_the_reader_says_so() {
    let (mut alex, mut sam) = pair();
    sam.act(
        Action::StartTimeOut {
            minutes: 20,
            note: Some("a walk".into()),
        },
        tokyo(28, 16, 50),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);
    let now = la(27, 23, 55);
    let v = view(&alex, now);
    assert!(
        lines(&v, now).contains(
            &"Sam is on a pause, back tomorrow at 00:10 your time · 17:10 for Sam — “a walk”"
                .into()
        ),
        "{:?}",
        lines(&v, now)
    );
}

#[test]
fn due_and_review_dates_are_the_authors_days_and_come_round_on_each_readers_own() {
    let (mut alex, mut sam) = pair();
    let repair = alex
        .act(
            Action::OpenRepair {
                what_happened: "You were late again".into(),
                how_it_landed: "I felt forgotten".into(),
            },
            la(27, 9, 0),
        )
        .unwrap()
        .record;
    exchange(&mut alex, &mut sam);
    sam.act(
        Action::AddCommitment {
            repair: repair.clone(),
            wording: "Call when I will be late".into(),
            cadence: None,
            due: NaiveDate::from_ymd_opt(2026, 11, 29),
        },
        tokyo(28, 10, 0),
    )
    .unwrap();
    let phones = sam
        .act(
            Action::ProposeAgreement(AgreementDraft {
                title: "Phones at dinner".into(),
                category: Category::Communication,
                wording: "Phones stay in another room while we eat".into(),
                if_crossed: None,
                review_on: NaiveDate::from_ymd_opt(2026, 11, 28),
            }),
            tokyo(28, 10, 5),
        )
        .unwrap()
        .record;
    exchange(&mut alex, &mut sam);
    alex.act(
        Action::AcceptAgreement {
            agreement: phones.clone(),
            revision: None,
        },
        la(27, 18, 0),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);

    // One instant: Friday evening for Alex, Saturday morning for Sam.
    let (alex_now, sam_now) = (la(27, 18, 30), tokyo(28, 11, 30));
    assert_eq!(alex_now.at_ms, sam_now.at_ms);
    let a = view(&alex, alex_now);
    let s = view(&sam, sam_now);
    let commitment = &a.repairs[0].commitments[0];
    assert_eq!(
        commitment.due.as_deref(),
        Some("2026-11-29"),
        "Sam's Sunday"
    );
    assert!(!commitment.due_now, "never timed on the partner's behalf");
    assert_eq!(
        a.agreement(&phones).unwrap().status,
        AgreementStatus::InForce
    );
    assert_eq!(
        s.agreement(&phones).unwrap().status,
        AgreementStatus::DueForReview
    );
    assert!(
        lines(&s, sam_now).contains(
            &"“Phones at dinner” was due for review on 2026-11-28 — look at it together".into()
        ),
        "{:?}",
        lines(&s, sam_now)
    );

    // Alex's own Saturday comes seventeen hours later; the reminder comes with it.
    let alex_now = la(28, 8, 0);
    let a = view(&alex, alex_now);
    assert_eq!(
        a.agreement(&phones).unwrap().status,
        AgreementStatus::DueForReview
    );
    assert!(lines(&a, alex_now).contains(
        &"“Phones at dinner” was due for review on 2026-11-28 (Sam's date) — look at it together"
            .into()
    ));

    // Sam's one-off step is timely on Sam's Sunday, whatever day it is for Alex.
    let due = |now: Moment| {
        view(&sam, now)
            .attention
            .iter()
            .any(|x| matches!(&**x, Attention::CommitmentDue { .. }))
    };
    assert!(!due(tokyo(28, 23, 30)));
    assert!(due(tokyo(29, 0, 30)));
}

/// Los Angeles in autumn 2026, with its rules: −07:00 until 1 November 09:00 UTC, −08:00 after.
struct LosAngeles;

impl Zone for LosAngeles {
    fn offset_at(&self, at_ms: i64) -> FixedOffset {
        let fall_back = Utc
            .with_ymd_and_hms(2026, 11, 1, 9, 0, 0)
            .unwrap()
            .timestamp_millis();
        let hours = if at_ms < fall_back { -7 } else { -8 };
        FixedOffset::east_opt(hours * 3600).unwrap()
    }
}

#[test]
fn the_fall_back_and_a_flight_to_tokyo_do_not_move_past_records() {
    let (mut alex, mut sam) = pair();
    // Late on Saturday 31 October, still on daylight time (−07:00).
    let pdt = -7 * 60;
    let late = wall(pdt, (2026, 10, 31), (23, 30));
    let mine = check_in(&mut alex, "anxious", late);
    let sams = check_in(&mut sam, "steady", wall(TOKYO, (2026, 11, 1), (16, 0)));
    exchange(&mut alex, &mut sam);

    // An hour after the clocks went back, and again after flying to Tokyo.
    let after = wall(LA, (2026, 11, 1), (12, 0));
    let abroad = wall(TOKYO, (2026, 11, 3), (9, 0));
    let at_home = view(&alex, after);
    let travelled = view(&alex, abroad);
    for v in [&at_home, &travelled] {
        let c = v.checkins.iter().find(|c| c.id == mine).unwrap();
        assert_eq!(c.date, "2026-10-31");
        assert_eq!(v.weeks[0].week, "2026-10-26", "its week does not move");
        let theirs = v.checkins.iter().find(|c| c.id == sams).unwrap();
        assert_eq!(theirs.date, "2026-11-01");
        assert!(
            !theirs.folded,
            "Alex wrote in the day before Sam's, wherever Alex is now"
        );
    }
    assert!(
        lines(&at_home, after)
            .iter()
            .any(|l| l.starts_with("A check-in today")),
        "the invitation follows Alex's own new day"
    );

    // A pause across the fall-back: an hour from 01:30 PDT ends at 01:30 PST.
    let start = wall(pdt, (2026, 11, 1), (1, 30));
    alex.act(
        Action::StartTimeOut {
            minutes: 60,
            note: None,
        },
        start,
    )
    .unwrap();
    let now = start.plus_minutes(5);
    let v = view(&alex, now);
    let said: Vec<String> = v
        .attention
        .iter()
        .map(|a| a.describe(&v, now, &LosAngeles))
        .collect();
    assert!(
        said.contains(&"You are on a pause, back at 01:30".into()),
        "{said:?}"
    );
}

/// A change Sam makes outside the app, in Sam's own space: signed and allowed, with any
/// value Sam likes.
fn sams_own_edit(sam: &mut Side, edit: impl FnOnce(&mut AutoCommit)) -> SignedChange {
    let mut doc = AutoCommit::load(&sam.couple.save()).unwrap();
    doc.set_author(Some(Author::from(sam.couple.me().as_bytes().to_vec())));
    edit(&mut doc);
    let hash = doc.commit().expect("the edit made a change");
    let change = doc.get_change_by_hash(&hash).unwrap();
    SignedChange {
        bytes: change.raw_bytes().to_vec(),
        signature: ChangeSignature::sign(&sam.identity(), &sam.couple.doc_id(), &hash),
    }
}

fn map(doc: &AutoCommit, path: &[&str]) -> automerge::ObjId {
    let mut obj = ROOT;
    for key in path {
        match doc.get(&obj, *key).unwrap() {
            Some((Value::Object(_), id)) => obj = id,
            other => panic!("no map at {key}: {other:?}"),
        }
    }
    obj
}

#[test]
fn a_pause_keeps_its_authors_offset_and_an_offset_from_a_bogus_clock_is_not_written() {
    let (_, mut sam) = pair();
    let pause = sam
        .act(
            Action::StartTimeOut {
                minutes: 30,
                note: None,
            },
            tokyo(28, 12, 32),
        )
        .unwrap()
        .record;
    let mine = sam.couple.me().to_hex();
    let record = |sam: &Side| {
        sam.couple
            .root()
            .by
            .get(&mine)
            .unwrap()
            .timeouts
            .get(&pause)
            .unwrap()
            .clone()
    };
    assert_eq!(record(&sam).offset_minutes, Some(TOKYO));
    // Saying "I'm back" keeps it.
    sam.act(Action::EndTimeOut, tokyo(28, 12, 50)).unwrap();
    assert_eq!(record(&sam).offset_minutes, Some(TOKYO));
    assert!(record(&sam).ended_at.is_some());

    // A device clock claiming an offset no zone has writes none.
    let bogus = Moment::new(tokyo(28, 13, 0).at_ms, 20 * 60);
    let odd = sam
        .act(
            Action::StartTimeOut {
                minutes: 10,
                note: None,
            },
            bogus,
        )
        .unwrap()
        .record;
    let t = sam
        .couple
        .root()
        .by
        .get(&mine)
        .unwrap()
        .timeouts
        .get(&odd)
        .unwrap()
        .clone();
    assert_eq!(t.offset_minutes, None);
}

#[test]
fn a_hostile_offset_never_panics_hides_the_pause_or_shows_a_made_up_clock() {
    let (mut alex, mut sam) = pair();
    let pause = sam
        .act(
            Action::StartTimeOut {
                minutes: 30,
                note: Some("a walk".into()),
            },
            tokyo(28, 12, 32),
        )
        .unwrap()
        .record;
    exchange(&mut alex, &mut sam);
    let space = sam.couple.me().to_hex();
    let now = la(27, 19, 33);
    let plain = "Sam is on a pause, back at 20:02 your time — “a walk”";

    let hostile: Vec<ScalarValue> = vec![
        ScalarValue::Int(40 * 60),
        ScalarValue::Int(-13 * 60),
        ScalarValue::Int(i64::MAX),
        ScalarValue::Int(i64::MIN),
        ScalarValue::Int(i64::from(i32::MIN)),
        ScalarValue::Uint(u64::MAX),
        ScalarValue::Uint(15 * 60),
        ScalarValue::Str("+09:00".into()),
        ScalarValue::F64(f64::NAN),
        ScalarValue::Boolean(true),
        ScalarValue::Null,
        ScalarValue::Bytes(vec![0xff; 4]),
    ];
    for value in hostile {
        let shown = format!("{value:?}");
        let change = sams_own_edit(&mut sam, |doc| {
            let t = map(doc, &["by", &space, "timeouts", &pause]);
            doc.put(&t, "offset_minutes", value).unwrap();
        });
        alex.receive(vec![change.clone()]).unwrap();
        sam.receive(vec![change]).unwrap();
        let v = view(&alex, now);
        let t = v.timeouts.iter().find(|t| t.id == pause);
        let t = t.unwrap_or_else(|| panic!("{shown} hid the pause"));
        assert_eq!(t.author_offset_minutes, None, "{shown} was believed");
        assert!(
            lines(&v, now).contains(&plain.into()),
            "{shown}: {:?}",
            lines(&v, now)
        );
        // Sam's own copy reads it the same way, and Sam's clock is still Sam's.
        let v = view(&sam, tokyo(28, 12, 40));
        assert!(
            lines(&v, tokyo(28, 12, 40))
                .contains(&"You are on a pause, back at 13:02 — “a walk”".into()),
            "{shown}"
        );
    }

    // An object where a number belongs, and no field at all (a pause from an older build).
    let change = sams_own_edit(&mut sam, |doc| {
        let t = map(doc, &["by", &space, "timeouts", &pause]);
        doc.put_object(&t, "offset_minutes", ObjType::Map).unwrap();
    });
    alex.receive(vec![change.clone()]).unwrap();
    sam.receive(vec![change]).unwrap();
    assert!(lines(&view(&alex, now), now).contains(&plain.into()));
    let change = sams_own_edit(&mut sam, |doc| {
        let t = map(doc, &["by", &space, "timeouts", &pause]);
        doc.delete(&t, "offset_minutes").unwrap();
    });
    alex.receive(vec![change]).unwrap();
    assert!(lines(&view(&alex, now), now).contains(&plain.into()));

    // The edge offsets people do live at are believed: Kiribati (+14) and Baker Island (−12).
    for (minutes, theirs) in [(14 * 60, "18:02"), (-12 * 60, "16:02")] {
        let change = sams_own_edit(&mut sam, |doc| {
            let t = map(doc, &["by", &space, "timeouts", &pause]);
            doc.put(&t, "offset_minutes", i64::from(minutes)).unwrap();
        });
        alex.receive(vec![change.clone()]).unwrap();
        sam.receive(vec![change]).unwrap();
        let v = view(&alex, now);
        let expected =
            format!("Sam is on a pause, back at 20:02 your time · {theirs} for Sam — “a walk”");
        assert!(lines(&v, now).contains(&expected), "{:?}", lines(&v, now));
    }
    // Even a view built by hand with the worst number says only the reader's clock.
    let v = view(&alex, now);
    let worst = Attention::TimeOut {
        who: Who::Partner,
        back_at: i64::MAX,
        note: None,
        author_offset_minutes: Some(i32::MIN),
    };
    assert!(worst.describe(&v, now, &now).ends_with("your time"));
}
