//! What a command answers: a typed outcome when it worked, the typed error when it did not.
//!
//! Each outcome also says itself in plain words (`Display`); a caller with words of its own
//! (a flag on the command line, a button in the window) matches on the variant instead.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::error::NetError;
use crate::mode::NetworkMode;

/// What a command did, when it worked.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// A user action was signed and stored; `record` is the record it made or touched, and
    /// `message` the core's sentence about it.
    Acted {
        record: String,
        message: String,
    },
    CoupleStarted {
        partner: String,
    },
    BackedUp {
        path: PathBuf,
    },
    BundleWritten {
        path: PathBuf,
        changes: usize,
    },
    MarkdownWritten {
        path: PathBuf,
    },
    /// An invite is open: the code to give the partner, valid until `expires_at` (ms).
    InviteOpened {
        code: String,
        expires_at: i64,
    },
    InviteCancelled,
    Paired {
        partner: String,
        safety_number: String,
    },
    SafetyConfirmed,
    /// Saved for the next start of Trellis.
    NetworkSet {
        mode: NetworkMode,
    },
    /// The node is dialing the partner's device now.
    Dialing,
    /// The couple uses this mailbox (its short id) from now on.
    MailboxAdded {
        mailbox: String,
    },
    /// The couple stopped using its mailbox; `unreachable` says why what waits there could
    /// not be removed (it expires there on its own).
    MailboxRemoved {
        unreachable: Option<String>,
    },
    CarrierFolderSet {
        folder: Option<PathBuf>,
    },
    SpaceEnded {
        record: String,
    },
    Refreshed,
}

impl Outcome {
    /// The record an action made or touched, if this outcome is one.
    pub fn record(&self) -> Option<&str> {
        match self {
            Outcome::Acted { record, .. } | Outcome::SpaceEnded { record } => Some(record),
            _ => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Acted { message, .. } => f.write_str(message),
            Outcome::CoupleStarted { partner } => {
                write!(f, "Started your shared space with {partner}")
            }
            Outcome::BackedUp { path } => write!(
                f,
                "Backed up everything (keys, shared space, journal) to {}",
                path.display()
            ),
            Outcome::BundleWritten { path, changes } => {
                write!(f, "Wrote {changes} change(s) to {}", path.display())
            }
            Outcome::MarkdownWritten { path } => write!(f, "Wrote {}", path.display()),
            Outcome::InviteOpened { code, .. } => write!(f, "Your invite code: {code}"),
            Outcome::InviteCancelled => f.write_str("The invite is closed"),
            Outcome::Paired {
                partner,
                safety_number,
            } => write!(
                f,
                "Paired with {partner}. Compare the safety number together: {safety_number}"
            ),
            Outcome::SafetyConfirmed => {
                f.write_str("Marked the safety number as compared together")
            }
            Outcome::NetworkSet { mode } => write!(
                f,
                "Network set to {}; it takes effect when Trellis starts next",
                mode.label()
            ),
            Outcome::Dialing => f.write_str("Trying to reach your partner's device now"),
            Outcome::MailboxAdded { mailbox } => write!(
                f,
                "Added the mailbox {mailbox}. Your partner's device learns of it with your next sync; envelopes left there are sealed, and the mailbox cannot read them."
            ),
            Outcome::MailboxRemoved { unreachable: None } => f.write_str(
                "Stopped using the mailbox; what waited there for either of you was removed.",
            ),
            Outcome::MailboxRemoved {
                unreachable: Some(why),
            } => write!(
                f,
                "Stopped using the mailbox. It could not be reached to remove what waits there ({why}); it expires there on its own."
            ),
            Outcome::CarrierFolderSet { folder: Some(f2) } => write!(
                f,
                "Sealed files for your partner go through {} from now on",
                f2.display()
            ),
            Outcome::CarrierFolderSet { folder: None } => {
                f.write_str("No carrier folder from now on")
            }
            Outcome::SpaceEnded { .. } => f.write_str(
                "You ended the shared space. Both copies stay readable; nothing syncs any more.",
            ),
            Outcome::Refreshed => f.write_str("Refreshed"),
        }
    }
}

/// Why a command failed: the node's typed error, shared by every reader of the event.
#[derive(Debug, Clone)]
pub struct Failure(Arc<NetError>);

impl Failure {
    /// The error itself, for a caller that says it in its own words.
    pub fn error(&self) -> &NetError {
        &self.0
    }
}

impl From<NetError> for Failure {
    fn from(e: NetError) -> Self {
        Failure(Arc::new(e))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Failure {
    // The error's own cause, so a chain printed whole does not say the error twice; the
    // error itself is `error()`.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Two failures are the same when they say the same (errors themselves do not compare).
impl PartialEq for Failure {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

impl Serialize for Failure {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}
