//! One open profile: the node's handle, what the screens show, and what is in flight.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use egui::{Key, KeyboardShortcut, Modifiers, Response};
use trellis_core::Action;
use trellis_core::view::HistoryEntry;
use trellis_core::words::count;
use trellis_net::{Command, Event, NodeHandle, RequestId, Snapshot};

use crate::drafts::{DraftStore, Drafts, FormKey};
use crate::journal_worker::JournalWorker;
use crate::screens::Screen;

/// Ctrl+Enter (Cmd+Enter on a Mac): save the form being typed in.
pub(crate) const SAVE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter);
/// Ctrl+K: write an appreciation.
pub(crate) const APPRECIATE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::K);
/// Ctrl+P: take a pause.
pub(crate) const PAUSE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::P);

/// A message for the person: what just happened, or what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    pub text: String,
    pub problem: bool,
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
    pub last_invite_closed: Option<String>,
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
    /// The last good news, shown quietly in the status line.
    pub(crate) last_done: Option<String>,
    pub(crate) history: HistoryState,
    pub(crate) pairing: PairingState,
    pub(crate) t: Transient,
    pub(crate) submit_pressed: bool,
    pub(crate) today: String,
    imports: Option<mpsc::Receiver<Result<Vec<u8>, String>>>,
    pub(crate) repaint: Arc<dyn Fn() + Send + Sync>,
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
        repaint: Arc<dyn Fn() + Send + Sync>,
    ) -> Self {
        let snap = node.snapshot();
        let dir = snap.profile_dir.clone();
        let store = DraftStore::start(dir.clone(), &drafts);
        let journal = JournalWorker::start(dir, repaint.clone());
        Self {
            node,
            snap,
            screen: Screen::Today,
            drafts,
            store,
            journal,
            pending: HashMap::new(),
            notices: Vec::new(),
            last_done: None,
            history: HistoryState::default(),
            pairing: PairingState::default(),
            t: Transient {
                checkins_shown: 20,
                appreciations_shown: 30,
                today_shown: 12,
                repairs_shown: 8,
                ..Default::default()
            },
            submit_pressed: false,
            today: crate::clock::now().today().to_string(),
            imports: None,
            repaint,
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

    pub(crate) fn problem(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.notices.retain(|n| n.text != text);
        self.notices.push(Notice {
            text,
            problem: true,
        });
        if self.notices.len() > 4 {
            self.notices.remove(0);
        }
    }

    /// Takes in the node's news. Called at the start of every frame; never waits.
    pub(crate) fn tick(&mut self, ctx: &egui::Context) {
        self.snap = self.node.snapshot();
        self.submit_pressed = ctx.input_mut(|i| i.consume_shortcut(&SAVE));
        for event in self.node.poll_events() {
            self.on_event(event);
        }
        for (_, entry) in self.journal.poll() {
            let key = if entry {
                FormKey::Journal
            } else {
                FormKey::Trigger
            };
            self.drafts.clear(&key);
            self.last_done = Some(if entry {
                "Written in your private journal".into()
            } else {
                "Added to your private list of triggers".into()
            });
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
            Event::Done { message, .. } => {
                if let Some(key) = &key {
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
                self.last_done = Some(message);
            }
            Event::Failed { error, .. } => {
                if id == self.pairing.invite_request {
                    self.pairing.invite_request = None;
                }
                if id == self.pairing.join_request {
                    self.pairing.join_request = None;
                }
                self.problem(error);
            }
            Event::History { entries, .. } => {
                if id == self.history.request {
                    self.history.request = None;
                }
                self.history.entries = Some(Arc::new(entries));
                self.history.loaded_at_revision = self.snap.revision;
            }
            Event::Imported { report, .. } => {
                self.last_done = Some(format!(
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
                self.last_done = Some(format!(
                    "All {} changes verified again from the first one",
                    report.changes
                ));
            }
            Event::MailboxVisited { state, .. } => {
                self.last_done = Some(match state {
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
                self.pairing.paired = Some((partner, safety_number));
                self.screen = Screen::Today;
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
        self.store.save_if_changed(&self.drafts);
        self.store.finish();
        self.node.shutdown();
    }
}

/// What tests and the binary may look at.
impl Session {
    /// The node's handle (to send commands directly).
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
        crate::screens::shell::go(self, screen);
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
