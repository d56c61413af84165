//! Couples and the codes that register them.

use redb::{Durability, ReadableTable};
use sha2::{Digest, Sha256};
use trellis_core::PartnerKey;
use trellis_net::mailbox::{Member, Refusal};

use super::{CHUNKS, CODES, COUPLES, ENVELOPES, EXPIRED, PENDING, Store};
use crate::error::MailboxError;

/// A couple's id at the mailbox: derived from both identity keys, so registering again
/// finds the same couple.
pub(crate) type CoupleId = u128;
/// Which of a couple's two members: 0 or 1, in the order of their identity keys.
pub(crate) type Slot = u8;

/// Hash input only: keeps couple ids apart from every other digest of the same keys.
const COUPLE_DOMAIN: &[u8] = b"trellis/v1/mailbox-couple";
/// Wrong secrets tolerated before a code is closed.
const MAX_WRONG: u32 = 5;
/// The version of a stored couple record.
const RECORD_VERSION: u8 = 1;
const RECORD_LEN: usize = 1 + 2 * Member::LEN + 8 + 8;

/// A registered couple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Couple {
    pub id: CoupleId,
    /// Ordered by identity key: index = [`Slot`].
    pub members: [Member; 2],
    /// The next envelope's id (ids are per couple, so no couple learns of another's traffic).
    pub next_id: u64,
    /// What the couple's stored envelopes take up.
    pub used: u64,
}

pub(crate) fn couple_id(a: &PartnerKey, b: &PartnerKey) -> CoupleId {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    let digest = Sha256::new()
        .chain_update(COUPLE_DOMAIN)
        .chain_update(low.as_bytes())
        .chain_update(high.as_bytes())
        .finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_le_bytes(first)
}

impl Couple {
    fn new(a: Member, b: Member) -> Self {
        let members = if a.identity <= b.identity {
            [a, b]
        } else {
            [b, a]
        };
        Self {
            id: couple_id(&a.identity, &b.identity),
            members,
            next_id: 1,
            used: 0,
        }
    }

    pub(crate) fn slot_of(&self, device: &[u8; 32]) -> Option<Slot> {
        (0..2u8).find(|&s| self.members[usize::from(s)].device == *device)
    }

    pub(crate) fn other(slot: Slot) -> Slot {
        1 - slot.min(1)
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(RECORD_LEN);
        out.push(RECORD_VERSION);
        for m in &self.members {
            out.extend_from_slice(&m.to_bytes());
        }
        out.extend_from_slice(&self.next_id.to_le_bytes());
        out.extend_from_slice(&self.used.to_le_bytes());
        out
    }

    fn decode(id: CoupleId, bytes: &[u8]) -> Result<Self, redb::Error> {
        let bad = || redb::Error::Corrupted(format!("couple record {id:032x} cannot be read"));
        if bytes.len() != RECORD_LEN || bytes[0] != RECORD_VERSION {
            return Err(bad());
        }
        let member = |at: usize| Member::from_bytes(&bytes[at..at + Member::LEN]).ok_or_else(bad);
        let number = |at: usize| -> Result<u64, redb::Error> {
            Ok(u64::from_le_bytes(
                bytes[at..at + 8].try_into().map_err(|_| bad())?,
            ))
        };
        let end = 1 + 2 * Member::LEN;
        Ok(Self {
            id,
            members: [member(1)?, member(1 + Member::LEN)?],
            next_id: number(end)?,
            used: number(end + 8)?,
        })
    }
}

pub(super) fn read_couple(
    table: &impl ReadableTable<u128, &'static [u8]>,
    id: CoupleId,
) -> Result<Option<Couple>, redb::Error> {
    match table.get(id)? {
        Some(v) => Couple::decode(id, v.value()).map(Some),
        None => Ok(None),
    }
}

pub(super) fn write_couple(
    table: &mut redb::Table<u128, &'static [u8]>,
    couple: &Couple,
) -> Result<(), redb::Error> {
    table.insert(couple.id, couple.encode().as_slice())?;
    Ok(())
}

fn code_key(secret: &[u8; 16]) -> u128 {
    u128::from_le_bytes(*secret)
}

impl Store {
    pub(crate) fn add_code(&self, secret: &[u8; 16], expires_at: i64) -> Result<(), MailboxError> {
        self.write(Durability::Immediate, |tx| {
            tx.open_table(CODES)?
                .insert(code_key(secret), (expires_at, 0u32))?;
            Ok(())
        })
    }

    /// Every code not yet used up, with its expiry (expired ones are swept separately).
    pub(crate) fn codes(&self) -> Result<Vec<([u8; 16], i64)>, MailboxError> {
        self.read(|tx| {
            let table = tx.open_table(CODES)?;
            let mut out = Vec::new();
            for entry in table.iter()? {
                let (k, v) = entry?;
                out.push((k.value().to_le_bytes(), v.value().0));
            }
            Ok(out)
        })
    }

    /// Counts a wrong secret against the code; the code closes after a few.
    pub(crate) fn wrong_secret(&self, secret: &[u8; 16]) -> Result<(), MailboxError> {
        self.write(Durability::Immediate, |tx| {
            let mut table = tx.open_table(CODES)?;
            let Some((expires_at, wrong)) = table.get(code_key(secret))?.map(|v| v.value()) else {
                return Ok(());
            };
            if wrong + 1 >= MAX_WRONG {
                table.remove(code_key(secret))?;
            } else {
                table.insert(code_key(secret), (expires_at, wrong + 1))?;
            }
            Ok(())
        })
    }

    /// Uses the code to register (or re-register) a couple, in one commit.
    pub(crate) fn register(
        &self,
        secret: &[u8; 16],
        now: i64,
        me: Member,
        partner: Member,
    ) -> Result<Result<Couple, Refusal>, MailboxError> {
        self.write(Durability::Immediate, |tx| {
            let mut codes = tx.open_table(CODES)?;
            let Some((expires_at, _)) = codes.get(code_key(secret))?.map(|v| v.value()) else {
                return Ok(Err(Refusal::CodeClosed));
            };
            if expires_at < now {
                codes.remove(code_key(secret))?;
                return Ok(Err(Refusal::CodeClosed));
            }
            let fresh = Couple::new(me, partner);
            let mut couples = tx.open_table(COUPLES)?;
            for entry in couples.iter()? {
                let (k, v) = entry?;
                let other = Couple::decode(k.value(), v.value())?;
                if other.id != fresh.id
                    && (other.slot_of(&me.device).is_some()
                        || other.slot_of(&partner.device).is_some())
                {
                    return Ok(Err(Refusal::Other(
                        "one of these devices already uses this mailbox with another partner; \
                         that couple must leave it first"
                            .into(),
                    )));
                }
            }
            codes.remove(code_key(secret))?;
            let couple = match read_couple(&couples, fresh.id)? {
                // Registered before: new devices, the same envelopes.
                Some(old) => Couple {
                    members: fresh.members,
                    ..old
                },
                None => fresh,
            };
            write_couple(&mut couples, &couple)?;
            Ok(Ok(couple))
        })
    }

    pub(crate) fn couples(&self) -> Result<Vec<Couple>, MailboxError> {
        self.read(|tx| {
            let table = tx.open_table(COUPLES)?;
            let mut out = Vec::new();
            for entry in table.iter()? {
                let (k, v) = entry?;
                out.push(Couple::decode(k.value(), v.value())?);
            }
            Ok(out)
        })
    }

    pub(crate) fn couple(&self, id: CoupleId) -> Result<Option<Couple>, MailboxError> {
        self.read(|tx| read_couple(&tx.open_table(COUPLES)?, id))
    }

    /// Removes the couple and everything it left here.
    pub(crate) fn leave(&self, id: CoupleId) -> Result<(), MailboxError> {
        self.write(Durability::Immediate, |tx| {
            tx.open_table(COUPLES)?.remove(id)?;
            tx.open_table(ENVELOPES)?
                .retain_in((id, 0u8, 0u64)..=(id, u8::MAX, u64::MAX), |_, _| false)?;
            tx.open_table(CHUNKS)?
                .retain_in((id, 0u64, 0u32)..=(id, u64::MAX, u32::MAX), |_, _| false)?;
            tx.open_table(PENDING)?
                .retain_in((id, 0u64)..=(id, u64::MAX), |_, _| false)?;
            tx.open_table(EXPIRED)?
                .retain_in((id, 0u8, 0u64)..=(id, u8::MAX, u64::MAX), |_, _| false)?;
            Ok(())
        })
    }
}
