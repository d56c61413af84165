//! The files Trellis writes where the person chooses (an export, a bundle, a backup): each
//! written whole or not at all, readable only by its owner, and failing as a store error
//! that names the file. The command line and the node both write them through here.

use std::path::Path;

use trellis_core::View;
use trellis_core::export::{ExportOptions, markdown_in};

use crate::error::StoreError;
use crate::zone::LocalZone;

/// Writes `bytes` to `path` completely or not at all, private to its owner.
pub fn write_out(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    crate::atomic::write_private(path, bytes).map_err(|e| StoreError::write(path, e))
}

/// Writes the chosen sections and dates of `view` as Markdown, times in this device's zone;
/// returns how many bytes it wrote.
pub fn write_markdown(
    view: &View,
    options: &ExportOptions,
    path: &Path,
) -> Result<usize, StoreError> {
    let text = markdown_in(view, options, &LocalZone);
    write_out(path, text.as_bytes())?;
    Ok(text.len())
}
