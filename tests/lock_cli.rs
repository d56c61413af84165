//! The profile's lock, backup and restore from the command line, end to end over loopback:
//! a locked profile opens only with its passphrase, a backup restored on a "new computer"
//! is the same profile, and sync with the partner resumes from it without pairing again.

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
    let deadline = Instant::now() + Duration::from_secs(60);
    let synced = loop {
        let out = new_sam.run(&["--json", "sync"]);
        if out.status.success() {
            break serde_json::from_slice::<Value>(&out.stdout).expect("json");
        }
        assert!(
            Instant::now() < deadline,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
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
