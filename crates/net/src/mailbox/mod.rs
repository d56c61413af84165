//! The couple's mailbox: a store-and-forward peer the couple runs on an always-on machine.
//!
//! It keeps sealed envelopes (opaque bytes; it never holds a key) for each partner until that
//! partner picks them up and acknowledges them. This module holds both halves' shared parts —
//! the one-time [`MailboxCode`], the [`Member`]s a couple registers, the wire protocol — and
//! the [`MailboxClient`] a node uses. The server itself is the `trellis-mailbox` crate.
//!
//! Two doors:
//! * [`members_alpn`], for the registered devices only (the server's endpoint hook refuses
//!   every other device right after the handshake, and each request checks again);
//! * a registration ALPN derived from a code's secret ([`registration_alpn`]), answered only
//!   while that code is open, where a device presents the code and both partners' certified
//!   devices.
//!
//! Every request is one bi-stream: one request frame, then replies (and, for a deposit or a
//! pick-up, envelope chunks). Frames use the network's framing (length-prefixed, capped before
//! the body is read, bounded in time); see [`proto`] for the messages.

mod client;
mod code;
mod member;
pub mod proto;
pub mod stream;

pub use client::MailboxClient;
pub use code::MailboxCode;
pub use member::Member;
pub use proto::{MailboxStatus, Refusal, Reply, Request};
pub use stream::MailboxStream;

use crate::error::NetError;
use crate::mode::NetworkMode;

/// Hash input only: the members' door of one mailbox.
const MEMBERS_ALPN_DOMAIN: &[u8] = b"trellis/v1/mailbox-members-alpn";

/// The ALPN of a mailbox's members' door: letters derived from the mailbox's own endpoint
/// id, so nothing on the wire names the app, and each mailbox's door is its own.
pub fn members_alpn(mailbox: &iroh::EndpointId) -> Vec<u8> {
    crate::derived::letters(
        &crate::derived::digest(MEMBERS_ALPN_DOMAIN, &[mailbox.as_bytes()]),
        16,
    )
    .into_bytes()
}

/// Hash input only: keeps registration ALPNs apart from every other derived name.
const CODE_ALPN_DOMAIN: &[u8] = b"trellis/v1/mailbox-code-alpn";

/// Close codes a mailbox uses, so a client can say why it was turned away.
pub mod codes {
    pub const BYE: u32 = crate::gate::codes::BYE;
    pub const PROTOCOL: u32 = crate::gate::codes::PROTOCOL;
    /// The device is not one of a registered couple's.
    pub const NOT_MEMBER: u32 = crate::gate::codes::NOT_PAIRED;
}

/// Limits both sides hold each other to.
pub mod limits {
    use std::time::Duration;

    /// Envelopes travel in chunks of at most this many bytes, so neither side ever reads a
    /// whole envelope in one frame.
    pub const CHUNK_BYTES: usize = 1024 * 1024;
    /// The most envelopes one pick-up returns.
    pub const PICK_UP_ENVELOPES: usize = 64;
    /// A pick-up stops adding envelopes once it holds this many bytes (it always returns at
    /// least one waiting envelope, whatever its size).
    pub const PICK_UP_BYTES: u64 = 16 * 1024 * 1024;
    /// The most ids in one request or one list of a status.
    pub const MAX_IDS: usize = 10_000;
    /// The most envelopes that may wait for one partner.
    pub const MAX_WAITING: usize = 10_000;
    /// How long either side waits for the other's next frame.
    pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);
    /// How long a client tries to reach the mailbox.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
    /// How long a mailbox keeps a member's quiet connection open.
    pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
}

/// The largest envelope a mailbox with this quota accepts.
pub fn max_envelope(quota_bytes: u64) -> u64 {
    quota_bytes.min(trellis_core::seal::MAX_ENVELOPE_BYTES as u64)
}

/// The ALPN a mailbox answers while the code with this secret is open. Derived from the
/// secret, so only someone holding the code can reach the registration handler.
pub fn registration_alpn(secret: &[u8; 16]) -> Vec<u8> {
    crate::derived::letters(&crate::derived::digest(CODE_ALPN_DOMAIN, &[secret]), 16).into_bytes()
}

/// An endpoint builder for a mailbox server, bound to `port` (0 for any): on loopback only
/// (tests: no relays, no address lookup), or reachable across the internet through iroh's
/// relays. Key, ALPNs and hooks are the server's to add.
pub fn server_builder(loopback: bool, port: u16) -> Result<iroh::endpoint::Builder, NetError> {
    let mode = if loopback {
        NetworkMode::Loopback
    } else {
        NetworkMode::Internet
    };
    crate::endpoint::builder(
        &mode,
        crate::endpoint::Place {
            port,
            ..crate::endpoint::Place::any_port()
        },
    )
}
