//! One sync conversation with the partner, as a pure state machine.
//!
//! It speaks automerge's sync protocol, with two rules of ours on top:
//! * messages are generated as version 1 (capabilities cleared right before each generate),
//!   so every change is its own chunk;
//! * changes never travel inside a sync message: they are taken out, signed, and sent as
//!   `Changes` frames just before it, and they cross the same verify-before-apply boundary as
//!   a bundle. A sync message that arrives with changes inside it is refused.
//!
//! Only the `shared_heads` part of the state is saved between conversations (that is all
//! automerge encodes), so a connection lost mid-exchange never counts undelivered changes
//! as delivered.

use automerge::sync::{self, ChunkList, SyncDoc};
use automerge::{Change, ChangeHash};

use crate::couple::Couple;
use crate::error::{CoreError, Rejection};
use crate::signature::SignedChange;
use crate::verify::Verified;

/// Most changes held back waiting for earlier ones before the conversation is refused.
const MAX_WAITING: usize = 1_000_000;

/// What to send next: the changes to sign and send first, then the sync message.
#[derive(Debug)]
pub struct Outgoing {
    pub changes: Vec<Change>,
    pub message: Vec<u8>,
}

#[derive(Debug)]
pub struct SyncSession {
    state: sync::State,
    waiting: Vec<SignedChange>,
    /// The last change accepted since the last sync message (raw bytes). It is handed to
    /// automerge with that message, already applied, so its bookkeeping sees a message
    /// that carried changes — otherwise it decides our heads need no answer. One is enough:
    /// the changes are applied already, so handing over all of them (a whole history, in
    /// a first sync) would only parse them all again for nothing.
    accepted: Option<Vec<u8>>,
    received_messages: usize,
}

impl SyncSession {
    /// Starts a conversation, from the state saved after the last one if there is one.
    pub fn resume(saved: Option<&[u8]>) -> Self {
        let state = saved
            .and_then(|bytes| sync::State::decode(bytes).ok())
            .unwrap_or_default();
        Self {
            state,
            waiting: Vec::new(),
            accepted: None,
            received_messages: 0,
        }
    }

    /// The part of the state worth keeping for next time.
    pub fn saved_state(&self) -> Vec<u8> {
        self.state.encode()
    }

    /// The next thing to tell the partner, if anything.
    pub fn outgoing(&mut self, couple: &mut Couple) -> Result<Option<Outgoing>, CoreError> {
        // Version 1 messages: one change per chunk. A receive sets this again, so it is
        // cleared immediately before every generate.
        self.state.their_capabilities = None;
        let Some(mut message) = couple.sync_doc().generate_sync_message(&mut self.state) else {
            return Ok(None);
        };
        let chunks = std::mem::replace(&mut message.changes, ChunkList::empty());
        let mut changes = Vec::with_capacity(chunks.len());
        for chunk in chunks.iter() {
            changes.push(Change::try_from(chunk).map_err(|e| {
                CoreError::Invalid(format!("the document produced an unreadable change: {e}"))
            })?);
        }
        Ok(Some(Outgoing {
            changes,
            message: message.encode(),
        }))
    }

    /// Verifies changes that arrived in a `Changes` frame, together with any that were
    /// waiting for earlier ones. The caller stores the accepted ones, then applies them with
    /// [`Couple::apply`].
    pub fn verify_changes(
        &mut self,
        couple: &mut Couple,
        mut changes: Vec<SignedChange>,
    ) -> Result<Verified, CoreError> {
        if !self.waiting.is_empty() {
            let mut all = std::mem::take(&mut self.waiting);
            all.append(&mut changes);
            changes = all;
        }
        let mut verified = couple.verify_incoming(changes)?;
        if verified.deferred.len() > MAX_WAITING {
            return Err(Rejection::TooLarge(format!(
                "more than {MAX_WAITING} changes are waiting for earlier ones"
            ))
            .into());
        }
        self.waiting = std::mem::take(&mut verified.deferred);
        if let Some((last, _)) = verified.ready.last() {
            self.accepted = Some(last.raw_bytes().to_vec());
        }
        Ok(verified)
    }

    /// Takes in the partner's sync message (after the changes sent before it were applied).
    pub fn receive(&mut self, couple: &mut Couple, message: &[u8]) -> Result<(), CoreError> {
        let mut message = sync::Message::decode(message).map_err(|e| Rejection::Malformed {
            index: 0,
            detail: format!("not a sync message: {e}"),
        })?;
        if !message.changes.is_empty() {
            return Err(Rejection::Malformed {
                index: 0,
                detail: "a sync message carried changes outside the signed frames".into(),
            }
            .into());
        }
        // Only changes that crossed the trust boundary and are already applied: loading
        // them again changes nothing in the document.
        let applied: Vec<Vec<u8>> = self.accepted.take().into_iter().collect();
        message.changes = ChunkList::from(applied);
        couple
            .sync_doc()
            .receive_sync_message(&mut self.state, message)?;
        self.received_messages += 1;
        Ok(())
    }

    /// What the partner last said it has.
    pub fn their_heads(&self) -> Option<&[ChangeHash]> {
        self.state.their_heads.as_deref()
    }

    /// Changes received that still wait for earlier ones.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Both copies hold the same changes, as far as this conversation has shown.
    pub fn in_sync(&self, couple: &mut Couple) -> bool {
        self.received_messages > 0
            && self.waiting.is_empty()
            && self.state.their_heads.as_deref() == Some(couple.heads().as_slice())
    }
}
