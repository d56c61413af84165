//! Frames over an iroh stream: length-prefixed, capped before any body byte is read, and
//! bounded in time so a silent peer cannot hold a conversation open forever.

use std::time::Duration;

use iroh::endpoint::{RecvStream, SendStream};
use trellis_core::{Frame, FrameError};

use crate::error::NetError;

/// How long a peer may leave a frame half-sent.
const FRAME_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads frames one by one.
#[derive(Debug)]
pub(crate) struct FrameReader {
    recv: RecvStream,
    pub bytes: usize,
    /// The largest frame accepted from this peer (checked before its body is read).
    limit: usize,
}

impl FrameReader {
    pub(crate) fn new(recv: RecvStream) -> Self {
        Self::with_limit(recv, trellis_core::frame::MAX_NETWORK_FRAME_LEN)
    }

    /// A reader that accepts frames of at most `limit` bytes (a stranger's first words
    /// are small: nothing larger is read before they have proved an invite).
    pub(crate) fn with_limit(recv: RecvStream, limit: usize) -> Self {
        Self {
            recv,
            bytes: 0,
            limit,
        }
    }

    /// The next frame, or `None` when the peer finished the stream cleanly.
    pub(crate) async fn next(&mut self) -> Result<Option<Frame>, NetError> {
        let Some(body) = read_body(&mut self.recv, self.limit).await? else {
            return Ok(None);
        };
        self.bytes += 4 + body.len();
        Frame::decode_after_len(&body)
            .map(Some)
            .map_err(|e| NetError::Protocol(e.to_string()))
    }

    /// The next frame, which must arrive within `within`.
    pub(crate) async fn expect(&mut self, within: Duration) -> Result<Frame, NetError> {
        match tokio::time::timeout(within, self.next()).await {
            Err(_) => Err(NetError::Timeout),
            Ok(Ok(Some(frame))) => Ok(frame),
            Ok(Ok(None)) => Err(NetError::Connection(
                "the peer ended the conversation".into(),
            )),
            Ok(Err(e)) => Err(e),
        }
    }
}

/// Writes frames one by one.
#[derive(Debug)]
pub(crate) struct FrameWriter {
    send: SendStream,
    pub bytes: usize,
}

impl FrameWriter {
    pub(crate) fn new(send: SendStream) -> Self {
        Self { send, bytes: 0 }
    }

    pub(crate) async fn send(&mut self, frame: &Frame) -> Result<(), NetError> {
        let bytes = frame.encode();
        write_all(&mut self.send, &bytes).await?;
        self.bytes += bytes.len();
        Ok(())
    }

    /// Says goodbye and ends our side of the stream.
    pub(crate) async fn goodbye(&mut self, reason: &str) {
        let _ = self
            .send(&Frame::Goodbye {
                reason: reason.to_string(),
            })
            .await;
        let _ = self.send.finish();
    }

    pub(crate) fn finish(&mut self) {
        let _ = self.send.finish();
    }
}

/// The body of the next length-prefixed frame (its version and kind bytes first), or `None`
/// when the peer finished the stream cleanly. The length is checked against `limit` before a
/// byte of the body is read, and the body must follow within [`FRAME_TIMEOUT`].
pub(crate) async fn read_body(
    recv: &mut RecvStream,
    limit: usize,
) -> Result<Option<Vec<u8>>, NetError> {
    let mut prefix = [0u8; 4];
    match recv.read_exact(&mut prefix).await {
        Ok(()) => {}
        Err(iroh::endpoint::ReadExactError::FinishedEarly(0)) => return Ok(None),
        Err(iroh::endpoint::ReadExactError::FinishedEarly(_)) => {
            return Err(NetError::Protocol(FrameError::Truncated.to_string()));
        }
        Err(e) => return Err(NetError::Connection(e.to_string())),
    }
    let len =
        Frame::declared_len_within(prefix, limit).map_err(|e| NetError::Protocol(e.to_string()))?;
    let mut body = vec![0u8; len];
    tokio::time::timeout(FRAME_TIMEOUT, recv.read_exact(&mut body))
        .await
        .map_err(|_| NetError::Protocol("the peer stopped in the middle of a frame".into()))?
        .map_err(|e| NetError::Connection(e.to_string()))?;
    Ok(Some(body))
}

/// Writes already-framed bytes, giving up after [`FRAME_TIMEOUT`] of a peer not reading.
pub(crate) async fn write_all(send: &mut SendStream, bytes: &[u8]) -> Result<(), NetError> {
    tokio::time::timeout(FRAME_TIMEOUT, send.write_all(bytes))
        .await
        .map_err(|_| NetError::Timeout)?
        .map_err(|e| NetError::Connection(e.to_string()))
}
