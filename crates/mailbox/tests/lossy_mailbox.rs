//! Delivery through the mailbox survives a bad path: Alex's device leaves a year of entries
//! (about 4 MB sealed) at the couple's mailbox through a UDP proxy that loses about one
//! datagram in ten and delays and reorders the rest, and that is cut in the middle of the
//! deposit for seconds and then healed. Alex's device stops; only then does Sam's start, and
//! it picks everything up through a bad path too. Both copies converge, nothing is lost,
//! nothing is stored twice, and the mailbox keeps nothing of the cut.
//!
//! Routing. The couple's mailbox record holds two proxies' addresses and not the
//! mailbox's own: Alex's device goes through one, Sam's through the other (the one not in
//! use is cut, so it drops whatever reaches it). The devices are bound on ::1 and the
//! mailbox on 127.0.0.1, so iroh's NAT traversal, which tells each end the other's own
//! socket, finds no way around the proxies (see `proxy`). Two proxies, because a path turns
//! bad only once a connection is up on it (see `Proxy::degrade`) and a proxy that turned
//! bad stays bad, hence one per device. Every path either side chose is checked to be a
//! proxy's.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

// The proxy is trellis-net's test support; this test uses only part of its API.
#[allow(dead_code)]
#[path = "../../net/tests/support/proxy.rs"]
mod proxy;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../../net/tests/support/paths.rs"]
mod paths;

use paths::{ChosenPaths, PATH_SELECTED, stored, watch_paths};
use proxy::{CLIENT_IP, Proxy, ProxyConfig};
use trellis_core::schema::{Category, Need, ResponseMode};
use trellis_core::{Action, AgreementDraft, CheckInDraft, Moment};
use trellis_mailbox::{Mailbox, MailboxOptions};
use trellis_net::{
    Command, Event, MailboxCode, MailboxState, NetworkMode, NodeHandle, NodeOptions, Outcome,
    Snapshot,
};
use trellis_store::Profile;

const WAIT: Duration = Duration::from_secs(60);

impl ChosenPaths {
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The paths chosen since entry `from` that go through none of the proxies (a device
    /// names a proxy's front, the mailbox its back).
    fn around(&self, proxies: &[&Proxy], from: usize) -> Vec<String> {
        let sides: Vec<String> = proxies
            .iter()
            .flat_map(|p| [p.addr(), p.upstream_side_addr()])
            .map(|a| format!("{a})"))
            .collect();
        self.0.lock().unwrap()[from..]
            .iter()
            .filter(|path| !sides.iter().any(|side| path.ends_with(side.as_str())))
            .cloned()
            .collect()
    }
}

fn start(dir: &Path, mailbox_every: Duration) -> NodeHandle {
    let mut options = NodeOptions::new(dir);
    options.mode = Some(NetworkMode::Loopback);
    options.mailbox_every = mailbox_every;
    options.loopback_ip = CLIENT_IP;
    trellis_net::start(options).unwrap()
}

fn call(node: &NodeHandle, command: Command) -> Event {
    let id = node.send(command);
    node.wait_for(id, WAIT, |_| {}).expect("an answer in time")
}

fn ok(node: &NodeHandle, command: Command) -> Outcome {
    node.outcome(command, WAIT)
        .unwrap_or_else(|e| panic!("not done: {e}"))
}

fn wait_long(
    node: &NodeHandle,
    what: &str,
    limit: Duration,
    cond: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    let deadline = Instant::now() + limit;
    loop {
        let snap = node.snapshot();
        if cond(&snap) {
            return snap;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for: {what} ({:?})",
            snap.mailbox
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn mailbox_state(s: &Snapshot) -> MailboxState {
    s.mailbox.clone().unwrap_or_default()
}

fn change_count(s: &Snapshot) -> usize {
    s.status
        .as_ref()
        .and_then(|s| s.couple.as_ref())
        .map_or(0, |c| c.changes)
}

/// Words for the history's texts, drawn at random so the envelope does not compress away.
const WORDS: &[&str] = &[
    "morning",
    "walk",
    "late",
    "call",
    "kitchen",
    "quiet",
    "laughed",
    "worried",
    "promise",
    "evening",
    "listened",
    "tired",
    "garden",
    "message",
    "honest",
    "asked",
    "waited",
    "soft",
    "train",
    "dinner",
    "forgot",
    "remembered",
    "calm",
    "weekend",
    "letter",
    "tea",
    "rain",
    "sorry",
    "thank",
    "closer",
    "plans",
    "changed",
    "noticed",
    "small",
    "things",
    "again",
];

/// A 64-bit linear congruential generator: plenty for picking words.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn text(&mut self, words: usize) -> String {
        let mut out = String::new();
        for i in 0..words {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(WORDS[self.next() as usize % WORDS.len()]);
            // A number now and then, so no two texts are alike.
            if self.next().is_multiple_of(5) {
                out.push_str(&format!(" {}", self.next() % 10_000));
            }
        }
        out
    }
}

const DAY_MS: i64 = 86_400_000;

/// Writes `days` of Alex's own entries — a long check-in every day, and now and then an
/// appreciation, a proposed agreement or an opened repair — dated in the past, day by day.
/// Alex alone writes them: Alex's device then knows that Sam's copy has none of them, so
/// they all go to the mailbox. Returns how many changes.
fn write_history(alex: &mut Profile, days: i64, start_ms: i64) -> usize {
    let mut rng = Lcg(0x1055_a11b);
    let mut changes = 0;
    for day in 0..days {
        let base = start_ms + day * DAY_MS;
        let mut today = vec![(
            Action::AddCheckIn(CheckInDraft {
                feel: rng.text(100),
                when: Some(rng.text(400)),
                went_well: Some(rng.text(400)),
                was_hard: Some(rng.text(400)),
                need: Some(Need::ALL[rng.next() as usize % Need::ALL.len()].clone()),
                response: Some(if rng.next().is_multiple_of(2) {
                    ResponseMode::Listen
                } else {
                    ResponseMode::Advise
                }),
                safety: Some((3 + rng.next() % 7) as u8),
                trust: Some((3 + rng.next() % 7) as u8),
                connection: Some((3 + rng.next() % 7) as u8),
                date: None,
            }),
            Moment::new(base + 3_600_000, 0),
        )];
        if day % 3 == 0 {
            today.push((
                Action::Appreciate { text: rng.text(50) },
                Moment::new(base + 4 * 3_600_000, 0),
            ));
        }
        if day % 7 == 0 {
            today.push((
                Action::ProposeAgreement(AgreementDraft {
                    title: format!("Agreement of day {day}"),
                    category: Category::ALL[rng.next() as usize % Category::ALL.len()].clone(),
                    wording: rng.text(80),
                    if_crossed: Some(rng.text(30)),
                    // Some kinds of agreement must name one; a year on suits them all.
                    review_on: Some(Moment::new(base, 0).today() + chrono::Duration::days(365)),
                }),
                Moment::new(base + 5 * 3_600_000, 0),
            ));
        }
        if day % 11 == 0 {
            today.push((
                Action::OpenRepair {
                    what_happened: rng.text(50),
                    how_it_landed: rng.text(50),
                },
                Moment::new(base + 6 * 3_600_000, 0),
            ));
        }
        changes += alex.act_many(today).unwrap().len();
    }
    changes
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// Waits until iroh chose a path past entry `from`: a device's connection to the mailbox is
/// up. iroh's search for a direct path is over some milliseconds later.
fn wait_for_path(chosen: &ChosenPaths, from: usize, who: &str) {
    let deadline = Instant::now() + WAIT;
    while chosen.len() == from {
        assert!(
            Instant::now() < deadline,
            "{who}'s device never reached the mailbox"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// One try at the setup: a mailbox behind two proxies, Sam's device adding it, Alex's copy
/// learning of it from Sam's bundle, and Alex's device connected through its proxy.
struct Setup {
    dir: PathBuf,
    mailbox: Mailbox,
    /// Alex's device goes through this one, Sam's through the other.
    alex_door: Proxy,
    sam_door: Proxy,
    alex: NodeHandle,
    /// All the changes Alex's copy holds.
    total: usize,
    /// Where the paths chosen by this try's devices begin.
    first_path: usize,
}

/// Sets up from the paired profiles in `templates`, Alex's with the history written.
fn set_up(
    root: &Path,
    templates: &Path,
    runtime: &tokio::runtime::Runtime,
    chosen: &ChosenPaths,
) -> Setup {
    let dir = root.join("devices");
    copy_dir(&templates.join("alex"), &dir.join("alex"));
    copy_dir(&templates.join("sam"), &dir.join("sam"));
    let mut options = MailboxOptions::new(dir.join("mailbox"));
    options.loopback = true;
    let mailbox = runtime.block_on(Mailbox::start(options)).unwrap();
    let upstream = mailbox.addr().ip_addrs().next().copied().unwrap();
    let alex_door = Proxy::start(upstream, ProxyConfig::default());
    let sam_door = Proxy::start(upstream, ProxyConfig::default());
    // The code names the mailbox at the proxies' addresses only, so the record Sam's device
    // writes into the document — what both devices dial — does too.
    let code = MailboxCode {
        addr: iroh::EndpointAddr::new(mailbox.addr().id)
            .with_ip_addr(alex_door.addr())
            .with_ip_addr(sam_door.addr()),
        ..mailbox.new_code(Duration::from_secs(600)).unwrap()
    }
    .encode();

    // Sam adds the mailbox and carries a sealed bundle to Alex: the record, nothing else.
    let sam = start(&dir.join("sam"), ROUNDS_APART);
    ok(&sam, Command::AddMailbox(code));
    // The round after adding leaves the record at the mailbox for Alex too; let it finish.
    wait_long(&sam, "Sam's record left at the mailbox", WAIT, |s| {
        mailbox_state(s).deposits.changes_waiting > 0
    });
    let bundle = dir.join("for-alex.trellis");
    ok(
        &sam,
        Command::ExportBundle {
            path: bundle.clone(),
            all: false,
        },
    );
    sam.shutdown();
    let mut alex = Profile::open(&dir.join("alex")).unwrap();
    alex.import_bundle(&std::fs::read(&bundle).unwrap(), Moment::new(now_ms(), 0))
        .unwrap();
    let total = alex.status().unwrap().couple.unwrap().changes;
    drop(alex);

    // Alex's device starts with both doors shut: its first round waits to connect while the
    // node loads the year (a handshake measured meanwhile would make the proxy look slow).
    alex_door.cut();
    sam_door.cut();
    let first_path = chosen.len();
    let alex = start(&dir.join("alex"), ROUNDS_APART);
    wait_long(&alex, "Alex's year is on screen", WAIT, |s| {
        s.view.is_some()
    });
    alex_door.heal();
    wait_for_path(chosen, first_path, "Alex");
    Setup {
        dir,
        mailbox,
        alex_door,
        sam_door,
        alex,
        total,
        first_path,
    }
}

/// Rounds only at a device's start: the test follows one deposit and one pick-up.
const ROUNDS_APART: Duration = Duration::from_secs(3600);

#[test]
fn a_deposit_cut_in_the_middle_of_a_lossy_path_still_reaches_the_partner_once() {
    let chosen = watch_paths();
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();

    // The paired profiles, and Alex's year written on Alex's copy alone: Alex's device
    // knows that Sam's copy has none of it, so all of it goes to the mailbox.
    let templates = tmp.path().join("templates");
    let history_start = now_ms() - 400 * DAY_MS;
    let history = {
        let mut sam = Profile::init(&templates.join("sam"), "Sam").unwrap();
        let mut alex = Profile::init(&templates.join("alex"), "Alex").unwrap();
        let paired = Moment::new(history_start - DAY_MS, 0);
        alex.create_couple(&sam.card().unwrap(), paired).unwrap();
        let (bundle, _) = alex.export_bundle(false, paired).unwrap();
        sam.import_bundle(&bundle, paired).unwrap();
        write_history(&mut alex, 365, history_start)
    };
    eprintln!("{history} changes written in {:?}", started.elapsed());

    let setup = set_up(tmp.path(), &templates, &runtime, &chosen);
    let Setup {
        dir,
        mailbox,
        alex_door,
        sam_door,
        alex,
        total,
        first_path,
    } = setup;
    let doors = [&alex_door, &sam_door];

    // Alex's path turns bad, and is cut once part of the envelope crossed it badly. (Sealing
    // the year takes longer than the path check: all of the deposit crosses the bad path.)
    alex_door.degrade();
    let degraded = alex_door.counts();
    let deposit_started = Instant::now();
    let deadline = Instant::now() + WAIT;
    while alex_door.counts().bytes_up < degraded.bytes_up + 1024 * 1024 {
        assert!(Instant::now() < deadline, "the deposit never got going");
        std::thread::sleep(Duration::from_millis(5));
    }
    alex_door.cut();
    // A datagram the proxy was already sending when it was cut still goes out and counts.
    std::thread::sleep(Duration::from_millis(50));
    let at_cut = alex_door.counts();
    eprintln!("cut after {:?}: {at_cut:?}", deposit_started.elapsed());
    assert!(
        mailbox_state(&alex.snapshot()).deposits.changes_waiting < history,
        "the cut came mid-deposit"
    );
    // Long enough for Alex's device to miss acknowledgements and back off.
    std::thread::sleep(Duration::from_secs(5));
    let at_heal = alex_door.counts();
    assert_eq!(
        at_heal.forwarded(),
        at_cut.forwarded(),
        "nothing crossed the cut path"
    );
    assert!(
        at_heal.cut > at_cut.cut,
        "Alex's device kept trying while cut"
    );
    assert!(
        mailbox_state(&alex.snapshot()).deposits.changes_waiting < history,
        "the deposit was still unfinished when the path healed"
    );
    alex_door.heal();
    let deposited = wait_long(&alex, "the year left at the mailbox", WAIT * 2, |s| {
        let m = mailbox_state(s);
        m.problem.is_none() && m.deposits.changes_waiting >= history
    });
    let alex_end = alex_door.counts();
    eprintln!(
        "deposited {:?} after the path turned bad: {alex_end:?}, {:?}",
        deposit_started.elapsed(),
        deposited.mailbox
    );
    assert_eq!(change_count(&deposited), total);
    alex.shutdown();

    // Only now does Sam's device start, behind its own door, which turns bad once the
    // connection has settled on it.
    alex_door.cut();
    let sam_first_path = chosen.len();
    let sam = start(&dir.join("sam"), ROUNDS_APART);
    wait_long(&sam, "Sam's copy is on screen", WAIT, |s| s.view.is_some());
    sam_door.heal();
    wait_for_path(&chosen, sam_first_path, "Sam");
    // The pick-up starts at once and the clean path is fast, so this door turns bad as soon
    // as the connection is up, so that most of the year crosses the bad path.
    sam_door.degrade();
    let pickup_started = Instant::now();
    let sam_degraded = sam_door.counts();
    eprintln!("Sam's door turned bad: {sam_degraded:?}");
    wait_long(&sam, "Sam's copy has everything", WAIT * 2, |s| {
        change_count(s) == total
    });
    eprintln!(
        "picked up {:?} after the path turned bad: {:?}",
        pickup_started.elapsed(),
        sam_door.counts()
    );
    // The same round found nothing more for Sam, and nothing left of the cut deposit: the
    // mailbox holds no byte for the couple any more.
    let visited = wait_long(&sam, "Sam's round is over", WAIT, |s| {
        s.mailbox.as_ref().is_some_and(|m| m.picked_up > 0)
    });
    let state = mailbox_state(&visited);
    eprintln!("Sam's round: {state:?}");
    assert_eq!(state.problem, None);
    assert_eq!(state.picked_up, 1, "one envelope held the year");
    assert!(state.quota_bytes > 0, "the mailbox answered: {state:?}");
    assert_eq!(
        (state.waiting_for_me, state.used_bytes),
        (0, 0),
        "{state:?}"
    );
    match call(&sam, Command::Verify) {
        Event::Verified { report, .. } => {
            assert_eq!(report.changes, total);
            assert!(report.set_aside.is_empty(), "{report:?}");
        }
        other => panic!("verify failed: {other:?}"),
    }
    sam.shutdown();
    let sam_end = sam_door.counts();

    // The proxies were the only paths, and they were bad.
    let around = chosen.around(&doors, first_path);
    assert!(
        around.is_empty(),
        "a connection went around the proxies: {around:?}"
    );
    assert!(
        chosen.len() >= sam_first_path + 2 && sam_first_path >= first_path + 2,
        "both ends of each connection chose a path (is {PATH_SELECTED} still iroh's event?)"
    );
    for (end, from) in [(alex_end, degraded), (sam_end, sam_degraded)] {
        assert!(end.dropped > 0 && end.reordered > 0, "{end:?}");
        assert!(end.forwarded_up > from.forwarded_up, "{end:?}");
        assert!(end.forwarded_down > from.forwarded_down, "{end:?}");
        assert_eq!(end.strangers, 0, "{end:?}");
    }
    assert!(alex_end.forwarded_up > at_heal.forwarded_up, "{alex_end:?}");
    assert!(
        sam_end.bytes_down > sam_degraded.bytes_down + 1024 * 1024,
        "most of the year reached Sam over the bad path: {sam_end:?}"
    );

    // Nothing lost, nothing stored twice: the same heads, every change once.
    let (sam_heads, sam_distinct, sam_records) = stored(&dir.join("sam"));
    let (alex_heads, alex_distinct, alex_records) = stored(&dir.join("alex"));
    assert_eq!(sam_heads, alex_heads);
    assert_eq!((sam_distinct, alex_distinct), (total, total));
    assert_eq!(
        (sam_records, alex_records),
        (total, total),
        "nothing stored twice"
    );
    runtime.block_on(mailbox.shutdown());
    eprintln!("test done in {:?}", started.elapsed());
}
