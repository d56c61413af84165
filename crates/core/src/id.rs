//! Random record ids and the short prefixes people type.

use crate::error::CoreError;

/// Length in hex characters of a record id (128 random bits).
pub const ID_HEX_LEN: usize = 32;
/// How many characters of an id we show; people may type any unique prefix.
pub const SHORT_ID_LEN: usize = 8;

/// A fresh random id: 128 bits as 32 lowercase hex characters.
pub fn new_id() -> Result<String, CoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| CoreError::Randomness(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// The part of an id shown to people.
pub fn short(id: &str) -> &str {
    id.get(..SHORT_ID_LEN).unwrap_or(id)
}

/// Finds the one id in `ids` that starts with `prefix`.
///
/// `what` names the kind of record for the error message ("agreement", "check-in").
pub fn resolve<'a, I>(ids: I, prefix: &str, what: &'static str) -> Result<String, CoreError>
where
    I: IntoIterator<Item = &'a String>,
{
    let prefix = prefix.trim().to_ascii_lowercase();
    if prefix.is_empty() {
        return Err(CoreError::UnknownId {
            what,
            id: prefix.clone(),
        });
    }
    let mut found: Option<&String> = None;
    for id in ids {
        if id.starts_with(&prefix) {
            if found.is_some() {
                return Err(CoreError::AmbiguousId { what, id: prefix });
            }
            found = Some(id);
        }
    }
    found
        .cloned()
        .ok_or(CoreError::UnknownId { what, id: prefix })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_hex() {
        let a = new_id().unwrap();
        let b = new_id().unwrap();
        assert_eq!(a.len(), ID_HEX_LEN);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn prefixes_resolve_uniquely() {
        let ids = vec!["abc123".to_string(), "abd456".to_string()];
        assert_eq!(resolve(&ids, "abc", "agreement").unwrap(), "abc123");
        assert_eq!(resolve(&ids, "ABD", "agreement").unwrap(), "abd456");
        assert!(matches!(
            resolve(&ids, "ab", "agreement"),
            Err(CoreError::AmbiguousId { .. })
        ));
        assert!(matches!(
            resolve(&ids, "zz", "agreement"),
            Err(CoreError::UnknownId { .. })
        ));
        assert!(matches!(
            resolve(&ids, "", "agreement"),
            Err(CoreError::UnknownId { .. })
        ));
    }
}
