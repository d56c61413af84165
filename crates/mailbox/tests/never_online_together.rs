//! Three real nodes — Alex, Sam and the mailbox — on loopback. Alex and Sam are never
//! running at the same moment; the nodes' own rounds carry everything through the mailbox.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use std::path::Path;
use std::time::Duration;

use trellis_core::{Action, CheckInDraft, Moment};
use trellis_mailbox::{Mailbox, MailboxOptions};
use trellis_net::{Command, NetworkMode, NodeHandle, NodeOptions, Outcome, Snapshot};
use trellis_store::Profile;

const WAIT: Duration = Duration::from_secs(60);
const FEELING: &str = "MARKER-a-feeling-only-sam-may-read";
const THANKS: &str = "MARKER-thank-you-for-writing";

fn start(dir: &Path) -> NodeHandle {
    let mut options = NodeOptions::new(dir);
    options.mode = Some(NetworkMode::Loopback);
    options.mailbox_every = Duration::from_millis(300);
    trellis_net::start(options).unwrap()
}

fn call(node: &NodeHandle, command: Command) -> Outcome {
    node.outcome(command, WAIT)
        .unwrap_or_else(|e| panic!("not done: {e}"))
}

fn wait_until(node: &NodeHandle, what: &str, cond: impl Fn(&Snapshot) -> bool) {
    node.wait_until(WAIT, cond)
        .unwrap_or_else(|| panic!("timed out waiting for: {what}"));
}

fn waiting_at_mailbox(s: &Snapshot) -> usize {
    s.mailbox.as_ref().map_or(0, |m| m.deposits.changes_waiting)
}

fn at(minute: i64) -> Moment {
    Moment::new(1_790_000_000_000 + minute * 60_000, 0)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn partners_never_online_together_converge_through_the_mailbox() {
    let tmp = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mailbox_dir = tmp.path().join("mailbox");
    let mut options = MailboxOptions::new(&mailbox_dir);
    options.loopback = true;
    let mailbox = runtime.block_on(Mailbox::start(options)).unwrap();
    let code = mailbox.new_code(Duration::from_secs(600)).unwrap().encode();

    let alex_dir = tmp.path().join("alex");
    let sam_dir = tmp.path().join("sam");
    let mut sam = Profile::init(&sam_dir, "Sam").unwrap();
    {
        let mut alex = Profile::init(&alex_dir, "Alex").unwrap();
        alex.create_couple(&sam.card().unwrap(), at(0)).unwrap();
    }

    // Alex adds the mailbox; Sam's device learns of it from a carried, sealed bundle.
    let alex = start(&alex_dir);
    call(&alex, Command::AddMailbox(code));
    let first = tmp.path().join("first.trellis");
    call(
        &alex,
        Command::ExportBundle {
            path: first.clone(),
            all: true,
        },
    );
    sam.import_bundle(&std::fs::read(&first).unwrap(), at(1))
        .unwrap();
    drop(sam);

    // Alex checks in while Sam's device is off; the node leaves it at the mailbox.
    call(
        &alex,
        Command::Act(Action::AddCheckIn(CheckInDraft {
            feel: FEELING.into(),
            ..Default::default()
        })),
    );
    wait_until(&alex, "Alex's check-in left at the mailbox", |s| {
        waiting_at_mailbox(s) > 0
    });
    alex.shutdown();

    // Sam's device starts later: it picks up, and its answer goes the same way.
    let sam = start(&sam_dir);
    wait_until(&sam, "Alex's check-in picked up", |s| {
        s.view
            .as_ref()
            .is_some_and(|v| v.checkins.iter().any(|c| c.feel == FEELING))
    });
    call(
        &sam,
        Command::Act(Action::Appreciate {
            text: THANKS.into(),
        }),
    );
    wait_until(&sam, "Sam's thanks left at the mailbox", |s| {
        waiting_at_mailbox(s) > 0
    });
    sam.shutdown();

    // Alex's device, later again, picks it up.
    let alex = start(&alex_dir);
    wait_until(&alex, "Sam's thanks picked up", |s| {
        s.view
            .as_ref()
            .is_some_and(|v| v.appreciations.iter().any(|a| a.text == THANKS))
    });
    alex.shutdown();

    let mut alex = Profile::open(&alex_dir).unwrap();
    let mut sam = Profile::open(&sam_dir).unwrap();
    assert_eq!(
        alex.couple_mut().unwrap().heads(),
        sam.couple_mut().unwrap().heads(),
        "both copies agree"
    );

    // The mailbox's files never held their words.
    runtime.block_on(mailbox.shutdown());
    for entry in std::fs::read_dir(&mailbox_dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!contains(&bytes, FEELING) && !contains(&bytes, THANKS));
    }
}
