//! Network errors: what happened, in plain words, typed so each caller (the command line,
//! the window) can add what to do in its own terms.

use thiserror::Error;
use trellis_core::CoreError;
use trellis_store::StoreError;

/// The words that say the partner's device refused this one (see [`NetError::Refused`]).
pub const REFUSED: &str = "no longer accepts this device";

#[derive(Debug, Error)]
pub enum NetError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The network is off on this device (its setting, or it failed to start), so a command
    /// that needs it cannot run.
    #[error("the network is not running on this device")]
    NetworkOff,
    /// One of the node's own threads (its runtime, the node, the document thread) could not
    /// start: the machine is out of threads or memory.
    #[error("Trellis could not start its {what}: {detail}")]
    Start { what: &'static str, detail: String },
    /// The endpoint could not be bound (a port in use, no network interface).
    #[error("the network could not start: {0}")]
    Bind(String),
    #[error("{0} is not a loopback address: loopback mode never leaves this machine")]
    NotLoopback(std::net::IpAddr),
    #[error("“{0}” is not a relay URL")]
    BadRelay(String),
    #[error("finding your partner on this network failed: {0}")]
    Discovery(String),
    #[error("could not reach your partner's device: {0}")]
    Unreachable(String),
    #[error("the connection failed: {0}")]
    Connection(String),
    #[error("the other device broke the protocol: {0}")]
    Protocol(String),
    #[error("the other device did not answer in time")]
    Timeout,
    #[error("the node has stopped")]
    Stopped,
    #[error("something failed inside Trellis ({0}); nothing that was saved was lost")]
    Internal(String),
    #[error(transparent)]
    Pairing(#[from] PairingError),
    /// This profile has no partner's device to reach.
    #[error("this profile is not paired with a device yet")]
    NotPaired,
    /// The partner's device closed the door on this one: it follows another device of this
    /// identity now (recovered elsewhere), or the pairing ended on its side.
    #[error(
        "{partner}'s device {}: your identity was recovered on another computer, which is the one that syncs now, or the pairing ended on {partner}'s side. Nothing was sent",
        REFUSED
    )]
    Refused { partner: String },
    #[error("this couple has no mailbox")]
    NoMailbox,
    #[error("the mailbox's address in the document cannot be read")]
    MailboxAddress,
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

/// Why pairing with an invite code did not work.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PairingError {
    #[error("that invite code is not valid — check it was copied whole, or ask for a new one")]
    InvalidCode,
    #[error("this invite was made by a different version of Trellis; update both apps")]
    OtherVersion,
    #[error("that invite has expired; ask for a new one")]
    Expired,
    #[error("that is your own invite; your partner joins with it")]
    OwnInvite,
    #[error(
        "no answer from the inviting device: it may be off or on another network, or this invite is no longer open (used, closed or expired); ask for a new one"
    )]
    NoAnswer,
    #[error(
        "the inviting device is not accepting this invite (it was used, closed or has expired); ask for a new one"
    )]
    NotAccepting,
    /// The inviting device said why it declined, in its own words.
    #[error("{0}")]
    Declined(String),
    #[error("the inviting device did not present the identity in the invite")]
    WrongIdentity,
    #[error("the joiner's card names another device")]
    WrongDevice,
    #[error("this profile already shares a space with {0}; a second partner cannot join")]
    SecondPartner(String),
    #[error("this computer could not give Trellis the randomness an invite needs ({0})")]
    Randomness(String),
}
