//! Partner identity keys: the ed25519 keys that sign every change.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::error::CoreError;

/// Prefix of the message an identity key signs to certify a device (an iroh endpoint id).
pub const DEVICE_DOMAIN: &[u8] = b"trellis/v1/device";

/// A partner's secret identity key. It never leaves the profile directory.
pub struct Identity {
    key: SigningKey,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// A new key from the operating system's random source.
    pub fn generate() -> Result<Self, CoreError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| CoreError::Randomness(e.to_string()))?;
        Ok(Self::from_bytes(&seed))
    }

    pub fn from_bytes(seed: &[u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(seed),
        }
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    pub fn public(&self) -> PartnerKey {
        PartnerKey(self.key.verifying_key().to_bytes())
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// Certifies that `device` (a 32-byte iroh endpoint id) belongs to this partner.
    pub fn certify_device(&self, device: &[u8; 32]) -> [u8; 64] {
        self.sign(&device_message(device))
    }
}

pub(crate) fn device_message(device: &[u8; 32]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(DEVICE_DOMAIN.len() + 32);
    msg.extend_from_slice(DEVICE_DOMAIN);
    msg.extend_from_slice(device);
    msg
}

/// A partner's public identity key: the automerge Author of every change they make.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartnerKey(pub [u8; 32]);

impl PartnerKey {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A short, stable way to mention the key to a person.
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.0[..4])
    }

    pub fn verifying_key(&self) -> Result<VerifyingKey, CoreError> {
        VerifyingKey::from_bytes(&self.0).map_err(|_| CoreError::BadKey(self.to_hex()))
    }

    /// A key we will accept from a partner: a valid point that is not of small order.
    pub fn check_usable(&self) -> Result<VerifyingKey, CoreError> {
        let vk = self.verifying_key()?;
        if vk.is_weak() {
            return Err(CoreError::WeakKey(self.to_hex()));
        }
        Ok(vk)
    }

    /// Strict verification: rejects weak keys, small-order R and non-canonical encodings.
    pub fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> Result<(), CoreError> {
        let vk = self.verifying_key()?;
        vk.verify_strict(message, &Signature::from_bytes(signature))
            .map_err(|_| CoreError::BadSignature)
    }

    pub fn verify_device(&self, device: &[u8; 32], signature: &[u8; 64]) -> Result<(), CoreError> {
        self.verify_strict(&device_message(device), signature)
    }
}

impl fmt::Display for PartnerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for PartnerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartnerKey({})", self.fingerprint())
    }
}

impl FromStr for PartnerKey {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = hex::decode(s.trim()).map_err(|_| CoreError::BadKey(s.to_string()))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CoreError::BadKey(s.to_string()))?;
        Ok(Self(arr))
    }
}

/// Parses a hex string of exactly `N` bytes.
pub(crate) fn hex_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    hex::decode(text.trim()).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_sign() {
        let id = Identity::generate().unwrap();
        let again = Identity::from_bytes(&id.to_bytes());
        assert_eq!(id.public(), again.public());
        let key: PartnerKey = id.public().to_hex().parse().unwrap();
        assert_eq!(key, id.public());
        let sig = id.sign(b"hello");
        key.verify_strict(b"hello", &sig).unwrap();
        assert!(key.verify_strict(b"hellO", &sig).is_err());
        key.check_usable().unwrap();
    }

    #[test]
    fn device_certificates_bind_the_device() {
        let id = Identity::generate().unwrap();
        let device = [7u8; 32];
        let cert = id.certify_device(&device);
        id.public().verify_device(&device, &cert).unwrap();
        assert!(id.public().verify_device(&[8u8; 32], &cert).is_err());
        // A device certificate is not a valid change signature or anything else.
        assert!(id.public().verify_strict(&device, &cert).is_err());
    }

    #[test]
    fn weak_keys_are_refused() {
        // The identity point (small order) encoded as a public key.
        let mut weak = [0u8; 32];
        weak[0] = 1;
        let key = PartnerKey(weak);
        assert!(matches!(key.check_usable(), Err(CoreError::WeakKey(_))));
        assert!("not hex".parse::<PartnerKey>().is_err());
        assert!("abcd".parse::<PartnerKey>().is_err());
    }
}
