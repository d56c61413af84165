//! The document store: one redb file holding signed changes, their signatures, a snapshot,
//! per-partner sync state and settings. Every write is one transaction.

use std::path::{Path, PathBuf};

use redb::{
    ConcurrencyMode, Database, ReadOnlyDatabase, ReadTransaction, ReadableDatabase, ReadableTable,
    ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use trellis_core::{ChangeHash, ChangeSignature, SignedChange};

use crate::error::StoreError;
use crate::guard::{self, Guarded};

/// Small named values: who I am, the couple, what the partner has, when we last met.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Change hash → signer key and signature (96 bytes). Kept forever, across compaction.
const SIGNATURES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("signatures");
/// Changes saved since the last snapshot, in the order they were saved.
pub(crate) const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
/// The compacted document (automerge `save()`), under the key "doc".
const SNAPSHOT: TableDefinition<&str, &[u8]> = TableDefinition::new("snapshot");
/// Per-partner automerge sync state.
const SYNC_STATE: TableDefinition<&str, &[u8]> = TableDefinition::new("sync_state");
/// Profile settings (network mode, relay, theme…).
const SETTINGS: TableDefinition<&str, &str> = TableDefinition::new("settings");

const SNAPSHOT_KEY: &str = "doc";

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
}

fn missing(path: &Path) -> StoreError {
    StoreError::corrupt(
        path,
        "the file is missing although the profile's keys exist",
    )
}

impl DocumentDb {
    /// Creates a new, empty store. Refuses to touch an existing file.
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        if path.exists() {
            return Err(StoreError::AlreadyInitialized(path.to_path_buf()));
        }
        let db = guard::create(path, MODE)?;
        set_private(path);
        let me = Self {
            db: Handle::Writer(db),
            path: path.to_path_buf(),
        };
        me.write(|tx| {
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
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if !path.exists() {
            return Err(missing(path));
        }
        Ok(Self {
            db: Handle::Writer(guard::open(path, MODE)?),
            path: path.to_path_buf(),
        })
    }

    /// Opens the store only for reading, beside a running writer.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        if !path.exists() {
            return Err(missing(path));
        }
        Ok(Self {
            db: Handle::Reader(guard::open_read_only(path, MODE)?),
            path: path.to_path_buf(),
        })
    }

    /// True when this handle cannot write (another process has the profile open).
    pub fn is_read_only(&self) -> bool {
        matches!(self.db, Handle::Reader(_))
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

    fn read_err(&self, e: impl ToString) -> StoreError {
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

    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|tx| {
            let table = tx.open_table(META).map_err(|e| self.read_err(e))?;
            let value = table.get(key).map_err(|e| self.read_err(e))?;
            Ok(value.map(|v| v.value().to_vec()))
        })
    }

    pub fn meta_string(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .meta(key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn set_meta(&self, entries: &[(&str, Vec<u8>)]) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut table = tx.open_table(META)?;
            for (k, v) in entries {
                table.insert(*k, v.as_slice())?;
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
        self.write(|tx| {
            let mut sigs = tx.open_table(SIGNATURES)?;
            let mut log = tx.open_table(LOG)?;
            let first = log.last()?.map(|(k, _)| k.value() + 1).unwrap_or(0);
            for (seq, (hash, change)) in (first..).zip(changes) {
                sigs.insert(hash.0.as_slice(), change.signature.to_bytes().as_slice())?;
                log.insert(seq, change.bytes.as_slice())?;
            }
            let mut table = tx.open_table(META)?;
            for (k, v) in meta {
                table.insert(*k, v.as_slice())?;
            }
            Ok(())
        })
    }

    /// Replaces the snapshot and empties the log, atomically.
    pub fn compact(&self, snapshot: &[u8]) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.open_table(SNAPSHOT)?.insert(SNAPSHOT_KEY, snapshot)?;
            let mut log = tx.open_table(LOG)?;
            log.retain(|_, _| false)?;
            Ok(())
        })
    }

    pub fn load(&self) -> Result<Stored, StoreError> {
        self.read(|tx| {
            let snapshot = tx
                .open_table(SNAPSHOT)
                .map_err(|e| self.read_err(e))?
                .get(SNAPSHOT_KEY)
                .map_err(|e| self.read_err(e))?
                .map(|v| v.value().to_vec());
            let log_table = tx.open_table(LOG).map_err(|e| self.read_err(e))?;
            let mut log = Vec::new();
            for entry in log_table.iter().map_err(|e| self.read_err(e))? {
                let (_, v) = entry.map_err(|e| self.read_err(e))?;
                log.push(v.value().to_vec());
            }
            Ok(Stored { snapshot, log })
        })
    }

    pub fn log_len(&self) -> Result<u64, StoreError> {
        self.read(|tx| {
            let table = tx.open_table(LOG).map_err(|e| self.read_err(e))?;
            table.len().map_err(|e| self.read_err(e))
        })
    }

    pub fn signature(&self, hash: &ChangeHash) -> Result<Option<ChangeSignature>, StoreError> {
        self.read(|tx| {
            let table = tx.open_table(SIGNATURES).map_err(|e| self.read_err(e))?;
            let value = table.get(hash.0.as_slice()).map_err(|e| self.read_err(e))?;
            match value {
                None => Ok(None),
                Some(v) => ChangeSignature::from_bytes(v.value())
                    .map(Some)
                    .ok_or_else(|| self.read_err(format!("a damaged signature record for {hash}"))),
            }
        })
    }

    /// Looks up many signatures in one read transaction.
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
                    .and_then(|v| ChangeSignature::from_bytes(v.value()));
                out.push((hash, sig));
            }
            Ok(out)
        })
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|tx| {
            let table = tx.open_table(SETTINGS).map_err(|e| self.read_err(e))?;
            let value = table.get(key).map_err(|e| self.read_err(e))?;
            Ok(value.map(|v| v.value().to_string()))
        })
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.open_table(SETTINGS)?.insert(key, value)?;
            Ok(())
        })
    }

    pub fn sync_state(&self, peer: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|tx| {
            let table = tx.open_table(SYNC_STATE).map_err(|e| self.read_err(e))?;
            let value = table.get(peer).map_err(|e| self.read_err(e))?;
            Ok(value.map(|v| v.value().to_vec()))
        })
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
        self.write(|tx| {
            tx.open_table(SYNC_STATE)?.insert(peer, state)?;
            let mut table = tx.open_table(META)?;
            for (k, v) in meta {
                table.insert(*k, v.as_slice())?;
            }
            Ok(())
        })
    }

    pub fn set_sync_state(&self, peer: &str, state: &[u8]) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.open_table(SYNC_STATE)?.insert(peer, state)?;
            Ok(())
        })
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
