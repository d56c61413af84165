//! Profiles on disk: creating a couple, exchanging bundles, reopening, compaction, errors.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use std::fs;

use tempfile::TempDir;
use trellis_core::schema::Category;
use trellis_core::view::{AgreementStatus, Who};
use trellis_core::{Action, AgreementDraft, Moment, SyncSession};
use trellis_store::{Journal, Profile, ProfilePaths, StoreError};

fn now(minutes: i64) -> Moment {
    Moment::new(1_795_338_000_000 + minutes * 60_000, 0)
}

fn couple() -> (TempDir, Profile, Profile) {
    let tmp = tempfile::tempdir().unwrap();
    let mut alex = Profile::init(&tmp.path().join("alex"), "Alex").unwrap();
    let sam = Profile::init(&tmp.path().join("sam"), "Sam").unwrap();
    alex.create_couple(&sam.card().unwrap(), now(0)).unwrap();
    let mut sam = sam;
    let (bundle, _) = alex.export_bundle(false, now(1)).unwrap();
    let report = sam.import_bundle(&bundle, now(2)).unwrap();
    assert!(report.joined);
    (tmp, alex, sam)
}

fn propose(p: &mut Profile, title: &str, at: Moment) -> String {
    p.act(
        &Action::ProposeAgreement(AgreementDraft {
            title: title.into(),
            category: Category::TimeAndSpace,
            wording: "An evening a week for ourselves".into(),
            if_crossed: None,
            review_on: None,
        }),
        at,
    )
    .unwrap()
    .record
}

#[test]
fn bundles_carry_a_couple_from_one_profile_to_the_other_and_survive_reopening() {
    let (tmp, mut alex, mut sam) = couple();
    assert_eq!(alex.safety_number(), sam.safety_number());
    let id = propose(&mut alex, "Evenings", now(3));
    let (bundle, count) = alex.export_bundle(false, now(4)).unwrap();
    // Alex has not heard back from Sam yet, so cannot know Sam holds the first change.
    assert_eq!(count, 2, "the first change and the proposal");
    sam.import_bundle(&bundle, now(5)).unwrap();
    sam.act(
        &Action::AcceptAgreement {
            agreement: id.clone(),
            revision: None,
        },
        now(6),
    )
    .unwrap();
    let (bundle, _) = sam.export_bundle(false, now(7)).unwrap();
    let report = alex.import_bundle(&bundle, now(8)).unwrap();
    assert_eq!(report.from_partner, 1);
    // Importing the same bundle again changes nothing.
    let again = alex.import_bundle(&bundle, now(9)).unwrap();
    assert_eq!(again.new_changes, 0);

    let status = alex.status().unwrap();
    let c = status.couple.unwrap();
    assert_eq!(c.partner_name, "Sam");
    assert_eq!(
        c.not_yet_with_partner, 0,
        "Sam's bundle shows Sam has Alex's proposal"
    );
    drop(alex);
    drop(sam);

    for dir in ["alex", "sam"] {
        let p = Profile::open(&tmp.path().join(dir)).unwrap();
        let v = p.view(now(10)).unwrap();
        assert_eq!(v.agreement(&id).unwrap().status, AgreementStatus::InForce);
    }
}

#[test]
fn honest_status_counts_what_the_partner_has_not_seen() {
    let (_tmp, mut alex, _sam) = couple();
    propose(&mut alex, "One", now(3));
    alex.act(
        &Action::Appreciate {
            text: "thanks".into(),
        },
        now(4),
    )
    .unwrap();
    let c = alex.status().unwrap().couple.unwrap();
    // The couple's first change too: nothing from Sam has confirmed it arrived.
    assert_eq!(c.not_yet_with_partner, 3);
    assert!(!c.safety_number_checked);
    alex.confirm_safety().unwrap();
    assert!(alex.status().unwrap().couple.unwrap().safety_number_checked);
}

#[test]
fn compaction_keeps_everything_and_signatures_survive() {
    let (tmp, mut alex, _sam) = couple();
    for i in 0..600 {
        alex.act(
            &Action::Appreciate {
                text: format!("appreciation {i}"),
            },
            now(10 + i),
        )
        .unwrap();
    }
    assert!(alex.db().log_len().unwrap() < 512, "a snapshot was written");
    let report = alex.verify_all().unwrap();
    assert_eq!(report.changes, 601);
    drop(alex);
    let mut alex = Profile::open(&tmp.path().join("alex")).unwrap();
    assert_eq!(alex.view(now(700)).unwrap().appreciations.len(), 600);
    assert!(alex.history().unwrap().iter().all(|h| h.verified));
    assert_eq!(alex.verify_all().unwrap().changes, 601);
}

#[test]
fn a_corrupt_store_is_a_clear_error_naming_the_file_and_nothing_is_overwritten() {
    let (tmp, alex, _sam) = couple();
    drop(alex);
    let paths = ProfilePaths::new(tmp.path().join("alex"));
    let db = paths.document_db();
    let mut bytes = fs::read(&db).unwrap();
    for b in bytes.iter_mut().take(4096) {
        *b = 0xA5;
    }
    fs::write(&db, &bytes).unwrap();
    let err = Profile::open(&paths.dir).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("couple.redb"), "{msg}");
    assert!(msg.contains("backup"), "{msg}");
    assert_eq!(
        fs::read(&db).unwrap(),
        bytes,
        "the damaged file was left as it was"
    );

    // A missing store beside existing keys is also an error, never a silent fresh start.
    fs::remove_file(&db).unwrap();
    let err = Profile::open(&paths.dir).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(!db.exists());
}

#[test]
fn a_profile_cannot_be_opened_twice_or_initialised_twice() {
    let (tmp, alex, _sam) = couple();
    let err = Profile::open(&tmp.path().join("alex")).unwrap_err();
    assert!(matches!(err, StoreError::Busy(_)), "{err}");
    drop(alex);
    let err = Profile::init(&tmp.path().join("alex"), "Again").unwrap_err();
    assert!(matches!(err, StoreError::AlreadyInitialized(_)), "{err}");
    let err = Profile::open(&tmp.path().join("nobody")).unwrap_err();
    assert!(matches!(err, StoreError::NotInitialized(_)), "{err}");
}

#[test]
fn the_journal_never_leaves_the_device() {
    let (tmp, mut alex, _sam) = couple();
    let journal = Journal::open(&ProfilePaths::new(tmp.path().join("alex")), alex.vault()).unwrap();
    let secret = "PRIVATE-MARKER-7f3a: what I did not say aloud";
    journal.add_entry(secret, now(3)).unwrap();
    journal
        .add_trigger("TRIGGER-MARKER-91c2 raised voices", now(3))
        .unwrap();
    propose(&mut alex, "Something shared", now(4));
    let (bundle, _) = alex.export_bundle(true, now(5)).unwrap();
    let haystack = String::from_utf8_lossy(&bundle);
    assert!(!haystack.contains("PRIVATE-MARKER"));
    assert!(!haystack.contains("TRIGGER-MARKER"));
    assert_eq!(journal.entries().unwrap()[0].text, secret);
    assert_eq!(journal.triggers().unwrap().len(), 1);
    // The journal lives in its own file, apart from the shared document.
    let paths = ProfilePaths::new(tmp.path().join("alex"));
    let shared = fs::read(paths.document_db()).unwrap();
    assert!(!String::from_utf8_lossy(&shared).contains("PRIVATE-MARKER"));
}

/// Words taken back from the journal are gone from the disk, not only from the list; the
/// rest of it (other entries, triggers) stays, and survives a reopen.
#[test]
fn an_edited_or_deleted_journal_entry_leaves_no_trace_in_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = ProfilePaths::new(tmp.path().join("alex"));
    let vault = Profile::init(&paths.dir, "Alex").unwrap().vault().clone();
    let mut journal = Journal::open(&paths, &vault).unwrap();
    let kept = journal.add_entry("KEPT-ENTRY stays", now(1)).unwrap();
    let edited = journal
        .add_entry("FIRST-WORDS-4b1e I wish I had not written", now(2))
        .unwrap();
    let gone = journal
        .add_entry("DELETED-WORDS-9c2d never again", now(3))
        .unwrap();
    journal.add_trigger("TRIGGER-KEPT", now(3)).unwrap();

    let changed = journal
        .edit_entry(&edited.id[..8], "softer words", now(4))
        .unwrap();
    assert_eq!(
        (changed.id.as_str(), changed.date.as_str()),
        (edited.id.as_str(), edited.date.as_str())
    );
    assert_eq!(changed.edited_at, Some(now(4).at_ms));
    journal.delete_entry(&gone.id).unwrap();
    let unknown = journal.delete_entry("zzzz").unwrap_err();
    assert!(unknown.to_string().contains("journal entry"), "{unknown}");
    drop(journal);

    let file = String::from_utf8_lossy(&fs::read(paths.private_db()).unwrap()).into_owned();
    assert!(
        !file.contains("FIRST-WORDS-4b1e"),
        "edited words left in the file"
    );
    assert!(
        !file.contains("DELETED-WORDS-9c2d"),
        "deleted words left in the file"
    );
    let journal = Journal::open(&paths, &vault).unwrap();
    let texts: Vec<String> = journal
        .entries()
        .unwrap()
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert_eq!(texts, ["softer words", kept.text.as_str()]);
    assert_eq!(journal.triggers().unwrap()[0].text, "TRIGGER-KEPT");
    assert!(!paths.dir.join("private.redb.rewrite").exists());
}

#[test]
fn a_bundle_from_another_couple_or_from_myself_is_refused() {
    let (_tmp, mut alex, mut sam) = couple();
    // Sealed for Sam, my own export does not even open here.
    let (mine, _) = alex.export_bundle(true, now(3)).unwrap();
    let err = alex.import_bundle(&mine, now(4)).unwrap_err();
    assert!(err.to_string().contains("not for this device"), "{err}");
    // An unsealed one (an older Trellis) is read, and refused as mine.
    let (mine, _) = alex.plain_bundle(true, now(3)).unwrap();
    let err = alex.import_bundle(&mine, now(4)).unwrap_err();
    assert!(err.to_string().contains("written by this profile"), "{err}");

    let (_tmp2, mut other_alex, _) = couple();
    let before = sam.status().unwrap();
    let (foreign, _) = other_alex.export_bundle(true, now(3)).unwrap();
    let err = sam.import_bundle(&foreign, now(4)).unwrap_err();
    assert!(err.to_string().contains("not for this device"), "{err}");
    let (foreign, _) = other_alex.plain_bundle(true, now(3)).unwrap();
    let err = sam.import_bundle(&foreign, now(4)).unwrap_err();
    assert!(err.to_string().contains("another couple"), "{err}");
    assert_eq!(sam.status().unwrap(), before);

    let err = sam
        .import_bundle(b"not a bundle at all", now(5))
        .unwrap_err();
    assert!(err.to_string().contains("not a Trellis bundle"), "{err}");
    let v = sam.view(now(6)).unwrap();
    assert_eq!(v.partner.name, "Alex");
    assert_eq!(v.attention.last().map(|a| a.record()), Some(None));
    let _ = Who::Me;
}

#[test]
fn a_second_process_may_read_while_the_app_writes() {
    let (tmp, mut alex, _sam) = couple();
    propose(&mut alex, "Visible to readers", now(3));
    let reader = Profile::open_for_reading(&tmp.path().join("alex")).unwrap();
    assert!(reader.is_read_only());
    let v = reader.view(now(4)).unwrap();
    assert_eq!(v.agreements.len(), 1);
    let mut reader = reader;
    let err = reader
        .act(&Action::Appreciate { text: "hi".into() }, now(5))
        .unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly(_)), "{err}");
    // The writer is unaffected.
    propose(&mut alex, "Still writing", now(6));
}

#[test]
fn wiping_removes_everything_trellis_wrote_and_nothing_else() {
    let (tmp, alex, _sam) = couple();
    let dir = alex.dir().to_path_buf();
    let paths = ProfilePaths::new(&dir);
    Journal::open(&paths, alex.vault()).unwrap();
    // The window's drafts hold unsaved words (a journal entry being typed, say).
    let drafts = paths.window_drafts();
    fs::write(&drafts, r#"{"journal":"what I could not say yet"}"#).unwrap();
    fs::write(drafts.with_extension("json.partial"), "{").unwrap();
    fs::write(drafts.with_extension("json.unreadable"), "x").unwrap();
    let mine = dir.join("my-notes.txt");
    fs::write(&mine, "not Trellis's").unwrap();

    let removed = alex.wipe().unwrap();
    assert_eq!(removed.len(), 8, "{removed:?}");
    let left: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("my-notes.txt")]);
    drop(tmp);
}

#[test]
fn joining_from_an_inviter_checks_the_couple_is_with_them_before_storing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut alex = Profile::init(&tmp.path().join("alex"), "Alex").unwrap();
    let mut sam = Profile::init(&tmp.path().join("sam"), "Sam").unwrap();
    let mallory = Profile::init(&tmp.path().join("mallory"), "Mallory").unwrap();
    alex.create_couple(&sam.card().unwrap(), now(0)).unwrap();
    let (bundle, _) = alex.export_bundle(false, now(1)).unwrap();
    let err = sam
        .import_from_inviter(&bundle, mallory.key(), now(2))
        .expect_err("the couple is with Alex, not with the inviter");
    assert!(err.to_string().contains("not with the partner"), "{err}");
    assert!(sam.couple().is_none());
    assert_eq!(sam.db().log_len().unwrap(), 0);
    let report = sam
        .import_from_inviter(&bundle, alex.key(), now(3))
        .unwrap();
    assert!(report.joined);
}

#[test]
fn changes_straight_from_the_partner_show_what_the_partner_holds_at_once() {
    let (_tmp, mut alex, mut sam) = couple();
    // Sam writes; Alex gets it by a bundle and writes on top of it.
    sam.act(
        &Action::Appreciate {
            text: "for the walk".into(),
        },
        now(3),
    )
    .unwrap();
    let (bundle, _) = sam.export_bundle(false, now(4)).unwrap();
    alex.import_bundle(&bundle, now(5)).unwrap();
    propose(&mut alex, "Evenings", now(6));
    let unseen = |p: &mut Profile| p.status().unwrap().couple.unwrap().not_yet_with_partner;
    assert_eq!(unseen(&mut sam), 1, "Sam has not heard back yet");

    // A live conversation: Alex's changes arrive in a frame, before Alex's sync message.
    let mut sam_session = sam.sync_session().unwrap();
    let mut alex_session = alex.sync_session().unwrap();
    let mut frames = 0;
    for _ in 0..10 {
        if let Some(out) = sam.sync_outgoing(&mut sam_session).unwrap() {
            if !out.changes.is_empty() {
                alex.receive_changes(&mut alex_session, out.changes, now(7))
                    .unwrap();
            }
            alex.sync_receive(&mut alex_session, &out.message, now(7))
                .unwrap();
        }
        if let Some(out) = alex.sync_outgoing(&mut alex_session).unwrap() {
            if !out.changes.is_empty() {
                frames += 1;
                sam.receive_changes(&mut sam_session, out.changes, now(8))
                    .unwrap();
                // Alex sent a change written on top of Sam's: Alex holds Sam's too.
                assert_eq!(unseen(&mut sam), 0, "counted before Alex's sync message");
            }
            sam.sync_receive(&mut sam_session, &out.message, now(8))
                .unwrap();
        }
    }
    assert_eq!(frames, 1, "Alex's proposal travelled in one frame");
}

/// Runs a live conversation between two profiles until neither has anything to send.
fn converse(a: &mut Profile, b: &mut Profile, at: Moment) {
    settled(a, b, at);
}

/// Starts a conversation between two profiles and runs it until it settles, as between two
/// running devices; returns it, to go on.
fn settled(a: &mut Profile, b: &mut Profile, at: Moment) -> (SyncSession, SyncSession) {
    let mut a_session = a.sync_session().unwrap();
    let mut b_session = b.sync_session().unwrap();
    until_quiet(a, &mut a_session, b, &mut b_session, at);
    (a_session, b_session)
}

/// Turns of a conversation until neither side has anything to send.
fn until_quiet(
    a: &mut Profile,
    a_session: &mut SyncSession,
    b: &mut Profile,
    b_session: &mut SyncSession,
    at: Moment,
) {
    for _ in 0..20 {
        let a_said = send(a, a_session, b, b_session, at);
        let b_said = send(b, b_session, a, a_session, at);
        if !a_said && !b_said {
            return;
        }
    }
    panic!("the conversation did not settle");
}

/// One turn of a conversation: whatever `from` has to say, `to` takes in.
fn send(
    from: &mut Profile,
    from_session: &mut SyncSession,
    to: &mut Profile,
    to_session: &mut SyncSession,
    at: Moment,
) -> bool {
    let Some(out) = from.sync_outgoing(from_session).unwrap() else {
        return false;
    };
    if !out.changes.is_empty() {
        to.receive_changes(to_session, out.changes, at).unwrap();
    }
    to.sync_receive(to_session, &out.message, at).unwrap();
    true
}

#[test]
fn a_change_sent_before_it_was_stored_and_then_lost_here_comes_back_from_the_partner() {
    let (tmp, mut alex, mut sam) = couple();
    converse(&mut alex, &mut sam, now(3));
    // What Alex's disk holds before the change: as if the device stopped after sending it
    // and before storing it.
    let alex_dir = tmp.path().join("alex");
    let before = tmp.path().join("alex-before");
    drop(alex);
    copy_dir(&alex_dir, &before);
    let mut alex = Profile::open(&alex_dir).unwrap();

    // A live conversation that has settled, as between two running devices.
    let (mut alex_session, mut sam_session) = settled(&mut alex, &mut sam, now(4));
    let mut sent = None;
    let made = alex
        .act_sending_first(
            &Action::Appreciate {
                text: "for the soup".into(),
            },
            now(4),
            |p| sent = p.sync_outgoing(&mut alex_session).unwrap(),
        )
        .unwrap();
    // The change went out signed, while the store did not hold it yet.
    let sent = sent.expect("the change was handed over before it was stored");
    assert_eq!(sent.changes.len(), 1);
    assert_eq!(
        sam.receive_changes(&mut sam_session, sent.changes, now(5))
            .unwrap(),
        1,
        "the partner verified and took it"
    );
    sam.sync_receive(&mut sam_session, &sent.message, now(5))
        .unwrap();
    drop(alex);

    // Alex's copy from before: the change is not there, and comes back from Sam.
    let mut alex = Profile::open(&before).unwrap();
    let has = |p: &Profile| {
        p.view(now(9))
            .unwrap()
            .appreciations
            .iter()
            .any(|a| a.id == made.record)
    };
    assert!(!has(&alex));
    converse(&mut alex, &mut sam, now(6));
    assert!(
        has(&alex),
        "the change signed here came back from the partner"
    );
    // And Alex writes on, which Sam takes: the lost change's place was not reused.
    alex.act(
        &Action::Appreciate {
            text: "for the tea".into(),
        },
        now(7),
    )
    .unwrap();
    converse(&mut alex, &mut sam, now(8));
    assert_eq!(sam.view(now(9)).unwrap().appreciations.len(), 2);
    assert_eq!(
        alex.status().unwrap().couple.unwrap().changes,
        sam.status().unwrap().couple.unwrap().changes
    );
}

#[test]
fn a_profile_that_cannot_write_sends_nothing_and_reads_what_the_writer_wrote_since() {
    let (tmp, mut alex, _sam) = couple();
    let mut reader = Profile::open_for_reading(&tmp.path().join("alex")).unwrap();
    assert!(reader.is_read_only());
    let confirmed = |p: &mut Profile| p.status().unwrap().couple.unwrap().safety_number_checked;
    assert!(!confirmed(&mut reader));
    let mut called = false;
    let made = reader.act_sending_first(
        &Action::Appreciate {
            text: "for the soup".into(),
        },
        now(4),
        |_| called = true,
    );
    assert!(matches!(made, Err(StoreError::ReadOnly(_))), "{made:?}");
    assert!(!called, "nothing was handed over");
    // The writer keeps what it wrote; a reader beside it reads the file afresh.
    alex.confirm_safety().unwrap();
    assert!(confirmed(&mut alex));
    assert!(
        confirmed(&mut reader),
        "the reader sees the writer's later write"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn changes_and_the_sync_message_after_them_are_taken_in_together_and_a_refused_message_keeps_the_changes()
 {
    let (tmp, mut alex, mut sam) = couple();
    let (mut alex_session, mut sam_session) = settled(&mut alex, &mut sam, now(3));
    let unseen = |p: &mut Profile| p.status().unwrap().couple.unwrap().not_yet_with_partner;

    // Sam writes on top of what Alex has; both arrive at Alex together.
    sam.act(
        &Action::Appreciate {
            text: "for the walk".into(),
        },
        now(4),
    )
    .unwrap();
    assert_eq!(unseen(&mut sam), 1);
    let out = sam.sync_outgoing(&mut sam_session).unwrap().unwrap();
    assert_eq!(out.changes.len(), 1);
    let taken = alex
        .receive_changes_and_sync(&mut alex_session, out.changes, &out.message, now(5))
        .unwrap();
    assert_eq!(taken, 1);
    assert_eq!(alex.view(now(6)).unwrap().appreciations.len(), 1);
    // What Alex learnt from the message was stored with the change: a conversation started
    // now resumes from it.
    assert_eq!(
        alex.sync_session().unwrap().saved_state(),
        alex_session.saved_state()
    );
    // Alex's answer says it holds Sam's change, and the conversation settles.
    send(
        &mut alex,
        &mut alex_session,
        &mut sam,
        &mut sam_session,
        now(6),
    );
    assert_eq!(unseen(&mut sam), 0);
    until_quiet(
        &mut alex,
        &mut alex_session,
        &mut sam,
        &mut sam_session,
        now(6),
    );
    assert!(alex.in_sync(&alex_session) && sam.in_sync(&sam_session));

    // A sync message that is refused: the verified changes before it are stored all the same.
    sam.act(
        &Action::Appreciate {
            text: "for the tea".into(),
        },
        now(7),
    )
    .unwrap();
    let out = sam.sync_outgoing(&mut sam_session).unwrap().unwrap();
    let refused = alex.receive_changes_and_sync(
        &mut alex_session,
        out.changes,
        b"not a sync message",
        now(8),
    );
    assert!(refused.is_err());
    drop(alex);
    let alex = Profile::open(&tmp.path().join("alex")).unwrap();
    assert_eq!(alex.view(now(9)).unwrap().appreciations.len(), 2);
}
