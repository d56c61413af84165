//! The framed wire format shared by bundle files and the network.
//!
//! ```text
//! frame = length: u32 LE (of everything after it) || version: u8 || kind: u8 || body
//! ```
//! Every frame is size-capped before a byte of its body is read, and every body is parsed
//! exactly: trailing or missing bytes are an error, never ignored.

use automerge::ChangeHash;
use thiserror::Error;

use crate::identity::PartnerKey;
use crate::signature::{ChangeSignature, DocId, SignedChange};

/// The only frame version this build speaks.
pub const FRAME_VERSION: u8 = 1;
/// No frame may be larger than this (bytes after the length prefix). Bundle files use it.
pub const MAX_FRAME_LEN: usize = 16 * 1024 * 1024;
/// No frame from the network may be larger than this: the sender packs changes into
/// frames of about [`SYNC_CHUNK_BYTES`], one change is at most 1 MiB, and a sync message
/// (heads, needs, a Bloom filter) of even a very long history is far smaller.
pub const MAX_NETWORK_FRAME_LEN: usize = 4 * 1024 * 1024;
/// Most heads a peer may announce.
const MAX_HEADS: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    #[error("the data ends in the middle of a frame (cut off or incomplete)")]
    Truncated,
    #[error("a frame of {len} bytes is larger than the {max} bytes allowed")]
    TooLarge { len: usize, max: usize },
    #[error(
        "frame version {0} is not one this Trellis speaks (it speaks version {FRAME_VERSION}); update Trellis"
    )]
    UnknownVersion(u8),
    #[error("unknown frame kind {0}")]
    UnknownKind(u8),
    #[error("a frame is malformed: {0}")]
    Malformed(String),
}

/// One unit of the wire format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Starts a bundle: whose document, who sent it, and what the sender had.
    BundleHeader {
        doc: DocId,
        sender: PartnerKey,
        sender_heads: Vec<ChangeHash>,
        created_at: i64,
    },
    /// Signed changes.
    Changes(Vec<SignedChange>),
    /// Ends a bundle, so a cut-off file is detected.
    BundleEnd { changes: u32, digest: [u8; 32] },
    /// One step of the live sync protocol: an automerge sync message (heads, needs and
    /// Bloom filters). It never carries changes itself: those travel, signed, in the
    /// `Changes` frames sent just before it.
    Sync { message: Vec<u8> },
    /// A peer introduces itself at the start of a conversation (its current addresses,
    /// as the network layer encodes them).
    Hello { payload: Vec<u8> },
    /// Pairing: the joiner proves the invite's one-time secret and hands over its card.
    PairRequest { secret: [u8; 16], card: String },
    /// Pairing accepted: the inviter's card; the couple's document follows as a bundle.
    PairAccept { card: String },
    /// Closing words: why a peer is ending the conversation.
    Goodbye { reason: String },
}

mod kind {
    pub const BUNDLE_HEADER: u8 = 1;
    pub const CHANGES: u8 = 2;
    pub const BUNDLE_END: u8 = 3;
    pub const SYNC: u8 = 4;
    pub const GOODBYE: u8 = 5;
    pub const HELLO: u8 = 6;
    pub const PAIR_REQUEST: u8 = 7;
    pub const PAIR_ACCEPT: u8 = 8;
}

impl Frame {
    /// Encodes the frame with its length prefix.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        let kind = match self {
            Frame::BundleHeader {
                doc,
                sender,
                sender_heads,
                created_at,
            } => {
                body.extend_from_slice(&doc.0);
                body.extend_from_slice(sender.as_bytes());
                body.extend_from_slice(&created_at.to_le_bytes());
                put_heads(&mut body, sender_heads);
                kind::BUNDLE_HEADER
            }
            Frame::Changes(changes) => {
                body.extend_from_slice(&(changes.len() as u32).to_le_bytes());
                for c in changes {
                    body.extend_from_slice(&c.signature.to_bytes());
                    body.extend_from_slice(&(c.bytes.len() as u32).to_le_bytes());
                    body.extend_from_slice(&c.bytes);
                }
                kind::CHANGES
            }
            Frame::BundleEnd { changes, digest } => {
                body.extend_from_slice(&changes.to_le_bytes());
                body.extend_from_slice(digest);
                kind::BUNDLE_END
            }
            Frame::Sync { message } => {
                body.extend_from_slice(message);
                kind::SYNC
            }
            Frame::Hello { payload } => {
                body.extend_from_slice(payload);
                kind::HELLO
            }
            Frame::PairRequest { secret, card } => {
                body.extend_from_slice(secret);
                body.extend_from_slice(card.as_bytes());
                kind::PAIR_REQUEST
            }
            Frame::PairAccept { card } => {
                body.extend_from_slice(card.as_bytes());
                kind::PAIR_ACCEPT
            }
            Frame::Goodbye { reason } => {
                body.extend_from_slice(reason.as_bytes());
                kind::GOODBYE
            }
        };
        let len = body.len() + 2;
        let mut out = Vec::with_capacity(len + 4);
        out.extend_from_slice(&(len as u32).to_le_bytes());
        out.push(FRAME_VERSION);
        out.push(kind);
        out.extend_from_slice(&body);
        out
    }

    /// Reads the length prefix of a frame and checks it against the cap.
    pub fn declared_len(prefix: [u8; 4]) -> Result<usize, FrameError> {
        Self::declared_len_within(prefix, MAX_FRAME_LEN)
    }

    /// Reads the length prefix of a frame and checks it against `max`.
    pub fn declared_len_within(prefix: [u8; 4], max: usize) -> Result<usize, FrameError> {
        let len = u32::from_le_bytes(prefix) as usize;
        if len > max {
            return Err(FrameError::TooLarge { len, max });
        }
        if len < 2 {
            return Err(FrameError::Malformed(
                "a frame too short to hold its kind".into(),
            ));
        }
        Ok(len)
    }

    /// Decodes a frame from the bytes after its length prefix.
    pub fn decode_after_len(data: &[u8]) -> Result<Frame, FrameError> {
        let mut r = Reader::new(data);
        let version = r.u8()?;
        if version != FRAME_VERSION {
            return Err(FrameError::UnknownVersion(version));
        }
        let kind = r.u8()?;
        let frame = match kind {
            kind::BUNDLE_HEADER => Frame::BundleHeader {
                doc: DocId(r.array()?),
                sender: PartnerKey(r.array()?),
                created_at: i64::from_le_bytes(r.array()?),
                sender_heads: r.heads()?,
            },
            kind::CHANGES => {
                let count = r.u32()? as usize;
                let mut changes = Vec::with_capacity(count.min(4096));
                for _ in 0..count {
                    let sig = r.take(96)?;
                    let signature = ChangeSignature::from_bytes(sig)
                        .ok_or_else(|| FrameError::Malformed("bad signature field".into()))?;
                    let len = r.u32()? as usize;
                    let bytes = r.take(len)?.to_vec();
                    changes.push(SignedChange { bytes, signature });
                }
                Frame::Changes(changes)
            }
            kind::BUNDLE_END => Frame::BundleEnd {
                changes: r.u32()?,
                digest: r.array()?,
            },
            kind::SYNC => Frame::Sync {
                message: r.rest().to_vec(),
            },
            kind::HELLO => Frame::Hello {
                payload: r.rest().to_vec(),
            },
            kind::PAIR_REQUEST => Frame::PairRequest {
                secret: r.array()?,
                card: r.text()?,
            },
            kind::PAIR_ACCEPT => Frame::PairAccept { card: r.text()? },
            kind::GOODBYE => Frame::Goodbye {
                reason: String::from_utf8_lossy(r.rest())
                    .chars()
                    .take(500)
                    .collect(),
            },
            other => return Err(FrameError::UnknownKind(other)),
        };
        if r.remaining() != 0 {
            return Err(FrameError::Malformed(format!(
                "{} unexpected bytes after the frame's contents",
                r.remaining()
            )));
        }
        Ok(frame)
    }

    /// Decodes one frame from the front of `input`, returning it and the rest.
    pub fn decode(input: &[u8]) -> Result<(Frame, &[u8]), FrameError> {
        let prefix: [u8; 4] = input
            .get(..4)
            .and_then(|p| p.try_into().ok())
            .ok_or(FrameError::Truncated)?;
        let len = Frame::declared_len(prefix)?;
        let body = input.get(4..4 + len).ok_or(FrameError::Truncated)?;
        Ok((Frame::decode_after_len(body)?, &input[4 + len..]))
    }
}

/// Bundle files pack changes into frames of about this many bytes.
pub const BUNDLE_CHUNK_BYTES: usize = 4 * 1024 * 1024;
/// The network sends smaller frames: each is verified and stored as it arrives, so a
/// connection lost mid-way keeps what already came, and progress can be shown.
pub const SYNC_CHUNK_BYTES: usize = 256 * 1024;

/// Packs signed changes into `Changes` frames of at most about `max_bytes` each, in order.
pub fn changes_frames(changes: Vec<SignedChange>, max_bytes: usize) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut chunk: Vec<SignedChange> = Vec::new();
    let mut chunk_bytes = 0;
    for change in changes {
        let size = change.bytes.len() + 104;
        if !chunk.is_empty() && chunk_bytes + size > max_bytes {
            frames.push(Frame::Changes(std::mem::take(&mut chunk)));
            chunk_bytes = 0;
        }
        chunk_bytes += size;
        chunk.push(change);
    }
    if !chunk.is_empty() {
        frames.push(Frame::Changes(chunk));
    }
    frames
}

fn put_heads(out: &mut Vec<u8>, heads: &[ChangeHash]) {
    out.extend_from_slice(&(heads.len() as u16).to_le_bytes());
    for h in heads {
        out.extend_from_slice(&h.0);
    }
}

/// A cursor that turns every short read into [`FrameError::Malformed`].
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        if n > self.remaining() {
            return Err(FrameError::Malformed(format!(
                "a field of {n} bytes runs past the end of its frame"
            )));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn rest(&mut self) -> &'a [u8] {
        let out = &self.data[self.pos..];
        self.pos = self.data.len();
        out
    }

    fn text(&mut self) -> Result<String, FrameError> {
        String::from_utf8(self.rest().to_vec())
            .map_err(|_| FrameError::Malformed("text that is not UTF-8".into()))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], FrameError> {
        let bytes = self.take(N)?;
        bytes
            .try_into()
            .map_err(|_| FrameError::Malformed("short field".into()))
    }

    fn u8(&mut self) -> Result<u8, FrameError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, FrameError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn heads(&mut self) -> Result<Vec<ChangeHash>, FrameError> {
        let count = u16::from_le_bytes(self.array()?) as usize;
        if count > MAX_HEADS {
            return Err(FrameError::Malformed(format!("{count} heads is too many")));
        }
        (0..count).map(|_| Ok(ChangeHash(self.array()?))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_frames() -> Vec<Frame> {
        let sig = ChangeSignature {
            signer: PartnerKey([1; 32]),
            signature: [2; 64],
        };
        vec![
            Frame::BundleHeader {
                doc: DocId([3; 16]),
                sender: PartnerKey([4; 32]),
                sender_heads: vec![ChangeHash([5; 32]), ChangeHash([6; 32])],
                created_at: -7,
            },
            Frame::Changes(vec![
                SignedChange {
                    bytes: vec![8, 9, 10],
                    signature: sig,
                },
                SignedChange {
                    bytes: vec![],
                    signature: sig,
                },
            ]),
            Frame::BundleEnd {
                changes: 2,
                digest: [11; 32],
            },
            Frame::Sync {
                message: vec![12; 40],
            },
            Frame::Hello {
                payload: b"{}".to_vec(),
            },
            Frame::PairRequest {
                secret: [14; 16],
                card: "{\"name\": \"Sam\"}".into(),
            },
            Frame::PairAccept {
                card: "card".into(),
            },
            Frame::Goodbye {
                reason: "bye".into(),
            },
        ]
    }

    #[test]
    fn frames_round_trip() {
        let mut all = Vec::new();
        for f in sample_frames() {
            all.extend(f.encode());
        }
        let mut rest = all.as_slice();
        for expected in sample_frames() {
            let (got, r) = Frame::decode(rest).unwrap();
            assert_eq!(got, expected);
            rest = r;
        }
        assert!(rest.is_empty());
    }

    #[test]
    fn every_truncation_is_an_error() {
        for f in sample_frames() {
            let bytes = f.encode();
            for cut in 0..bytes.len() {
                assert!(
                    Frame::decode(&bytes[..cut]).is_err(),
                    "cut at {cut} of {f:?}"
                );
            }
        }
    }

    #[test]
    fn oversize_and_unknown_frames_are_refused() {
        let mut huge = ((MAX_FRAME_LEN + 1) as u32).to_le_bytes().to_vec();
        huge.extend([1, 1]);
        assert!(matches!(
            Frame::decode(&huge),
            Err(FrameError::TooLarge { .. })
        ));

        let mut bytes = sample_frames()[7].encode();
        bytes[4] = 9;
        assert_eq!(Frame::decode(&bytes), Err(FrameError::UnknownVersion(9)));
        bytes[4] = FRAME_VERSION;
        bytes[5] = 99;
        assert_eq!(Frame::decode(&bytes), Err(FrameError::UnknownKind(99)));

        // A length that claims more entries than the frame holds.
        let mut changes = sample_frames()[1].encode();
        changes[6] = 200;
        assert!(matches!(
            Frame::decode(&changes),
            Err(FrameError::Malformed(_))
        ));

        // Trailing bytes inside a frame are refused, not ignored.
        let mut end = sample_frames()[2].encode();
        end.push(0);
        let len = (end.len() - 4) as u32;
        end[..4].copy_from_slice(&len.to_le_bytes());
        assert!(matches!(Frame::decode(&end), Err(FrameError::Malformed(_))));
    }
}
