//! Damaged stores: whatever happens to `couple.redb` or `private.redb` while Trellis is closed
//! (random bytes, flipped bytes, a truncated, empty or zeroed file, one page overwritten), the
//! next open and every read and write after it either works with the data intact or fails with
//! the "damaged, here is the file" error. Nothing panics, and a refused file is left exactly as
//! it was.
//!
//! Each damage kind runs 200 deterministic seeds; set `TRELLIS_DAMAGE_SEEDS` for a longer run,
//! and run with `--nocapture` to see the outcomes and the panics inside redb that were contained.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Once, OnceLock};

use tempfile::TempDir;
use trellis_core::schema::Category;
use trellis_core::view::HistoryEntry;
use trellis_core::{Action, AgreementDraft, Moment, View};
use trellis_store::{Journal, JournalEntry, Profile, ProfilePaths, Status, StoreError, Trigger};

const DEFAULT_SEEDS: u64 = 200;
const PAGE: usize = 4096;
/// redb's header: magic, flags, page geometry, then two 128-byte commit slots.
const HEADER: usize = 320;

/// Scratch space, in memory where there is some: the cases sync the file often, and how
/// durable that is is not what they test.
fn scratch() -> TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().unwrap()
}

fn now(minutes: i64) -> Moment {
    Moment::new(1_795_338_000_000 + minutes * 60_000, 0)
}

fn seeds() -> u64 {
    std::env::var("TRELLIS_DAMAGE_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_SEEDS)
}

/// SplitMix64: deterministic, and enough to spread damage around a file.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }

    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let word = self.next().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// What a profile holds before it is damaged, and the bytes of its files.
struct Template {
    files: Vec<(&'static str, Vec<u8>)>,
    status: Status,
    view: View,
    setting: Option<String>,
    history: Vec<HistoryEntry>,
    entries: Vec<JournalEntry>,
    triggers: Vec<Trigger>,
}

const FILES: [&str; 5] = [
    "vault.json",
    "identity.key",
    "device.key",
    "couple.redb",
    "private.redb",
];

/// The keys of the profile copied into `paths`.
fn vault(paths: &ProfilePaths) -> trellis_store::Vault {
    Profile::unlock(&paths.dir, None).unwrap()
}

/// Alex's profile: a couple with Sam, an agreement in force, a snapshot and changes after it,
/// a setting, sync hints, and journal entries and triggers.
fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("alex");
        let mut alex = Profile::init(&dir, "Alex").unwrap();
        let mut sam = Profile::init(&tmp.path().join("sam"), "Sam").unwrap();
        alex.create_couple(&sam.card().unwrap(), now(0)).unwrap();
        let (bundle, _) = alex.export_bundle(false, now(1)).unwrap();
        sam.import_bundle(&bundle, now(2)).unwrap();
        let id = alex
            .act(
                &Action::ProposeAgreement(AgreementDraft {
                    title: "Evenings".into(),
                    category: Category::TimeAndSpace,
                    wording: "An evening a week for ourselves".into(),
                    if_crossed: None,
                    review_on: None,
                }),
                now(3),
            )
            .unwrap()
            .record;
        let (bundle, _) = alex.export_bundle(false, now(4)).unwrap();
        sam.import_bundle(&bundle, now(5)).unwrap();
        sam.act(
            &Action::AcceptAgreement {
                agreement: id,
                revision: None,
            },
            now(6),
        )
        .unwrap();
        let (bundle, _) = sam.export_bundle(false, now(7)).unwrap();
        alex.import_bundle(&bundle, now(8)).unwrap();
        // Long texts spread the document over several pages of the store.
        let appreciations = |from: i64, n: i64| {
            (from..from + n).map(move |i| {
                (
                    Action::Appreciate {
                        text: format!("appreciation {i}: {}", "thank you ".repeat(40)),
                    },
                    now(10 + i),
                )
            })
        };
        alex.act_many(appreciations(0, 30)).unwrap();
        alex.compact().unwrap();
        alex.act_many(appreciations(30, 10)).unwrap();
        for i in 0..5 {
            alex.act(
                &Action::Appreciate {
                    text: format!("one by one {i}"),
                },
                now(100 + i),
            )
            .unwrap();
        }
        alex.set_setting("theme", "dusk").unwrap();
        alex.confirm_safety().unwrap();
        let journal = Journal::open(alex.paths(), alex.vault()).unwrap();
        for i in 0..20 {
            journal
                .add_entry(
                    &format!("entry {i}: {}", "what I felt ".repeat(30)),
                    now(200 + i),
                )
                .unwrap();
            journal
                .add_trigger(&format!("trigger {i}"), now(200 + i))
                .unwrap();
        }
        let entries = journal.entries().unwrap();
        let triggers = journal.triggers().unwrap();
        drop(journal);
        let status = alex.status().unwrap();
        let view = alex.view(now(300)).unwrap();
        let setting = alex.setting("theme").unwrap();
        let history = alex.history().unwrap();
        assert!(history.iter().all(|h| h.verified));
        drop(alex);
        drop(sam);
        let files = FILES
            .iter()
            .map(|f| (*f, fs::read(dir.join(f)).unwrap()))
            .collect();
        Template {
            files,
            status: Status {
                profile: String::new(),
                ..status
            },
            view,
            setting,
            history,
            entries,
            triggers,
        }
    })
}

const ALL: [Damage; 9] = [
    Damage::RandomFile,
    Damage::FlippedBytes,
    Damage::FlippedInUse,
    Damage::FlippedHeader,
    Damage::Truncated,
    Damage::Extended,
    Damage::RandomPage,
    Damage::ZeroedPage,
    Damage::EmptyOrZeros,
];

#[derive(Debug, Clone, Copy)]
enum Damage {
    /// The whole file replaced by random bytes of the same length.
    RandomFile,
    /// One to eight bytes anywhere changed.
    FlippedBytes,
    /// One to eight bytes changed in pages that hold something (most of a new file is zeros).
    FlippedInUse,
    /// One to four bytes of the header (its flags, page geometry and two commit slots) changed.
    FlippedHeader,
    /// Cut short at a random length.
    Truncated,
    /// Random bytes appended.
    Extended,
    /// One page that holds something overwritten with random bytes.
    RandomPage,
    /// One page that holds something overwritten with zeros.
    ZeroedPage,
    /// Emptied, or zeroed over its whole length.
    EmptyOrZeros,
}

/// The pages of a file that hold something: most of a store is zeros until it is needed.
fn used_pages(bytes: &[u8]) -> Vec<usize> {
    let zeros = [0; PAGE];
    bytes
        .chunks(PAGE)
        .enumerate()
        .filter(|(_, page)| **page != zeros[..page.len()])
        .map(|(i, _)| i)
        .collect()
}

fn damage(bytes: &[u8], used: &[usize], kind: Damage, rng: &mut Rng) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let len = bytes.len();
    let in_use = |rng: &mut Rng| {
        let start = used[rng.below(used.len())] * PAGE;
        start + rng.below(PAGE.min(len - start))
    };
    match kind {
        Damage::RandomFile => rng.fill(&mut out),
        Damage::FlippedBytes => {
            for _ in 0..=rng.below(8) {
                let at = rng.below(out.len());
                out[at] ^= rng.byte().max(1);
            }
        }
        Damage::FlippedInUse => {
            for _ in 0..=rng.below(8) {
                let at = in_use(rng);
                out[at] ^= rng.byte().max(1);
            }
        }
        Damage::FlippedHeader => {
            for _ in 0..=rng.below(4) {
                let at = rng.below(HEADER.min(out.len()));
                out[at] ^= rng.byte().max(1);
            }
        }
        Damage::Truncated => out.truncate(rng.below(out.len())),
        Damage::Extended => {
            let mut tail = vec![0; 1 + rng.below(3 * PAGE)];
            rng.fill(&mut tail);
            out.extend(tail);
        }
        Damage::RandomPage | Damage::ZeroedPage => {
            let start = used[rng.below(used.len())] * PAGE;
            let end = (start + PAGE).min(out.len());
            if matches!(kind, Damage::RandomPage) {
                rng.fill(&mut out[start..end]);
            } else {
                out[start..end].fill(0);
            }
        }
        Damage::EmptyOrZeros => {
            if rng.next().is_multiple_of(2) {
                out.clear();
            } else {
                out.fill(0);
            }
        }
    }
    if out == bytes {
        // Random bytes happened to change nothing: damage one byte that matters.
        let at = in_use(rng);
        out[at] ^= 0xFF;
    }
    out
}

/// The promised error: `Corrupt`, naming the damaged file.
fn is_damaged_error(e: &StoreError, file: &Path) -> Result<(), String> {
    let msg = e.to_string();
    match e {
        StoreError::Corrupt { path, .. }
            if path == file && msg.contains(&file.display().to_string()) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "expected the damaged-file error naming {}, got {e:?}",
            file.display()
        )),
    }
}

fn check<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: &T) -> Result<(), String> {
    if got == *want {
        Ok(())
    } else {
        Err(format!(
            "{what} differs after damage:\n got {got:?}\nwant {want:?}"
        ))
    }
}

/// Everything a reader sees, compared with the template; `extra` appreciations were added
/// since. The signed history (every signature checked) is compared too when `signed`.
fn intact(p: &mut Profile, t: &Template, extra: usize, signed: bool) -> Result<(), String> {
    let mut status = p.status().map_err(|e| format!("status: {e}"))?;
    status.profile = String::new();
    if let Some(c) = status.couple.as_mut() {
        c.changes -= extra;
        c.not_yet_with_partner -= extra;
    }
    check("status", status, &t.status)?;
    let mut view = p.view(now(300)).ok_or("no view")?;
    if extra == 0 {
        check("view", view, &t.view)?;
    } else {
        // The new appreciations come first; weekly trends and attention may count them too.
        view.appreciations = view.appreciations[extra..].iter().cloned().collect();
        check("appreciations", view.appreciations, &t.view.appreciations)?;
        check("agreements", view.agreements, &t.view.agreements)?;
    }
    check(
        "setting",
        p.setting("theme").map_err(|e| format!("setting: {e}"))?,
        &t.setting,
    )?;
    if signed {
        let history = p.history().map_err(|e| format!("history: {e}"))?;
        if history.len() != t.history.len() + extra || !history.iter().all(|h| h.verified) {
            return Err("the signed history differs after damage".into());
        }
    }
    Ok(())
}

/// How a damaged case ended, when it kept the promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// The open was refused with the damaged-file error, the file untouched.
    Refused,
    /// It opened with everything intact, and took a write.
    Intact,
    /// It opened intact; a later read or write found damage and was refused.
    RefusedLater,
}

/// Opens a damaged `couple.redb`, reads, writes, reopens.
fn use_couple(dir: &Path, seed: u64, damaged: &[u8]) -> Result<Outcome, String> {
    let t = template();
    let file = ProfilePaths::new(dir).document_db();
    let open = |dir: &Path| {
        if seed.is_multiple_of(2) {
            Profile::open(dir)
        } else {
            Profile::open_for_reading(dir)
        }
    };
    let mut p = match open(dir) {
        Err(e) => {
            is_damaged_error(&e, &file)?;
            unchanged(&file, damaged)?;
            return Ok(Outcome::Refused);
        }
        Ok(p) => p,
    };
    intact(&mut p, t, 0, true)?;
    let acted = p.act(
        &Action::Appreciate {
            text: "after the damage".into(),
        },
        now(400),
    );
    let extra = match &acted {
        Ok(_) => 1,
        Err(e) => {
            is_damaged_error(e, &file)?;
            0
        }
    };
    match p.status() {
        Ok(s) => check(
            "changes after a write",
            s.couple.map(|c| c.changes),
            &t.status.couple.as_ref().map(|c| c.changes + extra),
        )?,
        Err(e) => is_damaged_error(&e, &file)?,
    }
    drop(p);
    match open(dir) {
        Ok(mut p) => intact(&mut p, t, extra, false)?,
        Err(e) => {
            is_damaged_error(&e, &file)?;
            return Ok(Outcome::RefusedLater);
        }
    }
    Ok(if extra == 1 {
        Outcome::Intact
    } else {
        Outcome::RefusedLater
    })
}

/// Opens a damaged `private.redb`, reads, writes, reopens.
fn use_journal(dir: &Path, damaged: &[u8]) -> Result<Outcome, String> {
    let t = template();
    let paths = ProfilePaths::new(dir);
    let file = paths.private_db();
    let journal = match Journal::open(&paths, &vault(&paths)) {
        Err(e) => {
            is_damaged_error(&e, &file)?;
            unchanged(&file, damaged)?;
            return Ok(Outcome::Refused);
        }
        Ok(j) => j,
    };
    let read = |j: &Journal, extra: usize| -> Result<(), String> {
        let mut entries = j.entries().map_err(|e| format!("entries: {e}"))?;
        entries.drain(..extra);
        check("journal", entries, &t.entries)?;
        check(
            "triggers",
            j.triggers().map_err(|e| format!("triggers: {e}"))?,
            &t.triggers,
        )
    };
    read(&journal, 0)?;
    let extra = match journal.add_entry("after the damage", now(400)) {
        Ok(_) => 1,
        Err(e) => {
            is_damaged_error(&e, &file)?;
            0
        }
    };
    match journal.entries() {
        Ok(_) => read(&journal, extra)?,
        Err(e) => is_damaged_error(&e, &file)?,
    }
    drop(journal);
    match Journal::open(&paths, &vault(&paths)) {
        Ok(j) => read(&j, extra)?,
        Err(e) => {
            is_damaged_error(&e, &file)?;
            return Ok(Outcome::RefusedLater);
        }
    }
    Ok(if extra == 1 {
        Outcome::Intact
    } else {
        Outcome::RefusedLater
    })
}

fn unchanged(file: &Path, damaged: &[u8]) -> Result<(), String> {
    if fs::read(file).map_err(|e| e.to_string())? == damaged {
        Ok(())
    } else {
        Err(format!(
            "{} was changed although it was refused",
            file.display()
        ))
    }
}

thread_local! {
    /// Set while a damaged case runs: panics are recorded rather than printed.
    static IN_CASE: Cell<bool> = const { Cell::new(false) };
    static PANICS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_CASE.with(Cell::get) {
                let place = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let msg = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                PANICS.with(|p| p.borrow_mut().push(format!("{msg} at {place}")));
            } else {
                default(info);
            }
        }));
    });
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Couple,
    Journal,
}

/// Runs `seeds` damaged copies of one file; returns the failures, and counts the outcomes and
/// the panics seen inside redb (by message and place, contained or not).
fn run(
    target: Target,
    kind: Damage,
    seeds: u64,
    outcomes: &mut BTreeMap<Outcome, usize>,
    panics_seen: &mut BTreeMap<String, usize>,
) -> Vec<String> {
    install_hook();
    let t = template();
    let tmp = scratch();
    let name = match target {
        Target::Couple => "couple.redb",
        Target::Journal => "private.redb",
    };
    let (_, original) = t.files.iter().find(|(f, _)| *f == name).unwrap();
    let used = used_pages(original);
    let mut failures = Vec::new();
    for seed in 0..seeds {
        let dir = tmp.path().join(format!("{seed}"));
        fs::create_dir(&dir).unwrap();
        for (f, bytes) in &t.files {
            if f.ends_with(".key") || *f == "vault.json" {
                fs::write(dir.join(f), bytes).unwrap();
            }
        }
        let mut rng = Rng::new(seed ^ ((kind as u64) << 32));
        let damaged = damage(original, &used, kind, &mut rng);
        fs::write(dir.join(name), &damaged).unwrap();
        IN_CASE.with(|c| c.set(true));
        let outcome = catch_unwind(AssertUnwindSafe(|| match target {
            Target::Couple => use_couple(&dir, seed, &damaged),
            Target::Journal => use_journal(&dir, &damaged),
        }));
        IN_CASE.with(|c| c.set(false));
        let panics: Vec<String> = PANICS.with(|p| p.borrow_mut().drain(..).collect());
        for p in &panics {
            *panics_seen.entry(p.clone()).or_default() += 1;
        }
        match outcome {
            Ok(Ok(outcome)) => *outcomes.entry(outcome).or_default() += 1,
            Ok(Err(why)) => failures.push(format!("{name} {kind:?} seed {seed}: {why}")),
            Err(_) => failures.push(format!(
                "{name} {kind:?} seed {seed}: panicked: {}",
                panics.last().cloned().unwrap_or_default()
            )),
        }
        let _ = fs::remove_dir_all(&dir);
    }
    failures
}

fn run_all(target: Target, kinds: &[Damage]) {
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    let mut report = String::new();
    let mut panics = BTreeMap::new();
    let mut cases = 0;
    for &kind in kinds {
        let seeds = match kind {
            Damage::EmptyOrZeros => 4,
            _ => seeds(),
        };
        let mut outcomes = BTreeMap::new();
        failures.extend(run(target, kind, seeds, &mut outcomes, &mut panics));
        report.push_str(&format!("  {kind:?}: {outcomes:?}\n"));
        cases += seeds;
    }
    println!(
        "{target:?}: {cases} cases in {:.1?}\n{report}  \
         panics inside redb, contained or not: {panics:#?}",
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of the damaged cases broke the promise, e.g.:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_couple_store_with_random_flipped_bytes_is_refused_by_name_or_read_intact() {
    run_all(
        Target::Couple,
        &[
            Damage::FlippedBytes,
            Damage::FlippedInUse,
            Damage::FlippedHeader,
        ],
    );
}

#[test]
fn a_couple_store_with_a_page_overwritten_is_refused_by_name_or_read_intact() {
    run_all(Target::Couple, &[Damage::RandomPage, Damage::ZeroedPage]);
}

#[test]
fn a_couple_store_of_random_bytes_or_the_wrong_length_is_refused_by_name() {
    run_all(
        Target::Couple,
        &[
            Damage::RandomFile,
            Damage::Truncated,
            Damage::Extended,
            Damage::EmptyOrZeros,
        ],
    );
}

#[test]
fn a_damaged_journal_is_refused_by_name_or_read_intact() {
    run_all(Target::Journal, &ALL);
}

/// A reader beside the running app is not checked when it opens (only the app's open checks
/// the file), and a file can be damaged while the app has it open: then redb may panic inside a
/// read. The panic is contained: that call fails with the damaged-file error, and every later
/// call on the handle is refused the same way without touching redb again. The app beside it
/// carries on or fails by name, and closing either never panics.
#[test]
fn damage_under_a_running_app_is_contained_and_the_broken_handle_stays_refused() {
    install_hook();
    let t = template();
    let tmp = scratch();
    let mut failures = Vec::new();
    let mut contained = 0;
    let mut panics_seen: BTreeMap<String, usize> = BTreeMap::new();
    for seed in 0..seeds() / 2 {
        let dir = tmp.path().join(format!("{seed}"));
        fs::create_dir(&dir).unwrap();
        for (f, bytes) in &t.files {
            if *f != "private.redb" {
                fs::write(dir.join(f), bytes).unwrap();
            }
        }
        let file = ProfilePaths::new(&dir).document_db();
        let mut app = Profile::open(&dir).unwrap();
        let mut rng = Rng::new(seed ^ 0xA5A5_0000_0000);
        let kind = if seed.is_multiple_of(2) {
            Damage::RandomPage
        } else {
            Damage::FlippedInUse
        };
        // Written in place over what the app has made of the file, as damage under a running
        // process would be.
        let current = fs::read(&file).unwrap();
        let damaged = damage(&current, &used_pages(&current), kind, &mut rng);
        fs::OpenOptions::new()
            .write(true)
            .open(&file)
            .and_then(|mut f| {
                use std::io::Write;
                f.write_all(&damaged)
            })
            .unwrap();
        IN_CASE.with(|c| c.set(true));
        let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<usize, String> {
            let mut contained = 0;
            match trellis_store::DocumentDb::open_read_only(
                &file,
                vault(&ProfilePaths::new(&dir)).profile_sealer(),
            ) {
                Err(e) => is_damaged_error(&e, &file)?,
                Ok(reader) => {
                    let calls: [&dyn Fn() -> Result<(), StoreError>; 4] = [
                        &|| reader.load().map(drop),
                        &|| reader.meta("name").map(drop),
                        &|| reader.setting("theme").map(drop),
                        &|| reader.log_len().map(drop),
                    ];
                    let mut broken = false;
                    for call in calls.iter().cycle().take(3 * calls.len()) {
                        let before = PANICS.with(|p| p.borrow().len());
                        let result = call();
                        let panicked = PANICS.with(|p| p.borrow().len()) > before;
                        if broken && (panicked || result.is_ok()) {
                            return Err("a broken handle was used again".into());
                        }
                        if let Err(e) = result {
                            is_damaged_error(&e, &file)?;
                        }
                        if panicked {
                            broken = true;
                            contained += 1;
                        }
                    }
                }
            }
            for r in [
                app.status().map(drop),
                app.act(
                    &Action::Appreciate {
                        text: "while damaged".into(),
                    },
                    now(500),
                )
                .map(drop),
            ] {
                if let Err(e) = r {
                    is_damaged_error(&e, &file)?;
                }
            }
            Ok(contained)
        }));
        drop(app);
        IN_CASE.with(|c| c.set(false));
        let panics: Vec<String> = PANICS.with(|p| p.borrow_mut().drain(..).collect());
        for p in &panics {
            *panics_seen.entry(p.clone()).or_default() += 1;
        }
        match outcome {
            Ok(Ok(n)) => contained += n,
            Ok(Err(why)) => failures.push(format!("seed {seed}: {why}")),
            Err(_) => failures.push(format!(
                "seed {seed}: panicked: {}",
                panics.last().cloned().unwrap_or_default()
            )),
        }
        let _ = fs::remove_dir_all(&dir);
    }
    println!(
        "a running app's file damaged: {contained} handles broke; panics inside redb: \
         {panics_seen:#?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        contained > 0,
        "no read panicked inside redb, so containment went untested: choose other damage"
    );
}

/// redb repairs a file its last writer did not close: it rebuilds its free-page bookkeeping,
/// which keeps every save, and, when the latest save fails its checksums, goes back to the one
/// before. Trellis accepts the first and refuses the second (both stores now save in two phases,
/// so a crash never leaves a half-written latest save: one that fails its checksums is damage).
/// Journals written before that, in one phase, are what this builds: a journal whose writer
/// died after two saves, with the pages only the latest save wrote damaged.
#[test]
fn a_store_is_never_rolled_back_to_an_earlier_save_but_a_crashed_one_is_recovered() {
    const ENTRIES: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("journal");
    let t = template();
    let tmp = scratch();
    let live = tmp.path().join("live.redb");
    let db = redb::Database::create(&live).unwrap();
    let save = |id: &str| {
        let tx = db.begin_write().unwrap();
        tx.open_table(ENTRIES)
            .unwrap()
            .insert(
                id,
                format!("{{\"id\":\"{id}\",\"text\":\"t\",\"date\":\"d\",\"at\":1}}").as_str(),
            )
            .unwrap();
        tx.commit().unwrap();
        // What a writer that dies now leaves on disk.
        fs::read(&live).unwrap()
    };
    let first = save("first");
    let second = save("second");
    drop(db);
    let latest_only: Vec<usize> = (1..second.len().div_ceil(PAGE))
        .filter(|p| {
            let page = |f: &[u8]| f.get(p * PAGE..(p + 1) * PAGE).map(<[u8]>::to_vec);
            page(&first) != page(&second)
        })
        .collect();
    assert!(!latest_only.is_empty());

    let profile = |name: &str, bytes: &[u8]| {
        let dir = tmp.path().join(name);
        fs::create_dir(&dir).unwrap();
        for (f, b) in &t.files {
            if f.ends_with(".key") || *f == "vault.json" {
                fs::write(dir.join(f), b).unwrap();
            }
        }
        let paths = ProfilePaths::new(&dir);
        fs::write(paths.private_db(), bytes).unwrap();
        paths
    };

    // Crashed but whole: recovered, with both saves.
    let paths = profile("crashed", &second);
    let journal = Journal::open(&paths, &vault(&paths)).unwrap();
    assert_eq!(journal.entries().unwrap().len(), 2);
    drop(journal);

    // Crashed, and the latest save's own pages damaged: refused, not rolled back.
    for (i, page) in latest_only.iter().enumerate() {
        let mut damaged = second.clone();
        damaged[page * PAGE..(page + 1) * PAGE].fill(0x5A);
        let paths = profile(&format!("damaged-{i}"), &damaged);
        match Journal::open(&paths, &vault(&paths)) {
            Ok(j) => assert_eq!(j.entries().unwrap().len(), 2, "page {page}"),
            Err(e) => {
                is_damaged_error(&e, &paths.private_db()).unwrap();
                assert_eq!(fs::read(paths.private_db()).unwrap(), damaged);
            }
        }
    }
}
