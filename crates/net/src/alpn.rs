//! The ALPNs this device speaks.
//!
//! An ALPN travels in the clear in every QUIC ClientHello (the Initial packet's keys are
//! derivable by anyone who sees it), so a fixed one would announce the app on every
//! connection. Each is instead derived from something only the right people hold:
//!
//! * sync: from the couple (its document id and both identity keys), so only the two partners
//!   know it, and it exists only once the couple does;
//! * pairing: from the open invite's one-time secret, so only someone holding the code can
//!   even reach the pairing handler.
//!
//! Both look alike (the same length, the same letters), so the kind of a connection is not
//! visible either, and neither contains a fixed word a fingerprinter could match across users.

use trellis_core::{Couple, DocId, PartnerKey};

use crate::derived;

/// Hash inputs only, never sent: they keep these names apart from every other derived one.
const SYNC_DOMAIN: &[u8] = b"trellis/v1/sync-alpn";
const PAIR_DOMAIN: &[u8] = b"trellis/v1/pair-alpn";

/// 22^16 ≈ 2^71: far beyond guessing, still short in every ClientHello.
const LENGTH: usize = 16;

/// The couple's sync ALPN, the same on both partners' devices.
pub(crate) fn sync(doc: &DocId, me: &PartnerKey, partner: &PartnerKey) -> Vec<u8> {
    derived::letters(
        &derived::couple_digest(SYNC_DOMAIN, doc, me, partner),
        LENGTH,
    )
    .into_bytes()
}

/// The sync ALPN of a couple, as either partner's device dials and accepts it.
pub fn sync_alpn(couple: &Couple) -> Vec<u8> {
    sync(&couple.doc_id(), &couple.me(), &couple.partner())
}

/// The pairing ALPN of the invite with this one-time secret.
pub(crate) fn pair(secret: &[u8; 16]) -> Vec<u8> {
    derived::letters(&derived::digest(PAIR_DOMAIN, &[secret]), LENGTH).into_bytes()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::HashSet;

    use trellis_core::Moment;
    use trellis_store::Profile;

    use super::*;

    fn says_nothing(alpn: &[u8]) {
        let text = std::str::from_utf8(alpn).unwrap().to_ascii_lowercase();
        assert_eq!(text.len(), LENGTH);
        for word in ["trellis", "iroh"] {
            assert!(!text.contains(word), "{text} contains {word}");
        }
        // No separator, digit or version: nothing shaped like a protocol's name.
        assert!(text.bytes().all(|b| b.is_ascii_lowercase()), "{text}");
    }

    #[test]
    fn many_couples_and_invites_get_distinct_alpns_that_say_nothing() {
        let mut seen = HashSet::new();
        for i in 0u32..2_000 {
            let bytes = |tag: &[u8]| derived::digest(tag, &[&i.to_be_bytes()]);
            let mut doc = [0u8; 16];
            doc.copy_from_slice(&bytes(b"doc")[..16]);
            let (a, b) = (PartnerKey(bytes(b"a")), PartnerKey(bytes(b"b")));
            let alpn = sync(&DocId(doc), &a, &b);
            assert_eq!(alpn, sync(&DocId(doc), &b, &a), "both partners agree");
            says_nothing(&alpn);
            assert!(seen.insert(alpn), "two couples share an ALPN");

            let mut secret = [0u8; 16];
            secret.copy_from_slice(&bytes(b"secret")[..16]);
            let alpn = pair(&secret);
            says_nothing(&alpn);
            assert!(seen.insert(alpn), "an invite's ALPN is used twice");
        }
    }

    #[test]
    fn every_input_changes_the_sync_alpn() {
        let doc = DocId([7; 16]);
        let (a, b) = (PartnerKey([1; 32]), PartnerKey([2; 32]));
        let alpn = sync(&doc, &a, &b);
        assert_ne!(alpn, sync(&DocId([8; 16]), &a, &b));
        assert_ne!(alpn, sync(&doc, &PartnerKey([3; 32]), &b));
        assert_ne!(alpn, sync(&doc, &a, &PartnerKey([3; 32])));
    }

    #[test]
    fn both_paired_profiles_derive_the_same_sync_alpn_and_another_couple_another() {
        let tmp = tempfile::tempdir().unwrap();
        let now = |minutes: i64| Moment::new(1_795_338_000_000 + minutes * 60_000, 0);
        let couple = |one: &str, other: &str| {
            let mut a = Profile::init(&tmp.path().join(one), one).unwrap();
            let mut b = Profile::init(&tmp.path().join(other), other).unwrap();
            a.create_couple(&b.card().unwrap(), now(0)).unwrap();
            let (bundle, _) = a.export_bundle(false, now(1)).unwrap();
            assert!(b.import_bundle(&bundle, now(2)).unwrap().joined);
            let alpn = sync_alpn(a.couple().unwrap());
            assert_eq!(alpn, sync_alpn(b.couple().unwrap()));
            says_nothing(&alpn);
            alpn
        };
        assert_ne!(couple("Alex", "Sam"), couple("Robin", "Kim"));
    }
}
