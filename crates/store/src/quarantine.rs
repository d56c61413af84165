//! Stored changes set aside because they would not apply.
//!
//! A profile always opens. If the store ever holds a change that does not apply (a bug, or
//! an older Trellis that stored a partner's change before proving it applied), opening
//! moves it out of the change log into this table, with the reason, in one transaction:
//! it is kept (nothing is deleted), `trellis verify` lists it, and everything else opens.

use redb::{ReadableTable, TableDefinition, TableHandle};
use serde::Serialize;
use trellis_core::SetAside;

use crate::db::{DocumentDb, LOG};
use crate::error::StoreError;

/// Log key → reason length (u32 LE) ‖ reason ‖ the change's bytes.
pub(crate) const QUARANTINE: TableDefinition<u64, &[u8]> = TableDefinition::new("quarantine");

/// A change kept aside, as `trellis verify` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarantined {
    /// The change's hash, when its bytes could be read that far.
    pub hash: Option<String>,
    pub reason: String,
    pub bytes: usize,
}

impl DocumentDb {
    /// Moves the log entries at the given positions (in the order `load` returned them)
    /// into the quarantine table, in one transaction.
    pub(crate) fn set_aside(&self, entries: &[SetAside]) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut log = tx.open_table(LOG)?;
            let keys: Vec<u64> = log
                .iter()?
                .map(|e| e.map(|(k, _)| k.value()))
                .collect::<Result<_, _>>()?;
            let mut aside = tx.open_table(QUARANTINE)?;
            for entry in entries {
                let Some(&key) = keys.get(entry.index) else {
                    continue;
                };
                let Some(sealed) = log.remove(key)?.map(|v| v.value().to_vec()) else {
                    continue;
                };
                // A row that does not open is kept as it is: set aside, not lost.
                let bytes = self
                    .unseal(LOG.name(), &key.to_be_bytes(), &sealed)
                    .map(|plain| plain.to_vec())
                    .unwrap_or(sealed);
                let reason = entry.reason.as_bytes();
                let mut value = Vec::with_capacity(4 + reason.len() + bytes.len());
                value.extend_from_slice(&(reason.len() as u32).to_le_bytes());
                value.extend_from_slice(reason);
                value.extend_from_slice(&bytes);
                let value = self.seal_in(QUARANTINE.name(), &key.to_be_bytes(), &value)?;
                aside.insert(key, value.as_slice())?;
            }
            Ok(())
        })
    }

    /// Every change ever set aside in this profile.
    pub fn quarantined(&self) -> Result<Vec<Quarantined>, StoreError> {
        let corrupt = |e: &dyn std::fmt::Display| StoreError::corrupt(self.path(), e);
        self.read(|tx| {
            let table = match tx.open_table(QUARANTINE) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(corrupt(&e)),
            };
            let mut out = Vec::new();
            for entry in table.iter().map_err(|e| corrupt(&e))? {
                let (k, v) = entry.map_err(|e| corrupt(&e))?;
                let value = self.unseal(QUARANTINE.name(), &k.value().to_be_bytes(), v.value())?;
                let value = value.as_slice();
                let reason_len = value
                    .get(..4)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(|b| u32::from_le_bytes(b) as usize)
                    .unwrap_or(0);
                let reason = value.get(4..4 + reason_len).unwrap_or_default();
                let change = value.get(4 + reason_len..).unwrap_or_default();
                out.push(Quarantined {
                    hash: trellis_core::load::chunk_hash(change).map(|h| h.to_string()),
                    reason: String::from_utf8_lossy(reason).into_owned(),
                    bytes: change.len(),
                });
            }
            Ok(out)
        })
    }
}
