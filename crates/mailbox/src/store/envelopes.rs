//! Envelopes: deposited in chunks, picked up, acknowledged, or expired into a notice.

use std::collections::BTreeMap;

use redb::{Durability, ReadableTable};
use trellis_net::mailbox::limits::MAX_IDS;

use super::couples::{CoupleId, Slot, read_couple, write_couple};
use super::{CHUNKS, CODES, COUPLES, ENVELOPES, EXPIRED, PENDING, Store};
use crate::error::MailboxError;
use crate::store::Couple;

/// An envelope waiting for pick-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Waiting {
    pub id: u64,
    pub len: u64,
    pub chunks: u32,
}

/// What one member's status shows (before the mailbox adds deposits under way).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Status {
    pub waiting_for_partner: Vec<u64>,
    pub waiting_for_me: usize,
    pub expired: Vec<u64>,
    pub used: u64,
}

fn remove_chunks(
    chunks: &mut redb::Table<(u128, u64, u32), &'static [u8]>,
    couple: CoupleId,
    id: u64,
) -> Result<(), redb::Error> {
    chunks.retain_in((couple, id, 0u32)..=(couple, id, u32::MAX), |_, _| false)?;
    Ok(())
}

/// Ids in a range of a table keyed (couple, slot, id), oldest first, at most [`MAX_IDS`].
fn ids<V: redb::Value + 'static>(
    table: &impl ReadableTable<(u128, u8, u64), V>,
    couple: CoupleId,
    slot: Slot,
) -> Result<Vec<u64>, redb::Error> {
    let mut out = Vec::new();
    for entry in table
        .range((couple, slot, 0u64)..=(couple, slot, u64::MAX))?
        .take(MAX_IDS)
    {
        out.push(entry?.0.value().2);
    }
    Ok(out)
}

impl Store {
    /// What the couple's stored envelopes take up; `None` once the couple has left.
    pub(crate) fn used(&self, couple: CoupleId) -> Result<Option<u64>, MailboxError> {
        Ok(self.couple(couple)?.map(|c| c.used))
    }

    pub(crate) fn count_waiting(
        &self,
        couple: CoupleId,
        recipient: Slot,
    ) -> Result<usize, MailboxError> {
        self.read(|tx| {
            let table = tx.open_table(ENVELOPES)?;
            let range = table.range((couple, recipient, 0u64)..=(couple, recipient, u64::MAX))?;
            Ok(range.count())
        })
    }

    /// Gives a deposit its id and marks it pending; `None` once the couple has left.
    pub(crate) fn begin_deposit(
        &self,
        couple: CoupleId,
        recipient: Slot,
    ) -> Result<Option<u64>, MailboxError> {
        self.write(Durability::None, |tx| {
            let mut couples = tx.open_table(COUPLES)?;
            let Some(mut record) = read_couple(&couples, couple)? else {
                return Ok(None);
            };
            let id = record.next_id;
            record.next_id = id.saturating_add(1);
            write_couple(&mut couples, &record)?;
            tx.open_table(PENDING)?.insert((couple, id), recipient)?;
            Ok(Some(id))
        })
    }

    /// Stores one chunk of a pending deposit (not yet durably: see the module's notes).
    pub(crate) fn put_chunk(
        &self,
        couple: CoupleId,
        id: u64,
        index: u32,
        bytes: &[u8],
    ) -> Result<(), MailboxError> {
        self.write(Durability::None, |tx| {
            tx.open_table(CHUNKS)?.insert((couple, id, index), bytes)?;
            Ok(())
        })
    }

    /// Makes a whole deposit visible to its recipient, durably. False if the couple left
    /// meanwhile (its chunks are then removed).
    pub(crate) fn finish_deposit(
        &self,
        couple: CoupleId,
        recipient: Slot,
        envelope: Waiting,
        now: i64,
    ) -> Result<bool, MailboxError> {
        self.write(Durability::Immediate, |tx| {
            tx.open_table(PENDING)?.remove((couple, envelope.id))?;
            let mut couples = tx.open_table(COUPLES)?;
            let Some(mut record) = read_couple(&couples, couple)? else {
                remove_chunks(&mut tx.open_table(CHUNKS)?, couple, envelope.id)?;
                return Ok(false);
            };
            record.used = record.used.saturating_add(envelope.len);
            write_couple(&mut couples, &record)?;
            tx.open_table(ENVELOPES)?.insert(
                (couple, recipient, envelope.id),
                (envelope.len, now, envelope.chunks),
            )?;
            Ok(true)
        })
    }

    /// Drops a deposit that did not arrive whole.
    pub(crate) fn abort_deposit(&self, couple: CoupleId, id: u64) -> Result<(), MailboxError> {
        self.write(Durability::None, |tx| {
            tx.open_table(PENDING)?.remove((couple, id))?;
            remove_chunks(&mut tx.open_table(CHUNKS)?, couple, id)
        })
    }

    /// Removes what deposits cut off by the last stop left behind; returns how many.
    pub(crate) fn clear_pending(&self) -> Result<usize, MailboxError> {
        self.write(Durability::Immediate, |tx| {
            let mut pending = tx.open_table(PENDING)?;
            let mut cut = Vec::new();
            for entry in pending.iter()? {
                cut.push(entry?.0.value());
            }
            let mut chunks = tx.open_table(CHUNKS)?;
            for (couple, id) in &cut {
                remove_chunks(&mut chunks, *couple, *id)?;
                pending.remove((*couple, *id))?;
            }
            Ok(cut.len())
        })
    }

    /// Envelopes waiting for `recipient`, oldest first: at most `count`, and no more than
    /// `bytes` in all unless the first alone is larger.
    pub(crate) fn waiting(
        &self,
        couple: CoupleId,
        recipient: Slot,
        count: usize,
        bytes: u64,
    ) -> Result<Vec<Waiting>, MailboxError> {
        self.read(|tx| {
            let table = tx.open_table(ENVELOPES)?;
            let mut out = Vec::new();
            let mut total = 0u64;
            for entry in table.range((couple, recipient, 0u64)..=(couple, recipient, u64::MAX))? {
                let (k, v) = entry?;
                let (len, _, chunks) = v.value();
                if out.len() >= count || (!out.is_empty() && total.saturating_add(len) > bytes) {
                    break;
                }
                total = total.saturating_add(len);
                out.push(Waiting {
                    id: k.value().2,
                    len,
                    chunks,
                });
            }
            Ok(out)
        })
    }

    pub(crate) fn chunk(
        &self,
        couple: CoupleId,
        id: u64,
        index: u32,
    ) -> Result<Option<Vec<u8>>, MailboxError> {
        self.read(|tx| {
            Ok(tx
                .open_table(CHUNKS)?
                .get((couple, id, index))?
                .map(|v| v.value().to_vec()))
        })
    }

    /// Deletes envelopes their recipient has; ids it does not have are ignored.
    pub(crate) fn acknowledge(
        &self,
        couple: CoupleId,
        recipient: Slot,
        ids: &[u64],
    ) -> Result<(), MailboxError> {
        self.write(Durability::Immediate, |tx| {
            let mut envelopes = tx.open_table(ENVELOPES)?;
            let mut chunks = tx.open_table(CHUNKS)?;
            let mut freed = 0u64;
            for &id in ids {
                if let Some(v) = envelopes.remove((couple, recipient, id))? {
                    freed = freed.saturating_add(v.value().0);
                    drop(v);
                    remove_chunks(&mut chunks, couple, id)?;
                }
            }
            let mut couples = tx.open_table(COUPLES)?;
            if let Some(mut record) = read_couple(&couples, couple)? {
                record.used = record.used.saturating_sub(freed);
                write_couple(&mut couples, &record)?;
            }
            Ok(())
        })
    }

    pub(crate) fn status(&self, couple: CoupleId, me: Slot) -> Result<Status, MailboxError> {
        self.read(|tx| {
            let envelopes = tx.open_table(ENVELOPES)?;
            let partner = Couple::other(me);
            Ok(Status {
                waiting_for_partner: ids(&envelopes, couple, partner)?,
                waiting_for_me: envelopes
                    .range((couple, me, 0u64)..=(couple, me, u64::MAX))?
                    .count(),
                expired: ids(&tx.open_table(EXPIRED)?, couple, me)?,
                used: read_couple(&tx.open_table(COUPLES)?, couple)?.map_or(0, |c| c.used),
            })
        })
    }

    pub(crate) fn forget_expired(
        &self,
        couple: CoupleId,
        sender: Slot,
        ids: &[u64],
    ) -> Result<(), MailboxError> {
        self.write(Durability::Immediate, |tx| {
            let mut table = tx.open_table(EXPIRED)?;
            for &id in ids {
                table.remove((couple, sender, id))?;
            }
            Ok(())
        })
    }

    /// Deletes envelopes deposited before `cutoff` (each leaving a notice for its sender)
    /// and codes that expired before `now`; returns how many envelopes went.
    pub(crate) fn sweep(&self, now: i64, cutoff: i64) -> Result<usize, MailboxError> {
        self.write(Durability::Immediate, |tx| {
            let mut envelopes = tx.open_table(ENVELOPES)?;
            let mut old = Vec::new();
            for entry in envelopes.iter()? {
                let (k, v) = entry?;
                let (len, deposited_at, _) = v.value();
                if deposited_at < cutoff {
                    old.push((k.value(), len));
                }
            }
            let mut chunks = tx.open_table(CHUNKS)?;
            let mut notices = tx.open_table(EXPIRED)?;
            let mut freed: BTreeMap<CoupleId, u64> = BTreeMap::new();
            for &((couple, recipient, id), len) in &old {
                envelopes.remove((couple, recipient, id))?;
                remove_chunks(&mut chunks, couple, id)?;
                notices.insert((couple, Couple::other(recipient), id), ())?;
                let f = freed.entry(couple).or_default();
                *f = f.saturating_add(len);
            }
            let mut couples = tx.open_table(COUPLES)?;
            for (&couple, &bytes) in &freed {
                if let Some(mut record) = read_couple(&couples, couple)? {
                    record.used = record.used.saturating_sub(bytes);
                    write_couple(&mut couples, &record)?;
                }
                // A sender who never looks keeps only the latest notices.
                for sender in 0..2u8 {
                    let range = (couple, sender, 0u64)..=(couple, sender, u64::MAX);
                    let extra = notices
                        .range(range.clone())?
                        .count()
                        .saturating_sub(MAX_IDS);
                    if extra > 0 {
                        let mut seen = 0usize;
                        notices.retain_in(range, |_, _| {
                            seen += 1;
                            seen > extra
                        })?;
                    }
                }
            }
            let mut codes = tx.open_table(CODES)?;
            codes.retain(|_, (expires_at, _)| expires_at >= now)?;
            Ok(old.len())
        })
    }
}
