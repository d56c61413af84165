//! A list in the view, shared between views.
//!
//! The [`super::ViewCache`] hands out the same list again until an entry of it changes, so
//! a view after one change costs what changed rather than the length of every list; a
//! screen holding an older view keeps its own list alive.

use std::sync::Arc;

use serde::{Serialize, Serializer};

/// An immutable, shared list of shared entries. Reads as a slice.
#[derive(Debug)]
pub struct List<T>(Arc<[Arc<T>]>);

impl<T> List<T> {
    /// Whether both are the very same list (not just equal ones).
    pub fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Clone for List<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        Self(Arc::from(Vec::new()))
    }
}

impl<T> std::ops::Deref for List<T> {
    type Target = [Arc<T>];

    fn deref(&self) -> &[Arc<T>] {
        &self.0
    }
}

impl<'a, T> IntoIterator for &'a List<T> {
    type Item = &'a Arc<T>;
    type IntoIter = std::slice::Iter<'a, Arc<T>>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T> FromIterator<Arc<T>> for List<T> {
    fn from_iter<I: IntoIterator<Item = Arc<T>>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<T> From<Vec<Arc<T>>> for List<T> {
    fn from(items: Vec<Arc<T>>) -> Self {
        Self(items.into())
    }
}

impl<T: PartialEq> PartialEq for List<T> {
    fn eq(&self, other: &Self) -> bool {
        self.same(other) || self.0 == other.0
    }
}

impl<T: Serialize> Serialize for List<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|item| &**item))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_list_reads_serializes_and_compares_as_its_items() {
        let a: List<String> = vec![Arc::new("one".to_string()), Arc::new("two".into())].into();
        let b: List<String> = ["one", "two"]
            .map(|s| Arc::new(s.to_string()))
            .into_iter()
            .collect();
        assert_eq!(a, b);
        assert!(!a.same(&b) && a.same(&a.clone()));
        assert_eq!(a.len(), 2);
        assert_eq!(&*a[1], "two");
        assert_eq!(serde_json::to_string(&a).unwrap(), r#"["one","two"]"#);
        assert_ne!(a, List::default());
        let joined: Vec<&str> = (&a).into_iter().map(|s| s.as_str()).collect();
        assert_eq!(joined, ["one", "two"]);
    }
}
