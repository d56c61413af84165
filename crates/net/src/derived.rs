//! Names derived by hashing, for things the network can see (the mDNS service name, the
//! ALPNs): to anyone without the inputs they are random letters, the same for nobody else.
//!
//! Each use passes its own domain string, which is only ever a hash input: it keeps the
//! names of one use unrelated to those of another made from the same inputs.

use sha2::{Digest, Sha256};
use trellis_core::{DocId, PartnerKey};

/// Letters only, so a name is always a valid DNS-SD service name. Without `i`, `l`, `o` and
/// `u` no word of the app's (nor "iroh") can ever appear in one.
const ALPHABET: &[u8; 22] = b"abcdefghjkmnpqrstvwxyz";

/// The most letters [`letters`] gives: 22^28 ≈ 2^125 still fits in the 128 bits it takes.
pub(crate) const MAX_LETTERS: usize = 28;

/// SHA-256 over a domain string and the parts, in order.
pub(crate) fn digest(domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut hash = Sha256::new().chain_update(domain);
    for part in parts {
        hash.update(part);
    }
    hash.finalize().into()
}

/// A hash over the couple: its document id (random, and only ever sent inside the encrypted
/// connection) and both partners' identity keys, taken in byte order so both partners get
/// the same digest.
pub(crate) fn couple_digest(
    domain: &[u8],
    doc: &DocId,
    me: &PartnerKey,
    partner: &PartnerKey,
) -> [u8; 32] {
    let (low, high) = if me <= partner {
        (me, partner)
    } else {
        (partner, me)
    };
    digest(domain, &[&doc.0, low.as_bytes(), high.as_bytes()])
}

/// `count` letters (at most [`MAX_LETTERS`]) from the first 128 bits of a digest, each (all
/// but) uniform over the alphabet.
pub(crate) fn letters(digest: &[u8; 32], count: usize) -> String {
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    let mut n = u128::from_be_bytes(first);
    let base = ALPHABET.len() as u128;
    let mut out = String::with_capacity(count);
    for _ in 0..count.min(MAX_LETTERS) {
        out.push(char::from(ALPHABET[(n % base) as usize]));
        n /= base;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_order_does_not_matter_but_every_input_does() {
        let doc = DocId([7; 16]);
        let (a, b) = (PartnerKey([1; 32]), PartnerKey([2; 32]));
        let d = couple_digest(b"x", &doc, &a, &b);
        assert_eq!(d, couple_digest(b"x", &doc, &b, &a));
        assert_ne!(d, couple_digest(b"y", &doc, &a, &b));
        assert_ne!(d, couple_digest(b"x", &DocId([8; 16]), &a, &b));
        assert_ne!(d, couple_digest(b"x", &doc, &a, &PartnerKey([3; 32])));
    }

    #[test]
    fn letters_never_spell_a_name() {
        for i in 0u32..5_000 {
            let text = letters(&digest(b"test", &[&i.to_be_bytes()]), MAX_LETTERS);
            assert_eq!(text.len(), MAX_LETTERS);
            assert!(text.bytes().all(|b| ALPHABET.contains(&b)));
            for word in ["trellis", "iroh", "couple", "love"] {
                assert!(!text.contains(word), "{text} contains {word}");
            }
        }
    }
}
