//! One file holding the whole profile — keys, shared document, journal, drafts — sealed
//! with a backup passphrase (age, scrypt), and the way back from it on a new computer.
//!
//! The profile's files go in as they are on disk: already sealed with the profile key, with
//! `vault.json` beside them. A restored profile is therefore the same profile, kept the same
//! way (the same profile passphrase, if it had one; a profile the keychain opened comes back
//! with no lock, as the new computer's keychain is another), and the partner's device
//! recognises it: same identity, same device key, same couple.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use zeroize::Zeroizing;

use crate::atomic::write_private;
use crate::error::StoreError;
use crate::journal::Journal;
use crate::keys::create_private_dir;
use crate::paths::ProfilePaths;
use crate::profile::Profile;

const MAGIC: &[u8] = b"trellis-backup-v1\n";
/// A backup larger than this is not one of ours (the document store's own cap is far below).
const MAX_BACKUP: u64 = 4 * 1024 * 1024 * 1024;

/// The files a backup holds, by name, in the order they are restored: the identity key
/// last, so a profile counts as restored only once everything else is in place.
fn files(paths: &ProfilePaths) -> [PathBuf; 6] {
    [
        paths.vault(),
        paths.document_db(),
        paths.private_db(),
        paths.window_drafts(),
        paths.device_key(),
        paths.identity_key(),
    ]
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The whole profile as one age file sealed with `passphrase`. The profile must be open to
/// write (no other Trellis on it), so nothing changes while it is read.
pub fn backup(profile: &Profile, passphrase: &str) -> Result<Vec<u8>, StoreError> {
    // Held open so no one writes the journal while it is copied.
    let journal = Journal::open(profile.paths(), profile.vault())?;
    backup_with_journal(profile, journal_bytes(&journal)?, passphrase)
}

/// The journal's file as it is on disk, for [`backup_with_journal`]: read by whoever holds
/// the journal open, between two of its writes (`None` when there is no journal yet).
pub fn journal_bytes(journal: &Journal) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    read_if_there(journal.path())
}

/// [`backup`] where the journal is held elsewhere (the window's journal thread), which read
/// its bytes with [`journal_bytes`]. The profile must be open to write, so the document and
/// keys cannot change while they are read.
pub fn backup_with_journal(
    profile: &Profile,
    journal: Option<Zeroizing<Vec<u8>>>,
    passphrase: &str,
) -> Result<Vec<u8>, StoreError> {
    let paths = profile.paths();
    if profile.is_read_only() {
        return Err(StoreError::Busy(paths.dir.clone()));
    }
    check_passphrase(passphrase)?;
    let mut journal = journal;
    let mut plain = Zeroizing::new(MAGIC.to_vec());
    for path in files(paths) {
        let bytes = if path == paths.vault() {
            Some(Zeroizing::new(profile.vault().for_backup(paths)?))
        } else if path == paths.private_db() {
            journal.take()
        } else {
            read_if_there(&path)?
        };
        let Some(bytes) = bytes else { continue };
        let name = name_of(&path);
        plain.extend_from_slice(&(name.len() as u16).to_be_bytes());
        plain.extend_from_slice(name.as_bytes());
        plain.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        plain.extend_from_slice(&bytes);
    }
    let failed = |e: &dyn std::fmt::Display| StoreError::Random(format!("sealing the backup: {e}"));
    let encryptor =
        age::Encryptor::with_user_passphrase(SecretString::from(passphrase.to_string()));
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).map_err(|e| failed(&e))?;
    writer.write_all(&plain).map_err(|e| failed(&e))?;
    writer.finish().map_err(|e| failed(&e))?;
    Ok(out)
}

fn check_passphrase(passphrase: &str) -> Result<(), StoreError> {
    match crate::vault::passphrase_problem(passphrase) {
        Some(problem) => Err(StoreError::WeakPassphrase(problem)),
        None => Ok(()),
    }
}

/// A file's bytes, or `None` when it does not exist.
fn read_if_there(path: &Path) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(Zeroizing::new(bytes))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::read(path, e)),
    }
}

/// Writes the profile held in `backup` into `dir`, which must hold no profile. Returns the
/// files written. Nothing is written unless the whole backup opened and made sense.
pub fn restore(
    dir: &Path,
    backup: &[u8],
    source: &Path,
    passphrase: &str,
) -> Result<Vec<PathBuf>, StoreError> {
    let paths = ProfilePaths::new(dir);
    if paths.identity_key().exists() || paths.document_db().exists() || paths.vault().exists() {
        return Err(StoreError::RestoreOverProfile(dir.to_path_buf()));
    }
    let not_a_backup =
        |why: &str| StoreError::corrupt(source, format!("it is not a Trellis backup ({why})"));
    if backup.len() as u64 > MAX_BACKUP {
        return Err(not_a_backup("far too large"));
    }
    let decryptor =
        age::Decryptor::new_buffered(backup).map_err(|e| not_a_backup(&e.to_string()))?;
    if !decryptor.is_scrypt() {
        return Err(not_a_backup("it is not sealed with a passphrase"));
    }
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_string()));
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                StoreError::WrongBackupPassphrase(source.to_path_buf())
            }
            other => not_a_backup(&other.to_string()),
        })?;
    let mut plain = zeroize::Zeroizing::new(Vec::new());
    reader
        .by_ref()
        .take(MAX_BACKUP)
        .read_to_end(&mut plain)
        .map_err(|e| not_a_backup(&e.to_string()))?;
    let mut rest = plain
        .strip_prefix(MAGIC)
        .ok_or_else(|| not_a_backup("no backup header inside"))?;
    let known = files(&paths);
    let mut found: Vec<(PathBuf, &[u8])> = Vec::new();
    while !rest.is_empty() {
        let (len, tail) = take::<2>(rest).ok_or_else(|| not_a_backup("cut short"))?;
        let len = u16::from_be_bytes(len) as usize;
        let name = tail.get(..len).ok_or_else(|| not_a_backup("cut short"))?;
        let (size, tail) = take::<8>(&tail[len..]).ok_or_else(|| not_a_backup("cut short"))?;
        let size =
            usize::try_from(u64::from_be_bytes(size)).map_err(|_| not_a_backup("cut short"))?;
        let bytes = tail.get(..size).ok_or_else(|| not_a_backup("cut short"))?;
        rest = &tail[size..];
        // Only the profile's own file names: a backup cannot write anywhere else.
        let path = known
            .iter()
            .find(|p| name_of(p).as_bytes() == name)
            .ok_or_else(|| not_a_backup("a file Trellis does not write"))?;
        found.push((path.clone(), bytes));
    }
    for needed in [
        paths.vault(),
        paths.document_db(),
        paths.identity_key(),
        paths.device_key(),
    ] {
        if !found.iter().any(|(p, _)| *p == needed) {
            return Err(not_a_backup(&format!("{} is missing", name_of(&needed))));
        }
    }
    create_private_dir(dir)?;
    found.sort_by_key(|(p, _)| known.iter().position(|k| k == p));
    let mut written = Vec::new();
    for (path, bytes) in found {
        write_private(&path, bytes).map_err(|e| StoreError::write(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

fn take<const N: usize>(bytes: &[u8]) -> Option<([u8; N], &[u8])> {
    let head: [u8; N] = bytes.get(..N)?.try_into().ok()?;
    Some((head, &bytes[N..]))
}
