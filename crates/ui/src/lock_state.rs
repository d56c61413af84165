//! The window's lock as state: a new passphrase being chosen, an open session's lock, and
//! the waits between wrong tries. The lock screens (`screens::lock`) draw and drive it.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use trellis_store::vault::passphrase_problem;
use trellis_store::{LockChoice, StoreError, Vault};
use zeroize::Zeroizing;

use crate::error::capital;

/// A new passphrase being typed (first run, or Settings), twice.
#[derive(Debug, Default)]
pub(crate) struct NewLock {
    pub passphrase: String,
    pub again: String,
    /// At first run: the keychain instead of a passphrase.
    pub keychain: bool,
}

impl NewLock {
    /// What the two fields ask for; `Err` with the sentence that says what is still wrong.
    /// Both empty means no lock, when `optional`.
    pub(crate) fn choice(&self, optional: bool) -> Result<LockChoice, String> {
        if optional && self.passphrase.is_empty() && self.again.is_empty() {
            return Ok(LockChoice::NoLock);
        }
        if let Some(problem) = passphrase_problem(&self.passphrase) {
            return Err(capital(&problem));
        }
        if self.passphrase != self.again {
            return Err("The two passphrases are not the same yet.".into());
        }
        Ok(LockChoice::Passphrase(Zeroizing::new(
            self.passphrase.clone(),
        )))
    }

    pub(crate) fn clear(&mut self) {
        *self = NewLock::default();
    }
}

/// How long the window waits after `tries` wrong passphrases in a row: growing, so
/// guessing at the keyboard is slow too.
pub(crate) fn wait_after(tries: u32) -> Duration {
    Duration::from_secs(u64::from(tries.saturating_sub(1)).pow(2).min(30))
}

/// An open session's lock: locked or not, and the unlock or change in flight.
#[derive(Debug)]
pub(crate) struct SessionLock {
    pub(crate) locked: bool,
    pub(crate) passphrase: String,
    pub(crate) problem: Option<String>,
    pub(crate) tries: u32,
    pub(crate) wait_until: Option<Instant>,
    pub(crate) checking: Option<mpsc::Receiver<Result<Vault, StoreError>>>,
    pub(crate) last_touch: Instant,
    /// Settings: a new passphrase being typed, and a change of lock in flight.
    pub(crate) new_lock: NewLock,
    pub(crate) changing: Option<mpsc::Receiver<Result<Vault, StoreError>>>,
    pub(crate) change_problem: Option<String>,
    pub(crate) confirm_remove: bool,
    /// Why this computer offers no keychain (`None`: it does).
    pub(crate) keychain: Option<String>,
}

impl Default for SessionLock {
    fn default() -> Self {
        Self {
            locked: false,
            passphrase: String::new(),
            problem: None,
            tries: 0,
            wait_until: None,
            checking: None,
            last_touch: Instant::now(),
            new_lock: NewLock::default(),
            changing: None,
            change_problem: None,
            confirm_remove: false,
            keychain: trellis_store::vault::keychain::unavailable(),
        }
    }
}

impl SessionLock {
    pub(crate) fn lock_now(&mut self) {
        self.locked = true;
        self.passphrase.clear();
        self.problem = None;
    }
}
