//! One open profile: the node's handle, what the screens show, and what is in flight.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use egui::{Key, KeyboardShortcut, Modifiers, Response};
use trellis_core::Action;
use trellis_core::view::HistoryEntry;
use trellis_core::words::count;
use trellis_net::{Command, Event, NodeHandle, RequestId, Snapshot};
use trellis_store::Vault;

use crate::drafts::{DraftStore, Drafts, FormKey};
use crate::journal_worker::{JobKind, JournalWorker};
use crate::screens::Screen;

/// Ctrl+Enter (Cmd+Enter on a Mac): save the form being typed in.
pub(crate) const SAVE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter);
/// Ctrl+K: write an appreciation.
pub(crate) const APPRECIATE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::K);
/// Ctrl+P: take a pause.
pub(crate) const PAUSE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::P);

/// Something that went wrong, until the person dismisses it or what it was about succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    pub text: String,
    /// The form whose action failed (None: not about one form, e.g. an import).
    pub about: Option<FormKey>,
}

/// Good news, said quietly in the status line for a few seconds.
#[derive(Debug, Clone)]
pub(crate) struct Done {
    pub text: String,
    pub at: std::time::Instant,
}

impl Done {
    /// How long good news stays: long enough to read, short enough never to go stale.
    pub(crate) const SHOWN_FOR: std::time::Duration = std::time::Duration::from_secs(8);

    /// How much longer it is shown, if at all.
    pub(crate) fn left(&self, now: std::time::Instant) -> Option<std::time::Duration> {
        Self::SHOWN_FOR.checked_sub(now.saturating_duration_since(self.at))
    }
}

/// The signed timeline, loaded on request.
#[derive(Debug, Default)]
pub(crate) struct HistoryState {
    pub entries: Option<Arc<Vec<HistoryEntry>>>,
    pub request: Option<RequestId>,
    pub loaded_at_revision: u64,
}

/// The pairing screens' state.
#[derive(Debug, Default)]
pub(crate) struct PairingState {
    pub invite_request: Option<RequestId>,
    pub join_request: Option<RequestId>,
    /// (partner, safety number) from the moment of pairing.
    pub paired: Option<(String, String)>,
    /// "Later" on the safety-number screen, for this session.
    pub safety_later: bool,
    pub last_invite_closed: Option<trellis_net::InviteEnd>,
    /// "They don't match" was chosen on the safety-number screen: the way out is shown.
    pub mismatch: bool,
    /// "Undo this pairing and start again" was confirmed: the window closes this profile,
    /// deletes it and goes back to the welcome (see `TrellisApp::show`).
    pub start_again: bool,
}

/// State of screens that is not worth keeping across a restart.
#[derive(Debug, Default)]
pub(crate) struct Transient {
    /// Folded check-ins opened anyway.
    pub shown_anyway: HashSet<String>,
    pub checkins_shown: usize,
    pub appreciations_shown: usize,
    pub appreciation_open: bool,
    pub pause_open: bool,
    pub focus_appreciation: bool,
    /// Commitment forms opened, by repair id.
    pub commitment_open: HashSet<String>,
    pub network_choice: Option<trellis_net::NetworkMode>,
    pub relay_url: String,
    pub import_reading: bool,
    /// The check-in form opened again after today's check-in.
    pub checkin_open: bool,
    /// How many of today's items, open repairs, and agreements per category are laid out
    /// (long lists grow on request, so years of history stay fast).
    pub today_shown: usize,
    pub repairs_shown: usize,
    pub agreements_shown: HashMap<String, usize>,
    /// Ending the shared space: the optional words, and the "I understand" box.
    pub end_note: String,
    pub end_understood: bool,
    /// The journal entry being rewritten: its id and the words so far.
    pub journal_editing: Option<(String, String)>,
    /// The journal entry whose deletion waits for "Delete for good".
    pub journal_deleting: Option<String>,
    /// Today lists what my partner wrote after this instant (ms): the last time I left it.
    pub new_since: i64,
    /// The recovery phrase, while Settings shows it (never kept longer; dropped on lock).
    pub recovery_phrase: Option<zeroize::Zeroizing<String>>,
    pub recovery_problem: Option<String>,
    /// The backup form: where to, and its passphrase twice (never printed).
    pub backup_path: String,
    pub backup_pass: trellis_net::Hidden<zeroize::Zeroizing<String>>,
    pub backup_again: trellis_net::Hidden<zeroize::Zeroizing<String>>,
    /// A backup waiting for the journal's bytes: the file and its passphrase.
    pub backup_waiting: Option<(PathBuf, trellis_net::Hidden<zeroize::Zeroizing<String>>)>,
    pub backup_problem: Option<String>,
}

/// Everything the window knows about one open profile.
pub struct Session {
    pub(crate) node: NodeHandle,
    pub(crate) snap: Arc<Snapshot>,
    pub(crate) screen: Screen,
    pub(crate) drafts: Drafts,
    pub(crate) store: DraftStore,
    pub(crate) journal: JournalWorker,
    pub(crate) pending: HashMap<RequestId, FormKey>,
    pub(crate) notices: Vec<Notice>,
    /// The forms drawn this frame and the last: a form's problems are said inside it, and
    /// only those whose form is not on screen go to the banner above the page.
    forms_drawn: HashSet<FormKey>,
    pub(crate) forms_drawn_last: HashSet<FormKey>,
    /// The last good news, shown quietly in the status line for a few seconds.
    pub(crate) last_done: Option<Done>,
    pub(crate) history: HistoryState,
    pub(crate) pairing: PairingState,
    pub(crate) t: Transient,
    pub(crate) submit_pressed: bool,
    pub(crate) today: String,
    imports: Option<mpsc::Receiver<Result<Vec<u8>, String>>>,
    pub(crate) repaint: Arc<dyn Fn() + Send + Sync>,
    /// The profile's keys (for a change of lock, and to check an unlock against).
    pub(crate) vault: Vault,
    pub(crate) lock: crate::lock_state::SessionLock,
    /// When the reminders were last worked out (once a minute).
    reminders_checked: Option<std::time::Instant>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("screen", &self.screen)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(
        node: NodeHandle,
        drafts: Drafts,
        vault: Vault,
        repaint: Arc<dyn Fn() + Send + Sync>,
    ) -> Self {
        let snap = node.snapshot();
        let dir = snap.profile_dir.clone();
        let store = DraftStore::start(dir.clone(), &drafts, vault.clone());
        let journal = JournalWorker::start(dir, vault.clone(), repaint.clone());
        let lock = crate::lock_state::SessionLock::default();
        let new_since = match drafts.last_looked_ms {
            // Never looked on this device: nothing older than this window counts as new.
            0 => crate::clock::now().at_ms,
            at => at,
        };
        Self {
            node,
            snap,
            screen: Screen::Today,
            drafts,
            store,
            journal,
            pending: HashMap::new(),
            notices: Vec::new(),
            forms_drawn: HashSet::new(),
            forms_drawn_last: HashSet::new(),
            last_done: None,
            history: HistoryState::default(),
            pairing: PairingState::default(),
            t: Transient {
                checkins_shown: 20,
                appreciations_shown: 30,
                today_shown: 12,
                repairs_shown: 8,
                new_since,
                ..Default::default()
            },
            submit_pressed: false,
            today: crate::clock::now().today().to_string(),
            imports: None,
            repaint,
            vault,
            lock,
            reminders_checked: None,
        }
    }

    /// The profile folder.
    pub(crate) fn dir(&self) -> PathBuf {
        self.snap.profile_dir.clone()
    }

    /// The partner's name, or "your partner" before pairing.
    pub(crate) fn partner_name(&self) -> String {
        self.snap
            .view
            .as_ref()
            .map(|v| v.partner.name.clone())
            .unwrap_or_else(|| "your partner".into())
    }

    /// The shared space was ended (by either of us): this copy is read-only, and nothing
    /// that writes is offered any more.
    pub(crate) fn ended(&self) -> Option<trellis_core::view::EndedView> {
        self.snap.view.as_ref().and_then(|v| v.ended.clone())
    }

    /// Sends one action; its form keeps its text until the node confirms it.
    pub(crate) fn act(&mut self, action: Action, key: FormKey) -> RequestId {
        self.send(Command::Act(action), key)
    }

    pub(crate) fn send(&mut self, command: Command, key: FormKey) -> RequestId {
        let id = self.node.send(command);
        self.pending.insert(id, key);
        id
    }

    /// An action from this form is in flight.
    pub(crate) fn busy(&self, key: &FormKey) -> bool {
        self.pending.values().any(|k| k == key)
    }

    pub(crate) fn any_busy(&self) -> bool {
        !self.pending.is_empty() || !self.journal.pending.is_empty()
    }

    /// Ctrl+Enter was pressed while one of these fields had the keyboard.
    pub(crate) fn submitted(&self, fields: &[&Response]) -> bool {
        self.submit_pressed && fields.iter().any(|r| r.has_focus())
    }

    /// Ctrl+Enter was pressed while the keyboard was anywhere in the form laid out in `ui`
    /// from the height `top` down (a field, a choice, a slider, a date, a button).
    pub(crate) fn submitted_in(&self, ui: &egui::Ui, top: f32) -> bool {
        if !self.submit_pressed {
            return false;
        }
        let drawn = ui.min_rect();
        let form = egui::Rect::from_min_max(egui::pos2(drawn.left(), top), drawn.max);
        let ctx = ui.ctx();
        ctx.memory(|m| m.focused())
            .and_then(|id| ctx.read_response(id))
            .is_some_and(|r| form.contains(r.rect.center()))
    }

    pub(crate) fn problem(&mut self, text: impl Into<String>) {
        self.problem_about(None, text);
    }

    /// A problem with what `about` sent: it goes when that form's next action succeeds.
    pub(crate) fn problem_about(&mut self, about: Option<FormKey>, text: impl Into<String>) {
        let text = text.into();
        self.notices.retain(|n| n.text != text);
        self.notices.push(Notice { text, about });
        if self.notices.len() > 4 {
            self.notices.remove(0);
        }
    }

    /// Says, inside the form `key`, what went wrong with it; it stays out of the banner
    /// above the page, so the Save button never moves away from the pointer.
    pub(crate) fn form_problems(&mut self, ui: &mut egui::Ui, key: &FormKey) {
        self.forms_drawn.insert(key.clone());
        let color = crate::theme::palette(ui).problem;
        let mut dismiss = None;
        for (i, n) in self.notices.iter().enumerate() {
            if n.about.as_ref() == Some(key) {
                ui.horizontal_wrapped(|ui| {
                    ui.label(egui::RichText::new(&n.text).color(color));
                    if ui.small_button("Dismiss").clicked() {
                        dismiss = Some(i);
                    }
                });
            }
        }
        if let Some(i) = dismiss {
            self.notices.remove(i);
        }
    }

    /// Whether a problem is said inside its form (drawn last frame) rather than above.
    pub(crate) fn said_in_form(&self, notice: &Notice) -> bool {
        notice
            .about
            .as_ref()
            .is_some_and(|k| self.forms_drawn_last.contains(k))
    }

    /// Good news, for the status line.
    pub(crate) fn done(&mut self, text: impl Into<String>) {
        self.last_done = Some(Done {
            text: text.into(),
            at: std::time::Instant::now(),
        });
    }

    /// Takes in the node's news. Called at the start of every frame; never waits.
    pub(crate) fn tick(&mut self, ctx: &egui::Context) {
        self.snap = self.node.snapshot();
        self.remind(ctx);
        self.forms_drawn_last = std::mem::take(&mut self.forms_drawn);
        self.submit_pressed = ctx.input_mut(|i| i.consume_shortcut(&SAVE));
        for event in self.node.poll_events() {
            self.on_event(event);
        }
        for (_, kind) in self.journal.poll() {
            match kind {
                JobKind::Entry => {
                    self.drafts.clear(&FormKey::Journal);
                    self.done("Written in your private journal");
                }
                JobKind::Trigger => {
                    self.drafts.clear(&FormKey::Trigger);
                    self.done("Added to your private list of triggers");
                }
                JobKind::Edit => {
                    self.t.journal_editing = None;
                    self.done("Changed; the old words are gone from this computer");
                }
                JobKind::Delete => {
                    self.t.journal_deleting = None;
                    self.done("Deleted for good from this computer");
                }
                // Its bytes are in `for_backup`, taken just below.
                JobKind::Backup => {}
            }
        }
        if let Some(rx) = &self.imports
            && let Ok(read) = rx.try_recv()
        {
            self.imports = None;
            self.t.import_reading = false;
            match read {
                Ok(bytes) => {
                    self.send(
                        Command::ImportBundle(bytes),
                        FormKey::Other("import".into()),
                    );
                }
                Err(e) => self.problem(e),
            }
        }
        let today = crate::clock::now().today().to_string();
        if today != self.today {
            // A new day: today's list and the check-in invitation change.
            self.today = today;
            self.node.send(Command::Refresh);
        }
        self.store.save_if_changed(&self.drafts);
    }

    fn on_event(&mut self, event: Event) {
        let id = trellis_net::event_id(&event);
        let key = id.and_then(|id| self.pending.remove(&id));
        match event {
            Event::Done { outcome, .. } => {
                if let Some(key) = &key {
                    // What went wrong with this form before is over now.
                    self.notices.retain(|n| n.about.as_ref() != Some(key));
                    self.drafts.clear(key);
                    if *key == FormKey::Proposal {
                        self.drafts.proposal.open = false;
                    }
                    if *key == FormKey::CheckIn {
                        self.t.checkin_open = false;
                    }
                }
                if id == self.pairing.invite_request {
                    self.pairing.invite_request = None;
                    return;
                }
                if id == self.pairing.join_request {
                    self.pairing.join_request = None;
                }
                self.done(outcome.to_string());
            }
            Event::Failed { error, .. } => {
                if id == self.pairing.invite_request {
                    self.pairing.invite_request = None;
                }
                if id == self.pairing.join_request {
                    self.pairing.join_request = None;
                }
                self.problem_about(key, crate::error::failure_words(&error));
            }
            Event::History { entries, .. } => {
                if id == self.history.request {
                    self.history.request = None;
                }
                self.history.entries = Some(Arc::new(entries));
                self.history.loaded_at_revision = self.snap.revision;
            }
            Event::Imported { report, .. } => {
                self.done(format!(
                    "Imported {} from {}{}",
                    count(report.new_changes, "new change", "new changes"),
                    self.partner_name(),
                    if report.waiting > 0 {
                        format!("; {} wait for earlier ones this copy lacks", report.waiting)
                    } else {
                        String::new()
                    }
                ));
            }
            Event::Verified { report, .. } => {
                self.done(format!(
                    "All {} changes verified again from the first one",
                    report.changes
                ));
            }
            Event::MailboxVisited { state, .. } => {
                self.done(match state {
                    Some(st) if st.problem.is_none() => "Visited the mailbox".to_string(),
                    Some(_) => "The mailbox visit did not finish (see Settings)".to_string(),
                    None => "This couple has no mailbox".to_string(),
                });
            }
            Event::SyncFinished { .. } | Event::Synced(_) | Event::Connected { .. } => {}
            Event::Disconnected { .. } | Event::InviteOpen { .. } => {}
            Event::InviteClosed { reason } => self.pairing.last_invite_closed = Some(reason),
            Event::Paired {
                partner,
                safety_number,
            } => {
                // Whatever went wrong on the way to pairing is over.
                self.notices.clear();
                if self.snap.view.is_some() {
                    // Already paired: the partner came back on a new computer (same
                    // identities, so the same safety number).
                    self.done(format!(
                        "{partner} is back, on a new computer; their old one can no longer \
                         sync with you"
                    ));
                } else {
                    self.pairing.paired = Some((partner, safety_number));
                    self.screen = Screen::Today;
                }
            }
            Event::Problem { message } => self.problem(message),
        }
    }

    /// Reads a bundle file on a short-lived thread, then hands it to the node.
    pub(crate) fn import_file(&mut self, path: PathBuf) {
        let repaint = self.repaint.clone();
        let (tx, rx) = mpsc::channel();
        self.t.import_reading = true;
        let spawned = std::thread::Builder::new()
            .name("trellis-import".into())
            .spawn(move || {
                let read = trellis_store::read_bundle_file(&path).map_err(|e| e.to_string());
                let _ = tx.send(read);
                repaint();
            });
        match spawned {
            Ok(_) => self.imports = Some(rx),
            Err(e) => {
                self.t.import_reading = false;
                self.problem(format!("could not read the file: {e}"));
            }
        }
    }

    /// Closes the node and writes the last drafts (the window is closing).
    pub(crate) fn close(&mut self) {
        if self.screen == Screen::Today {
            self.drafts.last_looked_ms = crate::clock::now().at_ms;
        }
        self.store.save_if_changed(&self.drafts);
        self.store.finish();
        self.node.shutdown();
    }
}

/// What tests and the binary may look at.
impl Session {
    /// The node's handle (to send commands directly).
    /// Once a minute: the reminders the person chose that are due, shown once each. While
    /// the window is locked they say nothing of what they are about.
    fn remind(&mut self, ctx: &egui::Context) {
        const EVERY: std::time::Duration = std::time::Duration::from_secs(60);
        if self.reminders_checked.is_some_and(|t| t.elapsed() < EVERY) {
            return;
        }
        self.reminders_checked = Some(std::time::Instant::now());
        ctx.request_repaint_after(EVERY);
        let Some(view) = self.snap.view.as_ref() else {
            return;
        };
        let mut due = crate::reminders::due(view, &self.drafts.reminders, crate::clock::now());
        crate::reminders::mark_shown(&mut self.drafts.reminders, &due);
        if self.lock.locked {
            for r in &mut due {
                r.body = "Open Trellis to see it.".into();
            }
        }
        crate::reminders::notify(due);
    }

    /// The profile's unlocked keys.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    pub fn node(&self) -> &NodeHandle {
        &self.node
    }

    /// The latest snapshot the window drew.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snap.clone()
    }

    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// Switches to `screen`, as the navigation does.
    pub fn go(&mut self, screen: Screen) {
        if self.screen == Screen::Today && screen != Screen::Today {
            // Everything Today showed has been looked at.
            self.drafts.last_looked_ms = crate::clock::now().at_ms;
        } else if self.screen != Screen::Today
            && screen == Screen::Today
            && self.drafts.last_looked_ms > 0
        {
            self.t.new_since = self.drafts.last_looked_ms;
        }
        self.screen = screen;
        match screen {
            Screen::History => self.request_history(),
            Screen::Journal => self.journal.load(),
            _ => {}
        }
    }

    /// Asks the node for the signed history, unless the one loaded is still current.
    pub(crate) fn request_history(&mut self) {
        let stale =
            self.history.entries.is_none() || self.history.loaded_at_revision != self.snap.revision;
        if self.history.request.is_none() && stale {
            self.history.request = Some(self.node.send(Command::LoadHistory));
        }
    }

    /// The journal entries the window has loaded (newest first).
    pub fn journal_texts(&self) -> Vec<String> {
        self.journal
            .entries
            .iter()
            .map(|e| e.text.clone())
            .collect()
    }

    /// The appreciation being typed.
    pub fn appreciation_draft(&self) -> &str {
        &self.drafts.appreciation
    }

    /// Actions sent and not yet confirmed.
    pub fn in_flight(&self) -> usize {
        self.pending.len() + self.journal.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::Done;

    #[test]
    fn good_news_is_shown_for_a_few_seconds_then_never_again() {
        let at = Instant::now();
        let done = Done {
            text: "agreed".into(),
            at,
        };
        assert_eq!(done.left(at), Some(Done::SHOWN_FOR));
        assert_eq!(
            done.left(at + Duration::from_secs(3)),
            Some(Done::SHOWN_FOR - Duration::from_secs(3))
        );
        assert_eq!(
            done.left(at + Done::SHOWN_FOR + Duration::from_millis(1)),
            None
        );
        assert_eq!(done.left(at + Duration::from_secs(600)), None);
    }
}
