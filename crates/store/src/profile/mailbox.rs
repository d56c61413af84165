//! What this device has left at the couple's mailbox: which of my changes are already on
//! their way there, so each round deposits only what is new, and how many changes wait in
//! envelopes my partner has not picked up yet (data, never when they were last around).

use serde::Serialize;
use trellis_core::seal;
use trellis_core::{ChangeHash, CoreError, Moment, PartnerKey};

use super::{Profile, meta};
use crate::error::StoreError;

/// A partner's identity key, their device's id and the identity's certificate of it.
pub type CertifiedDevice = (PartnerKey, [u8; 32], [u8; 64]);

/// One sealed envelope ready to leave for the mailbox.
#[derive(Debug, Clone)]
pub struct Deposit {
    pub envelope: Vec<u8>,
    pub changes: usize,
    /// My heads when it was made: everything up to them is on its way.
    pub heads: Vec<ChangeHash>,
}

/// The honest state of my deposits, after the mailbox said which are still there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DepositState {
    /// My changes in envelopes my partner has not picked up yet.
    pub changes_waiting: usize,
    pub envelopes_waiting: usize,
    /// Envelopes that expired at the mailbox before my partner picked them up; what they
    /// held is deposited again.
    pub expired: usize,
}

/// The deposits on record: the mailbox they went to, the heads they cover, and each
/// envelope's id with its number of changes.
#[derive(Debug, Default)]
struct Ledger {
    mailbox: String,
    heads: Vec<ChangeHash>,
    envelopes: Vec<(u64, usize)>,
}

impl Ledger {
    fn decode(text: &str) -> Self {
        let mut lines = text.lines();
        let mailbox = lines.next().unwrap_or_default().to_string();
        let heads = lines
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|h| h.parse().ok())
            .collect();
        let envelopes = lines
            .filter_map(|l| {
                let (id, n) = l.split_once(' ')?;
                Some((id.parse().ok()?, n.parse().ok()?))
            })
            .collect();
        Self {
            mailbox,
            heads,
            envelopes,
        }
    }

    fn encode(&self) -> String {
        let heads: Vec<String> = self.heads.iter().map(ToString::to_string).collect();
        let mut out = format!("{}\n{}\n", self.mailbox, heads.join(" "));
        for (id, n) in &self.envelopes {
            out.push_str(&format!("{id} {n}\n"));
        }
        out
    }
}

impl Profile {
    /// The couple's mailbox address, if either of us added one.
    pub fn mailbox_address(&self, now: Moment) -> Option<String> {
        self.couple.as_ref()?.mailbox(now)
    }

    /// Each partner's identity key with their certified device (me first), from the
    /// couple's records: what a mailbox needs to let both our devices in.
    pub fn certified_devices(&self) -> Result<[CertifiedDevice; 2], StoreError> {
        let couple = self.couple.as_ref().ok_or(StoreError::NoCouple)?;
        let device_of = |key: PartnerKey| -> Result<CertifiedDevice, StoreError> {
            let (device, certificate) = couple.current_device(&key).ok_or_else(|| {
                StoreError::Core(CoreError::Invalid(format!(
                    "{}'s device certificate in the document is not usable",
                    couple.name_of(&key)
                )))
            })?;
            Ok((key, device, certificate))
        };
        Ok([device_of(couple.me())?, device_of(couple.partner())?])
    }

    fn ledger(&self, mailbox: &str) -> Result<Ledger, StoreError> {
        let ledger = self
            .db
            .meta_string(meta::MAILBOX_DEPOSITS)?
            .map(|t| Ledger::decode(&t))
            .unwrap_or_default();
        // Deposits at another mailbox do not reach my partner through this one.
        Ok(if ledger.mailbox == mailbox {
            ledger
        } else {
            Ledger {
                mailbox: mailbox.to_string(),
                ..Ledger::default()
            }
        })
    }

    fn save_ledger(&self, ledger: &Ledger) -> Result<(), StoreError> {
        self.db
            .set_meta(&[(meta::MAILBOX_DEPOSITS, ledger.encode().into_bytes())])
    }

    /// A sealed envelope of what my partner may lack and is not already on its way to
    /// `mailbox`; `None` when there is nothing new.
    pub fn envelope_for_mailbox(
        &mut self,
        mailbox: &str,
        now: Moment,
    ) -> Result<Option<Deposit>, StoreError> {
        self.share_seal_if_needed(now)?;
        let ledger = self.ledger(mailbox)?;
        let mut have = self.partner_heads()?;
        have.extend(ledger.heads.iter().copied());
        let heads = self.couple_mut()?.heads();
        let (plain, changes) = self.bundle_since(&have, now)?;
        if changes == 0 {
            return Ok(None);
        }
        let to = self.partner_seal()?;
        let envelope = seal::seal(&to, &plain).map_err(CoreError::from)?;
        Ok(Some(Deposit {
            envelope,
            changes,
            heads,
        }))
    }

    /// Records that `deposit` is stored at `mailbox` as envelope `id`.
    pub fn note_deposited(
        &mut self,
        mailbox: &str,
        id: u64,
        deposit: &Deposit,
    ) -> Result<(), StoreError> {
        let mut ledger = self.ledger(mailbox)?;
        ledger.heads = deposit.heads.clone();
        ledger.envelopes.push((id, deposit.changes));
        self.save_ledger(&ledger)
    }

    /// Takes in what the mailbox says of my envelopes: those no longer `waiting` were picked
    /// up; those `expired` never were, so everything since what my partner is known to have
    /// is deposited again next time.
    pub fn note_mailbox_status(
        &mut self,
        mailbox: &str,
        waiting: &[u64],
        expired: &[u64],
    ) -> Result<DepositState, StoreError> {
        let mut ledger = self.ledger(mailbox)?;
        let had_expired = ledger.envelopes.iter().any(|(id, _)| expired.contains(id));
        if had_expired {
            ledger.heads.clear();
        }
        ledger.envelopes.retain(|(id, _)| waiting.contains(id));
        self.save_ledger(&ledger)?;
        Ok(DepositState {
            changes_waiting: ledger.envelopes.iter().map(|(_, n)| n).sum(),
            envelopes_waiting: ledger.envelopes.len(),
            expired: expired.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_reads_back_and_survives_damage() {
        let ledger = Ledger {
            mailbox: "box".into(),
            heads: vec![ChangeHash([7; 32])],
            envelopes: vec![(3, 10), (9, 1)],
        };
        let back = Ledger::decode(&ledger.encode());
        assert_eq!(back.mailbox, "box");
        assert_eq!(back.heads, ledger.heads);
        assert_eq!(back.envelopes, ledger.envelopes);
        let odd = Ledger::decode("box\nnot-a-hash\n1 2\nrubbish\n");
        assert!(odd.heads.is_empty());
        assert_eq!(odd.envelopes, vec![(1, 2)]);
    }
}
