//! Crash safety: a writer killed with SIGKILL at random moments never loses a change it
//! acknowledged, and a full disk refuses new writes without harming what was saved.
//!
//! The child is this same test binary, re-run with an environment variable set. The normal
//! run kills 100 writers; set `TRELLIS_CRASH_ITERATIONS` for a longer run.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use trellis_core::{Action, Moment};
use trellis_store::Profile;

const CHILD_DIR: &str = "TRELLIS_CRASH_CHILD_DIR";

fn now() -> Moment {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    Moment::new(ms, 0)
}

/// The writer: appreciations, one acknowledged line per committed change.
#[test]
#[ignore = "run as a child process by the crash tests"]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let mut profile = Profile::open(Path::new(&dir)).unwrap();
    println!("READY");
    let mut failures = 0;
    for n in 0.. {
        match profile.act(
            &Action::Appreciate {
                text: format!("note {n}"),
            },
            now(),
        ) {
            Ok(c) => println!("ACK {}", c.record),
            Err(e) => {
                println!("ERR {e}");
                failures += 1;
                if failures >= 3 {
                    return;
                }
            }
        }
    }
}

fn setup(dir: &Path) {
    let mut alex = Profile::init(&dir.join("alex"), "Alex").unwrap();
    let sam = Profile::init(&dir.join("sam"), "Sam").unwrap();
    alex.create_couple(&sam.card().unwrap(), now()).unwrap();
}

fn spawn_child(dir: &Path, wrapper: Option<&str>) -> std::process::Child {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = match wrapper {
        None => Command::new(&exe),
        Some(script) => {
            let mut c = Command::new("bash");
            c.arg("-c").arg(script).arg("child").arg(&exe);
            c
        }
    };
    cmd.args([
        "--exact",
        "crash_child",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_DIR, dir)
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap()
}

fn acked_lines(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A small xorshift generator: reproducible kill points from a printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn killed_writers_never_lose_an_acknowledged_change() {
    let iterations: usize = std::env::var("TRELLIS_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(42)
        | 1;
    eprintln!("crash test seed {seed}, {iterations} iterations");
    let mut rng = Rng(seed);
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path());
    let dir = tmp.path().join("alex");
    let mut acked: Vec<String> = Vec::new();
    for i in 0..iterations {
        let mut child = spawn_child(&dir, None);
        let lines = acked_lines(&mut child);
        // Once the writer is writing, kill it at a random moment: most kills land in the
        // middle of a commit or of a compaction, whatever the machine's speed.
        // (libtest prints its own words first, "test crash_child ... " on the same line.)
        let started = std::iter::from_fn(|| lines.recv_timeout(Duration::from_secs(30)).ok())
            .take_while(|line| !line.starts_with("ACK "))
            .any(|line| line.ends_with("READY"));
        assert!(started, "iteration {i}: the writer did not start");
        std::thread::sleep(Duration::from_micros(rng.next() % 40_000));
        child.kill().unwrap();
        child.wait().unwrap();
        while let Ok(line) = lines.recv_timeout(Duration::from_secs(2)) {
            if let Some(id) = line.strip_prefix("ACK ") {
                acked.push(id.to_string());
            }
        }
        let profile = Profile::open(&dir)
            .unwrap_or_else(|e| panic!("iteration {i} (seed {seed}): reopening failed: {e}"));
        let view = profile.view(now()).unwrap();
        let present: std::collections::HashSet<&str> =
            view.appreciations.iter().map(|a| a.id.as_str()).collect();
        for id in &acked {
            assert!(
                present.contains(id.as_str()),
                "iteration {i} (seed {seed}): acknowledged change {id} is gone"
            );
        }
    }
    // Kills are random, so any one writer may die before its first commit; across all
    // of them some work must have been done, or the test proved nothing.
    assert!(!acked.is_empty(), "no writer committed anything");
    // A writer may be killed after a commit but before its acknowledgement got out: those
    // changes are kept too, so the store holds at least what was acknowledged.
    let mut profile = Profile::open(&dir).unwrap();
    let report = profile.verify_all().unwrap();
    assert!(
        report.changes > acked.len(),
        "{} stored, {} acknowledged",
        report.changes,
        acked.len()
    );
}

#[test]
fn a_full_disk_refuses_writes_and_keeps_what_was_saved() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path());
    let dir = tmp.path().join("alex");
    let size = std::fs::metadata(dir.join("couple.redb")).unwrap().len();
    // Let the store grow by a little, then every write fails as on a full disk.
    // `trap '' XFSZ` makes the kernel return EFBIG instead of killing the writer.
    let limit_blocks = size / 1024 + 64;
    let script = format!("trap '' XFSZ; ulimit -f {limit_blocks}; exec \"$1\" \"${{@:2}}\"");
    let mut child = spawn_child(&dir, Some(&script));
    let lines = acked_lines(&mut child);
    let mut acked = Vec::new();
    let mut errors = Vec::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) {
        if let Some(id) = line.strip_prefix("ACK ") {
            acked.push(id.to_string());
        } else if let Some(e) = line.strip_prefix("ERR ") {
            errors.push(e.to_string());
        }
    }
    child.wait().unwrap();
    eprintln!(
        "{} acknowledged before the disk filled; first error: {:?}",
        acked.len(),
        errors.first()
    );
    assert!(!errors.is_empty(), "the size limit was never hit");
    assert!(
        errors[0].contains("could not save") && errors[0].contains("couple.redb"),
        "{}",
        errors[0]
    );
    let profile = Profile::open(&dir).unwrap();
    let view = profile.view(now()).unwrap();
    let present: std::collections::HashSet<&str> =
        view.appreciations.iter().map(|a| a.id.as_str()).collect();
    for id in &acked {
        assert!(
            present.contains(id.as_str()),
            "acknowledged change {id} is gone"
        );
    }
}
