//! The identity card: what a partner hands over so the other can start a couple with them.

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::identity::{Identity, PartnerKey, hex_array};
use crate::seal::{SealKey, SealPublic};

const CARD_DOMAIN: &[u8] = b"trellis/v1/card";
const CARD_VERSION: u32 = 1;
/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A partner's public, self-signed identity card.
///
/// It names the partner, carries their identity key and certifies their device (the iroh
/// endpoint id the network layer will use). The self-signature proves whoever made the card
/// holds the identity key, so a card cannot introduce someone under another person's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub trellis_card: u32,
    pub name: String,
    pub identity: String,
    pub device: String,
    pub device_certificate: String,
    pub signature: String,
    /// The partner's sealing key (`age1…`), certified by their identity key: envelopes
    /// for them are sealed to it. Cards made before sealing carry none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal_certificate: Option<String>,
}

/// A card that passed [`Card::verify`], with its fields decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCard {
    pub name: String,
    pub key: PartnerKey,
    pub device: [u8; 32],
    pub seal: Option<SealPublic>,
    pub card: Card,
}

/// Checks and tidies a display name.
pub fn clean_name(name: &str) -> Result<String, CoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(CoreError::Invalid("a name cannot be empty".into()));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(CoreError::Invalid(format!(
            "a name can be at most {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(CoreError::Invalid(
            "a name cannot contain control characters".into(),
        ));
    }
    Ok(name.to_string())
}

fn card_message(identity: &[u8; 32], device: &[u8; 32], name: &str) -> Vec<u8> {
    let mut msg = Vec::with_capacity(CARD_DOMAIN.len() + 64 + name.len());
    msg.extend_from_slice(CARD_DOMAIN);
    msg.extend_from_slice(identity);
    msg.extend_from_slice(device);
    msg.extend_from_slice(name.as_bytes());
    msg
}

impl Card {
    pub fn new(identity: &Identity, name: &str, device: &[u8; 32]) -> Result<Self, CoreError> {
        let name = clean_name(name)?;
        let key = identity.public();
        let signature = identity.sign(&card_message(key.as_bytes(), device, &name));
        let (seal, seal_certificate) = SealKey::certificate(identity);
        Ok(Self {
            trellis_card: CARD_VERSION,
            name,
            identity: key.to_hex(),
            device: hex::encode(device),
            device_certificate: hex::encode(identity.certify_device(device)),
            signature: hex::encode(signature),
            seal: Some(seal.to_string()),
            seal_certificate: Some(seal_certificate),
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, CoreError> {
        serde_json::from_str(text)
            .map_err(|e| CoreError::BadCard(format!("not a Trellis card ({e})")))
    }

    /// Checks the version, the key, the device certificate and the self-signature.
    pub fn verify(&self) -> Result<VerifiedCard, CoreError> {
        if self.trellis_card != CARD_VERSION {
            return Err(CoreError::BadCard(format!(
                "card version {} is not one this Trellis understands (it reads version {CARD_VERSION})",
                self.trellis_card
            )));
        }
        let name = clean_name(&self.name).map_err(|e| CoreError::BadCard(e.to_string()))?;
        if name != self.name {
            return Err(CoreError::BadCard("the name has stray spaces".into()));
        }
        let key: PartnerKey = self
            .identity
            .parse()
            .map_err(|_| CoreError::BadCard("the identity key is not valid hex".into()))?;
        key.check_usable()
            .map_err(|e| CoreError::BadCard(e.to_string()))?;
        let device = hex_array::<32>(&self.device)
            .ok_or_else(|| CoreError::BadCard("the device id is not 32 bytes of hex".into()))?;
        let device_cert = hex_array::<64>(&self.device_certificate).ok_or_else(|| {
            CoreError::BadCard("the device certificate is not 64 bytes of hex".into())
        })?;
        let signature = hex_array::<64>(&self.signature)
            .ok_or_else(|| CoreError::BadCard("the signature is not 64 bytes of hex".into()))?;
        key.verify_device(&device, &device_cert)
            .map_err(|_| CoreError::BadCard("the device certificate does not verify".into()))?;
        key.verify_strict(&card_message(key.as_bytes(), &device, &name), &signature)
            .map_err(|_| {
                CoreError::BadCard("the card's signature does not match its contents".into())
            })?;
        let seal = match (&self.seal, &self.seal_certificate) {
            (None, None) => None,
            (Some(seal), Some(cert)) => Some(
                SealPublic::certified(&key, seal, cert)
                    .map_err(|e| CoreError::BadCard(format!("its sealing key: {e}")))?,
            ),
            _ => {
                return Err(CoreError::BadCard(
                    "its sealing key comes without its certificate".into(),
                ));
            }
        };
        Ok(VerifiedCard {
            name,
            key,
            device,
            seal,
            card: self.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_verify_and_resist_edits() {
        let id = Identity::generate().unwrap();
        let card = Card::new(&id, "  Sam ", &[3u8; 32]).unwrap();
        assert_eq!(card.name, "Sam");
        let parsed = Card::from_json(&card.to_json()).unwrap();
        let v = parsed.verify().unwrap();
        assert_eq!(v.key, id.public());
        assert_eq!(v.device, [3u8; 32]);

        let mut renamed = card.clone();
        renamed.name = "Alex".into();
        assert!(renamed.verify().is_err());

        let mut other_device = card.clone();
        other_device.device = hex::encode([4u8; 32]);
        assert!(other_device.verify().is_err());

        let mut other_seal = card.clone();
        other_seal.seal = Some(
            SealKey::of(&Identity::generate().unwrap())
                .public()
                .to_string(),
        );
        assert!(
            other_seal.verify().is_err(),
            "a sealing key it did not certify"
        );
        assert_eq!(
            v.seal.map(|s| s.to_string()),
            Some(SealKey::of(&id).public().to_string())
        );
        let mut old = card.clone();
        old.seal = None;
        old.seal_certificate = None;
        assert_eq!(
            old.verify().unwrap().seal,
            None,
            "a card from before sealing"
        );

        let mut future = card;
        future.trellis_card = 9;
        assert!(future.verify().is_err());
        assert!(Card::from_json("{}").is_err());
    }

    #[test]
    fn names_are_checked() {
        assert!(clean_name("").is_err());
        assert!(clean_name("a\u{7}b").is_err());
        assert!(clean_name(&"x".repeat(65)).is_err());
        assert_eq!(clean_name(" Alex ").unwrap(), "Alex");
    }
}
