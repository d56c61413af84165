//! What a partner can do: each action becomes exactly one signed change.

use chrono::NaiveDate;

use crate::error::CoreError;
use crate::schema::{Cadence, Category, Need, Outcome, ResponseMode};

/// Longest text a single field may hold, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Longest word of thanks for an appreciation, in characters: a mark and a few words, not
/// a letter. The ownership rules refuse a longer one from the partner's device too.
pub const MAX_THANKS_CHARS: usize = 280;
/// Longest time-out, in minutes (a day).
pub const MAX_TIMEOUT_MINUTES: u32 = 24 * 60;

/// A new agreement's first wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementDraft {
    pub title: String,
    pub category: Category,
    pub wording: String,
    pub if_crossed: Option<String>,
    pub review_on: Option<NaiveDate>,
}

/// A new revision. Fields left `None` are carried over from the revision it starts from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisionDraft {
    pub wording: Option<String>,
    pub if_crossed: Option<String>,
    pub review_on: Option<NaiveDate>,
    /// The revision to start from (a prefix of its id); required to settle a conflict
    /// without new wording.
    pub from: Option<String>,
}

/// A check-in, as its author fills it in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckInDraft {
    pub feel: String,
    pub when: Option<String>,
    pub went_well: Option<String>,
    pub was_hard: Option<String>,
    pub need: Option<Need>,
    pub response: Option<ResponseMode>,
    pub safety: Option<u8>,
    pub trust: Option<u8>,
    pub connection: Option<u8>,
    /// The day it is about; today when `None`.
    pub date: Option<NaiveDate>,
}

/// One user action. Ids are the prefixes people type; they are resolved against the
/// document when the action is performed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    ProposeAgreement(AgreementDraft),
    ReviseAgreement {
        agreement: String,
        draft: RevisionDraft,
    },
    AcceptAgreement {
        agreement: String,
        revision: Option<String>,
    },
    RetireAgreement {
        agreement: String,
        note: Option<String>,
    },
    AddCheckIn(CheckInDraft),
    ReplyToCheckIn {
        checkin: String,
        text: String,
    },
    OpenRepair {
        what_happened: String,
        how_it_landed: String,
    },
    AcknowledgeRepair {
        repair: String,
        acknowledgement: String,
        regret: String,
    },
    AddCommitment {
        repair: String,
        wording: String,
        cadence: Option<Cadence>,
        due: Option<NaiveDate>,
    },
    ReportFollowThrough {
        commitment: String,
        outcome: Outcome,
        note: Option<String>,
        date: Option<NaiveDate>,
    },
    AcknowledgeReport {
        report: String,
        note: Option<String>,
    },
    CloseRepair {
        repair: String,
        note: Option<String>,
    },
    /// Take back my "this feels complete", while my partner has not said it too.
    ReopenRepair {
        repair: String,
    },
    Appreciate {
        text: String,
    },
    /// Answer an appreciation my partner addressed to me: a "thank you" mark, with a word
    /// (at most [`MAX_THANKS_CHARS`]) or not.
    ThankForAppreciation {
        appreciation: String,
        text: Option<String>,
    },
    StartTimeOut {
        minutes: u32,
        note: Option<String>,
    },
    EndTimeOut,
    /// End the shared space with dignity: the last change either partner makes.
    EndSpace {
        note: Option<String>,
    },
    /// Share my sealing key (and its certificate by my identity key) with my partner, for a
    /// couple that began before cards carried it. Made by [`crate::Couple::seal_to_share`].
    PublishSeal {
        key: String,
        certificate: String,
    },
    /// Use this mailbox from now on (its address as the network layer writes it), or none.
    SetMailbox {
        address: Option<String>,
    },
    /// I sync from this device now (a recovered identity on a new laptop), certified by my
    /// identity key; the device it replaces may sync no more. Made by
    /// [`crate::Couple::device_to_record`].
    RecordDevice {
        device: String,
        certificate: String,
        replaces: Option<String>,
    },
}

/// The longest mailbox address a record may carry (an endpoint id and a few addresses).
pub const MAX_MAILBOX_ADDRESS: usize = 1024;

/// Trims a required text field and checks its length.
pub(crate) fn required(field: &str, value: &str) -> Result<String, CoreError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CoreError::Invalid(format!("{field} cannot be empty")));
    }
    limit(field, value)
}

/// Trims an optional text field; blank becomes `None`.
pub(crate) fn optional(field: &str, value: &Option<String>) -> Result<Option<String>, CoreError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => limit(field, v).map(Some),
    }
}

fn limit(field: &str, value: &str) -> Result<String, CoreError> {
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(CoreError::Invalid(format!(
            "{field} is longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(value.to_string())
}

/// Checks an optional 1–10 scale.
pub(crate) fn scale(name: &str, value: Option<u8>) -> Result<Option<u8>, CoreError> {
    match value {
        Some(v) if !(1..=10).contains(&v) => Err(CoreError::Invalid(format!(
            "the {name} scale goes from 1 to 10 (got {v})"
        ))),
        other => Ok(other),
    }
}
