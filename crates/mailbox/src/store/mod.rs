//! The mailbox's durable store: one redb file holding the couples, their envelopes (sealed,
//! opaque bytes, in chunks), notices of envelopes that expired, and the open codes.
//!
//! Nothing here records when or from where anyone connected: only what delivery needs.
//!
//! A deposit's chunks are written as they arrive, in commits that need not reach the disk,
//! and the envelope becomes visible in one durable commit once all of it is there (which also
//! makes every earlier commit durable). A deposit cut off by a crash or a lost connection
//! leaves a pending mark, and its chunks are removed when the mailbox next starts.
//!
//! Every call into redb runs under `catch_unwind`: redb may panic on a damaged file, and a
//! mailbox must refuse its store clearly, not crash or rewrite it. After a panic the store
//! is not touched again.

mod couples;
mod envelopes;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use redb::{
    Builder, Database, DatabaseError, Durability, ReadTransaction, ReadableDatabase,
    TableDefinition, WriteTransaction,
};

use crate::error::MailboxError;

pub(crate) use couples::{Couple, CoupleId, Slot};
pub(crate) use envelopes::Waiting;

/// Small named values (the port used last time).
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Open codes: secret → (expires at, wrong tries).
const CODES: TableDefinition<u128, (i64, u32)> = TableDefinition::new("codes");
/// Couple id → the couple's record (see [`Couple`]).
const COUPLES: TableDefinition<u128, &[u8]> = TableDefinition::new("couples");
/// (couple, recipient, id) → (length, deposited at, chunks): envelopes that can be picked up.
const ENVELOPES: TableDefinition<(u128, u8, u64), (u64, i64, u32)> =
    TableDefinition::new("envelopes");
/// (couple, id, index) → the envelope's bytes, in order.
const CHUNKS: TableDefinition<(u128, u64, u32), &[u8]> = TableDefinition::new("chunks");
/// (couple, id) → recipient: deposits whose chunks are still arriving.
const PENDING: TableDefinition<(u128, u64), u8> = TableDefinition::new("pending");
/// (couple, sender, id): the sender's envelopes that expired before they were picked up.
const EXPIRED: TableDefinition<(u128, u8, u64), ()> = TableDefinition::new("expired");

/// The progress redb reports just before it rolls a file back to the commit before the
/// latest, because the latest failed its checksums: going back would silently lose
/// envelopes whose deposit was already confirmed, so that is refused as damage.
const ROLLBACK_PROGRESS: f64 = 0.3;

#[derive(Debug)]
pub(crate) struct Store {
    db: Database,
    path: PathBuf,
    /// Why the store broke: the first panic inside redb.
    broken: OnceLock<String>,
}

impl Store {
    /// Opens the store in `path` (checking every page of an existing one), or creates it.
    pub(crate) fn open(path: &Path) -> Result<Self, MailboxError> {
        let existed = match std::fs::metadata(path) {
            Ok(meta) if meta.len() == 0 => {
                // redb would start an empty store in it: a silent fresh start.
                return Err(damaged(path, "the file is empty"));
            }
            Ok(_) => true,
            Err(_) => false,
        };
        let rolled_back = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = rolled_back.clone();
        let mut builder = Builder::new();
        builder
            .set_check_integrity_on_open(existed)
            .set_repair_callback(move |session| {
                if (session.progress() - ROLLBACK_PROGRESS).abs() < 1e-9 {
                    seen.store(true, std::sync::atomic::Ordering::SeqCst);
                    session.abort();
                }
            });
        let db = match catch_unwind(AssertUnwindSafe(|| builder.create(path))) {
            Ok(Ok(db)) => db,
            Ok(Err(_)) if rolled_back.load(std::sync::atomic::Ordering::SeqCst) => {
                return Err(damaged(
                    path,
                    "its latest commit fails its checksums, and going back to the one before \
                     would lose envelopes whose deposit was confirmed",
                ));
            }
            Ok(Err(DatabaseError::DatabaseAlreadyOpen)) => {
                return Err(MailboxError::Busy(path.to_path_buf()));
            }
            Ok(Err(DatabaseError::Storage(redb::StorageError::Io(e)))) => {
                return Err(MailboxError::Folder {
                    path: path.to_path_buf(),
                    why: e.to_string(),
                });
            }
            Ok(Err(e)) => return Err(damaged(path, &e.to_string())),
            Err(_) => return Err(damaged(path, "the store library failed while opening it")),
        };
        set_private(path);
        let store = Self {
            db,
            path: path.to_path_buf(),
            broken: OnceLock::new(),
        };
        store.write(Durability::Immediate, |tx| {
            tx.open_table(META)?;
            tx.open_table(CODES)?;
            tx.open_table(COUPLES)?;
            tx.open_table(ENVELOPES)?;
            tx.open_table(CHUNKS)?;
            tx.open_table(PENDING)?;
            tx.open_table(EXPIRED)?;
            Ok(())
        })?;
        Ok(store)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one read transaction.
    fn read<R>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<R, redb::Error>,
    ) -> Result<R, MailboxError> {
        self.guarded(|db| {
            let tx = db.begin_read().map_err(|e| self.error(e.into()))?;
            f(&tx).map_err(|e| self.error(e))
        })
    }

    /// Runs `f` in one write transaction and commits it, durably or not.
    fn write<R>(
        &self,
        durability: Durability,
        f: impl FnOnce(&WriteTransaction) -> Result<R, redb::Error>,
    ) -> Result<R, MailboxError> {
        self.guarded(|db| {
            let mut tx = db.begin_write().map_err(|e| self.error(e.into()))?;
            tx.set_durability(durability)
                .map_err(|e| self.error(redb::Error::from(e)))?;
            let out = f(&tx).map_err(|e| self.error(e))?;
            tx.commit().map_err(|e| self.error(e.into()))?;
            Ok(out)
        })
    }

    fn guarded<R>(
        &self,
        f: impl FnOnce(&Database) -> Result<R, MailboxError>,
    ) -> Result<R, MailboxError> {
        if let Some(why) = self.broken.get() {
            return Err(damaged(
                &self.path,
                &format!("it was found damaged earlier ({why}) and has not been touched since"),
            ));
        }
        // Unwind safety: after a panic the handle is never used again.
        match catch_unwind(AssertUnwindSafe(|| f(&self.db))) {
            Ok(result) => result,
            Err(payload) => {
                let why = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "the store library failed unexpectedly".into());
                let _ = self.broken.set(why.clone());
                Err(damaged(&self.path, &why))
            }
        }
    }

    fn error(&self, e: redb::Error) -> MailboxError {
        match e {
            redb::Error::Corrupted(why) => damaged(&self.path, &why),
            other => MailboxError::Write {
                path: self.path.clone(),
                why: other.to_string(),
            },
        }
    }

    /// The port the endpoint used last time, if any.
    pub(crate) fn last_port(&self) -> Result<Option<u16>, MailboxError> {
        self.read(|tx| {
            let table = tx.open_table(META)?;
            Ok(table
                .get("port")?
                .and_then(|v| v.value().try_into().ok())
                .map(u16::from_le_bytes))
        })
    }

    pub(crate) fn set_last_port(&self, port: u16) -> Result<(), MailboxError> {
        self.write(Durability::Immediate, |tx| {
            tx.open_table(META)?
                .insert("port", port.to_le_bytes().as_slice())?;
            Ok(())
        })
    }
}

fn damaged(path: &Path, why: &str) -> MailboxError {
    MailboxError::Damaged {
        path: path.to_path_buf(),
        why: why.to_string(),
    }
}

/// Only the mailbox's owner may read its store (it holds only ciphertext, but also who is
/// registered). Best effort: a file system without modes keeps its own rules.
fn set_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}
