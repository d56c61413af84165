//! A lost laptop with no backup: the identity comes back from its recovery phrase on a new
//! device, which the couple's document then records as the one this partner syncs from.

use std::path::Path;

use trellis_core::Moment;
use trellis_core::recovery::{identity_from_phrase, phrase_of};
use zeroize::Zeroizing;

use super::{Profile, meta};
use crate::error::StoreError;
use crate::vault::LockChoice;

/// The name a recovered profile goes by until the couple's document tells it its own.
pub const RECOVERING_NAME: &str = "recovering";

/// The recovery phrase of the profile at `paths`, read with its unlocked keys (for a window
/// whose node holds the profile itself).
pub fn recovery_phrase(
    paths: &crate::ProfilePaths,
    vault: &crate::Vault,
) -> Result<Zeroizing<String>, StoreError> {
    let seed = crate::keys::read_key(&paths.identity_key(), vault.profile_sealer())?;
    Ok(phrase_of(&trellis_core::Identity::from_bytes(&seed)))
}

impl Profile {
    /// A new profile on this device for the identity the phrase holds, with a new device key
    /// and an empty store: the partner's device fills it in (`trellis recover`). Refuses to
    /// overwrite anything.
    pub fn recover(dir: &Path, phrase: &str, lock: &LockChoice) -> Result<Self, StoreError> {
        let identity = identity_from_phrase(phrase)?;
        Self::create(
            dir,
            RECOVERING_NAME,
            lock,
            Zeroizing::new(identity.to_bytes()),
        )
    }

    /// The 24 words that bring this identity back on another device.
    pub fn recovery_phrase(&self) -> Zeroizing<String> {
        phrase_of(&self.identity())
    }

    /// Records in the document that I sync from this device now, when the couple still
    /// knows me by another (my identity was recovered here). Only where this process may
    /// write; returns whether a record was written.
    pub fn record_device_if_needed(&mut self, now: Moment) -> Result<bool, StoreError> {
        if self.db.is_read_only() {
            return Ok(false);
        }
        let device = (
            self.device_id(),
            self.identity().certify_device(&self.device_id()),
        );
        let action = self
            .couple
            .as_ref()
            .and_then(|c| c.device_to_record(&device));
        match action {
            Some(action) => {
                self.act(&action, now)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// After joining with a recovered identity, the name the couple knows me by.
    pub(super) fn adopt_name_from_couple(&mut self) -> Result<(), StoreError> {
        let Some(name) = self
            .couple
            .as_ref()
            .and_then(|c| c.partner_record(&c.me()))
            .map(|r| r.name.clone())
        else {
            return Ok(());
        };
        if name != self.name {
            self.db
                .set_meta(&[(meta::NAME, name.as_bytes().to_vec())])?;
            self.name = name;
        }
        Ok(())
    }
}
