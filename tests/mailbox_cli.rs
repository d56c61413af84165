//! Never online together: Alex and Sam meet only through a mailbox running as its own
//! process, each driving the `trellis` binary on loopback.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use support::Person;

const CHECKIN_WORDS: &str = "MARKER-only-sam-may-read-this-feeling";
const THANKS_WORDS: &str = "MARKER-thank-you-for-the-letter";

fn trellis() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trellis"));
    c.env_remove("TRELLIS_PROFILE").env("RUST_LOG", "error");
    c
}

fn person(root: &Path, name: &str) -> Person {
    Person::new(root, name).on_loopback()
}

fn changes(p: &Person) -> u64 {
    p.json(&["status"])["couple"]["changes"]
        .as_u64()
        .expect("a change count")
}

/// `trellis mailbox serve` as its own process; killed when dropped.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path) -> (Served, String) {
    let mut child = trellis()
        .args([
            "--network",
            "loopback",
            "--json",
            "mailbox",
            "serve",
            "--dir",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the mailbox starts");
    let stdout = child.stdout.take().expect("piped");
    let served = Served(child);
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        if let Ok(v) = serde_json::from_str::<Value>(&line)
            && let Some(code) = v["code"].as_str()
        {
            return (served, code.to_string());
        }
    }
    panic!("the mailbox printed no code");
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn two_partners_never_online_together_converge_through_the_mailbox() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = person(tmp.path(), "alex");
    let sam = person(tmp.path(), "sam");
    alex.ok(&["init", "--name", "Alex"]);
    sam.ok(&["init", "--name", "Sam"]);
    let card = tmp.path().join("sam.card");
    sam.ok(&["card", "export", card.to_str().unwrap()]);
    alex.ok(&["couple", "create", "--partner", card.to_str().unwrap()]);

    let mailbox_dir = tmp.path().join("mailbox");
    let (_served, code) = serve(&mailbox_dir);
    let added = alex.ok(&["mailbox", "add", &code]);
    assert!(added.contains("Added the mailbox"), "{added}");

    // Sam joins from a carried (sealed) bundle, which also tells Sam's device of the mailbox.
    let bundle = tmp.path().join("first");
    alex.ok(&["bundle", "export", bundle.to_str().unwrap()]);
    sam.ok(&["bundle", "import", bundle.to_str().unwrap()]);

    // Alex checks in while Sam's device is off, and leaves it at the mailbox.
    alex.ok(&["checkin", "add", "--feel", CHECKIN_WORDS]);
    let left = alex.ok(&["mailbox", "status"]);
    assert!(left.contains("waiting there for Sam"), "{left}");

    // Sam comes online later, picks up, answers, and leaves the answer.
    let picked = sam.ok(&["mailbox", "status"]);
    assert!(picked.contains("picked up"), "{picked}");
    let checkins = sam.ok(&["checkin", "list", "--unfold"]);
    assert!(checkins.contains(CHECKIN_WORDS), "{checkins}");
    sam.ok(&["appreciate", THANKS_WORDS]);
    let left = sam.ok(&["mailbox", "status"]);
    assert!(left.contains("waiting there for Alex"), "{left}");

    // Alex, later again, picks it up: both copies hold the same changes.
    alex.ok(&["mailbox", "status"]);
    let log = alex.ok(&["log"]);
    assert!(
        log.contains("Sam") && log.contains("shared an appreciation"),
        "{log}"
    );
    assert_eq!(changes(&alex), changes(&sam));
    let settled = alex.ok(&["mailbox", "status"]);
    assert!(
        settled.contains("nothing of yours waits there"),
        "{settled}"
    );

    // The mailbox's files never held a word of theirs.
    for entry in std::fs::read_dir(&mailbox_dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!contains(&bytes, CHECKIN_WORDS) && !contains(&bytes, THANKS_WORDS));
    }

    // Removing it: the record says so for both, and status says there is none.
    assert!(
        alex.ok(&["mailbox", "remove"])
            .contains("Stopped using the mailbox")
    );
    assert!(alex.ok(&["mailbox", "status"]).contains("no mailbox"));
}

#[test]
fn a_carrier_folder_passes_sealed_files_between_two_profiles() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = person(tmp.path(), "alex");
    let sam = person(tmp.path(), "sam");
    alex.ok(&["init", "--name", "Alex"]);
    sam.ok(&["init", "--name", "Sam"]);
    let card = tmp.path().join("sam.card");
    sam.ok(&["card", "export", card.to_str().unwrap()]);
    alex.ok(&["couple", "create", "--partner", card.to_str().unwrap()]);
    let stick = tmp.path().join("stick");
    std::fs::create_dir(&stick).unwrap();
    let s = stick.to_str().unwrap();

    let wrote = alex.ok(&["carrier", s]);
    assert!(wrote.contains("sealed so only their device"), "{wrote}");
    let took = sam.ok(&["carrier", s]);
    assert!(took.contains("Took in"), "{took}");
    sam.ok(&["checkin", "add", "--feel", CHECKIN_WORDS]);
    assert!(sam.ok(&["carrier"]).contains("Wrote"));
    assert!(alex.ok(&["carrier"]).contains("Took in"));
    assert_eq!(changes(&alex), changes(&sam));
    assert!(alex.ok(&["carrier", "--off"]).contains("No carrier folder"));
    let missing = tmp.path().join("no-such-stick");
    let out = alex.run(&["carrier", missing.to_str().unwrap()]);
    assert!(!out.status.success());
}
