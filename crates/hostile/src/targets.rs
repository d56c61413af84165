//! Fuzz targets. Each takes arbitrary bytes and panics only when Trellis breaks a promise:
//! a panic escaping, a refused change that left a trace, an accepted change that does not
//! survive a reopen, a damaged file that is not named.
//!
//! libFuzzer drives them from `fuzz/` (see FUZZING.md); `tests/short_run.rs` drives them
//! with seeded random mutations in `cargo test`.

use std::path::{Path, PathBuf};

use trellis_core::{Action, Bundle, ChangeHash, CoreError, Frame, SignedChange};
use trellis_store::{Profile, StoreError};

use crate::attacks;
use crate::forge::Forge;
use crate::scene::{self, at};

/// For fuzzing: a panic hook under which panics that Trellis contains (automerge asserts
/// turned into refusals) unwind quietly, each new place printed once — so a run reports the
/// engine panics it found. A panic nobody contains still ends the run: libFuzzer's wrapper
/// aborts on it.
pub fn count_contained_panics() {
    static SEEN: std::sync::Mutex<std::collections::BTreeSet<String>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
        if seen.insert(place.clone()) {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            eprintln!("trellis-fuzz: a panic at {place}: {message}");
        }
    }));
}

/// Runs `f` on the target state kept in `cell`, made by `make` on first use (a fuzz target
/// keeps its victim from one input to the next).
pub fn with_state<T>(
    cell: &std::sync::Mutex<Option<T>>,
    make: fn() -> Result<T, String>,
    f: impl FnOnce(&mut T),
) {
    let mut guard = cell.lock().unwrap_or_else(|e| e.into_inner());
    if guard.is_none() {
        match make() {
            Ok(state) => *guard = Some(state),
            Err(e) => panic!("the fuzz target could not set up its scene: {e}"),
        }
    }
    if let Some(state) = guard.as_mut() {
        f(state);
    }
}

/// Frames read one after another from the front of `data` (a network stream or a file).
pub fn frames(data: &[u8]) {
    let mut rest = data;
    while let Ok((_, after)) = Frame::decode(rest) {
        if after.len() >= rest.len() {
            break;
        }
        rest = after;
    }
}

/// A bundle file from anyone.
pub fn bundle(data: &[u8]) {
    let _ = Bundle::decode(data);
}

/// A copy of a directory's files (one level: a profile has no subfolders).
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        std::fs::copy(entry.path(), to.join(entry.file_name()))?;
    }
    Ok(())
}

/// Where fuzz profiles live: memory-backed when the machine has it (fsyncs cost nothing).
fn scratch_root() -> std::io::Result<tempfile::TempDir> {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::Builder::new()
            .prefix("trellis-fuzz")
            .tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
}

/// The victim of a hostile partner: Sam's real profile, fed changes that Alex crafted and
/// signed with Alex's real key.
pub struct Victim {
    _root: tempfile::TempDir,
    pristine: PathBuf,
    live_dir: PathBuf,
    live: Option<Profile>,
    forge: Forge,
    /// The attacker's copy as it was when the victim was fresh.
    forge_pristine: Vec<u8>,
    bases: Vec<SignedChange>,
    accepted_since_reopen: usize,
    resets: usize,
    /// Changes the victim holds when fresh.
    fresh_changes: usize,
}

impl std::fmt::Debug for Victim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Victim").finish_non_exhaustive()
    }
}

/// Outcome counts, for a run's summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub accepted: usize,
    pub refused: usize,
    pub waiting: usize,
}

impl Victim {
    pub fn new() -> Result<Self, String> {
        let root = scratch_root().map_err(|e| e.to_string())?;
        let mut s = scene::scene(root.path()).map_err(|e| e.to_string())?;
        let forge = Forge::of(&mut s.alex).map_err(|e| e.to_string())?;
        // Honest changes to mutate: an appreciation, a revision, a consent, and the attacks.
        let mut bases = vec![forge.sign(attacks::honest(&forge).map_err(|e| e.to_string())?)];
        for (_, attack) in attacks::refused_attacks() {
            if let Ok(c) = attack(&forge, &s.agreement) {
                bases.push(c);
            }
        }
        let revision = s
            .alex
            .act(
                &Action::ReviseAgreement {
                    agreement: s.agreement.clone(),
                    draft: trellis_core::RevisionDraft {
                        wording: Some(
                            "We keep our phones visible when we are at home together".into(),
                        ),
                        ..Default::default()
                    },
                },
                at(10),
            )
            .map_err(|e| e.to_string())?;
        bases.push(revision.change);
        let fresh_changes = s
            .sam()
            .couple_mut()
            .map_err(|e| e.to_string())?
            .change_count();
        let pristine = s.sam_dir.clone();
        drop(s);
        let live_dir = root.path().join("live");
        let forge_pristine = forge.doc.save();
        let mut victim = Self {
            _root: root,
            pristine,
            live_dir,
            live: None,
            forge,
            forge_pristine,
            bases,
            accepted_since_reopen: 0,
            resets: 0,
            fresh_changes,
        };
        victim.reset()?;
        Ok(victim)
    }

    fn reset(&mut self) -> Result<(), String> {
        self.live = None;
        let _ = std::fs::remove_dir_all(&self.live_dir);
        copy_dir(&self.pristine, &self.live_dir).map_err(|e| e.to_string())?;
        self.live = Some(Profile::open(&self.live_dir).map_err(|e| e.to_string())?);
        self.forge.doc =
            automerge::Automerge::load(&self.forge_pristine).map_err(|e| e.to_string())?;
        self.resets += 1;
        Ok(())
    }

    /// The signed change `data` describes: a base change with bytes flipped (even first
    /// byte), or `data` itself as a change's body (odd first byte). Either way the header
    /// is made valid and the change is signed by the partner, so it gets past the
    /// signature check.
    pub fn craft(&self, data: &[u8]) -> Option<SignedChange> {
        let (&mode, rest) = data.split_first()?;
        if mode & 1 == 0 {
            let (&pick, edits) = rest.split_first()?;
            let base = &self.bases[pick as usize % self.bases.len()];
            let mut bytes = base.bytes.clone();
            for edit in edits.chunks_exact(3) {
                let pos = u16::from_le_bytes([edit[0], edit[1]]) as usize;
                if bytes.is_empty() {
                    break;
                }
                let i = pos % bytes.len();
                bytes[i] ^= edit[2].max(1);
            }
            self.forge.resign(&bytes)
        } else {
            let mut bytes = trellis_core::verify::chunk_header(
                trellis_core::verify::CHUNK_CHANGE,
                [0; 4],
                rest.len(),
            );
            bytes.extend_from_slice(rest);
            self.forge.resign(&bytes)
        }
    }

    /// Fuzz target: one crafted, partner-signed change through the victim's whole incoming
    /// path (verify → apply → store), with the profile reopened now and then.
    pub fn incoming(&mut self, data: &[u8]) -> Tally {
        let mut tally = Tally::default();
        let Some(change) = self.craft(data) else {
            return tally;
        };
        self.take(vec![change], &mut tally);
        tally
    }

    /// Fuzz target: a sync message from the partner's device (heads, needs, Bloom filters),
    /// taken in and answered. Nothing may panic out, abort or allocate without bound, and
    /// the document must not move (a sync message carries no changes).
    pub fn sync_message(&mut self, data: &[u8]) -> bool {
        let Some(profile) = self.live.as_mut() else {
            return false;
        };
        let before = heads(profile);
        let Ok(couple) = profile.couple_mut() else {
            return false;
        };
        let mut session = trellis_core::SyncSession::resume(None);
        let taken = session.receive(couple, data).is_ok();
        let _ = session.outgoing(couple);
        assert_eq!(heads(profile), before, "a sync message moved the document");
        taken
    }

    /// Takes a batch in as a bundle from the partner and checks every promise.
    pub fn take(&mut self, changes: Vec<SignedChange>, tally: &mut Tally) {
        let bundle = attacks::bundle(&self.forge, changes.clone());
        let Some(profile) = self.live.as_mut() else {
            return;
        };
        let before = heads(profile);
        match profile.import_bundle(&bundle, at(20)) {
            Ok(report) => {
                if report.new_changes > 0 {
                    tally.accepted += 1;
                    self.accepted_since_reopen += 1;
                    // The attacker's next change continues after this one.
                    for c in &changes {
                        self.forge.absorb(c);
                    }
                } else {
                    tally.waiting += report.waiting;
                    assert_eq!(heads(profile), before, "nothing new, yet the heads moved");
                }
            }
            Err(e) => {
                tally.refused += 1;
                assert!(
                    !engine_failure(&e),
                    "a verified change failed to apply (a rule is missing): {e}"
                );
                assert_eq!(heads(profile), before, "a refused change left a trace: {e}");
            }
        }
        if self.accepted_since_reopen >= 16 {
            self.reopen();
        }
        let grown = self
            .live
            .as_mut()
            .and_then(|p| p.couple_mut().ok().map(|c| c.change_count()))
            .unwrap_or(0);
        if grown > self.fresh_changes + 500 {
            self.reopen();
            if let Err(e) = self.reset() {
                panic!("the pristine victim no longer opens: {e}");
            }
        }
    }

    /// Closes and reopens the victim's profile: it must open, whole, with nothing set aside.
    pub fn reopen(&mut self) {
        self.accepted_since_reopen = 0;
        let Some(mut profile) = self.live.take() else {
            return;
        };
        let before = heads(&mut profile);
        drop(profile);
        let mut again = match Profile::open(&self.live_dir) {
            Ok(p) => p,
            Err(e) => panic!("the victim's profile no longer opens: {e}"),
        };
        assert!(
            again.set_aside_at_open().is_empty(),
            "a stored change would not apply: {:?}",
            again.set_aside_at_open()
        );
        assert_eq!(heads(&mut again), before, "the reopened document differs");
        read_everything(&mut again);
        self.live = Some(again);
    }

    /// How many times the victim was rebuilt from its pristine copy.
    pub fn resets(&self) -> usize {
        self.resets
    }
}

/// Everything the window and the command line read from a document, at a few moments.
fn read_everything(profile: &mut Profile) {
    let _ = profile.history();
    for moment in 0..3 {
        read_views(profile, moment);
    }
}

/// The status, the view and the therapist export at one of three moments and zones: now
/// at UTC, a year on at +14:00, a year ago at −12:00.
fn read_views(profile: &mut Profile, moment: usize) {
    use trellis_core::export::{ExportOptions, Section, markdown};
    let _ = profile.status();
    let (now, offset) = [
        (at(40), 0),
        (at(60 * 24 * 400), 14 * 60),
        (at(-60 * 24 * 400), -12 * 60),
    ][moment % 3];
    let now = trellis_core::Moment::new(now.at_ms, offset);
    if let Some(view) = profile.view(now) {
        let _ = markdown(
            &view,
            &ExportOptions {
                sections: Section::ALL.to_vec(),
                since: None,
                until: None,
                now,
            },
        );
    }
}

fn heads(profile: &mut Profile) -> Vec<ChangeHash> {
    profile
        .couple_mut()
        .map(|c| {
            let mut h = c.heads();
            h.sort();
            h
        })
        .unwrap_or_default()
}

/// True when the engine failed on a change the rules had accepted.
fn engine_failure(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Core(CoreError::Engine(_)) | StoreError::Core(CoreError::Automerge(_))
    )
}

/// The reader of a partner's records: Sam's document in memory (the store's part of the
/// way in is the `incoming` target's), fed records Alex wrote in Alex's own space.
pub struct Reader {
    seed: [u8; 32],
    pristine: Vec<u8>,
    couple: trellis_core::Couple,
    forge: Forge,
    forge_pristine: Vec<u8>,
    taken: usize,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

impl Reader {
    pub fn new() -> Result<Self, String> {
        let root = scratch_root().map_err(|e| e.to_string())?;
        let mut s = scene::scene(root.path()).map_err(|e| e.to_string())?;
        let forge = Forge::of(&mut s.alex).map_err(|e| e.to_string())?;
        let seed = s.sam().identity().to_bytes();
        let pristine = s.sam().couple_mut().map_err(|e| e.to_string())?.save();
        let couple = Self::fresh(&seed, &pristine)?;
        let forge_pristine = forge.doc.save();
        Ok(Self {
            seed,
            pristine,
            couple,
            forge,
            forge_pristine,
            taken: 0,
        })
    }

    fn fresh(seed: &[u8; 32], doc: &[u8]) -> Result<trellis_core::Couple, String> {
        trellis_core::Couple::load(trellis_core::Identity::from_bytes(seed), Some(doc), &[])
            .map(|l| l.couple)
            .map_err(|e| e.to_string())
    }

    /// Fuzz target: a record the partner writes in their own space (or a new agreement),
    /// every field and value chosen by `data`. Whatever is accepted, the view and the
    /// therapist export (at one of three moments and zones, in turn) must be built.
    pub fn records(&mut self, data: &[u8]) -> Tally {
        let mut tally = Tally::default();
        let Ok(change) = crate::records::record_change(&self.forge, data) else {
            return tally;
        };
        let change = self.forge.sign(change);
        let verified = self
            .couple
            .verify_incoming(vec![change.clone()], trellis_core::Waiting::default());
        match verified.map(|v| self.couple.apply(v)) {
            Ok(Ok(())) => {
                tally.accepted += 1;
                self.forge.absorb(&change);
            }
            Ok(Err(e)) => panic!("a verified record failed to apply: {e}"),
            Err(_) => tally.refused += 1,
        }
        self.taken += 1;
        let me = self.couple.me();
        let partner = self.couple.partner();
        let (now, offset) = [
            (at(40), 0),
            (at(60 * 24 * 400), 14 * 60),
            (at(-60 * 24 * 400), -12 * 60),
        ][self.taken % 3];
        let now = trellis_core::Moment::new(now.at_ms, offset);
        let view = trellis_core::View::build(self.couple.root(), &me, &partner, now);
        let _ = trellis_core::export::markdown(
            &view,
            &trellis_core::export::ExportOptions {
                sections: trellis_core::export::Section::ALL.to_vec(),
                since: None,
                until: None,
                now,
            },
        );
        if self.taken.is_multiple_of(64) {
            // Start again from the scene, so the document stays small and fast.
            if let Ok(c) = Self::fresh(&self.seed, &self.pristine) {
                self.couple = c;
            }
            if let Ok(d) = automerge::Automerge::load(&self.forge_pristine) {
                self.forge.doc = d;
            }
        }
        tally
    }
}

/// Opening a damaged `couple.redb`: a real profile's file with bytes overwritten.
pub struct DamagedStore {
    _root: tempfile::TempDir,
    file: Vec<u8>,
    dir: PathBuf,
    opens: usize,
}

impl std::fmt::Debug for DamagedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DamagedStore").finish_non_exhaustive()
    }
}

impl DamagedStore {
    pub fn new() -> Result<Self, String> {
        let root = scratch_root().map_err(|e| e.to_string())?;
        let s = scene::scene(root.path()).map_err(|e| e.to_string())?;
        let template = s.sam_dir.clone();
        drop(s);
        let file = std::fs::read(template.join("couple.redb")).map_err(|e| e.to_string())?;
        let dir = root.path().join("damaged");
        copy_dir(&template, &dir).map_err(|e| e.to_string())?;
        Ok(Self {
            _root: root,
            file,
            dir,
            opens: 0,
        })
    }

    /// The size of the undamaged file.
    pub fn len(&self) -> usize {
        self.file.len()
    }

    pub fn is_empty(&self) -> bool {
        self.file.is_empty()
    }

    /// Fuzz target: `data` is a list of (offset u32 LE, byte) edits to the file (offsets
    /// wrap); an empty list truncates it to the length the first byte says. The profile
    /// must open with the data intact, or refuse with an error that names the file.
    /// Returns whether it opened.
    pub fn open(&mut self, data: &[u8]) -> bool {
        let mut bytes = self.file.clone();
        if data.len() < 5 {
            let keep = data.first().map_or(0, |b| *b as usize * bytes.len() / 256);
            bytes.truncate(keep);
        }
        for edit in data.chunks_exact(5) {
            if bytes.is_empty() {
                break;
            }
            let pos = u32::from_le_bytes([edit[0], edit[1], edit[2], edit[3]]) as usize;
            let i = pos % bytes.len();
            bytes[i] = edit[4];
        }
        // Only the store is damaged; the keys beside it stay as they are.
        if let Err(e) = std::fs::write(self.dir.join("couple.redb"), &bytes) {
            panic!("could not prepare the damaged copy: {e}");
        }
        self.opens += 1;
        let path = self.dir.join("couple.redb").display().to_string();
        let named = |e: &StoreError| {
            let text = e.to_string();
            assert!(
                text.contains(&path),
                "a damaged store gave an error that does not name the file: {text}"
            );
        };
        let mut profile = match Profile::open(&self.dir) {
            Ok(p) => p,
            Err(e) => {
                named(&e);
                return false;
            }
        };
        if let Err(e) = profile.status() {
            named(&e);
        }
        let _ = profile.view(at(30));
        if !self.opens.is_multiple_of(8) {
            return true;
        }
        match profile.act(
            &Action::Appreciate {
                text: "still here".into(),
            },
            at(31),
        ) {
            Ok(_) => {}
            Err(StoreError::Core(_)) => {}
            Err(e) => named(&e),
        }
        true
    }
}
