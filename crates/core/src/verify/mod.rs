//! Verify before apply: the trust boundary every incoming change crosses.
//!
//! For each change, before anything touches the live document or the store: its shape is
//! checked before automerge reads it (size, no compression, bounded counts); it is parsed
//! with panics contained (the hash is recomputed from the bytes); the signer is one of the
//! two partners and the signature verifies (batched, with a strict fallback) — this much
//! before a change may even wait for earlier ones; then, in dependency order, the
//! structural rules automerge assumes ([`structure`]) and the ownership rules ([`rules`]).
//! One bad change refuses the lot.

mod actors;
mod genesis;
pub(crate) mod index;
pub(crate) mod rules;
pub(crate) mod shape;
mod structure;
mod waiting;

use std::collections::{HashMap, HashSet};

use automerge::{Automerge, Change, ChangeHash};

pub(crate) use actors::{ActorState, ActorTable};
pub(crate) use genesis::check_genesis;
pub(crate) use index::{Additions, ObjectIndex, Overlay};
pub use shape::{
    CHUNK_CHANGE, CHUNK_COMPRESSED, MAX_CHANGE_BYTES, MAX_OPS, MAX_PREDS, checksum, chunk_hash,
    chunk_header,
};
pub(crate) use structure::{Structure, StructureAdditions};
pub use waiting::{MAX_WAITING_BYTES, MAX_WAITING_CHANGES, Waiting};

use crate::contain::contained;
use crate::error::Rejection;
use crate::identity::PartnerKey;
use crate::signature::{ChangeSignature, DocId, SignedChange, verify_many};

/// Changes that passed every check against a given state of the document.
#[derive(Debug)]
pub struct Verified {
    pub(crate) base_heads: Vec<ChangeHash>,
    /// In an order that respects dependencies.
    pub(crate) ready: Vec<(Change, ChangeSignature)>,
    pub(crate) additions: Additions,
    pub(crate) structure: StructureAdditions,
    /// Signed changes that wait for earlier ones this copy does not have yet.
    pub waiting: Waiting,
    /// Changes this copy already had (a replay is harmless).
    pub already_had: usize,
}

impl Verified {
    /// The new changes, as they should be stored.
    pub fn accepted(&self) -> Vec<(ChangeHash, SignedChange)> {
        self.ready
            .iter()
            .map(|(c, sig)| {
                (
                    c.hash(),
                    SignedChange {
                        bytes: c.raw_bytes().to_vec(),
                        signature: *sig,
                    },
                )
            })
            .collect()
    }

    /// The new changes no other new change depends on: whoever sent this batch holds at
    /// least these and everything before them.
    pub fn accepted_heads(&self) -> Vec<ChangeHash> {
        let deps: std::collections::HashSet<&ChangeHash> =
            self.ready.iter().flat_map(|(c, _)| c.deps()).collect();
        self.ready
            .iter()
            .map(|(c, _)| c.hash())
            .filter(|h| !deps.contains(h))
            .collect()
    }

    pub fn new_count(&self) -> usize {
        self.ready.len()
    }

    /// How many of the new changes each partner wrote.
    pub fn count_by(&self, key: &PartnerKey) -> usize {
        self.ready.iter().filter(|(_, s)| s.signer == *key).count()
    }

    /// Takes the changes still waiting for earlier ones (for the next frame).
    pub fn take_waiting(&mut self) -> Waiting {
        std::mem::take(&mut self.waiting)
    }
}

pub(crate) struct Checker<'a> {
    pub doc: &'a Automerge,
    pub index: &'a ObjectIndex,
    pub actors: &'a ActorTable,
    pub doc_id: &'a DocId,
    pub partners: [PartnerKey; 2],
}

/// A change's operations, expanded with any panic contained — and only if the change's
/// bytes are exactly automerge's own encoding of them.
///
/// automerge keeps operations, not change bytes: it rebuilds a change from its op set
/// whenever the change is asked for (to sync, to save, to export). A change encoded any
/// other way (an odd run length, unsorted predecessors, another actor order) applies, but
/// is rebuilt into different bytes with a different hash, and the document then fails for
/// good the next time that change is asked for.
pub(crate) fn expand(change: &Change) -> Result<Vec<automerge::legacy::Op>, Rejection> {
    let broken = |detail: String| Rejection::Structure {
        hash: change.hash().to_string(),
        detail,
    };
    let expanded = contained("expanding a change", || change.decode()).map_err(broken)?;
    let again =
        contained("encoding a change", || Change::from(expanded.clone())).map_err(broken)?;
    if again.raw_bytes() != change.raw_bytes() {
        return Err(broken(
            "its bytes are not the document engine's own encoding of its operations".into(),
        ));
    }
    Ok(expanded.operations)
}

impl Checker<'_> {
    /// Checks `incoming` together with the changes that were `waiting` from earlier frames.
    pub(crate) fn verify(
        &self,
        incoming: Vec<SignedChange>,
        mut waiting: Waiting,
    ) -> Result<Verified, Rejection> {
        let mut fresh: Vec<(Change, ChangeSignature)> = Vec::new();
        let mut seen: HashSet<ChangeHash> = HashSet::new();
        let mut already_had = 0;
        for (index, item) in incoming.into_iter().enumerate() {
            let change = shape::parse(&item.bytes)
                .map_err(|detail| Rejection::Malformed { index, detail })?;
            let hash = change.hash();
            if !seen.insert(hash) || waiting.contains(&hash) {
                continue;
            }
            // Metadata only: `get_change_by_hash` rebuilds the whole change from the op set.
            if self.doc.get_change_meta_by_hash(&hash).is_some() {
                already_had += 1;
                continue;
            }
            let signer = item.signature.signer;
            if !self.partners.contains(&signer) {
                return Err(Rejection::UnknownSigner {
                    hash: hash.to_string(),
                    signer: signer.fingerprint(),
                });
            }
            fresh.push((change, item.signature));
        }

        // Every new change's signature, before it is held or looked at further.
        let to_check: Vec<(ChangeHash, ChangeSignature)> =
            fresh.iter().map(|(c, s)| (c.hash(), *s)).collect();
        verify_many(self.doc_id, &to_check).map_err(|bad| Rejection::BadSignature {
            hash: to_check[bad].0.to_string(),
        })?;

        fresh.extend(waiting.drain());
        let (ready, rest) = causal_order(self.doc, fresh);
        for (change, sig) in rest {
            waiting.hold(change, sig)?;
        }

        let mut structure = Structure::new(self.doc, self.actors);
        let mut overlay = Overlay::new(self.index);
        for (change, sig) in &ready {
            let ops = expand(change)?;
            structure.check(change, &ops, &sig.signer)?;
            let partner = self.partners.iter().find(|k| **k != sig.signer);
            rules::check_change(change, &ops, &sig.signer, partner, &mut overlay, false).map_err(
                |detail| Rejection::Ownership {
                    hash: change.hash().to_string(),
                    author: sig.signer.fingerprint(),
                    detail,
                },
            )?;
        }
        Ok(Verified {
            base_heads: self.doc.get_heads(),
            ready,
            additions: overlay.added,
            structure: structure.added,
            waiting,
            already_had,
        })
    }
}

/// Orders changes so each comes after its dependencies; those whose dependencies are
/// neither in the document nor in the batch are returned separately.
type Signed = (Change, ChangeSignature);

fn causal_order(doc: &Automerge, changes: Vec<Signed>) -> (Vec<Signed>, Vec<Signed>) {
    let mut pending: HashMap<ChangeHash, (Change, ChangeSignature)> =
        changes.into_iter().map(|c| (c.0.hash(), c)).collect();
    let mut placed: HashSet<ChangeHash> = HashSet::new();
    let mut order = Vec::with_capacity(pending.len());
    // Kahn's algorithm over the batch: count unmet in-batch dependencies.
    let mut waiting_on: HashMap<ChangeHash, usize> = HashMap::new();
    let mut dependents: HashMap<ChangeHash, Vec<ChangeHash>> = HashMap::new();
    let mut missing: HashSet<ChangeHash> = HashSet::new();
    for (hash, (change, _)) in &pending {
        let mut unmet = 0;
        for dep in change.deps() {
            if pending.contains_key(dep) {
                unmet += 1;
                dependents.entry(*dep).or_default().push(*hash);
            } else if doc.get_change_meta_by_hash(dep).is_none() {
                missing.insert(*hash);
            }
        }
        waiting_on.insert(*hash, unmet);
    }
    let mut queue: Vec<ChangeHash> = waiting_on
        .iter()
        .filter(|(h, n)| **n == 0 && !missing.contains(*h))
        .map(|(h, _)| *h)
        .collect();
    queue.sort();
    while let Some(hash) = queue.pop() {
        if let Some(item) = pending.remove(&hash) {
            placed.insert(hash);
            order.push(item);
        }
        if let Some(next) = dependents.get(&hash) {
            for d in next {
                if let Some(n) = waiting_on.get_mut(d) {
                    *n -= 1;
                    if *n == 0 && !missing.contains(d) {
                        queue.push(*d);
                    }
                }
            }
        }
    }
    let mut rest: Vec<_> = pending.into_values().collect();
    rest.sort_by_key(|(c, _)| c.hash());
    (order, rest)
}
