//! Apart in time as well as in space, through the `trellis` binary: Alex in Los Angeles, Sam
//! in Tokyo (seventeen hours apart), exchanging bundles.
//!
//! The tests run at whatever the real time is, so expected clock times and dates come from
//! an independent reader of the same zones: the system's `date` command with the same `TZ`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Datelike, Duration, Timelike, Utc};
use serde_json::Value;
use support::{Person, exchange};

const LA: &str = "America/Los_Angeles";
const TOKYO: &str = "Asia/Tokyo";

/// The lines of today's list, as `trellis show` says them.
fn today(person: &Person) -> Vec<String> {
    person
        .json(&["show"])
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| a["text"].as_str().expect("a line").to_string())
        .collect()
}

/// Alex (in `alex_tz`) and Sam (in Tokyo), a couple with each other's first bundle.
fn couple(root: &Path, alex_tz: &str) -> (Person, Person, PathBuf) {
    let alex = Person::new(root, "alex").in_zone(alex_tz);
    let sam = Person::new(root, "sam").in_zone(TOKYO);
    let bundle = root.join("bundle");
    alex.ok(&["init", "--name", "Alex"]);
    sam.ok(&["init", "--name", "Sam"]);
    let card = root.join("sam.card");
    sam.ok(&["card", "export", card.to_str().expect("UTF-8")]);
    alex.ok(&[
        "couple",
        "create",
        "--partner",
        card.to_str().expect("UTF-8"),
    ]);
    exchange(&alex, &sam, &bundle);
    (alex, sam, bundle)
}

/// An instant on a wall clock in `tz`, as the system's `date` reads it.
fn wall(tz: &str, at_ms: i64, format: &str) -> String {
    let out = Command::new("date")
        .env("TZ", tz)
        .arg("-d")
        .arg(format!("@{}", at_ms.div_euclid(1000)))
        .arg(format!("+{format}"))
        .output()
        .expect("the system's date command runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn checkin<'a>(list: &'a Value, author: &str) -> &'a Value {
    list.as_array()
        .expect("a list")
        .iter()
        .find(|c| c["author"] == author)
        .unwrap_or_else(|| panic!("no check-in by {author}: {list}"))
}

#[test]
fn a_check_in_across_the_date_line_folds_and_opens_by_the_exchange_without_a_nag() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let (alex, sam, bundle) = couple(tmp.path(), LA);

    sam.ok(&["checkin", "add", "--feel", "rested"]);
    exchange(&sam, &alex, &bundle);

    let list = alex.json(&["checkin", "list"]);
    let theirs = checkin(&list, "partner");
    let at = theirs["at"].as_i64().expect("a time");
    let sams_date = wall(TOKYO, at, "%F");
    assert_eq!(theirs["date"], sams_date.as_str(), "Sam's own calendar day");
    assert_eq!(theirs["folded"], true);
    let text = alex.ok(&["checkin", "list"]);
    assert!(
        text.contains(&format!("{sams_date} (Sam's date)")),
        "marked as Sam's day: {text}"
    );
    assert!(
        text.contains("Sam's check-in opens once you have written your own")
            && text.contains("It is not a secret: read it anyway with --unfold."),
        "the rule in one sentence, and the way to read it anyway: {text}"
    );
    if wall(LA, at, "%F") != sams_date {
        // Across the date line: Alex is told when it was written on Alex's own clock.
        assert!(
            text.contains(&format!("(written {} your time)", wall(LA, at, "%F %H:%M"))),
            "{text}"
        );
    }
    // It is not a secret.
    let unfolded = alex.json(&["checkin", "list", "--unfold"]);
    assert_eq!(checkin(&unfolded, "partner")["feel"], "rested");
    // No nag about a check-in Alex cannot read yet.
    assert!(
        !today(&alex).iter().any(|l| l.contains("has no answer")),
        "{:?}",
        today(&alex)
    );

    // Alex writes on Alex's own day, whatever day it is in Tokyo: that opens Sam's.
    alex.ok(&["checkin", "add", "--feel", "tired but close"]);
    let list = alex.json(&["checkin", "list"]);
    assert_eq!(checkin(&list, "partner")["folded"], false);
    let alexs = checkin(&list, "me");
    let alexs_date = wall(LA, alexs["at"].as_i64().expect("a time"), "%F");
    assert_eq!(alexs["date"], alexs_date.as_str());
    let nag = format!("Sam's check-in of {sams_date} (Sam's date) has no answer from you yet");
    assert!(today(&alex).contains(&nag), "{:?}", today(&alex));
    alex.ok(&[
        "checkin",
        "reply",
        checkin(&list, "partner")["id"].as_str().expect("an id"),
        "I hear you",
    ]);
    assert!(!today(&alex).iter().any(|l| l.contains("has no answer")));

    // Sam wrote minutes before Alex: the same exchange, so Alex's opens for Sam at once.
    exchange(&alex, &sam, &bundle);
    let list = sam.json(&["checkin", "list"]);
    let from_alex = checkin(&list, "partner");
    assert_eq!(from_alex["folded"], false);
    assert_eq!(from_alex["date"], alexs_date.as_str());
    let text = sam.ok(&["checkin", "list"]);
    assert!(
        text.contains(&format!("{alexs_date} (Alex's date)")),
        "{text}"
    );
    assert!(
        today(&sam).contains(&format!(
            "Alex's check-in of {alexs_date} (Alex's date) has no answer from you yet"
        )),
        "{:?}",
        today(&sam)
    );
}

#[test]
fn a_pause_is_told_on_each_readers_clock_and_on_its_authors() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let (alex, sam, bundle) = couple(tmp.path(), LA);

    let started = sam.ok(&["timeout", "--minutes", "30", "--note", "a walk"]);
    let back = back_at(&sam);
    let (in_tokyo, in_la) = (wall(TOKYO, back, "%H:%M"), wall(LA, back, "%H:%M"));
    assert!(
        started.contains(&format!("you are back at {in_tokyo}"))
            && started.contains("Alex sees the same moment in their own time"),
        "{started}"
    );
    let mine = line_starting(&sam, "You are on a pause, back ");
    assert!(
        mine.ends_with(&format!("at {in_tokyo} — “a walk”")),
        "{mine}"
    );

    exchange(&sam, &alex, &bundle);
    let theirs = line_starting(&alex, "Sam is on a pause, back ");
    assert!(
        theirs.ends_with(&format!(
            "at {in_la} your time · {in_tokyo} for Sam — “a walk”"
        )),
        "{theirs}"
    );
}

/// The return time of the pause on this person's list.
fn back_at(person: &Person) -> i64 {
    person
        .json(&["show"])
        .as_array()
        .expect("a list")
        .iter()
        .find(|a| a["kind"] == "time_out")
        .and_then(|a| a["back_at"].as_i64())
        .expect("a running pause")
}

fn line_starting(person: &Person, start: &str) -> String {
    let lines = today(person);
    lines
        .iter()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no “{start}…” in {lines:?}"))
        .clone()
}

#[test]
fn due_and_review_dates_are_the_authors_days_and_remind_on_each_readers_own() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let (alex, sam, bundle) = couple(tmp.path(), LA);
    let now = now_ms();
    let (sams_today, alexs_today) = (wall(TOKYO, now, "%F"), wall(LA, now, "%F"));

    let repair = alex.json(&[
        "repair",
        "open",
        "--what",
        "You were late again",
        "--landed",
        "I felt forgotten",
    ])["id"]
        .as_str()
        .expect("an id")
        .to_string();
    exchange(&alex, &sam, &bundle);
    sam.ok(&[
        "repair",
        "acknowledge",
        &repair[..8],
        "--acknowledgement",
        "I kept you waiting",
        "--regret",
        "I am sorry",
    ]);
    sam.ok(&[
        "repair",
        "commit",
        &repair[..8],
        "--wording",
        "Call when I will be late",
        "--due",
        "today",
    ]);
    let phones = sam.json(&[
        "agreement",
        "propose",
        "--title",
        "Phones at dinner",
        "--category",
        "communication",
        "--wording",
        "Phones stay in another room while we eat",
        "--review-on",
        "today",
    ])["id"]
        .as_str()
        .expect("an id")
        .to_string();
    exchange(&sam, &alex, &bundle);
    alex.ok(&["agreement", "accept", &phones[..8]]);
    exchange(&alex, &sam, &bundle);

    // "today" on Sam's side is Sam's Tokyo day; Alex reads it as Sam's.
    let repairs = alex.ok(&["repair", "list"]);
    assert!(
        repairs.contains(&format!("(by {sams_today} (Sam's date))")),
        "{repairs}"
    );
    assert!(
        repairs.contains(&format!("{alexs_today} — opened by You")),
        "{repairs}"
    );
    let mine = sam.ok(&["repair", "list"]);
    assert!(mine.contains(&format!("(by {sams_today})")), "{mine}");
    assert!(mine.contains(&format!("{alexs_today} (Alex's date) — opened by Alex")));

    // The reminders come on each reader's own calendar: Sam's today is the review day.
    let review = |date: &str| {
        format!("“Phones at dinner” was due for review on {date} — look at it together")
    };
    assert!(
        today(&sam).contains(&review(&sams_today)),
        "{:?}",
        today(&sam)
    );
    let on_alexs_list = today(&alex);
    if alexs_today < sams_today {
        // Still yesterday in Los Angeles: nothing is due for Alex yet.
        assert!(
            !on_alexs_list.iter().any(|l| l.contains("due for review")),
            "{on_alexs_list:?}"
        );
    } else {
        assert!(
            on_alexs_list.contains(&review(&format!("{sams_today} (Sam's date)"))),
            "{on_alexs_list:?}"
        );
    }
    // Sam's step is Sam's to note, on Sam's day; Alex is never asked about it.
    assert!(
        today(&sam)
            .iter()
            .any(|l| l.starts_with("Your commitment “Call when I will be late”")),
        "{:?}",
        today(&sam)
    );
    assert!(
        !on_alexs_list
            .iter()
            .any(|l| l.contains("Call when I will be late")),
        "{on_alexs_list:?}"
    );
}

/// A zone like Los Angeles (−07:00 in summer time, −08:00 after) whose clocks go back
/// `minutes` from now, written as a POSIX `TZ` rule; none in the first hours of a year,
/// where the rule cannot be written from January the 1st.
fn falling_back_in(minutes: i64) -> Option<String> {
    let fall_back = Utc::now() + Duration::minutes(minutes) - Duration::hours(7);
    let now_there = Utc::now() - Duration::hours(7);
    if fall_back.ordinal0() == 0 || fall_back.year() != now_there.year() {
        return None;
    }
    Some(format!(
        "XST8XDT,0/0,{}/{:02}:{:02}:{:02}",
        fall_back.ordinal0(),
        fall_back.hour(),
        fall_back.minute(),
        fall_back.second()
    ))
}

#[test]
fn a_pause_across_a_daylight_saving_change_comes_back_at_the_hour_it_said() {
    let Some(zone) = falling_back_in(60) else {
        eprintln!("skipped: a fall-back rule cannot be written this close to New Year");
        return;
    };
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let (alex, sam, bundle) = couple(tmp.path(), &zone);
    assert_eq!(wall(&zone, now_ms(), "%z"), "-0700", "summer time now");

    // Two hours: the clocks go back an hour into it.
    let started = alex.ok(&["timeout", "--minutes", "120"]);
    let back = back_at(&alex);
    assert_eq!(wall(&zone, back, "%z"), "-0800", "winter time by then");
    let on_alexs_clock = wall(&zone, back, "%H:%M");
    let at_todays_offset = (chrono::DateTime::from_timestamp_millis(back).expect("a time")
        - Duration::hours(7))
    .format("%H:%M")
    .to_string();
    assert_ne!(
        on_alexs_clock, at_todays_offset,
        "the change is inside the pause"
    );

    assert!(
        started.contains(&format!("you are back at {on_alexs_clock}")),
        "{started}"
    );
    let mine = line_starting(&alex, "You are on a pause, back ");
    assert!(mine.ends_with(&format!("at {on_alexs_clock}")), "{mine}");

    // Sam, in Tokyo, hears Alex's return time on both clocks — Alex's as Alex will read it.
    exchange(&alex, &sam, &bundle);
    let theirs = line_starting(&sam, "Alex is on a pause, back ");
    assert!(
        theirs.ends_with(&format!(
            "at {} your time · {on_alexs_clock} for Alex",
            wall(TOKYO, back, "%H:%M")
        )),
        "{theirs}"
    );

    // A check-in written in summer time keeps its day, and Sam reads it as Alex's.
    alex.ok(&["checkin", "add", "--feel", "steady"]);
    let list = alex.json(&["checkin", "list"]);
    let mine = checkin(&list, "me");
    let day = wall(&zone, mine["at"].as_i64().expect("a time"), "%F");
    assert_eq!(mine["date"], day.as_str());
    exchange(&alex, &sam, &bundle);
    let text = sam.ok(&["checkin", "list", "--unfold"]);
    assert!(text.contains(&format!("{day} (Alex's date)")), "{text}");
}
