//! What every command needs: where the profile is, how to print, and what time it is.

use std::cell::OnceCell;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use serde::Serialize;
use trellis_core::Moment;
use trellis_store::{LockKind, Profile, ProfilePaths, StoreError, Vault, default_profile_dir};

use crate::passphrase;

pub struct Context {
    pub profile_dir: PathBuf,
    pub json: bool,
    /// A network mode for this run only.
    pub network: Option<trellis_net::NetworkMode>,
    /// Where the profile's passphrase is written, for scripts.
    pub passphrase_file: Option<PathBuf>,
    /// The profile's keys, once unlocked in this run.
    vault: OnceCell<Vault>,
}

impl Context {
    pub fn new(
        profile: Option<PathBuf>,
        json: bool,
        network: Option<trellis_net::NetworkMode>,
        passphrase_file: Option<PathBuf>,
    ) -> Result<Self> {
        let profile_dir = match profile {
            Some(dir) => dir,
            None => default_profile_dir()
                .context("cannot find a home for the profile; pass --profile DIR")?,
        };
        Ok(Self {
            profile_dir,
            json,
            network,
            passphrase_file,
            vault: OnceCell::new(),
        })
    }

    /// The passphrase from --passphrase-file, if one was given.
    pub fn passphrase_from_file(&self) -> Result<Option<zeroize::Zeroizing<String>>> {
        self.passphrase_file
            .as_deref()
            .map(passphrase::from_file)
            .transpose()
    }

    /// The profile's keys: no passphrase needed, the one in --passphrase-file, or one typed
    /// at the terminal (three tries). A profile an older Trellis wrote in the clear is
    /// sealed on the way, locked with the passphrase file's passphrase when one is given.
    pub fn vault(&self) -> Result<Vault> {
        if let Some(vault) = self.vault.get() {
            return Ok(vault.clone());
        }
        let paths = ProfilePaths::new(&self.profile_dir);
        let from_file = self.passphrase_from_file()?;
        let vault = match (Vault::lock_kind(&paths)?, from_file) {
            (_, Some(words)) => Profile::unlock(&self.profile_dir, Some(&words))?,
            (Some(LockKind::Passphrase), None) => self.ask_until_unlocked()?,
            (_, None) => Profile::unlock(&self.profile_dir, None)?,
        };
        Ok(self.vault.get_or_init(|| vault).clone())
    }

    /// Keys just made for a new profile, so they are not asked for again.
    pub fn remember_vault(&self, vault: Vault) {
        let _ = self.vault.set(vault);
    }

    fn ask_until_unlocked(&self) -> Result<Vault> {
        let locked = || StoreError::Locked(self.profile_dir.clone());
        let mut last = None;
        for _ in 0..3 {
            let Some(words) = passphrase::ask("Passphrase for this Trellis profile: ")? else {
                return Err(locked().into());
            };
            match Profile::unlock(&self.profile_dir, Some(&words)) {
                Err(e @ StoreError::WrongPassphrase(_)) => {
                    eprintln!("{e}");
                    last = Some(e);
                }
                other => return Ok(other?),
            }
        }
        Err(last.unwrap_or_else(locked).into())
    }

    /// Opens the profile to change it.
    pub fn open(&self) -> Result<Profile> {
        let vault = self.vault()?;
        Ok(told_of_set_aside(Profile::open_unlocked(
            &self.profile_dir,
            &vault,
        )?))
    }

    /// Opens the profile to read it, even while the app or `trellis serve` runs on it.
    pub fn read(&self) -> Result<Profile> {
        let vault = self.vault()?;
        Ok(told_of_set_aside(Profile::open_for_reading_unlocked(
            &self.profile_dir,
            &vault,
        )?))
    }

    /// Prints `value` as JSON with --json, otherwise the human text.
    pub fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) -> Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            let text = human();
            if !text.is_empty() {
                println!("{}", text.trim_end());
            }
        }
        Ok(())
    }
}

/// Says so, once, when opening set aside stored changes that would not apply.
fn told_of_set_aside(profile: Profile) -> Profile {
    let n = profile.set_aside_at_open().len();
    if n > 0 {
        eprintln!(
            "note: {} in {} would not apply, so {} set aside (kept in the file, not shown); \
             everything else is here. `trellis verify` lists {}.",
            trellis_core::words::count(n, "stored change", "stored changes"),
            profile.paths().document_db().display(),
            if n == 1 { "it was" } else { "they were" },
            if n == 1 { "it" } else { "them" },
        );
    }
    profile
}

/// Now, on this device's clock and in its time zone.
pub fn now() -> Moment {
    trellis_store::LocalZone::now()
}
