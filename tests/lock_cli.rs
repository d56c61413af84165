//! The profile's lock, backup and restore from the command line, end to end over loopback:
//! a locked profile opens only with its passphrase, a backup restored on a "new computer"
//! is the same profile, and sync with the partner resumes from it without pairing again.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn trellis(profile: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trellis"));
    cmd.arg("--profile")
        .arg(profile)
        .env_remove("TRELLIS_PROFILE")
        .env_remove("TRELLIS_PASSPHRASE_FILE")
        .stdin(Stdio::null());
    cmd
}

fn run(profile: &Path, args: &[&str]) -> Output {
    trellis(profile).args(args).output().expect("trellis runs")
}

fn ok(profile: &Path, args: &[&str]) -> String {
    let out = run(profile, args);
    assert!(
        out.status.success(),
        "`trellis {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn fails(profile: &Path, args: &[&str]) -> String {
    let out = run(profile, args);
    assert!(
        !out.status.success(),
        "`trellis {}` succeeded",
        args.join(" ")
    );
    String::from_utf8(out.stderr).expect("utf-8")
}

fn json(profile: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(profile, &all)).expect("json")
}

/// Kills the child if a test fails halfway.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn secret_file(dir: &Path, name: &str, words: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("{words}\n")).expect("write");
    path.display().to_string()
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

#[test]
fn a_locked_profile_backed_up_and_restored_on_a_new_computer_syncs_again() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let alex = tmp.path().join("alex");
    let sam = tmp.path().join("sam");
    let secrets = tmp.path().join("secrets");
    std::fs::create_dir(&secrets).expect("mkdir");
    let pass = secret_file(&secrets, "sam-pass", "lanterns along the quay");
    let wrong = secret_file(&secrets, "wrong-pass", "lanterns along the pier");
    let backup_pass = secret_file(&secrets, "backup-pass", "a different sentence for backups");

    ok(&alex, &["init", "--name", "Alex", "--no-lock"]);
    let created = ok(&sam, &["--passphrase-file", &pass, "init", "--name", "Sam"]);
    assert!(created.contains("locked with your passphrase"), "{created}");
    ok(&alex, &["network", "loopback"]);
    let locked = fails(&sam, &["network", "loopback"]);
    assert!(locked.contains("locked with a passphrase"), "{locked}");
    assert!(locked.contains("--passphrase-file"), "{locked}");
    let refused = fails(&sam, &["--passphrase-file", &wrong, "status"]);
    assert!(refused.contains("does not open this profile"), "{refused}");
    ok(&sam, &["--passphrase-file", &pass, "network", "loopback"]);
    let status = json(&sam, &["--passphrase-file", &pass, "status"]);
    assert_eq!(status["kept"], "passphrase");
    assert_eq!(json(&alex, &["status"])["kept"], "no_lock");

    // Pair with an invite from Alex.
    let mut invite = Running(
        trellis(&alex)
            .args(["--json", "invite"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("invite starts"),
    );
    let mut lines = BufReader::new(invite.0.stdout.take().expect("stdout")).lines();
    let first: Value =
        serde_json::from_str(&lines.next().expect("a line").expect("read")).expect("json");
    let code = first["invite"].as_str().expect("a code").to_string();
    ok(&sam, &["--passphrase-file", &pass, "join", &code]);
    let _ = lines.next();
    drop(invite);

    let words = "MARKER-2f81 thank you for staying";
    ok(&sam, &["--passphrase-file", &pass, "appreciate", words]);
    assert_eq!(files_hold(&sam, words), Vec::<PathBuf>::new());
    assert_eq!(files_hold(&sam, "Sam"), Vec::<PathBuf>::new());

    // The backup: one file, sealed with its own passphrase.
    let backup = tmp.path().join("sam.trellis-backup");
    let backup_arg = backup.display().to_string();
    ok(
        &sam,
        &[
            "--passphrase-file",
            &pass,
            "backup",
            &backup_arg,
            "--backup-passphrase-file",
            &backup_pass,
        ],
    );
    let sealed = std::fs::read(&backup).expect("backup written");
    assert!(sealed.starts_with(b"age-encryption.org/v1"));
    assert!(!sealed.windows(words.len()).any(|w| w == words.as_bytes()));

    // A new computer: a wrong backup passphrase writes nothing; the right one restores.
    let new_sam = tmp.path().join("new-computer").join("sam");
    let refused = fails(
        &new_sam,
        &["restore", &backup_arg, "--backup-passphrase-file", &wrong],
    );
    assert!(refused.contains("does not open the backup"), "{refused}");
    assert!(!new_sam.join("identity.key").exists());
    ok(
        &new_sam,
        &[
            "--passphrase-file",
            &pass,
            "restore",
            &backup_arg,
            "--backup-passphrase-file",
            &backup_pass,
        ],
    );
    let again = fails(
        &new_sam,
        &[
            "--passphrase-file",
            &pass,
            "restore",
            &backup_arg,
            "--backup-passphrase-file",
            &backup_pass,
        ],
    );
    assert!(again.contains("already holds a Trellis profile"), "{again}");
    let restored = json(&new_sam, &["--passphrase-file", &pass, "status"]);
    assert_eq!(restored["key"], status["key"], "not the same identity");
    assert_eq!(restored["kept"], "passphrase");
    std::fs::remove_dir_all(&sam).expect("the old laptop is gone");

    // Alex serves; the restored Sam writes and syncs as if nothing happened.
    let mut serve = Running(
        trellis(&alex)
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts"),
    );
    let mut serve_out = BufReader::new(serve.0.stdout.take().expect("stdout")).lines();
    let banner = serve_out.next().expect("a line").expect("read");
    assert!(banner.starts_with("Serving"), "{banner}");
    ok(
        &new_sam,
        &[
            "--passphrase-file",
            &pass,
            "appreciate",
            "written after the restore",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let synced = loop {
        let out = run(&new_sam, &["--passphrase-file", &pass, "--json", "sync"]);
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
    drop(serve);
    let a = json(&alex, &["status"]);
    let s = json(&new_sam, &["--passphrase-file", &pass, "status"]);
    assert_eq!(a["couple"]["changes"], s["couple"]["changes"]);
    assert_eq!(
        s["couple"]["changes"].as_u64(),
        restored["couple"]["changes"].as_u64().map(|n| n + 1),
        "the change written after the restore did not reach Alex"
    );
}
