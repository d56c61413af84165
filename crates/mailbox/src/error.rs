//! The mailbox's errors, said in plain words.

use std::path::PathBuf;

use thiserror::Error;
use trellis_net::NetError;

#[derive(Debug, Error)]
pub enum MailboxError {
    #[error(
        "the mailbox could not use its folder {path}: {why}; check the folder exists and is writable"
    )]
    Folder { path: PathBuf, why: String },
    #[error(
        "the mailbox's key file {0} is damaged (it must hold exactly 32 bytes); restore it from a backup, or move it aside to start a mailbox that couples must add again"
    )]
    Key(PathBuf),
    #[error(
        "the mailbox's store {path} is damaged ({why}); nothing was changed — restore it from a backup, or move it aside to start an empty mailbox"
    )]
    Damaged { path: PathBuf, why: String },
    #[error("the mailbox's store {0} is in use by another process; stop the other mailbox first")]
    Busy(PathBuf),
    #[error("the mailbox could not save to {path}: {why}; check the disk has room, then try again")]
    Write { path: PathBuf, why: String },
    #[error("the mailbox could not start its network: {0}")]
    Network(Box<NetError>),
    #[error("the system's random source failed: {0}")]
    Randomness(String),
}

impl From<NetError> for MailboxError {
    fn from(e: NetError) -> Self {
        Self::Network(Box::new(e))
    }
}
