//! The boundary between the node and whoever drives it (the window, the command line).
//!
//! Commands go in without blocking; the latest snapshot is always readable; events come out
//! in order. Nothing here needs an async runtime on the caller's side.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use trellis_core::Action;
use trellis_core::view::{HistoryEntry, View};
use trellis_store::{ImportReport, Status, VerifyReport};

use crate::error::NetError;
use crate::mode::NetworkMode;
use crate::reply::{Failure, Outcome};

/// Identifies one command, so its outcome can be matched to it.
pub type RequestId = u64;

/// A value a command carries that is never printed (a passphrase, a journal's bytes).
#[derive(Clone, Default)]
pub struct Hidden<T>(pub T);

impl<T> std::fmt::Debug for Hidden<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(hidden)")
    }
}

/// What the node can be asked to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Write the whole profile to one file sealed with `passphrase` (see
    /// `trellis_store::backup`), with the journal's bytes as the window's journal thread
    /// read them.
    Backup {
        path: PathBuf,
        passphrase: Hidden<zeroize::Zeroizing<String>>,
        journal: Hidden<Option<Vec<u8>>>,
    },
    /// One user action, signed and stored (then sent to the partner when connected).
    Act(Action),
    /// Start the couple's document with the partner whose card this is (text of the card).
    CreateCouple(String),
    ImportBundle(Vec<u8>),
    /// Write a bundle of what the partner may lack (or everything) to a file.
    ExportBundle {
        path: PathBuf,
        all: bool,
    },
    /// Write chosen sections and dates as Markdown.
    ExportMarkdown {
        path: PathBuf,
        options: trellis_core::export::ExportOptions,
    },
    /// Open a one-time invite for the partner (valid 10 minutes, one use).
    Invite,
    CancelInvite,
    /// Join the partner from their invite code.
    Join(String),
    /// Both compared the safety number and it matched.
    ConfirmSafety,
    SetNetwork(NetworkMode),
    /// Try to reach the partner now instead of waiting for the next retry.
    SyncNow,
    /// Connect, sync until both copies agree, and report (for `trellis sync`).
    SyncOnce,
    LoadHistory,
    Verify,
    /// Rebuild the view (the date changed, say).
    Refresh,
    /// Register the couple at a mailbox from its one-time code, and use it from now on.
    AddMailbox(String),
    /// Stop using the couple's mailbox.
    RemoveMailbox,
    /// Visit the mailbox now (pick up, leave, read what waits) and report.
    MailboxRound,
    /// Pass sealed files through this folder too (a USB stick, a synced folder), or none.
    SetCarrierFolder(Option<PathBuf>),
    /// End the shared space with dignity: the ending (with an optional note) is signed and,
    /// if the partner's device is connected, delivered; then sync stops for good and this
    /// copy stays readable.
    EndSpace(Option<String>),
}

/// Something that happened, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A command finished well.
    Done {
        id: RequestId,
        outcome: Outcome,
    },
    /// A command could not be done; nothing was changed.
    Failed {
        id: RequestId,
        error: Failure,
    },
    Imported {
        id: RequestId,
        report: ImportReport,
    },
    History {
        id: RequestId,
        entries: Vec<HistoryEntry>,
    },
    Verified {
        id: RequestId,
        report: VerifyReport,
    },
    SyncFinished {
        id: RequestId,
        report: SyncReport,
    },
    /// A visit to the mailbox finished (`None`: the couple has no mailbox).
    MailboxVisited {
        id: RequestId,
        state: Option<MailboxState>,
    },
    /// An invite is open: show the code (and a QR code of it).
    InviteOpen {
        code: String,
        expires_at: i64,
    },
    InviteClosed {
        reason: InviteEnd,
    },
    /// Pairing finished on this device.
    Paired {
        partner: String,
        safety_number: String,
    },
    Connected {
        partner: String,
    },
    Disconnected {
        partner: String,
        reason: String,
    },
    /// A sync conversation made progress.
    Synced(SyncReport),
    /// Something went wrong in the background (said in plain words); no data was lost.
    Problem {
        message: String,
    },
}

/// Why an open invite closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteEnd {
    /// The partner joined with it.
    Used,
    Cancelled,
    Expired,
    /// Wrong codes were tried too many times.
    TooManyTries,
}

impl std::fmt::Display for InviteEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InviteEnd::Used => "it was used",
            InviteEnd::Cancelled => "it was cancelled",
            InviteEnd::Expired => "it expired",
            InviteEnd::TooManyTries => "a wrong code was tried too many times",
        })
    }
}

/// What one sync conversation (or part of one) did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub sent_changes: usize,
    pub received_changes: usize,
    pub verified: usize,
    pub rejected: usize,
    pub bytes_sent: usize,
    pub bytes_received: usize,
    /// Both copies now hold the same changes.
    pub in_sync: bool,
}

/// The network as it is right now — about data and connections, never a history of people.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NetworkState {
    pub mode: NetworkMode,
    /// The endpoint is up and listening.
    pub listening: bool,
    /// Connected to the partner's device this moment.
    pub connected: bool,
    /// An open invite, if any: (code, expires at, ms).
    pub invite: Option<(String, i64)>,
    /// The last network problem, in plain words.
    pub problem: Option<String>,
    /// A sync that is still moving many changes: (done, total).
    pub progress: Option<(usize, usize)>,
    /// This device's id and addresses (JSON of an iroh `EndpointAddr`), once listening.
    pub address: Option<String>,
}

/// What the last visit to the couple's mailbox found: data only — what waits, for whom —
/// never when the partner was last there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MailboxState {
    /// The mailbox's short id, to recognise it by.
    pub mailbox: String,
    /// My changes waiting there for my partner.
    pub deposits: trellis_store::DepositState,
    /// Envelopes for me still there (more than one round picks up).
    pub waiting_for_me: usize,
    /// Envelopes picked up in the last round.
    pub picked_up: usize,
    pub used_bytes: u64,
    pub quota_bytes: u64,
    /// Why the last visit did not finish, in plain words.
    pub problem: Option<String>,
}

/// Everything a screen needs, cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub profile_dir: PathBuf,
    pub name: String,
    pub view: Option<Arc<View>>,
    pub status: Option<Status>,
    pub network: NetworkState,
    /// The couple's mailbox, once either partner added one.
    pub mailbox: Option<MailboxState>,
    /// The carrier folder set on this device, if any.
    pub carrier_folder: Option<PathBuf>,
    /// Increases with every change of the snapshot.
    pub revision: u64,
}

/// Stops a running node.
#[derive(Debug)]
pub(crate) struct Stopper {
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Stopper {
    pub(crate) fn new(stop: watch::Sender<bool>, thread: JoinHandle<()>) -> Self {
        Self {
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The caller's side of a running node.
#[derive(Debug)]
pub struct NodeHandle {
    pub(crate) commands: tokio::sync::mpsc::UnboundedSender<(RequestId, Command)>,
    pub(crate) snapshot: watch::Receiver<Arc<Snapshot>>,
    pub(crate) events: Mutex<mpsc::Receiver<Event>>,
    pub(crate) next_id: AtomicU64,
    pub(crate) stopper: Mutex<Option<Stopper>>,
    /// Raised on every snapshot update and event, so a waiter wakes at once.
    pub(crate) signal: Signal,
}

/// A counter raised with every update, and a condition variable to wait on it.
pub(crate) type Signal = Arc<(Mutex<u64>, Condvar)>;

/// Raises `signal`: one more update happened.
pub(crate) fn raise(signal: &Signal) {
    let (count, cv) = &**signal;
    if let Ok(mut n) = count.lock() {
        *n += 1;
        cv.notify_all();
    }
}

impl NodeHandle {
    /// Sends a command; never blocks. The outcome arrives as an event with the same id.
    pub fn send(&self, command: Command) -> RequestId {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        // If the node has stopped, the command is dropped; `snapshot` shows it is down.
        let _ = self.commands.send((id, command));
        id
    }

    /// The latest snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.borrow().clone()
    }

    /// Every event that arrived since the last call.
    pub fn poll_events(&self) -> Vec<Event> {
        let Ok(rx) = self.events.lock() else {
            return Vec::new();
        };
        rx.try_iter().collect()
    }

    /// Waits up to `timeout` for the next event (for command-line use).
    pub fn wait_event(&self, timeout: Duration) -> Option<Event> {
        let rx = self.events.lock().ok()?;
        rx.recv_timeout(timeout).ok()
    }

    /// Waits for the outcome of request `id`, passing other events to `other`.
    pub fn wait_for(
        &self,
        id: RequestId,
        timeout: Duration,
        mut other: impl FnMut(&Event),
    ) -> Option<Event> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(std::time::Instant::now())?;
            let event = self.wait_event(left)?;
            if event_id(&event) == Some(id) {
                return Some(event);
            }
            other(&event);
        }
    }

    /// Sends a command and waits up to `timeout` for its answer; events that answer other
    /// requests, or none, are passed over (as with [`NodeHandle::wait_for`]).
    pub fn call(&self, command: Command, timeout: Duration) -> Result<Event, Failure> {
        let id = self.send(command);
        match self.wait_for(id, timeout, |_| {}) {
            Some(Event::Failed { error, .. }) => Err(error),
            Some(event) => Ok(event),
            None => Err(NetError::Timeout.into()),
        }
    }

    /// [`NodeHandle::call`] for a command that answers with an outcome.
    pub fn outcome(&self, command: Command, timeout: Duration) -> Result<Outcome, Failure> {
        match self.call(command, timeout)? {
            Event::Done { outcome, .. } => Ok(outcome),
            other => Err(NetError::Internal(format!("an unexpected answer: {other:?}")).into()),
        }
    }

    /// Waits up to `timeout` until the snapshot satisfies `cond`, checking again at every
    /// update; the snapshot that did, or `None` when time ran out.
    pub fn wait_until(
        &self,
        timeout: Duration,
        cond: impl Fn(&Snapshot) -> bool,
    ) -> Option<Arc<Snapshot>> {
        let deadline = std::time::Instant::now() + timeout;
        let (count, cv) = &*self.signal;
        let mut seen = count.lock().ok()?;
        loop {
            let snap = self.snapshot();
            if cond(&snap) {
                return Some(snap);
            }
            let left = deadline.checked_duration_since(std::time::Instant::now())?;
            let before = *seen;
            // Woken by the next update, or after a short while anyway: a condition may also
            // read something that is not in the snapshot.
            let (guard, _) = cv
                .wait_timeout_while(seen, left.min(Duration::from_millis(50)), |n| *n == before)
                .ok()?;
            seen = guard;
        }
    }

    /// Stops the node and waits for its threads to finish: every saved change is on disk.
    pub fn shutdown(&self) {
        let stopper = self.stopper.lock().ok().and_then(|mut s| s.take());
        if let Some(stopper) = stopper {
            stopper.stop();
        }
    }
}

impl Drop for NodeHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The request an event answers, if it answers one.
pub fn event_id(event: &Event) -> Option<RequestId> {
    match event {
        Event::Done { id, .. }
        | Event::Failed { id, .. }
        | Event::Imported { id, .. }
        | Event::History { id, .. }
        | Event::Verified { id, .. }
        | Event::SyncFinished { id, .. }
        | Event::MailboxVisited { id, .. } => Some(*id),
        Event::InviteOpen { .. }
        | Event::InviteClosed { .. }
        | Event::Paired { .. }
        | Event::Connected { .. }
        | Event::Disconnected { .. }
        | Event::Synced(_)
        | Event::Problem { .. } => None,
    }
}
