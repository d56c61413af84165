//! End to end: two profiles driven only through the `trellis` binary.

mod support;

use serde_json::Value;
use support::{Person, exchange};

#[test]
fn two_partners_agree_through_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = Person::new(tmp.path(), "alex");
    let sam = Person::new(tmp.path(), "sam");
    let bundle = tmp.path().join("bundle.trellis");

    alex.ok(&["init", "--name", "Alex"]);
    sam.ok(&["init", "--name", "Sam"]);
    let card = tmp.path().join("sam-card.json");
    sam.ok(&["card", "export", card.to_str().unwrap()]);
    alex.ok(&["couple", "create", "--partner", card.to_str().unwrap()]);
    exchange(&alex, &sam, &bundle);

    // Both see the same safety number.
    let a = alex.json(&["safety-number"]);
    let s = sam.json(&["safety-number"]);
    assert_eq!(a["safety_number"], s["safety_number"]);
    assert_eq!(a["safety_number"].as_str().unwrap().len(), 35);

    let proposed = alex.json(&[
        "agreement",
        "propose",
        "--title",
        "Phones at dinner",
        "--category",
        "communication",
        "--wording",
        "Phones stay in the other room during dinner",
    ]);
    let id = proposed["id"].as_str().unwrap().to_string();
    exchange(&alex, &sam, &bundle);
    let list = sam.json(&["agreement", "list"]);
    assert_eq!(list[0]["status"], "proposed");
    sam.ok(&["agreement", "accept", &id[..8]]);
    exchange(&sam, &alex, &bundle);

    for person in [&alex, &sam] {
        let list = person.json(&["agreement", "list"]);
        assert_eq!(list[0]["id"], id.as_str());
        assert_eq!(list[0]["status"], "in_force", "{list}");
    }
    let status = alex.json(&["status"]);
    assert_eq!(status["couple"]["not_yet_with_partner"], 0);
    assert_eq!(status["couple"]["partner_name"], "Sam");

    // The log shows who did what, every change verified.
    let log = sam.json(&["log"]);
    let entries = log.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| e["verified"] == true));
    assert_eq!(entries[2]["author_name"], "Sam");
    assert!(
        entries[1]["message"]
            .as_str()
            .unwrap()
            .contains("Phones at dinner")
    );
    let verified = alex.json(&["verify"]);
    assert_eq!(verified["changes"], 3);
}

#[test]
fn the_whole_practice_from_the_command_line_and_an_export_without_the_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = Person::new(tmp.path(), "alex");
    let sam = Person::new(tmp.path(), "sam");
    let bundle = tmp.path().join("b");
    alex.ok(&["init", "--name", "Alex"]);
    sam.ok(&["init", "--name", "Sam"]);
    let card = tmp.path().join("alex.card");
    alex.ok(&["card", "export", card.to_str().unwrap()]);
    sam.ok(&["couple", "create", "--partner", card.to_str().unwrap()]);
    exchange(&sam, &alex, &bundle);

    let repair = sam.json(&[
        "repair",
        "open",
        "--what",
        "You read my messages",
        "--landed",
        "I felt watched",
    ])["id"]
        .as_str()
        .unwrap()
        .to_string();
    sam.ok(&[
        "checkin",
        "add",
        "--feel",
        "raw",
        "--when",
        "I remember it",
        "--need",
        "reassurance",
        "--safety",
        "4",
        "--trust",
        "3",
    ]);
    exchange(&sam, &alex, &bundle);
    alex.ok(&[
        "repair",
        "acknowledge",
        &repair[..8],
        "--acknowledgement",
        "I read your messages without asking",
        "--regret",
        "I am sorry I made you feel watched",
    ]);
    let commitment = alex.json(&[
        "repair",
        "commit",
        &repair[..8],
        "--wording",
        "Ask before I look at anything of yours",
        "--cadence",
        "weekly",
    ])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let report = alex.json(&[
        "commitment",
        "report",
        &commitment[..8],
        "--outcome",
        "kept",
    ])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let thanks = alex.json(&["appreciate", "Thank you for telling me how it landed"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Mine is not mine to thank for.
    assert!(alex.fails(&["thank", &thanks[..8]]).contains("addressed"));
    alex.ok(&["timeout", "--minutes", "30", "--note", "back after a walk"]);
    alex.ok(&["journal", "add", "JOURNAL-SECRET-5521 I was scared"]);
    alex.ok(&["journal", "trigger", "TRIGGER-SECRET-8812 being ignored"]);
    exchange(&alex, &sam, &bundle);
    let raw = std::fs::read(&bundle).unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("SECRET"));

    sam.ok(&[
        "commitment",
        "acknowledge",
        &report[..8],
        "--note",
        "I noticed",
    ]);
    let show = sam.ok(&["show"]);
    assert!(show.contains("Alex is on a pause"), "{show}");
    sam.ok(&["thank", &thanks[..8], "--text", "It helped"]);

    let md = tmp.path().join("for-therapist.md");
    alex.ok(&["export", "--markdown", md.to_str().unwrap()]);
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("I read your messages without asking"));
    assert!(text.contains("Ask before I look at anything of yours"));
    assert!(text.contains("I feel raw when I remember it"));
    assert!(
        !text.contains("SECRET"),
        "the journal never appears in an export"
    );
    let only = tmp.path().join("only.md");
    alex.ok(&[
        "export",
        "--markdown",
        only.to_str().unwrap(),
        "--sections",
        "appreciations",
    ]);
    let text = std::fs::read_to_string(&only).unwrap();
    assert!(text.contains("Thank you for telling me"));
    assert!(!text.contains("I read your messages"));

    let journal = alex.json(&["journal", "list"]);
    assert_eq!(journal.as_array().unwrap().len(), 1);
}

#[test]
fn wrong_input_gets_one_line_and_a_failing_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = Person::new(tmp.path(), "alex");
    let sam = Person::new(tmp.path(), "sam");
    assert!(alex.fails(&["status"]).contains("trellis init"));
    alex.ok(&["init", "--name", "Alex"]);
    sam.ok(&["init", "--name", "Sam"]);
    assert!(
        alex.fails(&["init", "--name", "Again"])
            .contains("already exists")
    );
    assert!(
        alex.fails(&["appreciate", "hi"])
            .contains("not part of a couple")
    );
    let card = tmp.path().join("sam.card");
    sam.ok(&["card", "export", card.to_str().unwrap()]);
    alex.ok(&["couple", "create", "--partner", card.to_str().unwrap()]);
    let bundle = tmp.path().join("b");
    exchange(&alex, &sam, &bundle);

    assert!(
        alex.fails(&["agreement", "accept", "ffffffff"])
            .contains("no agreement")
    );
    assert!(
        alex.fails(&["checkin", "add", "--feel", "ok", "--trust", "11"])
            .contains("1 to 10")
    );
    assert!(
        alex.fails(&["checkin", "add", "--feel", "ok", "--date", "22/11/2026"])
            .contains("YYYY-MM-DD")
    );
    assert!(
        alex.fails(&[
            "agreement",
            "propose",
            "--title",
            "x",
            "--category",
            "vibes",
            "--wording",
            "y"
        ])
        .contains("not a category")
    );
    assert!(
        alex.fails(&[
            "agreement",
            "propose",
            "--title",
            "Location",
            "--category",
            "transparency",
            "--wording",
            "We share locations",
        ])
        .contains("review date")
    );
    // Acting on the partner's record.
    let own = sam.json(&["checkin", "add", "--feel", "fine"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        sam.fails(&["checkin", "reply", &own[..8], "I hear me"])
            .contains("your own check-in")
    );
    let bad = tmp.path().join("garbage");
    std::fs::write(&bad, b"not a bundle").unwrap();
    assert!(
        sam.fails(&["bundle", "import", bad.to_str().unwrap()])
            .contains("not a Trellis bundle")
    );
    assert!(
        sam.fails(&["bundle", "import", "/nonexistent/file"])
            .contains("could not read")
    );
    assert!(sam.fails(&["frobnicate"]).contains("unrecognized"));
}

#[test]
fn unpairing_keeps_a_readable_copy_and_wiping_needs_a_yes() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = Person::new(tmp.path(), "alex");
    let sam = Person::new(tmp.path(), "sam");
    alex.ok(&["init", "--name", "Alex"]);
    sam.ok(&["init", "--name", "Sam"]);
    let card = tmp.path().join("sam.card");
    sam.ok(&["card", "export", card.to_str().unwrap()]);
    alex.ok(&["couple", "create", "--partner", card.to_str().unwrap()]);
    alex.ok(&["appreciate", "For the good years"]);
    let bundle = tmp.path().join("b");
    exchange(&alex, &sam, &bundle);

    alex.ok(&["unpair", "--note", "Thank you"]);
    assert!(alex.fails(&["appreciate", "again"]).contains("read-only"));
    // Still readable, and the ending travels like any change.
    assert!(alex.ok(&["status"]).contains("Sam"));
    exchange(&alex, &sam, &bundle);
    assert!(
        sam.fails(&["appreciate", "hello?"])
            .contains("Alex ended this shared space")
    );
    let status = sam.json(&["status"]);
    assert_eq!(status["couple"]["ended"], true);

    assert!(alex.fails(&["unpair", "--wipe"]).contains("--yes"));
    let wiped = alex.json(&["unpair", "--wipe", "--yes"]);
    assert_eq!(
        wiped["wiped"].as_array().unwrap().len(),
        4,
        "couple.redb, device.key, vault.json, identity.key"
    );
    assert!(!alex.dir.exists() || std::fs::read_dir(&alex.dir).unwrap().next().is_none());
}

#[test]
fn bundles_are_sealed_and_an_older_couple_adds_the_partners_card() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = Person::new(tmp.path(), "alex");
    let sam = Person::new(tmp.path(), "sam");
    alex.ok(&["init", "--name", "Alex"]);
    sam.ok(&["init", "--name", "Sam"]);
    let full = tmp.path().join("sam.card");
    sam.ok(&["card", "export", full.to_str().unwrap()]);
    // The card an older Trellis made: no sealing key.
    let mut card: Value = serde_json::from_slice(&std::fs::read(&full).unwrap()).unwrap();
    let fields = card.as_object_mut().unwrap();
    assert!(fields.remove("seal").is_some() && fields.remove("seal_certificate").is_some());
    let old = tmp.path().join("sam-old.card");
    std::fs::write(&old, card.to_string()).unwrap();
    alex.ok(&["couple", "create", "--partner", old.to_str().unwrap()]);

    let bundle = tmp.path().join("b");
    let b = bundle.to_str().unwrap();
    let err = alex.fails(&["bundle", "export", b]);
    assert!(err.contains("trellis card add"), "{err}");
    assert!(!bundle.exists(), "nothing unsealed was written");

    let stranger = Person::new(tmp.path(), "stranger");
    stranger.ok(&["init", "--name", "Sam"]);
    let other = tmp.path().join("other.card");
    stranger.ok(&["card", "export", other.to_str().unwrap()]);
    assert!(
        alex.fails(&["card", "add", other.to_str().unwrap()])
            .contains("not Sam's")
    );
    assert!(
        alex.ok(&["card", "add", full.to_str().unwrap()])
            .contains("sealed")
    );
    let said = alex.ok(&["bundle", "export", b]);
    assert!(said.contains("only Sam's device can open it"), "{said}");
    let joined = sam.ok(&["bundle", "import", b]);
    assert!(joined.contains("You joined"), "{joined}");
    // Alex's own file is not for Alex's device.
    assert!(
        alex.fails(&["bundle", "import", b])
            .contains("not for this device")
    );
}

/// Each mistake gets the sentence a person needs: which argument is missing, what a pause's
/// length may be, how to find a partner, and why a period cannot be exported.
#[test]
fn mistakes_get_the_sentence_a_person_needs() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = Person::new(tmp.path(), "alex");

    // Before there is a profile.
    let missing = alex.fails(&["init"]);
    assert!(missing.contains("--name"), "{missing}");
    assert!(missing.contains("trellis init --help"), "{missing}");
    let network = alex.fails(&["network", "loopback"]);
    assert!(network.contains("trellis init --name"), "{network}");

    alex.ok(&["init", "--name", "Alex"]);
    let missing = alex.fails(&["agreement", "propose", "--title", "x"]);
    assert!(missing.contains("--category"), "{missing}");
    assert!(
        missing.contains("trellis agreement propose --help"),
        "{missing}"
    );
    let negative = alex.fails(&["timeout", "--minutes", "-5"]);
    assert!(
        negative.contains("a pause lasts from 1 minute to 24 hours"),
        "{negative}"
    );
    let word = alex.fails(&["timeout", "--minutes", "soon"]);
    assert!(word.contains("is not a number of minutes"), "{word}");

    // Not paired yet: the ways to a partner, as the window offers them.
    let alone = alex.ok(&["status"]);
    assert!(
        alone.contains("trellis invite") && alone.contains("trellis join"),
        "{alone}"
    );
    let no_couple = alex.fails(&["agreement", "list"]);
    assert!(no_couple.contains("trellis invite"), "{no_couple}");

    let out = tmp.path().join("export.md");
    let backwards = alex.fails(&[
        "export",
        "--markdown",
        out.to_str().unwrap(),
        "--since",
        "2026-05-01",
        "--until",
        "2026-04-01",
    ]);
    assert!(backwards.contains("swap the two dates"), "{backwards}");
    assert!(!out.exists(), "nothing written");
}
