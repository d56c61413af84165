//! The one way in: changes from a bundle, a sync conversation or pairing.
//!
//! Every change from elsewhere crosses the same seam, in the same order:
//! 1. **verify** — shape, signature, structure, ownership (trellis-core's trust boundary);
//! 2. **apply** to the document in memory, with the engine contained, proving the batch
//!    applies cleanly; if it does not, the document is read again from the store;
//! 3. **store** the batch in one transaction (with what it teaches about the partner).
//!
//! The store holds the durable truth and receives a batch only after it is proven to
//! apply, so a change that would not apply can never be stored; the document in memory is
//! ahead of the store only until that transaction commits, and is read again from the
//! store if it fails. (Applying first to a copy of the document would cost a copy of the
//! whole history per frame; the store is that copy.)

use trellis_core::{
    Bundle, CoreError, Couple, Moment, PartnerKey, Rejection, SignedChange, SyncSession, Waiting,
};

use trellis_core::ChangeHash;

use super::{ImportReport, Profile, meta};
use crate::error::StoreError;

/// What one batch of incoming changes did.
#[derive(Debug, Default)]
pub(crate) struct Received {
    new_changes: usize,
    from_partner: usize,
    from_me: usize,
    already_had: usize,
    /// Signed changes still waiting for earlier ones.
    waiting: Waiting,
    /// Whether any change was applied (for the sync protocol's bookkeeping).
    applied_any: bool,
}

/// A batch verified and applied to the document in memory, not stored yet.
struct Accepted {
    received: Received,
    changes: Vec<(ChangeHash, SignedChange)>,
    meta: Vec<(&'static str, Vec<u8>)>,
    /// Heads the partner is now known to hold (merged into the stored ones when stored).
    partner_holds: Vec<ChangeHash>,
}

impl Profile {
    /// Verifies, applies and stores a batch, or refuses it whole with nothing kept.
    /// `partner_holds` (heads the partner is known to hold) is stored in the same
    /// transaction as the changes. With `from_partner`, the batch came straight from the
    /// partner's device, which therefore holds it: what it holds is known at once, not only
    /// when its next sync message says so (a long first sync would otherwise count every
    /// change of the history as not yet with the partner, again for every frame).
    fn take_in(
        &mut self,
        incoming: Vec<SignedChange>,
        waiting: Waiting,
        partner_holds: Vec<ChangeHash>,
        from_partner: bool,
        now: Moment,
    ) -> Result<Received, StoreError> {
        let accepted = self.accept(incoming, waiting, partner_holds, from_partner, now)?;
        self.store(accepted, None)
    }

    /// The first half of [`Profile::take_in`]: verified and applied in memory. Until
    /// [`Profile::store`] commits it, the document is ahead of the store; a failure reads it
    /// again from the store.
    fn accept(
        &mut self,
        incoming: Vec<SignedChange>,
        waiting: Waiting,
        mut partner_holds: Vec<ChangeHash>,
        from_partner: bool,
        now: Moment,
    ) -> Result<Accepted, StoreError> {
        self.check_usable()?;
        if self.db.is_read_only() {
            return Err(StoreError::ReadOnly(self.paths.dir.clone()));
        }
        let couple = self.couple.as_mut().ok_or(StoreError::NoCouple)?;
        let me = couple.me();
        let partner = couple.partner();
        let mut verified = match couple.verify_incoming(incoming, waiting) {
            Ok(v) => v,
            Err(e) => {
                if couple.is_poisoned() {
                    self.reload_after_failure();
                }
                return Err(e.into());
            }
        };
        let mut received = Received {
            new_changes: verified.new_count(),
            from_partner: verified.count_by(&partner),
            from_me: verified.count_by(&me),
            already_had: verified.already_had,
            waiting: verified.take_waiting(),
            applied_any: false,
        };
        let changes = verified.accepted();
        received.applied_any = !changes.is_empty();
        if from_partner && !changes.is_empty() {
            partner_holds.extend(verified.accepted_heads());
        }
        if let Err(e) = couple.apply(verified) {
            self.reload_after_failure();
            return Err(e.into());
        }
        let mut meta = Vec::new();
        if !changes.is_empty() {
            meta.push((meta::LAST_RECEIVED_AT, now.at_ms.to_string().into_bytes()));
        }
        Ok(Accepted {
            received,
            changes,
            meta,
            partner_holds,
        })
    }

    /// The second half of [`Profile::take_in`]: one transaction for the changes, their
    /// meta and, when given, a sync conversation's state (`(peer, state)`).
    fn store(
        &mut self,
        accepted: Accepted,
        sync_state: Option<(&str, &[u8])>,
    ) -> Result<Received, StoreError> {
        let Accepted {
            received,
            changes,
            mut meta,
            partner_holds,
        } = accepted;
        if !partner_holds.is_empty() {
            match self.merged_partner_heads(&partner_holds) {
                Ok(merged) => meta.push((meta::PARTNER_HEADS, merged)),
                Err(e) => {
                    self.reload_after_failure();
                    return Err(e);
                }
            }
        }
        if changes.is_empty() && meta.is_empty() && sync_state.is_none() {
            return Ok(received);
        }
        if let Err(e) = self.db.append_with_sync_state(&changes, &meta, sync_state) {
            self.reload_after_failure();
            return Err(e);
        }
        Ok(received)
    }

    /// Verifies and applies a bundle: all of it in one transaction, or nothing.
    pub fn import_bundle(&mut self, bytes: &[u8], now: Moment) -> Result<ImportReport, StoreError> {
        self.import(bytes, None, now)
    }

    /// Imports the couple's document from the partner who invited this device: as
    /// [`Profile::import_bundle`], and the couple must be with `inviter`.
    pub fn import_from_inviter(
        &mut self,
        bytes: &[u8],
        inviter: PartnerKey,
        now: Moment,
    ) -> Result<ImportReport, StoreError> {
        self.import(bytes, Some(inviter), now)
    }

    fn import(
        &mut self,
        bytes: &[u8],
        inviter: Option<PartnerKey>,
        now: Moment,
    ) -> Result<ImportReport, StoreError> {
        let bytes = self.unseal(bytes)?;
        let bundle = Bundle::decode(&bytes).map_err(CoreError::from)?;
        let me = self.key();
        if bundle.sender == me {
            return Err(CoreError::Invalid(
                "this bundle was written by this profile; import your partner's bundle instead"
                    .into(),
            )
            .into());
        }
        let Some(couple) = self.couple.as_ref() else {
            return self.join(bundle, inviter, now);
        };
        if bundle.doc != couple.doc_id() {
            return Err(CoreError::Rejected(Rejection::OtherCouple).into());
        }
        let partner = couple.partner();
        if bundle.sender != partner || inviter.is_some_and(|i| i != partner) {
            return Err(CoreError::Rejected(Rejection::UnknownSigner {
                hash: "(bundle)".into(),
                signer: bundle.sender.fingerprint(),
            })
            .into());
        }
        let received = self.take_in(
            bundle.changes,
            Waiting::default(),
            bundle.sender_heads,
            false,
            now,
        )?;
        self.compact_if_due();
        Ok(ImportReport {
            joined: false,
            new_changes: received.new_changes,
            from_partner: received.from_partner,
            from_me: received.from_me,
            already_had: received.already_had,
            waiting: received.waiting.len(),
        })
    }

    /// Joins the couple of a partner's first bundle. Everything is checked — the first
    /// change, that the couple is with the bundle's sender (and with the inviter, when
    /// pairing), every change after it — before anything is stored.
    fn join(
        &mut self,
        bundle: Bundle,
        inviter: Option<PartnerKey>,
        now: Moment,
    ) -> Result<ImportReport, StoreError> {
        self.check_usable()?;
        let joined = Couple::join(self.identity(), bundle.changes)?;
        if joined.couple.doc_id() != bundle.doc {
            return Err(CoreError::Rejected(Rejection::OtherCouple).into());
        }
        let partner = joined.couple.partner();
        if bundle.sender != partner || inviter.is_some_and(|i| i != partner) {
            return Err(CoreError::Invalid(
                "this shared space is not with the partner who sent it; nothing was saved".into(),
            )
            .into());
        }
        let me = self.key();
        let count_by = |k: &PartnerKey| {
            joined
                .accepted
                .iter()
                .filter(|(_, c)| c.signature.signer == *k)
                .count()
        };
        let report = ImportReport {
            joined: true,
            new_changes: joined.accepted.len(),
            from_partner: count_by(&partner),
            from_me: count_by(&me),
            already_had: 0,
            waiting: joined.waiting.len(),
        };
        let heads: Vec<u8> = bundle.sender_heads.iter().flat_map(|h| h.0).collect();
        self.db.append(
            &joined.accepted,
            &[
                (meta::PARTNER_HEADS, heads),
                (meta::LAST_RECEIVED_AT, now.at_ms.to_string().into_bytes()),
            ],
        )?;
        self.couple = Some(joined.couple);
        self.adopt_name_from_couple()?;
        Ok(report)
    }

    /// Takes in changes that arrived in a sync conversation (a `Changes` frame), together
    /// with those still waiting from earlier frames. Returns how many were new.
    pub fn receive_changes(
        &mut self,
        session: &mut SyncSession,
        changes: Vec<SignedChange>,
        now: Moment,
    ) -> Result<usize, StoreError> {
        let waiting = session.take_waiting();
        let received = self.take_in(changes, waiting, Vec::new(), true, now)?;
        // No compaction here: a long sync stores many frames in a row, and a snapshot of
        // the whole document after each would cost more than the sync. The conversation
        // calls `compact_if_due` once the exchange settles.
        session.keep_waiting(received.waiting, received.applied_any);
        Ok(received.new_changes)
    }

    /// [`Profile::receive_changes`] then [`Profile::sync_receive`] for the sync message that
    /// followed the changes, stored in one transaction: one commit per change received, not
    /// two. If the sync message is refused, the changes are stored all the same (they were
    /// verified on their own) and the error is the message's.
    pub fn receive_changes_and_sync(
        &mut self,
        session: &mut SyncSession,
        changes: Vec<SignedChange>,
        message: &[u8],
        now: Moment,
    ) -> Result<usize, StoreError> {
        let waiting = session.take_waiting();
        let mut accepted = self.accept(changes, waiting, Vec::new(), true, now)?;
        session.keep_waiting(
            std::mem::take(&mut accepted.received.waiting),
            accepted.received.applied_any,
        );
        let learnt = match self.learn_from_sync_message(session, message) {
            Ok(learnt) => learnt,
            Err(e) => {
                self.store(accepted, None)?;
                return Err(e);
            }
        };
        // What the partner holds: what the changes showed, and what the message says.
        accepted.partner_holds.extend(learnt.known);
        accepted
            .meta
            .push((meta::LAST_SYNCED_AT, now.at_ms.to_string().into_bytes()));
        let partner = learnt.partner;
        let received = self.store(accepted, Some((&partner, &session.saved_state())))?;
        Ok(received.new_changes)
    }

    /// True when, as far as this conversation has shown, both copies hold the same changes.
    pub fn in_sync(&mut self, session: &SyncSession) -> bool {
        match self.couple.as_mut() {
            Some(c) => session.in_sync(c),
            None => false,
        }
    }
}
