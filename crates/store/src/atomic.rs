//! Writing a whole file or nothing: a temporary file beside it, fsynced, renamed over it,
//! and the folder fsynced so the rename itself survives a power cut.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The temporary file a write goes through (wiped with the profile if a crash leaves it).
pub fn partial_path(path: &Path) -> PathBuf {
    beside(path, ".partial")
}

/// `path` with `suffix` added to its file name (`couple.redb` → `couple.redb.sealing`).
pub(crate) fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// Replaces `path` with `bytes`, readable only by its owner. After a crash the file holds
/// either its old bytes or the new ones, never a mix.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_private_via(path, &partial_path(path), bytes)
}

/// [`write_private`] through the temporary file `tmp` (in the same folder): a folder other
/// programs watch wants a name they skip, such as a hidden one. A failed write leaves no
/// temporary file behind.
pub fn write_private_via(path: &Path, tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    let written = write_then_rename(path, tmp, bytes);
    if written.is_err() {
        let _ = fs::remove_file(tmp);
    }
    written
}

fn write_then_rename(path: &Path, tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(tmp, path)?;
    sync_dir(path);
    Ok(())
}

/// Makes a rename in `path`'s folder durable.
pub fn sync_dir(path: &Path) {
    if let Some(parent) = path.parent()
        && let Ok(dir) = File::open(parent)
    {
        let _ = dir.sync_all();
    }
}
