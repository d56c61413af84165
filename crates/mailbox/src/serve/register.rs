//! A device presents an open code and both partners' certified devices.

use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::Connection;
use tracing::{debug, info};
use trellis_net::NetError;
use trellis_net::mailbox::limits::STEP_TIMEOUT;
use trellis_net::mailbox::stream::REQUEST_LIMIT;
use trellis_net::mailbox::{MailboxStream, Member, Refusal, Reply, Request, codes};

use super::{Shared, failed};

/// Each wrong secret is answered this late, so guessing is slow.
const WRONG_DELAY: Duration = Duration::from_secs(1);

pub(super) async fn serve(conn: &Connection, shared: &Arc<Shared>, expected: [u8; 16]) {
    let result = async {
        let (send, recv) = tokio::time::timeout(STEP_TIMEOUT, conn.accept_bi())
            .await
            .map_err(|_| NetError::Timeout)?
            .map_err(|e| NetError::Connection(e.to_string()))?;
        let mut stream = MailboxStream::new(send, recv);
        let reply = match stream.request(REQUEST_LIMIT).await? {
            Some(Request::Register {
                secret,
                me,
                partner,
            }) => {
                let remote = *conn.remote_id().as_bytes();
                register(shared, remote, expected, secret, me, partner).await
            }
            Some(_) => Reply::Refused(Refusal::Other("expected a registration".into())),
            None => return Ok(()),
        };
        stream.send_reply(&reply).await?;
        // Let the device read the answer before the connection goes.
        stream.finish_and_wait().await;
        Ok::<(), NetError>(())
    }
    .await;
    if let Err(e) = result {
        debug!("a registration ended early: {e}");
    }
    conn.close(codes::BYE.into(), b"bye");
}

async fn register(
    shared: &Arc<Shared>,
    remote: [u8; 32],
    expected: [u8; 16],
    secret: [u8; 16],
    me: Member,
    partner: Member,
) -> Reply {
    // Constant time: every byte is compared whatever the first difference.
    let differs = expected
        .iter()
        .zip(&secret)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if differs != 0 {
        tokio::time::sleep(WRONG_DELAY).await;
        let counted = async {
            shared.store(move |s| s.wrong_secret(&expected)).await?;
            shared.reload_doors().await
        }
        .await;
        if let Err(e) = counted {
            return failed(&e);
        }
        return refuse("that code is not right; check it and try again");
    }
    if me.device != remote {
        return refuse("a registration must come from the first member's own device");
    }
    if me.verify().is_err() || partner.verify().is_err() {
        return refuse("a device certificate does not verify; add the mailbox from Trellis itself");
    }
    if me.identity == partner.identity || me.device == partner.device {
        return refuse("a couple is two partners, each on their own device");
    }
    let now = crate::now_ms();
    let registered = shared
        .store(move |s| s.register(&expected, now, me, partner))
        .await;
    // Whatever happened, the code may have closed.
    let reloaded = shared.reload_doors().await;
    match (registered, reloaded) {
        (Ok(Ok(_)), Ok(())) => {
            info!("a couple registered");
            Reply::Done
        }
        (Ok(Err(refusal)), _) => Reply::Refused(refusal),
        (Err(e), _) | (_, Err(e)) => failed(&e),
    }
}

fn refuse(why: &str) -> Reply {
    Reply::Refused(Refusal::Other(why.into()))
}
