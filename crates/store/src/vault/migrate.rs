//! Sealing a profile that an older Trellis wrote in the clear, in place.
//!
//! `vault.json` is written first; then each file is rebuilt sealed beside itself
//! (`NAME.sealing`) and renamed over the plain one, the identity key last. A crash at any
//! moment leaves every file either plain or sealed, whole, with the keys to open it, and the
//! next open carries on where it stopped. A fresh file also leaves behind the free pages of
//! the plain one, which still held old words.

use std::path::Path;

use redb::{ReadableDatabase, ReadableTable, TableDefinition, TableHandle};

use super::{Vault, sealed_file};
use crate::atomic::sync_dir;
use crate::db::{DocumentDb, LOG, META, SETTINGS, SIGNATURES, SNAPSHOT, SYNC_STATE};
use crate::error::StoreError;
use crate::guard;
use crate::journal::Journal;
use crate::keys::{read_plain_key, write_key};
use crate::paths::ProfilePaths;
use crate::quarantine::QUARANTINE;

/// The settings table of a plain store held text.
const PLAIN_SETTINGS: TableDefinition<&str, &str> = TableDefinition::new("settings");

/// True when the profile at `paths` was written by a Trellis that did not seal it.
pub(crate) fn is_plain_profile(paths: &ProfilePaths) -> Result<bool, StoreError> {
    Ok(read_plain_key(&paths.identity_key())?.is_some())
}

/// Seals every file of the profile still in the clear; a file already sealed is left alone.
pub(crate) fn seal_plain_files(paths: &ProfilePaths, vault: &Vault) -> Result<(), StoreError> {
    // The identity key is sealed last: once it is, every file is, and the open pays nothing.
    if !is_plain_profile(paths)? {
        return Ok(());
    }
    let sealer = vault.profile_sealer();
    seal_store(&paths.document_db(), vault)?;
    if paths.private_db().exists() {
        // Opening the journal seals it; another Trellis holding it has sealed it already.
        match Journal::open(paths, vault) {
            Ok(_) | Err(StoreError::Busy(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let drafts = paths.window_drafts();
    if sealed_file::is_plain(&drafts)? {
        let plain = std::fs::read(&drafts).map_err(|e| StoreError::read(&drafts, e))?;
        sealed_file::write(&drafts, sealer, &plain)?;
    }
    // The identity key last: while it is plain, the profile counts as not yet sealed.
    for key_file in [paths.device_key(), paths.identity_key()] {
        if let Some(key) = read_plain_key(&key_file)? {
            write_key(&key_file, &key, sealer)?;
        }
    }
    Ok(())
}

/// One table's rows: key and value.
type Rows<K> = Vec<(K, Vec<u8>)>;

/// Every row of a plain store, as it was written.
#[derive(Default)]
struct PlainRows {
    by_name: Vec<(String, Rows<String>)>,
    signatures: Vec<(Vec<u8>, Vec<u8>)>,
    numbered: Vec<(String, Rows<u64>)>,
}

fn seal_store(path: &Path, vault: &Vault) -> Result<(), StoreError> {
    let sealer = vault.profile_sealer();
    match DocumentDb::open(path, sealer) {
        Ok(_) => return Ok(()),
        Err(StoreError::NotSealed(_)) => {}
        Err(e) => return Err(e),
    }
    let rows = plain_rows(path)?;
    let sealing = crate::paths::sealing_path(path);
    if sealing.exists() {
        std::fs::remove_file(&sealing).map_err(|e| StoreError::write(&sealing, e))?;
    }
    {
        let db = DocumentDb::create(&sealing, sealer)?;
        let mut sealed_named = Vec::new();
        for (table, rows) in &rows.by_name {
            for (k, v) in rows {
                sealed_named.push((table.as_str(), k.clone(), db.seal(table, k.as_bytes(), v)?));
            }
        }
        let mut sealed_numbered = Vec::new();
        for (table, rows) in &rows.numbered {
            for (k, v) in rows {
                sealed_numbered.push((table.as_str(), *k, db.seal(table, &k.to_be_bytes(), v)?));
            }
        }
        let sealed_sigs: Vec<(Vec<u8>, Vec<u8>)> = rows
            .signatures
            .iter()
            .map(|(k, v)| Ok((k.clone(), db.seal(SIGNATURES.name(), k, v)?)))
            .collect::<Result<_, StoreError>>()?;
        db.write(|tx| {
            for (table, k, v) in &sealed_named {
                let def: TableDefinition<&str, &[u8]> = TableDefinition::new(table);
                tx.open_table(def)?.insert(k.as_str(), v.as_slice())?;
            }
            for (table, k, v) in &sealed_numbered {
                let def: TableDefinition<u64, &[u8]> = TableDefinition::new(table);
                tx.open_table(def)?.insert(*k, v.as_slice())?;
            }
            let mut sigs = tx.open_table(SIGNATURES)?;
            for (k, v) in &sealed_sigs {
                sigs.insert(k.as_slice(), v.as_slice())?;
            }
            Ok(())
        })?;
    }
    std::fs::rename(&sealing, path).map_err(|e| StoreError::write(path, e))?;
    sync_dir(path);
    Ok(())
}

fn plain_rows(path: &Path) -> Result<PlainRows, StoreError> {
    let corrupt = |e: &dyn std::fmt::Display| StoreError::corrupt(path, e);
    let db = guard::open(path, redb::ConcurrencyMode::SingleWriter)?;
    db.run(|db| {
        let tx = db.begin_read().map_err(|e| corrupt(&e))?;
        let mut rows = PlainRows::default();
        for table in [META, SNAPSHOT, SYNC_STATE] {
            let mut out = Vec::new();
            if let Some(t) = optional(tx.open_table(table)).map_err(|e| corrupt(&e))? {
                for row in t.iter().map_err(|e| corrupt(&e))? {
                    let (k, v) = row.map_err(|e| corrupt(&e))?;
                    out.push((k.value().to_string(), v.value().to_vec()));
                }
            }
            rows.by_name.push((table.name().to_string(), out));
        }
        let mut settings = Vec::new();
        if let Some(t) = optional(tx.open_table(PLAIN_SETTINGS)).map_err(|e| corrupt(&e))? {
            for row in t.iter().map_err(|e| corrupt(&e))? {
                let (k, v) = row.map_err(|e| corrupt(&e))?;
                settings.push((k.value().to_string(), v.value().as_bytes().to_vec()));
            }
        }
        rows.by_name.push((SETTINGS.name().to_string(), settings));
        for table in [LOG, QUARANTINE] {
            let mut out = Vec::new();
            if let Some(t) = optional(tx.open_table(table)).map_err(|e| corrupt(&e))? {
                for row in t.iter().map_err(|e| corrupt(&e))? {
                    let (k, v) = row.map_err(|e| corrupt(&e))?;
                    out.push((k.value(), v.value().to_vec()));
                }
            }
            rows.numbered.push((table.name().to_string(), out));
        }
        if let Some(t) = optional(tx.open_table(SIGNATURES)).map_err(|e| corrupt(&e))? {
            for row in t.iter().map_err(|e| corrupt(&e))? {
                let (k, v) = row.map_err(|e| corrupt(&e))?;
                rows.signatures
                    .push((k.value().to_vec(), v.value().to_vec()));
            }
        }
        Ok(rows)
    })
}

fn optional<T>(opened: Result<T, redb::TableError>) -> Result<Option<T>, redb::TableError> {
    match opened {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
