//! One request's bi-stream, framed as the rest of the network frames (see [`crate::wire`]).

use std::time::Duration;

use iroh::endpoint::{RecvStream, SendStream};

use crate::error::NetError;
use crate::wire::{read_body, write_all};

use super::limits::{CHUNK_BYTES, MAX_IDS, STEP_TIMEOUT};
use super::proto::{Reply, Request};

/// The largest frame that is not a chunk: a registration, or a list of ids.
pub const REQUEST_LIMIT: usize = 16 + 8 * MAX_IDS + 1024;
/// The largest frame of all: a chunk of an envelope (a status, two lists of ids, is smaller).
pub const CHUNK_LIMIT: usize = CHUNK_BYTES + 2;

/// Both halves of one request's stream.
#[derive(Debug)]
pub struct MailboxStream {
    send: SendStream,
    recv: RecvStream,
}

impl MailboxStream {
    pub fn new(send: SendStream, recv: RecvStream) -> Self {
        Self { send, recv }
    }

    pub async fn send_request(&mut self, request: &Request) -> Result<(), NetError> {
        write_all(&mut self.send, &request.encode()).await
    }

    pub async fn send_reply(&mut self, reply: &Reply) -> Result<(), NetError> {
        write_all(&mut self.send, &reply.encode()).await
    }

    /// The next request of at most `limit` bytes, or `None` when the client finished its side.
    pub async fn request(&mut self, limit: usize) -> Result<Option<Request>, NetError> {
        match self.body(limit, STEP_TIMEOUT).await? {
            Some(body) => Request::decode(&body).map(Some),
            None => Ok(None),
        }
    }

    /// The mailbox's next reply, which must come within `within`.
    pub async fn reply(&mut self, within: Duration) -> Result<Reply, NetError> {
        match self.body(CHUNK_LIMIT, within).await? {
            Some(body) => Reply::decode(&body),
            None => Err(NetError::Connection(
                "the mailbox ended the conversation".into(),
            )),
        }
    }

    async fn body(&mut self, limit: usize, within: Duration) -> Result<Option<Vec<u8>>, NetError> {
        tokio::time::timeout(within, read_body(&mut self.recv, limit))
            .await
            .map_err(|_| NetError::Timeout)?
    }

    /// Ends our side of the stream.
    pub fn finish(&mut self) {
        let _ = self.send.finish();
    }

    /// Waits (briefly) until the peer has read everything sent and ended its side, so a last
    /// reply is not cut off when the connection goes.
    pub async fn finish_and_wait(&mut self) {
        self.finish();
        let _ = tokio::time::timeout(STEP_TIMEOUT, self.send.stopped()).await;
    }
}
