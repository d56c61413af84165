//! trellis-workload: a couple's history, built day by day through the real operations.
//!
//! Two profiles (Alex and Sam) alternate as a couple would: both check in every day, and
//! around them agreements are proposed, accepted and revised, repairs are opened,
//! acknowledged and followed through, appreciations and time-outs happen. The two copies
//! exchange signed bundles every few days, as partners who meet now and then. Everything
//! goes through `Profile::act_many` and bundle import, so it is signed, verified and stored
//! exactly like real use. Deterministic for a given seed.

use std::path::Path;

use trellis_core::schema::{Cadence, Category, Need, Outcome, ResponseMode};
use trellis_core::{Action, AgreementDraft, CheckInDraft, Moment, RevisionDraft};
use trellis_store::{Profile, StoreError};

/// 2021-11-22 09:00 UTC: five years before the project's "today".
pub const FIVE_YEARS_AGO_MS: i64 = 1_637_571_600_000;
pub const DAY_MS: i64 = 86_400_000;

/// Creates Alex's and Sam's profiles under `root` and joins them with a bundle.
pub fn pair_profiles(root: &Path) -> Result<(Profile, Profile), StoreError> {
    let mut alex = Profile::init(&root.join("alex"), "Alex")?;
    let mut sam = Profile::init(&root.join("sam"), "Sam")?;
    let start = Moment::new(FIVE_YEARS_AGO_MS - DAY_MS, 0);
    alex.create_couple(&sam.card()?, start)?;
    let (bundle, _) = alex.export_bundle(false, start)?;
    sam.import_bundle(&bundle, start)?;
    Ok((alex, sam))
}

/// The shape of a history.
#[derive(Debug, Clone)]
pub struct Plan {
    pub days: i64,
    /// Both partners check in every day when true (2 changes a day).
    pub daily_checkins: bool,
    /// Other actions spread over the days.
    pub other_actions: usize,
    /// Days between bundle exchanges.
    pub exchange_every: i64,
    pub start_ms: i64,
    pub seed: u64,
}

impl Plan {
    /// W1: five years of a couple — 7,300 check-ins and 2,000 other actions.
    pub fn five_years() -> Self {
        Self {
            days: 3650,
            daily_checkins: true,
            other_actions: 2000,
            exchange_every: 3,
            start_ms: FIVE_YEARS_AGO_MS,
            seed: 0x5eed,
        }
    }

    /// A history of about `changes` changes (W2 stress uses 100,000).
    pub fn about(changes: usize) -> Self {
        let days = (changes as i64 / 4).max(1);
        Self {
            days,
            daily_checkins: true,
            other_actions: changes.saturating_sub(days as usize * 2),
            exchange_every: 5,
            start_ms: FIVE_YEARS_AGO_MS,
            seed: 0x5eed,
        }
    }
}

/// What was built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Built {
    pub changes: usize,
    pub checkins: usize,
    pub other: usize,
    pub exchanges: usize,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What each partner can act on, tracked as the history is written (no view rebuilds).
#[derive(Default)]
struct Side {
    /// Things the other wrote that reach me at the next exchange.
    inbox: Inbox,
    /// Things the other wrote that I have.
    seen: Inbox,
    my_commitments: Vec<String>,
    my_checkins: Vec<String>,
    in_force: Vec<String>,
}

#[derive(Default)]
struct Inbox {
    proposals: Vec<String>,
    repairs: Vec<String>,
    reports: Vec<String>,
    checkins: Vec<String>,
    acked_repairs: Vec<String>,
}

impl Inbox {
    fn drain_into(&mut self, other: &mut Inbox) {
        other.proposals.append(&mut self.proposals);
        other.repairs.append(&mut self.repairs);
        other.reports.append(&mut self.reports);
        other.checkins.append(&mut self.checkins);
        other.acked_repairs.append(&mut self.acked_repairs);
    }
}

const FEELINGS: &[&str] = &[
    "hopeful",
    "tired",
    "tender",
    "anxious",
    "calm",
    "close to you",
    "unsure",
    "grateful",
    "hurt",
    "relieved",
];
const WHEN: &[&str] = &[
    "we laugh together",
    "plans change at the last minute",
    "you tell me where you are without my asking",
    "we talk before bed",
    "I remember last spring",
    "you notice the small things",
];

/// Writes the history into both profiles. Both must already be a couple.
pub fn build(alex: &mut Profile, sam: &mut Profile, plan: &Plan) -> Result<Built, StoreError> {
    build_watched(alex, sam, plan, |_, _, _| {})
}

/// As [`build`], calling `watch` with both profiles and the time after each day's writing
/// and after each exchange (for tests that check something at every step).
pub fn build_watched(
    alex: &mut Profile,
    sam: &mut Profile,
    plan: &Plan,
    mut watch: impl FnMut(&Profile, &Profile, Moment),
) -> Result<Built, StoreError> {
    let mut rng = Rng(plan.seed | 1);
    let mut sides = [Side::default(), Side::default()];
    let mut built = Built::default();
    let days = plan.days.max(1) as usize;
    for day in 0..plan.days {
        let base = plan.start_ms + day * DAY_MS;
        // Spread exactly `other_actions` over the days.
        let d = day as usize;
        let mut other_today = (d + 1) * plan.other_actions / days - d * plan.other_actions / days;
        let mut todays = [Vec::new(), Vec::new()];
        if plan.daily_checkins {
            for (p, list) in todays.iter_mut().enumerate() {
                let trend = (day as f64 / plan.days.max(1) as f64 * 4.0) as u64;
                let scale = |rng: &mut Rng| (3 + trend + rng.below(3)).min(10) as u8;
                list.push((
                    Action::AddCheckIn(CheckInDraft {
                        feel: FEELINGS[rng.below(FEELINGS.len() as u64) as usize].into(),
                        when: Some(WHEN[rng.below(WHEN.len() as u64) as usize].into()),
                        went_well: (rng.below(2) == 0).then(|| "we had breakfast together".into()),
                        was_hard: (rng.below(3) == 0)
                            .then(|| "a short temper in the evening".into()),
                        need: Some(Need::ALL[rng.below(Need::ALL.len() as u64) as usize].clone()),
                        response: Some(if rng.below(2) == 0 {
                            ResponseMode::Listen
                        } else {
                            ResponseMode::Advise
                        }),
                        safety: Some(scale(&mut rng)),
                        trust: Some(scale(&mut rng)),
                        connection: Some(scale(&mut rng)),
                        date: None,
                    }),
                    Moment::new(base + (p as i64 + 1) * 3_600_000, 0),
                ));
            }
        }
        let mut slot = 240;
        while other_today > 0 {
            other_today -= 1;
            let p = rng.below(2) as usize;
            let action = next_other(&mut rng, &mut sides, p, day);
            todays[p].push((action, Moment::new(base + slot * 60_000, 0)));
            // Far enough apart that a 20-minute time-out has ended before the next action.
            slot += 31;
        }
        for (p, actions) in todays.into_iter().enumerate() {
            if actions.is_empty() {
                continue;
            }
            let profile = if p == 0 { &mut *alex } else { &mut *sam };
            let kinds: Vec<Kind> = actions.iter().map(|(a, _)| kind(a)).collect();
            let last = actions.last().map(|(_, at)| *at);
            let committed = profile.act_many(actions)?;
            built.changes += committed.len();
            for (c, k) in committed.iter().zip(kinds) {
                record(&mut sides, p, k, c.record.clone());
                if k == Kind::CheckIn {
                    built.checkins += 1;
                } else {
                    built.other += 1;
                }
            }
            if let Some(at) = last {
                watch(alex, sam, at);
            }
        }
        if (day + 1) % plan.exchange_every.max(1) == 0 || day + 1 == plan.days {
            let now = Moment::new(base + 20 * 3_600_000, 0);
            exchange(alex, sam, now)?;
            watch(alex, sam, now);
            for side in sides.iter_mut() {
                let Side { inbox, seen, .. } = side;
                inbox.drain_into(seen);
            }
            built.exchanges += 1;
        }
    }
    Ok(built)
}

/// Sends each side what the other may lack, both ways.
pub fn exchange(alex: &mut Profile, sam: &mut Profile, now: Moment) -> Result<(), StoreError> {
    let (to_sam, _) = alex.export_bundle(false, now)?;
    sam.import_bundle(&to_sam, now)?;
    let (to_alex, _) = sam.export_bundle(false, now)?;
    alex.import_bundle(&to_alex, now)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_history_is_built_and_both_copies_agree() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut alex, mut sam) = pair_profiles(tmp.path()).unwrap();
        let plan = Plan {
            days: 60,
            other_actions: 120,
            ..Plan::five_years()
        };
        let built = build(&mut alex, &mut sam, &plan).unwrap();
        assert_eq!(built.checkins, 120);
        assert_eq!(built.other, 120);
        let a = alex
            .view(Moment::new(FIVE_YEARS_AGO_MS + 61 * DAY_MS, 0))
            .unwrap();
        let b = sam
            .view(Moment::new(FIVE_YEARS_AGO_MS + 61 * DAY_MS, 0))
            .unwrap();
        assert_eq!(a.checkins.len(), 120);
        assert_eq!(a.agreements.len(), b.agreements.len());
        assert_eq!(
            alex.status().unwrap().couple.unwrap().changes,
            built.changes + 1
        );
        assert!(a.repairs.iter().any(|r| r.acknowledgement.is_some()));
    }

    /// The full W1 history; slow in debug builds (`cargo test --release -- --ignored`).
    #[test]
    #[ignore = "builds five years of history"]
    fn five_years_builds() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut alex, mut sam) = pair_profiles(tmp.path()).unwrap();
        let t = std::time::Instant::now();
        let built = build(&mut alex, &mut sam, &Plan::five_years()).unwrap();
        eprintln!("{built:?} in {:?}", t.elapsed());
        assert_eq!(built.checkins, 7300);
        assert_eq!(built.other, 2000);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    CheckIn,
    Propose,
    Accept,
    Revise,
    Open,
    Acknowledge,
    Commit,
    Report,
    AckReport,
    Reply,
    Appreciate,
    TimeOut,
    Other,
}

fn kind(action: &Action) -> Kind {
    match action {
        Action::AddCheckIn(_) => Kind::CheckIn,
        Action::ProposeAgreement(_) => Kind::Propose,
        Action::AcceptAgreement { .. } => Kind::Accept,
        Action::ReviseAgreement { .. } => Kind::Revise,
        Action::OpenRepair { .. } => Kind::Open,
        Action::AcknowledgeRepair { .. } => Kind::Acknowledge,
        Action::AddCommitment { .. } => Kind::Commit,
        Action::ReportFollowThrough { .. } => Kind::Report,
        Action::AcknowledgeReport { .. } => Kind::AckReport,
        Action::ReplyToCheckIn { .. } => Kind::Reply,
        Action::Appreciate { .. } => Kind::Appreciate,
        Action::StartTimeOut { .. } => Kind::TimeOut,
        _ => Kind::Other,
    }
}

/// Notes what a committed action makes possible for whom.
fn record(sides: &mut [Side; 2], p: usize, k: Kind, id: String) {
    let other = 1 - p;
    match k {
        Kind::CheckIn => {
            sides[p].my_checkins.push(id.clone());
            sides[other].inbox.checkins.push(id);
        }
        Kind::Propose => sides[other].inbox.proposals.push(id),
        Kind::Accept => {
            sides[p].in_force.push(id.clone());
            sides[other].in_force.push(id);
        }
        Kind::Open => sides[other].inbox.repairs.push(id),
        Kind::Acknowledge => sides[p].seen.acked_repairs.push(id),
        Kind::Commit => sides[p].my_commitments.push(id),
        Kind::Report => sides[other].inbox.reports.push(id),
        _ => {}
    }
}

/// A year after the simulated day.
fn review_date(day: i64) -> chrono::NaiveDate {
    let start = Moment::new(FIVE_YEARS_AGO_MS, 0).today();
    start + chrono::Duration::days(day + 365)
}

fn pop(list: &mut Vec<String>) -> Option<String> {
    list.pop()
}

/// The next "other" action for partner `p`: something the practice makes possible now, or
/// an appreciation.
fn next_other(rng: &mut Rng, sides: &mut [Side; 2], p: usize, day: i64) -> Action {
    let me = &mut sides[p];
    for _ in 0..4 {
        match rng.below(12) {
            0 | 1 => {
                return Action::ProposeAgreement(AgreementDraft {
                    title: format!("Agreement of day {day}"),
                    category: Category::ALL[rng.below(6) as usize].clone(),
                    wording:
                        "We tell each other early when plans change, and we ask before assuming."
                            .into(),
                    if_crossed: Some("We name it kindly the same day".into()),
                    review_on: Some(review_date(day)),
                });
            }
            2 | 3 => {
                if let Some(id) = pop(&mut me.seen.proposals) {
                    return Action::AcceptAgreement {
                        agreement: id,
                        revision: None,
                    };
                }
            }
            4 => {
                if !me.in_force.is_empty() && rng.below(3) == 0 {
                    let i = rng.below(me.in_force.len() as u64) as usize;
                    let id = me.in_force.swap_remove(i);
                    return Action::ReviseAgreement {
                        agreement: id,
                        draft: RevisionDraft {
                            wording: Some(format!(
                                "Revised on day {day}: we check in before big decisions."
                            )),
                            review_on: Some(review_date(day)),
                            ..Default::default()
                        },
                    };
                }
            }
            5 => {
                return Action::OpenRepair {
                    what_happened: "You were late and did not call".into(),
                    how_it_landed: "I felt forgotten".into(),
                };
            }
            6 => {
                if let Some(id) = pop(&mut me.seen.repairs) {
                    return Action::AcknowledgeRepair {
                        repair: id,
                        acknowledgement: "I was late and did not call".into(),
                        regret: "I am sorry you felt forgotten".into(),
                    };
                }
            }
            7 => {
                if let Some(id) = pop(&mut me.seen.acked_repairs) {
                    return Action::AddCommitment {
                        repair: id,
                        wording: "Call when I am running late".into(),
                        cadence: Some(Cadence::Weekly),
                        due: None,
                    };
                }
            }
            8 => {
                if !me.my_commitments.is_empty() {
                    let i = rng.below(me.my_commitments.len() as u64) as usize;
                    return Action::ReportFollowThrough {
                        commitment: me.my_commitments[i].clone(),
                        outcome: Outcome::ALL[rng.below(3) as usize].clone(),
                        note: Some("Called twice this week".into()),
                        date: None,
                    };
                }
            }
            9 => {
                if let Some(id) = pop(&mut me.seen.reports) {
                    return Action::AcknowledgeReport {
                        report: id,
                        note: Some("I noticed, thank you".into()),
                    };
                }
            }
            10 => {
                if let Some(id) = pop(&mut me.seen.checkins) {
                    me.seen.checkins.clear();
                    return Action::ReplyToCheckIn {
                        checkin: id,
                        text: "I hear you".into(),
                    };
                }
            }
            _ => {
                if rng.below(4) == 0 {
                    return Action::StartTimeOut {
                        minutes: 20,
                        note: Some("back after a walk".into()),
                    };
                }
            }
        }
    }
    Action::Appreciate {
        text: format!("Thank you for day {day}"),
    }
}
