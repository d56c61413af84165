//! One sync conversation with the partner over an open connection.
//!
//! Both sides speak at will over one bidirectional stream: a `Hello`, then whenever there is
//! something to say — after connecting, after each message from the partner, after each
//! change made here — signed `Changes` frames followed by a `Sync` frame. Every incoming
//! change is verified and stored on the document thread before it is applied.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use iroh::endpoint::Connection;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};
use trellis_core::frame::{SYNC_CHUNK_BYTES, changes_frames};
use trellis_core::{Frame, SignedChange};
use trellis_store::LocalZone;

use crate::doc::Doc;
use crate::error::NetError;
use crate::gate::codes;
use crate::handle::SyncReport;
use crate::shared::Net;
use crate::wire::{FrameReader, FrameWriter};

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// Who opened the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Dialer,
    Acceptor,
}

/// How long to wait for the partner's first words.
const OPEN_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs a conversation until the connection ends or the node stops. What it did is added
/// to the node's running totals after each step (`Net::sync_report`).
pub(crate) async fn converse(
    net: &Net,
    conn: Connection,
    role: Role,
) -> Result<SyncReport, NetError> {
    let (send, recv) = match role {
        Role::Dialer => conn.open_bi().await,
        Role::Acceptor => tokio::time::timeout(OPEN_TIMEOUT, conn.accept_bi())
            .await
            .map_err(|_| NetError::Timeout)?,
    }
    .map_err(|e| NetError::Connection(e.to_string()))?;
    let doc = &net.doc;
    let mut writer = FrameWriter::new(send);
    let session_id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
    let (outbox_tx, outbox) = mpsc::unbounded_channel();
    doc.run(move |s| -> Result<(), NetError> {
        let session = s.profile.sync_session()?;
        s.sessions.insert(session_id, session);
        s.outboxes.insert(session_id, outbox_tx);
        Ok(())
    })
    .await??;

    let result = talk(net, &conn, &mut writer, recv, session_id, outbox).await;
    doc.run(move |s| {
        s.sessions.remove(&session_id);
        s.outboxes.remove(&session_id);
        // Changes that arrived without the sync message after them still reach the view.
        s.refresh_view(LocalZone::now());
        s.profile.compact_if_due();
    })
    .await?;
    match &result {
        Ok(_) => {
            writer.finish();
            conn.close(codes::BYE.into(), b"bye");
        }
        Err(NetError::Core(e)) => {
            warn!("refused changes from the partner's device: {e}");
            writer.goodbye(&format!("refused: {e}")).await;
            linger(&conn).await;
            conn.close(codes::REJECTED.into(), b"refused changes");
        }
        Err(NetError::Protocol(e)) => {
            warn!("closing the connection: the other device broke the protocol: {e}");
            writer.goodbye(&format!("protocol error: {e}")).await;
            linger(&conn).await;
            conn.close(codes::PROTOCOL.into(), b"protocol error");
        }
        Err(_) => {}
    }
    result
}

async fn talk(
    net: &Net,
    conn: &Connection,
    writer: &mut FrameWriter,
    recv: iroh::endpoint::RecvStream,
    session: u64,
    mut outbox: mpsc::UnboundedReceiver<trellis_store::SignedOutgoing>,
) -> Result<SyncReport, NetError> {
    let doc = &net.doc;
    let mut report = SyncReport::default();
    let mut published = SyncReport::default();
    let hello = crate::hello::encode(&net.endpoint.addr());
    writer.send(&Frame::Hello { payload: hello }).await?;

    // The reader runs on its own so a half-read frame is never lost to a `select!`.
    // Each item carries the bytes read so far, for the report.
    let (frames_tx, mut frames) = mpsc::channel::<Read>(4);
    // A frame read ahead (see `Frame::Changes` below), handled before the next one.
    let mut held: Option<Read> = None;
    let mut reader = FrameReader::new(recv);
    let reader_task = tokio::spawn(async move {
        loop {
            let next = reader.next().await;
            let done = !matches!(next, Ok(Some(_)));
            if frames_tx.send((next, reader.bytes)).await.is_err() || done {
                break;
            }
        }
    });
    let _reader_guard = AbortOnDrop(reader_task);

    let mut local = doc.local_changes();
    local.borrow_and_update();
    let mut stop = net.stop.clone();
    if *stop.borrow_and_update() {
        writer.goodbye("shutting down").await;
        return Ok(report);
    }

    send_outgoing(doc, writer, session, &mut report).await?;
    loop {
        tokio::select! {
            // In this order: stopping first (during a long sync a frame is always ready,
            // and a stop polled after it would wait for the whole history); then a change
            // made here, before anything else is answered, so messages reach the partner
            // in the order they were made.
            biased;
            _ = stop.changed() => {
                writer.goodbye("shutting down").await;
                return Ok(report);
            }
            Some(out) = outbox.recv() => {
                // A change made here, prepared on the document thread right after it was
                // stored: send it before anything else.
                report.in_sync = false;
                write_outgoing(writer, out, &mut report).await?;
                publish(net, &report, &mut published);
            }
            next = next_read(&mut held, &mut frames) => {
                let Some((next, bytes_read)) = next else {
                    return Ok(report);
                };
                report.bytes_received = bytes_read;
                let frame = match next {
                    Ok(None) => return Ok(report),
                    Err(e) => return Err(e),
                    Ok(Some(frame)) => frame,
                };
                match frame {
                    Frame::Hello { payload } => remember_partner(net, conn, &payload).await,
                    Frame::Changes(mut changes) => {
                        // What has already arrived behind these changes is taken in with
                        // them, in one transaction: more `Changes` frames of a long sync (up
                        // to `TOGETHER` of them), and the sync message sent right after.
                        let mut together = 1;
                        let message = loop {
                            match frames.try_recv() {
                                Ok((Ok(Some(Frame::Sync { message })), bytes_read)) => {
                                    report.bytes_received = bytes_read;
                                    break Some(message);
                                }
                                Ok((Ok(Some(Frame::Changes(more))), bytes_read))
                                    if together < TOGETHER =>
                                {
                                    report.bytes_received = bytes_read;
                                    changes.extend(more);
                                    together += 1;
                                }
                                Ok(other) => {
                                    held = Some(other);
                                    break None;
                                }
                                Err(_) => break None,
                            }
                        };
                        let in_sync = receive_changes(doc, session, changes, message, &mut report).await?;
                        report.in_sync = false;
                        publish(net, &report, &mut published);
                        if let Some(in_sync) = in_sync
                            && after_sync_message(net, writer, session, in_sync, &mut report, &mut published).await?
                        {
                            return Ok(report);
                        }
                    }
                    Frame::Sync { message } => {
                        let in_sync = doc
                            .run(move |s| -> Result<bool, NetError> {
                                let Some(mut sess) = s.sessions.remove(&session) else {
                                    return Err(NetError::Stopped);
                                };
                                let result = s.profile.sync_receive(&mut sess, &message, LocalZone::now());
                                let in_sync = s.profile.in_sync(&sess);
                                s.sessions.insert(session, sess);
                                result?;
                                s.took_sync_message(false);
                                Ok(in_sync)
                            })
                            .await??;
                        if after_sync_message(net, writer, session, in_sync, &mut report, &mut published).await? {
                            return Ok(report);
                        }
                    }
                    Frame::Goodbye { reason } => {
                        debug!("the partner's device ended the conversation: {reason}");
                        return Ok(report);
                    }
                    other => {
                        return Err(NetError::Protocol(format!("unexpected {} in a sync conversation", frame_name(&other))));
                    }
                }
            }
            changed = local.changed() => {
                if changed.is_ok() {
                    report.in_sync = false;
                    send_outgoing(doc, writer, session, &mut report).await?;
                    publish(net, &report, &mut published);
                }
            }
        }
    }
}

/// Adds what this conversation did since the last call to the node's running totals.
fn publish(net: &Net, report: &SyncReport, published: &mut SyncReport) {
    net.sync_report.send_modify(|t| {
        t.sent_changes += report.sent_changes - published.sent_changes;
        t.received_changes += report.received_changes - published.received_changes;
        t.verified += report.verified - published.verified;
        t.rejected += report.rejected - published.rejected;
        t.bytes_sent += report.bytes_sent - published.bytes_sent;
        t.bytes_received += report.bytes_received - published.bytes_received;
        t.in_sync = report.in_sync;
    });
    *published = report.clone();
}

/// Gives the peer a moment to read our last words before the connection closes.
async fn linger(conn: &Connection) {
    let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn frame_name(frame: &Frame) -> &'static str {
    match frame {
        Frame::BundleHeader { .. } => "a bundle header",
        Frame::Changes(_) => "changes",
        Frame::BundleEnd { .. } => "a bundle end",
        Frame::Sync { .. } => "a sync message",
        Frame::Hello { .. } => "a hello",
        Frame::PairRequest { .. } => "a pairing request",
        Frame::PairAccept { .. } => "a pairing answer",
        Frame::Goodbye { .. } => "a goodbye",
    }
}

/// Sends whatever the session has to say; returns whether anything was sent.
async fn send_outgoing(
    doc: &Doc,
    writer: &mut FrameWriter,
    session: u64,
    report: &mut SyncReport,
) -> Result<bool, NetError> {
    let out = doc
        .run(
            move |s| -> Result<Option<trellis_store::SignedOutgoing>, NetError> {
                let Some(mut sess) = s.sessions.remove(&session) else {
                    return Err(NetError::Stopped);
                };
                let out = s.profile.sync_outgoing(&mut sess);
                s.sessions.insert(session, sess);
                Ok(out?)
            },
        )
        .await??;
    let Some(out) = out else {
        return Ok(false);
    };
    write_outgoing(writer, out, report).await?;
    Ok(true)
}

/// Writes signed changes then the sync message that follows them.
async fn write_outgoing(
    writer: &mut FrameWriter,
    out: trellis_store::SignedOutgoing,
    report: &mut SyncReport,
) -> Result<(), NetError> {
    let trellis_store::SignedOutgoing { changes, message } = out;
    report.sent_changes += changes.len();
    let before = writer.bytes;
    for frame in changes_frames(changes, SYNC_CHUNK_BYTES) {
        writer.send(&frame).await?;
    }
    writer.send(&Frame::Sync { message }).await?;
    report.bytes_sent += writer.bytes - before;
    Ok(())
}

/// At most this many `Changes` frames (of about 256 KiB each) are taken in together.
const TOGETHER: usize = 4;

/// What a conversation reads: a frame (or the end, or an error) and the bytes read so far.
type Read = (Result<Option<Frame>, NetError>, usize);

/// The frame read ahead, if there is one, or else the next one read.
async fn next_read(held: &mut Option<Read>, frames: &mut mpsc::Receiver<Read>) -> Option<Read> {
    match held.take() {
        Some(read) => Some(read),
        None => frames.recv().await,
    }
}

/// After a sync message was taken in: answer it, and say whether the conversation is over
/// (the shared space was ended and the ending is on both sides).
async fn after_sync_message(
    net: &Net,
    writer: &mut FrameWriter,
    session: u64,
    in_sync: bool,
    report: &mut SyncReport,
    published: &mut SyncReport,
) -> Result<bool, NetError> {
    let doc = &net.doc;
    send_outgoing(doc, writer, session, report).await?;
    // Equal heads on both sides mean equal copies.
    report.in_sync = in_sync;
    publish(net, report, published);
    if doc
        .run(|s| s.profile.sync_is_over().unwrap_or(false))
        .await?
    {
        // This was the last exchange. Nobody may sync any more: the couple's ALPN closes too.
        net.gate.set_partner(None, &net.endpoint);
        writer.goodbye("the shared space was ended").await;
        return Ok(true);
    }
    Ok(false)
}

/// Takes in a `Changes` frame, with the sync message that followed it when it is here
/// already; then says whether both copies are equal (when there was a sync message).
async fn receive_changes(
    doc: &Doc,
    session: u64,
    changes: Vec<SignedChange>,
    message: Option<Vec<u8>>,
    report: &mut SyncReport,
) -> Result<Option<bool>, NetError> {
    let count = changes.len();
    let stored = doc
        .run(move |s| -> Result<(usize, Option<bool>), NetError> {
            let Some(mut sess) = s.sessions.remove(&session) else {
                return Err(NetError::Stopped);
            };
            let now = LocalZone::now();
            let stored = match &message {
                Some(message) => s
                    .profile
                    .receive_changes_and_sync(&mut sess, changes, message, now),
                None => s.profile.receive_changes(&mut sess, changes, now),
            };
            let in_sync = message.is_some().then(|| s.profile.in_sync(&sess));
            s.sessions.insert(session, sess);
            let stored = match stored {
                Ok(n) => n,
                Err(e) => {
                    // A refused sync message leaves the changes before it stored.
                    if message.is_some() {
                        s.received();
                    }
                    return Err(e.into());
                }
            };
            match message {
                Some(_) => s.took_sync_message(stored > 0),
                None if stored > 0 => s.received(),
                None => {}
            }
            Ok((stored, in_sync))
        })
        .await;
    match stored {
        Ok(Ok((n, in_sync))) => {
            report.received_changes += count;
            report.verified += n;
            if n > 0 {
                info!("received {n} verified change(s) from the partner");
            }
            Ok(in_sync)
        }
        Ok(Err(e)) => {
            report.rejected += count;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// The partner told us where it can be reached: remember it for next time.
async fn remember_partner(net: &Net, conn: &Connection, payload: &[u8]) {
    if let Some(addr) = crate::hello::decode(conn.remote_id(), payload) {
        net.remember_address(addr).await;
    }
}
