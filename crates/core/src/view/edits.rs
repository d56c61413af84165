//! Which records of the hydrated document changed lately, so a view can be updated record
//! by record instead of rebuilt from the whole history after every change.

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};

/// Most record paths remembered; a view further behind than this is rebuilt whole.
const KEPT: usize = 4096;

/// Every document gets its own number, so a view never mistakes one document's edits for
/// another's (a document read again from the store starts counting afresh).
static DOCUMENTS: AtomicU64 = AtomicU64::new(1);

/// The record paths (`agreements/<id>`, `by/<key>/<collection>/<id>`) each refresh of the
/// hydrated document touched, numbered.
#[derive(Debug)]
pub struct Edits {
    document: u64,
    revision: u64,
    /// (revision, path), oldest first.
    log: VecDeque<(u64, Vec<String>)>,
    /// Edits up to this revision are not in the log (dropped, or the whole document was
    /// read again).
    unknown_until: u64,
}

impl Edits {
    pub(crate) fn new() -> Self {
        Self {
            document: DOCUMENTS.fetch_add(1, Ordering::Relaxed),
            revision: 0,
            log: VecDeque::new(),
            unknown_until: 0,
        }
    }

    /// These records were read again.
    pub(crate) fn records(&mut self, paths: &BTreeSet<Vec<String>>) {
        self.revision += 1;
        for path in paths {
            self.log.push_back((self.revision, path.clone()));
        }
        while self.log.len() > KEPT {
            if let Some((revision, _)) = self.log.pop_front() {
                self.unknown_until = self.unknown_until.max(revision);
            }
        }
    }

    /// The whole document was read again.
    pub(crate) fn everything(&mut self) {
        self.revision += 1;
        self.log.clear();
        self.unknown_until = self.revision;
    }

    /// Where the document stands now.
    pub(crate) fn mark(&self) -> (u64, u64) {
        (self.document, self.revision)
    }

    /// The record paths touched after `mark`, or `None` when that is not known (another
    /// document, or edits forgotten since).
    pub(crate) fn since(&self, mark: (u64, u64)) -> Option<BTreeSet<&[String]>> {
        let (document, revision) = mark;
        if document != self.document || revision < self.unknown_until || revision > self.revision {
            return None;
        }
        Some(
            self.log
                .iter()
                .filter(|(r, _)| *r > revision)
                .map(|(_, p)| p.as_slice())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn paths(list: &[&str]) -> BTreeSet<Vec<String>> {
        list.iter()
            .map(|p| p.split('/').map(String::from).collect())
            .collect()
    }

    #[test]
    fn edits_after_a_mark_are_known_until_the_whole_document_is_read_again() {
        let mut edits = Edits::new();
        let start = edits.mark();
        edits.records(&paths(&["agreements/a"]));
        let middle = edits.mark();
        edits.records(&paths(&["by/k/checkins/c"]));
        assert_eq!(edits.since(start).unwrap().len(), 2);
        assert_eq!(edits.since(middle).unwrap().len(), 1);
        assert_eq!(edits.since(edits.mark()).unwrap().len(), 0);
        edits.everything();
        assert!(edits.since(middle).is_none());
        assert!(
            Edits::new().since(edits.mark()).is_none(),
            "another document"
        );
    }

    #[test]
    fn a_view_too_far_behind_is_rebuilt() {
        let mut edits = Edits::new();
        let start = edits.mark();
        for i in 0..=KEPT {
            edits.records(&paths(&[&format!("by/k/checkins/{i}")]));
        }
        assert!(edits.since(start).is_none());
    }
}
