//! A partner crafting changes by hand: any actor, seq, counter, dependency or operation,
//! signed with their own, real identity key. Signatures are no defence against the
//! partner, so everything here gets past them.

use automerge::legacy::{Key, ObjectId, Op, OpId, OpType, SortedVec};
use automerge::{ActorId, Automerge, Change, ChangeHash, ExpandedChange, ObjType, ROOT, ReadDoc};
use automerge::{ObjId, ScalarValue, Value};
use trellis_core::verify;
use trellis_core::{ChangeSignature, DocId, Identity, PartnerKey, SignedChange};
use trellis_store::Profile;

/// What went wrong setting up an attack (the attacker's own copy lacks something).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeError(pub String);

impl std::fmt::Display for ForgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ForgeError {}

fn err(what: impl Into<String>) -> ForgeError {
    ForgeError(what.into())
}

/// The attacker: a copy of their document and their identity key.
pub struct Forge {
    pub doc: Automerge,
    pub identity: Identity,
    pub doc_id: DocId,
}

impl std::fmt::Debug for Forge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forge")
            .field("doc_id", &self.doc_id)
            .finish_non_exhaustive()
    }
}

impl Forge {
    /// The partner who owns `profile`, ready to craft changes against their own copy.
    pub fn of(profile: &mut Profile) -> Result<Self, ForgeError> {
        let identity = profile.identity();
        let couple = profile
            .couple_mut()
            .map_err(|e| err(format!("no couple: {e}")))?;
        let doc_id = couple.doc_id();
        let doc = Automerge::load(&couple.save()).map_err(|e| err(e.to_string()))?;
        Ok(Self {
            doc,
            identity,
            doc_id,
        })
    }

    pub fn me(&self) -> PartnerKey {
        self.identity.public()
    }

    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The highest op counter in the attacker's copy.
    pub fn max_op(&self) -> u64 {
        self.heads()
            .iter()
            .filter_map(|h| self.doc.get_change_meta_by_hash(h).map(|m| m.max_op))
            .max()
            .unwrap_or(0)
    }

    /// The attacker's most recent actor, its latest seq and its highest op.
    pub fn own_actor(&self) -> Result<(ActorId, u64, u64), ForgeError> {
        let me = self.me();
        self.doc
            .get_changes_meta(&[])
            .into_iter()
            .filter(|m| {
                self.doc
                    .get_author_for_actor(&m.actor)
                    .is_some_and(|a| a.as_bytes() == me.as_bytes().as_slice())
            })
            .max_by_key(|m| m.max_op)
            .map(|m| (m.actor.into_owned(), m.seq, m.max_op))
            .ok_or_else(|| err("the attacker has written no change yet"))
    }

    /// An empty change that honestly continues the attacker's latest actor: the right seq,
    /// ops numbered after the heads, the heads as deps. Attacks bend one thing of it.
    pub fn next_change(&self) -> Result<ExpandedChange, ForgeError> {
        let (actor, seq, _) = self.own_actor()?;
        Ok(ExpandedChange {
            operations: Vec::new(),
            actor_id: actor,
            hash: None,
            seq: seq + 1,
            start_op: std::num::NonZeroU64::new(self.max_op() + 1)
                .ok_or_else(|| err("op counter overflow"))?,
            time: 1_800_000_000,
            message: Some("crafted by hand".into()),
            deps: self.heads(),
            extra_bytes: Vec::new(),
            author: None,
        })
    }

    /// The object at `path` (map keys from the root), as an operation names it.
    pub fn obj(&self, path: &[&str]) -> Result<ObjectId, ForgeError> {
        let mut obj = ROOT;
        for key in path {
            match self.doc.get(&obj, *key).map_err(|e| err(e.to_string()))? {
                Some((Value::Object(ObjType::Map), id)) => obj = id,
                _ => return Err(err(format!("no map at {key}"))),
            }
        }
        Ok(legacy_obj(&obj))
    }

    /// The operation that wrote the value at `key` of the object at `path`.
    pub fn op_at(&self, path: &[&str], key: &str) -> Result<OpId, ForgeError> {
        let mut obj = ROOT;
        for k in path {
            match self.doc.get(&obj, *k).map_err(|e| err(e.to_string()))? {
                Some((Value::Object(_), id)) => obj = id,
                _ => return Err(err(format!("no map at {k}"))),
            }
        }
        match self.doc.get(&obj, key).map_err(|e| err(e.to_string()))? {
            Some((_, ObjId::Id(counter, actor, _))) => Ok(OpId::new(counter, &actor)),
            _ => Err(err(format!("nothing at {key}"))),
        }
    }

    /// The first key of the map at `path`.
    pub fn first_key(&self, path: &[&str]) -> Result<String, ForgeError> {
        let mut obj = ROOT;
        for k in path {
            match self.doc.get(&obj, *k).map_err(|e| err(e.to_string()))? {
                Some((Value::Object(_), id)) => obj = id,
                _ => return Err(err(format!("no map at {k}"))),
            }
        }
        self.doc
            .keys(&obj)
            .next()
            .ok_or_else(|| err("an empty map"))
    }

    /// The attacker's own space (`by/<key>`), where they may write.
    pub fn own_space(&self) -> Vec<String> {
        vec!["by".into(), self.me().to_hex()]
    }

    /// Encodes an expanded change (automerge checks nothing here) and signs it.
    pub fn sign(&self, change: ExpandedChange) -> SignedChange {
        let change = Change::from(change);
        SignedChange {
            bytes: change.raw_bytes().to_vec(),
            signature: ChangeSignature::sign(&self.identity, &self.doc_id, &change.hash()),
        }
    }

    /// Takes an accepted change into the attacker's own copy, so the next crafted change
    /// continues after it. Returns whether it applied.
    pub fn absorb(&mut self, change: &SignedChange) -> bool {
        match Change::try_from(change.bytes.as_slice()) {
            Ok(c) => self.doc.apply_changes([c]).is_ok(),
            Err(_) => false,
        }
    }

    /// Signs raw change bytes after giving them a valid chunk header (checksum and length
    /// recomputed), so a mutated change reaches everything past the envelope.
    pub fn resign(&self, bytes: &[u8]) -> Option<SignedChange> {
        let (fixed, hash) = reheader(bytes)?;
        Some(SignedChange {
            bytes: fixed,
            signature: ChangeSignature::sign(&self.identity, &self.doc_id, &hash),
        })
    }
}

/// An object id as automerge's legacy operations spell it.
pub fn legacy_obj(id: &ObjId) -> ObjectId {
    match id {
        ObjId::Root => ObjectId::Root,
        ObjId::Id(counter, actor, _) => ObjectId::Id(OpId::new(*counter, actor)),
    }
}

/// A `put` of `value` at `key` of `obj`, replacing `pred`.
pub fn put(obj: &ObjectId, key: &str, value: ScalarValue, pred: Vec<OpId>) -> Op {
    Op {
        action: OpType::Put(value),
        obj: obj.clone(),
        key: Key::Map(key.into()),
        pred: SortedVec::from(pred),
        insert: false,
    }
}

/// A new map at `key` of `obj`.
pub fn make_map(obj: &ObjectId, key: &str) -> Op {
    Op {
        action: OpType::Make(ObjType::Map),
        obj: obj.clone(),
        key: Key::Map(key.into()),
        pred: SortedVec::new(),
        insert: false,
    }
}

/// The automerge author footer that binds an actor to `key`.
pub fn author_footer(key: &PartnerKey) -> Vec<u8> {
    let mut doc = automerge::AutoCommit::new()
        .with_author(Some(automerge::Author::from(key.as_bytes().to_vec())));
    let _ = automerge::transaction::Transactable::put(&mut doc, ROOT, "x", 1);
    doc.commit()
        .and_then(|h| doc.get_change_by_hash(&h))
        .map(|c| c.extra_bytes().to_vec())
        .unwrap_or_default()
}

/// Gives change bytes a header whose checksum and length match their body; returns them
/// with the hash automerge computes. `None` when the bytes are too short to hold a header.
pub fn reheader(bytes: &[u8]) -> Option<(Vec<u8>, ChangeHash)> {
    let kind = *bytes.get(8)?;
    let mut pos = 9;
    while *bytes.get(pos)? & 0x80 != 0 {
        pos += 1;
    }
    let body = &bytes[pos + 1..];
    let hash = verify::chunk_hash(kind, body);
    let mut out = verify::chunk_header(kind, verify::checksum(&hash), body.len());
    out[..4].copy_from_slice(&bytes[..4]);
    out.extend_from_slice(body);
    Some((out, hash))
}
