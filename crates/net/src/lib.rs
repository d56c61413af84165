//! trellis-net: the node that keeps one partner's copy in sync with the other's.
//!
//! It owns a tokio runtime on named threads, an iroh endpoint whose gate admits only the
//! partner's certified device, the pairing and sync protocols (under ALPNs derived from the
//! couple or the open invite, so no connection names the app), and a document thread that
//! is the only place the profile is touched. Callers drive it through a [`NodeHandle`]:
//! commands in, the latest [`Snapshot`] and [`Event`]s out. No UI code lives here.

mod accept;
mod alpn;
mod commands;
mod conversation;
mod courier;
mod derived;
mod doc;
mod endpoint;
mod error;
mod gate;
mod handle;
mod hello;
mod invite;
mod lan_name;
pub mod mailbox;
mod mode;
mod node;
mod pairing;
mod peers;
mod reply;
mod shared;
mod wire;

pub use alpn::sync_alpn;
pub use error::{NetError, PairingError, REFUSED};
pub use handle::{
    Command, Event, Hidden, InviteEnd, MailboxState, NetworkState, NodeHandle, RequestId, Snapshot,
    SyncReport, event_id,
};
pub use invite::{INVITE_MINUTES, Invite};
pub use mailbox::{MailboxClient, MailboxCode, MailboxStatus, Member};
pub use mode::{NetworkMode, save_mode, save_partner_address, saved_mode};
pub use node::{NodeOptions, start};
pub use reply::{Failure, Outcome};
