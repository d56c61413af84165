//! Where every object of the document sits: object id → path of map keys from the root.
//!
//! The ownership rules judge an operation by the path it writes to. Operations name their
//! target object by the id of the operation that created it, so the index maps those ids to
//! paths. It is built once by walking the document and then grows with every change's
//! `make` operations (objects are never removed from automerge's history).

use std::collections::{HashMap, HashSet};

use automerge::{ActorId, Automerge, ObjId, ObjType, ReadDoc, Value, ValueRef};

/// An object, named by the operation that created it: (counter, actor).
pub(crate) type ObjKey = (u64, ActorId);

pub(crate) fn obj_key(id: &ObjId) -> Option<ObjKey> {
    match id {
        ObjId::Root => None,
        ObjId::Id(counter, actor, _) => Some((*counter, actor.clone())),
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ObjectIndex {
    paths: HashMap<ObjKey, Vec<String>>,
    occupied: HashSet<Vec<String>>,
}

impl ObjectIndex {
    /// Walks every object reachable in the document, conflicting values included.
    ///
    /// One pass over each map's entries; `get_all` (a seek per key) only where a key holds
    /// conflicting values — a five-year history has ~100,000 scalar fields and only objects
    /// matter here.
    pub(crate) fn build(doc: &Automerge) -> Self {
        let mut index = Self::default();
        let mut stack: Vec<(ObjId, Vec<String>)> = vec![(ObjId::Root, Vec::new())];
        while let Some((obj, path)) = stack.pop() {
            let mut objects: Vec<(String, ObjType, ObjId)> = Vec::new();
            for item in doc.map_range(&obj, ..) {
                if item.conflict {
                    let key = item.key.to_string();
                    if let Ok(values) = doc.get_all(&obj, key.as_str()) {
                        for (value, id) in values {
                            if let Value::Object(kind) = value {
                                objects.push((key.clone(), kind, id));
                            }
                        }
                    }
                } else if let ValueRef::Object(kind) = item.value {
                    objects.push((item.key.to_string(), kind, item.id()));
                }
            }
            for (key, kind, id) in objects {
                let mut child = path.clone();
                child.push(key);
                if let Some(k) = obj_key(&id) {
                    index.insert(k, child.clone());
                }
                if kind == ObjType::Map {
                    stack.push((id, child));
                }
            }
        }
        index
    }

    pub(crate) fn path(&self, key: &ObjKey) -> Option<&[String]> {
        self.paths.get(key).map(Vec::as_slice)
    }

    pub(crate) fn is_occupied(&self, path: &[String]) -> bool {
        self.occupied.contains(path)
    }

    pub(crate) fn insert(&mut self, key: ObjKey, path: Vec<String>) {
        self.occupied.insert(path.clone());
        self.paths.insert(key, path);
    }

    pub(crate) fn extend(&mut self, additions: Additions) {
        for (key, path) in additions.paths {
            self.insert(key, path);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.paths.len()
    }
}

/// Objects created by changes being checked, before they reach the live index, and the
/// records those changes touch (so only they need reading again).
#[derive(Debug, Clone, Default)]
pub(crate) struct Additions {
    paths: HashMap<ObjKey, Vec<String>>,
    occupied: HashSet<Vec<String>>,
    pub(crate) touched: std::collections::BTreeSet<Vec<String>>,
}

/// The live index seen through pending additions.
#[derive(Debug)]
pub(crate) struct Overlay<'a> {
    base: &'a ObjectIndex,
    pub(crate) added: Additions,
}

impl<'a> Overlay<'a> {
    pub(crate) fn new(base: &'a ObjectIndex) -> Self {
        Self {
            base,
            added: Additions::default(),
        }
    }

    pub(crate) fn path(&self, key: &ObjKey) -> Option<&[String]> {
        self.added
            .paths
            .get(key)
            .map(Vec::as_slice)
            .or_else(|| self.base.path(key))
    }

    pub(crate) fn is_occupied(&self, path: &[String]) -> bool {
        self.added.occupied.contains(path) || self.base.is_occupied(path)
    }

    pub(crate) fn insert(&mut self, key: ObjKey, path: Vec<String>) {
        self.added.occupied.insert(path.clone());
        self.added.paths.insert(key, path);
    }

    /// Notes that an operation wrote at `path`.
    pub(crate) fn touch(&mut self, path: &[String]) {
        self.added.touched.insert(record_of(path));
    }
}

/// The record an operation at `path` belongs to: `agreements/<id>` or
/// `by/<key>/<collection>/<id>`; anything shallower stands for itself.
fn record_of(path: &[String]) -> Vec<String> {
    let depth = match path.first().map(String::as_str) {
        Some(crate::schema::keys::AGREEMENTS) => 2,
        Some(crate::schema::keys::BY) => 4,
        _ => 1,
    };
    path[..path.len().min(depth)].to_vec()
}
