//! The signed timeline: who changed what, when, and whether the signature checks out.

use automerge::ChangeHash;
use serde::Serialize;

use super::Who;
use crate::couple::Couple;
use crate::signature::{ChangeSignature, verify_many};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub hash: String,
    pub author: Who,
    pub author_name: String,
    /// Seconds since the epoch, as the author's device recorded it.
    pub time: i64,
    pub message: String,
    /// The stored signature is by the change's author and verifies.
    pub verified: bool,
}

impl HistoryEntry {
    /// The time in milliseconds. The author's device wrote `time` and a partner can write
    /// any number there, so the multiplication saturates rather than overflows.
    pub fn at_ms(&self) -> i64 {
        self.time.saturating_mul(1000)
    }
}

/// Every change in causal order, oldest first, with its signature checked.
pub fn history(
    couple: &mut Couple,
    signature_of: &dyn Fn(&ChangeHash) -> Option<ChangeSignature>,
) -> Vec<HistoryEntry> {
    let me = couple.me();
    let doc_id = couple.doc_id();
    let changes = couple.automerge().get_changes(&[]);
    let mut entries = Vec::with_capacity(changes.len());
    let mut to_check: Vec<(usize, ChangeHash, ChangeSignature)> = Vec::new();
    let mut authors = crate::couple::AuthorBinding::default();
    for change in &changes {
        let hash = change.hash();
        let author = authors.author_of(change);
        let sig = signature_of(&hash).filter(|s| Some(s.signer) == author);
        let who = match author {
            Some(k) if k == me => Who::Me,
            _ => Who::Partner,
        };
        let author_name = author
            .map(|k| couple.name_of(&k))
            .unwrap_or_else(|| "unknown".into());
        if let Some(sig) = sig {
            to_check.push((entries.len(), hash, sig));
        }
        entries.push(HistoryEntry {
            hash: hash.to_string(),
            author: who,
            author_name,
            time: change.timestamp(),
            message: change.message().map(str::to_string).unwrap_or_default(),
            verified: false,
        });
    }
    let items: Vec<(ChangeHash, ChangeSignature)> =
        to_check.iter().map(|(_, h, s)| (*h, *s)).collect();
    if verify_many(&doc_id, &items).is_ok() {
        for (i, _, _) in &to_check {
            entries[*i].verified = true;
        }
    } else {
        for (i, h, s) in &to_check {
            entries[*i].verified = verify_many(&doc_id, &[(*h, *s)]).is_ok();
        }
    }
    entries
}
