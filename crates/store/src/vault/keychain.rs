//! The operating system's keychain as the profile key's lock: the Secret Service on Linux,
//! the Keychain on macOS, the Credential Manager on Windows. The key is kept there under a
//! random entry name that `vault.json` records; the keychain unlocks with the person's login.

use keyring::Entry;
use zeroize::Zeroizing;

use crate::error::StoreError;

/// The service name entries are kept under (what a keychain viewer shows).
const SERVICE: &str = "Trellis profile key";

/// Why this computer offers no keychain, or `None` when it does.
pub fn unavailable() -> Option<String> {
    Entry::store_status().as_ref().err().map(|e| e.to_string())
}

fn entry(name: &str) -> Result<Entry, StoreError> {
    Entry::new(SERVICE, name).map_err(|e| {
        StoreError::Keychain(format!(
            "this computer's keychain cannot be reached ({e}); choose a passphrase instead"
        ))
    })
}

pub(crate) fn store(name: &str, key: &[u8; 32]) -> Result<(), StoreError> {
    entry(name)?.set_secret(key).map_err(|e| {
        StoreError::Keychain(format!(
            "this computer's keychain would not keep the profile's key ({e}); nothing was \
             changed. Unlock the keychain (log in to the desktop) or choose a passphrase"
        ))
    })
}

pub(crate) fn load(name: &str) -> Result<Zeroizing<[u8; 32]>, StoreError> {
    let secret = Zeroizing::new(entry(name)?.get_secret().map_err(|e| {
        StoreError::Keychain(format!(
            "this computer's keychain did not give Trellis the profile's key ({e}). Log in \
             to the desktop session so the keychain unlocks, and try again; if the key is \
             gone from the keychain, restore the profile from a backup"
        ))
    })?);
    let key: [u8; 32] = secret.as_slice().try_into().map_err(|_| {
        StoreError::Keychain("the keychain holds something else under this profile's name".into())
    })?;
    Ok(Zeroizing::new(key))
}

/// Removes the entry; a keychain that cannot be reached leaves it (nothing else uses it).
pub(crate) fn forget(name: &str) {
    if let Ok(entry) = Entry::new(SERVICE, name) {
        let _ = entry.delete_credential();
    }
}
