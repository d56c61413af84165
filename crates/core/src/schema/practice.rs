//! Check-ins, repairs, commitments, appreciations and time-outs: records a partner owns.

use autosurgeon::{Hydrate, Reconcile};

use super::{Cadence, Need, Outcome, ResponseMode};

/// A short, honest check-in.
#[derive(Debug, Clone, Default, PartialEq, Reconcile)]
pub struct CheckIn {
    /// The author's local date (ISO).
    pub date: String,
    pub at: i64,
    /// "I feel …"
    pub feel: String,
    /// "… when …"
    pub when: Option<String>,
    pub went_well: Option<String>,
    pub was_hard: Option<String>,
    pub need: Need,
    pub response: ResponseMode,
    /// Optional 1–10 scales.
    pub safety: Option<u8>,
    pub trust: Option<u8>,
    pub connection: Option<u8>,
}

impl Hydrate for CheckIn {
    // The most numerous record (two a day): read in one pass, not a seek per field.
    fn hydrate_map<D: autosurgeon::ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
    ) -> Result<Self, autosurgeon::HydrateError> {
        let f = super::fields::Fields::read(doc, obj);
        Ok(Self {
            date: f.get(doc, obj, "date")?,
            at: f.get(doc, obj, "at")?,
            feel: f.get(doc, obj, "feel")?,
            when: f.get_opt(doc, obj, "when")?,
            went_well: f.get_opt(doc, obj, "went_well")?,
            was_hard: f.get_opt(doc, obj, "was_hard")?,
            need: f.get(doc, obj, "need")?,
            response: f.get(doc, obj, "response")?,
            safety: f.get_opt(doc, obj, "safety")?,
            trust: f.get_opt(doc, obj, "trust")?,
            connection: f.get_opt(doc, obj, "connection")?,
        })
    }
}

/// An answer to the partner's check-in ("I hear you").
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Reply {
    pub checkin: String,
    pub text: String,
    pub at: i64,
}

/// A repair, opened by the partner who was hurt, in their own words.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Repair {
    pub what_happened: String,
    pub how_it_landed: String,
    pub date: String,
    pub at: i64,
}

/// The other partner's acknowledgement of a repair, in their own words.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct RepairResponse {
    pub acknowledgement: String,
    pub regret: String,
    pub at: i64,
}

/// A concrete step its owner commits to.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Commitment {
    pub repair: String,
    pub wording: String,
    pub cadence: Option<Cadence>,
    /// A due date (ISO), for a one-off step.
    pub due: Option<String>,
    pub at: i64,
}

/// The owner's own follow-through note on a commitment.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Report {
    pub commitment: String,
    pub date: String,
    pub outcome: Outcome,
    pub note: Option<String>,
    pub at: i64,
}

/// The partner's acknowledgement of follow-through they saw.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct ReportAck {
    pub note: Option<String>,
    pub at: i64,
}

/// One partner's agreement that a repair is complete.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Closure {
    pub note: Option<String>,
    pub at: i64,
}

/// A small appreciation.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Appreciation {
    pub text: String,
    pub date: String,
    pub at: i64,
}

/// My answer to an appreciation my partner addressed to me: a small "thank you" mark,
/// with a word or not. Kept in my own space under the appreciation's id (one answer each);
/// the ownership rules let only me write it, only for an appreciation of my partner's, and
/// only so long (see `verify::rules`).
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Thanks {
    pub text: Option<String>,
    pub at: i64,
}

/// A pre-agreed pause that carries its own return time.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct TimeOut {
    pub at: i64,
    pub back_at: i64,
    pub note: Option<String>,
    /// Set when its owner says they are back before (or after) `back_at`.
    pub ended_at: Option<i64>,
    /// The author's UTC offset (minutes east) at `back_at` as their device reckoned it when
    /// they started (the offset at the start where the device knew no zone rules), so the
    /// partner, maybe hours away, can be told the return time on the author's clock too.
    /// Pauses written before it was recorded carry none; a value that is not a small integer
    /// reads as none.
    #[autosurgeon(hydrate = "lenient_offset")]
    pub offset_minutes: Option<i32>,
}

/// Reads an optional offset without ever failing: it is a courtesy to the reader, so a
/// missing, mistyped or out-of-range value (the partner can write anything in their own
/// space) must not make the whole pause unreadable — it is simply not known.
fn lenient_offset<D: autosurgeon::ReadDoc>(
    doc: &D,
    obj: &automerge::ObjId,
    prop: autosurgeon::Prop<'_>,
) -> Result<Option<i32>, autosurgeon::HydrateError> {
    use automerge::{ScalarValue, Value};
    let value = match doc.get(obj, &prop) {
        Ok(Some((Value::Scalar(v), _))) => v,
        _ => return Ok(None),
    };
    Ok(match value.as_ref() {
        ScalarValue::Int(i) => i32::try_from(*i).ok(),
        ScalarValue::Uint(u) => i32::try_from(*u).ok(),
        _ => None,
    })
}

/// One partner ended the shared space: sync stops and both copies are kept read-only.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Ending {
    pub note: Option<String>,
    pub at: i64,
}
