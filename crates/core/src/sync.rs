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

use crate::contain::contained;
use crate::couple::Couple;
use crate::error::{CoreError, Rejection};
use crate::sync_receive::take_in;
use crate::verify::Waiting;

/// What to send next: the changes to sign and send first, then the sync message.
#[derive(Debug)]
pub struct Outgoing {
    pub changes: Vec<Change>,
    pub message: Vec<u8>,
}

#[derive(Debug)]
pub struct SyncSession {
    state: sync::State,
    waiting: Waiting,
    /// Whether changes were accepted since the last sync message: the bookkeeping treats
    /// that message as one that carried them (otherwise it decides our heads need no
    /// answer).
    accepted: bool,
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
            waiting: Waiting::default(),
            accepted: false,
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
        // The state holds what the partner said (needs, Bloom filters): contain the engine.
        let state = &mut self.state;
        let generated = contained("answering the partner", || {
            couple.sync_doc().generate_sync_message(state)
        })
        .map_err(CoreError::Engine)?;
        let Some(mut message) = generated else {
            return Ok(None);
        };
        // automerge asks only for the partner's heads it lacks: it never sees the changes
        // waiting here, so it cannot ask for what they wait on. One the partner's sent
        // skipped (its Bloom filter of what we have wrongly said we had it) would never
        // come, and both sides would answer each other for ever. (Hashes travel sorted.)
        let missing = self.waiting.missing(|h| couple.has_change(h));
        if !missing.is_empty() {
            message.need.extend(missing);
            message.need.sort_unstable();
            message.need.dedup();
            // Never more than the partner takes in one message; the rest is asked next time.
            message.need.truncate(MAX_NEEDS);
        }
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

    /// Takes the signed changes still waiting for earlier ones, to verify them together with
    /// the next `Changes` frame (see `trellis_store::Profile::receive_changes`).
    pub fn take_waiting(&mut self) -> Waiting {
        std::mem::take(&mut self.waiting)
    }

    /// Keeps what still waits after a frame was taken in, and notes whether any of its
    /// changes were applied (for the next sync message's bookkeeping).
    pub fn keep_waiting(&mut self, waiting: Waiting, applied_any: bool) {
        self.waiting = waiting;
        self.accepted |= applied_any;
    }

    /// Takes in the partner's sync message (after the changes sent before it were applied).
    pub fn receive(&mut self, couple: &mut Couple, message: &[u8]) -> Result<(), CoreError> {
        let malformed = |detail: String| Rejection::Malformed { index: 0, detail };
        let message = contained("reading a sync message", || sync::Message::decode(message))
            .map_err(malformed)?
            .map_err(|e| malformed(format!("not a sync message: {e}")))?;
        if !message.changes.is_empty() {
            return Err(Rejection::Malformed {
                index: 0,
                detail: "a sync message carried changes outside the signed frames".into(),
            }
            .into());
        }
        check_message(&message).map_err(malformed)?;
        // The changes sent before it crossed the trust boundary and are applied already; the
        // rest is bookkeeping (see `sync_receive`: automerge's own walks the whole history).
        let carried_changes = std::mem::take(&mut self.accepted);
        let heads = couple.heads();
        take_in(
            &mut self.state,
            &heads,
            |h| couple.has_change(h),
            message,
            carried_changes,
        );
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

/// Most heads, needs and Bloom filters a sync message may carry.
const MAX_HEADS: usize = 1024;
const MAX_NEEDS: usize = 100_000;
const MAX_HAVES: usize = 64;
/// automerge makes its Bloom filters with 10 bits per entry and 7 probes.
const MAX_BITS_PER_ENTRY: u64 = 64;
const MAX_PROBES: u64 = 64;

/// What automerge trusts in a partner's sync message and we do not: it answers a Bloom
/// filter by allocating one slot per probe the filter claims (four billion of them in five
/// bytes, an allocation that aborts the process) and divides by the filter's size (zero
/// panics).
fn check_message(message: &sync::Message) -> Result<(), String> {
    if message.heads.len() > MAX_HEADS
        || message.need.len() > MAX_NEEDS
        || message.have.len() > MAX_HAVES
    {
        return Err("a sync message names more heads, needs or summaries than allowed".into());
    }
    for have in &message.have {
        if have.last_sync.len() > MAX_HEADS {
            return Err("a sync message names too many heads".into());
        }
        let bytes = have.bloom.to_bytes();
        if bytes.is_empty() {
            continue; // an empty filter: nothing is allocated or divided
        }
        let mut fields = [0u64; 3];
        let mut pos = 0;
        for field in fields.iter_mut() {
            let mut shift = 0;
            loop {
                let b = *bytes.get(pos).ok_or("a truncated Bloom filter")?;
                pos += 1;
                *field |= u64::from(b & 0x7f) << shift.min(63);
                shift += 7;
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let [_, bits_per_entry, probes] = fields;
        if !(1..=MAX_BITS_PER_ENTRY).contains(&bits_per_entry)
            || !(1..=MAX_PROBES).contains(&probes)
            || pos >= bytes.len()
        {
            return Err(format!(
                "a Bloom filter with {bits_per_entry} bits per entry and {probes} probes"
            ));
        }
    }
    Ok(())
}
