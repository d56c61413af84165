//! Verify before apply: the trust boundary every incoming change crosses.
//!
//! For each change, before anything touches the live document or the store: parse it (the
//! hash is recomputed from the bytes), check the signer is one of the two partners and is
//! the change's automerge Author, verify the signature (batched, with a strict fallback),
//! then judge every operation against the ownership rules. One bad change refuses the lot.

mod genesis;
pub(crate) mod index;
pub(crate) mod rules;

use std::collections::{HashMap, HashSet};

use automerge::{ActorId, Automerge, Change, ChangeHash};

pub(crate) use genesis::check_genesis;
pub(crate) use index::{Additions, ObjectIndex, Overlay};

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
    /// Waiting for earlier changes this copy does not have yet; not yet checked.
    pub deferred: Vec<SignedChange>,
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

    pub fn new_count(&self) -> usize {
        self.ready.len()
    }

    /// How many of the new changes each partner wrote.
    pub fn count_by(&self, key: &PartnerKey) -> usize {
        self.ready.iter().filter(|(_, s)| s.signer == *key).count()
    }
}

pub(crate) struct Checker<'a> {
    pub doc: &'a Automerge,
    pub index: &'a ObjectIndex,
    pub doc_id: &'a DocId,
    pub partners: [PartnerKey; 2],
}

impl Checker<'_> {
    pub(crate) fn verify(&self, incoming: Vec<SignedChange>) -> Result<Verified, Rejection> {
        let mut parsed: Vec<(Change, ChangeSignature)> = Vec::new();
        let mut seen: HashSet<ChangeHash> = HashSet::new();
        let mut already_had = 0;
        for (index, item) in incoming.into_iter().enumerate() {
            let change =
                Change::try_from(item.bytes.as_slice()).map_err(|e| Rejection::Malformed {
                    index,
                    detail: e.to_string(),
                })?;
            let hash = change.hash();
            if !seen.insert(hash) {
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
            parsed.push((change, item.signature));
        }

        let (ready, waiting) = causal_order(self.doc, parsed);

        // automerge writes the Author only into an actor's first change; later changes of
        // that actor inherit it. Bind each change to its author and require the signer.
        let mut first_of: HashMap<ActorId, Vec<u8>> = HashMap::new();
        for (change, sig) in &ready {
            let footer = change.author().map(|a| a.as_bytes().to_vec());
            let bound = if change.seq() == 1 {
                footer.clone()
            } else {
                first_of.get(change.actor_id()).cloned().or_else(|| {
                    self.doc
                        .get_author_for_actor(change.actor_id())
                        .map(|a| a.as_bytes().to_vec())
                })
            };
            if change.seq() == 1
                && let Some(f) = &footer
            {
                first_of.insert(change.actor_id().clone(), f.clone());
            }
            let consistent = footer.is_none() || footer == bound;
            if !consistent || bound.as_deref() != Some(sig.signer.as_bytes().as_slice()) {
                return Err(Rejection::AuthorMismatch {
                    hash: change.hash().to_string(),
                });
            }
        }

        let to_check: Vec<(ChangeHash, ChangeSignature)> =
            ready.iter().map(|(c, s)| (c.hash(), *s)).collect();
        verify_many(self.doc_id, &to_check).map_err(|bad| Rejection::BadSignature {
            hash: to_check[bad].0.to_string(),
        })?;

        let mut overlay = Overlay::new(self.index);
        for (change, sig) in &ready {
            rules::check_change(change, &sig.signer, &mut overlay, false).map_err(|detail| {
                Rejection::Ownership {
                    hash: change.hash().to_string(),
                    author: sig.signer.fingerprint(),
                    detail,
                }
            })?;
        }
        Ok(Verified {
            base_heads: self.doc.get_heads(),
            ready,
            additions: overlay.added,
            deferred: waiting
                .into_iter()
                .map(|(c, signature)| SignedChange {
                    bytes: c.raw_bytes().to_vec(),
                    signature,
                })
                .collect(),
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
