//! The document store: one redb file holding signed changes, their signatures, a snapshot,
//! per-partner sync state and settings. Every write is one transaction.
//!
//! Every value is sealed with the profile key (see [`crate::vault`]) under the name of its
//! file, table and row; keys are table names, setting names, change hashes and counters,
//! which say nothing of what anyone wrote.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use redb::{
    ConcurrencyMode, Database, ReadOnlyDatabase, ReadTransaction, ReadableDatabase, ReadableTable,
    ReadableTableMetadata, TableDefinition, TableHandle, WriteTransaction,
};
use trellis_core::{ChangeHash, ChangeSignature, SignedChange};
use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::guard::{self, Guarded};
use crate::vault::{Sealer, place};

/// Small named values: who I am, the couple, what the partner has, when we last met.
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Change hash → signer key and signature (96 bytes). Kept forever, across compaction.
pub(crate) const SIGNATURES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("signatures");
/// Changes saved since the last snapshot, in the order they were saved.
pub(crate) const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
/// The compacted document (automerge `save()`), under the key "doc".
pub(crate) const SNAPSHOT: TableDefinition<&str, &[u8]> = TableDefinition::new("snapshot");
/// Per-partner automerge sync state.
pub(crate) const SYNC_STATE: TableDefinition<&str, &[u8]> = TableDefinition::new("sync_state");
/// Profile settings (network mode, relay, theme…). Named anew when values became sealed
/// bytes: the plain file's `settings` table held text.
pub(crate) const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings_sealed");
/// One row proving the file is sealed, and with which key.
const FORMAT: TableDefinition<&str, &[u8]> = TableDefinition::new("format");
const FORMAT_KEY: &str = "sealed";
const FORMAT_VALUE: &[u8] = b"trellis-sealed-store-v1";

/// The file's name in every sealed value's place.
pub(crate) const FILE: &str = "couple.redb";

const SNAPSHOT_KEY: &str = "doc";

/// A sealed value and its place (see [`crate::vault`]).
pub type PlacedValue = (Vec<u8>, Vec<u8>);

/// A failure to seal inside a write transaction (only the system's randomness can fail).
pub(crate) fn seal_failed(e: StoreError) -> redb::Error {
    redb::Error::Io(std::io::Error::other(e.to_string()))
}

/// What startup reads back.
#[derive(Debug, Default)]
pub struct Stored {
    pub snapshot: Option<Vec<u8>>,
    pub log: Vec<Vec<u8>>,
}

/// One process writes (the window or `trellis serve`); others may read at the same time.
const MODE: ConcurrencyMode = ConcurrencyMode::SingleWriter;

enum Handle {
    Writer(Guarded<Database>),
    Reader(Guarded<ReadOnlyDatabase>),
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Handle::Writer(_) => "Writer",
            Handle::Reader(_) => "Reader",
        })
    }
}

/// The couple's store. Every call into redb goes through [`guard`](crate::guard): a damaged
/// file is the damaged-file error naming it, never a panic.
#[derive(Debug)]
pub struct DocumentDb {
    db: Handle,
    path: PathBuf,
    sealer: Sealer,
    /// The meta rows the writer has read or written, opened: the status reads several of
    /// them after every change. Only the writer keeps them; no other process writes the
    /// file (one writer, readers beside it), so what it wrote is what is there. A reader
    /// reads afresh, as the writer may have moved on.
    kept_meta: Mutex<HashMap<String, Option<Vec<u8>>>>,
}

fn missing(path: &Path) -> StoreError {
    StoreError::corrupt(
        path,
        "the file is missing although the profile's keys exist",
    )
}

impl DocumentDb {
    /// Creates a new, empty store. Refuses to touch an existing file.
    pub fn create(path: &Path, sealer: &Sealer) -> Result<Self, StoreError> {
        if path.exists() {
            return Err(StoreError::AlreadyInitialized(path.to_path_buf()));
        }
        let db = guard::create(path, MODE)?;
        set_private(path);
        let me = Self {
            db: Handle::Writer(db),
            path: path.to_path_buf(),
            sealer: sealer.clone(),
            kept_meta: Mutex::default(),
        };
        let proof = me.seal(FORMAT.name(), FORMAT_KEY.as_bytes(), FORMAT_VALUE)?;
        me.write(|tx| {
            tx.open_table(FORMAT)?
                .insert(FORMAT_KEY, proof.as_slice())?;
            tx.open_table(META)?;
            tx.open_table(SIGNATURES)?;
            tx.open_table(LOG)?;
            tx.open_table(SNAPSHOT)?;
            tx.open_table(SYNC_STATE)?;
            tx.open_table(SETTINGS)?;
            Ok(())
        })?;
        Ok(me)
    }

    /// Opens an existing store after checking every page of it; never creates one over a
    /// missing or damaged file, and never changes a file it refuses.
    pub fn open(path: &Path, sealer: &Sealer) -> Result<Self, StoreError> {
        if !path.exists() {
            return Err(missing(path));
        }
        Self {
            db: Handle::Writer(guard::open(path, MODE)?),
            path: path.to_path_buf(),
            sealer: sealer.clone(),
            kept_meta: Mutex::default(),
        }
        .checked()
    }

    /// Opens the store only for reading, beside a running writer.
    pub fn open_read_only(path: &Path, sealer: &Sealer) -> Result<Self, StoreError> {
        if !path.exists() {
            return Err(missing(path));
        }
        Self {
            db: Handle::Reader(guard::open_read_only(path, MODE)?),
            path: path.to_path_buf(),
            sealer: sealer.clone(),
            kept_meta: Mutex::default(),
        }
        .checked()
    }

    /// Refuses a file that is not sealed, or sealed with another key.
    fn checked(self) -> Result<Self, StoreError> {
        let proof = self.read(|tx| match tx.open_table(FORMAT) {
            Ok(t) => Ok(Some(
                t.get(FORMAT_KEY)
                    .map_err(|e| self.read_err(e))?
                    .map(|v| v.value().to_vec()),
            )),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(self.read_err(e)),
        })?;
        let proof = match proof {
            Some(Some(proof)) => proof,
            // A sealed store always holds its mark: an empty mark table is damage.
            Some(None) => return Err(self.read_err("its format mark is missing")),
            None if self.holds_plain_meta()? => {
                return Err(StoreError::NotSealed(self.path.clone()));
            }
            None => return Err(self.read_err("its format mark is missing")),
        };
        match self
            .sealer
            .open(&self.place(FORMAT.name(), FORMAT_KEY.as_bytes()), &proof)
        {
            Some(v) if v.as_slice() == FORMAT_VALUE => Ok(self),
            _ => Err(StoreError::corrupt(
                &self.path,
                "it is sealed with a key this profile does not have (a file from another \
                 profile, or a damaged one)",
            )),
        }
    }

    /// Whether the file has `meta` rows and none opens with this profile's key, as in a store
    /// from an older Trellis (its rows are plain; it always wrote who I am first). Otherwise a
    /// missing format mark is damage, and sealing the file "again" would bury what it holds.
    fn holds_plain_meta(&self) -> Result<bool, StoreError> {
        let rows: Vec<(String, Vec<u8>)> = self.read(|tx| match tx.open_table(META) {
            Ok(t) => t
                .iter()
                .map_err(|e| self.read_err(e))?
                .map(|row| {
                    let (k, v) = row.map_err(|e| self.read_err(e))?;
                    Ok((k.value().to_string(), v.value().to_vec()))
                })
                .collect(),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(Vec::new()),
            Err(e) => Err(self.read_err(e)),
        })?;
        Ok(!rows.is_empty()
            && rows.iter().all(|(k, v)| {
                self.sealer
                    .open(&self.place(META.name(), k.as_bytes()), v)
                    .is_none()
            }))
    }

    /// True when this handle cannot write (another process has the profile open).
    pub fn is_read_only(&self) -> bool {
        matches!(self.db, Handle::Reader(_))
    }

    fn place(&self, table: &str, key: &[u8]) -> Vec<u8> {
        place(FILE, table, key)
    }

    pub(crate) fn seal(
        &self,
        table: &str,
        key: &[u8],
        value: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        self.sealer.seal(&self.place(table, key), value)
    }

    /// For inside a write transaction.
    pub(crate) fn seal_in(
        &self,
        table: &str,
        key: &[u8],
        value: &[u8],
    ) -> Result<Vec<u8>, redb::Error> {
        self.seal(table, key, value).map_err(seal_failed)
    }

    /// The plain bytes of a row, or the damaged-file error naming the table.
    pub(crate) fn unseal(
        &self,
        table: &str,
        key: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        self.sealer
            .open(&self.place(table, key), sealed)
            .ok_or_else(|| {
                self.read_err(format!(
                    "a value in its {table} table does not open with this profile's key (it was \
                 changed, moved or damaged)"
                ))
            })
    }

    /// Runs `f` in one read transaction, a panic inside it contained.
    pub(crate) fn read<R>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        match &self.db {
            Handle::Writer(db) => db.run(|db| f(&db.begin_read().map_err(|e| self.read_err(e))?)),
            Handle::Reader(db) => db.run(|db| f(&db.begin_read().map_err(|e| self.read_err(e))?)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn read_err(&self, e: impl ToString) -> StoreError {
        StoreError::corrupt(&self.path, e.to_string())
    }

    /// A failed write (see [`guard::write_error`]).
    fn write_err(&self, e: impl Into<redb::Error>) -> StoreError {
        guard::write_error(&self.path, e)
    }

    /// Runs `f` in one write transaction and commits it durably.
    pub(crate) fn write<F>(&self, f: F) -> Result<(), StoreError>
    where
        F: FnOnce(&WriteTransaction) -> Result<(), redb::Error>,
    {
        let Handle::Writer(db) = &self.db else {
            return Err(StoreError::ReadOnly(self.path.clone()));
        };
        db.run(|db| {
            let tx = db.begin_write().map_err(|e| self.write_err(e))?;
            f(&tx).map_err(|e| self.write_err(e))?;
            tx.commit().map_err(|e| self.write_err(e))
        })
    }

    /// One row of a table keyed by text, opened.
    fn get_str(
        &self,
        table: TableDefinition<&str, &[u8]>,
        key: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let sealed = self.read(|tx| {
            let t = tx.open_table(table).map_err(|e| self.read_err(e))?;
            let value = t.get(key).map_err(|e| self.read_err(e))?;
            Ok(value.map(|v| v.value().to_vec()))
        })?;
        sealed
            .map(|v| Ok(self.unseal(table.name(), key.as_bytes(), &v)?.to_vec()))
            .transpose()
    }

    /// Sealed rows for a table keyed by text.
    fn sealed_rows(
        &self,
        table: &str,
        entries: &[(&str, Vec<u8>)],
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        entries
            .iter()
            .map(|(k, v)| Ok(((*k).to_string(), self.seal(table, k.as_bytes(), v)?)))
            .collect()
    }

    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if self.is_read_only() {
            return self.get_str(META, key);
        }
        if let Some(kept) = self.kept_meta().get(key) {
            return Ok(kept.clone());
        }
        let value = self.get_str(META, key)?;
        self.kept_meta().insert(key.to_string(), value.clone());
        Ok(value)
    }

    fn kept_meta(&self) -> MutexGuard<'_, HashMap<String, Option<Vec<u8>>>> {
        self.kept_meta
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// [`DocumentDb::write`] for a transaction that sets `meta` rows: the kept rows follow
    /// what was committed (and are forgotten if the commit failed, when what the file holds
    /// is not known).
    fn write_with_meta<F>(&self, meta: &[(&str, Vec<u8>)], f: F) -> Result<(), StoreError>
    where
        F: FnOnce(&WriteTransaction) -> Result<(), redb::Error>,
    {
        let written = self.write(f);
        let mut kept = self.kept_meta();
        for (key, value) in meta {
            if written.is_ok() {
                kept.insert((*key).to_string(), Some(value.clone()));
            } else {
                kept.remove(*key);
            }
        }
        written
    }

    pub fn meta_string(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .meta(key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn set_meta(&self, entries: &[(&str, Vec<u8>)]) -> Result<(), StoreError> {
        let rows = self.sealed_rows(META.name(), entries)?;
        self.write_with_meta(entries, |tx| {
            let mut table = tx.open_table(META)?;
            for (k, v) in &rows {
                table.insert(k.as_str(), v.as_slice())?;
            }
            Ok(())
        })
    }

    /// Stores changes with their signatures and meta updates, all in one transaction.
    pub fn append(
        &self,
        changes: &[(ChangeHash, SignedChange)],
        meta: &[(&str, Vec<u8>)],
    ) -> Result<(), StoreError> {
        self.append_with_sync_state(changes, meta, None)
    }

    /// [`DocumentDb::append`], with a sync conversation's state (`(peer, state)`) in the
    /// same transaction: changes that arrived with the sync message after them cost one
    /// commit, not two.
    pub fn append_with_sync_state(
        &self,
        changes: &[(ChangeHash, SignedChange)],
        meta: &[(&str, Vec<u8>)],
        sync_state: Option<(&str, &[u8])>,
    ) -> Result<(), StoreError> {
        let sealed_meta = self.sealed_rows(META.name(), meta)?;
        let sigs: Vec<Vec<u8>> = changes
            .iter()
            .map(|(hash, change)| {
                self.seal(SIGNATURES.name(), &hash.0, &change.signature.to_bytes())
            })
            .collect::<Result<_, _>>()?;
        let sync_state = sync_state
            .map(|(peer, state)| {
                Ok::<_, StoreError>((peer, self.seal(SYNC_STATE.name(), peer.as_bytes(), state)?))
            })
            .transpose()?;
        self.write_with_meta(meta, |tx| {
            if !changes.is_empty() {
                let mut sig_table = tx.open_table(SIGNATURES)?;
                let mut log = tx.open_table(LOG)?;
                let first = log.last()?.map(|(k, _)| k.value() + 1).unwrap_or(0);
                for ((seq, (hash, change)), sig) in (first..).zip(changes).zip(&sigs) {
                    sig_table.insert(hash.0.as_slice(), sig.as_slice())?;
                    let sealed = self.seal_in(LOG.name(), &seq.to_be_bytes(), &change.bytes)?;
                    log.insert(seq, sealed.as_slice())?;
                }
            }
            if let Some((peer, state)) = &sync_state {
                tx.open_table(SYNC_STATE)?.insert(*peer, state.as_slice())?;
            }
            let mut table = tx.open_table(META)?;
            for (k, v) in &sealed_meta {
                table.insert(k.as_str(), v.as_slice())?;
            }
            Ok(())
        })
    }

    /// Replaces the snapshot and empties the log, atomically.
    pub fn compact(&self, snapshot: &[u8]) -> Result<(), StoreError> {
        let sealed = self.seal(SNAPSHOT.name(), SNAPSHOT_KEY.as_bytes(), snapshot)?;
        self.write(|tx| {
            tx.open_table(SNAPSHOT)?
                .insert(SNAPSHOT_KEY, sealed.as_slice())?;
            let mut log = tx.open_table(LOG)?;
            log.retain(|_, _| false)?;
            Ok(())
        })
    }

    pub fn load(&self) -> Result<Stored, StoreError> {
        let (snapshot, log) = self.read(|tx| {
            let snapshot = tx
                .open_table(SNAPSHOT)
                .map_err(|e| self.read_err(e))?
                .get(SNAPSHOT_KEY)
                .map_err(|e| self.read_err(e))?
                .map(|v| v.value().to_vec());
            let log_table = tx.open_table(LOG).map_err(|e| self.read_err(e))?;
            let mut log = Vec::new();
            for entry in log_table.iter().map_err(|e| self.read_err(e))? {
                let (k, v) = entry.map_err(|e| self.read_err(e))?;
                log.push((k.value(), v.value().to_vec()));
            }
            Ok((snapshot, log))
        })?;
        let snapshot = snapshot
            .map(|v| {
                Ok::<_, StoreError>(
                    self.unseal(SNAPSHOT.name(), SNAPSHOT_KEY.as_bytes(), &v)?
                        .to_vec(),
                )
            })
            .transpose()?;
        let log = log
            .into_iter()
            .map(|(seq, v)| Ok(self.unseal(LOG.name(), &seq.to_be_bytes(), &v)?.to_vec()))
            .collect::<Result<_, StoreError>>()?;
        Ok(Stored { snapshot, log })
    }

    pub fn log_len(&self) -> Result<u64, StoreError> {
        self.read(|tx| {
            let table = tx.open_table(LOG).map_err(|e| self.read_err(e))?;
            table.len().map_err(|e| self.read_err(e))
        })
    }

    pub fn signature(&self, hash: &ChangeHash) -> Result<Option<ChangeSignature>, StoreError> {
        Ok(self.signatures([*hash])?.pop().and_then(|(_, sig)| sig))
    }

    /// Looks up many signatures in one read transaction. A signature that does not open is
    /// reported as missing, which every caller treats as "not verified".
    pub fn signatures(
        &self,
        hashes: impl IntoIterator<Item = ChangeHash>,
    ) -> Result<Vec<(ChangeHash, Option<ChangeSignature>)>, StoreError> {
        self.read(|tx| {
            let table = tx.open_table(SIGNATURES).map_err(|e| self.read_err(e))?;
            let mut out = Vec::new();
            for hash in hashes {
                let sig = table
                    .get(hash.0.as_slice())
                    .map_err(|e| self.read_err(e))?
                    .and_then(|v| {
                        self.sealer
                            .open(&self.place(SIGNATURES.name(), &hash.0), v.value())
                    })
                    .and_then(|plain| ChangeSignature::from_bytes(&plain));
                out.push((hash, sig));
            }
            Ok(out)
        })
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .get_str(SETTINGS, key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let sealed = self.seal(SETTINGS.name(), key.as_bytes(), value.as_bytes())?;
        self.write(|tx| {
            tx.open_table(SETTINGS)?.insert(key, sealed.as_slice())?;
            Ok(())
        })
    }

    pub fn sync_state(&self, peer: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_str(SYNC_STATE, peer)
    }

    /// Saves what a sync conversation learnt — the sync state and meta such as the heads the
    /// partner has — in one transaction (one commit per sync message, not two). A
    /// non-durable commit would spare the fsyncs, but redb refuses it when other processes
    /// may read the file, as `trellis status` does beside the window.
    pub fn save_sync_hints(
        &self,
        peer: &str,
        state: &[u8],
        meta: &[(&str, Vec<u8>)],
    ) -> Result<(), StoreError> {
        self.append_with_sync_state(&[], meta, Some((peer, state)))
    }

    /// Every sealed value of the store's document tables with its place, as stored (for the
    /// benchmark of what sealing costs: opening them is the whole of it).
    pub fn sealed_values(&self) -> Result<Vec<PlacedValue>, StoreError> {
        self.read(|tx| {
            let mut out = Vec::new();
            for table in [META, SNAPSHOT, SYNC_STATE, SETTINGS] {
                let t = tx.open_table(table).map_err(|e| self.read_err(e))?;
                for row in t.iter().map_err(|e| self.read_err(e))? {
                    let (k, v) = row.map_err(|e| self.read_err(e))?;
                    out.push((
                        self.place(table.name(), k.value().as_bytes()),
                        v.value().to_vec(),
                    ));
                }
            }
            let t = tx.open_table(LOG).map_err(|e| self.read_err(e))?;
            for row in t.iter().map_err(|e| self.read_err(e))? {
                let (k, v) = row.map_err(|e| self.read_err(e))?;
                out.push((
                    self.place(LOG.name(), &k.value().to_be_bytes()),
                    v.value().to_vec(),
                ));
            }
            let t = tx.open_table(SIGNATURES).map_err(|e| self.read_err(e))?;
            for row in t.iter().map_err(|e| self.read_err(e))? {
                let (k, v) = row.map_err(|e| self.read_err(e))?;
                out.push((self.place(SIGNATURES.name(), k.value()), v.value().to_vec()));
            }
            Ok(out)
        })
    }

    pub fn set_sync_state(&self, peer: &str, state: &[u8]) -> Result<(), StoreError> {
        self.save_sync_hints(peer, state, &[])
    }
}

/// Owner-only permissions on a data file.
pub(crate) fn set_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
}
