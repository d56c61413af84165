//! A device a couple registers at a mailbox, with its partner's certificate for it.

use trellis_core::{CoreError, PartnerKey};

/// One partner's device as a mailbox knows it: the identity key, the device (its iroh
/// endpoint id) and the identity's certificate for that device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub identity: PartnerKey,
    pub device: [u8; 32],
    pub device_certificate: [u8; 64],
}

impl Member {
    /// Bytes on the wire and in the mailbox's store.
    pub const LEN: usize = 32 + 32 + 64;

    /// Checks the identity key is usable and certifies the device.
    pub fn verify(&self) -> Result<(), CoreError> {
        self.identity.check_usable()?;
        self.identity
            .verify_device(&self.device, &self.device_certificate)
    }

    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..32].copy_from_slice(self.identity.as_bytes());
        out[32..64].copy_from_slice(&self.device);
        out[64..].copy_from_slice(&self.device_certificate);
        out
    }

    /// `None` unless `bytes` is exactly one member.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != Self::LEN {
            return None;
        }
        Some(Self {
            identity: PartnerKey(bytes[..32].try_into().ok()?),
            device: bytes[32..64].try_into().ok()?,
            device_certificate: bytes[64..].try_into().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use trellis_core::Identity;

    use super::*;

    #[test]
    fn a_member_round_trips_and_only_its_own_certificate_verifies() {
        let alex = Identity::from_bytes(&[1; 32]);
        let device = iroh::SecretKey::from_bytes(&[2; 32]).public();
        let member = Member {
            identity: alex.public(),
            device: *device.as_bytes(),
            device_certificate: alex.certify_device(device.as_bytes()),
        };
        member.verify().unwrap();
        assert_eq!(Member::from_bytes(&member.to_bytes()), Some(member));
        assert_eq!(Member::from_bytes(&member.to_bytes()[1..]), None);

        let other_device = Member {
            device: [3; 32],
            ..member
        };
        assert!(other_device.verify().is_err());
        let other_identity = Member {
            identity: Identity::from_bytes(&[4; 32]).public(),
            ..member
        };
        assert!(other_identity.verify().is_err());
    }
}
