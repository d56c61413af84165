//! The name a couple's devices use to find each other on a LAN.
//!
//! mDNS shouts its service name to everyone on the network, so the name must say nothing
//! about the app or the people: it is a hash over the couple's document id (random, and only
//! ever sent inside the encrypted connection) and both partners' identity keys. Only the two
//! of them can compute it; to anyone else it is a string of random letters.

use trellis_core::{Couple, DocId, PartnerKey};
use trellis_store::Profile;

use crate::derived;

/// Never sent anywhere: it only keeps this hash apart from every other use of the same inputs.
const DOMAIN: &[u8] = b"trellis/v1/lan-service";

/// RFC 6335 caps service names at 15 characters; DNS-SD browsers may reject longer ones.
const LENGTH: usize = 15;

/// The couple's mDNS service name, the same on both partners' devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LanName(String);

impl LanName {
    /// Both partners derive the same name: the two keys are taken in a fixed order.
    pub(crate) fn derive(doc: &DocId, me: &PartnerKey, partner: &PartnerKey) -> Self {
        Self(derived::letters(
            &derived::couple_digest(DOMAIN, doc, me, partner),
            LENGTH,
        ))
    }

    pub(crate) fn of_couple(couple: &Couple) -> Self {
        Self::derive(&couple.doc_id(), &couple.me(), &couple.partner())
    }

    /// None while there is no partner to find: before pairing (the invite carries the
    /// addresses) and once sync has ended for good.
    pub(crate) fn for_profile(profile: &mut Profile) -> Option<Self> {
        profile.partner_device()?;
        profile.couple().map(Self::of_couple)
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use sha2::{Digest, Sha256};
    use trellis_core::Moment;

    use super::*;

    fn key(byte: u8) -> PartnerKey {
        PartnerKey([byte; 32])
    }

    /// Many different couples, from a fixed pseudo-random sequence (no rand dependency).
    fn couples() -> impl Iterator<Item = (DocId, PartnerKey, PartnerKey)> {
        (0u32..2_000).map(|i| {
            let bytes = |tag: &[u8]| {
                Sha256::new()
                    .chain_update(tag)
                    .chain_update(i.to_be_bytes())
                    .finalize()
            };
            let mut doc = [0u8; 16];
            doc.copy_from_slice(&bytes(b"doc")[..16]);
            let a: [u8; 32] = bytes(b"a").into();
            let b: [u8; 32] = bytes(b"b").into();
            (DocId(doc), PartnerKey(a), PartnerKey(b))
        })
    }

    /// RFC 6335 §5.1, and what swarm-discovery hands to a DNS name parser
    /// (`_{name}._udp.local.`: one label of at most 63 bytes, no dots).
    fn assert_valid_service_name(name: &str) {
        assert!((1..=15).contains(&name.len()), "{name}: 1 to 15 characters");
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{name}: lowercase letters, digits and hyphens only"
        );
        assert!(
            name.bytes().any(|b| b.is_ascii_lowercase()),
            "{name}: a letter"
        );
        assert!(!name.starts_with('-') && !name.ends_with('-') && !name.contains("--"));
    }

    #[test]
    fn both_partners_derive_the_same_name() {
        for (doc, a, b) in couples() {
            assert_eq!(LanName::derive(&doc, &a, &b), LanName::derive(&doc, &b, &a));
        }
    }

    #[test]
    fn every_input_changes_the_name() {
        let doc = DocId([7; 16]);
        let name = LanName::derive(&doc, &key(1), &key(2));
        assert_ne!(name, LanName::derive(&DocId([8; 16]), &key(1), &key(2)));
        assert_ne!(name, LanName::derive(&doc, &key(3), &key(2)));
        assert_ne!(name, LanName::derive(&doc, &key(1), &key(3)));
    }

    #[test]
    fn names_are_valid_distinct_and_say_nothing() {
        let mut seen = std::collections::HashSet::new();
        for (doc, a, b) in couples() {
            let name = LanName::derive(&doc, &a, &b);
            assert_valid_service_name(name.as_str());
            let lower = name.as_str().to_ascii_lowercase();
            for word in ["trellis", "iroh"] {
                assert!(!lower.contains(word), "{lower} contains {word}");
            }
            assert!(seen.insert(name.0), "two couples share a name");
        }
    }

    #[test]
    fn same_name_on_both_paired_profiles_and_none_before_pairing() {
        let tmp = tempfile::tempdir().unwrap();
        let now = |minutes: i64| Moment::new(1_795_338_000_000 + minutes * 60_000, 0);
        let mut alex = Profile::init(&tmp.path().join("alex"), "Alex").unwrap();
        let mut sam = Profile::init(&tmp.path().join("sam"), "Sam").unwrap();
        assert_eq!(LanName::for_profile(&mut alex), None);
        assert_eq!(LanName::for_profile(&mut sam), None);

        alex.create_couple(&sam.card().unwrap(), now(0)).unwrap();
        let (bundle, _) = alex.export_bundle(false, now(1)).unwrap();
        assert!(sam.import_bundle(&bundle, now(2)).unwrap().joined);

        let name = LanName::for_profile(&mut alex).unwrap();
        assert_eq!(Some(name.clone()), LanName::for_profile(&mut sam));
        assert_valid_service_name(name.as_str());
    }
}
