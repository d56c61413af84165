//! `vault.json`: how the profile key is kept, and the journal key sealed by it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::LockKind;
use super::passphrase::Kdf;
use crate::atomic::write_private;
use crate::error::StoreError;

const FORMAT: &str = "trellis-vault-v1";
/// The vault file is a few hundred bytes; anything far larger is not one.
const MAX_LEN: u64 = 64 * 1024;

pub(super) const PROFILE_KEY_PLACE: &[u8] = b"vault.json/profile_key";
pub(super) const JOURNAL_KEY_PLACE: &[u8] = b"vault.json/journal_key";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "lock", rename_all = "snake_case")]
pub(super) enum Wrapped {
    /// The profile key sealed by the passphrase's key.
    Passphrase { kdf: Kdf, key: String },
    /// The profile key as it is.
    NoLock { key: String },
    /// The profile key in the operating system's keychain, under this entry name.
    Keychain { entry: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct VaultFile {
    format: String,
    #[serde(flatten)]
    pub wrapped: Wrapped,
    /// The journal key sealed by the profile key.
    pub journal_key: String,
}

impl VaultFile {
    pub(super) fn new(wrapped: Wrapped, journal_key: String) -> Self {
        Self {
            format: FORMAT.into(),
            wrapped,
            journal_key,
        }
    }

    pub(super) fn kind(&self) -> LockKind {
        match self.wrapped {
            Wrapped::Passphrase { .. } => LockKind::Passphrase,
            Wrapped::NoLock { .. } => LockKind::NoLock,
            Wrapped::Keychain { .. } => LockKind::Keychain,
        }
    }

    pub(super) fn read(path: &Path) -> Result<Self, StoreError> {
        let len = std::fs::metadata(path)
            .map_err(|e| StoreError::read(path, e))?
            .len();
        if len > MAX_LEN {
            return Err(StoreError::corrupt(
                path,
                "it is far too large to be a vault",
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| StoreError::read(path, e))?;
        let file: Self = serde_json::from_str(&text).map_err(|e| StoreError::corrupt(path, e))?;
        if file.format != FORMAT {
            return Err(StoreError::corrupt(
                path,
                format!(
                    "it is in a format this Trellis does not know ({})",
                    file.format
                ),
            ));
        }
        Ok(file)
    }

    /// The same file with the profile key written in it as it is (for a backup, which is
    /// sealed with its own passphrase and goes to computers whose keychain is not this one).
    pub(super) fn with_key_in_it(&self, key: &[u8; 32]) -> Self {
        Self::new(
            Wrapped::NoLock {
                key: hex::encode(key),
            },
            self.journal_key.clone(),
        )
    }

    pub(super) fn write(&self, path: &Path) -> Result<(), StoreError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| StoreError::write(path, e))?;
        write_private(path, text.as_bytes()).map_err(|e| StoreError::write(path, e))
    }
}
