//! The mailbox's endpoint key: the same across restarts, so the address in every code a
//! couple was given stays valid.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Read, Write};
use std::path::Path;

use crate::error::MailboxError;

/// Reads the key in `path`, or makes one there (readable by the owner only).
pub(crate) fn load_or_create(path: &Path) -> Result<[u8; 32], MailboxError> {
    let folder = |e: std::io::Error| MailboxError::Folder {
        path: path.to_path_buf(),
        why: e.to_string(),
    };
    match OpenOptions::new().read(true).open(path) {
        Ok(mut file) => {
            let mut bytes = Vec::new();
            Read::by_ref(&mut file)
                .take(33)
                .read_to_end(&mut bytes)
                .map_err(folder)?;
            bytes
                .try_into()
                .map_err(|_| MailboxError::Key(path.to_path_buf()))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| MailboxError::Randomness(e.to_string()))?;
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(folder)?;
            file.write_all(&key)
                .and_then(|()| file.sync_all())
                .map_err(folder)?;
            Ok(key)
        }
        Err(e) => Err(folder(e)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_key_is_made_once_private_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("mailbox.key");
        let key = load_or_create(&path).unwrap();
        assert_eq!(load_or_create(&path).unwrap(), key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, [1u8; 31]).unwrap();
        assert!(matches!(load_or_create(&path), Err(MailboxError::Key(_))));
    }
}
