//! A carrier folder: a USB stick, or a folder some other tool syncs, through which the two
//! devices pass sealed envelopes with no network at all.
//!
//! Each device keeps one file there for its partner, named by a tag derived from its
//! identity key (nothing in a name says who or what): everything the partner may lack,
//! sealed to them, rewritten whenever there is more. The partner's file is opened,
//! verified and applied through the one seam, then removed — its removal is the
//! acknowledgement. A file that does not open stays where it is and is reported.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use trellis_core::{ChangeHash, CoreError, Moment, PartnerKey, seal};

use super::{ImportReport, Profile};
use crate::error::StoreError;

/// The device setting that names the folder.
pub const CARRIER_FOLDER: &str = "carrier_folder";
/// My heads when I last wrote my file (meta).
const WRITTEN_HEADS: &str = "carrier_written_heads";
const EXTENSION: &str = "sealed";

/// What one visit to the folder did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CarrierReport {
    /// My partner's file was there, and was taken in and removed.
    pub picked_up: Option<ImportReport>,
    /// Changes written to my file for my partner (0: nothing new to write).
    pub written: usize,
    /// Why my partner's file was not taken in (it stays in the folder).
    pub problem: Option<String>,
}

/// The file name a partner's device writes under: 16 hex digits of a hash of their key.
fn file_of(folder: &Path, key: &PartnerKey) -> PathBuf {
    let digest = Sha256::new()
        .chain_update(b"trellis/v1/carrier-file")
        .chain_update(key.as_bytes())
        .finalize();
    folder.join(format!("{}.{EXTENSION}", hex::encode(&digest[..8])))
}

impl Profile {
    /// Opens, verifies and applies a carried file, then removes it: its removal tells the
    /// writer's device it arrived.
    fn take_in_carried(&mut self, file: &Path, now: Moment) -> Result<ImportReport, StoreError> {
        let bytes = crate::bundle_file::read_bundle_file(file)?;
        let imported = self.import_bundle(&bytes, now)?;
        std::fs::remove_file(file).map_err(|e| StoreError::write(file, e))?;
        Ok(imported)
    }

    /// Before I am part of the couple I know neither my partner's key nor so their file's
    /// name: the first file in the folder that opens for me is theirs, and joins me.
    fn join_from_folder(
        &mut self,
        folder: &Path,
        now: Moment,
    ) -> Result<Option<ImportReport>, StoreError> {
        let entries = std::fs::read_dir(folder).map_err(|e| StoreError::read(folder, e))?;
        let candidates = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == EXTENSION))
            // A folder full of strangers' files must not keep this device busy.
            .take(32);
        for file in candidates {
            match self.take_in_carried(&file, now) {
                Ok(report) => return Ok(Some(report)),
                Err(StoreError::Core(CoreError::Seal(_))) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// The carrier folder set on this device, if any.
    pub fn carrier_folder(&self) -> Result<Option<PathBuf>, StoreError> {
        Ok(self
            .setting(CARRIER_FOLDER)?
            .filter(|f| !f.trim().is_empty())
            .map(PathBuf::from))
    }

    /// Uses `folder` as the carrier folder from now on (`None`: no folder).
    pub fn set_carrier_folder(&mut self, folder: Option<&Path>) -> Result<(), StoreError> {
        if let Some(folder) = folder
            && !folder.is_dir()
        {
            return Err(StoreError::read(
                folder,
                std::io::Error::new(std::io::ErrorKind::NotFound, "it is not a folder"),
            ));
        }
        let text = folder.map(|f| f.display().to_string()).unwrap_or_default();
        self.set_setting(CARRIER_FOLDER, &text)?;
        // A new folder holds nothing of mine yet.
        self.db.set_meta(&[(WRITTEN_HEADS, Vec::new())])
    }

    /// Takes in my partner's file, if it is there, and writes mine if there is something
    /// new for them. A folder that is not there (a stick not plugged in) is no error.
    pub fn visit_carrier_folder(
        &mut self,
        folder: &Path,
        now: Moment,
    ) -> Result<CarrierReport, StoreError> {
        let mut report = CarrierReport::default();
        if !folder.is_dir() {
            return Ok(report);
        }
        if self.couple.is_none() {
            report.picked_up = self.join_from_folder(folder, now)?;
            if report.picked_up.is_none() {
                return Err(StoreError::NoCouple);
            }
        }
        let (me, partner) = {
            let couple = self.couple.as_ref().ok_or(StoreError::NoCouple)?;
            (couple.me(), couple.partner())
        };

        let theirs = file_of(folder, &partner);
        if report.picked_up.is_none() && theirs.is_file() {
            match self.take_in_carried(&theirs, now) {
                Ok(imported) => report.picked_up = Some(imported),
                // Mine is still written: one unreadable file must not stop both directions.
                Err(e) => {
                    report.problem = Some(format!(
                        "{} was not taken in: {e}; it stays in the folder",
                        theirs.display()
                    ));
                }
            }
        }

        let mine = file_of(folder, &me);
        let heads = self.couple_mut()?.heads();
        let written: Vec<ChangeHash> = self
            .db
            .meta(WRITTEN_HEADS)?
            .unwrap_or_default()
            .chunks_exact(32)
            .filter_map(|c| c.try_into().ok().map(ChangeHash))
            .collect();
        // Rewritten only when I have something new since: a file my partner took in and
        // removed is not written again for nothing.
        if written == heads {
            return Ok(report);
        }
        self.share_seal_if_needed(now)?;
        let have = self.partner_heads()?;
        let (plain, count) = self.bundle_since(&have, now)?;
        if count == 0 {
            return Ok(report);
        }
        let to = self.partner_seal()?;
        let envelope = seal::seal(&to, &plain).map_err(CoreError::from)?;
        let partial = folder.join(format!(".{}.partial", hex::encode(&me.as_bytes()[..4])));
        crate::atomic::write_private_via(&mine, &partial, &envelope)
            .map_err(|e| StoreError::write(&mine, e))?;
        let heads = self.couple_mut()?.heads();
        self.db
            .set_meta(&[(WRITTEN_HEADS, heads.iter().flat_map(|h| h.0).collect())])?;
        report.written = count;
        Ok(report)
    }
}
