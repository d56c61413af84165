//! A member leaves an envelope for the partner: announced, checked against the quota, then
//! received chunk by chunk and made visible in one durable commit.

use std::sync::Arc;

use trellis_net::NetError;
use trellis_net::mailbox::limits::MAX_WAITING;
use trellis_net::mailbox::stream::CHUNK_LIMIT;
use trellis_net::mailbox::{MailboxStream, Refusal, Reply, Request, max_envelope};

use super::{Shared, failed};
use crate::store::{Couple, CoupleId, Slot, Waiting};

pub(super) async fn serve(
    stream: &mut MailboxStream,
    shared: &Arc<Shared>,
    couple: CoupleId,
    slot: Slot,
    len: u64,
) -> Result<(), NetError> {
    let recipient = Couple::other(slot);
    let max = max_envelope(shared.quota);
    if len == 0 {
        let empty = Refusal::Other("an empty envelope holds nothing to leave".into());
        return answer(stream, Reply::Refused(empty)).await;
    }
    if len > max {
        return answer(stream, Reply::Refused(Refusal::TooLarge { len, max })).await;
    }
    match shared
        .store(move |s| s.count_waiting(couple, recipient))
        .await
    {
        Ok(n) if n >= MAX_WAITING => {
            let crowded = Refusal::Other(format!(
                "{MAX_WAITING} envelopes already wait for your partner; leave more once they pick some up"
            ));
            return answer(stream, Reply::Refused(crowded)).await;
        }
        Ok(_) => {}
        Err(e) => return answer(stream, failed(&e)).await,
    }
    let reservation = match Reservation::take(shared, couple, len).await {
        Ok(reservation) => reservation,
        Err(refusal) => return answer(stream, refusal).await,
    };
    let id = match shared
        .store(move |s| s.begin_deposit(couple, recipient))
        .await
    {
        Ok(Some(id)) => id,
        Ok(None) => return answer(stream, Reply::Refused(Refusal::NotMember)).await,
        Err(e) => return answer(stream, failed(&e)).await,
    };
    let reply = match receive(stream, shared, couple, id, len).await {
        Ok(chunks) => {
            let envelope = Waiting { id, len, chunks };
            let now = crate::now_ms();
            match shared
                .store(move |s| s.finish_deposit(couple, recipient, envelope, now))
                .await
            {
                Ok(true) => Reply::Deposited { id },
                Ok(false) => Reply::Refused(Refusal::NotMember),
                Err(e) => {
                    abort(shared, couple, id).await;
                    failed(&e)
                }
            }
        }
        Err(Cut::Store(reply)) => {
            abort(shared, couple, id).await;
            reply
        }
        Err(Cut::Net(e)) => {
            abort(shared, couple, id).await;
            return Err(e);
        }
    };
    drop(reservation);
    answer(stream, reply).await
}

/// Why a deposit stopped before the whole envelope was in.
enum Cut {
    /// The client broke off or broke the protocol.
    Net(NetError),
    /// The mailbox could not store a chunk: what to tell the client.
    Store(Reply),
}

/// Takes the envelope's chunks; returns how many there were.
async fn receive(
    stream: &mut MailboxStream,
    shared: &Arc<Shared>,
    couple: CoupleId,
    id: u64,
    len: u64,
) -> Result<u32, Cut> {
    stream.send_reply(&Reply::Ready).await.map_err(Cut::Net)?;
    let mut received = 0u64;
    let mut index = 0u32;
    while received < len {
        let bytes = match stream.request(CHUNK_LIMIT).await.map_err(Cut::Net)? {
            Some(Request::Chunk(bytes))
                if !bytes.is_empty() && bytes.len() as u64 <= len - received =>
            {
                bytes
            }
            Some(_) => {
                return Err(Cut::Net(NetError::Protocol(
                    "expected the envelope's next chunk".into(),
                )));
            }
            None => {
                return Err(Cut::Net(NetError::Connection(
                    "the deposit was cut off".into(),
                )));
            }
        };
        received += bytes.len() as u64;
        shared
            .store(move |s| s.put_chunk(couple, id, index, &bytes))
            .await
            .map_err(|e| Cut::Store(failed(&e)))?;
        index = index.saturating_add(1);
    }
    Ok(index)
}

async fn abort(shared: &Arc<Shared>, couple: CoupleId, id: u64) {
    // If this fails too, the pending mark stays and the next start clears it.
    let _ = shared.store(move |s| s.abort_deposit(couple, id)).await;
}

async fn answer(stream: &mut MailboxStream, reply: Reply) -> Result<(), NetError> {
    stream.send_reply(&reply).await?;
    stream.finish();
    Ok(())
}

/// Room held for a deposit under way, given back when it lands or fails.
struct Reservation {
    shared: Arc<Shared>,
    couple: CoupleId,
    len: u64,
}

impl Reservation {
    async fn take(shared: &Arc<Shared>, couple: CoupleId, len: u64) -> Result<Self, Reply> {
        let used = match shared.store(move |s| s.used(couple)).await {
            Ok(Some(used)) => used,
            Ok(None) => return Err(Reply::Refused(Refusal::NotMember)),
            Err(e) => return Err(failed(&e)),
        };
        let mut reserved = shared.lock_reserved();
        let held = reserved.entry(couple).or_default();
        let used = used.saturating_add(*held);
        if used.saturating_add(len) > shared.quota {
            return Err(Reply::Refused(Refusal::Full {
                used,
                quota: shared.quota,
            }));
        }
        *held += len;
        Ok(Self {
            shared: shared.clone(),
            couple,
            len,
        })
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut reserved = self.shared.lock_reserved();
        if let Some(held) = reserved.get_mut(&self.couple) {
            *held = held.saturating_sub(self.len);
            if *held == 0 {
                reserved.remove(&self.couple);
            }
        }
    }
}
