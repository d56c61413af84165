//! The mailbox's accept loop: which handler an incoming connection reaches, if any.

mod deposit;
mod member;
mod register;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use iroh::Endpoint;
use iroh::endpoint::Incoming;
use tokio::task::JoinSet;
use tracing::{debug, warn};
use trellis_net::mailbox::{Refusal, Reply, codes};

use crate::doors::{Door, Doors};
use crate::error::MailboxError;
use crate::store::{CoupleId, Store};

/// Connections served at once; more are refused until one ends.
const MAX_CONNECTIONS: usize = 256;

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub store: Arc<Store>,
    pub doors: Doors,
    pub endpoint: Endpoint,
    pub quota: u64,
    /// Bytes of deposits under way, per couple: counted against the quota before they land.
    pub reserved: Mutex<HashMap<CoupleId, u64>>,
}

impl Shared {
    /// Runs a store call off the async threads (redb blocks on the disk).
    pub(crate) async fn store<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<R, MailboxError> + Send + 'static,
    ) -> Result<R, MailboxError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| MailboxError::Write {
                path: self.store.path().to_path_buf(),
                why: e.to_string(),
            })?
    }

    pub(crate) fn lock_reserved(&self) -> std::sync::MutexGuard<'_, HashMap<CoupleId, u64>> {
        // Entries are whole numbers changed in one step: a poisoned lock holds a valid map.
        self.reserved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Bytes of the couple's deposits under way.
    pub(crate) fn reserved(&self, couple: CoupleId) -> u64 {
        self.lock_reserved().get(&couple).copied().unwrap_or(0)
    }

    /// Reloads the doors after a change to the couples or codes.
    pub(crate) async fn reload_doors(&self) -> Result<(), MailboxError> {
        let (doors, endpoint) = (self.doors.clone(), self.endpoint.clone());
        self.store(move |store| doors.reload(store, Some(&endpoint)))
            .await
    }
}

/// What a member hears when the mailbox itself failed: no paths, no internals.
pub(crate) fn failed(e: &MailboxError) -> Reply {
    warn!("a request failed inside the mailbox: {e}");
    Reply::Refused(Refusal::Other(
        "the mailbox could not do that just now; try again later".into(),
    ))
}

pub(crate) async fn run(shared: Arc<Shared>) {
    // Owned here, so aborting this task aborts every handler it started.
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            incoming = shared.endpoint.accept() => {
                let Some(incoming) = incoming else {
                    break;
                };
                if tasks.len() >= MAX_CONNECTIONS || !offers_an_open_door(&incoming, &shared.doors) {
                    incoming.refuse();
                    continue;
                }
                tasks.spawn(handle(incoming, shared.clone()));
            }
            Some(_) = tasks.join_next() => {}
        }
    }
}

/// False only when the ClientHello was read and none of its ALPNs is open (TLS refuses the
/// rest).
fn offers_an_open_door(incoming: &Incoming, doors: &Doors) -> bool {
    let Some(initial) = incoming.decrypt() else {
        return true;
    };
    let Some(alpns) = initial.alpns() else {
        return true;
    };
    let now = crate::now_ms();
    let mut any = false;
    for alpn in alpns {
        let Ok(alpn) = alpn else {
            return true;
        };
        any |= doors.door(&alpn, now).is_some();
    }
    any
}

async fn handle(incoming: Incoming, shared: Arc<Shared>) {
    let accepting = match incoming.accept() {
        Ok(accepting) => accepting,
        Err(e) => {
            debug!("an incoming connection failed before its handshake: {e}");
            return;
        }
    };
    // The door hook has run once this resolves.
    let conn = match accepting.await {
        Ok(conn) => conn,
        Err(e) => {
            debug!("an incoming connection was refused or failed in its handshake: {e}");
            return;
        }
    };
    match shared.doors.door(conn.alpn(), crate::now_ms()) {
        Some(Door::Members) => member::serve(&conn, &shared).await,
        Some(Door::Code(secret)) => register::serve(&conn, &shared, secret).await,
        // The code closed during the handshake.
        None => conn.close(codes::NOT_MEMBER.into(), b"not registered at this mailbox"),
    }
}
