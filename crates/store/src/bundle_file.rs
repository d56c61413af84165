//! Reading a bundle file someone handed over, without trusting its size.

use std::io::Read;
use std::path::Path;

use trellis_core::bundle::MAX_BUNDLE_BYTES;

use crate::error::StoreError;

/// Reads a bundle from `source` (a file or standard input, named `path` in errors), at
/// most [`MAX_BUNDLE_BYTES`]: a larger one is refused without being read into memory.
pub fn read_bundle(source: impl Read, path: &Path) -> Result<Vec<u8>, StoreError> {
    let mut bytes = Vec::new();
    source
        .take(MAX_BUNDLE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| StoreError::read(path, e))?;
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(StoreError::read(
            path,
            format!(
                "it is larger than the {} MiB a bundle may be, so it is not a Trellis bundle",
                MAX_BUNDLE_BYTES / (1024 * 1024)
            ),
        ));
    }
    Ok(bytes)
}

/// Reads the bundle file at `path` (see [`read_bundle`]).
pub fn read_bundle_file(path: &Path) -> Result<Vec<u8>, StoreError> {
    let file = std::fs::File::open(path).map_err(|e| StoreError::read(path, e))?;
    read_bundle(file, path)
}
