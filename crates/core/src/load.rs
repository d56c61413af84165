//! Opening a stored history so that it always opens.
//!
//! The fast way (the snapshot, then every saved change at once) is taken whenever it works,
//! which is always, unless the store holds a change that does not apply — written by a bug,
//! or by an older Trellis that stored a partner's change before proving it applied. Then
//! the history is opened change by change: each must have the right shape, its earlier
//! changes, the structure automerge assumes, and must apply with nothing panicking; a
//! change that fails is set aside with the reason (and so is anything that needs it), and
//! the document is rebuilt without it. Everything else is kept.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ChangeHash};

use crate::contain::contained;
use crate::error::CoreError;
use crate::identity::PartnerKey;
use crate::verify::{ActorTable, Structure, expand, shape};

/// A stored change that could not be applied when the history was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// Its position among the stored changes passed in.
    pub index: usize,
    /// Its hash, when its bytes could be read that far.
    pub hash: Option<ChangeHash>,
    pub reason: String,
}

/// The document of a snapshot and the changes saved after it, and what had to be set aside.
pub(crate) fn open(
    snapshot: Option<&[u8]>,
    changes: &[Vec<u8>],
) -> Result<(AutoCommit, Vec<SetAside>), CoreError> {
    let mut doc = base(snapshot)?;
    let fast = contained("opening the stored history", || {
        for bytes in changes {
            doc.load_incremental(bytes)?;
        }
        Ok::<bool, automerge::AutomergeError>(
            doc.get_missing_deps(&[]).is_empty()
                && changes.iter().all(|b| {
                    chunk_hash(b)
                        .is_some_and(|h| doc.document().get_change_meta_by_hash(&h).is_some())
                }),
        )
    });
    if let Ok(Ok(true)) = fast {
        return Ok((doc, Vec::new()));
    }
    change_by_change(snapshot, changes)
}

fn base(snapshot: Option<&[u8]>) -> Result<AutoCommit, CoreError> {
    let Some(bytes) = snapshot else {
        return Ok(AutoCommit::new());
    };
    // The snapshot was saved from this profile's own document, every change of which was
    // verified (signature, author, rules) before it was stored: re-hashing every change to
    // check the heads would only repeat that at every start.
    let loaded = contained("opening the stored snapshot", || {
        AutoCommit::load_with_options(
            bytes,
            automerge::LoadOptions::new().verification_mode(automerge::VerificationMode::DontCheck),
        )
    })
    .map_err(CoreError::Engine)??;
    Ok(loaded)
}

/// The slow, careful way: one change at a time, rebuilding after any failure that may have
/// left the document half-changed.
fn change_by_change(
    snapshot: Option<&[u8]>,
    changes: &[Vec<u8>],
) -> Result<(AutoCommit, Vec<SetAside>), CoreError> {
    let mut set_aside: BTreeMap<usize, SetAside> = BTreeMap::new();
    'rebuild: loop {
        let mut doc = base(snapshot)?;
        let mut actors = ActorTable::build(doc.document());
        for (index, bytes) in changes.iter().enumerate() {
            if set_aside.contains_key(&index) {
                continue;
            }
            let mut aside = |hash: Option<ChangeHash>, reason: String| {
                set_aside.insert(
                    index,
                    SetAside {
                        index,
                        hash,
                        reason,
                    },
                );
            };
            let change = match shape::parse(bytes) {
                Ok(c) => c,
                Err(reason) => {
                    aside(chunk_hash(bytes), reason);
                    continue;
                }
            };
            let hash = Some(change.hash());
            if has(&mut doc, &change.hash()) {
                continue;
            }
            if !change.deps().iter().all(|d| has(&mut doc, d)) {
                aside(hash, "it needs an earlier change that is not here".into());
                continue;
            }
            // Signatures are not checked here (`trellis verify` does); the author binding
            // the change claims stands in for its signer.
            let signer = change
                .author()
                .and_then(|a| <[u8; 32]>::try_from(a.as_bytes()).ok())
                .map(PartnerKey)
                .or_else(|| actors.get(change.actor_id()).and_then(|s| s.author));
            let Some(signer) = signer else {
                aside(hash, "its author is not known".into());
                continue;
            };
            let checked = expand(&change).and_then(|ops| {
                let mut structure = Structure::new(doc.document(), &actors);
                structure.check(&change, &ops, &signer)?;
                Ok(structure.added.actors)
            });
            let added = match checked {
                Ok(added) => added,
                Err(rejection) => {
                    aside(hash, rejection.to_string());
                    continue;
                }
            };
            match contained("applying a stored change", || {
                doc.apply_changes([change.clone()])
            }) {
                Ok(Ok(())) if has(&mut doc, &change.hash()) => actors.extend(added),
                Ok(Ok(())) => {
                    aside(hash, "the document engine did not apply it".into());
                    continue 'rebuild;
                }
                Ok(Err(e)) => {
                    aside(hash, format!("the document engine refused it ({e})"));
                    continue 'rebuild;
                }
                Err(panic) => {
                    aside(hash, panic);
                    continue 'rebuild;
                }
            }
        }
        return Ok((doc, set_aside.into_values().collect()));
    }
}

fn has(doc: &mut AutoCommit, hash: &ChangeHash) -> bool {
    doc.document().get_change_meta_by_hash(hash).is_some()
}

/// The hash of a change chunk, read from its bytes without parsing the change.
pub fn chunk_hash(bytes: &[u8]) -> Option<ChangeHash> {
    // magic (4) + checksum (4) + kind (1) + LEB128 length, then the body.
    let kind = *bytes.get(8)?;
    let mut pos = 9;
    let mut len: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(pos)?;
        pos += 1;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
    }
    let body = bytes.get(pos..pos.checked_add(usize::try_from(len).ok()?)?)?;
    Some(shape::chunk_hash(kind, body))
}
