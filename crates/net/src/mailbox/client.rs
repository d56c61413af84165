//! The node's half: leaves envelopes for the partner and picks up its own.

use std::time::Duration;

use iroh::endpoint::{ConnectError, Connection, ConnectionError};
use iroh::{Endpoint, EndpointAddr};
use tokio::sync::Mutex;

use crate::error::NetError;

use super::limits::{CHUNK_BYTES, CONNECT_TIMEOUT, MAX_IDS, PICK_UP_ENVELOPES, STEP_TIMEOUT};
use super::proto::{MailboxStatus, Reply, Request};
use super::stream::MailboxStream;
use super::{Member, codes, members_alpn, registration_alpn};

/// How long the mailbox may take to store a whole envelope once it has all of it.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(120);

/// Talks to one mailbox from this device's endpoint (whose key is this partner's certified
/// device key). Keeps one connection and opens a stream per request on it.
#[derive(Debug)]
pub struct MailboxClient {
    endpoint: Endpoint,
    mailbox: EndpointAddr,
    conn: Mutex<Option<Connection>>,
}

impl MailboxClient {
    pub fn new(endpoint: Endpoint, mailbox: iroh::EndpointAddr) -> Self {
        Self {
            endpoint,
            mailbox,
            conn: Mutex::new(None),
        }
    }

    pub fn mailbox(&self) -> &EndpointAddr {
        &self.mailbox
    }

    /// Registers the couple with a one-time code: me (must be the connecting device) and my
    /// partner; both devices are admitted from then on. Idempotent for an already registered
    /// couple: if the code no longer opens (say the first answer was lost) but this device is
    /// already a member, that is success.
    pub async fn register(
        &self,
        secret: [u8; 16],
        me: Member,
        partner: Member,
    ) -> Result<(), NetError> {
        if me.device != *self.endpoint.id().as_bytes() {
            return Err(NetError::Internal(
                "a mailbox registration must name the device that makes it".into(),
            ));
        }
        me.verify()?;
        partner.verify()?;
        let conn = match self.connect(&registration_alpn(&secret)).await {
            Ok(conn) => conn,
            Err(e) => return self.member_already_or(e).await,
        };
        let result = async {
            let (send, recv) = conn
                .open_bi()
                .await
                .map_err(|e| NetError::Connection(e.to_string()))?;
            let mut stream = MailboxStream::new(send, recv);
            stream
                .send_request(&Request::Register {
                    secret,
                    me,
                    partner,
                })
                .await?;
            let reply = stream.reply(STEP_TIMEOUT).await;
            stream.finish();
            reply
        }
        .await
        .map_err(|e| explain(&conn, e));
        conn.close(codes::BYE.into(), b"registered");
        match result? {
            Reply::Done => Ok(()),
            Reply::Refused(super::Refusal::CodeClosed) => {
                self.member_already_or(NetError::MailboxCodeClosed).await
            }
            Reply::Refused(refusal) => Err(refusal.into_error()),
            other => Err(unexpected(&other)),
        }
    }

    /// Leaves an envelope for my partner; returns its id once it is durably stored.
    pub async fn deposit(&self, envelope: &[u8]) -> Result<u64, NetError> {
        let len = envelope.len() as u64;
        let (mut stream, reply) = self.begin(Request::Deposit { len }).await?;
        match reply {
            Reply::Ready => {}
            Reply::Refused(refusal) => return Err(refusal.into_error()),
            other => return Err(unexpected(&other)),
        }
        for chunk in envelope.chunks(CHUNK_BYTES) {
            stream.send_request(&Request::Chunk(chunk.to_vec())).await?;
        }
        stream.finish();
        match stream.reply(COMMIT_TIMEOUT).await? {
            Reply::Deposited { id } => Ok(id),
            Reply::Refused(refusal) => Err(refusal.into_error()),
            other => Err(unexpected(&other)),
        }
    }

    /// Envelopes waiting for me, oldest first (bounded per call; call again after
    /// acknowledging for more).
    pub async fn pick_up(&self) -> Result<Vec<(u64, Vec<u8>)>, NetError> {
        let (mut stream, mut reply) = self.begin(Request::PickUp).await?;
        let mut envelopes = Vec::new();
        loop {
            match reply {
                Reply::End => break,
                Reply::Envelope { id, len } => {
                    if envelopes.len() >= PICK_UP_ENVELOPES {
                        return Err(NetError::Protocol(
                            "the mailbox sent more envelopes than one pick-up holds".into(),
                        ));
                    }
                    envelopes.push((id, read_envelope(&mut stream, len).await?));
                }
                Reply::Refused(refusal) => return Err(refusal.into_error()),
                other => return Err(unexpected(&other)),
            }
            reply = stream.reply(STEP_TIMEOUT).await?;
        }
        stream.finish();
        Ok(envelopes)
    }

    pub async fn acknowledge(&self, ids: &[u64]) -> Result<(), NetError> {
        for batch in ids.chunks(MAX_IDS) {
            self.expect_done(Request::Acknowledge {
                ids: batch.to_vec(),
            })
            .await?;
        }
        Ok(())
    }

    pub async fn status(&self) -> Result<MailboxStatus, NetError> {
        let (mut stream, reply) = self.begin(Request::Status).await?;
        stream.finish();
        match reply {
            Reply::Status(status) => Ok(status),
            Reply::Refused(refusal) => Err(refusal.into_error()),
            other => Err(unexpected(&other)),
        }
    }

    /// Clears notices of my envelopes that expired unpicked, once I have acted on them.
    pub async fn forget_expired(&self, ids: &[u64]) -> Result<(), NetError> {
        for batch in ids.chunks(MAX_IDS) {
            self.expect_done(Request::ForgetExpired {
                ids: batch.to_vec(),
            })
            .await?;
        }
        Ok(())
    }

    /// Removes the couple and all its envelopes from the mailbox. A device the mailbox does
    /// not know (the partner left first, or an earlier answer was lost) has nothing to remove.
    pub async fn leave(&self) -> Result<(), NetError> {
        let result = match self.expect_done(Request::Leave).await {
            Err(NetError::MailboxNotMember) => Ok(()),
            other => other,
        };
        self.close().await;
        result
    }

    /// Closes the connection to the mailbox (the next request opens a new one).
    pub async fn close(&self) {
        if let Some(conn) = self.conn.lock().await.take() {
            conn.close(codes::BYE.into(), b"bye");
        }
    }

    async fn expect_done(&self, request: Request) -> Result<(), NetError> {
        let (mut stream, reply) = self.begin(request).await?;
        stream.finish();
        match reply {
            Reply::Done => Ok(()),
            Reply::Refused(refusal) => Err(refusal.into_error()),
            other => Err(unexpected(&other)),
        }
    }

    /// Sends a member's request and reads the first reply. Until that reply nothing has been
    /// stored, so a connection found dead (the mailbox restarted, or dropped it while idle)
    /// is replaced once and the request sent again.
    async fn begin(&self, request: Request) -> Result<(MailboxStream, Reply), NetError> {
        let mut retried = false;
        loop {
            let (conn, fresh) = self.members_connection().await?;
            let attempt = async {
                let (send, recv) = conn
                    .open_bi()
                    .await
                    .map_err(|e| NetError::Connection(e.to_string()))?;
                let mut stream = MailboxStream::new(send, recv);
                stream.send_request(&request).await?;
                let reply = stream.reply(STEP_TIMEOUT).await?;
                Ok::<_, NetError>((stream, reply))
            }
            .await
            .map_err(|e| explain(&conn, e));
            match attempt {
                Err(NetError::Connection(_)) if !fresh && !retried => {
                    retried = true;
                    self.forget(&conn).await;
                }
                Err(e) => {
                    if matches!(e, NetError::Connection(_) | NetError::MailboxNotMember) {
                        self.forget(&conn).await;
                    }
                    return Err(e);
                }
                Ok(ok) => return Ok(ok),
            }
        }
    }

    /// The members' connection, and whether it was opened just now.
    async fn members_connection(&self) -> Result<(Connection, bool), NetError> {
        let mut cached = self.conn.lock().await;
        if let Some(conn) = cached.as_ref()
            && conn.close_reason().is_none()
        {
            return Ok((conn.clone(), false));
        }
        let conn = self.connect(&members_alpn(&self.mailbox.id)).await?;
        *cached = Some(conn.clone());
        Ok((conn, true))
    }

    async fn forget(&self, conn: &Connection) {
        let mut cached = self.conn.lock().await;
        if cached
            .as_ref()
            .is_some_and(|c| c.stable_id() == conn.stable_id())
        {
            *cached = None;
        }
    }

    async fn connect(&self, alpn: &[u8]) -> Result<Connection, NetError> {
        match tokio::time::timeout(
            CONNECT_TIMEOUT,
            self.endpoint.connect(self.mailbox.clone(), alpn),
        )
        .await
        {
            Err(_) => Err(NetError::MailboxUnreachable("it did not answer".into())),
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(ConnectError::Connection {
                source: ConnectionError::ApplicationClosed(close),
                ..
            })) if close.error_code == codes::NOT_MEMBER.into() => Err(NetError::MailboxNotMember),
            Ok(Err(e)) => Err(NetError::MailboxUnreachable(e.to_string())),
        }
    }

    /// After a registration could not be made: success if this device is a member already
    /// (the couple registered before), else what the mailbox's answer means.
    async fn member_already_or(&self, failure: NetError) -> Result<(), NetError> {
        match self.status().await {
            Ok(_) => Ok(()),
            // The mailbox answers but does not know us: the code is what failed.
            Err(NetError::MailboxNotMember)
                if matches!(failure, NetError::MailboxUnreachable(_)) =>
            {
                Err(NetError::MailboxCodeClosed)
            }
            Err(_) => Err(failure),
        }
    }
}

/// Reads the chunks of one envelope of `len` bytes.
async fn read_envelope(stream: &mut MailboxStream, len: u64) -> Result<Vec<u8>, NetError> {
    if len > trellis_core::seal::MAX_ENVELOPE_BYTES as u64 {
        return Err(NetError::Protocol(format!(
            "the mailbox announced an envelope of {len} bytes, more than any envelope holds"
        )));
    }
    let len = len as usize;
    let mut envelope = Vec::with_capacity(len.min(CHUNK_BYTES));
    while envelope.len() < len {
        match stream.reply(STEP_TIMEOUT).await? {
            Reply::Chunk(chunk) if !chunk.is_empty() && chunk.len() <= len - envelope.len() => {
                envelope.extend_from_slice(&chunk);
            }
            Reply::Refused(refusal) => return Err(refusal.into_error()),
            other => return Err(unexpected(&other)),
        }
    }
    Ok(envelope)
}

/// A connection the mailbox closed as not a member's says so, whatever the stream saw.
fn explain(conn: &Connection, e: NetError) -> NetError {
    match conn.close_reason() {
        Some(ConnectionError::ApplicationClosed(close))
            if close.error_code == codes::NOT_MEMBER.into() =>
        {
            NetError::MailboxNotMember
        }
        _ => e,
    }
}

fn unexpected(reply: &Reply) -> NetError {
    let what = match reply {
        Reply::Done => "done",
        Reply::Ready => "ready",
        Reply::Deposited { .. } => "deposited",
        Reply::Envelope { .. } => "an envelope",
        Reply::End => "the end of a pick-up",
        Reply::Status(_) => "a status",
        Reply::Refused(_) => "a refusal",
        Reply::Chunk(_) => "a chunk",
    };
    NetError::Protocol(format!("the mailbox answered out of turn ({what})"))
}
