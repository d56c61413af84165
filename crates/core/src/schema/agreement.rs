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
}

/// A partner's wish to retire an agreement; it is retired when both have said so.
#[derive(Debug, Clone, Default, PartialEq, Hydrate, Reconcile)]
pub struct Retirement {
    pub note: Option<String>,
    pub at: i64,
}
