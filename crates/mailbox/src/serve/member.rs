//! A registered device's requests: one per stream, one stream at a time per connection.

use std::sync::Arc;

use iroh::endpoint::Connection;
use tracing::debug;
use trellis_net::NetError;
use trellis_net::mailbox::limits::{IDLE_TIMEOUT, PICK_UP_BYTES, PICK_UP_ENVELOPES};
use trellis_net::mailbox::stream::REQUEST_LIMIT;
use trellis_net::mailbox::{MailboxStatus, MailboxStream, Refusal, Reply, Request, codes};

use super::{Shared, deposit, failed};
use crate::error::MailboxError;
use crate::store::{CoupleId, Slot};

pub(super) async fn serve(conn: &Connection, shared: &Arc<Shared>) {
    let device = *conn.remote_id().as_bytes();
    loop {
        let (send, recv) = match tokio::time::timeout(IDLE_TIMEOUT, conn.accept_bi()).await {
            Ok(Ok(streams)) => streams,
            // Quiet for too long, or gone.
            _ => break,
        };
        let mut stream = MailboxStream::new(send, recv);
        // Asked again for every request: the couple may have left meanwhile.
        let Some((couple, slot)) = shared.doors.member(&device) else {
            let _ = stream.send_reply(&Reply::Refused(Refusal::NotMember)).await;
            stream.finish_and_wait().await;
            conn.close(codes::NOT_MEMBER.into(), b"not registered at this mailbox");
            return;
        };
        if let Err(e) = request(&mut stream, shared, couple, slot).await {
            debug!("a member's request ended early: {e}");
        }
    }
    conn.close(codes::BYE.into(), b"bye");
}

async fn request(
    stream: &mut MailboxStream,
    shared: &Arc<Shared>,
    couple: CoupleId,
    slot: Slot,
) -> Result<(), NetError> {
    let Some(request) = stream.request(REQUEST_LIMIT).await? else {
        return Ok(());
    };
    let reply = match request {
        Request::Deposit { len } => return deposit::serve(stream, shared, couple, slot, len).await,
        Request::PickUp => return pick_up(stream, shared, couple, slot).await,
        Request::Acknowledge { ids } => done(
            shared
                .store(move |s| s.acknowledge(couple, slot, &ids))
                .await,
        ),
        Request::ForgetExpired { ids } => done(
            shared
                .store(move |s| s.forget_expired(couple, slot, &ids))
                .await,
        ),
        Request::Status => status(shared, couple, slot).await,
        Request::Leave => leave(shared, couple).await,
        Request::Register { .. } | Request::Chunk(_) => Reply::Refused(Refusal::Other(
            "that request does not belong at this door".into(),
        )),
    };
    stream.send_reply(&reply).await?;
    stream.finish();
    Ok(())
}

fn done(result: Result<(), MailboxError>) -> Reply {
    match result {
        Ok(()) => Reply::Done,
        Err(e) => failed(&e),
    }
}

async fn status(shared: &Arc<Shared>, couple: CoupleId, slot: Slot) -> Reply {
    match shared.store(move |s| s.status(couple, slot)).await {
        Ok(status) => Reply::Status(MailboxStatus {
            waiting_for_partner: status.waiting_for_partner,
            waiting_for_me: status.waiting_for_me,
            expired: status.expired,
            used_bytes: status.used.saturating_add(shared.reserved(couple)),
            quota_bytes: shared.quota,
        }),
        Err(e) => failed(&e),
    }
}

async fn leave(shared: &Arc<Shared>, couple: CoupleId) -> Reply {
    let result = async {
        shared.store(move |s| s.leave(couple)).await?;
        shared.reload_doors().await
    }
    .await;
    done(result)
}

/// Sends the oldest envelopes waiting for this member, chunk by chunk.
async fn pick_up(
    stream: &mut MailboxStream,
    shared: &Arc<Shared>,
    couple: CoupleId,
    slot: Slot,
) -> Result<(), NetError> {
    let waiting = shared
        .store(move |s| s.waiting(couple, slot, PICK_UP_ENVELOPES, PICK_UP_BYTES))
        .await;
    let waiting = match waiting {
        Ok(waiting) => waiting,
        Err(e) => return finish_with(stream, failed(&e)).await,
    };
    for envelope in waiting {
        stream
            .send_reply(&Reply::Envelope {
                id: envelope.id,
                len: envelope.len,
            })
            .await?;
        for index in 0..envelope.chunks {
            match shared
                .store(move |s| s.chunk(couple, envelope.id, index))
                .await
            {
                Ok(Some(bytes)) => stream.send_reply(&Reply::Chunk(bytes)).await?,
                Ok(None) => {
                    let gone = Reply::Refused(Refusal::Other(
                        "an envelope was removed while it was being sent; pick up again".into(),
                    ));
                    return finish_with(stream, gone).await;
                }
                Err(e) => return finish_with(stream, failed(&e)).await,
            }
        }
    }
    finish_with(stream, Reply::End).await
}

async fn finish_with(stream: &mut MailboxStream, reply: Reply) -> Result<(), NetError> {
    stream.send_reply(&reply).await?;
    stream.finish();
    Ok(())
}
