//! The private journal, on a thread of the window's own.
//!
//! The node never sees it: the journal is opened here, in its own file, and nothing here
//! talks to the network or the couple's document.

use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use trellis_net::Hidden;
use trellis_store::{Journal, JournalEntry, ProfilePaths, Trigger, Vault};

enum Job {
    Load,
    AddEntry(u64, String),
    AddTrigger(u64, String),
    EditEntry(u64, String, String),
    DeleteEntry(u64, String),
    /// The journal file's bytes for a backup, read between two writes.
    ReadForBackup(u64),
}

/// What a request in flight was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobKind {
    Entry,
    Trigger,
    Edit,
    Delete,
    Backup,
}

/// What the journal thread reports.
#[derive(Debug, Clone)]
pub(crate) enum JournalReply {
    Loaded {
        entries: Vec<JournalEntry>,
        triggers: Vec<Trigger>,
    },
    Added(u64),
    /// The journal's bytes, sealed as they are on disk (None: no journal yet).
    ForBackup(u64, Hidden<Option<Vec<u8>>>),
    Failed(Option<u64>, String),
}

/// The window's side of the journal thread.
#[derive(Debug)]
pub(crate) struct JournalWorker {
    jobs: mpsc::Sender<Job>,
    replies: mpsc::Receiver<JournalReply>,
    next: u64,
    pub entries: Vec<JournalEntry>,
    pub triggers: Vec<Trigger>,
    pub loaded: bool,
    pub problem: Option<String>,
    /// Requests in flight.
    pub pending: Vec<(u64, JobKind)>,
    /// The journal's bytes for the backup in flight, once read; or why they could not be.
    pub for_backup: Option<Result<Option<Vec<u8>>, String>>,
}

impl JournalWorker {
    pub(crate) fn start(dir: PathBuf, vault: Vault, repaint: Arc<dyn Fn() + Send + Sync>) -> Self {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (tx, replies) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("trellis-journal".into())
            .spawn(move || {
                let paths = ProfilePaths::new(&dir);
                let mut journal: Option<Journal> = None;
                while let Ok(job) = rx.recv() {
                    if journal.is_none() {
                        match Journal::open(&paths, &vault) {
                            Ok(j) => journal = Some(j),
                            Err(e) => {
                                let id = match &job {
                                    Job::Load => None,
                                    Job::AddEntry(id, _)
                                    | Job::AddTrigger(id, _)
                                    | Job::EditEntry(id, _, _)
                                    | Job::DeleteEntry(id, _)
                                    | Job::ReadForBackup(id) => Some(*id),
                                };
                                let _ = tx.send(JournalReply::Failed(id, e.to_string()));
                                repaint();
                                continue;
                            }
                        }
                    }
                    let Some(j) = journal.as_mut() else { continue };
                    let reply = match job {
                        Job::Load => load(j),
                        Job::AddEntry(id, text) => match j.add_entry(&text, crate::clock::now()) {
                            Ok(_) => JournalReply::Added(id),
                            Err(e) => JournalReply::Failed(Some(id), e.to_string()),
                        },
                        Job::AddTrigger(id, text) => {
                            match j.add_trigger(&text, crate::clock::now()) {
                                Ok(_) => JournalReply::Added(id),
                                Err(e) => JournalReply::Failed(Some(id), e.to_string()),
                            }
                        }
                        Job::EditEntry(id, entry, text) => {
                            match j.edit_entry(&entry, &text, crate::clock::now()) {
                                Ok(_) => JournalReply::Added(id),
                                Err(e) => JournalReply::Failed(Some(id), e.to_string()),
                            }
                        }
                        Job::DeleteEntry(id, entry) => match j.delete_entry(&entry) {
                            Ok(_) => JournalReply::Added(id),
                            Err(e) => JournalReply::Failed(Some(id), e.to_string()),
                        },
                        Job::ReadForBackup(id) => match trellis_store::backup::journal_bytes(j) {
                            Ok(bytes) => {
                                JournalReply::ForBackup(id, Hidden(bytes.map(|b| b.to_vec())))
                            }
                            Err(e) => JournalReply::Failed(Some(id), e.to_string()),
                        },
                    };
                    let added = matches!(reply, JournalReply::Added(_));
                    let _ = tx.send(reply);
                    if added {
                        let _ = tx.send(load(j));
                    }
                    repaint();
                }
            });
        let problem = spawned
            .err()
            .map(|e| format!("the journal could not start: {e}"));
        Self {
            jobs,
            replies,
            next: 0,
            entries: Vec::new(),
            triggers: Vec::new(),
            loaded: false,
            problem,
            pending: Vec::new(),
            for_backup: None,
        }
    }

    pub(crate) fn load(&mut self) {
        let _ = self.jobs.send(Job::Load);
    }

    fn queue(&mut self, kind: JobKind, job: impl FnOnce(u64) -> Job) -> u64 {
        self.next += 1;
        self.pending.push((self.next, kind));
        let _ = self.jobs.send(job(self.next));
        self.next
    }

    pub(crate) fn add_entry(&mut self, text: String) -> u64 {
        self.queue(JobKind::Entry, |id| Job::AddEntry(id, text))
    }

    pub(crate) fn add_trigger(&mut self, text: String) -> u64 {
        self.queue(JobKind::Trigger, |id| Job::AddTrigger(id, text))
    }

    pub(crate) fn edit_entry(&mut self, entry: String, text: String) -> u64 {
        self.queue(JobKind::Edit, |id| Job::EditEntry(id, entry, text))
    }

    pub(crate) fn delete_entry(&mut self, entry: String) -> u64 {
        self.queue(JobKind::Delete, |id| Job::DeleteEntry(id, entry))
    }

    /// Asks for the journal's bytes for a backup; they arrive in `for_backup`.
    pub(crate) fn read_for_backup(&mut self) -> u64 {
        self.for_backup = None;
        self.queue(JobKind::Backup, Job::ReadForBackup)
    }

    pub(crate) fn busy(&self, kind: JobKind) -> bool {
        self.pending.iter().any(|(_, k)| *k == kind)
    }

    /// Takes in what the thread reported; returns the requests that finished well.
    pub(crate) fn poll(&mut self) -> Vec<(u64, JobKind)> {
        let mut done = Vec::new();
        while let Ok(reply) = self.replies.try_recv() {
            match reply {
                JournalReply::Loaded { entries, triggers } => {
                    self.entries = entries;
                    self.triggers = triggers;
                    self.loaded = true;
                    self.problem = None;
                }
                JournalReply::Added(id) => {
                    if let Some(pos) = self.pending.iter().position(|(p, _)| *p == id) {
                        done.push(self.pending.remove(pos));
                    }
                }
                JournalReply::ForBackup(id, bytes) => {
                    self.pending.retain(|(p, _)| *p != id);
                    self.for_backup = Some(Ok(bytes.0));
                }
                JournalReply::Failed(Some(id), e)
                    if self.pending.contains(&(id, JobKind::Backup)) =>
                {
                    self.pending.retain(|(p, _)| *p != id);
                    self.for_backup = Some(Err(e));
                }
                JournalReply::Failed(id, e) => {
                    if let Some(id) = id {
                        self.pending.retain(|(p, _)| *p != id);
                    }
                    self.loaded = true;
                    self.problem = Some(e);
                }
            }
        }
        done
    }
}

fn load(j: &Journal) -> JournalReply {
    match (j.entries(), j.triggers()) {
        (Ok(entries), Ok(triggers)) => JournalReply::Loaded { entries, triggers },
        (Err(e), _) | (_, Err(e)) => JournalReply::Failed(None, e.to_string()),
    }
}
