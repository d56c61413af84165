//! A keyed collection that survives a partner's unreadable record.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc, Reconcile, Reconciler, reconcile::NoKey};

/// Records keyed by their random id.
///
/// Hydrating skips (and counts) an entry that does not have the expected shape instead of
/// failing the whole document: one odd record, say from a newer version of Trellis, must not
/// hide everything else the couple wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Records<T> {
    pub items: BTreeMap<String, T>,
    /// Entries present in the document that could not be read as `T`.
    pub unreadable: usize,
}

impl<T> Default for Records<T> {
    fn default() -> Self {
        Self {
            items: BTreeMap::new(),
            unreadable: 0,
        }
    }
}

impl<T> Records<T> {
    pub fn get(&self, id: &str) -> Option<&T> {
        self.items.get(id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.items.contains_key(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &T)> {
        self.items.iter()
    }

    pub fn ids(&self) -> impl Iterator<Item = &String> {
        self.items.keys()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn insert(&mut self, id: String, item: T) {
        self.items.insert(id, item);
    }
}

impl<T: Hydrate> Hydrate for Records<T> {
    fn hydrate_map<D: ReadDoc>(doc: &D, obj: &automerge::ObjId) -> Result<Self, HydrateError> {
        let mut out = Records::default();
        for item in doc.map_range(obj.clone(), ..) {
            let key = item.key.to_string();
            match T::hydrate(doc, obj, Prop::Key(key.clone().into())) {
                Ok(value) => {
                    out.items.insert(key, value);
                }
                Err(_) => out.unreadable += 1,
            }
        }
        Ok(out)
    }
}

impl<T: Reconcile> Reconcile for Records<T> {
    type Key<'a> = NoKey;

    fn reconcile<R: Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
        self.items.reconcile(reconciler)
    }
}
