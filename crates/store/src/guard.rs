//! Keeping a damaged store from crashing Trellis, or from being rewritten behind the user's back.
//!
//! redb trusts a file that was shut down cleanly: damage it meets while reading may panic (its
//! `Database::open` documentation says so), and damage it does not trip over reads back as if it
//! were data. So:
//!
//! * every open for writing runs redb's integrity check, which verifies the checksum of every
//!   page of the committed trees before anything is read from them;
//! * the writes that open makes (the check ends with a commit) are held back in memory until it
//!   has succeeded, so a file that is refused is left byte for byte as it was;
//! * the check may rebuild redb's own bookkeeping of free pages, which keeps every saved record,
//!   but may not roll the file back to the save before the latest: both stores commit in two
//!   phases, after which a crash never leaves a half-written latest save, so one that fails its
//!   checksums is damage, and going back would silently drop what the user saved last;
//! * every call into redb runs under `catch_unwind`, for what the check cannot cover (a reader
//!   beside the running app, a file damaged while open). A panic becomes the damaged-file error
//!   and the handle is not used again; it writes nothing more, even when it is closed.

use std::any::Any;
use std::fs::OpenOptions;
use std::io;
use std::ops::Bound;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use redb::backends::FileBackend;
use redb::{
    BackendError, Builder, ConcurrencyMode, Database, DatabaseError, ReadOnlyDatabase,
    RepairSession, StorageBackend,
};

use crate::error::StoreError;

/// The progress redb 4.5 reports just before it rolls a file back to the save before the
/// latest, because the latest failed its checksums (`Database::do_repair` in its `db.rs`). Its
/// other reports are 0.0 (starting), 0.6 and 0.9, which only rebuild the free-page bookkeeping.
const ROLLBACK_PROGRESS: f64 = 0.3;

/// A store handle that is refused for good once redb has panicked inside it.
pub(crate) struct Guarded<T> {
    /// `None` only while it is being dropped.
    inner: Option<T>,
    path: PathBuf,
    /// Why the handle broke: the first panic's message.
    broken: OnceLock<String>,
    /// The gate of a handle that writes, closed for good when it breaks.
    gate: Option<Arc<GateState>>,
}

impl<T> std::fmt::Debug for Guarded<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guarded")
            .field("path", &self.path)
            .field("broken", &self.broken.get())
            .finish_non_exhaustive()
    }
}

impl<T> Guarded<T> {
    /// Runs `f` on the handle. A panic inside it is reported as the damaged-file error, and
    /// from then on the handle is refused without being touched.
    pub(crate) fn run<R>(
        &self,
        f: impl FnOnce(&T) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        if let Some(why) = self.broken.get() {
            return Err(StoreError::corrupt(
                &self.path,
                format!("it was found damaged earlier ({why}) and has not been touched since"),
            ));
        }
        let Some(inner) = &self.inner else {
            return Err(StoreError::corrupt(&self.path, "the store is closing"));
        };
        // Unwind safety: after a panic the handle is never used again (see above), so no state
        // a panic left half-updated can be observed.
        match catch_unwind(AssertUnwindSafe(|| f(inner))) {
            Ok(result) => result,
            Err(payload) => {
                let why = panic_message(payload.as_ref());
                if let Some(gate) = &self.gate {
                    gate.freeze();
                }
                let _ = self.broken.set(why.clone());
                Err(damaged(&self.path, &why))
            }
        }
    }
}

impl<T> Drop for Guarded<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            // Closing commits redb's bookkeeping, which reads the file: damage can panic there
            // too, and a panic out of a drop would take the app down with it.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(inner)));
        }
    }
}

/// The damaged-file error for a panic inside redb.
fn damaged(path: &Path, why: &str) -> StoreError {
    StoreError::corrupt(path, format!("the file is damaged ({why})"))
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the store library failed unexpectedly".into())
}

/// What a failed open means for the user.
fn open_error(path: &Path, e: DatabaseError) -> StoreError {
    match e {
        // Another copy of Trellis, maybe of another version, has the file open.
        DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => {
            StoreError::Busy(path.to_path_buf())
        }
        DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == io::ErrorKind::PermissionDenied =>
        {
            StoreError::read(path, io)
        }
        other => StoreError::corrupt(path, format!("the file is damaged ({other})")),
    }
}

/// Whether a redb error means the file is damaged, rather than that a write could not be made.
/// A read past the end of the file is damage too: a page pointer that leads outside the file
/// was written wrong or changed since, and no full disk or permission ever causes it.
pub(crate) fn is_damage(e: &redb::Error) -> bool {
    match e {
        redb::Error::Corrupted(_) => true,
        redb::Error::Io(io) => io.kind() == io::ErrorKind::UnexpectedEof,
        _ => false,
    }
}

/// A failed write to the store at `path`: damage found on the way is the damaged-file
/// error, anything else (a full disk, permissions) the could-not-save one.
pub(crate) fn write_error(path: &Path, e: impl Into<redb::Error>) -> StoreError {
    let e = e.into();
    if is_damage(&e) {
        StoreError::corrupt(path, format!("the file is damaged ({e})"))
    } else {
        StoreError::write(path, e)
    }
}

/// Opens an existing store to write, after checking every page of it; never changes a file
/// it refuses.
pub(crate) fn open(path: &Path, mode: ConcurrencyMode) -> Result<Guarded<Database>, StoreError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| StoreError::read(path, e))?;
    let len = file
        .metadata()
        .map_err(|e| StoreError::read(path, e))?
        .len();
    // redb would start a new, empty database in an empty file: a silent fresh start.
    if len == 0 {
        return Err(StoreError::corrupt(path, "the file is empty"));
    }
    let backend = FileBackend::new(file).map_err(|e| open_error(path, e))?;
    let rolled_back = Arc::new(AtomicBool::new(false));
    let seen = rolled_back.clone();
    let mut builder = Builder::new();
    builder
        .set_concurrency_mode(mode)
        .set_check_integrity_on_open(true)
        .set_repair_callback(move |session: &mut RepairSession| {
            if (session.progress() - ROLLBACK_PROGRESS).abs() < 1e-9 {
                seen.store(true, Ordering::SeqCst);
                session.abort();
            }
        });
    let opened = start(path, builder, backend)?;
    opened.map_err(|e| {
        if rolled_back.load(Ordering::SeqCst) {
            StoreError::corrupt(
                path,
                "the file is damaged: its latest save fails its checksums, and going back to \
                 the save before it would lose what was saved last",
            )
        } else {
            open_error(path, e)
        }
    })
}

/// Creates a new store; refuses a file that already exists.
pub(crate) fn create(path: &Path, mode: ConcurrencyMode) -> Result<Guarded<Database>, StoreError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => StoreError::AlreadyInitialized(path.to_path_buf()),
            _ => StoreError::write(path, e),
        })?;
    let mut builder = Builder::new();
    builder.set_concurrency_mode(mode);
    let created = FileBackend::new(file)
        .map_err(|e| open_error(path, e))
        .and_then(|backend| start(path, builder, backend)?.map_err(|e| open_error(path, e)));
    if created.is_err() {
        // The file is the one just made here and holds nothing yet; left behind empty, every
        // later open would refuse it as damaged.
        let _ = std::fs::remove_file(path);
    }
    created
}

/// Runs redb's open over a gated file, then lets the writes it made through.
fn start(
    path: &Path,
    builder: Builder,
    backend: FileBackend,
) -> Result<Result<Guarded<Database>, DatabaseError>, StoreError> {
    let gate = Gate::new(backend);
    let state = gate.state.clone();
    let db = match catch_unwind(AssertUnwindSafe(|| builder.create_with_backend(gate))) {
        Ok(Ok(db)) => db,
        Ok(Err(e)) => return Ok(Err(e)),
        Err(payload) => return Err(damaged(path, &panic_message(payload.as_ref()))),
    };
    let guarded = Guarded {
        inner: Some(db),
        path: path.to_path_buf(),
        broken: OnceLock::new(),
        gate: Some(state.clone()),
    };
    if let Err(e) = state.release() {
        // The dropped handle writes nothing more: the gate is frozen.
        return Err(StoreError::write(path, e));
    }
    Ok(Ok(guarded))
}

/// Opens a store only to read (beside a running writer). redb never writes through such a
/// handle, and cannot check it: the writer checked the file when it opened it.
pub(crate) fn open_read_only(
    path: &Path,
    mode: ConcurrencyMode,
) -> Result<Guarded<ReadOnlyDatabase>, StoreError> {
    let mut builder = Builder::new();
    builder.set_concurrency_mode(mode);
    let db = match catch_unwind(AssertUnwindSafe(|| builder.open_read_only(path))) {
        Ok(opened) => opened.map_err(|e| open_error(path, e))?,
        Err(payload) => return Err(damaged(path, &panic_message(payload.as_ref()))),
    };
    Ok(Guarded {
        inner: Some(db),
        path: path.to_path_buf(),
        broken: OnceLock::new(),
        gate: None,
    })
}

const STAGING: u8 = 0;
const OPEN: u8 = 1;
const FROZEN: u8 = 2;

/// One write redb made while the open was being checked, kept in order with its syncs so that
/// letting them through later keeps redb's crash-safe ordering.
enum Staged {
    Write(u64, Vec<u8>),
    SetLen(u64),
    Sync,
}

struct GateState {
    file: FileBackend,
    mode: AtomicU8,
    staged: Mutex<Vec<Staged>>,
    /// The file's length as redb sees it while writes are staged.
    staged_len: Mutex<Option<u64>>,
}

/// The file under redb: writes are held in memory while the open is checked, pass through once
/// it has succeeded, and are refused for good once the handle breaks.
struct Gate {
    state: Arc<GateState>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("file", &self.state.file)
            .field("mode", &self.state.mode.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The staged list is only ever appended to or taken whole, so a panic elsewhere cannot
    // leave it half-updated.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn frozen() -> io::Error {
    io::Error::other("this store was found damaged; Trellis writes nothing more to it")
}

impl Gate {
    fn new(file: FileBackend) -> Self {
        Self {
            state: Arc::new(GateState {
                file,
                mode: AtomicU8::new(STAGING),
                staged: Mutex::new(Vec::new()),
                staged_len: Mutex::new(None),
            }),
        }
    }
}

impl GateState {
    fn mode(&self) -> u8 {
        self.mode.load(Ordering::SeqCst)
    }

    fn freeze(&self) {
        self.mode.store(FROZEN, Ordering::SeqCst);
    }

    fn staged_len(&self) -> io::Result<u64> {
        let mut len = locked(&self.staged_len);
        match *len {
            Some(n) => Ok(n),
            None => {
                let n = self.file.len()?;
                *len = Some(n);
                Ok(n)
            }
        }
    }

    /// Writes what the open staged, in order with its syncs, then lets later writes through.
    fn release(&self) -> io::Result<()> {
        let staged = std::mem::take(&mut *locked(&self.staged));
        let result = (|| {
            for op in &staged {
                match op {
                    Staged::Write(offset, data) => self.file.write(*offset, data)?,
                    Staged::SetLen(len) => self.file.set_len(*len)?,
                    Staged::Sync => self.file.sync_data()?,
                }
            }
            if !matches!(staged.last(), None | Some(Staged::Sync)) {
                self.file.sync_data()?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => self.mode.store(OPEN, Ordering::SeqCst),
            Err(_) => self.freeze(),
        }
        result
    }

    /// A read while writes are staged: the file as it is, then the staged writes over it.
    fn read_staged(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let end = offset
            .checked_add(out.len() as u64)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "read past the end"))?;
        if end > self.staged_len()? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read past the end of the file",
            ));
        }
        let on_disk = self.file.len()?.clamp(offset, end);
        let (from_file, beyond) = out.split_at_mut((on_disk - offset) as usize);
        if !from_file.is_empty() {
            self.file.read(offset, from_file)?;
        }
        beyond.fill(0);
        for op in locked(&self.staged).iter() {
            match op {
                Staged::Write(at, data) => {
                    let start = (*at).max(offset);
                    let stop = (at + data.len() as u64).min(end);
                    if start < stop {
                        out[(start - offset) as usize..(stop - offset) as usize]
                            .copy_from_slice(&data[(start - at) as usize..(stop - at) as usize]);
                    }
                }
                // Bytes cut off and grown back read as zeros.
                Staged::SetLen(len) if *len < end => {
                    out[((*len).max(offset) - offset) as usize..].fill(0);
                }
                Staged::SetLen(_) | Staged::Sync => {}
            }
        }
        Ok(())
    }
}

impl StorageBackend for Gate {
    fn len(&self) -> Result<u64, io::Error> {
        match self.state.mode() {
            STAGING => self.state.staged_len(),
            _ => self.state.file.len(),
        }
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        match self.state.mode() {
            STAGING => self.state.read_staged(offset, out),
            _ => self.state.file.read(offset, out),
        }
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        match self.state.mode() {
            STAGING => {
                locked(&self.state.staged).push(Staged::SetLen(len));
                *locked(&self.state.staged_len) = Some(len);
                Ok(())
            }
            OPEN => self.state.file.set_len(len),
            _ => Err(frozen()),
        }
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        match self.state.mode() {
            STAGING => {
                locked(&self.state.staged).push(Staged::Sync);
                Ok(())
            }
            OPEN => self.state.file.sync_data(),
            _ => Err(frozen()),
        }
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        match self.state.mode() {
            STAGING => {
                let end = offset + data.len() as u64;
                let len = self.state.staged_len()?;
                if end > len {
                    *locked(&self.state.staged_len) = Some(end);
                }
                locked(&self.state.staged).push(Staged::Write(offset, data.to_vec()));
                Ok(())
            }
            OPEN => self.state.file.write(offset, data),
            _ => Err(frozen()),
        }
    }

    fn close(&self) -> Result<(), io::Error> {
        // Writes still staged belong to an open that failed: they are dropped with the gate.
        self.state.file.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.state.file.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.state.file.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.state.file.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.state.file.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.state.file.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.state.file.query_lock_range(start, end)
    }
}
