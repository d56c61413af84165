//! Structural rules: what automerge assumes of every change and does not check.
//!
//! automerge's own asserts are not a validation layer: a signed change with a gap in its
//! actor's sequence numbers, a predecessor naming an actor the document has never seen, a
//! second change numbered 1 for an existing actor, or a second author binding panics inside
//! it or leaves a document that no longer loads. Each rule below is checked before a change
//! is stored or applied, against the document plus the changes of the same batch that came
//! before it:
//!
//! * an actor belongs to one author for all time: its first change (seq 1) carries the
//!   author binding, which must be the signer, and no later change binds it again;
//! * an actor's sequence numbers are contiguous, and its operation counters only grow;
//! * a change's operations are numbered right after everything it depends on
//!   (`start_op` = the highest op of its dependencies + 1) — so the op ids (and the object
//!   ids) it creates are new, whatever counter it claims;
//! * every actor it names is known, every dependency is known (else it waits), and every
//!   predecessor an operation names is an operation at the same key it could have seen.

use std::collections::{HashMap, HashSet};

use automerge::legacy::{Key, ObjectId, Op};
use automerge::{ActorId, Automerge, Change, ChangeHash, ObjId, ReadDoc};

use super::actors::{ActorState, ActorTable};
use super::index::ObjKey;
use crate::error::Rejection;
use crate::identity::PartnerKey;

/// Op counters stay far below automerge's 32-bit limit.
const MAX_COUNTER: u64 = u32::MAX as u64 / 2;

/// A map key of an object (`None` is the root).
type Slot = (Option<ObjKey>, String);

/// What the changes checked so far in a batch add.
#[derive(Debug, Default, Clone)]
pub(crate) struct StructureAdditions {
    pub(crate) actors: HashMap<ActorId, ActorState>,
    max_op: HashMap<ChangeHash, u64>,
    written: HashMap<Slot, Vec<ObjKey>>,
}

pub(crate) struct Structure<'a> {
    doc: &'a Automerge,
    actors: &'a ActorTable,
    pub(crate) added: StructureAdditions,
}

fn broken(change: &Change, detail: impl Into<String>) -> Rejection {
    Rejection::Structure {
        hash: change.hash().to_string(),
        detail: detail.into(),
    }
}

impl<'a> Structure<'a> {
    pub(crate) fn new(doc: &'a Automerge, actors: &'a ActorTable) -> Self {
        Self {
            doc,
            actors,
            added: StructureAdditions::default(),
        }
    }

    fn actor(&self, actor: &ActorId) -> Option<ActorState> {
        self.added
            .actors
            .get(actor)
            .or_else(|| self.actors.get(actor))
            .copied()
    }

    fn max_op_of(&self, dep: &ChangeHash) -> Option<u64> {
        self.added
            .max_op
            .get(dep)
            .copied()
            .or_else(|| self.doc.get_change_meta_by_hash(dep).map(|m| m.max_op))
    }

    /// Checks one change (its operations already expanded) signed by `signer`, and records
    /// what it adds for the changes after it.
    pub(crate) fn check(
        &mut self,
        change: &Change,
        ops: &[Op],
        signer: &PartnerKey,
    ) -> Result<(), Rejection> {
        let actor = change.actor_id();
        let seq = change.seq();
        let footer = change.author();
        let bound = match (seq, self.actor(actor)) {
            (0, _) => return Err(broken(change, "it has sequence number 0")),
            (1, Some(_)) => {
                return Err(broken(
                    change,
                    "it starts over an actor that has already written changes",
                ));
            }
            (1, None) => match footer {
                Some(a) if a.as_bytes() == signer.as_bytes().as_slice() => None,
                _ => {
                    return Err(Rejection::AuthorMismatch {
                        hash: change.hash().to_string(),
                    });
                }
            },
            (_, None) => {
                return Err(broken(
                    change,
                    "it continues an actor whose earlier changes this copy does not have",
                ));
            }
            (seq, Some(state)) => {
                if seq <= state.seq {
                    return Err(broken(change, "it reuses a sequence number of its actor"));
                }
                if seq != state.seq + 1 {
                    return Err(broken(change, "it skips sequence numbers of its actor"));
                }
                if footer.is_some() {
                    return Err(broken(change, "it binds its actor to an author again"));
                }
                if state.author != Some(*signer) {
                    return Err(Rejection::AuthorMismatch {
                        hash: change.hash().to_string(),
                    });
                }
                Some(state)
            }
        };

        let mut named: HashSet<&ActorId> = HashSet::from([actor]);
        for other in change.other_actor_ids() {
            if !named.insert(other) {
                return Err(broken(change, "it names the same actor twice"));
            }
            if self.actor(other).is_none() {
                return Err(broken(change, "it names an actor this copy has never seen"));
            }
        }

        let mut deps: HashSet<&ChangeHash> = HashSet::new();
        let mut highest = 0u64;
        for dep in change.deps() {
            if !deps.insert(dep) {
                return Err(broken(change, "it names the same dependency twice"));
            }
            let Some(max) = self.max_op_of(dep) else {
                return Err(broken(
                    change,
                    "it depends on a change this copy does not have",
                ));
            };
            highest = highest.max(max);
        }
        let start = change.start_op().get();
        if start != highest + 1 {
            return Err(broken(
                change,
                "its operations are not numbered right after those it depends on",
            ));
        }
        if bound.is_some_and(|s| start <= s.max_op) {
            return Err(broken(change, "it reuses operation numbers of its actor"));
        }
        let max_op = (start + ops.len() as u64).saturating_sub(1);
        if max_op > MAX_COUNTER {
            return Err(broken(change, "its operation numbers are out of range"));
        }

        let deps_in_doc = !change.deps().is_empty()
            && change
                .deps()
                .iter()
                .all(|d| self.doc.get_change_meta_by_hash(d).is_some());
        for (i, op) in ops.iter().enumerate() {
            let id: ObjKey = (start + i as u64, actor.clone());
            let Key::Map(prop) = &op.key else {
                continue; // list keys: refused by the ownership rules
            };
            let obj: Option<ObjKey> = match &op.obj {
                ObjectId::Root => None,
                ObjectId::Id(o) => Some((o.0, o.1.clone())),
            };
            let slot: Slot = (obj, prop.to_string());
            if !op.pred.is_empty() {
                let mut visible = self.visible_now(&slot);
                let mut looked_back = false;
                for pred in op.pred.iter() {
                    let key: ObjKey = (pred.0, pred.1.clone());
                    if pred.0 >= id.0 {
                        return Err(broken(change, "an operation succeeds a later one"));
                    }
                    if !visible.contains(&key) && deps_in_doc && !looked_back {
                        // Made on a copy this one already has, before a later change of
                        // the same author replaced the value: look at the key as it was.
                        visible.extend(self.visible_at(&slot, change.deps()));
                        looked_back = true;
                    }
                    if !visible.contains(&key) {
                        return Err(broken(
                            change,
                            "an operation replaces a value that is not there",
                        ));
                    }
                }
            }
            self.added.written.entry(slot).or_default().push(id);
        }

        self.added.actors.insert(
            actor.clone(),
            ActorState {
                author: Some(*signer),
                seq,
                max_op: max_op.max(bound.map_or(0, |s| s.max_op)),
            },
        );
        self.added.max_op.insert(change.hash(), max_op);
        Ok(())
    }

    /// The operations at `slot` a change may name as predecessors: those written there by
    /// earlier changes of this batch, and those the document shows there now.
    fn visible_now(&self, slot: &Slot) -> HashSet<ObjKey> {
        let mut out: HashSet<ObjKey> = self
            .added
            .written
            .get(slot)
            .map(|v| v.iter().cloned().collect())
            .unwrap_or_default();
        if let Ok(now) = self.doc.get_all(slot_obj(slot), slot.1.as_str()) {
            out.extend(op_keys(now));
        }
        out
    }

    /// The operations the document showed at `slot` as of `deps` (all in the document).
    fn visible_at(&self, slot: &Slot, deps: &[ChangeHash]) -> HashSet<ObjKey> {
        match self.doc.get_all_at(slot_obj(slot), slot.1.as_str(), deps) {
            Ok(then) => op_keys(then).collect(),
            Err(_) => HashSet::new(),
        }
    }
}

fn slot_obj(slot: &Slot) -> ObjId {
    match &slot.0 {
        None => ObjId::Root,
        Some((counter, actor)) => ObjId::Id(*counter, actor.clone(), usize::MAX),
    }
}

fn op_keys(values: Vec<(automerge::Value<'_>, ObjId)>) -> impl Iterator<Item = ObjKey> {
    values.into_iter().filter_map(|(_, id)| match id {
        ObjId::Id(counter, actor, _) => Some((counter, actor)),
        ObjId::Root => None,
    })
}
