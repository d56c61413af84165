//! The live couple document: one automerge document, its trusted index and a hydrated copy.

use automerge::transaction::CommitOptions;
use automerge::{Author, AutoCommit, Change, ChangeHash, ReadDoc};

use crate::action::Action;
use crate::card::VerifiedCard;
use crate::contain::contained;
use crate::error::{CoreError, Rejection};
use crate::identity::{Identity, PartnerKey};
use crate::load;
use crate::perform::{self, Written};
use crate::schema::{CoupleHeader, PartnerRecord, Records, Root, SCHEMA_VERSION, Space};
use crate::seal::{SealKey, SealPublic};
use crate::signature::{ChangeSignature, DocId, SignedChange};
use crate::time::Moment;
use crate::verify::{
    self, ActorState, ActorTable, Checker, ObjectIndex, Overlay, Verified, Waiting, rules,
};

/// A change this partner just made: signed, ready to be stored.
#[derive(Debug, Clone)]
pub struct Committed {
    pub hash: ChangeHash,
    pub change: SignedChange,
    /// The human description stored in the change ("proposed the agreement …").
    pub message: String,
    /// The id of the record the action created or touched.
    pub record: String,
}

/// Who wrote each change, for changes read in causal order.
///
/// automerge records the Author only in an actor's first change; later changes of the same
/// actor inherit it.
#[derive(Debug, Default)]
pub struct AuthorBinding {
    by_actor: std::collections::HashMap<automerge::ActorId, PartnerKey>,
}

impl AuthorBinding {
    pub fn author_of(&mut self, change: &Change) -> Option<PartnerKey> {
        if let Some(author) = change.author() {
            let key = PartnerKey(author.as_bytes().try_into().ok()?);
            self.by_actor.insert(change.actor_id().clone(), key);
            return Some(key);
        }
        self.by_actor.get(change.actor_id()).copied()
    }
}

/// A stored document as opened, and the stored changes that had to be set aside.
#[derive(Debug)]
pub struct Loaded {
    pub couple: Couple,
    pub set_aside: Vec<load::SetAside>,
}

/// The result of joining a couple.
#[derive(Debug)]
pub struct Joined {
    pub couple: Couple,
    /// Every accepted change, the first one included, for the store.
    pub accepted: Vec<(ChangeHash, SignedChange)>,
    /// Signed changes that wait for earlier ones this copy does not have yet.
    pub waiting: Waiting,
}

/// The couple's shared document, as one partner holds it.
pub struct Couple {
    doc: AutoCommit,
    identity: Identity,
    doc_id: DocId,
    me: PartnerKey,
    partner: PartnerKey,
    index: ObjectIndex,
    actors: ActorTable,
    /// False until the index is first needed: opening a long history shows its view
    /// without waiting for the walk over every object (see [`Couple::prepare`]).
    indexed: bool,
    root: Root,
    /// Set when the engine failed half-way through a change: the document in memory can
    /// no longer be trusted and must be read again from the store.
    poisoned: bool,
    /// Which records changed lately, so a view can be updated rather than rebuilt.
    edits: crate::view::Edits,
}

impl std::fmt::Debug for Couple {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Couple")
            .field("doc_id", &self.doc_id)
            .field("me", &self.me)
            .field("partner", &self.partner)
            .finish_non_exhaustive()
    }
}

fn record_of(card: &VerifiedCard) -> PartnerRecord {
    PartnerRecord {
        name: card.card.name.clone(),
        identity: card.card.identity.clone(),
        device: card.card.device.clone(),
        device_certificate: card.card.device_certificate.clone(),
        signature: card.card.signature.clone(),
        seal: card.card.seal.clone(),
        seal_certificate: card.card.seal_certificate.clone(),
    }
}

fn author_of(key: &PartnerKey) -> Author<'static> {
    Author::from(key.as_bytes().to_vec())
}

impl Couple {
    /// Starts the couple's document: its first change names both partners.
    pub fn create(
        identity: Identity,
        me: &VerifiedCard,
        partner: &VerifiedCard,
        now: Moment,
    ) -> Result<(Self, Committed), CoreError> {
        if me.key != identity.public() {
            return Err(CoreError::Invalid("my card is not for my own key".into()));
        }
        if me.key == partner.key {
            return Err(CoreError::Invalid(
                "that is your own card; ask your partner for theirs".into(),
            ));
        }
        let doc_id = DocId::random()?;
        let mut partners = Records::default();
        let mut by = Records::default();
        for card in [me, partner] {
            partners.insert(card.key.to_hex(), record_of(card));
            by.insert(card.key.to_hex(), Space::default());
        }
        let root = Root {
            schema: SCHEMA_VERSION,
            couple: CoupleHeader {
                id: doc_id.to_hex(),
                created_at: now.at_ms,
                created_by: me.key.to_hex(),
                partners,
            },
            agreements: Records::default(),
            by,
        };
        let mut doc = AutoCommit::new().with_author(Some(author_of(&me.key)));
        autosurgeon::reconcile(&mut doc, &root)?;
        let message = format!("started the couple of {} and {}", me.name, partner.name);
        let hash = doc
            .commit_with(
                CommitOptions::default()
                    .with_message(message.clone())
                    .with_time(now.unix_seconds()),
            )
            .ok_or_else(|| CoreError::Invalid("the first change was empty".into()))?;
        let change = doc
            .get_change_by_hash(&hash)
            .ok_or_else(|| CoreError::Invalid("the first change vanished".into()))?;
        let signature = ChangeSignature::sign(&identity, &doc_id, &hash);
        let signed = SignedChange {
            bytes: change.raw_bytes().to_vec(),
            signature,
        };
        // Hold our own first change to the same standard the partner will.
        let facts = verify::check_genesis(&partner.key, std::slice::from_ref(&signed))?;
        let mut couple = Self::assemble(doc, identity, facts.doc_id, facts.partners)?;
        couple.prepare();
        Ok((
            couple,
            Committed {
                hash,
                change: signed,
                message,
                record: doc_id.to_hex(),
            },
        ))
    }

    /// Joins a couple from changes that include its first change (a partner's bundle).
    ///
    /// Everything is verified exactly as for a couple already joined. The returned changes
    /// must be stored before the couple is used.
    pub fn join(identity: Identity, incoming: Vec<SignedChange>) -> Result<Joined, CoreError> {
        let me = identity.public();
        let facts = verify::check_genesis(&me, &incoming)?;
        let mut index = ObjectIndex::default();
        let mut overlay = Overlay::new(&index);
        rules::check_change(
            &facts.change,
            &facts.ops,
            &facts.creator,
            None,
            &mut overlay,
            true,
        )
        .map_err(|detail| {
            Rejection::BadGenesis(format!("its operations are not valid: {detail}"))
        })?;
        let additions = overlay.added;
        index.extend(additions);
        let mut doc = AutoCommit::new();
        contained("applying the first change", || {
            doc.apply_changes([facts.change.clone()])
        })
        .map_err(Rejection::BadGenesis)??;
        doc.set_author(Some(author_of(&me)));
        let mut couple = Self::assemble(doc, identity, facts.doc_id, facts.partners)?;
        couple.index = index;
        couple.actors.record(
            facts.change.actor_id().clone(),
            ActorState {
                author: Some(facts.creator),
                seq: facts.change.seq(),
                max_op: facts.change.max_op(),
            },
        );
        couple.indexed = true;
        let mut rest = couple.verify_incoming(incoming, Waiting::default())?;
        let mut accepted = vec![(
            facts.change.hash(),
            SignedChange {
                bytes: facts.change.raw_bytes().to_vec(),
                signature: facts.signature,
            },
        )];
        accepted.extend(rest.accepted());
        let waiting = rest.take_waiting();
        couple.apply(rest)?;
        Ok(Joined {
            couple,
            accepted,
            waiting,
        })
    }

    /// Opens a stored document: a snapshot plus the changes saved after it.
    ///
    /// Everything in the store was verified before it was written, so it is trusted here;
    /// `trellis verify` re-checks it all on demand. Still, a profile always opens: if a
    /// stored change does not apply (written by a bug, or by an older version that stored
    /// before applying), it is set aside with the reason, and everything else is kept.
    pub fn load(
        identity: Identity,
        snapshot: Option<&[u8]>,
        changes: &[Vec<u8>],
    ) -> Result<Loaded, CoreError> {
        let (doc, set_aside) = load::open(snapshot, changes)?;
        let couple = Self::from_loaded(identity, doc)?;
        Ok(Loaded { couple, set_aside })
    }

    fn from_loaded(identity: Identity, mut doc: AutoCommit) -> Result<Self, CoreError> {
        let missing = doc.get_missing_deps(&[]);
        if !missing.is_empty() {
            return Err(CoreError::Invalid(format!(
                "the stored history is missing {} earlier change(s)",
                missing.len()
            )));
        }
        let me = identity.public();
        doc.set_author(Some(author_of(&me)));
        let root: Root = contained("reading the stored document", || {
            autosurgeon::hydrate::<_, Root>(&doc)
        })
        .map_err(CoreError::Engine)??;
        let doc_id = DocId::from_hex(&root.couple.id)
            .ok_or_else(|| CoreError::Invalid("the stored document has no valid id".into()))?;
        let keys: Vec<PartnerKey> = root
            .couple
            .partners
            .ids()
            .filter_map(|k| k.parse().ok())
            .collect();
        if keys.len() != 2 {
            return Err(CoreError::Invalid(
                "the stored document does not name two partners".into(),
            ));
        }
        // The index is built when first needed (or by `prepare`), not on the way to the view.
        Self::assemble_with(doc, root, identity, doc_id, [keys[0], keys[1]])
    }

    fn assemble(
        doc: AutoCommit,
        identity: Identity,
        doc_id: DocId,
        partners: [PartnerKey; 2],
    ) -> Result<Self, CoreError> {
        let root: Root = autosurgeon::hydrate(&doc)?;
        Self::assemble_with(doc, root, identity, doc_id, partners)
    }

    /// As [`Couple::assemble`], with the document already hydrated (opening a long history
    /// reads it once, not twice).
    fn assemble_with(
        doc: AutoCommit,
        root: Root,
        identity: Identity,
        doc_id: DocId,
        partners: [PartnerKey; 2],
    ) -> Result<Self, CoreError> {
        let me = identity.public();
        let partner = if partners[0] == me {
            partners[1]
        } else if partners[1] == me {
            partners[0]
        } else {
            return Err(Rejection::NotForMe.into());
        };
        Ok(Self {
            doc,
            identity,
            doc_id,
            me,
            partner,
            index: ObjectIndex::default(),
            actors: ActorTable::default(),
            indexed: false,
            root,
            poisoned: false,
            edits: crate::view::Edits::new(),
        })
    }

    /// Builds what checking changes needs (the object index), if not built yet. Cheap when
    /// it is; a node calls it right after showing a freshly opened history.
    pub fn prepare(&mut self) {
        if !self.indexed {
            self.index = ObjectIndex::build(self.doc.document());
            self.actors = ActorTable::build(self.doc.document());
            self.indexed = true;
        }
    }

    pub fn doc_id(&self) -> DocId {
        self.doc_id
    }

    pub fn me(&self) -> PartnerKey {
        self.me
    }

    pub fn partner(&self) -> PartnerKey {
        self.partner
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The hydrated document.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// The document read afresh in full (the cached [`Couple::root`] is kept up to date
    /// record by record; this is the reference it must always equal).
    pub fn fresh_root(&mut self) -> Result<Root, CoreError> {
        Ok(autosurgeon::hydrate(self.doc.document())?)
    }

    /// The shared space was ended by one of us: sync stops and this copy is read-only.
    pub fn is_ended(&self) -> bool {
        crate::perform::ended(&self.root).is_some()
    }

    /// The shared space was ended by me (my ending may still be on its way to the partner).
    pub fn ended_by_me(&self) -> bool {
        crate::perform::ended(&self.root).is_some_and(|(who, _)| who == self.me.to_hex())
    }

    /// A partner's display name as recorded when the couple started.
    pub fn name_of(&self, key: &PartnerKey) -> String {
        self.root
            .couple
            .partners
            .get(&key.to_hex())
            .map(|p| p.name.clone())
            .unwrap_or_else(|| key.fingerprint())
    }

    /// My sealing key (derived from my identity key): envelopes for me open with it.
    pub fn seal_key(&self) -> SealKey {
        SealKey::of(&self.identity)
    }

    /// The partner's sealing key, certified by their identity key: from their card at the
    /// couple's start, or from the record they published since. `None` until their device
    /// has shared it.
    pub fn partner_seal(&self) -> Option<SealPublic> {
        let key = self.partner;
        let published = self
            .root
            .by
            .get(&key.to_hex())
            .and_then(|space| space.seal.as_ref())
            .and_then(|r| SealPublic::certified(&key, &r.key, &r.certificate).ok());
        published.or_else(|| {
            let record = self.root.couple.partners.get(&key.to_hex())?;
            SealPublic::certified(
                &key,
                record.seal.as_deref()?,
                record.seal_certificate.as_deref()?,
            )
            .ok()
        })
    }

    /// The action that shares my sealing key, when my partner cannot know it yet (a couple
    /// that began before cards carried it); `None` once it is in the document or the space
    /// has ended.
    pub fn seal_to_share(&self) -> Option<Action> {
        let (public, certificate) = SealKey::certificate(&self.identity);
        let key = public.to_string();
        let me = self.me.to_hex();
        let in_card = self
            .root
            .couple
            .partners
            .get(&me)
            .is_some_and(|r| r.seal.as_deref() == Some(key.as_str()));
        let published = self
            .root
            .by
            .get(&me)
            .and_then(|s| s.seal.as_ref())
            .is_some_and(|r| r.key == key);
        // An ended space takes no more writing; there is nothing left to seal for.
        (!in_card && !published && !self.is_ended())
            .then_some(Action::PublishSeal { key, certificate })
    }

    /// The couple's mailbox address: the newest record either of us wrote, unless it removed
    /// the mailbox. A record dated more than a day after `now` is not believed (a clock far
    /// ahead must not pin a mailbox for good).
    pub fn mailbox(&self, now: crate::Moment) -> Option<String> {
        let limit = now.at_ms.saturating_add(24 * 60 * 60 * 1000);
        [self.me, self.partner]
            .iter()
            .filter_map(|k| self.root.by.get(&k.to_hex())?.mailbox.as_ref())
            .filter(|r| r.at <= limit)
            .max_by(|a, b| a.at.cmp(&b.at).then_with(|| a.address.cmp(&b.address)))
            .map(|r| r.address.clone())
            .filter(|a| !a.is_empty())
    }

    pub fn partner_record(&self, key: &PartnerKey) -> Option<&PartnerRecord> {
        self.root.couple.partners.get(&key.to_hex())
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    pub fn has_change(&mut self, hash: &ChangeHash) -> bool {
        // Metadata only: `get_change_by_hash` rebuilds the whole change from the op set.
        self.doc.document().get_change_meta_by_hash(hash).is_some()
    }

    /// Every change not in the causal past of `have`, in dependency order.
    pub fn changes_since(&mut self, have: &[ChangeHash]) -> Vec<Change> {
        let have: Vec<ChangeHash> = have
            .iter()
            .filter(|h| self.doc.document().get_change_meta_by_hash(h).is_some())
            .copied()
            .collect();
        self.doc.get_changes(&have)
    }

    /// How many of my own changes are not in the causal past of `have`.
    pub fn authored_by_me_since(&mut self, have: &[ChangeHash]) -> usize {
        let have: Vec<ChangeHash> = have
            .iter()
            .filter(|h| self.doc.document().get_change_meta_by_hash(h).is_some())
            .copied()
            .collect();
        // Metadata only (author, no operations): this runs on every status update.
        self.doc
            .document()
            .get_changes_meta(&have)
            .iter()
            .filter(|c| {
                c.author
                    .as_ref()
                    .is_some_and(|a| a.as_bytes() == self.me.as_bytes().as_slice())
            })
            .count()
    }

    /// The document as automerge's sync protocol sees it (for `sync::SyncSession`).
    pub(crate) fn sync_doc(&mut self) -> impl automerge::sync::SyncDoc + '_ {
        self.doc.sync()
    }

    /// A compact snapshot of the whole history.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The engine underneath, for read-only use (sync, history).
    pub fn automerge(&mut self) -> &automerge::Automerge {
        self.doc.document()
    }

    /// Performs one action as this partner: exactly one new change, signed.
    ///
    /// Invalid input changes nothing. The caller must store the change before telling the
    /// person it is saved; if storing fails, reload the couple from the store.
    pub fn act(&mut self, action: &Action, now: Moment) -> Result<Committed, CoreError> {
        self.usable()?;
        self.prepare();
        let written = perform::perform(
            &mut self.doc,
            &self.root,
            &self.me,
            &self.partner,
            action,
            now,
        );
        let Written { message, record } = match written {
            Ok(w) => w,
            Err(e) => {
                self.doc.rollback();
                return Err(e);
            }
        };
        let hash = self
            .doc
            .commit_with(
                CommitOptions::default()
                    .with_message(message.clone())
                    .with_time(now.unix_seconds()),
            )
            .ok_or_else(|| CoreError::Invalid("nothing changed".into()))?;
        let change = self
            .doc
            .get_change_by_hash(&hash)
            .ok_or_else(|| CoreError::Invalid("the new change vanished".into()))?;
        let ops = change.decode().operations;
        let mut overlay = Overlay::new(&self.index);
        rules::check_change(
            &change,
            &ops,
            &self.me,
            Some(&self.partner),
            &mut overlay,
            false,
        )
        .map_err(|detail| {
            CoreError::NotAllowed(format!(
                "internal error: this change would break the ownership rules ({detail})"
            ))
        })?;
        self.actors.record(
            change.actor_id().clone(),
            ActorState {
                author: Some(self.me),
                seq: change.seq(),
                max_op: change.max_op(),
            },
        );
        let additions = overlay.added;
        let touched = additions.touched.clone();
        self.index.extend(additions);
        self.refresh(&touched)?;
        let signature = ChangeSignature::sign(&self.identity, &self.doc_id, &hash);
        Ok(Committed {
            hash,
            change: SignedChange {
                bytes: change.raw_bytes().to_vec(),
                signature,
            },
            message,
            record,
        })
    }

    /// Checks incoming changes, together with signed changes still `waiting` for earlier
    /// ones, against the current document without changing anything.
    pub fn verify_incoming(
        &mut self,
        incoming: Vec<SignedChange>,
        waiting: Waiting,
    ) -> Result<Verified, CoreError> {
        self.usable()?;
        self.prepare();
        let checker = Checker {
            doc: self.doc.document(),
            index: &self.index,
            actors: &self.actors,
            doc_id: &self.doc_id,
            partners: [self.me, self.partner],
        };
        Ok(checker.verify(incoming, waiting)?)
    }

    /// Applies changes verified against the current state of this document.
    ///
    /// If the engine fails half-way (an error or a panic the rules did not foresee), the
    /// couple is poisoned: it refuses everything until it is read again from the store,
    /// which does not hold the changes yet.
    pub fn apply(&mut self, verified: Verified) -> Result<(), CoreError> {
        self.usable()?;
        if verified.ready.is_empty() {
            return Ok(());
        }
        if self.doc.get_heads() != verified.base_heads {
            return Err(CoreError::Invalid(
                "the document changed after these changes were verified; verify them again".into(),
            ));
        }
        let hashes: Vec<ChangeHash> = verified.ready.iter().map(|(c, _)| c.hash()).collect();
        let changes: Vec<Change> = verified.ready.into_iter().map(|(c, _)| c).collect();
        self.poisoned = true;
        contained("applying changes", || self.doc.apply_changes(changes))
            .map_err(CoreError::Engine)??;
        if let Some(missing) = hashes.iter().find(|h| !self.has_change(h)) {
            return Err(CoreError::Engine(format!(
                "change {missing} was accepted but the document engine did not apply it"
            )));
        }
        let touched = verified.additions.touched.clone();
        self.index.extend(verified.additions);
        self.actors.extend(verified.structure.actors);
        contained("reading the document", || self.refresh(&touched))
            .map_err(CoreError::Engine)??;
        self.poisoned = false;
        Ok(())
    }

    /// Refuses to go on with a document the engine failed on half-way.
    fn usable(&self) -> Result<(), CoreError> {
        if self.poisoned {
            return Err(CoreError::Engine(
                "an earlier change failed half-way; the document must be read again".into(),
            ));
        }
        Ok(())
    }

    /// True when the document in memory can no longer be trusted (see [`Couple::apply`]).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// Reads again only the records that changed; the whole document when the list is long
    /// or something outside a record changed.
    fn refresh(
        &mut self,
        touched: &std::collections::BTreeSet<Vec<String>>,
    ) -> Result<(), CoreError> {
        // Reading records one by one costs a few seeks more per record than reading the
        // whole document, so it pays while they are a small part of it (a frame of a long
        // sync touches hundreds of records of a history of thousands).
        let few = touched.len() <= 256 || touched.len() * 3 <= self.index.len();
        let records_only = few
            && touched.iter().all(|p| {
                (p.len() == 2 && p[0] == crate::schema::keys::AGREEMENTS)
                    || (p.len() == 4 && p[0] == crate::schema::keys::BY)
            });
        if records_only && crate::schema::refresh_records(&self.doc, &mut self.root, touched) {
            self.edits.records(touched);
        } else {
            self.root = autosurgeon::hydrate(&self.doc)?;
            self.edits.everything();
        }
        Ok(())
    }

    /// What changed in the hydrated document, for updating a view (see [`crate::view::Edits`]).
    pub fn edits(&self) -> &crate::view::Edits {
        &self.edits
    }

    /// Number of changes in the document.
    pub fn change_count(&mut self) -> usize {
        // The change graph's size, without rebuilding every change from the op set.
        self.doc.document().stats().num_changes as usize
    }

    /// Objects the trust boundary knows about (for diagnostics and tests).
    pub fn indexed_objects(&mut self) -> usize {
        self.prepare();
        self.index.len()
    }
}
