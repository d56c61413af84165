//! Who may talk to this device at all, decided right after the encrypted handshake and
//! before a single byte of the document is sent.
//!
//! * The sync protocol: only the partner's certified device.
//! * The pairing protocol: anyone, but only while this device has an invite open (the invite's
//!   secret is then checked by the pairing handler).

use std::sync::{Arc, RwLock};

use iroh::EndpointId;
use iroh::endpoint::{AfterHandshakeOutcome, Connection, EndpointHooks};
use tracing::warn;

pub const PAIR_ALPN: &[u8] = b"trellis/pair/1";
pub const SYNC_ALPN: &[u8] = b"trellis/sync/1";

/// Close codes, so the other side can tell why.
pub mod codes {
    pub const BYE: u32 = 0;
    pub const PROTOCOL: u32 = 2;
    pub const REJECTED: u32 = 3;
    pub const REPLACED: u32 = 4;
    pub const NOT_PAIRED: u32 = 403;
}

#[derive(Debug, Default)]
struct GateState {
    partner: Option<EndpointId>,
    invite_open: bool,
}

/// Shared between the endpoint hook and the node, which opens and closes it.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    state: Arc<RwLock<GateState>>,
}

impl Gate {
    pub fn set_partner(&self, device: Option<EndpointId>) {
        if let Ok(mut s) = self.state.write() {
            s.partner = device;
        }
    }

    pub fn partner(&self) -> Option<EndpointId> {
        self.state.read().ok().and_then(|s| s.partner)
    }

    pub fn set_invite_open(&self, open: bool) {
        if let Ok(mut s) = self.state.write() {
            s.invite_open = open;
        }
    }

    /// The rule itself; also re-checked by each protocol handler.
    pub fn allows(&self, remote: EndpointId, alpn: &[u8]) -> bool {
        let Ok(s) = self.state.read() else {
            return false;
        };
        match alpn {
            SYNC_ALPN => s.partner == Some(remote),
            PAIR_ALPN => s.invite_open,
            _ => false,
        }
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
        // Our own outgoing connections pass: we chose whom to dial.
        if conn.side() == iroh::endpoint::Side::Client {
            return AfterHandshakeOutcome::accept();
        }
        warn!(
            remote = %remote.fmt_short(),
            alpn = %String::from_utf8_lossy(conn.alpn()),
            "refused a connection from a device that is not my partner's"
        );
        AfterHandshakeOutcome::Reject {
            error_code: codes::NOT_PAIRED.into(),
            reason: b"not paired with this device".to_vec(),
        }
    }
}
