//! The document's own thread: the one place the profile (and its store) is touched.
//!
//! Every read and write of the couple's document runs here, one job at a time, so disk
//! writes never block the network tasks or the window, and no two writers ever race.

use std::collections::HashMap;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use std::panic::{AssertUnwindSafe, catch_unwind};
use tokio::sync::watch;

use tracing::{error, warn};
use trellis_core::{Action, Committed, Moment, SyncSession};
use trellis_store::LocalZone;
use trellis_store::{Profile, SignedOutgoing};

use crate::error::NetError;
use crate::handle::{Event, Snapshot};

/// Publishes snapshots and events, and wakes the window.
#[derive(Clone)]
pub(crate) struct Publisher {
    snapshot: Arc<watch::Sender<Arc<Snapshot>>>,
    events: mpsc::Sender<Event>,
    repaint: Arc<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher").finish_non_exhaustive()
    }
}

impl Publisher {
    pub(crate) fn new(
        snapshot: watch::Sender<Arc<Snapshot>>,
        events: mpsc::Sender<Event>,
        repaint: Arc<dyn Fn() + Send + Sync>,
    ) -> Self {
        Self {
            snapshot: Arc::new(snapshot),
            events,
            repaint,
        }
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut Snapshot)) {
        self.snapshot.send_modify(|current| {
            let mut next = (**current).clone();
            f(&mut next);
            next.revision += 1;
            *current = Arc::new(next);
        });
        (self.repaint)();
    }

    pub(crate) fn event(&self, event: Event) {
        let _ = self.events.send(event);
        (self.repaint)();
    }

    pub(crate) fn current(&self) -> Arc<Snapshot> {
        self.snapshot.borrow().clone()
    }
}

/// What lives on the document thread.
pub(crate) struct DocState {
    pub profile: Profile,
    pub sessions: HashMap<u64, SyncSession>,
    /// Live conversations' outboxes: a change made here is handed to them straight away.
    pub outboxes: HashMap<u64, tokio::sync::mpsc::UnboundedSender<SignedOutgoing>>,
    publisher: Publisher,
    /// Bumped after every change made on this device, so live conversations send it.
    local_changes: watch::Sender<u64>,
    /// Changes arrived since the view was last built (see [`DocState::received`]).
    view_stale: bool,
}

impl DocState {
    /// Changes from the partner were stored and applied: the status shows them at once; the
    /// view (every record of the history) is rebuilt once the sync message that follows
    /// them arrives — once per exchange, not once per frame of a long sync.
    pub(crate) fn received(&mut self) {
        self.publish_status();
        self.view_stale = true;
    }

    /// After a job panicked: whatever it touched may be half-done, so the document is read
    /// again from the store (which holds only what was complete), and the window hears of it.
    fn after_panic(&mut self) {
        error!(
            "the document thread recovered from an internal failure; reading the document again"
        );
        self.profile.reload_document();
        self.publisher.event(Event::Problem {
            message: "Trellis hit an internal error while handling a change and set it aside; nothing that was saved was lost".into(),
        });
        self.publish(LocalZone::now());
    }

    /// Says so when opening the profile set aside stored changes that would not apply.
    pub(crate) fn tell_of_set_aside(&mut self) {
        let n = self.profile.set_aside_at_open().len();
        if n > 0 {
            let file = self.profile.paths().document_db();
            warn!(
                "{n} stored change(s) in {} would not apply and were set aside",
                file.display()
            );
            self.publisher.event(Event::Problem {
                message: format!(
                    "{} in {} would not apply, so {} set aside (kept in the file, not shown); everything else is here. A check of the store lists {}.",
                    trellis_core::words::count(n, "stored change", "stored changes"),
                    file.display(),
                    if n == 1 { "it was" } else { "they were" },
                    if n == 1 { "it" } else { "them" },
                ),
            });
        }
    }

    /// After a partner's sync message was taken in (with changes stored just before it, in
    /// the same transaction, when `with_changes`). It changes no record: the status is
    /// enough, and the view if changes came before it. Changes stored during the exchange
    /// are compacted once it settles, not after every frame.
    pub(crate) fn took_sync_message(&mut self, with_changes: bool) {
        self.view_stale |= with_changes;
        self.publish_status();
        self.refresh_view(LocalZone::now());
        self.profile.compact_if_due();
    }

    /// Rebuilds the view if changes arrived since it was last built.
    pub(crate) fn refresh_view(&mut self, now: Moment) {
        if self.view_stale {
            self.publish(now);
        }
    }

    /// Publishes the status and then the view, after the document changed.
    ///
    /// The status is cheap and goes first, so a change is visible as soon as it is stored
    /// and applied; the view (every record of the history) follows.
    pub(crate) fn publish(&mut self, now: Moment) {
        self.publish_status();
        self.view_stale = false;
        let view = self.profile.view(now).map(Arc::new);
        self.publisher.update(|s| s.view = view);
    }

    /// Publishes the status only: for news that changes no record (a sync message, say).
    pub(crate) fn publish_status(&mut self) {
        let status = match self.profile.status() {
            Ok(s) => Some(s),
            Err(e) => {
                warn!("could not read the profile's status: {e}");
                None
            }
        };
        let name = self.profile.name().to_string();
        self.publisher.update(|s| {
            s.status = status;
            s.name = name;
        });
    }

    /// Performs an action here. The signed change goes to the live conversations while it
    /// is being stored (see `Profile::act_sending_first`), before the view is rebuilt, which
    /// takes longer than sending; then they are told.
    pub(crate) fn act(
        &mut self,
        action: &Action,
        now: Moment,
    ) -> Result<Committed, trellis_store::StoreError> {
        let Self {
            profile,
            sessions,
            outboxes,
            ..
        } = self;
        let committed = profile.act_sending_first(action, now, |profile| {
            for (id, outbox) in outboxes.iter() {
                let Some(session) = sessions.get_mut(id) else {
                    continue;
                };
                match profile.sync_outgoing(session) {
                    Ok(Some(out)) => {
                        let _ = outbox.send(out);
                    }
                    Ok(None) => {}
                    Err(e) => warn!("could not prepare the new change for the partner: {e}"),
                }
            }
        })?;
        self.local_changes.send_modify(|n| *n += 1);
        Ok(committed)
    }
}

type Job = Box<dyn FnOnce(&mut DocState) + Send>;

/// A handle to the document thread.
#[derive(Clone, Debug)]
pub(crate) struct Doc {
    jobs: mpsc::Sender<Job>,
    local_changes: watch::Receiver<u64>,
}

impl Doc {
    pub(crate) fn spawn(
        profile: Profile,
        publisher: Publisher,
    ) -> Result<(Doc, JoinHandle<()>), NetError> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (changes_tx, changes_rx) = watch::channel(0u64);
        let mut state = DocState {
            profile,
            sessions: HashMap::new(),
            outboxes: HashMap::new(),
            publisher,
            local_changes: changes_tx,
            view_stale: false,
        };
        let thread = std::thread::Builder::new()
            .name("trellis-doc".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    // A panic in one job (an engine assert the trust boundary did not
                    // foresee) ends that job only: the job's caller sees `Internal`, the
                    // document is read again from the store, and the node keeps running.
                    if catch_unwind(AssertUnwindSafe(|| job(&mut state))).is_err() {
                        state.after_panic();
                    }
                }
                // The profile (and its store) closes here, after the last job.
            })
            .map_err(|e| NetError::Start {
                what: "document thread",
                detail: e.to_string(),
            })?;
        Ok((
            Doc {
                jobs,
                local_changes: changes_rx,
            },
            thread,
        ))
    }

    /// Runs `f` on the document thread and returns its result.
    pub(crate) async fn run<R, F>(&self, f: F) -> Result<R, NetError>
    where
        R: Send + 'static,
        F: FnOnce(&mut DocState) -> R + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |state| {
                let _ = tx.send(f(state));
            }))
            .map_err(|_| NetError::Stopped)?;
        match rx.await {
            Ok(r) => Ok(r),
            // The answer was dropped unsent: the job panicked (the thread lives on), or
            // the thread is gone.
            Err(_) if self.jobs.send(Box::new(|_| {})).is_ok() => Err(NetError::Internal(
                "the document thread failed while handling this".into(),
            )),
            Err(_) => Err(NetError::Stopped),
        }
    }

    /// Watches changes made on this device.
    pub(crate) fn local_changes(&self) -> watch::Receiver<u64> {
        self.local_changes.clone()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_panicking_job_ends_only_itself_and_the_document_thread_lives_on() {
        let tmp = tempfile::tempdir().unwrap();
        let profile = Profile::init(tmp.path(), "Alex").unwrap();
        let (snapshot, _watch) = watch::channel(Arc::new(Snapshot::default()));
        let (events_tx, events) = mpsc::channel();
        let publisher = Publisher::new(snapshot, events_tx, Arc::new(|| {}));
        let (doc, thread) = Doc::spawn(profile, publisher).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let failed = doc
                .run(|_| -> usize { panic!("an engine assert nobody foresaw") })
                .await;
            assert!(matches!(failed, Err(NetError::Internal(_))), "{failed:?}");
            let name = doc.run(|s| s.profile.name().to_string()).await.unwrap();
            assert_eq!(name, "Alex");
        });
        let problem = events
            .try_iter()
            .find(|e| matches!(e, Event::Problem { .. }));
        assert!(problem.is_some(), "the window hears of it");
        drop(doc);
        thread.join().unwrap();
    }
}
