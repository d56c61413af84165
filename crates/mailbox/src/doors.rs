//! Who may talk to the mailbox, decided right after the handshake.
//!
//! Two kinds of door: the members' ALPN (derived from the mailbox's id) for the registered couples' devices only, and each
//! open code's registration ALPN, for anyone holding that code (its secret is then checked
//! by the registration handler). The endpoint answers only these ALPNs; its hook refuses a
//! device on the wrong side of its door; each handler asks again.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use iroh::Endpoint;
use iroh::endpoint::{AfterHandshakeOutcome, Connection, EndpointHooks, Side};
use tracing::debug;
use trellis_net::mailbox::{codes, registration_alpn};

use crate::error::MailboxError;
use crate::store::{CoupleId, Slot, Store};

/// Where an ALPN leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Door {
    Members,
    /// Registration with the code of this secret.
    Code([u8; 16]),
}

#[derive(Debug, Default)]
struct State {
    /// The members' door (see `trellis_net::mailbox::members_alpn`).
    members_alpn: Vec<u8>,
    /// Each registered device: its couple and which member it is.
    members: HashMap<[u8; 32], (CoupleId, Slot)>,
    couples: usize,
    /// Open codes by their ALPN: secret and expiry.
    codes: HashMap<Vec<u8>, ([u8; 16], i64)>,
}

/// Shared by the endpoint hook, the accept loop and the handlers. Rebuilt from the store
/// after every change to who is registered or which codes are open.
#[derive(Debug, Clone)]
pub(crate) struct Doors(Arc<RwLock<State>>);

impl Doors {
    /// Doors whose members' door answers `members_alpn`.
    pub(crate) fn new(members_alpn: Vec<u8>) -> Self {
        Self(Arc::new(RwLock::new(State {
            members_alpn,
            ..State::default()
        })))
    }

    /// Reads the couples and codes again, and tells the endpoint which ALPNs to answer.
    pub(crate) fn reload(
        &self,
        store: &Store,
        endpoint: Option<&Endpoint>,
    ) -> Result<(), MailboxError> {
        let couples = store.couples()?;
        let mut state = State {
            members_alpn: self.read().members_alpn.clone(),
            couples: couples.len(),
            ..State::default()
        };
        for couple in &couples {
            for (slot, member) in (0u8..).zip(&couple.members) {
                state.members.insert(member.device, (couple.id, slot));
            }
        }
        for (secret, expires_at) in store.codes()? {
            state
                .codes
                .insert(registration_alpn(&secret), (secret, expires_at));
        }
        let mut shared = self.0.write().unwrap_or_else(PoisonError::into_inner);
        *shared = state;
        if let Some(endpoint) = endpoint {
            endpoint.set_alpns(alpns(&shared));
        }
        Ok(())
    }

    /// The ALPNs to answer now.
    pub(crate) fn alpns(&self) -> Vec<Vec<u8>> {
        alpns(&self.read())
    }

    /// Where `alpn` leads at `now`, if anywhere (an expired code leads nowhere).
    pub(crate) fn door(&self, alpn: &[u8], now: i64) -> Option<Door> {
        let state = self.read();
        if !state.members_alpn.is_empty() && alpn == state.members_alpn {
            return Some(Door::Members);
        }
        let &(secret, expires_at) = state.codes.get(alpn)?;
        (expires_at >= now).then_some(Door::Code(secret))
    }

    /// The couple and slot of a registered device.
    pub(crate) fn member(&self, device: &[u8; 32]) -> Option<(CoupleId, Slot)> {
        self.read().members.get(device).copied()
    }

    pub(crate) fn couples(&self) -> usize {
        self.read().couples
    }

    /// The rule itself; also asked again by each handler.
    pub(crate) fn allows(&self, remote: &[u8; 32], alpn: &[u8], now: i64) -> bool {
        match self.door(alpn, now) {
            Some(Door::Members) => self.member(remote).is_some(),
            Some(Door::Code(_)) => true,
            None => false,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // The state is replaced whole, never left half-written.
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }
}

fn alpns(state: &State) -> Vec<Vec<u8>> {
    std::iter::once(state.members_alpn.clone())
        .chain(state.codes.keys().cloned())
        .collect()
}

/// The endpoint hook: holds only the shared door state, never the endpoint.
#[derive(Debug)]
pub(crate) struct DoorHook(pub Doors);

impl EndpointHooks for DoorHook {
    async fn after_handshake<'a>(&'a self, conn: &'a Connection) -> AfterHandshakeOutcome {
        if conn.side() == Side::Client
            || self
                .0
                .allows(conn.remote_id().as_bytes(), conn.alpn(), crate::now_ms())
        {
            return AfterHandshakeOutcome::accept();
        }
        // No id, no address: the mailbox keeps no history of who knocked.
        debug!("refused a device that is not registered here");
        AfterHandshakeOutcome::Reject {
            error_code: codes::NOT_MEMBER.into(),
            reason: b"not registered at this mailbox".to_vec(),
        }
    }
}
