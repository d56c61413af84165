//! Who may talk to this device at all, decided before a single byte of the document is sent.
//!
//! The endpoint answers only the ALPNs that are open right now (see [`crate::alpn`]):
//! * the couple's sync ALPN, from pairing until sync has ended for good, and only from the
//!   partner's certified device;
//! * the open invite's pairing ALPN, while the invite is open, from anyone (the invite's
//!   secret is then checked by the pairing handler).
//!
//! Every layer asks the same [`Gate`]: the accept loop drops, unanswered, a connection that
//! offers no open ALPN; TLS refuses any ALPN not in the endpoint's list (kept in step here);
//! the endpoint hook refuses a device that may not use the ALPN it chose; each handler checks
//! again.

use std::sync::{Arc, PoisonError, RwLock};

use iroh::endpoint::{AfterHandshakeOutcome, Connection, EndpointHooks};
use iroh::{Endpoint, EndpointId};
use tracing::warn;
use trellis_store::Profile;

/// Close codes, so the other side can tell why.
pub mod codes {
    pub const BYE: u32 = 0;
    pub const PROTOCOL: u32 = 2;
    pub const REJECTED: u32 = 3;
    pub const REPLACED: u32 = 4;
    pub const NOT_PAIRED: u32 = 403;
}

/// The partner's certified device and the couple's sync ALPN: who may sync, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Partner {
    pub device: EndpointId,
    pub alpn: Vec<u8>,
}

impl Partner {
    /// None before pairing and once sync has ended for good.
    pub(crate) fn of_profile(profile: &mut Profile) -> Option<Self> {
        let device = EndpointId::from_bytes(&profile.partner_device()?).ok()?;
        let alpn = crate::alpn::sync_alpn(profile.couple()?);
        Some(Self { device, alpn })
    }
}

/// The protocol an ALPN leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Door {
    Pair,
    Sync,
}

#[derive(Debug, Default)]
struct GateState {
    partner: Option<Partner>,
    /// The open invite's pairing ALPN.
    invite: Option<Vec<u8>>,
}

impl GateState {
    fn door(&self, alpn: &[u8]) -> Option<Door> {
        if self.partner.as_ref().is_some_and(|p| p.alpn == alpn) {
            Some(Door::Sync)
        } else if self.invite.as_deref() == Some(alpn) {
            Some(Door::Pair)
        } else {
            None
        }
    }

    fn alpns(&self) -> Vec<Vec<u8>> {
        let sync = self.partner.as_ref().map(|p| p.alpn.clone());
        sync.into_iter().chain(self.invite.clone()).collect()
    }
}

/// Shared between the endpoint hook, the accept loop and the node, which opens and closes
/// it. It never holds the endpoint (the hook lives inside it): changes take it as an argument.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gate {
    state: Arc<RwLock<GateState>>,
}

impl Gate {
    /// Lets the partner's device sync from now on (or nobody, with `None`).
    pub(crate) fn set_partner(&self, partner: Option<Partner>, endpoint: &Endpoint) {
        self.update(endpoint, |s| s.partner = partner);
    }

    pub(crate) fn partner(&self) -> Option<Partner> {
        self.read(|s| s.partner.clone())
    }

    /// Opens the pairing ALPN of an invite (or closes it, with `None`).
    pub(crate) fn set_invite(&self, alpn: Option<Vec<u8>>, endpoint: &Endpoint) {
        self.update(endpoint, |s| s.invite = alpn);
    }

    /// Where an ALPN leads right now, if anywhere.
    pub(crate) fn door(&self, alpn: &[u8]) -> Option<Door> {
        self.read(|s| s.door(alpn))
    }

    /// The rule itself; also re-checked by each protocol handler.
    pub(crate) fn allows(&self, remote: EndpointId, alpn: &[u8]) -> bool {
        self.read(|s| match s.door(alpn) {
            Some(Door::Sync) => s.partner.as_ref().is_some_and(|p| p.device == remote),
            Some(Door::Pair) => true,
            None => false,
        })
    }

    /// The ALPNs the endpoint answers now (none before pairing with no invite open).
    pub(crate) fn alpns(&self) -> Vec<Vec<u8>> {
        self.read(GateState::alpns)
    }

    fn read<R>(&self, f: impl FnOnce(&GateState) -> R) -> R {
        // The state is replaced whole, never left half-written: a poisoned lock holds a
        // consistent value.
        f(&self.state.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Changes the state and the endpoint's ALPN list together, under the lock, so two
    /// changes at once cannot leave the list behind the state.
    fn update(&self, endpoint: &Endpoint, f: impl FnOnce(&mut GateState)) {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        f(&mut state);
        endpoint.set_alpns(state.alpns());
    }
}

/// The endpoint hook. It holds only the shared gate state (never the endpoint or a
/// connection, which would keep them alive).
#[derive(Debug)]
pub(crate) struct GateHook(pub Gate);

impl EndpointHooks for GateHook {
    async fn after_handshake<'a>(&'a self, conn: &'a Connection) -> AfterHandshakeOutcome {
        let remote = conn.remote_id();
        if self.0.allows(remote, conn.alpn()) {
            return AfterHandshakeOutcome::accept();
        }
        // Our own outgoing connections pass: we chose whom to dial, and with which ALPN.
        if conn.side() == iroh::endpoint::Side::Client {
            return AfterHandshakeOutcome::accept();
        }
        warn!(
            remote = %remote.fmt_short(),
            door = ?self.0.door(conn.alpn()),
            "refused a connection from a device that is not my partner's"
        );
        AfterHandshakeOutcome::Reject {
            error_code: codes::NOT_PAIRED.into(),
            reason: b"not paired with this device".to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use iroh::SecretKey;
    use iroh::address_lookup::MemoryLookup;

    use super::*;
    use crate::mode::NetworkMode;

    #[tokio::test]
    async fn the_endpoint_answers_exactly_the_open_alpns() {
        let gate = Gate::default();
        let ep = crate::endpoint::bind(
            &NetworkMode::Loopback,
            [5; 32],
            &gate,
            &MemoryLookup::new(),
            crate::endpoint::Place::any_port(),
        )
        .await
        .unwrap();
        let partner = SecretKey::from_bytes(&[6; 32]).public();
        let stranger = SecretKey::from_bytes(&[7; 32]).public();
        assert!(gate.alpns().is_empty(), "nothing is open before pairing");

        gate.set_invite(Some(b"invite".to_vec()), &ep);
        assert_eq!(gate.door(b"invite"), Some(Door::Pair));
        assert!(gate.allows(stranger, b"invite"), "anyone may knock");

        gate.set_partner(
            Some(Partner {
                device: partner,
                alpn: b"couple".to_vec(),
            }),
            &ep,
        );
        assert_eq!(gate.alpns(), vec![b"couple".to_vec(), b"invite".to_vec()]);
        assert!(gate.allows(partner, b"couple"));
        assert!(!gate.allows(stranger, b"couple"));
        assert!(!gate.allows(partner, b"trellis/sync/1"));

        gate.set_invite(None, &ep);
        assert_eq!(gate.door(b"invite"), None);
        assert!(!gate.allows(stranger, b"invite"));
        gate.set_partner(None, &ep);
        assert!(!gate.allows(partner, b"couple"));
        assert!(gate.alpns().is_empty());
        ep.close().await;
    }
}
