//! Check-ins, repairs with their commitments, appreciations and time-outs, for reading.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{Keys, Who};
use crate::schema::{
    Cadence, CheckIn, Commitment, Need, Outcome, Reply, Report, ResponseMode, Root, Space,
};
use crate::time::{Moment, parse_date};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplyView {
    pub id: String,
    pub author: Who,
    pub text: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckInView {
    pub id: String,
    pub author: Who,
    pub date: String,
    pub at: i64,
    pub feel: String,
    pub when: Option<String>,
    pub went_well: Option<String>,
    pub was_hard: Option<String>,
    pub need: Need,
    pub response: ResponseMode,
    pub safety: Option<u8>,
    pub trust: Option<u8>,
    pub connection: Option<u8>,
    pub replies: Vec<ReplyView>,
    /// My partner's check-in from an exchange I have not written in yet (see
    /// [`super::fold_rule`]): shown folded, as a gentle invitation to write my own first. It
    /// is not a secret: it is on this device already.
    pub folded: bool,
}

impl CheckInView {
    /// The check-in in words, one line per part it has, starting with its "I feel … when …"
    /// sentence: the export and the command line say a check-in the same way, and each only
    /// adds its own layout. `name` says who an author is to this reader.
    pub fn lines<N: std::fmt::Display>(&self, name: impl Fn(Who) -> N) -> Vec<String> {
        let mut feel = format!("I feel {}", self.feel);
        if let Some(w) = &self.when {
            feel.push_str(" when ");
            feel.push_str(w);
        }
        let mut lines = vec![feel];
        if let Some(v) = &self.went_well {
            lines.push(format!("Went well: {v}"));
        }
        if let Some(v) = &self.was_hard {
            lines.push(format!("Was hard: {v}"));
        }
        lines.push(format!(
            "Needs: {}; {}",
            self.need.label(),
            self.response.label().to_lowercase()
        ));
        let scales: Vec<String> = [
            ("safety", self.safety),
            ("trust", self.trust),
            ("connection", self.connection),
        ]
        .into_iter()
        .filter_map(|(n, v)| v.map(|v| format!("{n} {v}/10")))
        .collect();
        if !scales.is_empty() {
            lines.push(format!("Scales: {}", scales.join(", ")));
        }
        for r in &self.replies {
            lines.push(format!("{} answered: {}", name(r.author), r.text));
        }
        lines
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepairAckView {
    pub acknowledgement: String,
    pub regret: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportView {
    pub id: String,
    pub date: String,
    pub outcome: Outcome,
    pub note: Option<String>,
    pub at: i64,
    /// The partner's acknowledgement: (note, when).
    pub acknowledged: Option<(Option<String>, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitmentView {
    pub id: String,
    pub repair: String,
    pub owner: Who,
    pub wording: String,
    pub cadence: Option<Cadence>,
    pub due: Option<String>,
    pub at: i64,
    /// Oldest first.
    pub reports: Vec<ReportView>,
    /// A follow-through note of mine would be timely (gently: nothing is overdue in Trellis).
    /// Always false for my partner's commitments.
    pub due_now: bool,
    pub open: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepairView {
    pub id: String,
    pub opened_by: Who,
    pub date: String,
    pub at: i64,
    pub what_happened: String,
    pub how_it_landed: String,
    pub acknowledgement: Option<RepairAckView>,
    pub commitments: Vec<CommitmentView>,
    pub closed_by: Vec<Who>,
    pub closed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppreciationView {
    pub id: String,
    pub author: Who,
    pub text: String,
    pub date: String,
    pub at: i64,
    /// The answer of the one it was addressed to (the other partner): the word, if any,
    /// and when.
    pub thanks: Option<(Option<String>, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeOutView {
    pub id: String,
    pub who: Who,
    pub at: i64,
    pub back_at: i64,
    pub note: Option<String>,
    pub ended_at: Option<i64>,
    pub running: bool,
    /// The author's UTC offset (minutes east) at the return time, where the record carries a
    /// plausible one: then the return time is said on both clocks.
    pub author_offset_minutes: Option<i32>,
}

pub(crate) struct Practice {
    pub checkins: Vec<CheckInView>,
    pub repairs: Vec<RepairView>,
    pub appreciations: Vec<AppreciationView>,
    pub timeouts: Vec<TimeOutView>,
}

pub(crate) fn build(root: &Root, keys: &Keys, now: Moment) -> Practice {
    let empty = Space::default();
    let mine = root.by.get(&keys.me).unwrap_or(&empty);
    let theirs = root.by.get(&keys.partner).unwrap_or(&empty);
    let sides = [(Who::Me, mine, theirs), (Who::Partner, theirs, mine)];
    let today = now.today();

    let my_latest = mine.checkins.iter().map(|(_, c)| c.at).max();
    // Replies by the check-in they answer, gathered once (not a scan per check-in).
    let mut replies_to: [HashMap<&str, Vec<(&String, &Reply)>>; 2] = Default::default();
    for (side, (_, _, other)) in sides.iter().enumerate() {
        for (rid, r) in other.replies.iter() {
            replies_to[side]
                .entry(r.checkin.as_str())
                .or_default()
                .push((rid, r));
        }
    }
    // Put in order before they are built: sorting the built views moves every one of
    // them (and their texts) many times over, which was a quarter of a long history's view.
    let mut order: Vec<(usize, Who, &String, &CheckIn)> = sides
        .iter()
        .enumerate()
        .flat_map(|(side, (author, space, _))| {
            space
                .checkins
                .iter()
                .map(move |(id, c)| (side, *author, id, c))
        })
        .collect();
    // Newest date first (the dates as written, compared as text), then newest written,
    // then by id. The date's first bytes are copied into the key, so most comparisons
    // never leave the array being sorted.
    order.sort_by_cached_key(|&(_, _, id, c)| {
        (
            std::cmp::Reverse((text_prefix(&c.date), c.date.as_str(), c.at)),
            id.as_str(),
        )
    });
    let mut checkins = Vec::with_capacity(order.len());
    for (side, author, id, c) in order {
        let mut replies: Vec<ReplyView> = replies_to[side]
            .get(id.as_str())
            .into_iter()
            .flatten()
            .map(|&(rid, r)| ReplyView {
                id: rid.clone(),
                author: flip(author),
                text: r.text.clone(),
                at: r.at,
            })
            .collect();
        replies.sort_by_key(|r| r.at);
        checkins.push(CheckInView {
            id: id.clone(),
            author,
            date: c.date.clone(),
            at: c.at,
            feel: c.feel.clone(),
            when: c.when.clone(),
            went_well: c.went_well.clone(),
            was_hard: c.was_hard.clone(),
            need: c.need.clone(),
            response: c.response.clone(),
            safety: c.safety,
            trust: c.trust,
            connection: c.connection,
            replies,
            folded: author == Who::Partner && super::exchange::folded(c.at, my_latest),
        });
    }

    // Commitments by repair and reports by commitment, per owner, gathered once (not a
    // scan of every commitment per repair and every report per commitment).
    let mut commitments_of: [HashMap<&str, Vec<(&String, &Commitment)>>; 2] = Default::default();
    let mut reports_of: [HashMap<&str, Vec<(&String, &Report)>>; 2] = Default::default();
    for (side, (_, space, _)) in sides.iter().enumerate() {
        for (cid, c) in space.commitments.iter() {
            commitments_of[side]
                .entry(c.repair.as_str())
                .or_default()
                .push((cid, c));
        }
        for (rid, r) in space.reports.iter() {
            reports_of[side]
                .entry(r.commitment.as_str())
                .or_default()
                .push((rid, r));
        }
    }
    let mut repairs = Vec::new();
    for (opener, space, other) in sides {
        for (id, r) in space.repairs.iter() {
            let closed_by: Vec<Who> = [(Who::Me, mine), (Who::Partner, theirs)]
                .into_iter()
                .filter(|(_, s)| s.closures.contains(id))
                .map(|(w, _)| w)
                .collect();
            let closed = closed_by.len() == 2;
            let mut commitments = Vec::new();
            for (side, (owner, _, acker)) in sides.into_iter().enumerate() {
                for &(cid, c) in commitments_of[side].get(id.as_str()).into_iter().flatten() {
                    let mut reports: Vec<ReportView> = reports_of[side]
                        .get(cid.as_str())
                        .into_iter()
                        .flatten()
                        .map(|&(rid, r)| ReportView {
                            id: rid.clone(),
                            date: r.date.clone(),
                            outcome: r.outcome.clone(),
                            note: r.note.clone(),
                            at: r.at,
                            acknowledged: acker
                                .report_acks
                                .get(rid)
                                .map(|a| (a.note.clone(), a.at)),
                        })
                        .collect();
                    reports.sort_by(|a, b| a.date.cmp(&b.date).then(a.at.cmp(&b.at)));
                    let created = crate::time::local_time(c.at, now.offset()).date_naive();
                    // Only the owner writes a follow-through note, on their own calendar;
                    // the partner's day is not known here, and timing them is not our place.
                    let due_now = !closed
                        && owner == Who::Me
                        && commitment_due(
                            c.cadence.as_ref(),
                            c.due.as_deref(),
                            created,
                            &reports,
                            today,
                        );
                    commitments.push(CommitmentView {
                        id: cid.clone(),
                        repair: id.clone(),
                        owner,
                        wording: c.wording.clone(),
                        cadence: c.cadence.clone(),
                        due: c.due.clone(),
                        at: c.at,
                        reports,
                        due_now,
                        open: !closed,
                    });
                }
            }
            commitments.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
            repairs.push(RepairView {
                id: id.clone(),
                opened_by: opener,
                date: r.date.clone(),
                at: r.at,
                what_happened: r.what_happened.clone(),
                how_it_landed: r.how_it_landed.clone(),
                acknowledgement: other.acknowledgements.get(id).map(|a| RepairAckView {
                    acknowledgement: a.acknowledgement.clone(),
                    regret: a.regret.clone(),
                    at: a.at,
                }),
                commitments,
                closed_by,
                closed,
            });
        }
    }
    repairs.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));

    let mut appreciations: Vec<AppreciationView> = sides
        .iter()
        .flat_map(|(author, space, other)| {
            space.appreciations.iter().map(|(id, a)| AppreciationView {
                id: id.clone(),
                author: *author,
                text: a.text.clone(),
                date: a.date.clone(),
                at: a.at,
                // Only the recipient's own space can answer it.
                thanks: other.thanks.get(id).map(|t| (t.text.clone(), t.at)),
            })
        })
        .collect();
    appreciations.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));

    let mut timeouts: Vec<TimeOutView> = sides
        .iter()
        .flat_map(|(author, space, _)| {
            space.timeouts.iter().map(|(id, t)| TimeOutView {
                id: id.clone(),
                who: *author,
                at: t.at,
                back_at: t.back_at,
                note: t.note.clone(),
                ended_at: t.ended_at,
                running: t.ended_at.is_none() && t.back_at > now.at_ms,
                // Only an offset people live at is passed on: a partner can write any
                // number, and a clock "for Sam" must never come from a made-up one.
                author_offset_minutes: t
                    .offset_minutes
                    .filter(|m| crate::time::plausible_offset(*m).is_some()),
            })
        })
        .collect();
    timeouts.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));

    Practice {
        checkins,
        repairs,
        appreciations,
        timeouts,
    }
}

/// The first 16 bytes of `text`, zero-padded: ordered as the texts are, except that two
/// texts equal here may still differ after it (so the text itself follows in a key).
fn text_prefix(text: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    let n = text.len().min(16);
    out[..n].copy_from_slice(&text.as_bytes()[..n]);
    out
}

fn flip(who: Who) -> Who {
    match who {
        Who::Me => Who::Partner,
        Who::Partner => Who::Me,
    }
}

/// Whether a follow-through note would be timely today.
fn commitment_due(
    cadence: Option<&Cadence>,
    due: Option<&str>,
    created: NaiveDate,
    reports: &[ReportView],
    today: NaiveDate,
) -> bool {
    let last_report = reports.iter().filter_map(|r| parse_date(&r.date)).max();
    if let Some(due) = due.and_then(parse_date) {
        let kept = reports.iter().any(|r| r.outcome == Outcome::Kept);
        return !kept && due <= today;
    }
    let Some(days) = cadence.and_then(Cadence::days) else {
        return false;
    };
    match last_report {
        Some(last) => (today - last).num_days() >= days,
        None => (today - created).num_days() >= days - 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(date: &str, outcome: Outcome) -> ReportView {
        ReportView {
            id: "r".into(),
            date: date.into(),
            outcome,
            note: None,
            at: 0,
            acknowledged: None,
        }
    }

    #[test]
    fn cadences_come_round_gently() {
        let d = |s| parse_date(s).unwrap();
        let today = d("2026-11-22");
        // Daily, reported today: nothing asked.
        assert!(!commitment_due(
            Some(&Cadence::Daily),
            None,
            d("2026-11-01"),
            &[report("2026-11-22", Outcome::Kept)],
            today
        ));
        // Weekly, last note 7 days ago: timely.
        assert!(commitment_due(
            Some(&Cadence::Weekly),
            None,
            d("2026-11-01"),
            &[report("2026-11-15", Outcome::Partly)],
            today
        ));
        // A one-off due date passed and not yet kept.
        assert!(commitment_due(
            None,
            Some("2026-11-20"),
            d("2026-11-01"),
            &[],
            today
        ));
        assert!(!commitment_due(
            None,
            Some("2026-11-20"),
            d("2026-11-01"),
            &[report("2026-11-21", Outcome::Kept)],
            today
        ));
        assert!(!commitment_due(
            Some(&Cadence::Ongoing),
            None,
            d("2026-11-01"),
            &[],
            today
        ));
    }

    fn checkin() -> CheckInView {
        CheckInView {
            id: "c".into(),
            author: Who::Partner,
            date: "2026-11-22".into(),
            at: 0,
            feel: "raw".into(),
            when: None,
            went_well: None,
            was_hard: None,
            need: Need::NothingRightNow,
            response: ResponseMode::Listen,
            safety: None,
            trust: None,
            connection: None,
            replies: Vec::new(),
            folded: false,
        }
    }

    #[test]
    fn a_checkin_says_only_the_parts_it_has() {
        let name = |w: Who| if w == Who::Me { "You" } else { "Sam" };
        assert_eq!(
            checkin().lines(name),
            ["I feel raw", "Needs: Nothing right now; just listen"]
        );
        let full = CheckInView {
            when: Some("I remember it".into()),
            went_well: Some("the walk".into()),
            was_hard: Some("the call".into()),
            need: Need::Reassurance,
            response: ResponseMode::Advise,
            safety: Some(7),
            connection: Some(4),
            replies: vec![ReplyView {
                id: "r".into(),
                author: Who::Me,
                text: "I hear you".into(),
                at: 1,
            }],
            ..checkin()
        };
        assert_eq!(
            full.lines(name),
            [
                "I feel raw when I remember it",
                "Went well: the walk",
                "Was hard: the call",
                "Needs: Reassurance; advice is welcome",
                "Scales: safety 7/10, connection 4/10",
                "You answered: I hear you",
            ]
        );
    }
}
