//! The view kept up to date change by change is, at every step, the view built from
//! nothing: through a year of every kind of writing on both sides, exchanges, days passing,
//! and the rarer steps (closing a repair, thanks, retiring, a time-out ending, the end).
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use trellis_core::view::ViewCache;
use trellis_core::{Action, CheckInDraft, Moment, View};
use trellis_store::Profile;
use trellis_workload::{FIVE_YEARS_AGO_MS, Plan, build_watched, exchange, pair_profiles};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn same_as_built_from_nothing(p: &Profile, now: Moment, step: &str) {
    let kept = p.view(now).unwrap();
    assert!(
        kept == fresh(p, now),
        "{}'s view differs at {step}",
        p.name()
    );
}

fn fresh(p: &Profile, now: Moment) -> View {
    let c = p.couple().unwrap();
    View::build(c.root(), &c.me(), &c.partner(), now)
}

/// A second kept view, read days ahead of the profile's own (review dates, follow-through
/// and time-outs move with the clock), so the profile's own view sees the days one by one
/// and is updated, not rebuilt, within each.
fn ahead(cache: &mut ViewCache, p: &Profile, now: Moment, step: &str) {
    let c = p.couple().unwrap();
    let kept = cache.view(c.root(), c.edits(), &c.me(), &c.partner(), now);
    assert!(
        kept == fresh(p, now),
        "{}'s view ahead differs at {step}",
        p.name()
    );
}

#[test]
fn the_kept_view_is_the_view_built_from_nothing_at_every_step() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, mut sam) = pair_profiles(tmp.path()).unwrap();
    let plan = Plan {
        days: 120,
        other_actions: 600,
        exchange_every: 3,
        ..Plan::five_years()
    };
    let mut steps = 0;
    let mut caches = [ViewCache::new(), ViewCache::new()];
    let built = build_watched(&mut alex, &mut sam, &plan, |a, s, now| {
        steps += 1;
        for (p, cache) in [a, s].into_iter().zip(caches.iter_mut()) {
            same_as_built_from_nothing(p, now, &format!("step {steps}"));
            let then = Moment::new(now.at_ms + (steps % 12) * DAY_MS, 0);
            ahead(cache, p, then, &format!("step {steps}"));
        }
    });
    assert!(built.unwrap().other > 500 && steps > 150);

    // The rarer steps, each followed by both views, before and after an exchange.
    let mut now = Moment::new(FIVE_YEARS_AGO_MS + 130 * DAY_MS, 60);
    let view = alex.view(now).unwrap();
    let repair = view.repairs[0].id.clone();
    let theirs = view
        .appreciations
        .iter()
        .find(|a| a.author == trellis_core::view::Who::Partner)
        .unwrap()
        .id
        .clone();
    let agreement = view.agreements[0].id.clone();
    let checkin = |feel: &str| {
        Action::AddCheckIn(CheckInDraft {
            feel: feel.into(),
            ..CheckInDraft::default()
        })
    };
    let steps: Vec<(bool, Action)> = vec![
        // Sam's check-in waits folded for Alex until Alex writes one.
        (false, checkin("hopeful")),
        (true, checkin("tired")),
        (
            true,
            Action::CloseRepair {
                repair: repair.clone(),
                note: None,
            },
        ),
        (
            true,
            Action::ThankForAppreciation {
                appreciation: theirs,
                text: Some("thank you".into()),
            },
        ),
        (
            true,
            Action::RetireAgreement {
                agreement: agreement.clone(),
                note: None,
            },
        ),
        (
            false,
            Action::RetireAgreement {
                agreement,
                note: None,
            },
        ),
        (
            true,
            Action::StartTimeOut {
                minutes: 30,
                note: None,
            },
        ),
        (true, Action::EndTimeOut),
        (
            false,
            Action::StartTimeOut {
                minutes: 20,
                note: Some("a walk".into()),
            },
        ),
        (true, Action::ReopenRepair { repair }),
        (
            false,
            Action::EndSpace {
                note: Some("for now".into()),
            },
        ),
    ];
    for (i, (by_alex, action)) in steps.into_iter().enumerate() {
        now = Moment::new(now.at_ms + 7 * 60_000, 60);
        let who = if by_alex { &mut alex } else { &mut sam };
        who.act(&action, now).unwrap();
        for p in [&alex, &sam] {
            same_as_built_from_nothing(p, now, &format!("{action:?}"));
        }
        exchange(&mut alex, &mut sam, now).unwrap();
        for p in [&alex, &sam] {
            same_as_built_from_nothing(p, now, &format!("{action:?} exchanged"));
            // The time-out runs out.
            let later = Moment::new(now.at_ms + 45 * 60_000, 60);
            same_as_built_from_nothing(p, later, &format!("step {i} after the pause"));
        }
    }
}

/// My partner's report asks for my acknowledgement for 14 days after it was written, and
/// then stops — at an instant within a day, with nothing else changing. The kept list
/// notices the time alone.
#[test]
fn a_reports_answer_window_closes_in_the_kept_view_with_nothing_else_changing() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, mut sam) = pair_profiles(tmp.path()).unwrap();
    let noon = Moment::new(FIVE_YEARS_AGO_MS + 10 * DAY_MS + 12 * 3_600_000, 0);
    let opened = Action::OpenRepair {
        what_happened: "I was late again".into(),
        how_it_landed: "it hurt".into(),
    };
    let repair = alex.act(&opened, noon).unwrap().record;
    exchange(&mut alex, &mut sam, noon).unwrap();
    let commit = Action::AddCommitment {
        repair,
        wording: "I text when I leave".into(),
        cadence: Some(trellis_core::schema::Cadence::Weekly),
        due: None,
    };
    let commitment = sam.act(&commit, noon).unwrap().record;
    let report = Action::ReportFollowThrough {
        commitment,
        outcome: trellis_core::schema::Outcome::Kept,
        note: None,
        date: None,
    };
    sam.act(&report, noon).unwrap();
    exchange(&mut alex, &mut sam, noon).unwrap();
    let asks = |v: &View| {
        v.attention
            .iter()
            .filter(|a| {
                matches!(
                    &***a,
                    trellis_core::view::Attention::ReportAwaitsAcknowledgement { .. }
                )
            })
            .count()
    };
    let window_end = noon.at_ms + 14 * DAY_MS;
    let mut seen = Vec::new();
    for at in [
        window_end - 60_000,
        window_end,
        window_end + 60_000,
        window_end - 60_000,
    ] {
        let now = Moment::new(at, 0);
        same_as_built_from_nothing(&alex, now, &format!("{at}"));
        seen.push(asks(&alex.view(now).unwrap()));
    }
    // Asked, still asked at the last instant, then no more; a clock set back asks again.
    assert_eq!(seen, [1, 1, 0, 1]);
}
