//! A profile: one partner's keys, their copy of the couple's document, and its durable store.

use std::path::Path;
use std::sync::PoisonError;

use serde::Serialize;
use trellis_core::view::{HistoryEntry, ViewCache, history};
use trellis_core::{
    Action, Card, ChangeHash, ChangeSignature, Committed, CoreError, Couple, DocId, Identity,
    Moment, PartnerKey, SetAside, SignedChange, SyncSession, VerifiedCard, View, safety_number,
};

use zeroize::Zeroizing;

use crate::db::DocumentDb;
use crate::error::StoreError;
use crate::keys::{create_private_dir, read_key, write_key};
use crate::paths::ProfilePaths;
use crate::vault::{LockChoice, Vault, migrate};

mod carrier;
mod envelopes;
mod incoming;
mod mailbox;
mod recovery;

pub use carrier::{CARRIER_FOLDER, CarrierReport};
pub use mailbox::{CertifiedDevice, Deposit, DepositState};
pub use recovery::{RECOVERING_NAME, recovery_phrase};

/// Compact once this many changes have been saved since the last snapshot.
const COMPACT_AFTER: u64 = 512;
/// The most partner heads remembered; fewer only means resending a little more.
const MAX_PARTNER_HEADS: usize = 32;

pub(crate) mod meta {
    pub const NAME: &str = "name";
    pub const PARTNER_HEADS: &str = "partner_heads";
    pub const LAST_RECEIVED_AT: &str = "last_received_at";
    pub const LAST_EXPORTED_AT: &str = "last_exported_at";
    pub const LAST_SYNCED_AT: &str = "last_synced_at";
    pub const SAFETY_CONFIRMED: &str = "safety_confirmed";
    /// The partner's sealing key and its certificate, from their card (`key certificate`).
    pub const PARTNER_SEAL: &str = "partner_seal";
    /// What this device left at the couple's mailbox (see `profile::mailbox`).
    pub const MAILBOX_DEPOSITS: &str = "mailbox_deposits";
}

/// What an imported bundle did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// This import made the profile part of the couple.
    pub joined: bool,
    pub new_changes: usize,
    pub from_partner: usize,
    /// My own changes coming back (after restoring a backup, say).
    pub from_me: usize,
    pub already_had: usize,
    /// Changes that need earlier ones this copy lacks; nothing of them was applied.
    pub waiting: usize,
}

/// What a sync conversation sends next: signed changes, then the sync message.
#[derive(Debug)]
pub struct SignedOutgoing {
    pub changes: Vec<SignedChange>,
    pub message: Vec<u8>,
}

/// The honest state of a profile, for `trellis status` and the status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub profile: String,
    pub name: String,
    pub key: String,
    pub couple: Option<CoupleStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoupleStatus {
    pub partner_name: String,
    pub partner_key: String,
    pub document: String,
    pub safety_number: String,
    pub safety_number_checked: bool,
    pub changes: usize,
    /// My changes the partner does not have yet, as far as this copy knows.
    pub not_yet_with_partner: usize,
    pub last_received_at: Option<i64>,
    pub last_exported_at: Option<i64>,
    pub last_synced_at: Option<i64>,
    /// The shared space was ended (by either partner): this copy is read-only.
    pub ended: bool,
}

/// The result of re-verifying every stored change from the first one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub changes: usize,
    pub by_me: usize,
    pub by_partner: usize,
    /// Stored changes set aside because they would not apply (kept, not counted above).
    pub set_aside: Vec<crate::Quarantined>,
}

/// Why a profile refuses further writes until it is opened again.
#[derive(Debug)]
struct Broken {
    /// The store was found damaged (not merely unwritable).
    damaged: bool,
    why: String,
}

#[derive(Debug)]
pub struct Profile {
    paths: ProfilePaths,
    db: DocumentDb,
    vault: Vault,
    seed: Zeroizing<[u8; 32]>,
    device: Zeroizing<[u8; 32]>,
    name: String,
    couple: Option<Couple>,
    /// Set when a failed write could not be undone in memory: no more writes this session.
    broken: Option<Broken>,
    /// Stored changes that would not apply when this profile was opened (see
    /// `quarantine.rs`); empty on every healthy open.
    set_aside: Vec<SetAside>,
    /// The view, kept up to date change by change (behind a lock only so reading the view
    /// needs no `&mut`).
    views: std::sync::Mutex<ViewCache>,
    /// The last safety number worked out, with what it was worked out from: it takes
    /// thousands of hash rounds on purpose, and the status shows it after every change.
    safety: std::sync::Mutex<Option<(SafetyInputs, String)>>,
    /// The signature of the change made here that is being sent while it is stored (see
    /// [`Profile::act_sending_first`]): the store does not hold it yet.
    being_stored: Option<(ChangeHash, ChangeSignature)>,
}

type SafetyInputs = (PartnerKey, PartnerKey, DocId);

fn random_key() -> Result<Zeroizing<[u8; 32]>, StoreError> {
    Ok(Zeroizing::new(Identity::generate()?.to_bytes()))
}

impl Profile {
    /// Creates a new profile with no lock (sealed files, the key beside them): see
    /// [`Profile::init_locked`].
    pub fn init(dir: &Path, name: &str) -> Result<Self, StoreError> {
        Self::init_locked(dir, name, &LockChoice::NoLock)
    }

    /// Creates a new profile: keys, sealed as `lock` says, and an empty store. Refuses to
    /// overwrite anything.
    pub fn init_locked(dir: &Path, name: &str, lock: &LockChoice) -> Result<Self, StoreError> {
        Self::create(dir, name, lock, random_key()?)
    }

    /// [`Profile::init_locked`] with this identity seed (a new one, or a recovered one).
    fn create(
        dir: &Path,
        name: &str,
        lock: &LockChoice,
        seed: Zeroizing<[u8; 32]>,
    ) -> Result<Self, StoreError> {
        let paths = ProfilePaths::new(dir);
        let name = trellis_core::card::clean_name(name)?;
        if paths.identity_key().exists() || paths.document_db().exists() {
            return Err(StoreError::AlreadyInitialized(paths.dir.clone()));
        }
        create_private_dir(&paths.dir)?;
        // What an interrupted init left: keys no file was sealed with yet.
        if paths.vault().exists() {
            std::fs::remove_file(paths.vault())
                .map_err(|e| StoreError::write(&paths.vault(), e))?;
        }
        let device = random_key()?;
        // The vault, the store, then the keys: a profile counts as created once its identity
        // key exists, so an interrupted init can simply be run again.
        let vault = Vault::create(&paths, lock)?;
        let sealer = vault.profile_sealer();
        let db = DocumentDb::create(&paths.document_db(), sealer)?;
        db.set_meta(&[(meta::NAME, name.as_bytes().to_vec())])?;
        write_key(&paths.device_key(), &device, sealer)?;
        write_key(&paths.identity_key(), &seed, sealer)?;
        Ok(Self::without_couple(paths, db, vault, seed, device, name))
    }

    /// A profile whose document is not read yet.
    fn without_couple(
        paths: ProfilePaths,
        db: DocumentDb,
        vault: Vault,
        seed: Zeroizing<[u8; 32]>,
        device: Zeroizing<[u8; 32]>,
        name: String,
    ) -> Self {
        Self {
            paths,
            db,
            vault,
            seed,
            device,
            name,
            couple: None,
            broken: None,
            set_aside: Vec::new(),
            views: Default::default(),
            safety: Default::default(),
            being_stored: None,
        }
    }

    /// Opens an existing profile that needs no passphrase, and loads its document.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with_passphrase(dir, None)
    }

    /// Opens an existing profile, with its passphrase when it has one. A profile an older
    /// Trellis wrote in the clear is sealed first — locked with `passphrase` when given.
    pub fn open_with_passphrase(dir: &Path, passphrase: Option<&str>) -> Result<Self, StoreError> {
        let vault = Self::unlock(dir, passphrase)?;
        Self::open_unlocked(dir, &vault)
    }

    /// The keys of the profile at `dir`, sealing a plain profile on the way.
    pub fn unlock(dir: &Path, passphrase: Option<&str>) -> Result<Vault, StoreError> {
        let paths = ProfilePaths::new(dir);
        if !paths.identity_key().exists() {
            return Err(StoreError::NotInitialized(paths.dir.clone()));
        }
        if paths.vault().exists() {
            return Vault::unlock(&paths, passphrase);
        }
        if !migrate::is_plain_profile(&paths)? {
            return Err(StoreError::corrupt(
                &paths.vault(),
                "it is missing, and the profile's files cannot be opened without it; restore \
                 the whole profile folder from a backup",
            ));
        }
        let lock = match passphrase {
            Some(words) => LockChoice::Passphrase(Zeroizing::new(words.to_string())),
            None => LockChoice::NoLock,
        };
        Vault::create(&paths, &lock)
    }

    /// Opens an existing profile with keys already unlocked (the window's node, after the
    /// person typed the passphrase once).
    pub fn open_unlocked(dir: &Path, vault: &Vault) -> Result<Self, StoreError> {
        let paths = ProfilePaths::new(dir);
        migrate::seal_plain_files(&paths, vault)?;
        Self::open_with(dir, vault, DocumentDb::open)
    }

    /// Opens the profile to write if possible, or only to read when Trellis is running on it
    /// elsewhere (the window, `trellis serve`).
    pub fn open_for_reading(dir: &Path) -> Result<Self, StoreError> {
        let vault = Self::unlock(dir, None)?;
        Self::open_for_reading_unlocked(dir, &vault)
    }

    /// [`Profile::open_for_reading`] with keys already unlocked.
    pub fn open_for_reading_unlocked(dir: &Path, vault: &Vault) -> Result<Self, StoreError> {
        match Self::open_unlocked(dir, vault) {
            Err(StoreError::Busy(_)) => Self::open_with(dir, vault, DocumentDb::open_read_only),
            other => other,
        }
    }

    /// True when another process holds the profile and this one can only read.
    pub fn is_read_only(&self) -> bool {
        self.db.is_read_only()
    }

    fn open_with(
        dir: &Path,
        vault: &Vault,
        open_db: fn(&Path, &crate::vault::Sealer) -> Result<DocumentDb, StoreError>,
    ) -> Result<Self, StoreError> {
        let paths = ProfilePaths::new(dir);
        if !paths.identity_key().exists() {
            return Err(StoreError::NotInitialized(paths.dir.clone()));
        }
        let sealer = vault.profile_sealer();
        let seed = read_key(&paths.identity_key(), sealer)?;
        let device = read_key(&paths.device_key(), sealer)?;
        let db = open_db(&paths.document_db(), sealer)?;
        let name = db.meta_string(meta::NAME)?.unwrap_or_else(|| "me".into());
        let mut profile = Self::without_couple(paths, db, vault.clone(), seed, device, name);
        profile.couple = profile.load_couple()?;
        Ok(profile)
    }

    /// Reads the couple's document from the store. A stored change that would not apply is
    /// set aside (moved to the quarantine table when this process may write), never lost
    /// and never in the way of everything else.
    fn load_couple(&mut self) -> Result<Option<Couple>, StoreError> {
        let stored = self.db.load()?;
        if stored.snapshot.is_none() && stored.log.is_empty() {
            return Ok(None);
        }
        let loaded = Couple::load(self.identity(), stored.snapshot.as_deref(), &stored.log)
            .map_err(|e| StoreError::corrupt(self.db.path(), e))?;
        if !loaded.set_aside.is_empty() && !self.db.is_read_only() {
            self.db.set_aside(&loaded.set_aside)?;
        }
        self.set_aside = loaded.set_aside;
        Ok(Some(loaded.couple))
    }

    /// Stored changes that would not apply when this profile was opened, with the reasons.
    /// They were moved aside (see [`DocumentDb::quarantined`]); everything else is here.
    pub fn set_aside_at_open(&self) -> &[SetAside] {
        &self.set_aside
    }

    /// Every change ever set aside in this profile because it would not apply.
    pub fn quarantined(&self) -> Result<Vec<crate::Quarantined>, StoreError> {
        self.db.quarantined()
    }

    pub fn paths(&self) -> &ProfilePaths {
        &self.paths
    }

    pub fn dir(&self) -> &Path {
        &self.paths.dir
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn identity(&self) -> Identity {
        Identity::from_bytes(&self.seed)
    }

    /// This profile's unlocked keys (for the journal, the window's drafts, a change of lock).
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    pub fn key(&self) -> PartnerKey {
        self.identity().public()
    }

    /// This device's secret network key (the iroh endpoint key).
    pub fn device_secret(&self) -> [u8; 32] {
        *self.device
    }

    /// This device's public id: the ed25519 public key of the device secret.
    pub fn device_id(&self) -> [u8; 32] {
        Identity::from_bytes(&self.device).public().0
    }

    /// My public identity card.
    pub fn card(&self) -> Result<Card, StoreError> {
        Ok(Card::new(&self.identity(), &self.name, &self.device_id())?)
    }

    pub fn couple(&self) -> Option<&Couple> {
        self.couple.as_ref()
    }

    pub fn couple_mut(&mut self) -> Result<&mut Couple, StoreError> {
        self.couple.as_mut().ok_or(StoreError::NoCouple)
    }

    pub fn db(&self) -> &DocumentDb {
        &self.db
    }

    /// Starts the couple's document with the partner whose card this is.
    pub fn create_couple(&mut self, partner: &Card, now: Moment) -> Result<Committed, StoreError> {
        if let Some(c) = &self.couple {
            return Err(StoreError::AlreadyPaired(c.name_of(&c.partner())));
        }
        let partner: VerifiedCard = partner.verify()?;
        let me = self.card()?.verify()?;
        let (couple, first) = Couple::create(self.identity(), &me, &partner, now)?;
        self.db.append(&[(first.hash, first.change.clone())], &[])?;
        self.couple = Some(couple);
        Ok(first)
    }

    /// Performs one action; it is acknowledged only once its transaction has committed.
    pub fn act(&mut self, action: &Action, now: Moment) -> Result<Committed, StoreError> {
        self.act_sending_first(action, now, |_| {})
    }

    /// [`Profile::act`], handing the signed change to `send` (the live conversations)
    /// before it is stored, so that the partner's copy and this one are written at the same
    /// time rather than one after the other. It is still acknowledged only once stored.
    ///
    /// Sending first loses nothing. If storing then fails, the document goes back to what
    /// is on disk and the error says so; the change, signed here, comes back with the
    /// partner's next sync and is verified like any other. A store that cannot be written
    /// at all (read-only) is refused before anything is made or sent.
    pub fn act_sending_first(
        &mut self,
        action: &Action,
        now: Moment,
        send: impl FnOnce(&mut Self),
    ) -> Result<Committed, StoreError> {
        self.check_usable()?;
        if self.db.is_read_only() {
            return Err(StoreError::ReadOnly(self.paths.dir.clone()));
        }
        let couple = self.couple.as_mut().ok_or(StoreError::NoCouple)?;
        let committed = match couple.act(action, now) {
            Ok(c) => c,
            Err(
                e @ (CoreError::Invalid(_)
                | CoreError::UnknownId { .. }
                | CoreError::AmbiguousId { .. }
                | CoreError::NotAllowed(_)),
            ) => {
                return Err(e.into());
            }
            Err(e) => {
                // The document may hold an unsaved change: go back to what is on disk.
                self.reload_after_failure();
                return Err(e.into());
            }
        };
        self.being_stored = Some((committed.hash, committed.change.signature));
        send(self);
        self.being_stored = None;
        if let Err(e) = self
            .db
            .append(&[(committed.hash, committed.change.clone())], &[])
        {
            self.reload_after_failure();
            return Err(e);
        }
        self.compact_if_due();
        Ok(committed)
    }

    /// Reads the document again from the store, dropping whatever in memory is not there
    /// (after a failure the node could not attribute to one call).
    pub fn reload_document(&mut self) {
        self.reload_after_failure();
    }

    /// After a failed write the document in memory may hold a change that is not on disk:
    /// read it back from the store. If even that fails, refuse further writes until the
    /// profile is opened again (the first error is the one reported).
    fn reload_after_failure(&mut self) {
        match self.load_couple() {
            Ok(couple) => self.couple = couple,
            Err(e) => {
                self.broken = Some(Broken {
                    damaged: matches!(e, StoreError::Corrupt { .. }),
                    why: e.to_string(),
                })
            }
        }
    }

    fn check_usable(&self) -> Result<(), StoreError> {
        match &self.broken {
            None => Ok(()),
            // Damage stays the damaged-file error: "try again" would not help.
            Some(Broken { damaged: true, why }) => Err(StoreError::Corrupt {
                path: self.db.path().to_path_buf(),
                detail: format!("it was found damaged earlier ({why})"),
            }),
            Some(Broken { why, .. }) => Err(StoreError::Write {
                path: self.db.path().to_path_buf(),
                detail: format!("an earlier write failed ({why}); close Trellis and open it again"),
            }),
        }
    }

    /// Performs many actions and stores them in one transaction (an import of history, a
    /// generated example). All or nothing: on any error nothing is stored.
    pub fn act_many(
        &mut self,
        actions: impl IntoIterator<Item = (Action, Moment)>,
    ) -> Result<Vec<Committed>, StoreError> {
        let couple = self.couple.as_mut().ok_or(StoreError::NoCouple)?;
        let mut done = Vec::new();
        for (action, now) in actions {
            match couple.act(&action, now) {
                Ok(c) => done.push(c),
                Err(e) => {
                    self.reload_after_failure();
                    return Err(e.into());
                }
            }
        }
        let changes: Vec<(ChangeHash, SignedChange)> =
            done.iter().map(|c| (c.hash, c.change.clone())).collect();
        if let Err(e) = self.db.append(&changes, &[]) {
            self.reload_after_failure();
            return Err(e);
        }
        self.compact_if_due();
        Ok(done)
    }

    /// Writes a snapshot when enough changes have piled up since the last one. Compaction
    /// only makes opening faster: when it fails (a full disk), the changes are safe in the
    /// log and it is simply tried again later.
    pub fn compact_if_due(&mut self) {
        if self.db.log_len().is_ok_and(|n| n >= COMPACT_AFTER) {
            // Deliberately dropped: see above.
            self.compact().ok();
        }
    }

    pub fn compact(&mut self) -> Result<(), StoreError> {
        let couple = self.couple.as_mut().ok_or(StoreError::NoCouple)?;
        let snapshot = couple.save();
        self.db.compact(&snapshot)
    }

    pub fn signature(&self, hash: &ChangeHash) -> Result<Option<ChangeSignature>, StoreError> {
        self.db.signature(hash)
    }

    /// What the partner is known to have: heads they told us about.
    pub fn partner_heads(&self) -> Result<Vec<ChangeHash>, StoreError> {
        let Some(raw) = self.db.meta(meta::PARTNER_HEADS)? else {
            return Ok(Vec::new());
        };
        Ok(raw
            .chunks_exact(32)
            .filter_map(|c| c.try_into().ok().map(ChangeHash))
            .collect())
    }

    fn merged_partner_heads(&self, more: &[ChangeHash]) -> Result<Vec<u8>, StoreError> {
        let mut heads = self.partner_heads()?;
        for h in more {
            if !heads.contains(h) {
                heads.push(*h);
            }
        }
        if heads.len() > MAX_PARTNER_HEADS {
            heads.drain(..heads.len() - MAX_PARTNER_HEADS);
        }
        Ok(heads.iter().flat_map(|h| h.0).collect())
    }

    /// Records that the partner now has everything up to `heads` (after a sync).
    pub fn note_partner_has(
        &mut self,
        heads: &[ChangeHash],
        now: Moment,
    ) -> Result<(), StoreError> {
        let merged = self.merged_partner_heads(heads)?;
        self.db.set_meta(&[
            (meta::PARTNER_HEADS, merged),
            (meta::LAST_SYNCED_AT, now.at_ms.to_string().into_bytes()),
        ])
    }

    fn signed(
        &mut self,
        changes: Vec<trellis_core::Change>,
    ) -> Result<Vec<SignedChange>, StoreError> {
        let lookups = self.db.signatures(changes.iter().map(|c| c.hash()))?;
        changes
            .into_iter()
            .zip(lookups)
            .map(|(c, (hash, sig))| {
                let being_stored = self
                    .being_stored
                    .filter(|(h, _)| *h == hash)
                    .map(|(_, s)| s);
                let signature = sig
                    .or(being_stored)
                    .ok_or_else(|| StoreError::MissingSignature(hash.to_string()))?;
                Ok(SignedChange {
                    bytes: c.raw_bytes().to_vec(),
                    signature,
                })
            })
            .collect()
    }

    /// Starts (or resumes) a sync conversation with the partner from the saved state.
    pub fn sync_session(&self) -> Result<SyncSession, StoreError> {
        let c = self.couple.as_ref().ok_or(StoreError::NoCouple)?;
        let saved = self.db.sync_state(&c.partner().to_hex())?;
        Ok(SyncSession::resume(saved.as_deref()))
    }

    /// What to send the partner next in a conversation: signed changes, then a sync message.
    pub fn sync_outgoing(
        &mut self,
        session: &mut SyncSession,
    ) -> Result<Option<SignedOutgoing>, StoreError> {
        let couple = self.couple.as_mut().ok_or(StoreError::NoCouple)?;
        let Some(out) = session.outgoing(couple)? else {
            return Ok(None);
        };
        let changes = self.signed(out.changes)?;
        Ok(Some(SignedOutgoing {
            changes,
            message: out.message,
        }))
    }

    /// Takes in the partner's sync message and remembers what they have.
    pub fn sync_receive(
        &mut self,
        session: &mut SyncSession,
        message: &[u8],
        now: Moment,
    ) -> Result<(), StoreError> {
        let learnt = self.learn_from_sync_message(session, message)?;
        let merged = self.merged_partner_heads(&learnt.known)?;
        self.db.save_sync_hints(
            &learnt.partner,
            &session.saved_state(),
            &[
                (meta::PARTNER_HEADS, merged),
                (meta::LAST_SYNCED_AT, now.at_ms.to_string().into_bytes()),
            ],
        )
    }

    /// The bookkeeping of a partner's sync message, in memory: who the partner is (as the
    /// sync state is stored under) and which of the heads they say they hold this copy has.
    fn learn_from_sync_message(
        &mut self,
        session: &mut SyncSession,
        message: &[u8],
    ) -> Result<Learnt, StoreError> {
        let couple = self.couple.as_mut().ok_or(StoreError::NoCouple)?;
        session.receive(couple, message)?;
        let theirs: Vec<ChangeHash> = session.their_heads().map(<[_]>::to_vec).unwrap_or_default();
        Ok(Learnt {
            partner: couple.partner().to_hex(),
            known: theirs
                .into_iter()
                .filter(|h| couple.has_change(h))
                .collect(),
        })
    }

    /// True once the shared space has ended and there is nothing left to deliver: the
    /// partner ended it, or I did and they have my ending (and everything before it).
    pub fn sync_is_over(&mut self) -> Result<bool, StoreError> {
        let heads = self.partner_heads()?;
        let Some(c) = self.couple.as_mut() else {
            return Ok(false);
        };
        if !c.is_ended() {
            return Ok(false);
        }
        Ok(!c.ended_by_me() || c.authored_by_me_since(&heads) == 0)
    }

    /// The partner's certified device (their iroh endpoint id): the one in their card, or
    /// the one they moved to since (see `trellis_core::devices`); none once sync is over for
    /// good (see [`Profile::sync_is_over`]).
    pub fn partner_device(&mut self) -> Option<[u8; 32]> {
        if self.sync_is_over().unwrap_or(false) {
            return None;
        }
        let c = self.couple.as_ref()?;
        c.current_device(&c.partner()).map(|(device, _)| device)
    }

    /// Deletes this profile from the disk: everything Trellis wrote there — keys, the
    /// shared document, the private journal, the window's unsaved drafts. Other files in
    /// the folder are left alone (and the folder with them).
    pub fn wipe(self) -> Result<Vec<std::path::PathBuf>, StoreError> {
        let paths = self.paths.clone();
        drop(self);
        Vault::forget_keychain(&paths);
        let mut removed = Vec::new();
        for file in paths.written_files() {
            if file.exists() {
                std::fs::remove_file(&file).map_err(|e| StoreError::write(&file, e))?;
                removed.push(file);
            }
        }
        let _ = std::fs::remove_dir(&paths.dir);
        Ok(removed)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.db.setting(key)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.db.set_setting(key, value)
    }

    pub fn safety_number(&self) -> Option<String> {
        let c = self.couple.as_ref()?;
        let inputs = (c.me(), c.partner(), c.doc_id());
        let mut kept = self.safety.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((of, number)) = kept.as_ref()
            && *of == inputs
        {
            return Some(number.clone());
        }
        let number = safety_number(&inputs.0, &inputs.1, &inputs.2);
        *kept = Some((inputs, number.clone()));
        Some(number)
    }

    pub fn safety_confirmed(&self) -> Result<bool, StoreError> {
        let Some(c) = &self.couple else {
            return Ok(false);
        };
        Ok(self.db.meta_string(meta::SAFETY_CONFIRMED)?.as_deref()
            == Some(&confirmation(&c.doc_id(), &c.partner())))
    }

    /// Records that both partners compared the safety number and it matched.
    pub fn confirm_safety(&mut self) -> Result<(), StoreError> {
        let c = self.couple.as_ref().ok_or(StoreError::NoCouple)?;
        let value = confirmation(&c.doc_id(), &c.partner());
        self.db
            .set_meta(&[(meta::SAFETY_CONFIRMED, value.into_bytes())])
    }

    /// The practice as I see it at `now`: only what changed since the last call is built
    /// again.
    pub fn view(&self, now: Moment) -> Option<View> {
        let c = self.couple.as_ref()?;
        // A panic while updating left no half-updated cache behind (it was taken out first).
        let mut views = self.views.lock().unwrap_or_else(|e| e.into_inner());
        Some(views.view(c.root(), c.edits(), &c.me(), &c.partner(), now))
    }

    /// The signed timeline, each change's signature checked.
    pub fn history(&mut self) -> Result<Vec<HistoryEntry>, StoreError> {
        let couple = self.couple.as_mut().ok_or(StoreError::NoCouple)?;
        let hashes: Vec<ChangeHash> = couple
            .automerge()
            .get_changes(&[])
            .iter()
            .map(|c| c.hash())
            .collect();
        let sigs: std::collections::HashMap<ChangeHash, ChangeSignature> = self
            .db
            .signatures(hashes)?
            .into_iter()
            .filter_map(|(h, s)| s.map(|s| (h, s)))
            .collect();
        let couple = self.couple.as_mut().ok_or(StoreError::NoCouple)?;
        Ok(history(couple, &|h| sigs.get(h).copied()))
    }

    /// Re-verifies every stored change from the couple's first one, exactly as if it had
    /// just arrived from the partner, and checks the result matches the document in use.
    pub fn verify_all(&mut self) -> Result<VerifyReport, StoreError> {
        let identity = self.identity();
        let couple = self.couple.as_mut().ok_or(StoreError::NoCouple)?;
        let changes = couple.changes_since(&[]);
        let heads = couple.heads();
        let all = self.signed(changes)?;
        let me = self.key();
        let by_me = all.iter().filter(|c| c.signature.signer == me).count();
        let total = all.len();
        let mut replayed = Couple::join(identity, all)?;
        if !replayed.waiting.is_empty() || replayed.couple.heads() != heads {
            return Err(StoreError::corrupt(
                self.db.path(),
                "the stored history does not replay to the document in use",
            ));
        }
        Ok(VerifyReport {
            changes: total,
            by_me,
            by_partner: total - by_me,
            set_aside: self.db.quarantined()?,
        })
    }

    pub fn status(&mut self) -> Result<Status, StoreError> {
        let key = self.key();
        let safety_checked = self.safety_confirmed()?;
        let safety = self.safety_number();
        let partner_heads = self.partner_heads()?;
        let last = |k: &str| -> Result<Option<i64>, StoreError> {
            Ok(self.db.meta_string(k)?.and_then(|v| v.parse().ok()))
        };
        let last_received_at = last(meta::LAST_RECEIVED_AT)?;
        let last_exported_at = last(meta::LAST_EXPORTED_AT)?;
        let last_synced_at = last(meta::LAST_SYNCED_AT)?;
        let couple = match self.couple.as_mut() {
            None => None,
            Some(c) => {
                let partner = c.partner();
                Some(CoupleStatus {
                    partner_name: c.name_of(&partner),
                    partner_key: partner.to_hex(),
                    document: c.doc_id().to_hex(),
                    safety_number: safety.unwrap_or_default(),
                    safety_number_checked: safety_checked,
                    changes: c.change_count(),
                    not_yet_with_partner: c.authored_by_me_since(&partner_heads),
                    last_received_at,
                    last_exported_at,
                    last_synced_at,
                    ended: c.is_ended(),
                })
            }
        };
        Ok(Status {
            profile: self.paths.dir.display().to_string(),
            name: self.name.clone(),
            key: key.to_hex(),
            couple,
        })
    }
}

/// What a partner's sync message taught (see `Profile::learn_from_sync_message`).
struct Learnt {
    partner: String,
    known: Vec<ChangeHash>,
}

fn confirmation(doc: &DocId, partner: &PartnerKey) -> String {
    format!("{}:{}", doc.to_hex(), partner.to_hex())
}
