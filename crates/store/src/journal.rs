//! The private journal and the list of one's own triggers.
//!
//! They live in their own file (`private.redb`), opened only through this type. Nothing
//! that syncs, bundles or exports the couple's document has a way to reach it. Every value
//! is sealed with the journal's own key (see [`crate::vault`]).

use std::path::{Path, PathBuf};

use redb::{
    ConcurrencyMode, Database, ReadableDatabase, ReadableTable, TableDefinition, TableHandle,
};
use serde::{Deserialize, Serialize};
use trellis_core::Moment;
use trellis_core::time::format_date;

use trellis_core::CoreError;

use crate::atomic::sync_dir;
use crate::db::set_private;
use crate::error::StoreError;
use crate::guard::{self, Guarded};
use crate::paths::ProfilePaths;
use crate::vault::{Sealer, Vault, place};

const ENTRIES: TableDefinition<&str, &[u8]> = TableDefinition::new("journal_sealed");
const TRIGGERS: TableDefinition<&str, &[u8]> = TableDefinition::new("triggers_sealed");
/// What Trellis wrote before the journal was sealed: JSON as it is.
const PLAIN_ENTRIES: TableDefinition<&str, &str> = TableDefinition::new("journal");
const PLAIN_TRIGGERS: TableDefinition<&str, &str> = TableDefinition::new("triggers");
/// The file's name in every sealed value's place.
const FILE: &str = "private.redb";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub id: String,
    pub text: String,
    pub date: String,
    pub at: i64,
    /// When its words were last changed (it keeps its day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub id: String,
    pub text: String,
    pub at: i64,
}

/// A journal as written before sealing: its entries and triggers.
type PlainJournal = (Vec<JournalEntry>, Vec<Trigger>);

/// Only Trellis's own process opens the journal, and one at a time.
const MODE: ConcurrencyMode = ConcurrencyMode::ExclusiveWriter;

/// The journal's store. Every call into redb goes through [`guard`](crate::guard): a damaged
/// file is the damaged-file error naming it, never a panic.
#[derive(Debug)]
pub struct Journal {
    db: Guarded<Database>,
    path: PathBuf,
    sealer: Sealer,
}

impl Journal {
    /// Opens this profile's private store, creating it on first use. A journal written
    /// before sealing is sealed here, in a fresh file put in place of the old one.
    pub fn open(paths: &ProfilePaths, vault: &Vault) -> Result<Self, StoreError> {
        if !paths.identity_key().exists() {
            return Err(StoreError::NotInitialized(paths.dir.clone()));
        }
        let path = paths.private_db();
        let db = if path.exists() {
            guard::open(&path, MODE)?
        } else {
            match guard::create(&path, MODE) {
                // Another Trellis process made it meanwhile: use that one.
                Err(StoreError::AlreadyInitialized(_)) => guard::open(&path, MODE)?,
                created => created?,
            }
        };
        set_private(&path);
        let mut journal = Self {
            db,
            path,
            sealer: vault.journal_sealer().clone(),
        };
        if let Some((entries, triggers)) = journal.plain_rows()? {
            journal.rewrite_with(&entries, &triggers)?;
        }
        Ok(journal)
    }

    /// The entries and triggers of a journal written before sealing; `None` when it is sealed.
    fn plain_rows(&self) -> Result<Option<PlainJournal>, StoreError> {
        fn rows<T: for<'de> Deserialize<'de>>(
            tx: &redb::ReadTransaction,
            table: TableDefinition<&str, &str>,
            path: &Path,
        ) -> Result<Option<Vec<T>>, StoreError> {
            let t = match tx.open_table(table) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(StoreError::corrupt(path, e)),
            };
            let mut out = Vec::new();
            for row in t.iter().map_err(|e| StoreError::corrupt(path, e))? {
                let (_, v) = row.map_err(|e| StoreError::corrupt(path, e))?;
                out.push(
                    serde_json::from_str(v.value()).map_err(|e| StoreError::corrupt(path, e))?,
                );
            }
            Ok(Some(out))
        }
        self.db.run(|db| {
            let tx = db
                .begin_read()
                .map_err(|e| StoreError::corrupt(&self.path, e))?;
            let entries = rows(&tx, PLAIN_ENTRIES, &self.path)?;
            let triggers = rows(&tx, PLAIN_TRIGGERS, &self.path)?;
            Ok(match (entries, triggers) {
                (None, None) => None,
                (e, t) => Some((e.unwrap_or_default(), t.unwrap_or_default())),
            })
        })
    }

    fn place(table: &str, id: &str) -> Vec<u8> {
        place(FILE, table, id.as_bytes())
    }

    /// Each item as sealed JSON under its id.
    fn sealed_rows<'a, T: Serialize + 'a>(
        &self,
        table: &str,
        items: impl Iterator<Item = (&'a String, &'a T)>,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        items
            .map(|(id, item)| {
                let json =
                    serde_json::to_string(item).map_err(|e| StoreError::write(&self.path, e))?;
                let sealed = self.sealer.seal(&Self::place(table, id), json.as_bytes())?;
                Ok((id.clone(), sealed))
            })
            .collect()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn put(
        &self,
        table: TableDefinition<&str, &[u8]>,
        id: &str,
        json: &str,
    ) -> Result<(), StoreError> {
        let sealed = self
            .sealer
            .seal(&Self::place(table.name(), id), json.as_bytes())?;
        self.db.run(|db| {
            let mut tx = db.begin_write().map_err(|e| self.write_err(e))?;
            // In two phases, as the couple's store does: a crash then never leaves a
            // half-written latest save, so one that fails its checksums is damage, which the
            // open refuses rather than going back to the save before it.
            tx.set_two_phase_commit(true);
            {
                let mut t = tx.open_table(table).map_err(|e| self.write_err(e))?;
                t.insert(id, sealed.as_slice())
                    .map_err(|e| self.write_err(e))?;
            }
            tx.commit().map_err(|e| self.write_err(e))
        })
    }

    /// A failed write (see [`guard::write_error`]).
    fn write_err(&self, e: impl Into<redb::Error>) -> StoreError {
        guard::write_error(&self.path, e)
    }

    fn all<T: for<'de> Deserialize<'de>>(
        &self,
        table: TableDefinition<&str, &[u8]>,
    ) -> Result<Vec<T>, StoreError> {
        self.db.run(|db| {
            let tx = db
                .begin_read()
                .map_err(|e| StoreError::corrupt(&self.path, e))?;
            let t = match tx.open_table(table) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(StoreError::corrupt(&self.path, e)),
            };
            let mut out = Vec::new();
            for row in t.iter().map_err(|e| StoreError::corrupt(&self.path, e))? {
                let (k, v) = row.map_err(|e| StoreError::corrupt(&self.path, e))?;
                let plain = self
                    .sealer
                    .open(&Self::place(table.name(), k.value()), v.value())
                    .ok_or_else(|| {
                        StoreError::corrupt(
                            &self.path,
                            "an entry does not open with this profile's journal key (it was \
                             changed, moved or damaged)",
                        )
                    })?;
                let item = serde_json::from_slice(&plain)
                    .map_err(|e| StoreError::corrupt(&self.path, e))?;
                out.push(item);
            }
            Ok(out)
        })
    }

    pub fn add_entry(&self, text: &str, now: Moment) -> Result<JournalEntry, StoreError> {
        let text = checked(text)?;
        let entry = JournalEntry {
            id: trellis_core::id::new_id()?,
            text,
            date: format_date(now.today()),
            at: now.at_ms,
            edited_at: None,
        };
        let json = serde_json::to_string(&entry).map_err(|e| StoreError::write(&self.path, e))?;
        self.put(ENTRIES, &entry.id, &json)?;
        Ok(entry)
    }

    /// Newest first.
    pub fn entries(&self) -> Result<Vec<JournalEntry>, StoreError> {
        let mut all: Vec<JournalEntry> = self.all(ENTRIES)?;
        all.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));
        Ok(all)
    }

    /// The entry whose id is `id` or starts with it.
    fn entry(&self, id: &str) -> Result<JournalEntry, StoreError> {
        let what = "journal entry";
        let id = id.trim();
        let mut found = self
            .entries()?
            .into_iter()
            .filter(|e| !id.is_empty() && e.id.starts_with(id));
        match (found.next(), found.next()) {
            (Some(entry), None) => Ok(entry),
            (None, _) => Err(CoreError::UnknownId {
                what,
                id: id.to_string(),
            }
            .into()),
            (Some(_), Some(_)) => Err(CoreError::AmbiguousId {
                what,
                id: id.to_string(),
            }
            .into()),
        }
    }

    /// Changes an entry's words. The file is written afresh without the old words, so they
    /// are gone from the disk, not only from the list.
    pub fn edit_entry(
        &mut self,
        id: &str,
        text: &str,
        now: Moment,
    ) -> Result<JournalEntry, StoreError> {
        let mut entry = self.entry(id)?;
        entry.text = checked(text)?;
        entry.edited_at = Some(now.at_ms);
        let mut entries = self.entries()?;
        for e in entries.iter_mut().filter(|e| e.id == entry.id) {
            *e = entry.clone();
        }
        self.rewrite(&entries)?;
        Ok(entry)
    }

    /// Deletes an entry for good: the file is written afresh without it.
    pub fn delete_entry(&mut self, id: &str) -> Result<JournalEntry, StoreError> {
        let entry = self.entry(id)?;
        let mut entries = self.entries()?;
        entries.retain(|e| e.id != entry.id);
        self.rewrite(&entries)?;
        Ok(entry)
    }

    /// Writes a new file holding `entries` and the triggers, and puts it in place of the old
    /// one in one rename. redb frees a replaced record's pages but does not wipe them, so
    /// words taken back would stay readable in the file; a fresh file holds only what is
    /// kept. A crash leaves either the old file or the new one, whole.
    fn rewrite(&mut self, entries: &[JournalEntry]) -> Result<(), StoreError> {
        let triggers = self.triggers()?;
        self.rewrite_with(entries, &triggers)
    }

    fn rewrite_with(
        &mut self,
        entries: &[JournalEntry],
        triggers: &[Trigger],
    ) -> Result<(), StoreError> {
        let fresh = self.path.with_extension("redb.rewrite");
        let write_err = |e: &dyn std::fmt::Display| StoreError::write(&fresh, e);
        if fresh.exists() {
            std::fs::remove_file(&fresh).map_err(|e| write_err(&e))?;
        }
        let entries = self.sealed_rows(ENTRIES.name(), entries.iter().map(|e| (&e.id, e)))?;
        let triggers = self.sealed_rows(TRIGGERS.name(), triggers.iter().map(|t| (&t.id, t)))?;
        {
            let db = guard::create(&fresh, MODE)?;
            set_private(&fresh);
            db.run(|db| {
                let mut tx = db.begin_write().map_err(|e| write_err(&e))?;
                tx.set_two_phase_commit(true);
                let filled = (|| -> Result<(), redb::Error> {
                    for (table, rows) in [(ENTRIES, &entries), (TRIGGERS, &triggers)] {
                        let mut t = tx.open_table(table)?;
                        for (id, sealed) in rows {
                            t.insert(id.as_str(), sealed.as_slice())?;
                        }
                    }
                    Ok(())
                })();
                filled.map_err(|e| write_err(&e))?;
                tx.commit().map_err(|e| write_err(&e))
            })?;
        }
        std::fs::rename(&fresh, &self.path).map_err(|e| write_err(&e))?;
        // The rename itself reaches the disk; without it a crash could bring back the old file.
        sync_dir(&self.path);
        self.db = guard::open(&self.path, MODE)?;
        Ok(())
    }

    pub fn add_trigger(&self, text: &str, now: Moment) -> Result<Trigger, StoreError> {
        let trigger = Trigger {
            id: trellis_core::id::new_id()?,
            text: checked(text)?,
            at: now.at_ms,
        };
        let json = serde_json::to_string(&trigger).map_err(|e| StoreError::write(&self.path, e))?;
        self.put(TRIGGERS, &trigger.id, &json)?;
        Ok(trigger)
    }

    /// Oldest first.
    pub fn triggers(&self) -> Result<Vec<Trigger>, StoreError> {
        let mut all: Vec<Trigger> = self.all(TRIGGERS)?;
        all.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        Ok(all)
    }
}

fn checked(text: &str) -> Result<String, StoreError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(trellis_core::CoreError::Invalid("the text cannot be empty".into()).into());
    }
    if text.chars().count() > trellis_core::action::MAX_TEXT_CHARS {
        return Err(trellis_core::CoreError::Invalid("the text is too long".into()).into());
    }
    Ok(text.to_string())
}
