//! The shape of the couple's shared document.
//!
//! Everything is a map or a scalar (no lists, no text objects): records are either
//! **owned** — they live under `by/<author key>/…` and only that partner's signed changes may
//! touch them — or **shared and immutable** — agreements and their revisions, written once by
//! the change that creates them. That shape is what makes the ownership rule a path check
//! (see `verify::rules`).

mod agreement;
mod fields;
mod kinds;
mod practice;
mod records;

use autosurgeon::{Hydrate, Reconcile};

pub use agreement::{Agreement, Consent, Retirement, Revision};
pub use kinds::{Cadence, Category, Need, Outcome, ResponseMode};
pub use practice::{
    Appreciation, CheckIn, Closure, Commitment, Ending, Repair, RepairResponse, Reply, Report,
    ReportAck, Thanks, TimeOut,
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
    pub const SEAL: &str = "seal";
    pub const MAILBOX: &str = "mailbox";
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
    /// The sealing key the card carried (cards made before sealing carry none).
    #[autosurgeon(missing = "Default::default")]
    pub seal: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub seal_certificate: Option<String>,
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
    /// My answers to my partner's appreciations, keyed by the appreciation's id.
    #[autosurgeon(missing = "Default::default")]
    pub thanks: Records<Thanks>,
    #[autosurgeon(missing = "Default::default")]
    pub timeouts: Records<TimeOut>,
    /// My ending of our shared space, if I ended it (one entry at most).
    #[autosurgeon(missing = "Default::default")]
    pub endings: Records<Ending>,
    /// My sealing key, published for couples that began before cards carried it.
    #[autosurgeon(missing = "Default::default")]
    pub seal: Option<SealRecord>,
    /// The mailbox I added for us, or my removal of one (the newest record of either
    /// partner is the couple's; see `Couple::mailbox`).
    #[autosurgeon(missing = "Default::default")]
    pub mailbox: Option<MailboxRecord>,
    /// The devices I moved to after the one in my card (a recovered identity on a new
    /// laptop), keyed by the device's id (hex): see `Couple::current_device`.
    #[autosurgeon(missing = "Default::default")]
    pub devices: Records<DeviceRecord>,
}

/// A device I use from now on, certified by my identity key, and the one it replaces: the
/// signed record that retires a lost laptop.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct DeviceRecord {
    /// My identity key's signature over the device id (as in a card).
    pub certificate: String,
    pub at: i64,
    /// The device (hex) this one replaces, which may no longer sync.
    #[autosurgeon(missing = "Default::default")]
    pub replaces: Option<String>,
}

/// Where the couple's mailbox is: an always-on peer holding sealed envelopes for each of us.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct MailboxRecord {
    /// The mailbox's address as the network layer writes it (its endpoint id and where to
    /// reach it); empty when this record removes the mailbox.
    pub address: String,
    pub at: i64,
}

/// A partner's sealing key (an age X25519 recipient) and its certificate by their identity
/// key: the partner seals bundles and mailbox deposits to it.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct SealRecord {
    pub key: String,
    pub certificate: String,
    pub at: i64,
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
    pub const THANKS: &str = "thanks";
    pub const TIMEOUTS: &str = "timeouts";
    pub const ENDINGS: &str = "endings";
    pub const DEVICES: &str = "devices";
}

/// Reads the given records (`agreements/<id>`, `by/<key>/<collection>/<id>`) again from `doc`
/// into `root`. Returns false if any could not be refreshed this way; the caller then reads
/// the whole document.
pub(crate) fn refresh_records<D: autosurgeon::ReadDoc>(
    doc: &D,
    root: &mut Root,
    records: &std::collections::BTreeSet<Vec<String>>,
) -> bool {
    records
        .iter()
        .all(|path| refresh_record(doc, root, path).is_some())
}

fn read<D: autosurgeon::ReadDoc, T: Hydrate>(doc: &D, path: &[String]) -> Option<Option<T>> {
    let props = path
        .iter()
        .map(|p| autosurgeon::Prop::Key(std::borrow::Cow::Borrowed(p.as_str())));
    autosurgeon::hydrate_path(doc, &automerge::ROOT, props).ok()
}

fn put<T>(records: &mut Records<T>, id: &str, value: Option<T>) {
    match value {
        Some(v) => records.insert(id.to_string(), v),
        None => {
            records.items.remove(id);
        }
    }
}

fn refresh_record<D: autosurgeon::ReadDoc>(
    doc: &D,
    root: &mut Root,
    path: &[String],
) -> Option<()> {
    if path.len() == 2 && path[0] == keys::AGREEMENTS {
        let value = read::<D, Agreement>(doc, path)?;
        put(&mut root.agreements, &path[1], value);
        return Some(());
    }
    if path.len() != 4 || path[0] != keys::BY {
        return None;
    }
    let space = root.by.items.get_mut(&path[1])?;
    let id = path[3].as_str();
    use collections as c;
    match path[2].as_str() {
        c::CONSENTS => put(&mut space.consents, id, read(doc, path)?),
        c::RETIREMENTS => put(&mut space.retirements, id, read(doc, path)?),
        c::CHECKINS => put(&mut space.checkins, id, read(doc, path)?),
        c::REPLIES => put(&mut space.replies, id, read(doc, path)?),
        c::REPAIRS => put(&mut space.repairs, id, read(doc, path)?),
        c::ACKNOWLEDGEMENTS => put(&mut space.acknowledgements, id, read(doc, path)?),
        c::COMMITMENTS => put(&mut space.commitments, id, read(doc, path)?),
        c::REPORTS => put(&mut space.reports, id, read(doc, path)?),
        c::REPORT_ACKS => put(&mut space.report_acks, id, read(doc, path)?),
        c::CLOSURES => put(&mut space.closures, id, read(doc, path)?),
        c::APPRECIATIONS => put(&mut space.appreciations, id, read(doc, path)?),
        c::THANKS => put(&mut space.thanks, id, read(doc, path)?),
        c::TIMEOUTS => put(&mut space.timeouts, id, read(doc, path)?),
        c::ENDINGS => put(&mut space.endings, id, read(doc, path)?),
        c::DEVICES => put(&mut space.devices, id, read(doc, path)?),
        // Single records of a space, not collections: the path names one of their fields.
        keys::SEAL => space.seal = read(doc, &path[..3])?,
        keys::MAILBOX => space.mailbox = read(doc, &path[..3])?,
        // A collection this version does not know: nothing of it is shown anyway.
        _ => {}
    }
    Some(())
}
