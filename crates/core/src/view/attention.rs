//! What needs attention today: gentle invitations, never demands.

use serde::Serialize;

use super::{AgreementStatus, View, Who};
use crate::time::Moment;

/// One thing on today's list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Attention {
    /// Someone is on a pause; it carries its own return time.
    TimeOut {
        who: Who,
        back_at: i64,
        note: Option<String>,
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

/// How far back an unanswered check-in still asks for a reply.
const REPLY_WINDOW_DAYS: i64 = 14;

impl Attention {
    /// One line for a person, naming the partner where it matters.
    pub fn describe(&self, view: &View, now: Moment) -> String {
        let partner = &view.partner.name;
        match self {
            Attention::TimeOut { who, back_at, note } => {
                let back = crate::time::local_time(*back_at, now.offset()).format("%H:%M");
                let whose = match who {
                    Who::Me => "You are on a pause".to_string(),
                    Who::Partner => format!("{partner} is on a pause"),
                };
                match note {
                    Some(n) => format!("{whose}, back at {back} — “{n}”"),
                    None => format!("{whose}, back at {back}"),
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
                title, review_on, ..
            } => {
                format!("“{title}” was due for review on {review_on} — look at it together")
            }
            Attention::AgreementNeedsReviewDate { title, .. } => {
                format!("“{title}” needs a review date before it is in force")
            }
            Attention::RetirementRequested { title, .. } => {
                format!("{partner} asked to retire “{title}”")
            }
            Attention::CheckInAwaitsReply { date, .. } => {
                format!("{partner}'s check-in of {date} has no answer from you yet")
            }
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
            Attention::CheckInInvitation => "A check-in today, whenever you are ready".to_string(),
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

pub(crate) fn gather(view: &View, now: Moment) -> Vec<Attention> {
    let mut out = Vec::new();
    for t in view.timeouts.iter().filter(|t| t.running) {
        out.push(Attention::TimeOut {
            who: t.who,
            back_at: t.back_at,
            note: t.note.clone(),
        });
    }
    for r in &view.repairs {
        if r.opened_by == Who::Partner && r.acknowledgement.is_none() && !r.closed {
            out.push(Attention::RepairAwaitsAcknowledgement {
                repair: r.id.clone(),
                what_happened: r.what_happened.clone(),
            });
        }
    }
    for a in &view.agreements {
        let agreement = a.id.clone();
        let title = a.title.clone();
        match a.status {
            AgreementStatus::Proposed if a.waiting_for.contains(&Who::Me) => {
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
    }
    let today = now.today();
    for c in &view.checkins {
        let recent = crate::time::parse_date(&c.date)
            .is_some_and(|d| (today - d).num_days() <= REPLY_WINDOW_DAYS);
        if c.author == Who::Partner && recent && !c.replies.iter().any(|r| r.author == Who::Me) {
            out.push(Attention::CheckInAwaitsReply {
                checkin: c.id.clone(),
                date: c.date.clone(),
            });
        }
    }
    for r in view.repairs.iter().filter(|r| !r.closed) {
        for c in &r.commitments {
            if c.owner == Who::Partner {
                let unanswered = c.reports.iter().filter(|rep| {
                    rep.acknowledged.is_none()
                        && crate::time::parse_date(&rep.date)
                            .is_some_and(|d| (today - d).num_days() <= REPLY_WINDOW_DAYS)
                });
                for rep in unanswered {
                    out.push(Attention::ReportAwaitsAcknowledgement {
                        report: rep.id.clone(),
                        commitment: c.wording.clone(),
                        outcome: rep.outcome.label().to_lowercase(),
                    });
                }
            } else if c.due_now {
                out.push(Attention::CommitmentDue {
                    commitment: c.id.clone(),
                    wording: c.wording.clone(),
                });
            }
        }
        if r.closed_by == [Who::Partner] {
            out.push(Attention::RepairAwaitsClosure {
                repair: r.id.clone(),
                what_happened: r.what_happened.clone(),
            });
        }
    }
    let checked_in_today = view
        .checkins
        .iter()
        .any(|c| c.author == Who::Me && c.date == view.today);
    if !checked_in_today {
        out.push(Attention::CheckInInvitation);
    }
    out
}
