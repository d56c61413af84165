//! Store errors. Each names the file involved and says what to do; none loses data.

use std::path::PathBuf;

use thiserror::Error;
use trellis_core::CoreError;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("no Trellis profile at {0}")]
    NotInitialized(PathBuf),
    #[error("a Trellis profile already exists at {0}")]
    AlreadyInitialized(PathBuf),
    #[error(
        "Trellis is already running on this profile ({0}) in another window or process; use that one, or close it first"
    )]
    Busy(PathBuf),
    #[error(
        "Trellis is running on this profile ({0}), so this command can only read; make the change in the app, or stop it first"
    )]
    ReadOnly(PathBuf),
    #[error(
        "{path} could not be read: {detail}. Nothing was changed or overwritten. Restore this file from a backup, or move it aside to start a new profile"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "could not save to {path}: {detail}. Nothing was saved and nothing already saved was lost; free some disk space or check permissions, then try again"
    )]
    Write { path: PathBuf, detail: String },
    #[error("could not read {path}: {detail}")]
    Read { path: PathBuf, detail: String },
    #[error(
        "this profile is not part of a couple yet: invite your partner, or join with the invite code from their device"
    )]
    NoCouple,
    #[error("this profile is already part of a couple with {0}")]
    AlreadyPaired(String),
    #[error(
        "{0}'s sealing key is not known on this device yet, so nothing can be sealed for them; it arrives with the first sync over the network, or with their card"
    )]
    PartnerSealUnknown(String),
    #[error("the store lacks the signature of change {0}")]
    MissingSignature(String),
    #[error("this profile ({0}) is locked with a passphrase, and none was given")]
    Locked(PathBuf),
    #[error(
        "that passphrase does not open this profile ({0}); nothing was changed. Check Caps Lock and the keyboard layout, and try again"
    )]
    WrongPassphrase(PathBuf),
    #[error("{0}")]
    WeakPassphrase(String),
    #[error("{0}")]
    Keychain(String),
    #[error("that passphrase does not open the backup {0}; nothing was written. Try again")]
    WrongBackupPassphrase(PathBuf),
    #[error(
        "{0} already holds a Trellis profile; restore into an empty folder, or move that profile aside first"
    )]
    RestoreOverProfile(PathBuf),
    #[error(
        "{0} was written by an older Trellis and is not sealed yet; open the profile with Trellis to seal it"
    )]
    NotSealed(PathBuf),
    #[error(
        "this computer could not give Trellis the randomness it needs ({0}); nothing was saved"
    )]
    Random(String),
    #[error(transparent)]
    Core(#[from] CoreError),
}

impl StoreError {
    pub(crate) fn corrupt(path: &std::path::Path, detail: impl ToString) -> Self {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: detail.to_string(),
        }
    }

    pub(crate) fn write(path: &std::path::Path, detail: impl ToString) -> Self {
        StoreError::Write {
            path: path.to_path_buf(),
            detail: detail.to_string(),
        }
    }

    pub(crate) fn read(path: &std::path::Path, detail: impl ToString) -> Self {
        StoreError::Read {
            path: path.to_path_buf(),
            detail: detail.to_string(),
        }
    }
}
