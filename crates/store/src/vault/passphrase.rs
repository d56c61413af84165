//! A passphrase made into a key: argon2id, with its cost written beside the salt so a later
//! Trellis can raise it without locking anyone out.

use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::StoreError;

/// The fewest characters Trellis accepts: a person's own sentence, not a PIN.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// RFC 9106's second recommended setting, with one lane: 64 MiB and three passes, a few
/// tenths of a second on a laptop, costly to guess at scale.
const MEMORY_KIB: u32 = 64 * 1024;
const PASSES: u32 = 3;
const LANES: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Kdf {
    pub salt: String,
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
}

impl Kdf {
    pub(crate) fn new() -> Result<Self, StoreError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| StoreError::Random(e.to_string()))?;
        Ok(Self {
            salt: hex::encode(salt),
            memory_kib: MEMORY_KIB,
            passes: PASSES,
            lanes: LANES,
        })
    }

    /// The key this passphrase makes. `None` when the recorded settings are not ones argon2
    /// accepts (a damaged file).
    pub(crate) fn derive(&self, passphrase: &str) -> Option<Zeroizing<[u8; 32]>> {
        let salt = hex::decode(&self.salt).ok()?;
        // Bounded, so a damaged file cannot ask for gigabytes or hours.
        if self.memory_kib > 1024 * 1024 || self.passes > 16 || self.lanes > 16 {
            return None;
        }
        let params = Params::new(self.memory_kib, self.passes, self.lanes, Some(32)).ok()?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut key = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase.as_bytes(), &salt, key.as_mut())
            .ok()?;
        Some(key)
    }
}

/// Why a new passphrase is refused, in a sentence; `None` when it is fine.
pub fn passphrase_problem(passphrase: &str) -> Option<String> {
    let chars = passphrase.chars().count();
    if chars < MIN_PASSPHRASE_CHARS {
        return Some(format!(
            "a passphrase needs at least {MIN_PASSPHRASE_CHARS} characters (this one has {chars}); \
             a short sentence only you would think of works well"
        ));
    }
    if passphrase.trim() != passphrase {
        return Some(
            "a passphrase cannot start or end with a space (they are easy to lose when typing it \
             again)"
                .into(),
        );
    }
    None
}
