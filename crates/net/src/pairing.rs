//! Pairing two devices with a one-time invite.
//!
//! The inviter shows a code (its address, its identity key, a one-time secret, an expiry).
//! The joiner dials, proves the secret and hands over its card; the inviter answers with its
//! own card and the couple's whole document as a bundle, which the joiner verifies like any
//! other. A code works once, for ten minutes; five wrong tries close it.
//!
//! The joiner dials the invite's own ALPN, derived from its secret (see [`crate::alpn`]), and
//! the inviter answers that ALPN only while the invite is open: without the code a device
//! cannot even reach this handler, which checks the secret again.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use iroh::endpoint::Connection;
use iroh::{EndpointAddr, EndpointId};
use tracing::{info, warn};
use trellis_core::{Bundle, Card, Frame};
use trellis_store::LocalZone;

use crate::error::{NetError, PairingError};
use crate::gate::codes;
use crate::handle::{Event, InviteEnd};
use crate::invite::{INVITE_MINUTES, Invite};
use crate::shared::Net;
use crate::wire::{FrameReader, FrameWriter};

const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to try reaching the inviting device: shorter than the connection's own idle
/// timeout (`endpoint::SILENT_FOR`), so a closed invite's silence is always answered by this
/// timer and its sentence, never by the handshake's bare "timed out" racing it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(8);
const _: () = assert!(CONNECT_TIMEOUT.as_secs() < crate::endpoint::SILENT_FOR.as_secs());
/// Wrong secrets tolerated before the invite is closed.
const MAX_WRONG: u32 = 5;
/// Each wrong secret is answered this late, so guessing is slow.
const WRONG_DELAY: Duration = Duration::from_secs(1);
/// The joiner's last word once the couple's document is verified and stored.
const PAIRED: &str = "paired";
/// The largest first frame a device knocking with an invite may send (a request and a
/// card are under a kilobyte).
const PAIR_REQUEST_LIMIT: usize = 64 * 1024;

#[derive(Debug)]
struct Open {
    secret: [u8; 16],
    expires_at: i64,
    wrong: u32,
}

/// The invite this device has open, if any.
#[derive(Debug, Default, Clone)]
pub(crate) struct Invites {
    open: Arc<Mutex<Option<Open>>>,
}

impl Invites {
    /// Opens a new invite, replacing any open one; returns its code.
    pub(crate) async fn open(&self, net: &Net) -> Result<(String, i64), NetError> {
        let inviter = net.doc.run(|s| s.profile.key()).await?;
        let mut secret = [0u8; 16];
        getrandom::fill(&mut secret).map_err(|e| PairingError::Randomness(e.to_string()))?;
        let expires_at = LocalZone::now().at_ms + INVITE_MINUTES * 60_000;
        let code = Invite {
            secret,
            expires_at,
            inviter,
            addr: net.endpoint.addr(),
        }
        .encode();
        *self.open.lock().unwrap_or_else(PoisonError::into_inner) = Some(Open {
            secret,
            expires_at,
            wrong: 0,
        });
        net.gate
            .set_invite(Some(crate::alpn::pair(&secret)), &net.endpoint);
        // An expired invite must not keep its ALPN open until someone happens to try it.
        let (invites, for_timer) = (self.clone(), net.clone());
        tokio::spawn(async move {
            invites
                .close_at_expiry(&for_timer, secret, expires_at)
                .await
        });
        net.publisher
            .update(|s| s.network.invite = Some((code.clone(), expires_at)));
        net.publisher.event(Event::InviteOpen {
            code: code.clone(),
            expires_at,
        });
        Ok((code, expires_at))
    }

    pub(crate) fn close(&self, net: &Net, reason: InviteEnd) {
        self.close_if(net, reason, |_| true);
    }

    /// Closes the invite with this secret when it expires, unless it closed before.
    async fn close_at_expiry(&self, net: &Net, secret: [u8; 16], expires_at: i64) {
        let left = u64::try_from(expires_at - LocalZone::now().at_ms).unwrap_or(0);
        let mut stop = net.stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(left)) => {}
            _ = stop.changed() => return,
        }
        self.close_if(net, InviteEnd::Expired, |open| {
            open.is_some_and(|o| o.secret == secret)
        });
    }

    /// Closes the invite if `which` says so of the one open now (if any), in one step, so a
    /// newer invite opened meanwhile is never the one closed.
    fn close_if(&self, net: &Net, reason: InviteEnd, which: impl FnOnce(Option<&Open>) -> bool) {
        let was_open = {
            let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            if !which(open.as_ref()) {
                return;
            }
            open.take().is_some()
        };
        net.gate.set_invite(None, &net.endpoint);
        net.publisher.update(|s| s.network.invite = None);
        if was_open {
            net.publisher.event(Event::InviteClosed { reason });
        }
    }

    /// Checks a presented secret. `Ok` consumes the invite.
    fn check(&self, secret: &[u8; 16]) -> Result<(), Refusal> {
        let Ok(mut guard) = self.open.lock() else {
            return Err(Refusal::NoInvite);
        };
        let Some(open) = guard.as_mut() else {
            return Err(Refusal::NoInvite);
        };
        if LocalZone::now().at_ms > open.expires_at {
            *guard = None;
            return Err(Refusal::Expired);
        }
        // Constant time: every byte is compared whatever the first difference.
        let differs = open
            .secret
            .iter()
            .zip(secret)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differs != 0 {
            open.wrong += 1;
            if open.wrong >= MAX_WRONG {
                *guard = None;
                return Err(Refusal::TooMany);
            }
            return Err(Refusal::Wrong);
        }
        *guard = None;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    NoInvite,
    Expired,
    Wrong,
    TooMany,
}

impl Refusal {
    fn words(self) -> &'static str {
        match self {
            Refusal::NoInvite => {
                "there is no open invite on this device (it was used or closed); ask for a new one"
            }
            Refusal::Expired => "that invite has expired; ask for a new one",
            Refusal::Wrong => "that invite code is not right; check it and try again",
            Refusal::TooMany => "too many wrong tries: the invite is closed; ask for a new one",
        }
    }
}

/// The inviter's side: the pairing protocol's handler.
#[derive(Debug, Clone)]
pub(crate) struct PairHandler {
    pub net: Net,
    pub invites: Invites,
}

impl PairHandler {
    /// Serves one device that dialed the open invite's ALPN.
    pub(crate) async fn accept(&self, conn: Connection) {
        if let Err(e) = self.serve(&conn).await {
            warn!("a pairing attempt failed: {e}");
        }
    }

    async fn serve(&self, conn: &Connection) -> Result<(), NetError> {
        let net = &self.net;
        let (send, recv) = tokio::time::timeout(STEP_TIMEOUT, conn.accept_bi())
            .await
            .map_err(|_| NetError::Timeout)?
            .map_err(|e| NetError::Connection(e.to_string()))?;
        // Anyone may knock while an invite is open: their first words are a small request.
        let mut reader = FrameReader::with_limit(recv, PAIR_REQUEST_LIMIT);
        let mut writer = FrameWriter::new(send);
        let Frame::PairRequest { secret, card } = reader.expect(STEP_TIMEOUT).await? else {
            writer.goodbye("expected a pairing request").await;
            return Err(NetError::Protocol("expected a pairing request".into()));
        };
        if let Err(refusal) = self.invites.check(&secret) {
            if refusal == Refusal::Wrong {
                tokio::time::sleep(WRONG_DELAY).await;
            }
            if matches!(refusal, Refusal::TooMany | Refusal::Expired) {
                self.invites.close(
                    net,
                    if refusal == Refusal::TooMany {
                        InviteEnd::TooManyTries
                    } else {
                        InviteEnd::Expired
                    },
                );
            }
            writer.goodbye(refusal.words()).await;
            // Let the joiner read the reason before the connection goes.
            let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
            return Err(PairingError::Declined(refusal.words().into()).into());
        }
        // From here on the invite is used up, whatever happens.
        self.invites.close(net, InviteEnd::Used);
        let card = Card::from_json(&card)?.verify()?;
        if card.device != *conn.remote_id().as_bytes() {
            writer
                .goodbye("the card's device is not the device that connected")
                .await;
            return Err(PairingError::WrongDevice.into());
        }
        let partner_card = card.card.clone();
        let (my_card, bundle, heads, name, number) = net
            .doc
            .run(move |s| -> Result<_, NetError> {
                match s.profile.couple() {
                    Some(c) if c.partner() != card.key => {
                        return Err(PairingError::SecondPartner(c.name_of(&c.partner())).into());
                    }
                    Some(_) => {}
                    None => {
                        s.profile.create_couple(&partner_card, LocalZone::now())?;
                    }
                }
                // Inside the live, end-to-end encrypted connection: not sealed.
                let (bundle, _) = s.profile.plain_bundle(true, LocalZone::now())?;
                let heads = s.profile.couple_mut()?.heads();
                let my_card = s.profile.card()?.to_json();
                s.publish(LocalZone::now());
                // The name the couple knows them by (a recovered device's card has none yet).
                let name = s
                    .profile
                    .couple()
                    .map(|c| c.name_of(&card.key))
                    .unwrap_or_else(|| card.name.clone());
                Ok((
                    my_card,
                    bundle,
                    heads,
                    name,
                    s.profile.safety_number().unwrap_or_default(),
                ))
            })
            .await??;
        writer.send(&Frame::PairAccept { card: my_card }).await?;
        send_bundle(&mut writer, &bundle).await?;
        writer.finish();
        // The joiner says goodbye once it has verified and stored everything; a joiner whose
        // identity was recovered on a new device first sends the record of that device,
        // verified and applied like any change of theirs.
        let mut last = reader.expect(STEP_TIMEOUT).await;
        if let Ok(first @ Frame::BundleHeader { .. }) = last {
            receive_device_record(net, &mut reader, first).await?;
            // The new device dials as soon as it has said its last word: open the gate now.
            net.partner_changed().await;
            last = reader.expect(STEP_TIMEOUT).await;
        }
        if let Ok(Frame::Goodbye { reason }) = last
            && reason == PAIRED
        {
            let _ = net
                .doc
                .run(move |s| {
                    let _ = s.profile.note_partner_has(&heads, LocalZone::now());
                    s.publish(LocalZone::now());
                })
                .await;
        }
        // The couple exists now: its sync ALPN opens to the joiner's device, and the LAN
        // search for it starts.
        net.partner_changed().await;
        info!("paired with {name}");
        net.publisher.event(Event::Paired {
            partner: name,
            safety_number: number,
        });
        Ok(())
    }
}

/// The largest bundle a joiner may send back while pairing: the record of its new device,
/// one small change.
const DEVICE_RECORD_LIMIT: usize = 256 * 1024;

/// The inviter takes in the bundle a recovered joiner sends after the document: its device
/// record, checked like any bundle from the partner.
async fn receive_device_record(
    net: &Net,
    reader: &mut FrameReader,
    first: Frame,
) -> Result<(), NetError> {
    let bytes = read_bundle(reader, first.encode(), DEVICE_RECORD_LIMIT, || {
        "the joiner sent more than the record of its device".into()
    })
    .await?;
    net.doc
        .run(move |s| -> Result<(), NetError> {
            s.profile.import_bundle(&bytes, LocalZone::now())?;
            s.publish(LocalZone::now());
            Ok(())
        })
        .await??;
    Ok(())
}

/// Sends a bundle's frames, as encoded, one by one.
async fn send_bundle(writer: &mut FrameWriter, bundle: &[u8]) -> Result<(), NetError> {
    let mut rest = bundle;
    while !rest.is_empty() {
        let (frame, after) = Frame::decode(rest).map_err(|e| NetError::Protocol(e.to_string()))?;
        writer.send(&frame).await?;
        rest = after;
    }
    Ok(())
}

/// Reads a bundle's frames up to its end, after the bytes already read (`bytes`), refusing
/// one larger than `limit` with the sentence `too_large` makes.
async fn read_bundle(
    reader: &mut FrameReader,
    mut bytes: Vec<u8>,
    limit: usize,
    too_large: impl Fn() -> String,
) -> Result<Vec<u8>, NetError> {
    loop {
        let frame = reader.expect(STEP_TIMEOUT).await?;
        let end = matches!(frame, Frame::BundleEnd { .. });
        bytes.extend(frame.encode());
        if bytes.len() > limit {
            return Err(NetError::Protocol(too_large()));
        }
        if end {
            return Ok(bytes);
        }
    }
}

/// The joiner's side: dial the inviter with the code and join.
pub(crate) async fn join(net: &Net, code: &str) -> Result<(String, String), NetError> {
    let invite = Invite::decode(code)?;
    if LocalZone::now().at_ms > invite.expires_at {
        return Err(PairingError::Expired.into());
    }
    let my_card = net.doc.run(|s| s.profile.card()).await??;
    if invite.inviter == my_card.verify()?.key {
        return Err(PairingError::OwnInvite.into());
    }
    net.memory.add_endpoint_info(invite.addr.clone());
    let conn = tokio::time::timeout(
        CONNECT_TIMEOUT,
        net.endpoint.connect(invite.addr.clone(), &invite.alpn()),
    )
    .await
    // The inviter gives no answer at all to an invite it no longer has open.
    .map_err(|_| PairingError::NoAnswer)?
    .map_err(|e| NetError::Unreachable(e.to_string()))?;
    let result = join_over(net, &conn, &invite, my_card).await;
    conn.close(codes::BYE.into(), b"bye");
    result.map_err(|e| match e {
        NetError::Connection(_) => PairingError::NotAccepting.into(),
        other => other,
    })
}

async fn join_over(
    net: &Net,
    conn: &Connection,
    invite: &Invite,
    my_card: Card,
) -> Result<(String, String), NetError> {
    let (send, recv) = conn
        .open_bi()
        .await
        .map_err(|e| NetError::Connection(e.to_string()))?;
    let mut writer = FrameWriter::new(send);
    // The device this one dialed, from the code: it sends the couple's whole document, in
    // bundle-sized frames.
    let mut reader = FrameReader::with_limit(recv, trellis_core::frame::MAX_FRAME_LEN);
    writer
        .send(&Frame::PairRequest {
            secret: invite.secret,
            card: my_card.to_json(),
        })
        .await?;
    let card = match reader.expect(STEP_TIMEOUT).await? {
        Frame::PairAccept { card } => Card::from_json(&card)?.verify()?,
        Frame::Goodbye { reason } => return Err(PairingError::Declined(reason).into()),
        _ => {
            return Err(NetError::Protocol(
                "unexpected answer to a pairing request".into(),
            ));
        }
    };
    let remote: EndpointId = conn.remote_id();
    if card.key != invite.inviter || card.device != *remote.as_bytes() {
        return Err(PairingError::WrongIdentity.into());
    }
    // The couple's document follows as a bundle; it is verified like any other.
    let bytes = read_bundle(
        &mut reader,
        Vec::new(),
        trellis_core::bundle::MAX_BUNDLE_BYTES,
        || {
            format!(
                "the couple's document is larger than the {} MiB a bundle may be",
                trellis_core::bundle::MAX_BUNDLE_BYTES / (1024 * 1024)
            )
        },
    )
    .await?;
    Bundle::decode(&bytes).map_err(trellis_core::CoreError::from)?;
    let inviter = invite.inviter;
    let (name, number, record) = net
        .doc
        .run(move |s| -> Result<_, NetError> {
            // The couple must be with the inviter: checked before anything is stored.
            s.profile
                .import_from_inviter(&bytes, inviter, LocalZone::now())?;
            let couple = s
                .profile
                .couple()
                .ok_or(trellis_store::StoreError::NoCouple)?;
            let name = couple.name_of(&inviter);
            // My identity was recovered on this device: the couple learns it is my device now.
            let record = if s.profile.record_device_if_needed(LocalZone::now())? {
                Some(s.profile.plain_bundle(false, LocalZone::now())?.0)
            } else {
                None
            };
            s.publish(LocalZone::now());
            Ok((name, s.profile.safety_number().unwrap_or_default(), record))
        })
        .await??;
    if let Some(record) = record {
        send_bundle(&mut writer, &record).await?;
    }
    writer.goodbye(PAIRED).await;
    net.remember_address(EndpointAddr::from_parts(
        remote,
        invite.addr.addrs.iter().cloned(),
    ))
    .await;
    net.partner_changed().await;
    net.publisher.event(Event::Paired {
        partner: name.clone(),
        safety_number: number.clone(),
    });
    Ok((name, number))
}
