//! The courier: carries sealed envelopes between this device and the couple's mailbox, so
//! two partners who are never online at the same moment still meet.
//!
//! Each round picks up what waits for me (each envelope opened, verified and applied
//! through the profile's one seam, then acknowledged), leaves what my partner lacks (only
//! while their device is not connected: live sync is the fast path) and reads back which of
//! my envelopes still wait. Rounds run at start, every few minutes, soon after a local
//! change, and on request; one at a time.

use std::sync::Arc;
use std::time::Duration;

use iroh::EndpointAddr;
use tokio::sync::{Mutex, Notify};
use tracing::{debug, warn};
use trellis_store::LocalZone;
use trellis_store::StoreError;

use crate::error::NetError;
use crate::handle::{Event, MailboxState};
use crate::mailbox::{MailboxClient, Member};
use crate::peers::Peers;
use crate::reply::Outcome;
use crate::shared::Net;

/// After a local change, how long to gather more before depositing.
const AFTER_CHANGE: Duration = Duration::from_secs(2);
/// How often to look whether the couple's mailbox changed, between rounds.
const LOOK_EVERY: Duration = Duration::from_secs(3);
/// The most envelopes one round picks up (the rest wait for the next round).
const MAX_PICKUPS_PER_ROUND: usize = 64;

#[derive(Debug)]
pub(crate) struct Courier {
    net: Net,
    peers: Arc<Peers>,
    wake: Notify,
    /// One round at a time, whoever asks.
    round: Mutex<()>,
}

/// The mailbox a record names: the JSON of an iroh address, as [`address_text`] writes it.
pub(crate) fn parse_address(text: &str) -> Result<EndpointAddr, NetError> {
    serde_json::from_str(text).map_err(|_| NetError::MailboxAddress)
}

pub(crate) fn address_text(addr: &EndpointAddr) -> Result<String, NetError> {
    serde_json::to_string(addr)
        .map_err(|e| NetError::Internal(format!("the mailbox's address cannot be written: {e}")))
}

impl Courier {
    pub(crate) fn new(net: Net, peers: Arc<Peers>) -> Arc<Self> {
        Arc::new(Self {
            net,
            peers,
            wake: Notify::new(),
            round: Mutex::new(()),
        })
    }

    /// Runs a round soon.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Rounds until the node stops.
    pub(crate) async fn run_forever(self: Arc<Self>, every: Duration) {
        let mut stop = self.net.stop.clone();
        let mut changes = self.net.doc.local_changes();
        loop {
            if let Err(e) = self.round().await {
                debug!("mailbox round: {e}");
            }
            let visited = self.address().await;
            let due = tokio::time::Instant::now() + every;
            // Between rounds, a cheap look every few seconds: a mailbox my partner just
            // added (or removed) is used at once, not at the next round.
            loop {
                let next = due.min(tokio::time::Instant::now() + LOOK_EVERY);
                tokio::select! {
                    _ = tokio::time::sleep_until(next) => {
                        if next >= due || self.address().await != visited {
                            break;
                        }
                    }
                    _ = self.wake.notified() => break,
                    changed = changes.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        tokio::time::sleep(AFTER_CHANGE).await;
                        break;
                    }
                    _ = stop.changed() => return,
                }
            }
            if *stop.borrow() {
                return;
            }
        }
    }

    /// The couple's mailbox address as the document says now.
    async fn address(&self) -> Option<String> {
        self.net
            .doc
            .run(|s| s.profile.mailbox_address(LocalZone::now()))
            .await
            .ok()
            .flatten()
    }

    /// One round now; the state it leaves is also published for the window.
    pub(crate) async fn round(&self) -> Result<Option<MailboxState>, NetError> {
        let _one = self.round.lock().await;
        self.visit_carrier_folder().await;
        let address = self
            .net
            .doc
            .run(|s| s.profile.mailbox_address(LocalZone::now()))
            .await?;
        let Some(address) = address else {
            self.net.publisher.update(|s| s.mailbox = None);
            return Ok(None);
        };
        let outcome = self.visit(&address).await;
        let state = match &outcome {
            Ok(state) => state.clone(),
            Err(e) => {
                let mut state = self
                    .net
                    .publisher
                    .current()
                    .mailbox
                    .clone()
                    .unwrap_or_default();
                state.problem = Some(e.to_string());
                state
            }
        };
        self.net
            .publisher
            .update(|s| s.mailbox = Some(state.clone()));
        outcome.map(Some)
    }

    async fn visit(&self, address: &str) -> Result<MailboxState, NetError> {
        let addr = parse_address(address)?;
        let mut state = MailboxState {
            mailbox: addr.id.fmt_short().to_string(),
            ..MailboxState::default()
        };
        self.net.memory.add_endpoint_info(addr.clone());
        let client = MailboxClient::new(self.net.endpoint.clone(), addr);

        state.picked_up = self.pick_up(&client).await?;

        if !self.peers.is_connected() {
            let mailbox = address.to_string();
            let deposit = self
                .net
                .doc
                .run(move |s| s.profile.envelope_for_mailbox(&mailbox, LocalZone::now()))
                .await??;
            if let Some(deposit) = deposit {
                let id = client.deposit(&deposit.envelope).await?;
                let mailbox = address.to_string();
                self.net
                    .doc
                    .run(move |s| s.profile.note_deposited(&mailbox, id, &deposit))
                    .await??;
            }
        }

        let status = client.status().await?;
        let mailbox = address.to_string();
        let (waiting, expired) = (status.waiting_for_partner.clone(), status.expired.clone());
        state.deposits = self
            .net
            .doc
            .run(move |s| s.profile.note_mailbox_status(&mailbox, &waiting, &expired))
            .await??;
        if !status.expired.is_empty() {
            // What they held is deposited again (the ledger forgot them): say so once.
            client.forget_expired(&status.expired).await?;
            self.net.publisher.event(Event::Problem {
                message: format!(
                    "{} expired at the mailbox before your partner picked {} up; what {} held will be left there again.",
                    trellis_core::words::count(status.expired.len(), "envelope", "envelopes"),
                    if status.expired.len() == 1 { "it" } else { "them" },
                    if status.expired.len() == 1 { "it" } else { "they" },
                ),
            });
            self.wake();
        }
        state.waiting_for_me = status.waiting_for_me;
        state.used_bytes = status.used_bytes;
        state.quota_bytes = status.quota_bytes;
        Ok(state)
    }

    /// The carrier folder, if one is set: my partner's file taken in, mine written.
    async fn visit_carrier_folder(&self) {
        let visit = self
            .net
            .doc
            .run(|s| -> Result<Option<String>, StoreError> {
                let Some(folder) = s.profile.carrier_folder()? else {
                    return Ok(None);
                };
                let report = s.profile.visit_carrier_folder(&folder, LocalZone::now())?;
                if report.picked_up.is_some() {
                    s.received();
                    s.refresh_view(LocalZone::now());
                }
                Ok(report.problem)
            })
            .await;
        let problem = match visit {
            Ok(Ok(problem)) => problem,
            Ok(Err(e)) => Some(format!("The carrier folder could not be used: {e}")),
            Err(e) => Some(e.to_string()),
        };
        if let Some(message) = problem {
            warn!("{message}");
            self.net.publisher.event(Event::Problem { message });
        }
    }

    /// Picks up, verifies and applies what waits for me; returns how many envelopes.
    async fn pick_up(&self, client: &MailboxClient) -> Result<usize, NetError> {
        let mut taken = 0;
        while taken < MAX_PICKUPS_PER_ROUND {
            let envelopes = client.pick_up().await?;
            if envelopes.is_empty() {
                break;
            }
            let mut done = Vec::new();
            for (id, envelope) in envelopes {
                let imported = self
                    .net
                    .doc
                    .run(move |s| {
                        let report = s.profile.import_bundle(&envelope, LocalZone::now());
                        if report.is_ok() {
                            s.received();
                        }
                        report
                    })
                    .await?;
                match imported {
                    Ok(_) => done.push(id),
                    // Refused for what it holds (not for me, damaged, breaking the rules):
                    // it will never open, so it is not kept waiting.
                    Err(StoreError::Core(e)) => {
                        warn!("an envelope at the mailbox was refused: {e}");
                        self.net.publisher.event(Event::Problem {
                            message: format!("An envelope at the mailbox was refused: {e}"),
                        });
                        done.push(id);
                    }
                    // This device could not store it now: it stays at the mailbox.
                    Err(e) => {
                        client.acknowledge(&done).await?;
                        return Err(e.into());
                    }
                }
            }
            taken += done.len();
            client.acknowledge(&done).await?;
            if done.is_empty() {
                break;
            }
        }
        if taken > 0 {
            let _ = self.net.doc.run(|s| s.refresh_view(LocalZone::now())).await;
        }
        Ok(taken)
    }

    /// Registers the couple at a mailbox with its one-time code and records it in the
    /// document, so my partner's device uses it too.
    pub(crate) async fn add(&self, code: &str) -> Result<Outcome, NetError> {
        let code = crate::mailbox::MailboxCode::decode(code)?;
        let [me, partner] = self
            .net
            .doc
            .run(|s| s.profile.certified_devices())
            .await??;
        let member = |(identity, device, device_certificate)| Member {
            identity,
            device,
            device_certificate,
        };
        self.net.memory.add_endpoint_info(code.addr.clone());
        let client = MailboxClient::new(self.net.endpoint.clone(), code.addr.clone());
        client
            .register(code.secret, member(me), member(partner))
            .await?;
        let address = address_text(&code.addr)?;
        self.net
            .doc
            .run(move |s| -> Result<(), NetError> {
                s.act(
                    &trellis_core::Action::SetMailbox {
                        address: Some(address),
                    },
                    LocalZone::now(),
                )?;
                s.publish(LocalZone::now());
                Ok(())
            })
            .await??;
        self.wake();
        Ok(Outcome::MailboxAdded {
            mailbox: code.addr.id.fmt_short().to_string(),
        })
    }

    /// Stops using the mailbox: my envelopes there are dropped if it can be reached, and the
    /// document says we no longer use it.
    pub(crate) async fn remove(&self) -> Result<Outcome, NetError> {
        let _one = self.round.lock().await;
        let address = self
            .net
            .doc
            .run(|s| s.profile.mailbox_address(LocalZone::now()))
            .await?
            .ok_or(NetError::NoMailbox)?;
        let addr = parse_address(&address)?;
        self.net.memory.add_endpoint_info(addr.clone());
        let left = MailboxClient::new(self.net.endpoint.clone(), addr)
            .leave()
            .await;
        self.net
            .doc
            .run(move |s| -> Result<(), NetError> {
                s.act(
                    &trellis_core::Action::SetMailbox { address: None },
                    LocalZone::now(),
                )?;
                s.publish(LocalZone::now());
                Ok(())
            })
            .await??;
        self.net.publisher.update(|s| s.mailbox = None);
        Ok(Outcome::MailboxRemoved {
            unreachable: left.err().map(|e| e.to_string()),
        })
    }
}
