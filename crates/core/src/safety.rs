//! The safety number both partners compare, aloud or side by side.

use sha2::{Digest, Sha256};

use crate::identity::PartnerKey;
use crate::signature::DocId;

const SAFETY_DOMAIN: &[u8] = b"trellis/v1/safety-number";
/// Hash rounds: makes a search for a look-alike key proportionally more expensive.
const ROUNDS: usize = 4096;
const GROUPS: usize = 6;

/// Thirty digits in six groups of five (about 100 bits), the same on both devices: derived
/// from both identity keys (in a fixed order) and the document id. A person in the middle
/// would have to find keys that give the same digits.
pub fn safety_number(a: &PartnerKey, b: &PartnerKey, doc: &DocId) -> String {
    let (first, second) = if a.as_bytes() <= b.as_bytes() {
        (a, b)
    } else {
        (b, a)
    };
    let mut digest: [u8; 32] = Sha256::new()
        .chain_update(SAFETY_DOMAIN)
        .chain_update(first.as_bytes())
        .chain_update(second.as_bytes())
        .chain_update(doc.0)
        .finalize()
        .into();
    for _ in 0..ROUNDS {
        digest = Sha256::new()
            .chain_update(digest)
            .chain_update(first.as_bytes())
            .chain_update(second.as_bytes())
            .finalize()
            .into();
    }
    let mut groups = Vec::with_capacity(GROUPS);
    for chunk in digest.chunks(5).take(GROUPS) {
        let mut n: u64 = 0;
        for byte in chunk {
            n = (n << 8) | u64::from(*byte);
        }
        groups.push(format!("{:05}", n % 100_000));
    }
    groups.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_see_the_same_digits() {
        let a = PartnerKey([1; 32]);
        let b = PartnerKey([2; 32]);
        let doc = DocId([3; 16]);
        let n = safety_number(&a, &b, &doc);
        assert_eq!(n, safety_number(&b, &a, &doc));
        assert_eq!(n.len(), 6 * 5 + 5);
        assert!(
            n.split(' ')
                .all(|g| g.len() == 5 && g.chars().all(|c| c.is_ascii_digit()))
        );
        assert_ne!(n, safety_number(&a, &PartnerKey([4; 32]), &doc));
        assert_ne!(n, safety_number(&a, &b, &DocId([5; 16])));
    }
}
