//! Every actor of the document: whose it is, how far its changes go, its highest op.
//!
//! automerge keeps this inside, but does not expose it, and panics or fails for good when a
//! change breaks it (a gap in an actor's sequence numbers, a second author binding). The
//! structural rules need it to refuse such a change before automerge ever sees it.

use std::collections::HashMap;

use automerge::{ActorId, Automerge};

use crate::identity::PartnerKey;

/// What is known of one actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ActorState {
    /// The partner its first change named (the author binding, for all time).
    pub author: Option<PartnerKey>,
    /// The sequence number of its latest change.
    pub seq: u64,
    /// The highest operation counter its changes used.
    pub max_op: u64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ActorTable {
    by_actor: HashMap<ActorId, ActorState>,
}

impl ActorTable {
    /// Reads every change's metadata once (no operations are rebuilt).
    pub(crate) fn build(doc: &Automerge) -> Self {
        let mut by_actor: HashMap<ActorId, ActorState> = HashMap::new();
        for meta in doc.get_changes_meta(&[]) {
            let entry = by_actor
                .entry(meta.actor.clone().into_owned())
                .or_insert(ActorState {
                    author: None,
                    seq: 0,
                    max_op: 0,
                });
            entry.seq = entry.seq.max(meta.seq);
            entry.max_op = entry.max_op.max(meta.max_op);
        }
        for (actor, state) in by_actor.iter_mut() {
            state.author = doc
                .get_author_for_actor(actor)
                .and_then(|a| <[u8; 32]>::try_from(a.as_bytes()).ok())
                .map(PartnerKey);
        }
        Self { by_actor }
    }

    pub(crate) fn get(&self, actor: &ActorId) -> Option<&ActorState> {
        self.by_actor.get(actor)
    }

    pub(crate) fn record(&mut self, actor: ActorId, state: ActorState) {
        self.by_actor.insert(actor, state);
    }

    pub(crate) fn extend(&mut self, more: HashMap<ActorId, ActorState>) {
        self.by_actor.extend(more);
    }
}
