//! Small files sealed whole with the profile key (the window's drafts).

use std::path::Path;

use zeroize::Zeroizing;

use super::{Sealer, file_place};
use crate::atomic::write_private;
use crate::error::StoreError;

const MAGIC: &[u8] = b"trellis-sealed-file-v1\n";

fn sealed_place(path: &Path) -> Vec<u8> {
    file_place(path, "file")
}

/// Replaces `path` with `bytes`, sealed, whole or not at all.
pub(crate) fn write(path: &Path, sealer: &Sealer, bytes: &[u8]) -> Result<(), StoreError> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&sealer.seal(&sealed_place(path), bytes)?);
    write_private(path, &out).map_err(|e| StoreError::write(path, e))
}

/// What `path` holds: `None` when there is no such file. A file an older Trellis wrote in
/// the clear is returned as it is (sealing it is the migration's job).
pub(crate) fn read(path: &Path, sealer: &Sealer) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => Zeroizing::new(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::read(path, e)),
    };
    match bytes.strip_prefix(MAGIC) {
        None => Ok(Some(bytes)),
        Some(sealed) => sealer.open(&sealed_place(path), sealed).map(Some).ok_or_else(|| {
            StoreError::corrupt(
                path,
                "it does not open with this profile's key (changed, damaged, or from another profile)",
            )
        }),
    }
}

/// True when `path` is a file an older Trellis wrote in the clear.
pub(crate) fn is_plain(path: &Path) -> Result<bool, StoreError> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(StoreError::read(path, e)),
    };
    let mut head = vec![0u8; MAGIC.len()];
    let n = file
        .read(&mut head)
        .map_err(|e| StoreError::read(path, e))?;
    Ok(head.get(..n) != Some(MAGIC))
}
