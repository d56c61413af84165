//! Everything a person has typed and not yet seen saved.
//!
//! Form text lives here, apart from the document's view, so a sync that arrives mid-typing
//! never touches it. A form is cleared only when the node confirms its action
//! (`Event::Done` with the matching request id). The drafts are written to a small file in
//! the profile folder by a thread of their own whenever they change, so a crash costs
//! nothing typed either.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use serde::{Deserialize, Serialize};
use trellis_store::Vault;

/// The file, inside the profile folder (named by the store, which wipes it with the rest).
fn drafts_file(dir: &Path) -> PathBuf {
    trellis_store::ProfilePaths::new(dir).window_drafts()
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct CheckInForm {
    pub feel: String,
    pub when: String,
    pub went_well: String,
    pub was_hard: String,
    /// `Need::as_str()`.
    pub need: String,
    /// `ResponseMode::as_str()`.
    pub response: String,
    pub with_scales: bool,
    pub safety: u8,
    pub trust: u8,
    pub connection: u8,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ProposalForm {
    pub open: bool,
    pub title: String,
    /// `Category::as_str()`.
    pub category: String,
    pub wording: String,
    pub if_crossed: String,
    pub review_on: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct RevisionForm {
    pub open: bool,
    pub wording: String,
    pub if_crossed: String,
    pub review_on: String,
    /// How many versions the agreement had when I started writing (0: not noted yet): one
    /// more arriving from my partner meanwhile is said in the form, my words kept.
    #[serde(skip_serializing_if = "is_zero")]
    pub versions_seen: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct RepairForm {
    pub open: bool,
    pub what_happened: String,
    pub how_it_landed: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct AckForm {
    pub acknowledgement: String,
    pub regret: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct CommitmentForm {
    pub wording: String,
    /// `Cadence::as_str()`.
    pub cadence: String,
    pub due: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ReportForm {
    /// `Outcome::as_str()`.
    pub outcome: String,
    pub note: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct PauseForm {
    pub minutes: u32,
    pub note: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ExportForm {
    pub markdown_path: String,
    /// `Section::name()` of the chosen sections.
    pub sections: Vec<String>,
    pub since: String,
    pub until: String,
    pub bundle_path: String,
    pub bundle_all: bool,
    pub import_path: String,
    /// A mailbox's one-time code, as pasted.
    pub mailbox_code: String,
    /// A carrier folder, as typed.
    pub carrier_folder: String,
}

/// Every form of the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Drafts {
    pub appreciation: String,
    pub pause: PauseForm,
    pub checkin: CheckInForm,
    /// Reply text by check-in id.
    pub replies: BTreeMap<String, String>,
    pub proposal: ProposalForm,
    /// By agreement id.
    pub revisions: BTreeMap<String, RevisionForm>,
    pub repair: RepairForm,
    /// By repair id.
    pub acknowledgements: BTreeMap<String, AckForm>,
    /// By repair id.
    pub commitments: BTreeMap<String, CommitmentForm>,
    /// By commitment id.
    pub reports: BTreeMap<String, ReportForm>,
    /// By report id.
    pub report_acks: BTreeMap<String, String>,
    /// A word back for an appreciation, by appreciation id.
    pub thanks: BTreeMap<String, String>,
    pub journal: String,
    pub trigger: String,
    pub join_code: String,
    pub export: ExportForm,
    /// "system", "light" or "dark".
    pub theme: String,
    /// Minutes without a touch before a locked profile's window locks itself (None: the
    /// default; 0: never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_after_minutes: Option<u32>,
    /// "small", "normal" (or empty), "large" or "larger": the size of all text.
    pub text_size: String,
    /// Black on white (or white on black), every control outlined.
    pub high_contrast: bool,
    /// The reminders chosen (all off unless turned on), and those already shown.
    pub reminders: crate::reminders::ReminderChoices,
    /// The window's size and place when last seen (this computer only).
    pub window: Option<crate::place::WindowPlace>,
    /// Using Trellis alone for now (not paired): the journal and Settings are open.
    pub alone: bool,
    /// When I last left Today (ms since the epoch; 0: never): what my partner wrote after
    /// it is "new since you last looked". This device's own memory; it never syncs.
    pub last_looked_ms: i64,
}

/// Which form an action came from, so its text can be cleared once the node confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum FormKey {
    Appreciation,
    Pause,
    CheckIn,
    Reply(String),
    Proposal,
    Revision(String),
    Repair,
    Acknowledgement(String),
    Commitment(String),
    Report(String),
    ReportAck(String),
    Thanks(String),
    Journal,
    Trigger,
    JoinCode,
    /// Actions with no text to keep (accept, retire, close, end a pause, exports).
    Other(String),
}

impl Drafts {
    /// Forgets a form's text: its action is saved.
    pub(crate) fn clear(&mut self, key: &FormKey) {
        match key {
            FormKey::Appreciation => self.appreciation.clear(),
            FormKey::Pause => self.pause.note.clear(),
            FormKey::CheckIn => self.checkin = CheckInForm::default(),
            FormKey::Reply(id) => {
                self.replies.remove(id);
            }
            FormKey::Proposal => self.proposal = ProposalForm::default(),
            FormKey::Revision(id) => {
                self.revisions.remove(id);
            }
            FormKey::Repair => self.repair = RepairForm::default(),
            FormKey::Acknowledgement(id) => {
                self.acknowledgements.remove(id);
            }
            FormKey::Commitment(id) => {
                self.commitments.remove(id);
            }
            FormKey::Report(id) => {
                self.reports.remove(id);
            }
            FormKey::ReportAck(id) => {
                self.report_acks.remove(id);
            }
            FormKey::Thanks(id) => {
                self.thanks.remove(id);
            }
            FormKey::Journal => self.journal.clear(),
            FormKey::Trigger => self.trigger.clear(),
            FormKey::JoinCode => self.join_code.clear(),
            FormKey::Other(_) => {}
        }
    }

    /// Reads the drafts file (off the window's thread); an unreadable file is set aside,
    /// never silently lost.
    pub(crate) fn load(dir: &Path, vault: &Vault) -> Drafts {
        let path = drafts_file(dir);
        let parsed = match vault.read_file(&path) {
            Ok(None) => return Drafts::default(),
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok(),
            Err(_) => None,
        };
        parsed.unwrap_or_else(|| {
            let _ = std::fs::rename(&path, path.with_extension("json.unreadable"));
            Drafts::default()
        })
    }
}

/// Writes drafts on a thread of its own, the newest only, completely or not at all.
#[derive(Debug)]
pub(crate) struct DraftStore {
    tx: Option<mpsc::Sender<String>>,
    last: String,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DraftStore {
    /// The drafts are sealed with the profile key, as every file of the profile is.
    pub(crate) fn start(dir: PathBuf, current: &Drafts, vault: Vault) -> DraftStore {
        let (tx, rx) = mpsc::channel::<String>();
        let thread = std::thread::Builder::new()
            .name("trellis-drafts".into())
            .spawn(move || {
                while let Ok(mut text) = rx.recv() {
                    // Only the newest version matters.
                    while let Ok(newer) = rx.try_recv() {
                        text = newer;
                    }
                    let _ = vault.write_file(&drafts_file(&dir), text.as_bytes());
                }
            })
            .ok();
        DraftStore {
            tx: thread.as_ref().map(|_| tx),
            last: serde_json::to_string(current).unwrap_or_default(),
            thread,
        }
    }

    /// Hands the drafts to the writer if they changed since the last call.
    pub(crate) fn save_if_changed(&mut self, drafts: &Drafts) {
        let Ok(text) = serde_json::to_string(drafts) else {
            return;
        };
        if text != self.last {
            if let Some(tx) = &self.tx {
                let _ = tx.send(text.clone());
            }
            self.last = text;
        }
    }

    /// Writes what is pending and waits for the writer (when the window closes).
    pub(crate) fn finish(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for DraftStore {
    fn drop(&mut self) {
        self.finish();
    }
}

/// For `trellis serve`: the reminders chosen in the window's Settings that are due now,
/// shown as notifications and remembered as shown (in the window's local drafts, sealed
/// like every file of the profile). Returns how many were shown.
pub fn remind_from_serve(
    dir: &std::path::Path,
    vault: &trellis_store::Vault,
    view: &trellis_core::View,
    now: trellis_core::Moment,
) -> usize {
    let mut drafts = Drafts::load(dir, vault);
    let reminders = crate::reminders::due(view, &drafts.reminders, now);
    if reminders.is_empty() {
        return 0;
    }
    crate::reminders::mark_shown(&mut drafts.reminders, &reminders);
    if let Ok(text) = serde_json::to_vec(&drafts) {
        let path = trellis_store::ProfilePaths::new(dir).window_drafts();
        let _ = vault.write_file(&path, &text);
    }
    let shown = reminders.len();
    crate::reminders::notify(reminders);
    shown
}
