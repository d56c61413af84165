//! Errors of the core. Messages are written for the person at the keyboard.

use thiserror::Error;

use crate::frame::FrameError;

#[derive(Debug, Error)]
pub enum CoreError {
    #[error("the system's random number source failed: {0}")]
    Randomness(String),
    #[error("not a valid identity key: {0}")]
    BadKey(String),
    #[error("the key {0} is a weak (small-order) key and cannot be used")]
    WeakKey(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("this card cannot be used: {0}")]
    BadCard(String),
    #[error("{0}")]
    Invalid(String),
    #[error("no {what} has an id starting with “{id}”")]
    UnknownId { what: &'static str, id: String },
    #[error("more than one {what} has an id starting with “{id}”; type more of the id")]
    AmbiguousId { what: &'static str, id: String },
    #[error("{0}")]
    NotAllowed(String),
    #[error("there is no couple yet: no shared space was started or joined on this copy")]
    NoCouple,
    /// An agreement has versions written at the same time, and this step needs one wording:
    /// the partners settle it first (`revising`: the step was a revision that named none).
    #[error(
        "“{title}” has {versions} versions that need a conversation; settle on one wording together first"
    )]
    Unsettled {
        title: String,
        versions: usize,
        revising: bool,
    },
    #[error("incoming changes were refused, nothing was applied: {0}")]
    Rejected(#[from] Rejection),
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    #[error(transparent)]
    Seal(#[from] crate::seal::SealError),
    #[error("the document could not be read: {0}")]
    Hydrate(String),
    #[error("the change could not be written: {0}")]
    Reconcile(String),
    #[error("the document engine failed: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// The engine failed (or panicked) half-way; what it touched must be read again.
    #[error("{0}")]
    Engine(String),
}

impl From<autosurgeon::HydrateError> for CoreError {
    fn from(e: autosurgeon::HydrateError) -> Self {
        CoreError::Hydrate(e.to_string())
    }
}

impl From<autosurgeon::ReconcileError> for CoreError {
    fn from(e: autosurgeon::ReconcileError) -> Self {
        CoreError::Reconcile(e.to_string())
    }
}

/// Why a set of incoming changes was refused. One bad change refuses them all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Rejection {
    #[error("item {index} is not a single well-formed change ({detail})")]
    Malformed { index: usize, detail: String },
    #[error("change {hash} is signed by {signer}, who is not one of the two partners")]
    UnknownSigner { hash: String, signer: String },
    #[error("change {hash} names a different author than the key that signed it")]
    AuthorMismatch { hash: String },
    #[error("change {hash} carries a signature that does not verify")]
    BadSignature { hash: String },
    #[error("change {hash} breaks the document's structure: {detail}")]
    Structure { hash: String, detail: String },
    #[error("change {hash} by {author} breaks the ownership rules: {detail}")]
    Ownership {
        hash: String,
        author: String,
        detail: String,
    },
    #[error("these changes belong to another couple's document")]
    OtherCouple,
    #[error("the couple's first change is not valid: {0}")]
    BadGenesis(String),
    /// Changes that continue a couple whose beginning this copy does not have: it needs the
    /// partner's whole document first.
    #[error(
        "these changes continue a couple this copy has not joined; it needs your partner's whole document (a full bundle) first"
    )]
    NotJoined,
    #[error("these changes do not name you as a partner")]
    NotForMe,
    #[error("{0}")]
    TooLarge(String),
}
