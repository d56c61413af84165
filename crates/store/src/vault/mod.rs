//! The profile's keys at rest: what seals every file Trellis writes, and what unlocks it.
//!
//! Two random keys: the *profile key* seals the couple's store, the key files and the
//! window's drafts; the *journal key* seals the private journal and triggers. `vault.json`
//! holds the journal key sealed by the profile key, and the profile key in one of two ways:
//!
//! * **passphrase** — sealed by a key argon2id makes from a passphrase only the person knows;
//! * **keychain** — in the operating system's keychain, which opens with the person's login;
//! * **no lock** — as it is, for a computer only its owner uses. The files are still sealed
//!   (nothing in them reads as words), but anyone who can read the folder can open them, and
//!   Trellis says so wherever it shows how the profile is kept.
//!
//! There is no other way back: a forgotten passphrase cannot be recovered by anyone.

mod cipher;
mod file;
pub mod keychain;
pub(crate) mod migrate;
mod passphrase;
pub(crate) mod sealed_file;

use std::time::Duration;

use zeroize::Zeroizing;

pub use cipher::Sealer;
pub(crate) use cipher::{file_place, place};
pub use passphrase::{MIN_PASSPHRASE_CHARS, passphrase_problem};

use crate::error::StoreError;
use crate::paths::ProfilePaths;
use file::{VaultFile, Wrapped};
use passphrase::Kdf;

/// How long a wrong passphrase holds the answer back, so guessing costs time as well as
/// argon2's memory.
const WRONG_PASSPHRASE_PAUSE: Duration = Duration::from_secs(1);

/// How a profile's key is kept on this computer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockKind {
    /// The key is sealed by the person's passphrase.
    Passphrase,
    /// The key sits beside the files: sealed files, but no lock.
    NoLock,
    /// The key is in the operating system's keychain, opened by the person's login.
    Keychain,
}

impl LockKind {
    /// For status lines: how the profile is kept, honestly.
    pub fn describe(self) -> &'static str {
        match self {
            LockKind::Passphrase => "encrypted; opened with your passphrase",
            LockKind::Keychain => {
                "encrypted; opened by this computer's keychain when you log in (anyone using \
                 your logged-in account can open it too)"
            }
            LockKind::NoLock => {
                "encrypted, but not locked: anyone who can use this computer account can open it \
                 (set a passphrase to lock it)"
            }
        }
    }
}

/// What the person chose to lock the profile with.
#[derive(Clone)]
pub enum LockChoice {
    Passphrase(Zeroizing<String>),
    Keychain,
    NoLock,
}

impl std::fmt::Debug for LockChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LockChoice::Passphrase(_) => "Passphrase(…)",
            LockChoice::Keychain => "Keychain",
            LockChoice::NoLock => "NoLock",
        })
    }
}

/// The unlocked keys of one profile. Cloning shares them; they are wiped when the last
/// clone is dropped.
#[derive(Debug, Clone)]
pub struct Vault {
    profile: Sealer,
    journal: Sealer,
    kind: LockKind,
}

impl Vault {
    /// New keys, kept as `choice` says, written to `vault.json`. Refuses to replace one.
    pub(crate) fn create(paths: &ProfilePaths, choice: &LockChoice) -> Result<Self, StoreError> {
        let path = paths.vault();
        if path.exists() {
            return Err(StoreError::AlreadyInitialized(paths.dir.clone()));
        }
        let vault = Self {
            profile: Sealer::generate()?,
            journal: Sealer::generate()?,
            kind: LockKind::NoLock,
        };
        vault.relocked(paths, choice)
    }

    /// The same keys, kept as `choice` says from now on (`vault.json` replaced atomically).
    pub fn relocked(&self, paths: &ProfilePaths, choice: &LockChoice) -> Result<Self, StoreError> {
        let journal = self
            .profile
            .seal(file::JOURNAL_KEY_PLACE, self.journal.key_bytes())?;
        let before = VaultFile::read(&paths.vault()).ok();
        let (kind, wrapped) = match choice {
            LockChoice::Keychain => {
                let mut name = [0u8; 16];
                getrandom::fill(&mut name).map_err(|e| StoreError::Random(e.to_string()))?;
                let entry = format!("profile-{}", hex::encode(name));
                keychain::store(&entry, self.profile.key_bytes())?;
                (LockKind::Keychain, Wrapped::Keychain { entry })
            }
            LockChoice::NoLock => (
                LockKind::NoLock,
                Wrapped::NoLock {
                    key: hex::encode(self.profile.key_bytes()),
                },
            ),
            LockChoice::Passphrase(words) => {
                if let Some(problem) = passphrase_problem(words) {
                    return Err(StoreError::WeakPassphrase(problem));
                }
                let kdf = Kdf::new()?;
                let kek = kdf
                    .derive(words)
                    .ok_or_else(|| StoreError::Random("argon2 refused its own settings".into()))?;
                let sealed = Sealer::from_key(kek)
                    .seal(file::PROFILE_KEY_PLACE, self.profile.key_bytes())?;
                (
                    LockKind::Passphrase,
                    Wrapped::Passphrase {
                        kdf,
                        key: hex::encode(sealed),
                    },
                )
            }
        };
        VaultFile::new(wrapped, hex::encode(journal)).write(&paths.vault())?;
        // The keychain entry the profile used before is no longer needed.
        if let Some(Wrapped::Keychain { entry }) = before.map(|b| b.wrapped) {
            keychain::forget(&entry);
        }
        Ok(Self {
            profile: self.profile.clone(),
            journal: self.journal.clone(),
            kind,
        })
    }

    /// How the profile at `paths` is kept, or `None` for a profile written before sealing.
    pub fn lock_kind(paths: &ProfilePaths) -> Result<Option<LockKind>, StoreError> {
        let path = paths.vault();
        if !path.exists() {
            return Ok(None);
        }
        Ok(Some(VaultFile::read(&path)?.kind()))
    }

    /// Opens the keys. A passphrase profile needs `passphrase`; a wrong one is refused after
    /// a pause, with nothing touched.
    pub fn unlock(paths: &ProfilePaths, passphrase: Option<&str>) -> Result<Self, StoreError> {
        let path = paths.vault();
        let stored = VaultFile::read(&path)?;
        let damaged = |what: &str| StoreError::corrupt(&path, what);
        let (profile, kind) = match &stored.wrapped {
            Wrapped::NoLock { key } => {
                let bytes = Zeroizing::new(
                    hex::decode(key).map_err(|_| damaged("its key is not valid hex"))?,
                );
                let key: [u8; 32] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| damaged("its key has the wrong length"))?;
                (Sealer::from_key(Zeroizing::new(key)), LockKind::NoLock)
            }
            Wrapped::Keychain { entry } => {
                (Sealer::from_key(keychain::load(entry)?), LockKind::Keychain)
            }
            Wrapped::Passphrase { kdf, key } => {
                let Some(words) = passphrase else {
                    return Err(StoreError::Locked(paths.dir.clone()));
                };
                let sealed = hex::decode(key).map_err(|_| damaged("its key is not valid hex"))?;
                let kek = kdf
                    .derive(words)
                    .ok_or_else(|| damaged("its passphrase settings are not valid"))?;
                let Some(plain) = Sealer::from_key(kek).open(file::PROFILE_KEY_PLACE, &sealed)
                else {
                    std::thread::sleep(WRONG_PASSPHRASE_PAUSE);
                    return Err(StoreError::WrongPassphrase(paths.dir.clone()));
                };
                let key: [u8; 32] = plain
                    .as_slice()
                    .try_into()
                    .map_err(|_| damaged("its key has the wrong length"))?;
                (Sealer::from_key(Zeroizing::new(key)), LockKind::Passphrase)
            }
        };
        let journal = hex::decode(&stored.journal_key)
            .ok()
            .and_then(|sealed| profile.open(file::JOURNAL_KEY_PLACE, &sealed))
            .ok_or_else(|| damaged("its journal key does not open with its profile key"))?;
        let journal: [u8; 32] = journal
            .as_slice()
            .try_into()
            .map_err(|_| damaged("its journal key has the wrong length"))?;
        Ok(Self {
            profile,
            journal: Sealer::from_key(Zeroizing::new(journal)),
            kind,
        })
    }

    pub fn kind(&self) -> LockKind {
        self.kind
    }

    /// Seals the couple's store, the key files and the window's drafts.
    pub fn profile_sealer(&self) -> &Sealer {
        &self.profile
    }

    /// Seals the private journal and triggers.
    pub fn journal_sealer(&self) -> &Sealer {
        &self.journal
    }

    /// Replaces a small file of the profile with `bytes`, sealed (see `sealed_file`).
    pub fn write_file(&self, path: &std::path::Path, bytes: &[u8]) -> Result<(), StoreError> {
        sealed_file::write(path, &self.profile, bytes)
    }

    /// A small file of the profile, opened; `None` when it does not exist.
    pub fn read_file(
        &self,
        path: &std::path::Path,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        sealed_file::read(path, &self.profile)
    }

    /// `vault.json` as a backup should hold it: as it is, or — for a profile the keychain
    /// opens, since a backup goes to computers whose keychain is not this one — with the
    /// profile key in it (the backup is sealed with its own passphrase).
    pub(crate) fn for_backup(&self, paths: &ProfilePaths) -> Result<Vec<u8>, StoreError> {
        let path = paths.vault();
        let stored = VaultFile::read(&path)?;
        let file = match stored.wrapped {
            Wrapped::Keychain { .. } => stored.with_key_in_it(self.profile.key_bytes()),
            _ => stored,
        };
        serde_json::to_vec_pretty(&file).map_err(|e| StoreError::write(&path, e))
    }

    /// Forgets the keychain entry of the profile at `paths`, if it has one (when the profile
    /// is wiped).
    pub(crate) fn forget_keychain(paths: &ProfilePaths) {
        if let Ok(VaultFile {
            wrapped: Wrapped::Keychain { entry },
            ..
        }) = VaultFile::read(&paths.vault())
        {
            keychain::forget(&entry);
        }
    }

    /// True when `other` holds the same keys (a second unlock of the same profile).
    pub fn same_keys(&self, other: &Vault) -> bool {
        self.profile.key_bytes() == other.profile.key_bytes()
    }
}
