//! Secret key files: written once, atomically, readable only by their owner.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::error::StoreError;

const HEADER: &str = "trellis-secret-key-v1";

/// Writes a new key file with 0600 permissions (write to a temporary file, fsync, rename).
pub(crate) fn write_key(path: &Path, key: &[u8; 32]) -> Result<(), StoreError> {
    let tmp = path.with_extension("tmp");
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(|e| StoreError::write(&tmp, e))?;
    writeln!(file, "{HEADER} {}", hex::encode(key)).map_err(|e| StoreError::write(&tmp, e))?;
    file.sync_all().map_err(|e| StoreError::write(&tmp, e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| StoreError::write(path, e))?;
    sync_dir(path);
    Ok(())
}

pub(crate) fn read_key(path: &Path) -> Result<[u8; 32], StoreError> {
    let text = fs::read_to_string(path).map_err(|e| StoreError::read(path, e))?;
    let hex_part = text
        .trim()
        .strip_prefix(HEADER)
        .map(str::trim)
        .ok_or_else(|| StoreError::corrupt(path, "it is not a Trellis key file"))?;
    let bytes =
        hex::decode(hex_part).map_err(|_| StoreError::corrupt(path, "the key is not valid hex"))?;
    bytes
        .try_into()
        .map_err(|_| StoreError::corrupt(path, "the key has the wrong length"))
}

/// Makes a rename durable.
pub(crate) fn sync_dir(path: &Path) {
    if let Some(parent) = path.parent()
        && let Ok(dir) = File::open(parent)
    {
        let _ = dir.sync_all();
    }
}

/// Creates the profile directory, readable only by its owner.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    fs::create_dir_all(dir).map_err(|e| StoreError::write(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| StoreError::write(dir, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_with_private_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        write_key(&path, &[7; 32]).unwrap();
        assert_eq!(read_key(&path).unwrap(), [7; 32]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        fs::write(&path, "garbage").unwrap();
        let err = read_key(&path).unwrap_err().to_string();
        assert!(err.contains("k.key"), "{err}");
    }
}
