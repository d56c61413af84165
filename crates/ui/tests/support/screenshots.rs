//! Screenshots of the main screens with the demo's example data, rendered on the CPU:
//! `cargo test -p trellis-ui --test window -- --ignored screenshots`
//! writes docs/screenshots/*.png.

use std::path::PathBuf;

use egui_kittest::kittest::Queryable;
use trellis_ui::Screen;

use crate::support::*;

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
}

fn save(h: &mut App<'_>, name: &str) {
    h.run();
    let image = h.render().expect("a CPU renderer");
    let path = out_dir().join(format!("{name}.png"));
    image.save(&path).expect("the screenshot is written");
}

#[test]
#[ignore = "writes docs/screenshots; run on purpose"]
fn screenshots() {
    std::fs::create_dir_all(out_dir()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = trellis_ui::prepare_demo(tmp.path()).unwrap();
    let mut alex = open_themed(&a, egui::Theme::Light);
    let mut sam = open_themed(&b, egui::Theme::Light);
    wait(&mut alex, "Alex's window", |h| {
        h.state()
            .session()
            .is_some_and(|s| s.snapshot().view.is_some())
    });
    wait(&mut sam, "Sam's window", |h| {
        h.state()
            .session()
            .is_some_and(|s| s.snapshot().view.is_some())
    });
    connected(&mut alex, &mut sam);
    save(&mut alex, "today");
    for (screen, name) in [
        (Screen::Agreements, "agreements"),
        (Screen::CheckIns, "checkins"),
        (Screen::Repair, "repair"),
        (Screen::Progress, "progress"),
        (Screen::History, "history"),
        (Screen::Journal, "journal"),
        (Screen::Settings, "settings"),
    ] {
        go(&mut alex, screen);
        if screen == Screen::History {
            wait_label_contains(&mut alex, "every signature verified");
        }
        save(&mut alex, name);
    }
    save(&mut sam, "today-sam");
    go(&mut sam, Screen::Agreements);
    save(&mut sam, "agreements-sam");
    go(&mut sam, Screen::CheckIns);
    save(&mut sam, "checkins-sam");
    drop(sam);
    drop(alex);
    let mut dark = open_themed(&a, egui::Theme::Dark);
    wait(&mut dark, "Alex's window, dark", |h| {
        h.state()
            .session()
            .is_some_and(|s| s.snapshot().view.is_some())
    });
    let _ = dark.query_by_label("Today");
    save(&mut dark, "today-dark");
    // First run, in a fresh folder.
    let mut fresh = open_themed(&tmp.path().join("new"), egui::Theme::Light);
    wait(&mut fresh, "the welcome", |h| {
        h.state().phase_name() == "welcome"
    });
    save(&mut fresh, "welcome");
    type_into(&mut fresh, "Your name", "Alex");
    click(&mut fresh, "Continue");
    wait(&mut fresh, "the pairing screen", |h| {
        h.state()
            .session()
            .is_some_and(|s| s.snapshot().network.listening)
    });
    fresh
        .get_by_role_and_label(egui::Role::Button, "Start our space")
        .click();
    wait_label_contains(&mut fresh, "waiting for your partner to join");
    save(&mut fresh, "invite");

    // Two wordings written apart, side by side.
    let (a, b) = conflicting_profiles(&tmp.path().join("apart"));
    let mut apart = open_themed(&a, egui::Theme::Light);
    let mut other = open_themed(&b, egui::Theme::Light);
    for h in [&mut apart, &mut other] {
        wait(h, "the window", |h| {
            h.state()
                .session()
                .is_some_and(|s| s.snapshot().view.is_some())
        });
    }
    connected(&mut apart, &mut other);
    go(&mut apart, Screen::Agreements);
    wait_label(&mut apart, "needs a conversation");
    save(&mut apart, "conflict");
}
