//! The endpoint's accept loop: which protocol an incoming connection reaches, if any.
//!
//! iroh's `Router` fixes its ALPNs when it is built, but ours change while the node runs
//! (an invite opens and closes, a couple appears, sync ends), so the node keeps its own loop
//! and asks the [`Gate`] about each connection.

use iroh::Endpoint;
use iroh::endpoint::{Connection, Incoming};
use tokio::task::{JoinHandle, JoinSet};
use tracing::debug;

use crate::gate::{Door, Gate, codes};
use crate::pairing::PairHandler;
use crate::peers::SyncHandler;

/// The running loop; dropping it (or [`Acceptor::shutdown`]) stops it and every handler it
/// started.
#[derive(Debug)]
pub(crate) struct Acceptor(JoinHandle<()>);

/// The protocol handlers, one per door.
#[derive(Debug, Clone)]
pub(crate) struct Handlers {
    pub pair: PairHandler,
    pub sync: SyncHandler,
}

impl Acceptor {
    pub(crate) fn spawn(endpoint: Endpoint, gate: Gate, handlers: Handlers) -> Self {
        Self(tokio::spawn(run(endpoint, gate, handlers)))
    }

    /// Stops taking connections and ends the handlers' tasks (the endpoint stays open).
    pub(crate) async fn shutdown(mut self) {
        self.0.abort();
        // Whatever the task ended with, it has ended, and its handlers with it.
        let _ = (&mut self.0).await;
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn run(endpoint: Endpoint, gate: Gate, handlers: Handlers) {
    // Owned here, so aborting this task aborts every handler it started.
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            incoming = endpoint.accept() => {
                let Some(incoming) = incoming else {
                    // The endpoint closed.
                    break;
                };
                if !offers_an_open_door(&incoming, &gate) {
                    // No answer at all: a prober with the app's old ALPN, a stranger without
                    // the invite, another couple's device learn nothing, not even that a QUIC
                    // endpoint listens here.
                    incoming.ignore();
                    continue;
                }
                tasks.spawn(handle(incoming, gate.clone(), handlers.clone()));
            }
            Some(_) = tasks.join_next() => {}
        }
    }
}

/// False only when the ClientHello was read and none of its ALPNs is open. A ClientHello
/// that could not be read (it spans packets, say) goes on to TLS, which refuses any ALPN
/// that is not open.
fn offers_an_open_door(incoming: &Incoming, gate: &Gate) -> bool {
    let Some(initial) = incoming.decrypt() else {
        return true;
    };
    let Some(alpns) = initial.alpns() else {
        return true;
    };
    let mut any = false;
    for alpn in alpns {
        let Ok(alpn) = alpn else {
            return true;
        };
        any |= gate.door(&alpn).is_some();
    }
    any
}

async fn handle(incoming: Incoming, gate: Gate, handlers: Handlers) {
    let accepting = match incoming.accept() {
        Ok(accepting) => accepting,
        Err(e) => {
            debug!("an incoming connection failed before its handshake: {e}");
            return;
        }
    };
    // The gate's endpoint hook has run once this resolves.
    let conn: Connection = match accepting.await {
        Ok(conn) => conn,
        Err(e) => {
            debug!("an incoming connection was refused or failed in its handshake: {e}");
            return;
        }
    };
    match gate.door(conn.alpn()) {
        Some(Door::Pair) => handlers.pair.accept(conn).await,
        Some(Door::Sync) => handlers.sync.accept(conn).await,
        // The door closed during the handshake (the invite was used, say).
        None => conn.close(codes::NOT_PAIRED.into(), b"not paired with this device"),
    }
}
