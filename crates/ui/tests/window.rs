//! The window's main flows, driven like a person would (by role and label), against real
//! nodes on loopback. No GPU and no display server needed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed step should panic loudly

#[path = "support/frames.rs"]
mod frames;
#[path = "support/screenshots.rs"]
mod screenshots;
mod support;

use egui::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use support::*;
use trellis_core::view::AgreementStatus;
use trellis_net::Command;
use trellis_ui::Screen;

#[test]
fn first_run_then_pairing_with_an_invite_and_the_safety_number() {
    let tmp = tempfile::tempdir().unwrap();
    let mut alex = open(&tmp.path().join("alex"));
    let mut sam = open(&tmp.path().join("sam"));

    // First run: a name, then "Continue" creates the profile off the window's thread.
    for (h, name) in [(&mut alex, "Alex"), (&mut sam, "Sam")] {
        wait(h, "the welcome screen", |h| {
            h.state().phase_name() == "welcome"
        });
        assert!(h.query_by_label("Welcome to Trellis").is_some());
        type_into(h, "Your name", name);
        click(h, "Continue");
        wait(h, "the pairing screen", |h| {
            h.state()
                .session()
                .is_some_and(|s| s.snapshot().network.listening)
        });
        wait_label(h, "Join my partner");
    }

    // Alex starts the space: the invite as text and as a QR code.
    alex.get_by_role_and_label(Role::Button, "Start our space")
        .click();
    wait_label_contains(&mut alex, "waiting for your partner to join");
    assert!(alex.query_by_label("QR code of the invite code").is_some());
    let code = snap(&alex)
        .network
        .invite
        .clone()
        .expect("an open invite")
        .0;
    assert!(code.starts_with("TRELLIS-"));

    // Sam pastes it.
    type_into(&mut sam, "Invite code", &code);
    sam.get_by_role_and_label(Role::Button, "Join my partner")
        .click();
    sam.run();

    // Both see the same safety number and confirm it.
    let mut numbers = Vec::new();
    for h in [&mut alex, &mut sam] {
        wait_label(h, "We compared these — they match");
        let number = snap(h)
            .status
            .as_ref()
            .and_then(|s| s.couple.as_ref())
            .map(|c| c.safety_number.clone())
            .unwrap();
        assert!(
            h.query_by_label(&number).is_some(),
            "the number is on screen"
        );
        numbers.push(number);
        click(h, "We compared these — they match");
        wait(h, "the practice to open", |h| {
            h.query_by_role_and_label(Role::Button, "Agreements")
                .is_some()
        });
    }
    assert_eq!(numbers[0], numbers[1]);
    assert!(
        alex.query_by_label_contains("Connected to Sam's device now")
            .is_some()
            || {
                wait_label_contains(&mut alex, "Connected to Sam's device now");
                true
            }
    );
}

#[test]
fn an_agreement_proposed_in_one_window_is_accepted_in_the_other() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, mut sam) = open_pair(tmp.path());

    go(&mut alex, Screen::Agreements);
    assert!(
        alex.query_by_label("No agreements yet").is_some(),
        "a friendly empty state"
    );
    click(&mut alex, "+ Propose an agreement");
    type_into(&mut alex, "Title", "Phones at dinner");
    type_into(
        &mut alex,
        "Wording",
        "Phones stay in another room while we eat.",
    );
    alex.get_by_role_and_label(Role::Button, "Propose").click();
    alex.run();
    wait_label(&mut alex, "proposed");
    wait_label_contains(&mut alex, "Waiting for Sam's yes");

    // It arrives in Sam's window by itself and can be accepted there.
    go(&mut sam, Screen::Agreements);
    wait_label(&mut sam, "Say yes to this wording");
    assert!(
        sam.query_by_label("Phones stay in another room while we eat.")
            .is_some()
    );
    click(&mut sam, "Say yes to this wording");
    wait_label(&mut sam, "in force");
    wait_label(&mut alex, "in force");
    let view = snap(&alex).view.clone().unwrap();
    assert_eq!(view.agreements[0].status, AgreementStatus::InForce);
    // Every version readable, with who wrote it.
    alex.get_by_label_contains("Every version (1)").click();
    alex.run();
    assert!(alex.query_all_by_label_contains("by You").count() >= 1);
    sam.get_by_label_contains("Every version (1)").click();
    sam.run();
    assert!(sam.query_all_by_label_contains("by Alex").count() >= 1);
}

#[test]
fn a_partners_check_in_stays_folded_until_mine_is_in() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, mut sam) = open_pair(tmp.path());

    go(&mut sam, Screen::CheckIns);
    type_into(&mut sam, "I feel …", "quietly hopeful");
    type_into(&mut sam, "… when …", "we walk after dinner");
    click(&mut sam, "Save my check-in");
    settle(&mut sam);
    // Saved: the form folds away, and opens again empty.
    click(&mut sam, "Write another check-in");
    assert_eq!(
        sam.get_by_label("I feel …").value().unwrap_or_default(),
        "",
        "the form is cleared once the node confirmed it"
    );

    go(&mut alex, Screen::CheckIns);
    wait_label(&mut alex, "Show Sam's check-in anyway");
    assert!(alex.query_by_label_contains("It is not a secret").is_some());
    // The rule is said in one sentence, and Sam's date is marked as Sam's.
    assert!(
        alex.query_by_label_contains("opens once you have written your own")
            .is_some()
    );
    assert!(alex.query_by_label_contains("(Sam's date)").is_some());
    assert!(
        alex.query_by_label_contains("quietly hopeful").is_none(),
        "folded"
    );
    click(&mut alex, "Show Sam's check-in anyway");
    assert!(alex.query_by_label_contains("quietly hopeful").is_some());

    // Writing mine (saved with Ctrl+Enter) unfolds it for good, and I can answer.
    type_into(&mut alex, "I feel …", "tired but close");
    alex.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    alex.run();
    settle(&mut alex);
    assert!(
        snap(&alex)
            .view
            .as_ref()
            .unwrap()
            .checkins
            .iter()
            .all(|c| !c.folded)
    );
    click(&mut alex, "I hear you");
    wait_label_contains(&mut sam, "I hear you");
}

#[test]
fn a_repair_goes_from_naming_to_acknowledgement_to_follow_through_and_closes_with_both() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, mut sam) = open_pair(tmp.path());

    // Sam was hurt: step 1.
    go(&mut sam, Screen::Repair);
    click(&mut sam, "+ Open a repair");
    type_into(&mut sam, "What happened", "You read my messages.");
    type_into(&mut sam, "How it landed for me", "I felt watched.");
    click(&mut sam, "Open this repair");
    settle(&mut sam);

    // Alex acknowledges it in their own words: step 2.
    go(&mut alex, Screen::Repair);
    wait_label(&mut alex, "You read my messages.");
    type_into(
        &mut alex,
        "I understand that…",
        "I went through your phone without asking.",
    );
    type_into(&mut alex, "I regret…", "I am sorry I did that.");
    click(&mut alex, "Acknowledge");
    settle(&mut alex);
    wait_label(&mut sam, "Alex acknowledged it");

    // A concrete commitment and its follow-through: step 3.
    click(&mut alex, "+ Add a commitment of mine");
    type_into(&mut alex, "I commit to…", "Ask before I look");
    click(&mut alex, "Commit");
    settle(&mut alex);
    type_into(&mut alex, "Note", "Asked before borrowing your laptop");
    click(&mut alex, "Add to the log");
    settle(&mut alex);

    wait_label(&mut sam, "I saw it");
    click(&mut sam, "I saw it");
    wait_label(&mut alex, "Sam saw it");

    // Closing needs both.
    click(&mut sam, "This feels complete to me");
    wait_label_contains(&mut alex, "Sam feels this repair is complete.");
    assert!(!snap(&alex).view.as_ref().unwrap().repairs[0].closed);
    click(&mut alex, "This feels complete to me");
    wait(&mut alex, "the repair to close", |h| {
        snap(h).view.as_ref().unwrap().repairs[0].closed
    });
}

#[test]
fn a_time_out_carries_its_return_time_to_the_partner() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, mut sam) = open_pair(tmp.path());
    alex.get_by_role_and_label(Role::Button, "I need a pause")
        .click();
    alex.run();
    wait_label_contains(&mut alex, "I need a pause, I'll be back at");
    alex.get_by_role_and_label(Role::Button, "30 minutes")
        .click();
    alex.run();
    type_into(
        &mut alex,
        "A word for your partner (optional)",
        "a walk round the block",
    );
    click(&mut alex, "Start my pause");
    wait_label_contains(&mut alex, "You are on a pause until");
    wait_label_contains(&mut sam, "Alex is taking a pause — back at");
    // Both windows run in one zone here: one clock is said for both.
    assert!(sam.query_by_label_contains("for both of you").is_some());
    assert!(
        sam.query_by_label_contains("a walk round the block")
            .is_some()
    );
    click(&mut alex, "I'm back");
    wait(&mut sam, "the pause to end", |h| {
        h.query_by_label_contains("Alex is taking a pause")
            .is_none()
    });
    // Ctrl+P opens it from any screen.
    go(&mut alex, Screen::Progress);
    alex.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::P);
    alex.run();
    assert!(alex.query_by_label("Start my pause").is_some());
}

#[test]
fn the_journal_never_leaves_the_device() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, mut sam) = open_pair(tmp.path());
    let secret = "JOURNAL-MARKER-7f3a9";
    let trigger = "TRIGGER-MARKER-51c2";
    let shared = "SHARED-MARKER-b8e4";

    go(&mut alex, Screen::Journal);
    assert!(
        alex.query_by_label_contains("never shared, never synced")
            .is_some()
    );
    type_into(&mut alex, "Journal entry", secret);
    click(&mut alex, "Keep in my journal");
    wait_label(&mut alex, secret);
    type_into(&mut alex, "A trigger", trigger);
    click(&mut alex, "Add trigger");
    wait_label_contains(&mut alex, trigger);
    go(&mut alex, Screen::Today);
    // A shared appreciation, as a control: that one must travel.
    type_into(&mut alex, "Appreciation", shared);
    click(&mut alex, "Send appreciation");
    settle(&mut alex);
    wait(&mut sam, "Sam to receive the appreciation", |h| {
        snap(h)
            .view
            .as_ref()
            .unwrap()
            .appreciations
            .iter()
            .any(|a| a.text == shared)
    });

    // Exports through the node: a bundle of everything and a Markdown file.
    let bundle = tmp.path().join("all.trellis");
    let md = tmp.path().join("export.md");
    let node = session(&alex).node();
    call(
        node,
        Command::ExportBundle {
            path: bundle.clone(),
            all: true,
        },
    );
    call(
        node,
        Command::ExportMarkdown {
            path: md.clone(),
            options: trellis_core::export::ExportOptions {
                sections: trellis_core::export::Section::ALL.to_vec(),
                since: None,
                until: None,
                now: trellis_core::Moment::new(i64::MAX / 4, 0),
            },
        },
    );
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains(shared) && !md.contains(secret) && !md.contains(trigger));
    // The bundle is sealed for Sam: nothing readable outside, and inside (opened with
    // Sam's key) the shared words but never the private ones.
    let sealed = std::fs::read(&bundle).unwrap();
    assert!(!contains(&sealed, shared) && !contains(&sealed, secret));
    drop(sam);
    let sam_identity = trellis_store::Profile::open(&tmp.path().join("sam"))
        .unwrap()
        .identity();
    let bundle = trellis_core::SealKey::of(&sam_identity)
        .open(&sealed)
        .unwrap();
    assert!(
        contains(&bundle, shared),
        "the control is found in the bundle"
    );
    assert!(!contains(&bundle, secret) && !contains(&bundle, trigger));

    // Everything that reached Sam's device, on disk and in the view.
    // Sam's copy holds the shared words and never the private ones; Sam's disk holds none
    // of them as words (every file there is sealed).
    let sam_copy = trellis_store::Profile::open(&tmp.path().join("sam")).unwrap();
    let seen =
        serde_json::to_vec(&sam_copy.view(trellis_store::LocalZone::now()).unwrap()).unwrap();
    assert!(contains(&seen, shared), "the control reached Sam's copy");
    assert!(!contains(&seen, secret) && !contains(&seen, trigger));
    drop(sam_copy);
    let sam_files = all_bytes(&tmp.path().join("sam"));
    for words in [shared, secret, trigger] {
        assert!(
            !contains(&sam_files, words),
            "{words:?} readable on Sam's disk"
        );
    }
}

/// A journal entry can be changed and deleted from the window (it never left the device),
/// and a deletion asks first.
#[test]
fn a_journal_entry_is_changed_then_deleted_for_good() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, _sam) = open_pair(tmp.path());
    go(&mut alex, Screen::Journal);
    type_into(&mut alex, "Journal entry", "first words, too harsh");
    click(&mut alex, "Keep in my journal");
    wait_label(&mut alex, "first words, too harsh");

    click(&mut alex, "Edit");
    alex.get_by_label("Change the words").focus();
    alex.run();
    alex.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    alex.get_by_label("Change the words")
        .type_text("gentler words");
    alex.run();
    click(&mut alex, "Save the change");
    wait_label(&mut alex, "gentler words");
    assert!(alex.query_by_label("first words, too harsh").is_none());

    click(&mut alex, "Delete");
    wait_label_contains(&mut alex, "Delete this entry for good?");
    click(&mut alex, "Keep it");
    assert!(alex.query_by_label("gentler words").is_some(), "kept");
    click(&mut alex, "Delete");
    click(&mut alex, "Delete for good");
    wait(&mut alex, "the entry to be gone", |h| {
        h.query_by_label("gentler words").is_none()
    });
    assert!(session(&alex).journal_texts().is_empty());
}

#[test]
fn two_versions_written_apart_are_shown_side_by_side_and_settled_together() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = conflicting_profiles(tmp.path());

    let mut alex = open(&a);
    let mut sam = open(&b);
    wait(&mut alex, "Alex's window", |h| {
        h.state().session().is_some()
    });
    wait(&mut sam, "Sam's window", |h| h.state().session().is_some());
    connected(&mut alex, &mut sam);
    go(&mut alex, Screen::Agreements);
    wait_label(&mut alex, "needs a conversation");
    assert!(alex.query_by_label("Talk about it together").is_some());
    assert!(alex.query_by_label("Your version").is_some());
    assert!(alex.query_by_label("Sam's version").is_some());
    assert!(alex.query_by_label("Two evenings a week each.").is_some());
    assert!(
        alex.query_by_label("One evening a week, told a day ahead.")
            .is_some()
    );

    // They talk, and settle on Sam's wording: Sam already said yes to it, so Alex keeping
    // it settles it in one step, with no yes asked of Sam for Sam's own words.
    click(&mut alex, "Keep Sam's wording");
    wait_label(&mut alex, "in force");
    go(&mut sam, Screen::Agreements);
    wait_label(&mut sam, "in force");
    assert!(sam.query_by_label("Say yes to this wording").is_none());
    let view = snap(&alex).view.clone().unwrap();
    let rev = view.agreements[0].current_revision().unwrap();
    assert_eq!(rev.wording, "One evening a week, told a day ahead.");
    assert_eq!(
        view.agreements[0].revisions.len(),
        4,
        "no one's words were dropped"
    );
}

#[test]
fn typed_text_survives_a_sync_and_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, mut sam) = open_pair(tmp.path());
    type_into(&mut alex, "Appreciation", "Thank you for the flowers");

    // Sam's change arrives while Alex is typing.
    type_into(&mut sam, "Appreciation", "Thank you for listening");
    click(&mut sam, "Send appreciation");
    wait(&mut alex, "Sam's appreciation to arrive", |h| {
        !snap(h).view.as_ref().unwrap().appreciations.is_empty()
    });
    assert_eq!(
        session(&alex).appreciation_draft(),
        "Thank you for the flowers"
    );
    assert_eq!(
        alex.get_by_label("Appreciation").value().as_deref(),
        Some("Thank you for the flowers")
    );

    // The draft is on disk; a new window on the same profile has it back.
    let drafts = tmp.path().join("alex").join("window-drafts.json");
    let vault = session(&alex).vault().clone();
    wait(&mut alex, "the drafts file", |_| {
        vault
            .read_file(&drafts)
            .ok()
            .flatten()
            .is_some_and(|t| String::from_utf8_lossy(&t).contains("Thank you for the flowers"))
    });
    // Sealed like every file of the profile: the words are not readable in it.
    let on_disk = std::fs::read(&drafts).unwrap();
    assert!(!contains(&on_disk, "Thank you for the flowers"));
    drop(alex);
    let mut again = open(&tmp.path().join("alex"));
    wait(&mut again, "the window to reopen", |h| {
        h.state().session().is_some()
    });
    assert_eq!(
        session(&again).appreciation_draft(),
        "Thank you for the flowers"
    );
}

#[test]
fn history_shows_every_change_with_its_verified_mark() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, _sam) = open_pair(tmp.path());
    go(&mut alex, Screen::History);
    wait_label_contains(&mut alex, "every signature verified");
    assert!(alex.query_all_by_label("verified").count() >= 1);
    go(&mut alex, Screen::Progress);
    assert!(alex.query_by_label("Nothing to show yet").is_some());
    go(&mut alex, Screen::Settings);
    click(&mut alex, "Write the export");
    settle(&mut alex);
    let written = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("trellis-for-our-therapist-")
        });
    assert!(written, "the export is written next to the profile");
}

#[test]
fn an_appreciation_is_one_shortcut_away_from_any_screen() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, mut sam) = open_pair(tmp.path());
    go(&mut alex, Screen::History);
    alex.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    alex.run();
    wait_label(&mut alex, "A small moment");
    // The field has the keyboard already: type and press Enter.
    alex.get_by_label("Appreciation")
        .type_text("Thank you for the walk");
    alex.run();
    alex.key_press(egui::Key::Enter);
    alex.run();
    settle(&mut alex);
    assert!(
        alex.query_by_label("A small moment").is_none(),
        "the dialog closed"
    );
    go(&mut sam, Screen::Appreciations);
    wait_label(&mut sam, "Thank you for the walk");
}

#[test]
fn either_partner_can_end_the_shared_space_and_both_copies_stay_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, mut sam) = open_pair(tmp.path());
    go(&mut alex, Screen::Settings);
    type_into(&mut alex, "A last word (optional)", "Thank you for trying");
    click(
        &mut alex,
        "I understand that nothing will sync with Sam any more",
    );
    click(&mut alex, "End our shared space");
    wait_label_contains(&mut alex, "You ended this shared space on");
    wait_label_contains(&mut sam, "Alex ended this shared space on");
    // Still readable: the screens open, and writing is refused in plain words.
    go(&mut sam, Screen::Agreements);
    assert!(sam.query_by_label("Our agreements").is_some());
}

#[test]
fn a_mailbox_is_added_from_settings_and_the_partners_window_learns_of_it() {
    let tmp = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut options = trellis_mailbox::MailboxOptions::new(tmp.path().join("mailbox"));
    options.loopback = true;
    let mailbox = runtime
        .block_on(trellis_mailbox::Mailbox::start(options))
        .unwrap();
    let code = mailbox
        .new_code(std::time::Duration::from_secs(600))
        .unwrap()
        .encode();
    let (mut alex, mut sam) = open_pair(tmp.path());
    go(&mut alex, Screen::Settings);
    type_into(&mut alex, "Code", &code);
    click(&mut alex, "Add the mailbox");

    wait_label_contains(&mut alex, "Using mailbox");
    // Sam's device hears of it with the live sync, and is let in too.
    go(&mut sam, Screen::Settings);
    wait_label_contains(&mut sam, "Using mailbox");
    click(&mut sam, "Visit it now");
    wait_label_contains(&mut sam, "Nothing of yours waits there for Alex");
    click(&mut alex, "Stop using it");
    wait_label(&mut alex, "Add the mailbox");
    runtime.block_on(mailbox.shutdown());
}

/// An error about a form goes away when that form's next action succeeds: it never sits
/// above the page after what it was about has worked.
#[test]
fn a_forms_error_leaves_when_the_form_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, _sam) = open_pair(tmp.path());
    assert_eq!(alex.state().window_title(), "Trellis — Alex");
    let start_pause = |h: &mut App<'_>| {
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::P);
        h.run();
        click(h, "Start my pause");
    };
    start_pause(&mut alex);
    wait_label_contains(&mut alex, "You are taking a pause");
    // A second pause while on one is refused, with a sentence.
    start_pause(&mut alex);
    wait_label_contains(&mut alex, "already on a pause");
    click(&mut alex, "I'm back");
    wait(&mut alex, "the pause to end", |h| {
        h.query_by_label_contains("You are taking a pause")
            .is_none()
    });
    start_pause(&mut alex);
    wait_label_contains(&mut alex, "You are taking a pause");
    assert!(
        alex.query_by_label_contains("already on a pause").is_none(),
        "the refusal is over once a pause started"
    );
}

/// A form's error is said inside the form, below its Save button, not in a banner that
/// pushes the form away from the pointer; the form's next success takes it away.
#[test]
fn a_forms_error_sits_in_the_form() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, _sam) = open_pair(tmp.path());
    go(&mut alex, Screen::Agreements);
    click(&mut alex, "+ Propose an agreement");
    type_into(&mut alex, "Title", "Phones at dinner");
    type_into(&mut alex, "Wording", "Phones stay in another room.");
    click(&mut alex, "Propose");
    wait_label_contains(&mut alex, "Waiting for Sam's yes");
    click(&mut alex, "Revise");
    // Saved as it is, the revision would change nothing: refused, said in the form.
    click(&mut alex, "Save this revision");
    wait_label_contains(&mut alex, "This revision would change nothing");
    let save = alex.get_by_label("Save this revision").rect();
    let said = alex
        .get_by_label_contains("This revision would change nothing")
        .rect();
    assert!(
        said.top() >= save.bottom(),
        "the error is below the Save button, in the form: {said:?} vs {save:?}"
    );
    assert_eq!(
        alex.query_all_by_label_contains("This revision would change nothing")
            .count(),
        1,
        "said once, not also in a banner"
    );
}

/// The progress charts: a side with nothing to draw says so in words, and the legend sits
/// outside the chart (never over the last weeks).
#[test]
fn a_chart_with_nothing_to_draw_says_so_and_its_legend_sits_outside() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, _sam) = open_pair(tmp.path());
    call(
        session(&alex).node(),
        Command::Act(trellis_core::Action::AddCheckIn(
            trellis_core::CheckInDraft {
                feel: "steadier".into(),
                safety: Some(7),
                trust: Some(6),
                connection: Some(8),
                ..Default::default()
            },
        )),
    );
    go(&mut alex, Screen::Progress);
    wait_label_contains(&mut alex, "No check-ins with the scales from Sam yet");
    assert!(alex.query_by_label("—— safety").is_some());
    assert!(alex.query_by_label("– – trust").is_some());
}

/// A profile locked at first run opens only with its passphrase: the window shows nothing of
/// it before, says a wrong one plainly, and locks again on Ctrl+L while the node keeps going.
#[test]
fn a_locked_profile_shows_only_the_lock_until_its_passphrase_is_typed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sam");
    let words = "quiet mornings with tea";
    {
        let mut h = open(&dir);
        wait(&mut h, "the welcome screen", |h| {
            h.state().phase_name() == "welcome"
        });
        type_into(&mut h, "Your name", "Sam");
        type_into(&mut h, "Passphrase", words);
        // Not yet the same twice: Continue waits, and says why.
        type_into(&mut h, "The same passphrase again", "quiet mornings");
        wait_label_contains(&mut h, "not the same yet");
        assert!(h.get_by_label("Continue").accesskit_node().is_disabled());
        type_into(&mut h, "The same passphrase again", " with tea");
        click(&mut h, "Continue");
        wait(&mut h, "the profile open", |h| {
            h.state().phase_name() == "open"
        });
        h.state_mut().close();
    }
    assert_eq!(
        trellis_store::Vault::lock_kind(&trellis_store::ProfilePaths::new(&dir)).unwrap(),
        Some(trellis_store::LockKind::Passphrase)
    );

    let mut h = open(&dir);
    wait(&mut h, "the lock screen", |h| {
        h.state().phase_name() == "locked"
    });
    assert!(h.query_by_label("Trellis is locked").is_some());
    assert!(
        h.query_by_label_contains("Sam").is_none(),
        "the name shows while locked"
    );
    type_into(&mut h, "Your passphrase", "quiet evenings with tea");
    click(&mut h, "Unlock");
    wait_label_contains(&mut h, "does not open this profile");
    assert_eq!(h.state().phase_name(), "locked");
    type_into(&mut h, "Your passphrase", words);
    click(&mut h, "Unlock");
    wait(&mut h, "the profile open", |h| {
        h.state().phase_name() == "open"
    });
    wait_label(&mut h, "Join my partner");

    // Ctrl+L: the lock over the open session; the node is still there.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    h.run();
    assert!(h.query_by_label("Trellis is locked").is_some());
    assert!(h.query_by_label("Join my partner").is_none());
    assert!(session(&h).snapshot().network.listening);
    type_into(&mut h, "Your passphrase", words);
    click(&mut h, "Unlock");
    wait_label(&mut h, "Join my partner");
}

/// After the partner ends the shared space, Today leads with what happened and their last
/// word, in one calm banner; nothing that can no longer work is offered.
#[test]
fn after_an_ending_today_leads_with_the_last_word_and_offers_nothing_that_cannot_work() {
    let tmp = tempfile::tempdir().unwrap();
    let (alex, mut sam) = open_pair(tmp.path());
    // Each wrote a check-in, so Sam's Today would ask Sam to answer Alex's.
    for h in [&alex, &sam] {
        call(
            session(h).node(),
            Command::Act(trellis_core::Action::AddCheckIn(
                trellis_core::CheckInDraft {
                    feel: "tired".into(),
                    ..Default::default()
                },
            )),
        );
    }
    wait_label_contains(&mut sam, "has no answer from you yet");
    call(
        session(&alex).node(),
        Command::EndSpace(Some("Thank you for trying".into())),
    );
    wait(&mut sam, "the ending to reach Sam", |h| {
        snap(h).view.as_ref().is_some_and(|v| v.ended.is_some())
    });
    // A few more frames: whatever the ending sets off (the connection closing) has happened.
    for _ in 0..40 {
        sam.step();
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    sam.run();
    assert_eq!(
        sam.query_all_by_label_contains("ended this shared space")
            .count(),
        1,
        "said once, in one banner"
    );
    let word = sam.get_by_label_contains("Thank you for trying").rect();
    let greeting = sam.get_by_label_contains(", Sam").rect();
    assert!(
        word.top() < greeting.top(),
        "the last word comes first: {word:?} vs {greeting:?}"
    );
    assert!(
        sam.query_by_label("Dismiss").is_none(),
        "no red error repeating it"
    );
    assert!(sam.query_by_label("Appreciation").is_none());
    assert!(sam.query_by_label("Send appreciation").is_none());
    assert!(sam.query_by_label("Appreciate").is_none());
    assert!(sam.query_by_label("I need a pause").is_none());
    assert!(
        sam.query_by_label_contains("has no answer from you yet")
            .is_none()
    );
    assert!(sam.query_by_label("Invitation").is_none());
    // The status line says what is true of the data now, not that Trellis keeps trying.
    assert!(
        sam.query_by_label_contains("Nothing syncs with Alex any more")
            .is_some()
    );
    assert!(sam.query_by_label_contains("keeps trying").is_none());
    assert!(sam.query_by_label_contains("has not reached").is_none());
    assert!(sam.query_by_label_contains("Ctrl+K appreciate").is_none());
    // Ctrl+K opens nothing.
    sam.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    sam.run();
    assert!(sam.query_by_label("A small moment").is_none());
}

/// "They don't match" leads somewhere: the pairing is undone on this computer and the
/// person is back at the start, their name offered again, ready to pair anew.
#[test]
fn safety_numbers_that_do_not_match_undo_the_pairing_and_start_again() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _b) = pair_up(tmp.path(), false);
    let mut alex = open(&a);
    wait_label(&mut alex, "We compared these — they match");
    click(&mut alex, "They don't match");
    wait_label(&mut alex, "Undo this pairing and start again");
    assert!(
        alex.query_by_label_contains("Do the same on Sam's computer")
            .is_some()
    );
    click(&mut alex, "Undo this pairing and start again");
    wait(&mut alex, "the welcome screen", |h| {
        h.state().phase_name() == "welcome"
    });
    assert!(
        trellis_store::Profile::open(&a).is_err(),
        "the paired profile is gone from this computer"
    );
    assert_eq!(
        alex.get_by_label("Your name").value().as_deref(),
        Some("Alex")
    );
    click(&mut alex, "Continue");
    wait(&mut alex, "a fresh, unpaired profile", |h| {
        h.state()
            .session()
            .is_some_and(|s| s.snapshot().network.listening)
    });
    wait_label(&mut alex, "Start our space");
}

/// "You can use Trellis alone" is a button: the private journal and Settings open without
/// a partner, and the way back to pairing stays one click away.
#[test]
fn trellis_can_be_used_alone_before_pairing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("alex");
    trellis_store::Profile::init(&dir, "Alex").unwrap();
    let mut alex = open(&dir);
    wait_label(&mut alex, "Use Trellis alone for now");
    click(&mut alex, "Use Trellis alone for now");
    wait_label(&mut alex, "My private journal");
    type_into(&mut alex, "Journal entry", "on my own for a while");
    click(&mut alex, "Keep in my journal");
    wait_label(&mut alex, "on my own for a while");
    go(&mut alex, Screen::Settings);
    assert!(alex.query_by_label("Import a bundle").is_some());
    assert!(alex.query_by_label("End our shared space").is_none());
    click(&mut alex, "Pair with my partner");
    wait_label(&mut alex, "Start our space");
}

/// Today says what my partner wrote since I last looked (what they chose to write, never
/// whether they were there); once looked at, it is no longer new. A folded check-in is not
/// pushed at me.
#[test]
fn today_says_what_is_new_from_the_partner_since_i_last_looked() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, sam) = open_pair(tmp.path());
    let sam_node = session(&sam).node();
    call(
        sam_node,
        Command::Act(trellis_core::Action::Appreciate {
            text: "Thank you for the tea".into(),
        }),
    );
    call(
        sam_node,
        Command::Act(trellis_core::Action::AddCheckIn(
            trellis_core::CheckInDraft {
                feel: "unsettled".into(),
                ..Default::default()
            },
        )),
    );
    wait_label_contains(&mut alex, "New from Sam since you last looked");
    wait_label_contains(&mut alex, "Sam appreciated you: “Thank you for the tea”");
    assert!(
        alex.query_by_label_contains("Sam wrote a check-in")
            .is_none(),
        "a folded check-in is not pushed"
    );
    for word in ["seen", "online", "last active"] {
        assert!(alex.query_by_label_contains(word).is_none(), "{word}");
    }
    // Looked at: leaving Today and coming back, it is no longer new.
    go(&mut alex, Screen::Agreements);
    go(&mut alex, Screen::Today);
    assert!(
        alex.query_by_label_contains("New from Sam since you last looked")
            .is_none()
    );
}

/// An appreciation can be answered by the one it was addressed to: a "thank you", with a
/// word or not; the author sees it, and it is new on their Today.
#[test]
fn an_appreciation_is_answered_with_a_thank_you() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, mut sam) = open_pair(tmp.path());
    call(
        session(&sam).node(),
        Command::Act(trellis_core::Action::Appreciate {
            text: "Thank you for the tea".into(),
        }),
    );
    go(&mut alex, Screen::Appreciations);
    wait_label(&mut alex, "Thank you for the tea");
    type_into(&mut alex, "A word back", "any time");
    click(&mut alex, "Thank you");
    wait_label_contains(&mut alex, "You said thank you — “any time”");
    assert!(alex.query_by_label("Thank you").is_none(), "answered once");
    wait_label_contains(
        &mut sam,
        "Alex said thank you for your appreciation: “any time”",
    );
    go(&mut sam, Screen::Appreciations);
    wait_label_contains(&mut sam, "Alex said thank you — “any time”");
    assert!(
        sam.query_by_label("Thank you").is_none(),
        "no answering one's own appreciation"
    );
}

/// Every button of every screen (and of the two dialogs) lies inside the window, at the
/// narrowest window allowed (760 points), after Ctrl + (zoom 1.5 on a 1120-pixel window)
/// and with the largest text size: rows wrap, nothing is cut off at the right edge.
#[test]
fn no_button_is_cut_off_in_a_narrow_or_zoomed_window() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _b) = trellis_ui::prepare_demo(tmp.path()).unwrap();
    let mut cut = Vec::new();
    let mut check = |h: &mut App<'_>, size: egui::Vec2, what: String| {
        for b in h.query_all_by_role(Role::Button) {
            let r = b.rect();
            if r.left() < -0.5 || r.right() > size.x + 0.5 {
                cut.push(format!("{what}: {b:?} {r:?}"));
            }
        }
    };
    for (size, zoom, larger) in [
        (egui::vec2(760.0, 540.0), 1.0, false),
        (egui::vec2(1120.0 / 1.5, 780.0 / 1.5), 1.5, false),
        (egui::vec2(760.0, 540.0), 1.0, true),
    ] {
        let mut h = open_sized(&a, size, zoom);
        wait(&mut h, "the demo profile", |h| {
            h.state()
                .session()
                .is_some_and(|s| s.snapshot().view.is_some())
        });
        if larger {
            go(&mut h, Screen::Settings);
            click(&mut h, "Larger");
        }
        let zoom = if larger {
            "1 with Larger text".to_string()
        } else {
            zoom.to_string()
        };
        for screen in Screen::ALL {
            go(&mut h, screen);
            if screen == Screen::History {
                wait_label_contains(&mut h, "every signature verified");
            }
            check(
                &mut h,
                size,
                format!("{} at {size:?}, zoom {zoom}", screen.label()),
            );
        }
        for (key, dialog) in [(egui::Key::K, "appreciation"), (egui::Key::P, "pause")] {
            h.key_press_modifiers(egui::Modifiers::COMMAND, key);
            h.run();
            check(
                &mut h,
                size,
                format!("the {dialog} dialog at {size:?}, zoom {zoom}"),
            );
            h.key_press(egui::Key::Escape);
            h.run();
        }
    }
    assert!(cut.is_empty(), "cut off: {cut:#?}");
}

/// Settings: a text size for the whole window and a high-contrast look, kept on this
/// computer (the window's local file) across a restart.
#[test]
fn text_size_and_high_contrast_are_chosen_in_settings_and_remembered() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _b) = paired_profiles(tmp.path());
    let body = |h: &App<'_>| h.ctx.global_style().text_styles[&egui::TextStyle::Body].size;
    let ink = |h: &App<'_>| h.ctx.global_style().visuals.override_text_color;
    let mut alex = open(&a);
    wait(&mut alex, "the window", |h| {
        h.state()
            .session()
            .is_some_and(|s| s.snapshot().view.is_some())
    });
    let normal = body(&alex);
    go(&mut alex, Screen::Settings);
    click(&mut alex, "Larger");
    click(
        &mut alex,
        "High contrast: black on white (or white on black), every control outlined",
    );
    assert!(
        (body(&alex) - normal * 1.45).abs() < 0.01,
        "{}",
        body(&alex)
    );
    assert_eq!(
        ink(&alex),
        Some(egui::Color32::WHITE),
        "white on black (dark)"
    );
    let drafts = a.join("window-drafts.json");
    let vault = session(&alex).vault().clone();
    wait(&mut alex, "the choice on disk", |_| {
        drafts_text(&vault, &drafts).contains("\"larger\"")
    });
    drop(alex);
    let mut again = open(&a);
    wait(&mut again, "the window again", |h| {
        h.state()
            .session()
            .is_some_and(|s| s.snapshot().view.is_some())
    });
    assert!((body(&again) - normal * 1.45).abs() < 0.01);
    assert_eq!(ink(&again), Some(egui::Color32::WHITE));
    // Back to normal.
    go(&mut again, Screen::Settings);
    click(&mut again, "Normal");
    assert!((body(&again) - normal).abs() < 0.01);
}

/// Emoji people write every day (🌷🫖🌿 and the newer ones) are drawn from a bundled
/// monochrome font, never as boxes.
#[test]
fn everyday_emoji_have_glyphs() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = open(&tmp.path().join("new"));
    wait(&mut h, "the welcome screen", |h| {
        h.state().phase_name() == "welcome"
    });
    for emoji in ["🌷", "🫖", "🌿", "🥹", "🫶", "❤", "☕", "🙏"] {
        for family in [
            egui::FontId::proportional(15.0),
            egui::FontId::monospace(14.0),
        ] {
            assert!(
                h.ctx.fonts_mut(|f| f.has_glyphs(&family, emoji)),
                "{emoji} in {family:?}"
            );
        }
    }
}

/// The window's size and place are kept on this computer (the profile's local drafts file)
/// for the next start.
#[test]
fn the_window_remembers_its_size_and_place_locally() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _b) = paired_profiles(tmp.path());
    let mut alex = open(&a);
    wait(&mut alex, "the window", |h| h.state().session().is_some());
    {
        let root = alex
            .input_mut()
            .viewports
            .get_mut(&egui::ViewportId::ROOT)
            .unwrap();
        root.inner_rect = Some(egui::Rect::from_min_size(
            egui::pos2(130.0, 90.0),
            egui::vec2(900.0, 640.0),
        ));
        root.outer_rect = Some(egui::Rect::from_min_size(
            egui::pos2(120.0, 60.0),
            egui::vec2(920.0, 680.0),
        ));
    }
    let drafts = a.join("window-drafts.json");
    let vault = session(&alex).vault().clone();
    wait(&mut alex, "the place on disk", |_| {
        let t = drafts_text(&vault, &drafts);
        t.contains("\"size\":[900.0,640.0]") && t.contains("\"pos\":[120.0,60.0]")
    });
}

/// Dates are picked from a calendar or typed; a date typed another way is answered with the
/// format wanted, and the typed date rewritten in it.
#[test]
fn dates_are_picked_from_a_calendar_or_typed_and_a_wrong_format_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, _sam) = open_pair(tmp.path());
    go(&mut alex, Screen::Agreements);
    click(&mut alex, "+ Propose an agreement");
    type_into(&mut alex, "Title", "Phones at dinner");
    type_into(&mut alex, "Wording", "Phones stay in another room.");
    type_into(&mut alex, "Review on (optional)", "31/12/2026");
    wait_label(
        &mut alex,
        "Dates are written year-month-day: 2026-12-31 for 31/12/2026.",
    );
    assert!(
        alex.query_by_label_contains("Still needed").is_some(),
        "not saved in a format it would misread"
    );
    // Picked from the calendar instead: it opens on today; one day on, saved.
    click(&mut alex, "Pick a date");
    click(&mut alex, ">");
    click(&mut alex, "Save");
    let tomorrow = (chrono::Local::now().date_naive() + chrono::Days::new(1))
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(
        alex.get_by_label("Review on (optional)").value().as_deref(),
        Some(tomorrow.as_str()),
    );
    assert!(alex.query_by_label_contains("Dates are written").is_none());
    click(&mut alex, "Propose");
    settle(&mut alex);
    let view = snap(&alex).view.clone().unwrap();
    assert_eq!(
        view.agreements[0].review_on.as_deref(),
        Some(tomorrow.as_str())
    );
}

/// Ctrl+Enter saves a form wherever the keyboard is in it (a choice, a slider, not only a
/// text field), and Tab reaches every control of the form in order.
#[test]
fn ctrl_enter_saves_from_anywhere_in_a_form_and_tab_reaches_every_control() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, _sam) = open_pair(tmp.path());
    go(&mut alex, Screen::CheckIns);
    click(
        &mut alex,
        "Add how safe, trusting and connected I feel (1–10)",
    );
    // Tab from the first field: every control of the form has its turn.
    alex.get_by_label("I feel …").focus();
    alex.run();
    let mut reached = Vec::new();
    for _ in 0..40 {
        if let Some(n) = alex.query_by(|n| n.is_focused()) {
            let label = n.accesskit_node().label().unwrap_or_default();
            if label == "Save my check-in" {
                break;
            }
            reached.push(label);
        }
        alex.key_press(egui::Key::Tab);
        alex.run();
    }
    for control in [
        "I feel …",
        "… when …",
        "What went well",
        "What was hard",
        "Just listen",
        "Add how safe, trusting and connected I feel (1–10)",
        "Safety",
        "Trust",
        "Connection",
    ] {
        assert!(
            reached.iter().any(|l| l.contains(control)),
            "Tab never reached {control}: {reached:?}"
        );
    }
    // Typed, then a choice made with the keyboard: Ctrl+Enter from the choice saves.
    type_into(&mut alex, "I feel …", "steadier");
    alex.get_by_label("Just listen").focus();
    alex.run();
    alex.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    alex.run();
    settle(&mut alex);
    assert!(
        snap(&alex)
            .view
            .as_ref()
            .unwrap()
            .checkins
            .iter()
            .any(|c| c.feel == "steadier"),
        "saved with Ctrl+Enter from a radio button"
    );
}

/// "This feels complete" waits for the hurt to be acknowledged, and a "complete" said too
/// soon can be taken back while the other has not said it.
#[test]
fn a_repair_feels_complete_only_after_acknowledgement_and_can_be_taken_back() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, mut sam) = open_pair(tmp.path());
    let repair = match call(
        session(&sam).node(),
        Command::Act(trellis_core::Action::OpenRepair {
            what_happened: "You forgot my birthday".into(),
            how_it_landed: "I felt forgotten".into(),
        }),
    ) {
        trellis_net::Event::Done { outcome, .. } => outcome.record().unwrap().to_string(),
        other => panic!("{other:?}"),
    };
    go(&mut sam, Screen::Repair);
    wait_label_contains(&mut sam, "You forgot my birthday");
    assert!(
        sam.query_by_label("This feels complete to me").is_none(),
        "offered before the hurt was even acknowledged"
    );
    wait(&mut alex, "the repair to reach Alex", |h| {
        snap(h).view.as_ref().is_some_and(|v| !v.repairs.is_empty())
    });
    call(
        session(&alex).node(),
        Command::Act(trellis_core::Action::AcknowledgeRepair {
            repair: repair.clone(),
            acknowledgement: "I forgot it".into(),
            regret: "I am sorry you felt forgotten".into(),
        }),
    );
    wait_label(&mut sam, "This feels complete to me");
    click(&mut sam, "This feels complete to me");
    wait_label(&mut sam, "Take that back");
    click(&mut sam, "Take that back");
    wait_label(&mut sam, "This feels complete to me");
    assert!(
        snap(&sam).view.as_ref().unwrap().repairs[0]
            .closed_by
            .is_empty(),
        "the take-back did not stick"
    );
}

/// When my partner writes a new version of an agreement while I am revising it, my form
/// says so and keeps every word I typed.
#[test]
fn a_partners_version_arriving_while_i_revise_is_said_and_my_words_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, mut sam) = open_pair(tmp.path());
    go(&mut alex, Screen::Agreements);
    click(&mut alex, "+ Propose an agreement");
    type_into(&mut alex, "Title", "Evenings");
    type_into(&mut alex, "Wording", "One evening a week is ours.");
    click(&mut alex, "Propose");
    wait_label_contains(&mut alex, "Waiting for Sam's yes");
    let id = snap(&alex).view.as_ref().unwrap().agreements[0].id.clone();
    click(&mut alex, "Revise");
    type_into(&mut alex, "New wording", " Phones off.");
    wait(&mut sam, "the agreement to reach Sam", |h| {
        snap(h)
            .view
            .as_ref()
            .is_some_and(|v| !v.agreements.is_empty())
    });
    call(
        session(&sam).node(),
        Command::Act(trellis_core::Action::ReviseAgreement {
            agreement: id,
            draft: trellis_core::RevisionDraft {
                wording: Some("Two evenings a week are ours.".into()),
                if_crossed: None,
                review_on: None,
                from: None,
            },
        }),
    );
    wait_label_contains(
        &mut alex,
        "wrote a new version of this agreement while you were",
    );
    assert_eq!(
        alex.get_by_label("New wording").value().as_deref(),
        Some("One evening a week is ours. Phones off.")
    );
    click(&mut alex, "I have read it");
    assert!(
        alex.query_all_by_label_contains("while you were writing")
            .next()
            .is_none()
    );
}

#[test]
fn a_lost_computer_comes_back_in_the_window_from_its_recovery_phrase() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired_profiles(tmp.path());
    let (phrase, sam_key) = {
        let old = trellis_store::Profile::open(&b).unwrap();
        (old.recovery_phrase().to_string(), old.key())
    };
    let alex_phrase = trellis_store::Profile::open(&a)
        .unwrap()
        .recovery_phrase()
        .to_string();
    let mut alex = open_paired(&a);

    // Settings shows Alex's own phrase, numbered, and hides it again.
    go(&mut alex, Screen::Settings);
    click(&mut alex, "Show my recovery phrase");
    let first = alex_phrase.split(' ').next().unwrap();
    wait_label_contains(&mut alex, &format!(" 1. {first}"));
    click(&mut alex, "Hide it");
    assert!(
        alex.query_by_label_contains(&format!(" 1. {first}"))
            .is_none()
    );

    // Sam's new computer: the phrase instead of a name.
    let mut sam = open(&tmp.path().join("sam-new"));
    wait(&mut sam, "the welcome screen", |h| {
        h.state().phase_name() == "welcome"
    });
    click(&mut sam, "I used Trellis on a computer I no longer have");
    wait_label(&mut sam, "Welcome back");
    let words: Vec<&str> = phrase.split(' ').collect();
    type_into(&mut sam, "Your recovery phrase", &words[..23].join(" "));
    wait_label(&mut sam, "23 of 24 words.");
    sam.get_by_label("Your recovery phrase")
        .type_text(&format!(" {}", words[23]));
    sam.run();
    wait_label(&mut sam, "These words are a recovery phrase.");
    click(&mut sam, "Continue");
    wait(&mut sam, "the pairing screen", |h| {
        h.state()
            .session()
            .is_some_and(|s| s.snapshot().network.listening)
    });
    wait_label_contains(&mut sam, "show an invite for your new computer");

    // Alex shows an invite for Sam's new computer; Sam pastes it.
    click(&mut alex, "Show an invite for Sam's new computer");
    wait(&mut alex, "the invite", |h| {
        snap(h).network.invite.is_some()
    });
    let code = snap(&alex).network.invite.clone().unwrap().0;
    type_into(&mut sam, "Invite code", &code);
    click(&mut sam, "Join my partner");
    wait(&mut sam, "the shared space comes back", |h| {
        snap(h).view.is_some()
    });
    let back = snap(&sam);
    assert_eq!(back.name, "Sam");
    assert_eq!(
        back.view.as_ref().map(|v| v.me.key.clone()),
        Some(sam_key.to_hex())
    );
    wait_label_contains(&mut alex, "Sam is back, on a new computer");
}

#[test]
fn settings_back_up_everything_to_one_sealed_file_that_restores() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = paired_profiles(tmp.path());
    let words = "MARKER-7c1 a journal entry only I can read";
    {
        let profile = trellis_store::Profile::open(&a).unwrap();
        let journal = trellis_store::Journal::open(profile.paths(), profile.vault()).unwrap();
        journal
            .add_entry(words, trellis_core::Moment::new(1_800_000_000_000, 0))
            .unwrap();
    }
    let mut alex = open_paired(&a);
    go(&mut alex, Screen::Settings);
    type_into(&mut alex, "Backup passphrase", "short");
    wait_label_contains(&mut alex, "at least");
    type_into(&mut alex, "Backup passphrase", " enough words now");
    type_into(
        &mut alex,
        "The same passphrase again",
        "short enough words now",
    );
    click(&mut alex, "Back up now");
    wait_label_contains(&mut alex, "Backed up everything");
    // The file the form offered: beside the profile, named for today.
    let file = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "trellis-backup"))
        .expect("the backup file");
    let sealed = std::fs::read(&file).unwrap();
    assert!(!contains(&sealed, words));

    let restored = tmp.path().join("restored");
    trellis_store::backup::restore(&restored, &sealed, &file, "short enough words now").unwrap();
    let profile = trellis_store::Profile::open(&restored).unwrap();
    let journal = trellis_store::Journal::open(profile.paths(), profile.vault()).unwrap();
    let entries = journal.entries().unwrap();
    assert!(entries.iter().any(|e| e.text == words), "{entries:?}");
}
