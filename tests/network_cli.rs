//! End to end over loopback: two `trellis` processes on two profiles pair with an invite,
//! one serves, the other edits and syncs, and both report the same state.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn trellis(profile: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trellis"));
    cmd.arg("--profile")
        .arg(profile)
        .env_remove("TRELLIS_PROFILE");
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

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the process did not finish in time"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn invite_join_serve_sync_and_status_agree() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let alex: PathBuf = tmp.path().join("alex");
    let sam: PathBuf = tmp.path().join("sam");
    ok(&alex, &["init", "--name", "Alex"]);
    ok(&sam, &["init", "--name", "Sam"]);
    ok(&alex, &["network", "loopback"]);
    ok(&sam, &["network", "loopback"]);

    // Alex invites; the code is the first line of output.
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
    assert!(code.starts_with("TRELLIS-"));

    let joined = json(&sam, &["join", &code]);
    let paired: Value =
        serde_json::from_str(&lines.next().expect("a line").expect("read")).expect("json");
    assert_eq!(paired["paired"], "Sam");
    assert_eq!(paired["safety_number"], joined["safety_number"]);
    assert!(wait_exit(&mut invite.0, Duration::from_secs(30)).success());
    // The code was for one use only.
    let again = run(&sam, &["join", &code]);
    assert!(!again.status.success());

    ok(&alex, &["pair", "confirm"]);
    ok(&sam, &["pair", "confirm"]);

    // Alex serves; Sam writes while apart, then syncs.
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

    ok(&sam, &["appreciate", "Thank you for the walk"]);
    ok(
        &sam,
        &[
            "agreement",
            "propose",
            "--title",
            "Evenings",
            "--category",
            "time-and-space",
            "--wording",
            "One evening a week is ours",
        ],
    );
    let synced = json(&sam, &["sync"]);
    assert_eq!(synced["sent"], 2, "{synced}");
    assert_eq!(synced["rejected"], 0);
    assert_eq!(synced["in_sync"], true);

    // Status on both, Alex's read while `serve` holds the profile.
    let a = json(&alex, &["status"]);
    let s = json(&sam, &["status"]);
    assert_eq!(a["app_running"], true);
    assert_eq!(s["app_running"], false);
    assert_eq!(a["couple"]["changes"], s["couple"]["changes"]);
    assert_eq!(a["couple"]["changes"], 3);
    assert_eq!(s["couple"]["not_yet_with_partner"], 0);
    assert_eq!(a["couple"]["safety_number_checked"], true);
    assert_eq!(a["couple"]["safety_number"], s["couple"]["safety_number"]);
    let list = json(&alex, &["agreement", "list"]);
    assert_eq!(list[0]["title"], "Evenings");

    // Ctrl-C stops `serve` cleanly.
    let stop = Command::new("kill")
        .args(["-INT", &serve.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(stop.success());
    assert!(wait_exit(&mut serve.0, Duration::from_secs(30)).success());
    let rest: Vec<String> = serve_out.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("Stopped")), "{rest:?}");

    // With Alex gone, a sync reports that the partner was not reached (exit 3).
    let gone = run(&sam, &["sync"]);
    assert_eq!(gone.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&gone.stderr).contains("safe here"));
}
