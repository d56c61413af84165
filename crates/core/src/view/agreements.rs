//! An agreement's derived state: its current wording(s) and status.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Keys, Who, who};
use crate::schema::{Agreement, Category, Root};
use crate::time::parse_date;

/// Where an agreement stands. Derived, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    /// Waiting for one or both partners' yes to the current wording.
    Proposed,
    /// Both said yes to the current wording.
    InForce,
    /// In force in the wording both said yes to, while a new wording waits for a yes.
    ChangeProposed,
    /// Two wordings grew from the same one while apart: talk about it together.
    NeedsConversation,
    /// In force, and its review date has come.
    DueForReview,
    /// A transparency & privacy agreement both said yes to, but without a review date.
    NeedsReviewDate,
    /// Both asked to retire it. Every version stays readable.
    Retired,
}

impl AgreementStatus {
    pub fn label(&self) -> &'static str {
        match self {
            AgreementStatus::Proposed => "proposed",
            AgreementStatus::InForce => "in force",
            AgreementStatus::ChangeProposed => "in force — a change is proposed",
            AgreementStatus::NeedsConversation => "needs a conversation",
            AgreementStatus::DueForReview => "due for review",
            AgreementStatus::NeedsReviewDate => "needs a review date",
            AgreementStatus::Retired => "retired",
        }
    }
}

/// One wording of an agreement, for reading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionView {
    pub id: String,
    pub author: Who,
    pub at: i64,
    pub wording: String,
    pub if_crossed: Option<String>,
    pub review_on: Option<String>,
    pub parents: Vec<String>,
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgreementView {
    pub id: String,
    pub title: String,
    pub category: Category,
    pub proposed_by: Who,
    pub at: i64,
    pub status: AgreementStatus,
    /// Who has not yet said yes to the current wording (only while proposed).
    pub waiting_for: Vec<Who>,
    /// Every revision, oldest first.
    pub revisions: Vec<RevisionView>,
    /// The current wording(s): one normally, two or more when they need a conversation.
    pub current: Vec<String>,
    pub my_consent: Option<String>,
    pub partner_consent: Option<String>,
    pub review_on: Option<String>,
    pub retire_requested_by: Vec<Who>,
    /// The wording both said yes to that holds now: the current one once both agreed to
    /// it, the earlier one while a change (or two, apart) waits.
    pub holding: Option<String>,
}

impl AgreementView {
    /// Whether the two of them live by it now (in some wording both said yes to).
    pub fn in_force(&self) -> bool {
        match self.status {
            AgreementStatus::InForce
            | AgreementStatus::ChangeProposed
            | AgreementStatus::DueForReview => true,
            AgreementStatus::NeedsConversation => self.holding.is_some(),
            AgreementStatus::Proposed
            | AgreementStatus::NeedsReviewDate
            | AgreementStatus::Retired => false,
        }
    }

    pub fn revision(&self, id: &str) -> Option<&RevisionView> {
        self.revisions.iter().find(|r| r.id == id)
    }

    /// The single current wording, when there is one.
    pub fn current_revision(&self) -> Option<&RevisionView> {
        match self.current.as_slice() {
            [only] => self.revision(only),
            _ => None,
        }
    }
}

/// Revisions no other revision replaces, oldest first.
pub(crate) fn leaves(agreement: &Agreement) -> Vec<String> {
    let replaced: std::collections::HashSet<&str> = agreement
        .revisions
        .iter()
        .flat_map(|(_, r)| r.parents.keys().map(String::as_str))
        .collect();
    let mut out: Vec<(&String, i64)> = agreement
        .revisions
        .iter()
        .filter(|(id, _)| !replaced.contains(id.as_str()))
        .map(|(id, r)| (id, r.at))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)));
    out.into_iter().map(|(id, _)| id.clone()).collect()
}

/// The revision both partners' yes holds now, if any: the one both consent to; else, while
/// one (or each) of them proposed a change, the one a standing yes shares with the other's.
/// Only revisions of this agreement count.
pub(crate) fn holding(
    root: &Root,
    agreement_id: &str,
    agreement: &Agreement,
    keys: &Keys,
) -> Option<String> {
    let consent = |key: &str| root.by.get(key).and_then(|s| s.consents.get(agreement_id));
    let (mine, theirs) = (consent(&keys.me)?, consent(&keys.partner)?);
    let known = |r: &&String| agreement.revisions.get(r).is_some();
    [
        (Some(&mine.revision), Some(&theirs.revision)),
        (Some(&mine.revision), theirs.standing.as_ref()),
        (mine.standing.as_ref(), Some(&theirs.revision)),
        (mine.standing.as_ref(), theirs.standing.as_ref()),
    ]
    .into_iter()
    .find_map(|pair| match pair {
        (Some(a), Some(b)) if a == b => Some(a).filter(known),
        _ => None,
    })
    .cloned()
}

/// Whether `leaf` settled a conversation by keeping, word for word, the revision `agreed`
/// (one of the versions it replaces): a yes to that version is a yes to the settled one, so
/// choosing the wording the other already said yes to settles it in one step.
fn same_words_settled(agreement: &Agreement, leaf: &crate::schema::Revision, agreed: &str) -> bool {
    leaf.parents.len() > 1
        && leaf.parents.contains_key(agreed)
        && agreement.revisions.get(agreed).is_some_and(|r| {
            r.wording == leaf.wording
                && r.if_crossed == leaf.if_crossed
                && r.review_on == leaf.review_on
        })
}

/// Both partners asked to retire it.
pub(crate) fn retired(root: &Root, agreement_id: &str) -> bool {
    root.by.len() >= 2
        && root
            .by
            .iter()
            .all(|(_, space)| space.retirements.contains(agreement_id))
}

pub(crate) fn build(
    root: &Root,
    id: &str,
    agreement: &Agreement,
    keys: &Keys,
    today: NaiveDate,
) -> AgreementView {
    let current = leaves(agreement);
    let consent_of = |key: &str| {
        root.by
            .get(key)
            .and_then(|s| s.consents.get(id))
            .map(|c| c.revision.clone())
    };
    let my_consent = consent_of(&keys.me);
    let partner_consent = consent_of(&keys.partner);
    let mut revisions: Vec<RevisionView> = agreement
        .revisions
        .iter()
        .map(|(rid, r)| RevisionView {
            id: rid.clone(),
            author: who(&r.author, &keys.me),
            at: r.at,
            wording: r.wording.clone(),
            if_crossed: r.if_crossed.clone(),
            review_on: r.review_on.clone(),
            parents: r.parents.keys().cloned().collect(),
            current: current.contains(rid),
        })
        .collect();
    revisions.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
    let retire_requested_by: Vec<Who> = [(&keys.me, Who::Me), (&keys.partner, Who::Partner)]
        .into_iter()
        .filter(|(k, _)| {
            root.by
                .get(k.as_str())
                .is_some_and(|s| s.retirements.contains(id))
        })
        .map(|(_, w)| w)
        .collect();

    let leaf = match current.as_slice() {
        [only] => agreement.revisions.get(only).map(|r| (only, r)),
        _ => None,
    };
    let review_on = leaf.and_then(|(_, r)| r.review_on.clone());
    let mut holding = holding(root, id, agreement, keys);
    let mut waiting_for = Vec::new();
    let status = if retire_requested_by.len() == 2 {
        AgreementStatus::Retired
    } else if current.len() > 1 {
        AgreementStatus::NeedsConversation
    } else if let Some((leaf_id, leaf_rev)) = leaf {
        let agrees = |consent: &Option<String>| {
            consent
                .as_ref()
                .is_some_and(|c| c == leaf_id || same_words_settled(agreement, leaf_rev, c))
        };
        if !agrees(&my_consent) {
            waiting_for.push(Who::Me);
        }
        if !agrees(&partner_consent) {
            waiting_for.push(Who::Partner);
        }
        if waiting_for.is_empty() {
            holding = Some(leaf_id.clone());
        }
        let review_date = review_on.as_deref().and_then(parse_date);
        if !waiting_for.is_empty() {
            if holding.is_some() {
                AgreementStatus::ChangeProposed
            } else {
                AgreementStatus::Proposed
            }
        } else if agreement.category == Category::Transparency && review_date.is_none() {
            AgreementStatus::NeedsReviewDate
        } else if review_date.is_some_and(|d| d <= today) {
            AgreementStatus::DueForReview
        } else {
            AgreementStatus::InForce
        }
    } else {
        // No readable revision at all: nothing to agree to.
        AgreementStatus::Proposed
    };

    AgreementView {
        id: id.to_string(),
        title: agreement.title.clone(),
        category: agreement.category.clone(),
        proposed_by: who(&agreement.author, &keys.me),
        at: agreement.at,
        status,
        waiting_for,
        revisions,
        current,
        my_consent,
        partner_consent,
        review_on,
        retire_requested_by,
        holding,
    }
}
