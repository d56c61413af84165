//! Secret key files: written once, atomically, readable only by their owner, and sealed
//! with the profile key.

use std::fs;
use std::path::Path;

use zeroize::Zeroizing;

use crate::atomic::write_private;
use crate::error::StoreError;
use crate::vault::{Sealer, file_place};

/// What Trellis wrote before keys were sealed: the key in hex.
const PLAIN_HEADER: &str = "trellis-secret-key-v1";
const SEALED_HEADER: &str = "trellis-sealed-key-v1";

fn key_place(path: &Path) -> Vec<u8> {
    file_place(path, "key")
}

/// Writes a key file sealed with `sealer` (see [`write_private`]).
pub(crate) fn write_key(path: &Path, key: &[u8; 32], sealer: &Sealer) -> Result<(), StoreError> {
    let sealed = sealer.seal(&key_place(path), key)?;
    let text = format!("{SEALED_HEADER} {}\n", hex::encode(sealed));
    write_private(path, text.as_bytes()).map_err(|e| StoreError::write(path, e))
}

/// A sealed key; an older plain key file is [`StoreError::NotSealed`].
pub(crate) fn read_key(path: &Path, sealer: &Sealer) -> Result<Zeroizing<[u8; 32]>, StoreError> {
    let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| StoreError::read(path, e))?);
    let text = text.trim();
    if text.starts_with(PLAIN_HEADER) {
        return Err(StoreError::NotSealed(path.to_path_buf()));
    }
    let hex_part = text
        .strip_prefix(SEALED_HEADER)
        .map(str::trim)
        .ok_or_else(|| StoreError::corrupt(path, "it is not a Trellis key file"))?;
    let sealed =
        hex::decode(hex_part).map_err(|_| StoreError::corrupt(path, "the key is not valid hex"))?;
    let plain = sealer.open(&key_place(path), &sealed).ok_or_else(|| {
        StoreError::corrupt(
            path,
            "the key does not open with this profile's key (changed, damaged, or from another profile)",
        )
    })?;
    to_key(path, &plain)
}

/// A key file as Trellis wrote it before sealing: `None` when it is already sealed.
pub(crate) fn read_plain_key(path: &Path) -> Result<Option<Zeroizing<[u8; 32]>>, StoreError> {
    let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| StoreError::read(path, e))?);
    let Some(hex_part) = text.trim().strip_prefix(PLAIN_HEADER).map(str::trim) else {
        return Ok(None);
    };
    let bytes = Zeroizing::new(
        hex::decode(hex_part).map_err(|_| StoreError::corrupt(path, "the key is not valid hex"))?,
    );
    to_key(path, &bytes).map(Some)
}

fn to_key(path: &Path, bytes: &[u8]) -> Result<Zeroizing<[u8; 32]>, StoreError> {
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StoreError::corrupt(path, "the key has the wrong length"))?;
    Ok(Zeroizing::new(key))
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
    fn keys_round_trip_sealed_with_private_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        let sealer = Sealer::generate().unwrap();
        write_key(&path, &[7; 32], &sealer).unwrap();
        assert_eq!(*read_key(&path, &sealer).unwrap(), [7; 32]);
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&hex::encode([7u8; 32])), "{text}");
        assert!(read_key(&path, &Sealer::generate().unwrap()).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        fs::write(&path, "garbage").unwrap();
        let err = read_key(&path, &sealer).unwrap_err().to_string();
        assert!(err.contains("k.key"), "{err}");
    }
}
