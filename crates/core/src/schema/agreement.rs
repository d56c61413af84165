//! Agreements: shared, immutable revisions plus each partner's own consent.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};

use super::{Category, Records};

/// An agreement. Its header and every revision are written once and never changed;
/// it evolves by new revisions, and each partner's yes lives in their own space.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Agreement {
    pub title: String,
    pub category: Category,
    pub author: String,
    pub at: i64,
    pub revisions: Records<Revision>,
}

/// One wording of an agreement.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Revision {
    /// The revisions this one replaces (none for the first; two or more when it settles a
    /// conflict). A map of id → true because the document holds no lists.
    pub parents: BTreeMap<String, bool>,
    pub wording: String,
    /// What we do if the agreement is crossed.
    pub if_crossed: Option<String>,
    /// When we look at it again together (ISO date).
    pub review_on: Option<String>,
    pub author: String,
    pub at: i64,
}

/// A partner's yes to one revision of an agreement.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Consent {
    pub revision: String,
    pub at: i64,
    /// The wording in force when this partner proposed `revision`: their yes to it still
    /// stands until both said yes to the new one, so proposing a change never suspends an
    /// agreement. Consents written before this was recorded carry none; anything but a
    /// revision id reads as none.
    #[autosurgeon(hydrate = "lenient_id")]
    pub standing: Option<String>,
}

/// Reads an optional id without ever failing: the partner can write anything in their own
/// space, and a bad value must not make their whole consent unreadable.
fn lenient_id<D: autosurgeon::ReadDoc>(
    doc: &D,
    obj: &automerge::ObjId,
    prop: autosurgeon::Prop<'_>,
) -> Result<Option<String>, autosurgeon::HydrateError> {
    use automerge::{ScalarValue, Value};
    Ok(match doc.get(obj, &prop) {
        Ok(Some((Value::Scalar(v), _))) => match v.as_ref() {
            ScalarValue::Str(s) if s.len() <= 64 => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    })
}

/// A partner's wish to retire an agreement; it is retired when both have said so.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Retirement {
    pub note: Option<String>,
    pub at: i64,
}
