//! The shape of the couple's shared document.
//!
//! Everything is a map or a scalar (no lists, no text objects): records are either
//! **owned** — they live under `by/<author key>/…` and only that partner's signed changes may
//! touch them — or **shared and immutable** — agreements and their revisions, written once by
//! the change that creates them. That shape is what makes the ownership rule a path check
//! (see `verify::rules`).

mod agreement;
mod kinds;
mod practice;
mod records;

use autosurgeon::{Hydrate, Reconcile};

pub use agreement::{Agreement, Consent, Retirement, Revision};
pub use kinds::{Cadence, Category, Need, Outcome, ResponseMode};
pub use practice::{
    Appreciation, CheckIn, Closure, Commitment, Repair, RepairResponse, Reply, Report, ReportAck,
    TimeOut,
};
pub use records::Records;

/// Version of the document layout this build writes and understands.
pub const SCHEMA_VERSION: u64 = 1;

/// Top-level keys.
pub mod keys {
    pub const SCHEMA: &str = "schema";
    pub const COUPLE: &str = "couple";
    pub const AGREEMENTS: &str = "agreements";
    pub const BY: &str = "by";
    pub const REVISIONS: &str = "revisions";
    pub const AUTHOR: &str = "author";
}

/// The whole document.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Root {
    pub schema: u64,
    pub couple: CoupleHeader,
    pub agreements: Records<Agreement>,
    /// Each partner's own records, keyed by their identity key (hex).
    pub by: Records<Space>,
}

/// Who the couple is. Written once, by the partner who created the document.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct CoupleHeader {
    /// Random 16-byte document id (hex); every change signature covers it.
    pub id: String,
    pub created_at: i64,
    pub created_by: String,
    /// Both partners' identity cards, keyed by identity key (hex).
    pub partners: Records<PartnerRecord>,
}

/// A partner's identity card as recorded at the couple's start.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct PartnerRecord {
    pub name: String,
    pub identity: String,
    pub device: String,
    pub device_certificate: String,
    pub signature: String,
}

/// Everything one partner owns. Only their signed changes may write here.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Space {
    /// My yes to an agreement, keyed by agreement id.
    #[autosurgeon(missing = "Default::default")]
    pub consents: Records<Consent>,
    /// My wish to retire an agreement, keyed by agreement id.
    #[autosurgeon(missing = "Default::default")]
    pub retirements: Records<Retirement>,
    #[autosurgeon(missing = "Default::default")]
    pub checkins: Records<CheckIn>,
    /// My answers to my partner's check-ins.
    #[autosurgeon(missing = "Default::default")]
    pub replies: Records<Reply>,
    /// Repairs I opened: what happened to me and how it landed.
    #[autosurgeon(missing = "Default::default")]
    pub repairs: Records<Repair>,
    /// My acknowledgement of a repair my partner opened, keyed by repair id.
    #[autosurgeon(missing = "Default::default")]
    pub acknowledgements: Records<RepairResponse>,
    /// Steps I committed to.
    #[autosurgeon(missing = "Default::default")]
    pub commitments: Records<Commitment>,
    /// My follow-through on my own commitments.
    #[autosurgeon(missing = "Default::default")]
    pub reports: Records<Report>,
    /// My acknowledgement of my partner's follow-through, keyed by report id.
    #[autosurgeon(missing = "Default::default")]
    pub report_acks: Records<ReportAck>,
    /// My agreement that a repair is complete, keyed by repair id.
    #[autosurgeon(missing = "Default::default")]
    pub closures: Records<Closure>,
    #[autosurgeon(missing = "Default::default")]
    pub appreciations: Records<Appreciation>,
    #[autosurgeon(missing = "Default::default")]
    pub timeouts: Records<TimeOut>,
}

/// Names of the collections inside a [`Space`], as stored.
pub mod collections {
    pub const CONSENTS: &str = "consents";
    pub const RETIREMENTS: &str = "retirements";
    pub const CHECKINS: &str = "checkins";
    pub const REPLIES: &str = "replies";
    pub const REPAIRS: &str = "repairs";
    pub const ACKNOWLEDGEMENTS: &str = "acknowledgements";
    pub const COMMITMENTS: &str = "commitments";
    pub const REPORTS: &str = "reports";
    pub const REPORT_ACKS: &str = "report_acks";
    pub const CLOSURES: &str = "closures";
    pub const APPRECIATIONS: &str = "appreciations";
    pub const TIMEOUTS: &str = "timeouts";
}
