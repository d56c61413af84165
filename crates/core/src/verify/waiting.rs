//! Changes that arrived before the changes they depend on.
//!
//! They are held parsed, with their signature already checked, so a conversation neither
//! re-parses them on every frame nor holds anything unsigned; and the pool is bounded in
//! count and bytes, so a partner cannot fill memory with changes that never become ready.

use std::collections::HashMap;

use automerge::{Change, ChangeHash};

use crate::error::Rejection;
use crate::signature::{ChangeSignature, SignedChange};

/// Most changes held back at once.
pub const MAX_WAITING_CHANGES: usize = 100_000;
/// Most bytes of changes held back at once.
pub const MAX_WAITING_BYTES: usize = 64 * 1024 * 1024;

/// Signed, parsed changes waiting for earlier ones.
#[derive(Debug, Default)]
pub struct Waiting {
    changes: HashMap<ChangeHash, (Change, ChangeSignature)>,
    bytes: usize,
}

impl Waiting {
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn contains(&self, hash: &ChangeHash) -> bool {
        self.changes.contains_key(hash)
    }

    /// Adds a change whose signature was verified.
    pub(crate) fn hold(&mut self, change: Change, sig: ChangeSignature) -> Result<(), Rejection> {
        let size = change.raw_bytes().len();
        if self.changes.len() >= MAX_WAITING_CHANGES || self.bytes + size > MAX_WAITING_BYTES {
            return Err(Rejection::TooLarge(format!(
                "more than {MAX_WAITING_CHANGES} changes or {} MiB wait for earlier ones",
                MAX_WAITING_BYTES / (1024 * 1024)
            )));
        }
        self.bytes += size;
        self.changes.insert(change.hash(), (change, sig));
        Ok(())
    }

    /// What the held changes wait on: their dependencies that are neither held nor in the
    /// document (`has`), each once, in a stable order.
    pub(crate) fn missing(&self, mut has: impl FnMut(&ChangeHash) -> bool) -> Vec<ChangeHash> {
        let mut missing: Vec<ChangeHash> = self
            .changes
            .values()
            .flat_map(|(change, _)| change.deps().iter().copied())
            .filter(|dep| !self.changes.contains_key(dep))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        missing.retain(|dep| !has(dep));
        missing
    }

    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (Change, ChangeSignature)> + '_ {
        self.bytes = 0;
        self.changes.drain().map(|(_, v)| v)
    }

    /// The held changes as they travel (for a joiner that keeps them, or a report).
    pub fn signed(&self) -> Vec<SignedChange> {
        let mut out: Vec<SignedChange> = self
            .changes
            .values()
            .map(|(c, signature)| SignedChange {
                bytes: c.raw_bytes().to_vec(),
                signature: *signature,
            })
            .collect();
        out.sort_by(|a, b| a.bytes.cmp(&b.bytes));
        out
    }
}
