//! The window's top level: opening the profile, first run, then the practice.

use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use std::time::Instant;

use trellis_net::NetworkMode;
use trellis_store::LockChoice;
use zeroize::Zeroizing;

use crate::error::capital;
use crate::lock_state::{NewLock, wait_after};
use crate::screens;
use crate::session::Session;
use crate::starter::{self, Opened, Start};

/// Where the window is in its life.
#[derive(Debug)]
pub(crate) enum Phase {
    /// The profile is being opened (or created) off the window's thread.
    Opening {
        rx: mpsc::Receiver<Opened>,
        /// The name a first run is creating the profile with (None: opening one).
        creating: Option<String>,
    },
    /// No profile yet: the first-run welcome.
    Welcome {
        name: String,
        problem: Option<String>,
        lock: NewLock,
        /// The recovery phrase being typed, when the person is coming back after losing
        /// their computer (None: a new person).
        phrase: Option<Zeroizing<String>>,
    },
    /// The profile is locked with a passphrase: nothing opens until it is typed.
    Locked {
        passphrase: String,
        problem: Option<String>,
        wait_until: Option<Instant>,
    },
    Open(Box<Session>),
    Failed(String),
}

/// The whole app. `show` draws one frame into any `Ui` (the real window or a test harness).
pub struct TrellisApp {
    pub(crate) phase: Phase,
    pub(crate) profile_dir: PathBuf,
    pub(crate) mode: Option<NetworkMode>,
    pub(crate) repaint: Arc<dyn Fn() + Send + Sync>,
    /// The reading choices the style was last made with (None: not yet styled).
    styled: Option<crate::theme::Looks>,
    theme: String,
    /// Wrong passphrases in a row at the lock screen.
    wrong_tries: u32,
    /// The name to offer again on the welcome screen (after a pairing was undone).
    welcome_name: String,
    /// The window title last asked for: "Trellis — Sam" once the profile is open, so two
    /// windows on one screen (the demo, or a shared computer) are told apart.
    title: String,
}

impl std::fmt::Debug for TrellisApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrellisApp")
            .field("phase", &self.phase)
            .field("profile_dir", &self.profile_dir)
            .finish_non_exhaustive()
    }
}

impl TrellisApp {
    /// Starts opening the profile at `profile_dir` in the background. `repaint` wakes the
    /// window (it is called from other threads).
    pub fn new(
        profile_dir: PathBuf,
        mode: Option<NetworkMode>,
        repaint: Arc<dyn Fn() + Send + Sync>,
    ) -> Self {
        let rx = starter::open(
            profile_dir.clone(),
            mode.clone(),
            Start::Open(None),
            repaint.clone(),
        );
        Self {
            phase: Phase::Opening { rx, creating: None },
            profile_dir,
            mode,
            repaint,
            styled: None,
            theme: String::new(),
            wrong_tries: 0,
            title: String::new(),
            welcome_name: String::new(),
        }
    }

    /// The open session, once the profile is open.
    pub fn session(&self) -> Option<&Session> {
        match &self.phase {
            Phase::Open(s) => Some(s),
            _ => None,
        }
    }

    pub fn session_mut(&mut self) -> Option<&mut Session> {
        match &mut self.phase {
            Phase::Open(s) => Some(s),
            _ => None,
        }
    }

    /// The window title asked for last (empty before the profile is open).
    pub fn window_title(&self) -> &str {
        &self.title
    }

    /// A short word for where the app is: "opening", "welcome", "open", "failed".
    pub fn phase_name(&self) -> &'static str {
        match self.phase {
            Phase::Opening { .. } => "opening",
            Phase::Welcome { .. } => "welcome",
            Phase::Locked { .. } => "locked",
            Phase::Open(_) => "open",
            Phase::Failed(_) => "failed",
        }
    }

    /// Creates the profile with this name (first run), off the window's thread.
    pub(crate) fn create_profile(&mut self, name: String, lock: LockChoice) {
        let rx = starter::open(
            self.profile_dir.clone(),
            self.mode.clone(),
            Start::Create {
                name: name.clone(),
                lock,
            },
            self.repaint.clone(),
        );
        self.phase = Phase::Opening {
            rx,
            creating: Some(name),
        };
    }

    /// Creates a profile for the identity in `phrase` (a lost computer), off the window's
    /// thread; the pairing screen then joins the partner's invite.
    pub(crate) fn recover_profile(&mut self, phrase: Zeroizing<String>, lock: LockChoice) {
        let rx = starter::open(
            self.profile_dir.clone(),
            self.mode.clone(),
            Start::Recover { phrase, lock },
            self.repaint.clone(),
        );
        self.phase = Phase::Opening {
            rx,
            creating: Some(String::new()),
        };
    }

    /// Opens the locked profile with this passphrase, off the window's thread.
    pub(crate) fn unlock(&mut self, passphrase: Zeroizing<String>) {
        let rx = starter::open(
            self.profile_dir.clone(),
            self.mode.clone(),
            Start::Open(Some(passphrase)),
            self.repaint.clone(),
        );
        self.phase = Phase::Opening { rx, creating: None };
    }

    fn poll_opening(&mut self) {
        let Phase::Opening { rx, creating } = &self.phase else {
            return;
        };
        let creating = creating.clone();
        let opened = match rx.try_recv() {
            Ok(o) => o,
            Err(mpsc::TryRecvError::Empty) => return,
            Err(mpsc::TryRecvError::Disconnected) => {
                Opened::Failed("the profile could not be opened".into())
            }
        };
        self.phase = match opened {
            Opened::Node(node, drafts, vault) => {
                self.wrong_tries = 0;
                Phase::Open(Box::new(Session::new(
                    *node,
                    *drafts,
                    vault,
                    self.repaint.clone(),
                )))
            }
            Opened::NoProfile => Phase::Welcome {
                name: std::mem::take(&mut self.welcome_name),
                problem: None,
                lock: NewLock::default(),
                phrase: None,
            },
            Opened::Locked => Phase::Locked {
                passphrase: String::new(),
                problem: None,
                wait_until: None,
            },
            Opened::WrongPassphrase(e) => {
                self.wrong_tries += 1;
                Phase::Locked {
                    passphrase: String::new(),
                    problem: Some(capital(&e)),
                    wait_until: Some(Instant::now() + wait_after(self.wrong_tries)),
                }
            }
            // A first run that could not create the profile goes back to the name, with
            // the reason next to it: never a dead end.
            Opened::Failed(e) => match creating {
                Some(name) => Phase::Welcome {
                    // A recovery (no name yet) goes back to its phrase field.
                    phrase: name.is_empty().then(|| Zeroizing::new(String::new())),
                    name,
                    problem: Some(e),
                    lock: NewLock::default(),
                },
                None => Phase::Failed(e),
            },
        };
    }

    /// Undoes a pairing whose safety numbers did not match: closes the profile, deletes
    /// it (off the window's thread) and goes back to the welcome, the name offered again.
    fn start_again(&mut self) {
        let (tx, rx) = mpsc::channel();
        let opening = Phase::Opening { rx, creating: None };
        let Phase::Open(mut session) = std::mem::replace(&mut self.phase, opening) else {
            return;
        };
        self.welcome_name = session.snap.name.clone();
        self.title.clear();
        let dir = self.profile_dir.clone();
        let repaint = self.repaint.clone();
        let spawned = std::thread::Builder::new()
            .name("trellis-start-again".into())
            .spawn(move || {
                session.close();
                drop(session);
                let wiped = trellis_store::Profile::open(&dir).and_then(|p| p.wipe());
                let _ = tx.send(match wiped {
                    Ok(_) => Opened::NoProfile,
                    Err(e) => Opened::Failed(format!("the pairing could not be undone: {e}")),
                });
                repaint();
            });
        if let Err(e) = spawned {
            self.phase = Phase::Failed(format!("the pairing could not be undone: {e}"));
        }
    }

    /// Draws one frame.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let looks = match &self.phase {
            Phase::Open(s) => {
                crate::theme::Looks::from_drafts(&s.drafts.text_size, s.drafts.high_contrast)
            }
            _ => self.styled.unwrap_or_default(),
        };
        if self.styled != Some(looks) {
            crate::theme::install(&ctx, looks);
            self.styled = Some(looks);
        }
        self.poll_opening();
        if let Phase::Open(s) = &mut self.phase {
            screens::lock::tick(&ctx, s);
            s.tick(&ctx);
            screens::backup::continue_backup(s);
            let zoom = ctx.zoom_factor();
            let seen = ctx.input(|i| crate::place::observed(i.viewport(), zoom));
            if seen.is_some() && seen != s.drafts.window {
                s.drafts.window = seen;
            }
            let title = format!("Trellis — {}", s.snap.name);
            if title != self.title && !s.snap.name.is_empty() {
                ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
                self.title = title;
            }
            if s.drafts.theme != self.theme {
                self.theme = s.drafts.theme.clone();
                ctx.set_theme(crate::theme::preference(&self.theme));
            }
        }
        match &mut self.phase {
            Phase::Opening { creating, .. } => {
                let creating = creating.is_some();
                screens::welcome::opening(ui, creating);
            }
            Phase::Welcome { .. } => screens::welcome::show(ui, self),
            Phase::Locked {
                passphrase,
                problem,
                wait_until,
            } => {
                if let Some(words) = screens::lock::locked_before_open(
                    ui,
                    passphrase,
                    problem.as_deref(),
                    *wait_until,
                ) {
                    self.unlock(words);
                }
            }
            Phase::Failed(message) => screens::welcome::failed(ui, message),
            Phase::Open(s) => screens::shell::show(ui, s),
        }
        if matches!(&self.phase, Phase::Open(s) if s.pairing.start_again) {
            self.start_again();
        }
    }

    /// Stops the node and writes the drafts.
    pub fn close(&mut self) {
        if let Phase::Open(s) = &mut self.phase {
            s.close();
        }
    }
}

impl eframe::App for TrellisApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
        // Times on screen ("back at 21:30", the date) stay true without input.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(30));
    }

    fn on_exit(&mut self) {
        self.close();
    }
}

impl Drop for TrellisApp {
    fn drop(&mut self) {
        self.close();
    }
}
