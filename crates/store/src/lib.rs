//! trellis-store: the profile directory.
//!
//! Keys (owner-only files), the couple's document in a redb store (signed changes, their
//! signatures, a snapshot, sync state, settings), and — in a separate file that nothing
//! syncing or exporting can reach — the private journal. Every file is sealed at rest (see
//! [`vault`]).

pub mod atomic;
pub mod backup;
mod bundle_file;
mod db;
pub mod error;
pub mod files;
mod guard;
pub mod journal;
mod keys;
pub mod paths;
pub mod profile;
mod quarantine;
pub mod vault;
pub mod zone;

pub use bundle_file::{read_bundle, read_bundle_file};
pub use db::DocumentDb;
pub use error::StoreError;
pub use journal::{Journal, JournalEntry, Trigger};
pub use paths::{PROFILE_ENV, ProfilePaths, default_profile_dir};
pub use profile::{
    CarrierReport, CoupleStatus, Deposit, DepositState, ImportReport, Profile, RECOVERING_NAME,
    SignedOutgoing, Status, VerifyReport, recovery_phrase,
};
pub use quarantine::Quarantined;
pub use vault::{LockChoice, LockKind, Vault};
pub use zone::LocalZone;
