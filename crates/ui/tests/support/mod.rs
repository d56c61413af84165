//! Test support: real profiles, real nodes on loopback, the app in a kittest harness.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // tests: a failed step should panic loudly

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use trellis_net::{Command, Event, NetworkMode, NodeHandle, NodeOptions, Outcome, Snapshot};
use trellis_store::Profile;
use trellis_ui::{Screen, Session, TrellisApp};

pub const WAIT: Duration = Duration::from_secs(40);

pub type App<'a> = Harness<'a, TrellisApp>;

/// The app on `dir` (loopback only), in a harness the size of a small laptop window.
pub fn open(dir: &Path) -> App<'static> {
    open_themed(dir, egui::Theme::Dark)
}

pub fn open_themed(dir: &Path, theme: egui::Theme) -> App<'static> {
    let app = TrellisApp::new(
        dir.to_path_buf(),
        Some(NetworkMode::Loopback),
        Arc::new(|| {}),
    );
    Harness::builder()
        .with_size(egui::vec2(1180.0, 820.0))
        .with_theme(theme)
        // Enabled-state fades take a few frames to settle.
        .with_max_steps(16)
        .build_ui_state(|ui, app: &mut TrellisApp| app.show(ui), app)
}

/// The app on `dir` in a window of `size` points, drawn at `zoom` pixels per point (the
/// window after Ctrl + is smaller in points at a higher zoom).
pub fn open_sized(dir: &Path, size: egui::Vec2, zoom: f32) -> App<'static> {
    let app = TrellisApp::new(
        dir.to_path_buf(),
        Some(NetworkMode::Loopback),
        Arc::new(|| {}),
    );
    Harness::builder()
        .with_size(size)
        .with_pixels_per_point(zoom)
        .with_theme(egui::Theme::Light)
        .with_max_steps(16)
        .build_ui_state(|ui, app: &mut TrellisApp| app.show(ui), app)
}

/// Steps the app until `cond` holds (the nodes work on their own threads), then lets the
/// UI settle with `run()` (which also checks every control has an accessible name).
pub fn wait(h: &mut App<'_>, what: &str, cond: impl Fn(&mut App<'_>) -> bool) {
    let deadline = Instant::now() + WAIT;
    loop {
        h.step();
        if cond(h) {
            break;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(15));
    }
    h.run();
}

/// Waits until a widget with this exact label is on screen.
pub fn wait_label(h: &mut App<'_>, label: &str) {
    wait(h, &format!("“{label}” on screen"), |h| {
        h.query_by_label(label).is_some()
    });
}

pub fn wait_label_contains(h: &mut App<'_>, part: &str) {
    wait(h, &format!("a label containing “{part}”"), |h| {
        h.query_all_by_label_contains(part).next().is_some()
    });
}

pub fn session<'h>(h: &'h App<'_>) -> &'h Session {
    h.state().session().expect("the profile is open")
}

pub fn snap(h: &App<'_>) -> Arc<Snapshot> {
    session(h).snapshot()
}

/// Clicks a navigation entry.
pub fn go(h: &mut App<'_>, screen: Screen) {
    h.get_by_role_and_label(egui::Role::Button, screen.label())
        .scroll_to_me();
    h.run();
    h.get_by_role_and_label(egui::Role::Button, screen.label())
        .click();
    h.run();
}

/// Focuses the field labelled `label` and types `text` into it.
pub fn type_into(h: &mut App<'_>, label: &str, text: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run();
    h.get_by_label(label).focus();
    h.run();
    h.get_by_label(label).type_text(text);
    h.run();
}

/// Scrolls the control into view and clicks it, as a person would.
pub fn click(h: &mut App<'_>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run();
    h.get_by_label(label).click();
    h.run();
}

/// Waits until no action of this window is in flight.
pub fn settle(h: &mut App<'_>) {
    wait(h, "the node to confirm", |h| session(h).in_flight() == 0);
}

// ---- nodes without a window ----

fn start(dir: &Path) -> NodeHandle {
    let mut options = NodeOptions::new(dir);
    options.mode = Some(NetworkMode::Loopback);
    trellis_net::start(options).unwrap()
}

pub fn call(node: &NodeHandle, command: Command) -> Event {
    node.call(command, WAIT).expect("an answer, in time")
}

fn wait_node(node: &NodeHandle, cond: impl Fn(&Snapshot) -> bool) {
    node.wait_until(WAIT, cond).expect("in time");
}

/// Alex's and Sam's profiles under `root`, already paired over loopback (safety number
/// compared), nodes stopped again.
pub fn paired_profiles(root: &Path) -> (PathBuf, PathBuf) {
    pair_up(root, true)
}

/// Alex's and Sam's profiles, paired over loopback; the safety number compared only if
/// `compared`. Nodes stopped again.
pub fn pair_up(root: &Path, compared: bool) -> (PathBuf, PathBuf) {
    let a = root.join("alex");
    let b = root.join("sam");
    Profile::init(&a, "Alex").unwrap();
    Profile::init(&b, "Sam").unwrap();
    let alex = start(&a);
    let sam = start(&b);
    wait_node(&alex, |s| s.network.listening);
    wait_node(&sam, |s| s.network.listening);
    let Ok(Outcome::InviteOpened { code, .. }) = alex.outcome(Command::Invite, WAIT) else {
        panic!("no invite")
    };
    call(&sam, Command::Join(code));
    wait_node(&alex, |s| s.view.is_some());
    wait_node(&sam, |s| s.view.is_some());
    if compared {
        call(&alex, Command::ConfirmSafety);
        call(&sam, Command::ConfirmSafety);
    }
    alex.shutdown();
    sam.shutdown();
    (a, b)
}

/// A window on the paired profile at `dir`, once it shows the shared space.
pub fn open_paired(dir: &Path) -> App<'static> {
    let mut h = open(dir);
    wait(&mut h, "the window to open on the shared space", |h| {
        h.state()
            .session()
            .is_some_and(|s| s.snapshot().view.is_some())
    });
    h
}

/// Both windows open on a paired couple, connected to each other.
pub fn open_pair(root: &Path) -> (App<'static>, App<'static>) {
    let (a, b) = paired_profiles(root);
    let mut alex = open_paired(&a);
    let mut sam = open_paired(&b);
    connected(&mut alex, &mut sam);
    (alex, sam)
}

/// Waits until the two nodes are connected (stepping both windows).
pub fn connected(alex: &mut App<'_>, sam: &mut App<'_>) {
    let deadline = Instant::now() + WAIT;
    loop {
        alex.step();
        sam.step();
        if snap(alex).network.connected && snap(sam).network.connected {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for the devices to connect"
        );
        std::thread::sleep(Duration::from_millis(15));
    }
    alex.run();
    sam.run();
}

/// Every file under `dir`, concatenated.
pub fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_bytes(&path));
        } else {
            out.extend(std::fs::read(&path).unwrap());
        }
    }
    out
}

/// The window's drafts file as the profile's key opens it (empty while there is none).
pub fn drafts_text(vault: &trellis_store::Vault, path: &Path) -> String {
    vault
        .read_file(path)
        .ok()
        .flatten()
        .map(|t| String::from_utf8_lossy(&t).into_owned())
        .unwrap_or_default()
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A paired couple with one agreement that each partner revised while apart ("Evenings":
/// Alex's and Sam's wordings both grew from the first one). Nodes stopped.
pub fn conflicting_profiles(root: &Path) -> (PathBuf, PathBuf) {
    let (a, b) = paired_profiles(root);
    // An agreement in force, then each revises it while apart (no network at all).
    let now = trellis_core::Moment::new(1_795_000_000_000, 0);
    let id = {
        let mut alex = trellis_store::Profile::open(&a).unwrap();
        let c = alex
            .act(
                &trellis_core::Action::ProposeAgreement(trellis_core::AgreementDraft {
                    title: "Evenings".into(),
                    category: trellis_core::schema::Category::TimeAndSpace,
                    wording: "One evening a week each, alone.".into(),
                    if_crossed: None,
                    review_on: None,
                }),
                now,
            )
            .unwrap();
        let (bundle, _) = alex.export_bundle(true, now).unwrap();
        let mut sam = trellis_store::Profile::open(&b).unwrap();
        sam.import_bundle(&bundle, now).unwrap();
        c.record
    };
    for (dir, wording) in [
        (&a, "Two evenings a week each."),
        (&b, "One evening a week, told a day ahead."),
    ] {
        let mut p = trellis_store::Profile::open(dir).unwrap();
        p.act(
            &trellis_core::Action::ReviseAgreement {
                agreement: id.clone(),
                draft: trellis_core::RevisionDraft {
                    wording: Some(wording.into()),
                    ..Default::default()
                },
            },
            now.plus_minutes(5),
        )
        .unwrap();
    }

    (a, b)
}
