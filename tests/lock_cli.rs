//! The profile's lock, backup, restore and recovery from the command line, end to end over
//! loopback: a locked profile opens only with its passphrase, a backup restored on a "new
//! computer" is the same profile, and sync with the partner resumes from it without pairing
//! again; with no backup, the recovery phrase and the partner's invite bring the identity
//! back on a new device, and the lost one is refused.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::Person;

/// Kills the child if a test fails halfway.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn secret_file(dir: &Path, name: &str, words: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{words}\n")).expect("write");
    path
}

fn files_hold(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            found.push(path);
        }
    }
    found
}

fn spawn(
    person: &Person,
    args: &[&str],
) -> (
    Running,
    std::io::Lines<BufReader<std::process::ChildStdout>>,
) {
    let mut child = person
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    (Running(child), lines)
}

#[test]
fn a_locked_profile_backed_up_and_restored_on_a_new_computer_syncs_again() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let secrets = tmp.path().join("secrets");
    std::fs::create_dir(&secrets).expect("mkdir");
    let pass = secret_file(&secrets, "sam-pass", "lanterns along the quay");
    let wrong = secret_file(&secrets, "wrong-pass", "lanterns along the pier");
    let backup_pass = secret_file(&secrets, "backup-pass", "a different sentence for backups");
    let (wrong, backup_pass) = (
        wrong.display().to_string(),
        backup_pass.display().to_string(),
    );

    let alex = Person::new(tmp.path(), "alex");
    let bare_sam = Person::new(tmp.path(), "sam");
    let sam = Person::new(tmp.path(), "sam").with_passphrase_file(&pass);
    alex.ok(&["init", "--name", "Alex", "--no-lock"]);
    let created = sam.ok(&["init", "--name", "Sam"]);
    assert!(created.contains("locked with your passphrase"), "{created}");
    alex.ok(&["network", "loopback"]);
    let locked = bare_sam.fails(&["network", "loopback"]);
    assert!(locked.contains("locked with a passphrase"), "{locked}");
    assert!(locked.contains("--passphrase-file"), "{locked}");
    let refused = bare_sam.fails(&["--passphrase-file", &wrong, "status"]);
    assert!(refused.contains("does not open this profile"), "{refused}");
    sam.ok(&["network", "loopback"]);
    let status = sam.json(&["status"]);
    assert_eq!(status["kept"], "passphrase");
    assert_eq!(alex.json(&["status"])["kept"], "no_lock");

    // Pair with an invite from Alex.
    let (invite, mut lines) = spawn(&alex, &["--json", "invite"]);
    let first: Value =
        serde_json::from_str(&lines.next().expect("a line").expect("read")).expect("json");
    let code = first["invite"].as_str().expect("a code").to_string();
    sam.ok(&["join", &code]);
    let _ = lines.next();
    drop(invite);

    let words = "MARKER-2f81 thank you for staying";
    sam.ok(&["appreciate", words]);
    assert_eq!(files_hold(&sam.dir, words), Vec::<PathBuf>::new());
    assert_eq!(files_hold(&sam.dir, "Sam"), Vec::<PathBuf>::new());

    // The backup: one file, sealed with its own passphrase.
    let backup = tmp.path().join("sam.trellis-backup");
    let backup_arg = backup.display().to_string();
    sam.ok(&[
        "backup",
        &backup_arg,
        "--backup-passphrase-file",
        &backup_pass,
    ]);
    let sealed = std::fs::read(&backup).expect("backup written");
    assert!(sealed.starts_with(b"age-encryption.org/v1"));
    assert!(!sealed.windows(words.len()).any(|w| w == words.as_bytes()));

    // A new computer: a wrong backup passphrase writes nothing; the right one restores, once.
    let new_computer = tmp.path().join("new-computer");
    let new_sam = Person::new(&new_computer, "sam").with_passphrase_file(&pass);
    let refused = new_sam.fails(&["restore", &backup_arg, "--backup-passphrase-file", &wrong]);
    assert!(refused.contains("does not open the backup"), "{refused}");
    assert!(!new_sam.dir.join("identity.key").exists());
    let restore = [
        "restore",
        &backup_arg,
        "--backup-passphrase-file",
        &backup_pass,
    ];
    new_sam.ok(&restore);
    let again = new_sam.fails(&restore);
    assert!(again.contains("already holds a Trellis profile"), "{again}");
    let restored = new_sam.json(&["status"]);
    assert_eq!(restored["key"], status["key"], "not the same identity");
    assert_eq!(restored["kept"], "passphrase");
    std::fs::remove_dir_all(&sam.dir).expect("the old laptop is gone");

    // Alex serves; the restored Sam writes and syncs as if nothing happened.
    let (_serve, mut serve_out) = spawn(&alex, &["serve"]);
    let banner = serve_out.next().expect("a line").expect("read");
    assert!(banner.starts_with("Serving"), "{banner}");
    new_sam.ok(&["appreciate", "written after the restore"]);
    let synced = sync_until_reached(&new_sam);
    assert_eq!(synced["in_sync"], true, "{synced}");
    assert_eq!(synced["rejected"], 0, "{synced}");
    let a = alex.json(&["status"]);
    let s = new_sam.json(&["status"]);
    assert_eq!(a["couple"]["changes"], s["couple"]["changes"]);
    assert_eq!(
        s["couple"]["changes"].as_u64(),
        restored["couple"]["changes"].as_u64().map(|n| n + 1),
        "the change written after the restore did not reach Alex"
    );
}

/// Everything `person` can read of the shared space, as the Markdown export writes it.
fn exported(person: &Person) -> String {
    let file = person.dir.with_extension("md");
    person.ok(&["export", "--markdown", &file.display().to_string()]);
    std::fs::read_to_string(&file).expect("the export")
}

/// Runs `trellis sync` until it reaches the partner; its JSON report.
fn sync_until_reached(person: &Person) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = person.run(&["--json", "sync"]);
        if out.status.success() {
            return serde_json::from_slice::<Value>(&out.stdout).expect("json");
        }
        assert!(
            Instant::now() < deadline,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_lost_laptop_with_no_backup_comes_back_from_its_recovery_phrase() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let alex = Person::new(tmp.path(), "alex").on_loopback();
    let sam = Person::new(tmp.path(), "sam").on_loopback();
    alex.ok(&["init", "--name", "Alex", "--no-lock"]);
    let created = sam.ok(&["init", "--name", "Sam", "--no-lock"]);
    let phrase = sam.json(&["recovery-phrase"])["recovery_phrase"]
        .as_str()
        .expect("a phrase")
        .to_string();
    assert_eq!(phrase.split(' ').count(), 24);
    // Shown at init, numbered, with what it is for.
    let first_word = phrase.split(' ').next().expect("a word");
    assert!(created.contains("recovery phrase"), "{created}");
    assert!(created.contains(&format!(" 1. {first_word}")), "{created}");

    let (invite, mut lines) = spawn(&alex, &["--json", "invite"]);
    let first: Value =
        serde_json::from_str(&lines.next().expect("a line").expect("read")).expect("json");
    sam.ok(&["join", first["invite"].as_str().expect("a code")]);
    let _ = lines.next();
    drop(invite);
    let before = sam.json(&["status"]);
    sam.ok(&["appreciate", "written on the laptop that was lost"]);
    {
        let (_serve, mut out) = spawn(&alex, &["serve"]);
        let _ = out.next();
        sync_until_reached(&sam);
    }
    let old_sam = tmp.path().join("lost-laptop");
    std::fs::rename(&sam.dir, &old_sam).expect("the laptop is lost");

    // On a new laptop: a wrong phrase is refused before anything is written.
    let new_sam = Person::new(&tmp.path().join("new-laptop"), "sam").on_loopback();
    let paper = secret_file(tmp.path(), "paper", &phrase);
    let mut words: Vec<&str> = phrase.split(' ').collect();
    words[4] = "zzzz";
    let smudged = secret_file(tmp.path(), "smudged", &words.join(" "));
    let refused = new_sam.fails(&[
        "recover",
        "TRELLIS-unused",
        "--phrase-file",
        &smudged.display().to_string(),
        "--no-lock",
    ]);
    assert!(refused.contains("word 5"), "{refused}");
    assert!(!new_sam.dir.exists(), "a refused phrase wrote a profile");

    // Alex's invite, now for Sam's new computer.
    let (invite, mut lines) = spawn(&alex, &["invite"]);
    let code = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.trim()
                .starts_with("TRELLIS-")
                .then(|| l.trim().to_string())
        })
        .expect("an invite code");
    let back = new_sam.ok(&[
        "recover",
        &code,
        "--phrase-file",
        &paper.display().to_string(),
        "--no-lock",
    ]);
    assert!(back.contains("Welcome back, Sam"), "{back}");
    assert!(back.contains("journal"), "{back}");
    let alex_saw: Vec<String> = lines.map_while(Result::ok).collect();
    drop(invite);
    assert!(
        alex_saw
            .iter()
            .any(|l| l.contains("Sam is back, on a new computer")),
        "{alex_saw:?}"
    );
    let after = new_sam.json(&["status"]);
    assert_eq!(after["key"], before["key"], "not the same identity");
    assert_eq!(
        after["couple"]["safety_number"], before["couple"]["safety_number"],
        "same identities, same safety number"
    );
    let shown = exported(&new_sam);
    assert!(
        shown.contains("written on the laptop that was lost"),
        "{shown}"
    );

    // The new laptop syncs with Alex; the lost one is refused.
    let (_serve, mut out) = spawn(&alex, &["serve"]);
    let _ = out.next();
    new_sam.ok(&["appreciate", "from the new laptop"]);
    let synced = sync_until_reached(&new_sam);
    assert_eq!(synced["rejected"], 0, "{synced}");
    assert!(exported(&alex).contains("from the new laptop"));
    let lost = Person {
        dir: old_sam,
        args: vec!["--network".into(), "loopback".into()],
        env: Vec::new(),
    };
    assert!(lost.dir.join("device.key").exists());
    let refused = lost.fails(&["sync"]);
    assert!(
        refused.contains("no longer accepts this device"),
        "{refused}"
    );
    assert!(!refused.contains("will go"), "{refused}");
}
