//! Check-ins, repairs with their commitments, appreciations and time-outs, for reading.

use chrono::NaiveDate;
use serde::Serialize;

use super::{List, Who};
use crate::schema::{
    Appreciation, Cadence, CheckIn, Need, Outcome, Repair, ResponseMode, Space, TimeOut,
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
    pub checkins: List<CheckInView>,
    pub repairs: List<RepairView>,
    pub appreciations: List<AppreciationView>,
    pub timeouts: List<TimeOutView>,
}

/// The two partners' spaces, from my side.
#[derive(Clone, Copy)]
pub(crate) struct Spaces<'a> {
    pub mine: &'a Space,
    pub theirs: &'a Space,
}

impl<'a> Spaces<'a> {
    pub(crate) fn of(&self, who: Who) -> &'a Space {
        match who {
            Who::Me => self.mine,
            Who::Partner => self.theirs,
        }
    }

    /// The space of the other one: where answers to `who`'s records are written.
    pub(crate) fn other(&self, who: Who) -> &'a Space {
        self.of(flip(who))
    }
}

/// A check-in, with the answers `replies` (ids in the other partner's space) to it.
pub(crate) fn checkin<'a>(
    author: Who,
    id: &str,
    c: &CheckIn,
    spaces: Spaces<'_>,
    replies: impl Iterator<Item = &'a String>,
    my_latest: Option<i64>,
) -> CheckInView {
    let answers = spaces.other(author);
    let mut replies: Vec<ReplyView> = replies
        .filter_map(|rid| answers.replies.get(rid).map(|r| (rid, r)))
        .map(|(rid, r)| ReplyView {
            id: rid.clone(),
            author: flip(author),
            text: r.text.clone(),
            at: r.at,
        })
        .collect();
    replies.sort_by_key(|r| r.at);
    CheckInView {
        id: id.to_string(),
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
    }
}

/// Where a check-in goes in the list: newest date first (the dates as written, compared as
/// text), then newest written, then by id, mine before my partner's. The date's first
/// bytes lead the key, so most comparisons never leave it.
pub(crate) type CheckInOrder = (std::cmp::Reverse<([u8; 16], String, i64)>, String, Who);

pub(crate) fn checkin_order(author: Who, id: &str, c: &CheckIn) -> CheckInOrder {
    (
        std::cmp::Reverse((text_prefix(&c.date), c.date.clone(), c.at)),
        id.to_string(),
        author,
    )
}

/// Newest first, then by id, mine before my partner's: repairs, appreciations, time-outs.
pub(crate) type NewestFirst = (std::cmp::Reverse<i64>, String, Who);

pub(crate) fn newest_first(author: Who, id: &str, at: i64) -> NewestFirst {
    (std::cmp::Reverse(at), id.to_string(), author)
}

/// A repair, with the commitments made to it (ids per owner: mine, then my partner's) and
/// the follow-through reported on each (`reports_of(owner, commitment id)`).
pub(crate) fn repair<'a>(
    opener: Who,
    id: &str,
    r: &Repair,
    spaces: Spaces<'a>,
    commitments: [Vec<&'a String>; 2],
    reports_of: impl Fn(Who, &str) -> Vec<&'a String>,
    now: Moment,
) -> RepairView {
    let today = now.today();
    let closed_by: Vec<Who> = [Who::Me, Who::Partner]
        .into_iter()
        .filter(|w| spaces.of(*w).closures.contains(id))
        .collect();
    let closed = closed_by.len() == 2;
    let mut views = Vec::new();
    for (owner, cids) in [Who::Me, Who::Partner].into_iter().zip(commitments) {
        let (space, acker) = (spaces.of(owner), spaces.other(owner));
        for cid in cids {
            let Some(c) = space.commitments.get(cid) else {
                continue;
            };
            let mut reports: Vec<ReportView> = reports_of(owner, cid)
                .into_iter()
                .filter_map(|rid| space.reports.get(rid).map(|r| (rid, r)))
                .map(|(rid, r)| ReportView {
                    id: rid.clone(),
                    date: r.date.clone(),
                    outcome: r.outcome.clone(),
                    note: r.note.clone(),
                    at: r.at,
                    acknowledged: acker.report_acks.get(rid).map(|a| (a.note.clone(), a.at)),
                })
                .collect();
            reports.sort_by(|a, b| a.date.cmp(&b.date).then(a.at.cmp(&b.at)));
            let created = crate::time::local_time(c.at, now.offset()).date_naive();
            // Only the owner writes a follow-through note, on their own calendar; the
            // partner's day is not known here, and timing them is not our place.
            let due_now = !closed
                && owner == Who::Me
                && commitment_due(
                    c.cadence.as_ref(),
                    c.due.as_deref(),
                    created,
                    &reports,
                    today,
                );
            views.push(CommitmentView {
                id: cid.clone(),
                repair: id.to_string(),
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
    views.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
    RepairView {
        id: id.to_string(),
        opened_by: opener,
        date: r.date.clone(),
        at: r.at,
        what_happened: r.what_happened.clone(),
        how_it_landed: r.how_it_landed.clone(),
        acknowledgement: spaces
            .other(opener)
            .acknowledgements
            .get(id)
            .map(|a| RepairAckView {
                acknowledgement: a.acknowledgement.clone(),
                regret: a.regret.clone(),
                at: a.at,
            }),
        commitments: views,
        closed_by,
        closed,
    }
}

pub(crate) fn appreciation(
    author: Who,
    id: &str,
    a: &Appreciation,
    spaces: Spaces<'_>,
) -> AppreciationView {
    AppreciationView {
        id: id.to_string(),
        author,
        text: a.text.clone(),
        date: a.date.clone(),
        at: a.at,
        // Only the recipient's own space can answer it.
        thanks: spaces
            .other(author)
            .thanks
            .get(id)
            .map(|t| (t.text.clone(), t.at)),
    }
}

pub(crate) fn timeout(author: Who, id: &str, t: &TimeOut, now: Moment) -> TimeOutView {
    TimeOutView {
        id: id.to_string(),
        who: author,
        at: t.at,
        back_at: t.back_at,
        note: t.note.clone(),
        ended_at: t.ended_at,
        running: running(t.ended_at, t.back_at, now),
        // Only an offset people live at is passed on: a partner can write any number, and
        // a clock "for Sam" must never come from a made-up one.
        author_offset_minutes: t
            .offset_minutes
            .filter(|m| crate::time::plausible_offset(*m).is_some()),
    }
}

/// The pauses that are on, as every screen and list says them: each person's newest running
/// one. More than one running at once only comes from a clock that jumped or a crafted
/// history, and a screen of pauses would push everything else out of sight.
pub fn running_pauses(timeouts: &[std::sync::Arc<TimeOutView>]) -> Vec<&TimeOutView> {
    let mut out: Vec<&TimeOutView> = Vec::new();
    // Newest first, so the first running pause of each person is their newest.
    for t in timeouts.iter().filter(|t| t.running) {
        if out.iter().all(|o| o.who != t.who) {
            out.push(t);
        }
    }
    out
}

/// Whether a time-out (ended at `ended_at`, if it was, and due back at `back_at`) is still
/// on at `now`.
pub(crate) fn running(ended_at: Option<i64>, back_at: i64, now: Moment) -> bool {
    ended_at.is_none() && back_at > now.at_ms
}

/// The first 16 bytes of `text`, zero-padded: ordered as the texts are, except that two
/// texts equal here may still differ after it (so the text itself follows in a key).
fn text_prefix(text: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    let n = text.len().min(16);
    out[..n].copy_from_slice(&text.as_bytes()[..n]);
    out
}

pub(crate) fn flip(who: Who) -> Who {
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

    fn pause(who: Who, at: i64, running: bool) -> std::sync::Arc<TimeOutView> {
        std::sync::Arc::new(TimeOutView {
            id: format!("{who:?}{at}"),
            who,
            at,
            back_at: at + 1,
            note: None,
            ended_at: None,
            running,
            author_offset_minutes: None,
        })
    }

    #[test]
    fn each_persons_newest_running_pause_is_the_one_shown() {
        // Newest first, as the view lists them.
        let timeouts = vec![
            pause(Who::Partner, 9, true),
            pause(Who::Me, 8, false),
            pause(Who::Partner, 7, true),
            pause(Who::Me, 6, true),
            pause(Who::Me, 5, true),
        ];
        let ids: Vec<&str> = running_pauses(&timeouts)
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        assert_eq!(ids, ["Partner9", "Me6"]);
        assert!(running_pauses(&[pause(Who::Me, 1, false)]).is_empty());
    }
}
