//! Bundles for the partner, sealed: a bundle file or a mailbox deposit leaves the device
//! outside the live, end-to-end encrypted connection, so only the partner's device may be
//! able to open it (trellis-core's `seal`).

use trellis_core::seal::{self, SealPublic};
use trellis_core::{Bundle, Card, ChangeHash, CoreError, Moment};

use super::{Profile, meta};
use crate::error::StoreError;

impl Profile {
    /// A bundle of what the partner may not have yet (or everything, with `all`), sealed to
    /// the partner's sealing key. Shares my own sealing key first if the partner cannot
    /// know it yet, so this very bundle teaches it to them.
    pub fn export_bundle(
        &mut self,
        all: bool,
        now: Moment,
    ) -> Result<(Vec<u8>, usize), StoreError> {
        self.share_seal_if_needed(now)?;
        let to = self.partner_seal()?;
        let (plain, count) = self.plain_bundle(all, now)?;
        let sealed = seal::seal(&to, &plain).map_err(CoreError::from)?;
        Ok((sealed, count))
    }

    /// The same bundle, not sealed: only for the live connection (pairing), which is end to
    /// end encrypted already, and for tests.
    pub fn plain_bundle(&mut self, all: bool, now: Moment) -> Result<(Vec<u8>, usize), StoreError> {
        let have = if all {
            Vec::new()
        } else {
            self.partner_heads()?
        };
        let (bytes, count) = self.bundle_since(&have, now)?;
        if !self.db.is_read_only() {
            self.db
                .set_meta(&[(meta::LAST_EXPORTED_AT, now.at_ms.to_string().into_bytes())])?;
        }
        Ok((bytes, count))
    }

    /// A bundle of every change not in the causal past of `have`, and how many there are.
    pub(crate) fn bundle_since(
        &mut self,
        have: &[ChangeHash],
        now: Moment,
    ) -> Result<(Vec<u8>, usize), StoreError> {
        let couple = self.couple.as_mut().ok_or(StoreError::NoCouple)?;
        let changes = couple.changes_since(have);
        let doc = couple.doc_id();
        let sender = couple.me();
        let sender_heads = couple.heads();
        let changes = self.signed(changes)?;
        let count = changes.len();
        let bundle = Bundle {
            doc,
            sender,
            sender_heads,
            created_at: now.at_ms,
            changes,
        };
        Ok((bundle.encode(), count))
    }

    /// The partner's sealing key: from the document (their card at the couple's start, or
    /// the record they published since), or from their card added on this device.
    pub fn partner_seal(&self) -> Result<SealPublic, StoreError> {
        let couple = self.couple.as_ref().ok_or(StoreError::NoCouple)?;
        if let Some(key) = couple.partner_seal() {
            return Ok(key);
        }
        let partner = couple.partner();
        self.db
            .meta_string(meta::PARTNER_SEAL)?
            .and_then(|text| {
                let (key, cert) = text.split_once(' ')?;
                SealPublic::certified(&partner, key, cert).ok()
            })
            .ok_or_else(|| StoreError::PartnerSealUnknown(couple.name_of(&partner)))
    }

    /// Adds the partner's card on this device, for the sealing key it carries (a couple
    /// that began before cards carried one, and has not synced over the network since).
    pub fn add_partner_card(&mut self, card: &Card) -> Result<(), StoreError> {
        let card = card.verify()?;
        let couple = self.couple.as_ref().ok_or(StoreError::NoCouple)?;
        if card.key != couple.partner() {
            return Err(CoreError::Invalid(format!(
                "this card is not {}'s (it names another identity key)",
                couple.name_of(&couple.partner())
            ))
            .into());
        }
        let (Some(key), Some(cert)) = (&card.card.seal, &card.card.seal_certificate) else {
            return Err(CoreError::Invalid(
                "this card carries no sealing key (it was made by an older Trellis)".into(),
            )
            .into());
        };
        self.db
            .set_meta(&[(meta::PARTNER_SEAL, format!("{key} {cert}").into_bytes())])
    }

    /// Shares my sealing key in the document if my partner cannot know it yet. Only where
    /// this process may write; a reader beside the running app leaves it to the app.
    pub fn share_seal_if_needed(&mut self, now: Moment) -> Result<(), StoreError> {
        if self.db.is_read_only() {
            return Ok(());
        }
        let action = self.couple.as_ref().and_then(|c| c.seal_to_share());
        if let Some(action) = action {
            self.act(&action, now)?;
        }
        Ok(())
    }

    /// The bundle inside `bytes`: opened with my sealing key when sealed; an unsealed
    /// bundle (from an older Trellis) as it is.
    pub(crate) fn unseal(&self, bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
        if seal::is_envelope(bytes) {
            Ok(trellis_core::SealKey::of(&self.identity())
                .open(bytes)
                .map_err(CoreError::from)?)
        } else {
            Ok(bytes.to_vec())
        }
    }
}
