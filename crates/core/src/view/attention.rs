//! What needs attention today: gentle invitations, never demands.

use serde::Serialize;

use std::sync::Arc;

use super::{AgreementStatus, AgreementView, CheckInView, List, RepairView, View, Who};
use crate::time::{Moment, Zone, day_word, in_zone, partner_clock, plausible_offset};

/// One thing on today's list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Attention {
    /// Someone is on a pause; it carries its own return time.
    TimeOut {
        who: Who,
        back_at: i64,
        note: Option<String>,
        /// The author's offset, where their record carries it (see [`super::TimeOutView`]).
        author_offset_minutes: Option<i32>,
    },
    RepairAwaitsAcknowledgement {
        repair: String,
        what_happened: String,
    },
    AgreementAwaitsMe {
        agreement: String,
        title: String,
    },
    AgreementNeedsConversation {
        agreement: String,
        title: String,
    },
    AgreementDueForReview {
        agreement: String,
        title: String,
        review_on: String,
    },
    AgreementNeedsReviewDate {
        agreement: String,
        title: String,
    },
    RetirementRequested {
        agreement: String,
        title: String,
    },
    /// My partner's check-in, unfolded for me, with no answer of mine. `date` is on their
    /// calendar.
    CheckInAwaitsReply {
        checkin: String,
        date: String,
    },
    ReportAwaitsAcknowledgement {
        report: String,
        commitment: String,
        outcome: String,
    },
    CommitmentDue {
        commitment: String,
        wording: String,
    },
    RepairAwaitsClosure {
        repair: String,
        what_happened: String,
    },
    /// No check-in from me today yet: an invitation, not a streak.
    CheckInInvitation,
}

/// How long an unanswered check-in or follow-through still asks for an answer, counted from
/// when it was written (an instant reads the same in both partners' zones; their dates do not).
const ANSWER_WINDOW_MS: i64 = 14 * 24 * 60 * 60 * 1000;

impl Attention {
    /// One line for a person, naming the partner where it matters. Clock times are the
    /// reader's, read in `zone` (pass the system's zone where there is one, so a return time
    /// across a daylight-saving change is still right); dates are their author's.
    pub fn describe(&self, view: &View, now: Moment, zone: &dyn Zone) -> String {
        let partner = &view.partner.name;
        match self {
            Attention::TimeOut {
                who,
                back_at,
                note,
                author_offset_minutes,
            } => {
                let day = day_word(*back_at, now, zone);
                let line = match who {
                    Who::Me => format!(
                        "You are on a pause, back {day}at {}",
                        in_zone(*back_at, zone).format("%H:%M")
                    ),
                    Who::Partner => {
                        let theirs = author_offset_minutes.and_then(plausible_offset);
                        format!(
                            "{partner} is on a pause, back {day}at {}",
                            partner_clock(*back_at, zone, theirs, partner)
                        )
                    }
                };
                match note {
                    Some(n) => format!("{line} — “{n}”"),
                    None => line,
                }
            }
            Attention::RepairAwaitsAcknowledgement { what_happened, .. } => {
                format!(
                    "{partner} opened a repair: “{}” — acknowledge it in your own words when you are ready",
                    clip(what_happened)
                )
            }
            Attention::AgreementAwaitsMe { title, .. } => {
                format!("“{title}” is waiting for your yes (or a revision)")
            }
            Attention::AgreementNeedsConversation { title, .. } => {
                format!(
                    "“{title}” has two versions — talk about it together and settle on one wording"
                )
            }
            Attention::AgreementDueForReview {
                agreement,
                title,
                review_on,
            } => {
                // The review date is on the calendar of whoever wrote the current wording.
                let set_by = view
                    .agreement(agreement)
                    .and_then(|a| a.current_revision())
                    .map_or(Who::Me, |r| r.author);
                format!(
                    "“{title}” was due for review on {} — look at it together",
                    view.date_of(review_on, set_by)
                )
            }
            Attention::AgreementNeedsReviewDate { title, .. } => {
                format!("“{title}” needs a review date before it is in force")
            }
            Attention::RetirementRequested { title, .. } => {
                format!("{partner} asked to retire “{title}”")
            }
            Attention::CheckInAwaitsReply { date, .. } => format!(
                "{partner}'s check-in of {} has no answer from you yet",
                view.date_of(date, Who::Partner)
            ),
            Attention::ReportAwaitsAcknowledgement {
                commitment,
                outcome,
                ..
            } => format!(
                "{partner} followed through on “{}” ({outcome}) — acknowledge it if you saw it",
                clip(commitment)
            ),
            Attention::CommitmentDue { wording, .. } => {
                format!(
                    "Your commitment “{}” — a note on how it went, when you are ready",
                    clip(wording)
                )
            }
            Attention::RepairAwaitsClosure { what_happened, .. } => format!(
                "{partner} feels the repair “{}” is complete — close it too if you agree",
                clip(what_happened)
            ),
            Attention::CheckInInvitation => {
                let waiting = view
                    .checkins
                    .iter()
                    .any(|c| c.author == Who::Partner && c.folded);
                if waiting {
                    format!(
                        "A check-in today, whenever you are ready ({partner}'s newest opens once yours is written)"
                    )
                } else {
                    "A check-in today, whenever you are ready".to_string()
                }
            }
        }
    }

    /// The record this item is about, if any.
    pub fn record(&self) -> Option<&str> {
        match self {
            Attention::TimeOut { .. } | Attention::CheckInInvitation => None,
            Attention::RepairAwaitsAcknowledgement { repair, .. }
            | Attention::RepairAwaitsClosure { repair, .. } => Some(repair),
            Attention::AgreementAwaitsMe { agreement, .. }
            | Attention::AgreementNeedsConversation { agreement, .. }
            | Attention::AgreementDueForReview { agreement, .. }
            | Attention::AgreementNeedsReviewDate { agreement, .. }
            | Attention::RetirementRequested { agreement, .. } => Some(agreement),
            Attention::CheckInAwaitsReply { checkin, .. } => Some(checkin),
            Attention::ReportAwaitsAcknowledgement { report, .. } => Some(report),
            Attention::CommitmentDue { commitment, .. } => Some(commitment),
        }
    }
}

impl super::TimeOutView {
    /// The pause in one line, as today's list says it: the return time on the reader's clock
    /// (in `zone`), and on the author's too where that differs and is known.
    pub fn describe(&self, view: &View, now: Moment, zone: &dyn Zone) -> String {
        Attention::TimeOut {
            who: self.who,
            back_at: self.back_at,
            note: self.note.clone(),
            author_offset_minutes: self.author_offset_minutes,
        }
        .describe(view, now, zone)
    }
}

fn clip(text: &str) -> String {
    const MAX: usize = 60;
    let first_line = text.lines().next().unwrap_or_default();
    if first_line.chars().count() > MAX || first_line.len() < text.len() {
        let cut: String = first_line.chars().take(MAX).collect();
        format!("{}…", cut.trim_end())
    } else {
        first_line.to_string()
    }
}

/// What the list needs from the whole history, kept beside it so it is not read in full
/// after every change.
pub(crate) struct Hints {
    /// My partner's check-ins that await my answer, in the list's order: written since
    /// [`answerable_since`], open (a folded one cannot be answered before it is read: the
    /// invitation to write mine says it opens then, and nothing nags about it), and with no
    /// answer of mine.
    pub answerable: Vec<std::sync::Arc<CheckInView>>,
    /// Whether I have a check-in dated today.
    pub checked_in_today: bool,
}

/// The oldest a check-in of my partner's can be and still ask for my answer.
pub(crate) fn answerable_since(now: Moment) -> i64 {
    now.at_ms.saturating_sub(ANSWER_WINDOW_MS)
}

/// The last instant something written at `at` still asks for an answer.
pub(crate) fn answerable_until(at: i64) -> i64 {
    at.saturating_add(ANSWER_WINDOW_MS)
}

/// What one agreement asks of me, kept beside it (see [`super::ViewCache`]).
pub(crate) fn of_agreement(a: &AgreementView) -> Vec<Arc<Attention>> {
    let mut out = Vec::new();
    let agreement = a.id.clone();
    let title = a.title.clone();
    match a.status {
        AgreementStatus::Proposed | AgreementStatus::ChangeProposed
            if a.waiting_for.contains(&Who::Me) =>
        {
            out.push(Attention::AgreementAwaitsMe { agreement, title })
        }
        AgreementStatus::NeedsConversation => {
            out.push(Attention::AgreementNeedsConversation { agreement, title })
        }
        AgreementStatus::DueForReview => out.push(Attention::AgreementDueForReview {
            agreement,
            title,
            review_on: a.review_on.clone().unwrap_or_default(),
        }),
        AgreementStatus::NeedsReviewDate => {
            out.push(Attention::AgreementNeedsReviewDate { agreement, title })
        }
        _ => {}
    }
    if a.status != AgreementStatus::Retired && a.retire_requested_by == [Who::Partner] {
        out.push(Attention::RetirementRequested {
            agreement: a.id.clone(),
            title: a.title.clone(),
        });
    }
    out.into_iter().map(Arc::new).collect()
}

/// What one repair asks of me, kept beside it: acknowledging it (listed with the repairs,
/// early) and its follow-through (listed after the check-ins). A report asks only while it
/// is recent, so it is kept with when it was written.
#[derive(Debug, Default)]
pub(crate) struct RepairAsks {
    pub first: Vec<Arc<Attention>>,
    pub later: Vec<(Option<i64>, Arc<Attention>)>,
}

impl RepairAsks {
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_empty() && self.later.is_empty()
    }
}

pub(crate) fn of_repair(r: &RepairView) -> RepairAsks {
    let mut asks = RepairAsks::default();
    if r.closed {
        return asks;
    }
    if r.opened_by == Who::Partner && r.acknowledgement.is_none() {
        asks.first
            .push(Arc::new(Attention::RepairAwaitsAcknowledgement {
                repair: r.id.clone(),
                what_happened: r.what_happened.clone(),
            }));
    }
    for c in &r.commitments {
        if c.owner == Who::Partner {
            for rep in c.reports.iter().filter(|rep| rep.acknowledged.is_none()) {
                let item = Attention::ReportAwaitsAcknowledgement {
                    report: rep.id.clone(),
                    commitment: c.wording.clone(),
                    outcome: rep.outcome.label().to_lowercase(),
                };
                asks.later.push((Some(rep.at), Arc::new(item)));
            }
        } else if c.due_now {
            let item = Attention::CommitmentDue {
                commitment: c.id.clone(),
                wording: c.wording.clone(),
            };
            asks.later.push((None, Arc::new(item)));
        }
    }
    if r.closed_by == [Who::Partner] {
        let item = Attention::RepairAwaitsClosure {
            repair: r.id.clone(),
            what_happened: r.what_happened.clone(),
        };
        asks.later.push((None, Arc::new(item)));
    }
    asks
}

/// Today's list, in its order: pauses, repairs to acknowledge, agreements, check-ins to
/// answer, follow-through, the invitation to check in. What agreements and repairs ask is
/// kept beside them (`agreements`, `repairs`, in the view's order); the rest is read here.
pub(crate) fn gather<'a>(
    view: &View,
    now: Moment,
    hints: &Hints,
    agreements: impl Iterator<Item = &'a [Arc<Attention>]>,
    repairs: impl Iterator<Item = &'a RepairAsks> + Clone,
) -> List<Attention> {
    let mut out: Vec<Arc<Attention>> = Vec::new();
    // An ended space takes no more writing: nothing on the list could be acted on, so
    // nothing is asked (no answer, no yes, no check-in).
    if view.ended.is_some() {
        return List::default();
    }
    for t in super::running_pauses(&view.timeouts) {
        out.push(Arc::new(Attention::TimeOut {
            who: t.who,
            back_at: t.back_at,
            note: t.note.clone(),
            author_offset_minutes: t.author_offset_minutes,
        }));
    }
    out.extend(repairs.clone().flat_map(|r| r.first.iter().cloned()));
    out.extend(agreements.flat_map(|items| items.iter().cloned()));
    out.extend(hints.answerable.iter().map(|c| {
        Arc::new(Attention::CheckInAwaitsReply {
            checkin: c.id.clone(),
            date: c.date.clone(),
        })
    }));
    // The same window the kept list is handed out again within (`answerable_until`).
    let recent = |at: i64| answerable_until(at) >= now.at_ms;
    out.extend(repairs.flat_map(|r| {
        r.later
            .iter()
            .filter(|(at, _)| at.is_none_or(recent))
            .map(|(_, item)| item.clone())
    }));
    if !hints.checked_in_today {
        out.push(Arc::new(Attention::CheckInInvitation));
    }
    out.into()
}
