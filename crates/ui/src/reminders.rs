//! Gentle reminders: only on this computer, only the kinds the person turned on, only about
//! their own practice. Never streaks, never a count of what was missed, never a word about
//! the partner — what is due is worked out from my own records alone.
//!
//! The window (or `trellis serve`) checks once a minute; each reminder is shown once
//! (remembered with the window's local drafts) as a desktop notification.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use trellis_core::Moment;
use trellis_core::view::{View, Who};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// A pause's end is worth a word only while it is fresh.
const PAUSE_FRESH_MS: i64 = 30 * 60 * 1000;
/// How many shown reminders are remembered (older ones can no longer come due).
const REMEMBERED: usize = 200;

/// Which reminders the person chose. All off unless turned on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ReminderChoices {
    /// A check-in rhythm, in days (0: no reminder).
    pub checkin_every_days: u32,
    /// On a commitment's day, when a note of mine would be timely.
    pub commitments: bool,
    /// When my own pause reaches the time I said I would be back.
    pub pause_end: bool,
    /// Reminders already shown (their keys), so each comes once.
    pub shown: Vec<String>,
}

/// One reminder: a key that makes it once-only, and the words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reminder {
    pub key: String,
    pub title: String,
    pub body: String,
}

/// What is due now and not shown yet.
pub(crate) fn due(view: &View, choices: &ReminderChoices, now: Moment) -> Vec<Reminder> {
    if view.ended.is_some() {
        return Vec::new();
    }
    let shown: BTreeSet<&str> = choices.shown.iter().map(String::as_str).collect();
    let today = now.today().to_string();
    let mut out = Vec::new();
    if choices.checkin_every_days > 0 {
        let last = view
            .checkins
            .iter()
            .filter(|c| c.author == Who::Me)
            .map(|c| c.at)
            .max();
        let every = i64::from(choices.checkin_every_days) * DAY_MS;
        if last.is_none_or(|at| now.at_ms - at >= every) {
            out.push(Reminder {
                key: format!("checkin:{today}"),
                title: "A check-in, when you're ready".into(),
                body: "The rhythm you chose in Trellis. Only if it feels right today.".into(),
            });
        }
    }
    if choices.commitments {
        let mine = view
            .repairs
            .iter()
            .flat_map(|r| &r.commitments)
            .filter(|c| c.owner == Who::Me && c.open && c.due_now);
        for c in mine {
            out.push(Reminder {
                key: format!("commitment:{}:{today}", c.id),
                title: "A moment for what you committed to".into(),
                body: c.wording.clone(),
            });
        }
    }
    if choices.pause_end {
        let ending = view.timeouts.iter().filter(|t| {
            t.who == Who::Me
                && t.ended_at.is_none()
                && t.back_at <= now.at_ms
                && now.at_ms - t.back_at < PAUSE_FRESH_MS
        });
        for t in ending {
            out.push(Reminder {
                key: format!("pause:{}", t.id),
                title: "Your pause is at its end".into(),
                body: "You said you would be back about now. Take the time you need.".into(),
            });
        }
    }
    out.retain(|r| !shown.contains(r.key.as_str()));
    out
}

/// Remembers that `reminders` were shown.
pub(crate) fn mark_shown(choices: &mut ReminderChoices, reminders: &[Reminder]) {
    choices
        .shown
        .extend(reminders.iter().map(|r| r.key.clone()));
    let excess = choices.shown.len().saturating_sub(REMEMBERED);
    choices.shown.drain(..excess);
}

/// Shows the reminders as desktop notifications, off the window's thread. A desktop with no
/// notification service shows nothing, and nothing else happens.
pub(crate) fn notify(reminders: Vec<Reminder>) {
    if reminders.is_empty() {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("trellis-reminders".into())
        .spawn(move || {
            for r in reminders {
                let _ = notify_rust::Notification::new()
                    .appname("Trellis")
                    .summary(&r.title)
                    .body(&r.body)
                    .show();
            }
        });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use trellis_core::{Action, CheckInDraft};
    use trellis_store::Profile;

    const T: i64 = 1_790_000_000_000;
    const MINUTE: i64 = 60_000;

    fn at(ms: i64) -> Moment {
        Moment::new(ms, 0)
    }

    /// Alex and Sam, a couple through bundles; Sam's changes reach Alex with `share`.
    fn couple(dir: &std::path::Path) -> (Profile, Profile) {
        let mut alex = Profile::init(&dir.join("alex"), "Alex").unwrap();
        let mut sam = Profile::init(&dir.join("sam"), "Sam").unwrap();
        alex.create_couple(&sam.card().unwrap(), at(T)).unwrap();
        let (bundle, _) = alex.export_bundle(false, at(T)).unwrap();
        sam.import_bundle(&bundle, at(T)).unwrap();
        (alex, sam)
    }

    fn share(from: &mut Profile, to: &mut Profile, now: i64) {
        let (bundle, _) = from.export_bundle(true, at(now)).unwrap();
        to.import_bundle(&bundle, at(now)).unwrap();
    }

    fn checkin(p: &mut Profile, now: i64) {
        let draft = CheckInDraft {
            feel: "steady".into(),
            ..Default::default()
        };
        p.act(&Action::AddCheckIn(draft), at(now)).unwrap();
    }

    fn keys(p: &Profile, choices: &ReminderChoices, now: i64) -> Vec<String> {
        let view = p.view(at(now)).unwrap();
        due(&view, choices, at(now))
            .into_iter()
            .map(|r| r.key.split(':').next().unwrap().to_string())
            .collect()
    }

    #[test]
    fn nothing_is_reminded_unless_chosen_and_only_ever_my_own_practice() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut alex, mut sam) = couple(tmp.path());
        let none = ReminderChoices::default();
        assert!(keys(&alex, &none, T).is_empty(), "a reminder nobody chose");

        let every_two = ReminderChoices {
            checkin_every_days: 2,
            pause_end: true,
            ..Default::default()
        };
        // No check-in of mine yet: one is due. My partner's check-ins do not count for me.
        assert_eq!(keys(&alex, &every_two, T), ["checkin"]);
        checkin(&mut sam, T + MINUTE);
        share(&mut sam, &mut alex, T + MINUTE);
        assert_eq!(keys(&alex, &every_two, T + 2 * MINUTE), ["checkin"]);
        checkin(&mut alex, T + 3 * MINUTE);
        assert!(keys(&alex, &every_two, T + DAY_MS).is_empty());
        assert_eq!(
            keys(&alex, &every_two, T + 3 * MINUTE + 2 * DAY_MS),
            ["checkin"]
        );

        // Shown once: not again the same day.
        let later = T + 3 * MINUTE + 2 * DAY_MS;
        let view = alex.view(at(later)).unwrap();
        let mut choices = every_two.clone();
        let shown = due(&view, &choices, at(later));
        mark_shown(&mut choices, &shown);
        assert!(due(&view, &choices, at(later + MINUTE)).is_empty());

        // My pause's end, when it comes; never my partner's.
        let pause = |minutes| Action::StartTimeOut {
            minutes,
            note: None,
        };
        sam.act(&pause(10), at(later)).unwrap();
        share(&mut sam, &mut alex, later);
        alex.act(&pause(20), at(later)).unwrap();
        let keys_now = |p: &Profile, now| {
            let view = p.view(at(now)).unwrap();
            due(&view, &choices, at(now))
                .into_iter()
                .map(|r| r.key.split(':').next().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert!(
            keys_now(&alex, later + 11 * MINUTE).is_empty(),
            "the partner's pause"
        );
        assert_eq!(keys_now(&alex, later + 21 * MINUTE), ["pause"]);
        assert!(
            keys_now(&alex, later + 2 * 60 * MINUTE).is_empty(),
            "a stale pause end"
        );
    }

    #[test]
    fn serve_shows_the_chosen_reminders_once_and_remembers_them_in_the_sealed_drafts() {
        let tmp = tempfile::tempdir().unwrap();
        let (alex, _sam) = couple(tmp.path());
        let dir = alex.dir().to_path_buf();
        let vault = alex.vault().clone();
        let view = alex.view(at(T)).unwrap();
        assert_eq!(
            crate::drafts::remind_from_serve(&dir, &vault, &view, at(T)),
            0,
            "none chosen"
        );
        let mut drafts = crate::drafts::Drafts::load(&dir, &vault);
        drafts.reminders.checkin_every_days = 2;
        let path = trellis_store::ProfilePaths::new(&dir).window_drafts();
        vault
            .write_file(&path, &serde_json::to_vec(&drafts).unwrap())
            .unwrap();
        assert_eq!(
            crate::drafts::remind_from_serve(&dir, &vault, &view, at(T)),
            1
        );
        assert_eq!(
            crate::drafts::remind_from_serve(&dir, &vault, &view, at(T + MINUTE)),
            0,
            "shown twice"
        );
        let on_disk = std::fs::read(&path).unwrap();
        assert!(
            !on_disk.windows(7).any(|w| w == b"checkin"),
            "drafts left unsealed"
        );
    }
}
