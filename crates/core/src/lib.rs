//! trellis-core: the couple's signed document.
//!
//! The document schema, the typed actions that each become one signed change, the trust
//! boundary that verifies every incoming change before it is applied, the framed format that
//! bundles and the network share, and the views every screen and command derive from.
//! Pure: no I/O, no async, no network, no UI.

pub mod action;
pub mod bundle;
pub mod card;
mod contain;
pub mod couple;
pub mod devices;
pub mod error;
pub mod export;
pub mod frame;
pub mod id;
pub mod identity;
pub mod load;
mod perform;
pub mod recovery;
pub mod safety;
pub mod schema;
pub mod seal;
pub mod signature;
pub mod sync;
mod sync_receive;
pub mod time;
pub mod verify;
pub mod view;
pub mod words;

pub use action::{
    Action, AgreementDraft, CheckInDraft, MAX_THANKS_CHARS, MAX_TIMEOUT_MINUTES, RevisionDraft,
};
pub use automerge::{Change, ChangeHash};
pub use bundle::{Bundle, BundleError};
pub use card::{Card, VerifiedCard};
pub use couple::{Committed, Couple, Joined, Loaded};
pub use error::{CoreError, Rejection};
pub use frame::{Frame, FrameError};
pub use identity::{Identity, PartnerKey};
pub use load::SetAside;
pub use safety::safety_number;
pub use seal::{SealError, SealKey, SealPublic};
pub use signature::{ChangeSignature, DocId, SignedChange};
pub use sync::{Outgoing, SyncSession};
pub use time::Moment;
pub use verify::{Verified, Waiting};
pub use view::{View, Who};
