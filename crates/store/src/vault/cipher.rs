//! One key, and what it seals: XChaCha20-Poly1305 with a random 24-byte nonce per value.
//!
//! Every sealed value names where it belongs (the "place": file, table and row) as associated
//! data, so a value copied into another row, table or file does not open there: someone who
//! can write the files cannot move one partner's words under another key, or swap two rows.

use std::fmt;
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::error::StoreError;

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// A sealing key. Cloning shares it; the key bytes are wiped when the last clone is dropped.
#[derive(Clone)]
pub struct Sealer {
    key: Arc<Zeroizing<[u8; 32]>>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(…)")
    }
}

impl Sealer {
    pub(crate) fn from_key(key: Zeroizing<[u8; 32]>) -> Self {
        Self { key: Arc::new(key) }
    }

    /// A new random key.
    pub(crate) fn generate() -> Result<Self, StoreError> {
        Ok(Self::from_key(random_key()?))
    }

    pub(crate) fn key_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        let key: &[u8; 32] = &self.key;
        XChaCha20Poly1305::new(key.into())
    }

    /// `nonce ‖ ciphertext ‖ tag`.
    pub fn seal(&self, place: &[u8], plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| StoreError::Random(e.to_string()))?;
        let sealed = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: place,
                },
            )
            // Only a message beyond 256 GiB fails here.
            .map_err(|_| StoreError::Random("a value too large to seal".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The plain bytes, or `None` when the value was not sealed with this key for this place
    /// (another key, another row, or changed bytes: all look the same, on purpose).
    pub fn open(&self, place: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: place,
                },
            )
            .ok()
            .map(Zeroizing::new)
    }
}

pub(crate) fn random_key() -> Result<Zeroizing<[u8; 32]>, StoreError> {
    let mut key = Zeroizing::new([0u8; 32]);
    getrandom::fill(key.as_mut()).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(key)
}

/// The place of a whole file sealed as one value (a key file, the drafts): its name and `what`.
pub(crate) fn file_place(path: &std::path::Path, what: &str) -> Vec<u8> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    place(&name, what, b"")
}

/// The place of a row: `file/table/key`, with the key's bytes as they are.
pub(crate) fn place(file: &str, table: &str, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(file.len() + table.len() + key.len() + 2);
    out.extend_from_slice(file.as_bytes());
    out.push(b'/');
    out.extend_from_slice(table.as_bytes());
    out.push(b'/');
    out.extend_from_slice(key);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_only_with_its_key_in_its_place() {
        let a = Sealer::generate().unwrap();
        let b = Sealer::generate().unwrap();
        let sealed = a.seal(b"couple/meta/name", b"Sam").unwrap();
        assert_eq!(
            a.open(b"couple/meta/name", &sealed).unwrap().as_slice(),
            b"Sam"
        );
        assert!(a.open(b"couple/meta/other", &sealed).is_none());
        assert!(b.open(b"couple/meta/name", &sealed).is_none());
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(a.open(b"couple/meta/name", &flipped).is_none());
        assert!(a.open(b"couple/meta/name", &sealed[..20]).is_none());
        // A fresh nonce each time: the same words never look the same twice.
        assert_ne!(sealed, a.seal(b"couple/meta/name", b"Sam").unwrap());
    }
}
