//! Network errors, said in plain words.

use thiserror::Error;
use trellis_core::CoreError;
use trellis_store::StoreError;

#[derive(Debug, Error)]
pub enum NetError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("the network could not start: {0}")]
    Bind(String),
    #[error("could not reach your partner's device: {0}")]
    Unreachable(String),
    #[error("the connection failed: {0}")]
    Connection(String),
    #[error("the other device broke the protocol: {0}")]
    Protocol(String),
    #[error("the other device did not answer in time")]
    Timeout,
    #[error("{0}")]
    Pairing(String),
    #[error("the node has stopped")]
    Stopped,
    #[error("something failed inside Trellis ({0}); nothing that was saved was lost")]
    Internal(String),
    /// A plain sentence about the couple's mailbox (the node's own checks around it).
    #[error("{0}")]
    Mailbox(String),
    #[error(
        "that mailbox code is not valid — check it was copied whole, or make a new one on the mailbox"
    )]
    MailboxCodeInvalid,
    #[error(
        "this mailbox code was made by a different version of Trellis; update Trellis on the mailbox and on this device"
    )]
    MailboxCodeVersion,
    #[error(
        "the mailbox no longer accepts this code (it expired or was already used); make a new code on the mailbox and add it again"
    )]
    MailboxCodeClosed,
    #[error(
        "the mailbox is full for your couple ({used} of {quota} bytes used); it makes room as your partner picks envelopes up, so try again later or ask its owner for a larger quota"
    )]
    MailboxFull { used: u64, quota: u64 },
    #[error(
        "this envelope ({len} bytes) is larger than the mailbox takes ({max} bytes), so it was not left there; sync live or carry a bundle file instead"
    )]
    MailboxTooLarge { len: u64, max: u64 },
    #[error(
        "the mailbox does not know this device (it was never added, or your couple left it); add the mailbox again with a new code"
    )]
    MailboxNotMember,
    #[error("the mailbox refused: {0}")]
    MailboxRefused(String),
    #[error("could not reach the mailbox ({0}); check that it is running, then try again")]
    MailboxUnreachable(String),
}
