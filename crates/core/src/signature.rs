//! Signing changes and checking signatures, in bulk where possible.

use std::collections::HashMap;
use std::fmt;

use automerge::ChangeHash;
use ed25519_dalek::{Signature, VerifyingKey};

use crate::error::CoreError;
use crate::identity::{Identity, PartnerKey, hex_array};

/// Prefix of every change signature: a signature can never be replayed as anything else.
pub const CHANGE_DOMAIN: &[u8] = b"trellis/v1/change";

/// The random id of a couple's document. Every signature covers it, so a change signed for
/// one couple's document is worthless in another's.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(pub [u8; 16]);

impl DocId {
    pub fn random() -> Result<Self, CoreError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| CoreError::Randomness(e.to_string()))?;
        Ok(Self(bytes))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        hex_array::<16>(text).map(Self)
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({})", self.to_hex())
    }
}

/// The exact bytes a partner signs for a change.
pub fn change_message(doc: &DocId, hash: &ChangeHash) -> Vec<u8> {
    let mut msg = Vec::with_capacity(CHANGE_DOMAIN.len() + 16 + 32);
    msg.extend_from_slice(CHANGE_DOMAIN);
    msg.extend_from_slice(&doc.0);
    msg.extend_from_slice(&hash.0);
    msg
}

/// Who signed a change, and the signature. Stored by change hash, kept forever.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChangeSignature {
    pub signer: PartnerKey,
    pub signature: [u8; 64],
}

impl fmt::Debug for ChangeSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeSignature")
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

impl ChangeSignature {
    pub fn sign(identity: &Identity, doc: &DocId, hash: &ChangeHash) -> Self {
        Self {
            signer: identity.public(),
            signature: identity.sign(&change_message(doc, hash)),
        }
    }

    /// 32 bytes of key followed by 64 bytes of signature.
    pub fn to_bytes(&self) -> [u8; 96] {
        let mut out = [0u8; 96];
        out[..32].copy_from_slice(self.signer.as_bytes());
        out[32..].copy_from_slice(&self.signature);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != 96 {
            return None;
        }
        let signer: [u8; 32] = bytes[..32].try_into().ok()?;
        let signature: [u8; 64] = bytes[32..].try_into().ok()?;
        Some(Self {
            signer: PartnerKey(signer),
            signature,
        })
    }
}

/// A change as it travels and as it is stored: its bytes and its signature.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedChange {
    pub bytes: Vec<u8>,
    pub signature: ChangeSignature,
}

impl fmt::Debug for SignedChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedChange")
            .field("len", &self.bytes.len())
            .field("signature", &self.signature)
            .finish()
    }
}

/// Verifies many signatures over change hashes of one document.
///
/// Uses ed25519 batch verification (several times faster per signature) and, only if the
/// batch fails, strict one-by-one verification to name the culprit. Returns the index of the
/// first bad item.
pub fn verify_many(doc: &DocId, items: &[(ChangeHash, ChangeSignature)]) -> Result<(), usize> {
    const CHUNK: usize = 256;
    // A key is a point to decompress, which costs about as much as a tenth of a
    // verification: do it once per signer (a couple has two), not once per signature.
    let mut decompressed: HashMap<PartnerKey, Option<VerifyingKey>> = HashMap::new();
    let keys: Vec<Option<VerifyingKey>> = items
        .iter()
        .map(|(_, sig)| {
            *decompressed
                .entry(sig.signer)
                .or_insert_with(|| sig.signer.verifying_key().ok())
        })
        .collect();
    if let Some(bad) = keys.iter().position(Option::is_none) {
        return Err(bad);
    }
    for (chunk_no, chunk) in items.chunks(CHUNK).enumerate() {
        let base = chunk_no * CHUNK;
        if chunk.len() == 1 {
            let (hash, sig) = &chunk[0];
            sig.signer
                .verify_strict(&change_message(doc, hash), &sig.signature)
                .map_err(|_| base)?;
            continue;
        }
        let messages: Vec<Vec<u8>> = chunk.iter().map(|(h, _)| change_message(doc, h)).collect();
        let message_refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        let signatures: Vec<Signature> = chunk
            .iter()
            .map(|(_, s)| Signature::from_bytes(&s.signature))
            .collect();
        let chunk_keys: Vec<VerifyingKey> = keys[base..base + chunk.len()]
            .iter()
            .flatten()
            .copied()
            .collect();
        if ed25519_dalek::verify_batch(&message_refs, &signatures, &chunk_keys).is_err() {
            for (i, (hash, sig)) in chunk.iter().enumerate() {
                if sig
                    .signer
                    .verify_strict(&change_message(doc, hash), &sig.signature)
                    .is_err()
                {
                    return Err(base + i);
                }
            }
            // The batch failed but every item passed strict checks: be conservative.
            return Err(base);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(n: u8) -> ChangeHash {
        ChangeHash([n; 32])
    }

    #[test]
    fn batches_find_the_culprit() {
        let a = Identity::generate().unwrap();
        let b = Identity::generate().unwrap();
        let doc = DocId::random().unwrap();
        let mut items: Vec<_> = (0..300u16)
            .map(|i| {
                let h = hash((i % 251) as u8);
                let who = if i % 2 == 0 { &a } else { &b };
                (h, ChangeSignature::sign(who, &doc, &h))
            })
            .collect();
        assert_eq!(verify_many(&doc, &items), Ok(()));
        // Tamper with one signature deep in the second chunk.
        items[270].1.signature[5] ^= 1;
        assert_eq!(verify_many(&doc, &items), Err(270));
        // A signature for another document does not count here.
        let other = DocId::random().unwrap();
        let h = hash(1);
        let single = vec![(h, ChangeSignature::sign(&a, &other, &h))];
        assert_eq!(verify_many(&doc, &single), Err(0));
    }

    #[test]
    fn signatures_round_trip_as_bytes() {
        let a = Identity::generate().unwrap();
        let doc = DocId::random().unwrap();
        let sig = ChangeSignature::sign(&a, &doc, &hash(9));
        assert_eq!(ChangeSignature::from_bytes(&sig.to_bytes()), Some(sig));
        assert_eq!(ChangeSignature::from_bytes(&[0u8; 95]), None);
    }
}
