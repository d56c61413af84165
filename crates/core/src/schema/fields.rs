//! Reading a record's fields in one pass over its map.
//!
//! autosurgeon's derived `Hydrate` looks each field up with its own seek into the op set;
//! for a record read thousands of times when a long history opens (check-ins: 7,300 in five
//! years) that seek per field dominated opening. Here the entries are read once with
//! `map_range` and each field is hydrated from its value exactly as `Hydrate::hydrate` would
//! (objects, which records of scalars rarely hold, take the ordinary path).

use std::borrow::Cow;

use automerge::{ObjId, ScalarValue, Value};
use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc};

/// The scalar entries of one map: key → value (`None` for an object).
pub(crate) struct Fields {
    entries: Vec<(String, Option<ScalarValue>)>,
}

impl Fields {
    pub(crate) fn read<D: ReadDoc>(doc: &D, obj: &ObjId) -> Self {
        let entries = doc
            .map_range(obj, ..)
            .map(|item| {
                let value = match item.value.into_value() {
                    Value::Scalar(s) => Some(s.into_owned()),
                    Value::Object(_) => None,
                };
                (item.key.into_owned(), value)
            })
            .collect();
        Self { entries }
    }

    fn find(&self, key: &str) -> Option<&Option<ScalarValue>> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A field, as `T::hydrate(doc, obj, key)` reads it.
    pub(crate) fn get<D: ReadDoc, T: Hydrate>(
        &self,
        doc: &D,
        obj: &ObjId,
        key: &str,
    ) -> Result<T, HydrateError> {
        match self.find(key) {
            Some(Some(scalar)) => T::hydrate_scalar(Cow::Borrowed(scalar)),
            // Missing or an object: the ordinary path, same result and same errors.
            _ => T::hydrate(doc, obj, Prop::Key(key.to_string().into())),
        }
    }

    /// An optional field, as `Option::<T>::hydrate(doc, obj, key)` reads it (null is none).
    pub(crate) fn get_opt<D: ReadDoc, T: Hydrate>(
        &self,
        doc: &D,
        obj: &ObjId,
        key: &str,
    ) -> Result<Option<T>, HydrateError> {
        match self.find(key) {
            Some(Some(ScalarValue::Null)) => Ok(None),
            Some(Some(scalar)) => T::hydrate_scalar(Cow::Borrowed(scalar)).map(Some),
            _ => Option::<T>::hydrate(doc, obj, Prop::Key(key.to_string().into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT, ReadDoc as _};

    use crate::schema::{CheckIn, Need, ResponseMode};

    #[test]
    fn a_check_in_reads_back_as_written_and_a_missing_field_still_refuses() {
        let mut doc = AutoCommit::new();
        let written = CheckIn {
            date: "2026-11-22".into(),
            at: 5,
            feel: "calm".into(),
            when: Some("we talk".into()),
            went_well: None,
            was_hard: Some("a short temper".into()),
            need: Need::ALL[1].clone(),
            response: ResponseMode::Listen,
            safety: Some(7),
            trust: None,
            connection: Some(3),
        };
        autosurgeon::reconcile_prop(&mut doc, ROOT, "c", &written).unwrap();
        let read: CheckIn = autosurgeon::hydrate_prop(&doc, ROOT, "c").unwrap();
        assert_eq!(read, written);
        let (_, obj) = doc.get(ROOT, "c").unwrap().unwrap();
        doc.delete(&obj, "feel").unwrap();
        assert!(autosurgeon::hydrate_prop::<_, CheckIn, _, _>(&doc, ROOT, "c").is_err());
        doc.delete(&obj, "when").unwrap();
        assert!(autosurgeon::hydrate_prop::<_, CheckIn, _, _>(&doc, ROOT, "c").is_err());
    }
}
