//! Sealed envelopes: what leaves the device outside the live, end-to-end encrypted
//! connection — a bundle file, a mailbox deposit — is sealed to the partner.
//!
//! The envelope is an `age` file (X25519 recipient stanzas reveal no recipient key; a
//! stable, audited format other tools can read). Inside it, a format version, the real
//! length and the bundle, padded to a size bucket, so a carrier learns neither who wrote it
//! nor what kind of change it holds. The bundle inside is verified exactly as always.
//!
//! Each partner's sealing key is derived from their identity key (so a recovered identity
//! recovers it too) and certified by it: the certificate travels in the card and, for
//! couples that began before sealing existed, in a signed record in the owner's space.

use std::io::{Read, Write};
use std::str::FromStr;

use age::x25519;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::identity::{Identity, PartnerKey, hex_array};

/// What the identity key signs to certify a sealing key.
const SEAL_DOMAIN: &[u8] = b"trellis/v1/seal";
/// Derives the sealing secret from the identity seed.
const DERIVE_DOMAIN: &[u8] = b"trellis/v1/seal-secret";
/// The version of what is inside an envelope.
const INNER_VERSION: u8 = 1;
/// The smallest envelope body; bodies grow in powers of two up to [`LINEAR_FROM`], then in
/// steps of it.
const MIN_BUCKET: usize = 4 * 1024;
const LINEAR_FROM: usize = 1024 * 1024;
/// The largest envelope accepted (a bundle's cap, padded, plus age's overhead).
pub const MAX_ENVELOPE_BYTES: usize = crate::bundle::MAX_BUNDLE_BYTES + 2 * LINEAR_FROM;
/// The first bytes of every envelope: age's own header line.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SealError {
    #[error(
        "this file is sealed, but not for this device (a bundle you made yourself is sealed for your partner, and another couple's is sealed for them); nothing was read"
    )]
    NotForMe,
    #[error("this sealed file is damaged or cut off ({0}); ask for it again")]
    Damaged(String),
    #[error("this sealed file is larger than any Trellis bundle, so it was not read")]
    TooLarge,
    #[error("this sealed file was made by a newer Trellis (version {0}); update Trellis")]
    NewerVersion(u8),
    #[error("the sealing key is not valid: {0}")]
    BadKey(String),
    #[error("the sealing key's certificate does not verify")]
    BadCertificate,
}

/// A partner's public sealing key (an age X25519 recipient, `age1…`).
#[derive(Clone, PartialEq, Eq)]
pub struct SealPublic(x25519::Recipient);

impl std::fmt::Debug for SealPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealPublic({})", self.0)
    }
}

impl std::fmt::Display for SealPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for SealPublic {
    type Err = SealError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        x25519::Recipient::from_str(s.trim())
            .map(Self)
            .map_err(|e| SealError::BadKey(e.to_string()))
    }
}

impl SealPublic {
    /// Checks that `owner` certified this key.
    pub fn verify(&self, owner: &PartnerKey, certificate: &str) -> Result<(), SealError> {
        let signature = hex_array::<64>(certificate).ok_or(SealError::BadCertificate)?;
        owner
            .verify_strict(&certificate_message(&self.to_string()), &signature)
            .map_err(|_| SealError::BadCertificate)
    }

    /// Reads a key and its certificate as they travel (in a card or a record).
    pub fn certified(owner: &PartnerKey, key: &str, certificate: &str) -> Result<Self, SealError> {
        let public: SealPublic = key.parse()?;
        public.verify(owner, certificate)?;
        Ok(public)
    }
}

fn certificate_message(key: &str) -> Vec<u8> {
    let mut msg = Vec::with_capacity(SEAL_DOMAIN.len() + key.len());
    msg.extend_from_slice(SEAL_DOMAIN);
    msg.extend_from_slice(key.as_bytes());
    msg
}

/// A partner's secret sealing key, derived from their identity key.
pub struct SealKey(x25519::Identity);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SealKey").field(&self.public()).finish()
    }
}

impl SealKey {
    /// The sealing key that belongs to `identity`.
    pub fn of(identity: &Identity) -> Self {
        let mut seed = identity.to_bytes();
        let mut hasher = Sha256::new();
        hasher.update(DERIVE_DOMAIN);
        hasher.update(seed);
        let mut secret: [u8; 32] = hasher.finalize().into();
        let encoded = bech32_secret(&secret);
        secret.fill(0);
        seed.fill(0);
        // A 32-byte secret is always a valid X25519 key (it is clamped on use).
        match x25519::Identity::from_str(&encoded) {
            Ok(id) => Self(id),
            Err(_) => unreachable_key(),
        }
    }

    pub fn public(&self) -> SealPublic {
        SealPublic(self.0.to_public())
    }

    /// The certificate `identity` gives its own sealing key.
    pub fn certificate(identity: &Identity) -> (SealPublic, String) {
        let public = Self::of(identity).public();
        let signature = identity.sign(&certificate_message(&public.to_string()));
        (public, hex::encode(signature))
    }

    /// Opens an envelope sealed to this key and returns the bundle inside.
    pub fn open(&self, envelope: &[u8]) -> Result<Vec<u8>, SealError> {
        if envelope.len() > MAX_ENVELOPE_BYTES {
            return Err(SealError::TooLarge);
        }
        let decryptor =
            age::Decryptor::new_buffered(envelope).map_err(|e| damaged_or_not_mine(&e))?;
        let mut reader = decryptor
            .decrypt(std::iter::once(&self.0 as &dyn age::Identity))
            .map_err(|e| damaged_or_not_mine(&e))?;
        let mut inner = Vec::new();
        reader
            .by_ref()
            .take(MAX_ENVELOPE_BYTES as u64)
            .read_to_end(&mut inner)
            .map_err(|e| SealError::Damaged(e.to_string()))?;
        unpad(&inner)
    }
}

/// Never reached: see [`SealKey::of`]. A fixed key would be a silent disaster, so this
/// aborts the one operation loudly instead.
#[allow(clippy::panic)]
fn unreachable_key() -> ! {
    panic!("a derived X25519 secret was refused by age")
}

fn damaged_or_not_mine(e: &age::DecryptError) -> SealError {
    match e {
        age::DecryptError::NoMatchingKeys => SealError::NotForMe,
        other => SealError::Damaged(other.to_string()),
    }
}

/// True when `bytes` look like an envelope (rather than an unsealed bundle).
pub fn is_envelope(bytes: &[u8]) -> bool {
    bytes.starts_with(AGE_MAGIC)
}

/// Seals `bundle` to `to`: only the holder of that sealing key can open it.
pub fn seal(to: &SealPublic, bundle: &[u8]) -> Result<Vec<u8>, SealError> {
    let inner = pad(bundle);
    let encryptor = age::Encryptor::with_recipients(std::iter::once(&to.0 as &dyn age::Recipient))
        .map_err(|e| SealError::BadKey(e.to_string()))?;
    let mut out = Vec::with_capacity(inner.len() + 256);
    let mut writer = encryptor
        .wrap_output(&mut out)
        .map_err(|e| SealError::Damaged(e.to_string()))?;
    writer
        .write_all(&inner)
        .and_then(|_| writer.finish().map(|_| ()))
        .map_err(|e| SealError::Damaged(e.to_string()))?;
    Ok(out)
}

/// The padded size of a body of `len` bytes.
pub fn bucket(len: usize) -> usize {
    if len <= MIN_BUCKET {
        MIN_BUCKET
    } else if len <= LINEAR_FROM {
        len.next_power_of_two()
    } else {
        len.div_ceil(LINEAR_FROM) * LINEAR_FROM
    }
}

/// version ‖ length (u32 LE) ‖ bundle ‖ zeros up to the bucket.
fn pad(bundle: &[u8]) -> Vec<u8> {
    let len = 5 + bundle.len();
    let mut out = Vec::with_capacity(bucket(len));
    out.push(INNER_VERSION);
    out.extend_from_slice(&(bundle.len() as u32).to_le_bytes());
    out.extend_from_slice(bundle);
    out.resize(bucket(len), 0);
    out
}

fn unpad(inner: &[u8]) -> Result<Vec<u8>, SealError> {
    let (&version, rest) = inner
        .split_first()
        .ok_or_else(|| SealError::Damaged("it is empty inside".into()))?;
    if version > INNER_VERSION {
        return Err(SealError::NewerVersion(version));
    }
    if version != INNER_VERSION {
        return Err(SealError::Damaged(format!(
            "unknown inner version {version}"
        )));
    }
    let len_bytes: [u8; 4] = rest
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| SealError::Damaged("it ends before its length".into()))?;
    let len = u32::from_le_bytes(len_bytes) as usize;
    rest.get(4..4 + len)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| SealError::Damaged("it is shorter than it says".into()))
}

/// Bech32 of a secret under age's prefix, upper-cased as age writes it.
fn bech32_secret(secret: &[u8; 32]) -> String {
    match bech32::Hrp::parse("age-secret-key-")
        .ok()
        .and_then(|hrp| bech32::encode::<bech32::Bech32>(hrp, secret).ok())
    {
        Some(text) => text.to_uppercase(),
        None => unreachable_key(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Identity, Identity) {
        (Identity::generate().unwrap(), Identity::generate().unwrap())
    }

    #[test]
    fn a_sealed_bundle_opens_only_for_its_recipient() {
        let (alex, sam) = pair();
        let bundle = b"the check-in words: I feel calm when we walk".to_vec();
        let envelope = seal(&SealKey::of(&sam).public(), &bundle).unwrap();
        assert!(is_envelope(&envelope));
        assert!(!envelope.windows(8).any(|w| w == b"I feel c"));
        assert_eq!(SealKey::of(&sam).open(&envelope).unwrap(), bundle);
        assert_eq!(SealKey::of(&alex).open(&envelope), Err(SealError::NotForMe));
    }

    #[test]
    fn damage_is_refused_clearly() {
        let (_, sam) = pair();
        let key = SealKey::of(&sam);
        let envelope = seal(&key.public(), &[7u8; 5000]).unwrap();
        for cut in [0, 10, envelope.len() / 2, envelope.len() - 1] {
            assert!(key.open(&envelope[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = envelope.clone();
        let last = flipped.len() - 20;
        flipped[last] ^= 1;
        assert!(matches!(key.open(&flipped), Err(SealError::Damaged(_))));
        assert!(key.open(b"hello").is_err());
    }

    #[test]
    fn sizes_fall_into_buckets() {
        let (_, sam) = pair();
        let to = SealKey::of(&sam).public();
        // The same bucket: only age's header varies (it adds random "grease" stanzas, which
        // depend on nothing inside).
        for len in [10, 3000, 4000] {
            let sealed = seal(&to, &vec![1u8; len]).unwrap().len();
            assert!((4096..4096 + 1024).contains(&sealed), "{len} → {sealed}");
        }
        assert_eq!(bucket(4097), 8192);
        assert_eq!(bucket(3 * 1024 * 1024 + 1), 4 * 1024 * 1024);
    }

    #[test]
    fn the_sealing_key_is_derived_and_certified() {
        let (alex, sam) = pair();
        assert_eq!(SealKey::of(&alex).public(), SealKey::of(&alex).public());
        assert_ne!(SealKey::of(&alex).public(), SealKey::of(&sam).public());
        let (public, cert) = SealKey::certificate(&alex);
        let text = public.to_string();
        assert!(text.starts_with("age1"));
        SealPublic::certified(&alex.public(), &text, &cert).unwrap();
        assert_eq!(
            SealPublic::certified(&sam.public(), &text, &cert),
            Err(SealError::BadCertificate)
        );
        let (other, _) = SealKey::certificate(&sam);
        assert_eq!(
            SealPublic::certified(&alex.public(), &other.to_string(), &cert),
            Err(SealError::BadCertificate)
        );
    }
}
