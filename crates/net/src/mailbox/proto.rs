//! The mailbox's messages.
//!
//! ```text
//! frame    = length: u32 LE (of what follows) || version: u8 || kind: u8 || body
//! request  = Register(secret:16, me: member, partner: member) | Deposit(len: u64)
//!          | PickUp | Acknowledge(ids) | Status | ForgetExpired(ids) | Leave
//!          | Chunk(bytes)                       (a deposit's envelope, after Ready)
//! reply    = Done | Ready | Deposited(id: u64) | Envelope(id: u64, len: u64) | End
//!          | Status(status) | Refused(refusal)
//!          | Chunk(bytes)                       (a picked-up envelope, after Envelope)
//! member   = identity:32 | device:32 | certificate:64
//! ids      = count: u32 | count × u64
//! status   = ids (waiting for partner) | waiting for me: u64 | ids (expired) | used: u64 | quota: u64
//! refusal  = 1 NotMember | 2 CodeClosed | 3 Full(used: u64, quota: u64)
//!          | 4 TooLarge(len: u64, max: u64) | 5 Other(UTF-8 sentence)
//! ```
//! Every body is parsed exactly: trailing or missing bytes are an error, never ignored.

use crate::error::NetError;

use super::limits::MAX_IDS;
use super::member::Member;

/// The only version of these messages this build speaks.
pub const VERSION: u8 = 1;

mod kind {
    pub const REGISTER: u8 = 1;
    pub const DEPOSIT: u8 = 2;
    pub const PICK_UP: u8 = 3;
    pub const ACKNOWLEDGE: u8 = 4;
    pub const STATUS: u8 = 5;
    pub const FORGET_EXPIRED: u8 = 6;
    pub const LEAVE: u8 = 7;
    pub const DONE: u8 = 16;
    pub const READY: u8 = 17;
    pub const DEPOSITED: u8 = 18;
    pub const ENVELOPE: u8 = 19;
    pub const END: u8 = 20;
    pub const STATUS_REPLY: u8 = 21;
    pub const REFUSED: u8 = 22;
    pub const CHUNK: u8 = 32;
}

/// What a member (or a registering device) asks.
// One request lives per stream, briefly: boxing the registration's members would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Register {
        secret: [u8; 16],
        me: Member,
        partner: Member,
    },
    /// Announces an envelope of `len` bytes; its chunks follow once the mailbox is `Ready`.
    Deposit {
        len: u64,
    },
    PickUp,
    Acknowledge {
        ids: Vec<u64>,
    },
    Status,
    ForgetExpired {
        ids: Vec<u64>,
    },
    Leave,
    Chunk(Vec<u8>),
}

/// What the mailbox answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Done,
    /// The mailbox has room for the announced envelope: send it.
    Ready,
    /// The envelope is durably stored under this id.
    Deposited {
        id: u64,
    },
    /// A waiting envelope of `len` bytes; its chunks follow.
    Envelope {
        id: u64,
        len: u64,
    },
    /// No more envelopes in this pick-up.
    End,
    Status(MailboxStatus),
    Refused(Refusal),
    Chunk(Vec<u8>),
}

/// What waits at the mailbox, as one member sees it. Only about data, never about a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxStatus {
    /// My deposits my partner has not acknowledged yet.
    pub waiting_for_partner: Vec<u64>,
    /// Envelopes waiting for me.
    pub waiting_for_me: usize,
    /// My deposits that expired before my partner picked them up.
    pub expired: Vec<u64>,
    /// What the couple's envelopes take up (including deposits under way).
    pub used_bytes: u64,
    pub quota_bytes: u64,
}

/// Why the mailbox said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotMember,
    CodeClosed,
    Full {
        used: u64,
        quota: u64,
    },
    TooLarge {
        len: u64,
        max: u64,
    },
    /// A plain sentence from the mailbox.
    Other(String),
}

impl Refusal {
    pub fn into_error(self) -> NetError {
        match self {
            Refusal::NotMember => NetError::MailboxNotMember,
            Refusal::CodeClosed => NetError::MailboxCodeClosed,
            Refusal::Full { used, quota } => NetError::MailboxFull { used, quota },
            Refusal::TooLarge { len, max } => NetError::MailboxTooLarge { len, max },
            Refusal::Other(why) => NetError::MailboxRefused(why),
        }
    }
}

/// The longest sentence a refusal carries.
const MAX_REASON: usize = 500;

fn framed(kind: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len() + 2;
    let mut out = Vec::with_capacity(len + 4);
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.push(VERSION);
    out.push(kind);
    out.extend_from_slice(body);
    out
}

fn put_ids(out: &mut Vec<u8>, ids: &[u64]) {
    let ids = &ids[..ids.len().min(MAX_IDS)];
    out.extend_from_slice(&(ids.len() as u32).to_le_bytes());
    for id in ids {
        out.extend_from_slice(&id.to_le_bytes());
    }
}

/// Splits a frame's body (after its length) into kind and contents, checking the version.
fn open(frame: &[u8]) -> Result<(u8, Cursor<'_>), NetError> {
    let mut c = Cursor(frame);
    let version = c.u8()?;
    if version != VERSION {
        return Err(NetError::Protocol(format!(
            "the mailbox speaks version {version} of its protocol and this Trellis version {VERSION}; update the older one"
        )));
    }
    Ok((c.u8()?, c))
}

impl Request {
    /// The whole frame, length prefix included.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        let kind = match self {
            Request::Register {
                secret,
                me,
                partner,
            } => {
                body.extend_from_slice(secret);
                body.extend_from_slice(&me.to_bytes());
                body.extend_from_slice(&partner.to_bytes());
                kind::REGISTER
            }
            Request::Deposit { len } => {
                body.extend_from_slice(&len.to_le_bytes());
                kind::DEPOSIT
            }
            Request::PickUp => kind::PICK_UP,
            Request::Acknowledge { ids } => {
                put_ids(&mut body, ids);
                kind::ACKNOWLEDGE
            }
            Request::Status => kind::STATUS,
            Request::ForgetExpired { ids } => {
                put_ids(&mut body, ids);
                kind::FORGET_EXPIRED
            }
            Request::Leave => kind::LEAVE,
            Request::Chunk(bytes) => return framed(kind::CHUNK, bytes),
        };
        framed(kind, &body)
    }

    /// Parses a frame's body (everything after its length prefix).
    pub fn decode(frame: &[u8]) -> Result<Self, NetError> {
        let (kind, mut c) = open(frame)?;
        let request = match kind {
            kind::REGISTER => Request::Register {
                secret: c.array()?,
                me: c.member()?,
                partner: c.member()?,
            },
            kind::DEPOSIT => Request::Deposit { len: c.u64()? },
            kind::PICK_UP => Request::PickUp,
            kind::ACKNOWLEDGE => Request::Acknowledge { ids: c.ids()? },
            kind::STATUS => Request::Status,
            kind::FORGET_EXPIRED => Request::ForgetExpired { ids: c.ids()? },
            kind::LEAVE => Request::Leave,
            kind::CHUNK => Request::Chunk(c.rest().to_vec()),
            other => return Err(unknown(other)),
        };
        c.end()?;
        Ok(request)
    }
}

impl Reply {
    /// The whole frame, length prefix included.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        let kind = match self {
            Reply::Done => kind::DONE,
            Reply::Ready => kind::READY,
            Reply::Deposited { id } => {
                body.extend_from_slice(&id.to_le_bytes());
                kind::DEPOSITED
            }
            Reply::Envelope { id, len } => {
                body.extend_from_slice(&id.to_le_bytes());
                body.extend_from_slice(&len.to_le_bytes());
                kind::ENVELOPE
            }
            Reply::End => kind::END,
            Reply::Status(status) => {
                put_ids(&mut body, &status.waiting_for_partner);
                body.extend_from_slice(&(status.waiting_for_me as u64).to_le_bytes());
                put_ids(&mut body, &status.expired);
                body.extend_from_slice(&status.used_bytes.to_le_bytes());
                body.extend_from_slice(&status.quota_bytes.to_le_bytes());
                kind::STATUS_REPLY
            }
            Reply::Refused(refusal) => {
                match refusal {
                    Refusal::NotMember => body.push(1),
                    Refusal::CodeClosed => body.push(2),
                    Refusal::Full { used, quota } => {
                        body.push(3);
                        body.extend_from_slice(&used.to_le_bytes());
                        body.extend_from_slice(&quota.to_le_bytes());
                    }
                    Refusal::TooLarge { len, max } => {
                        body.push(4);
                        body.extend_from_slice(&len.to_le_bytes());
                        body.extend_from_slice(&max.to_le_bytes());
                    }
                    Refusal::Other(why) => {
                        body.push(5);
                        let why: String = why.chars().take(MAX_REASON).collect();
                        body.extend_from_slice(why.as_bytes());
                    }
                }
                kind::REFUSED
            }
            Reply::Chunk(bytes) => return framed(kind::CHUNK, bytes),
        };
        framed(kind, &body)
    }

    /// Parses a frame's body (everything after its length prefix).
    pub fn decode(frame: &[u8]) -> Result<Self, NetError> {
        let (kind, mut c) = open(frame)?;
        let reply = match kind {
            kind::DONE => Reply::Done,
            kind::READY => Reply::Ready,
            kind::DEPOSITED => Reply::Deposited { id: c.u64()? },
            kind::ENVELOPE => Reply::Envelope {
                id: c.u64()?,
                len: c.u64()?,
            },
            kind::END => Reply::End,
            kind::STATUS_REPLY => Reply::Status(MailboxStatus {
                waiting_for_partner: c.ids()?,
                waiting_for_me: usize::try_from(c.u64()?).unwrap_or(usize::MAX),
                expired: c.ids()?,
                used_bytes: c.u64()?,
                quota_bytes: c.u64()?,
            }),
            kind::REFUSED => Reply::Refused(match c.u8()? {
                1 => Refusal::NotMember,
                2 => Refusal::CodeClosed,
                3 => Refusal::Full {
                    used: c.u64()?,
                    quota: c.u64()?,
                },
                4 => Refusal::TooLarge {
                    len: c.u64()?,
                    max: c.u64()?,
                },
                5 => Refusal::Other(
                    String::from_utf8_lossy(c.rest())
                        .chars()
                        .take(MAX_REASON)
                        .collect(),
                ),
                other => return Err(malformed(&format!("unknown refusal {other}"))),
            }),
            kind::CHUNK => Reply::Chunk(c.rest().to_vec()),
            other => return Err(unknown(other)),
        };
        c.end()?;
        Ok(reply)
    }
}

fn unknown(kind: u8) -> NetError {
    NetError::Protocol(format!("unknown mailbox message {kind}"))
}

fn malformed(what: &str) -> NetError {
    NetError::Protocol(format!("a malformed mailbox message: {what}"))
}

/// Reads a body front to back; every short read is an error.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], NetError> {
        if n > self.0.len() {
            return Err(malformed("it ends early"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], NetError> {
        self.take(N)?
            .try_into()
            .map_err(|_| malformed("a short field"))
    }

    fn u8(&mut self) -> Result<u8, NetError> {
        Ok(self.array::<1>()?[0])
    }

    fn u64(&mut self) -> Result<u64, NetError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn member(&mut self) -> Result<Member, NetError> {
        Member::from_bytes(self.take(Member::LEN)?).ok_or_else(|| malformed("a member"))
    }

    fn ids(&mut self) -> Result<Vec<u64>, NetError> {
        let count = u32::from_le_bytes(self.array()?) as usize;
        if count > MAX_IDS {
            return Err(malformed(&format!("{count} ids is too many")));
        }
        (0..count).map(|_| self.u64()).collect()
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }

    fn end(&self) -> Result<(), NetError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(malformed("unexpected bytes after its contents"))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use trellis_core::PartnerKey;

    use super::*;

    fn member(n: u8) -> Member {
        Member {
            identity: PartnerKey([n; 32]),
            device: [n + 1; 32],
            device_certificate: [n + 2; 64],
        }
    }

    fn requests() -> Vec<Request> {
        vec![
            Request::Register {
                secret: [1; 16],
                me: member(2),
                partner: member(5),
            },
            Request::Deposit { len: 1 << 40 },
            Request::PickUp,
            Request::Acknowledge { ids: vec![1, 2, 3] },
            Request::Status,
            Request::ForgetExpired { ids: vec![] },
            Request::Leave,
            Request::Chunk(vec![9; 100]),
        ]
    }

    fn replies() -> Vec<Reply> {
        vec![
            Reply::Done,
            Reply::Ready,
            Reply::Deposited { id: 7 },
            Reply::Envelope { id: 8, len: 9 },
            Reply::End,
            Reply::Status(MailboxStatus {
                waiting_for_partner: vec![4, 5],
                waiting_for_me: 3,
                expired: vec![1],
                used_bytes: 10,
                quota_bytes: 20,
            }),
            Reply::Refused(Refusal::NotMember),
            Reply::Refused(Refusal::CodeClosed),
            Reply::Refused(Refusal::Full { used: 1, quota: 2 }),
            Reply::Refused(Refusal::TooLarge { len: 3, max: 2 }),
            Reply::Refused(Refusal::Other("no room at the inn".into())),
            Reply::Chunk(vec![]),
        ]
    }

    #[test]
    fn messages_round_trip() {
        for r in requests() {
            let bytes = r.encode();
            assert_eq!(
                u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize,
                bytes.len() - 4
            );
            assert_eq!(Request::decode(&bytes[4..]).unwrap(), r);
        }
        for r in replies() {
            assert_eq!(Reply::decode(&r.encode()[4..]).unwrap(), r);
        }
    }

    #[test]
    fn every_cut_and_every_extra_byte_is_refused_without_a_panic() {
        let frames: Vec<Vec<u8>> = requests()
            .iter()
            .map(Request::encode)
            .chain(replies().iter().map(Reply::encode))
            .collect();
        for frame in frames {
            let body = &frame[4..];
            // Chunks and sentences take the rest, so only their heads can be cut.
            for cut in 0..body.len() {
                let _ = Request::decode(&body[..cut]);
                let _ = Reply::decode(&body[..cut]);
            }
            let mut longer = body.to_vec();
            longer.push(0);
            if !matches!(body[1], kind::CHUNK | kind::REFUSED) {
                assert!(Request::decode(&longer).is_err() && Reply::decode(&longer).is_err());
            }
        }
        assert!(Request::decode(&[]).is_err());
        assert!(Request::decode(&[VERSION + 1, kind::STATUS]).is_err());
        assert!(Request::decode(&[VERSION, 99]).is_err());
        assert!(Reply::decode(&[VERSION, kind::REGISTER]).is_err());
        let mut too_many = vec![VERSION, kind::ACKNOWLEDGE];
        too_many.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(Request::decode(&too_many).is_err());
    }
}
