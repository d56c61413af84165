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
}
