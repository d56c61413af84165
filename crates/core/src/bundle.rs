//! Signed bundles: the changes one partner may not have yet, as a file that can travel over
//! any channel (a USB stick, a message attachment) when the devices cannot meet.

use automerge::ChangeHash;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::frame::{BUNDLE_CHUNK_BYTES, Frame, FrameError, changes_frames};
use crate::identity::PartnerKey;
use crate::signature::{DocId, SignedChange};

/// Most changes one bundle may carry (a hundred years of a very busy couple).
pub const MAX_BUNDLE_CHANGES: usize = 2_000_000;
/// The largest bundle accepted, in bytes (five years of a busy couple is about 4 MB).
pub const MAX_BUNDLE_BYTES: usize = 1024 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BundleError {
    #[error("this is not a Trellis bundle")]
    NotABundle,
    #[error("the bundle is damaged: {0}")]
    Frame(#[from] FrameError),
    #[error("the bundle is incomplete: it was cut off before its end; ask for it again")]
    Incomplete,
    #[error("the bundle is damaged: its contents do not match its checksum")]
    DigestMismatch,
    #[error("the bundle is damaged: {0}")]
    Inconsistent(String),
    #[error("the bundle is {0} bytes, larger than the 1 GiB a bundle may be")]
    TooLarge(usize),
}

/// A decoded bundle. Nothing in it is trusted until the core has verified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub doc: DocId,
    pub sender: PartnerKey,
    /// Everything the sender had when writing the bundle; the receiver learns from it what
    /// the sender already has.
    pub sender_heads: Vec<ChangeHash>,
    pub created_at: i64,
    pub changes: Vec<SignedChange>,
}

impl Bundle {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Frame::BundleHeader {
            doc: self.doc,
            sender: self.sender,
            sender_heads: self.sender_heads.clone(),
            created_at: self.created_at,
        }
        .encode();
        for frame in changes_frames(self.changes.clone(), BUNDLE_CHUNK_BYTES) {
            out.extend(frame.encode());
        }
        let digest: [u8; 32] = Sha256::digest(&out).into();
        out.extend(
            Frame::BundleEnd {
                changes: self.changes.len() as u32,
                digest,
            }
            .encode(),
        );
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Bundle, BundleError> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(BundleError::TooLarge(bytes.len()));
        }
        let (first, mut rest) = match Frame::decode(bytes) {
            Ok(ok) => ok,
            Err(FrameError::Truncated) if bytes.len() < 64 => return Err(BundleError::NotABundle),
            Err(FrameError::Truncated) => return Err(BundleError::Incomplete),
            Err(_) => return Err(BundleError::NotABundle),
        };
        let Frame::BundleHeader {
            doc,
            sender,
            sender_heads,
            created_at,
        } = first
        else {
            return Err(BundleError::NotABundle);
        };
        let mut changes = Vec::new();
        loop {
            let consumed = bytes.len() - rest.len();
            let (frame, after) = Frame::decode(rest).map_err(|e| match e {
                FrameError::Truncated => BundleError::Incomplete,
                other => BundleError::Frame(other),
            })?;
            match frame {
                Frame::Changes(mut more) => {
                    if changes.len() + more.len() > MAX_BUNDLE_CHANGES {
                        return Err(BundleError::Inconsistent(format!(
                            "more than {MAX_BUNDLE_CHANGES} changes"
                        )));
                    }
                    changes.append(&mut more);
                }
                Frame::BundleEnd {
                    changes: count,
                    digest,
                } => {
                    let actual: [u8; 32] = Sha256::digest(&bytes[..consumed]).into();
                    if actual != digest {
                        return Err(BundleError::DigestMismatch);
                    }
                    if count as usize != changes.len() {
                        return Err(BundleError::Inconsistent(format!(
                            "it announces {count} changes but holds {}",
                            changes.len()
                        )));
                    }
                    if !after.is_empty() {
                        return Err(BundleError::Inconsistent(format!(
                            "{} stray bytes after its end",
                            after.len()
                        )));
                    }
                    return Ok(Bundle {
                        doc,
                        sender,
                        sender_heads,
                        created_at,
                        changes,
                    });
                }
                _ => {
                    return Err(BundleError::Inconsistent(
                        "it holds a frame that does not belong in a bundle".into(),
                    ));
                }
            }
            rest = after;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::ChangeSignature;

    fn bundle(n: usize, size: usize) -> Bundle {
        Bundle {
            doc: DocId([1; 16]),
            sender: PartnerKey([2; 32]),
            sender_heads: vec![ChangeHash([3; 32])],
            created_at: 1_700_000_000_000,
            changes: (0..n)
                .map(|i| SignedChange {
                    bytes: vec![(i % 251) as u8; size],
                    signature: ChangeSignature {
                        signer: PartnerKey([4; 32]),
                        signature: [5; 64],
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn bundles_round_trip_across_chunks() {
        let b = bundle(9, 1024 * 1024); // forces several Changes frames
        let bytes = b.encode();
        assert_eq!(Bundle::decode(&bytes).unwrap(), b);
        let empty = bundle(0, 0);
        assert_eq!(Bundle::decode(&empty.encode()).unwrap(), empty);
    }

    #[test]
    fn damage_is_detected() {
        let b = bundle(3, 100);
        let bytes = b.encode();
        for cut in [bytes.len() - 1, bytes.len() / 2, 100] {
            assert!(Bundle::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[200] ^= 0x40;
        assert_eq!(Bundle::decode(&flipped), Err(BundleError::DigestMismatch));
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(Bundle::decode(&trailing).is_err());
        assert_eq!(
            Bundle::decode(b"hello, this is a text file"),
            Err(BundleError::NotABundle)
        );
        assert_eq!(Bundle::decode(&[]), Err(BundleError::NotABundle));
    }
}
