//! Keeping one live connection with the partner: dialing with backoff, taking incoming
//! connections, and choosing one when both sides dialed at once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use iroh::endpoint::Connection;
use tracing::{debug, info, warn};

use crate::conversation::{Role, converse};
use crate::error::NetError;
use crate::gate::codes;
use crate::handle::Event;
use crate::shared::Net;

const DIAL_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Live {
    id: usize,
    conn: Connection,
    dialed_by_me: bool,
}

/// The connection manager.
#[derive(Debug)]
pub(crate) struct Peers {
    net: Net,
    current: Mutex<Option<Live>>,
    wake: tokio::sync::Notify,
    ended: tokio::sync::Notify,
    /// Counts the times the partner's device turned this one away at its gate (see
    /// [`refused_here`]); a sync waits only for refusals after it began.
    refused: tokio::sync::watch::Sender<u64>,
}

impl Peers {
    pub(crate) fn new(net: Net) -> Arc<Self> {
        Arc::new(Self {
            net,
            current: Mutex::new(None),
            wake: tokio::sync::Notify::new(),
            ended: tokio::sync::Notify::new(),
            refused: tokio::sync::watch::Sender::new(0),
        })
    }

    /// Try to reach the partner now.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Makes sure a conversation with the partner is running: dials now if none is.
    pub(crate) async fn ensure_connected(self: &Arc<Self>) -> Result<(), NetError> {
        if self.connected() {
            return Ok(());
        }
        let partner = self.net.gate.partner().ok_or(NetError::NotPaired)?;
        let dial = self.net.endpoint.connect(partner.device, &partner.alpn);
        let conn = tokio::time::timeout(DIAL_TIMEOUT, dial)
            .await
            .map_err(|_| NetError::Unreachable("no answer".into()))?
            .map_err(|e| NetError::Unreachable(e.to_string()))?;
        let me = self.clone();
        tokio::spawn(async move { me.run(conn, Role::Dialer).await });
        Ok(())
    }

    /// Refusals by the partner's gate from now on: `changed()` resolves at the next one.
    pub(crate) fn refusals(&self) -> tokio::sync::watch::Receiver<u64> {
        self.refused.subscribe()
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.connected()
    }

    fn connected(&self) -> bool {
        self.current.lock().map(|c| c.is_some()).unwrap_or(false)
    }

    /// Dials the partner whenever not connected, backing off while they are away.
    pub(crate) async fn dial_forever(self: Arc<Self>) {
        let mut stop = self.net.stop.clone();
        let mut backoff = Duration::from_secs(1);
        loop {
            if *stop.borrow() {
                return;
            }
            let wait = match self.net.gate.partner() {
                // Not paired yet: nothing to dial until something changes.
                None => None,
                // The partner's connection is live: wait for it to end, then a moment more.
                Some(_) if self.connected() => {
                    tokio::select! {
                        _ = self.ended.notified() => {}
                        _ = stop.changed() => return,
                    }
                    Some(Duration::from_secs(1))
                }
                Some(partner) => {
                    let dial = self.net.endpoint.connect(partner.device, &partner.alpn);
                    match tokio::time::timeout(DIAL_TIMEOUT, dial).await {
                        Ok(Ok(conn)) => {
                            backoff = Duration::from_secs(1);
                            self.run(conn, Role::Dialer).await;
                            Some(backoff)
                        }
                        Ok(Err(e)) => {
                            self.note_unreachable(&e.to_string());
                            Some(backoff)
                        }
                        Err(_) => {
                            self.note_unreachable("no answer");
                            Some(backoff)
                        }
                    }
                }
            };
            let pause = async {
                match wait {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = pause => backoff = (backoff * 2).min(MAX_BACKOFF),
                _ = self.wake.notified() => backoff = Duration::from_secs(1),
                _ = stop.changed() => return,
            }
        }
    }

    fn note_unreachable(&self, why: &str) {
        let name = self.partner_name();
        let why = if why.contains("addressing information") {
            format!(
                "where to find it is not known yet; this device learns it when {name}'s device connects"
            )
        } else {
            why.to_string()
        };
        let message = format!(
            "{name}'s device is not reachable right now ({why}). Trellis keeps trying; nothing is lost — your changes wait here until you meet."
        );
        // A dial that failed while the partner's own connection came in says nothing true.
        if self.connected() {
            return;
        }
        self.net.publisher.update(|s| {
            if !s.network.connected && s.network.problem.as_ref() != Some(&message) {
                s.network.problem = Some(message);
            }
        });
    }

    pub(crate) fn partner_name(&self) -> String {
        self.net
            .publisher
            .current()
            .view
            .as_ref()
            .map(|v| v.partner.name.clone())
            .unwrap_or_else(|| "Your partner".into())
    }

    /// Decides whether a new connection becomes the live one. When both devices dialed at
    /// once, both keep the connection dialed by the device with the smaller id.
    fn adopt(&self, conn: &Connection, dialed_by_me: bool) -> bool {
        let Ok(mut current) = self.current.lock() else {
            return false;
        };
        let me = self.net.endpoint.id();
        let preferred = |by_me: bool| {
            let dialer = if by_me { me } else { conn.remote_id() };
            dialer.as_bytes() <= me.as_bytes().min(conn.remote_id().as_bytes())
        };
        if let Some(live) = current.as_ref() {
            let keep_old = preferred(live.dialed_by_me) && !preferred(dialed_by_me);
            if keep_old && live.conn.close_reason().is_none() {
                return false;
            }
            live.conn
                .close(codes::REPLACED.into(), b"replaced by a newer connection");
        }
        *current = Some(Live {
            id: conn.stable_id(),
            conn: conn.clone(),
            dialed_by_me,
        });
        true
    }

    fn release(&self, id: usize) -> bool {
        let Ok(mut current) = self.current.lock() else {
            return false;
        };
        if current.as_ref().is_some_and(|l| l.id == id) {
            *current = None;
            return true;
        }
        false
    }

    /// Runs one connection's conversation to its end.
    async fn run(&self, conn: Connection, role: Role) {
        if *self.net.stop.borrow() {
            conn.close(codes::BYE.into(), b"shutting down");
            return;
        }
        if !self.adopt(&conn, role == Role::Dialer) {
            conn.close(codes::REPLACED.into(), b"a connection is already open");
            return;
        }
        let name = self.partner_name();
        info!("connected to {name}'s device");
        self.net.publisher.update(|s| {
            s.network.connected = true;
            s.network.problem = None;
        });
        self.net.publisher.event(Event::Connected {
            partner: name.clone(),
        });
        let result = converse(&self.net, conn.clone(), role).await;
        let reason = match &result {
            Ok(report) => {
                if report.sent_changes + report.received_changes > 0 {
                    self.net.publisher.event(Event::Synced(report.clone()));
                }
                "the conversation ended".to_string()
            }
            Err(_) if replaced(&conn) => {
                debug!(
                    "a second connection with {name}'s device was closed in favour of the first"
                );
                "replaced by another connection".to_string()
            }
            Err(_) if refused_here(&conn) => {
                let words = NetError::Refused {
                    partner: name.clone(),
                }
                .to_string();
                // Said to the person through the problem line and the command's error.
                info!("{words}");
                self.net
                    .publisher
                    .update(|s| s.network.problem = Some(words.clone()));
                self.refused.send_modify(|n| *n += 1);
                words
            }
            Err(e) => {
                warn!("the connection with {name}'s device ended: {e}");
                e.to_string()
            }
        };
        if self.release(conn.stable_id()) {
            self.net.publisher.update(|s| s.network.connected = false);
            self.net.publisher.event(Event::Disconnected {
                partner: name,
                reason,
            });
            // Let the dialer take over (it pauses a moment before dialing again).
            self.ended.notify_one();
        }
    }
}

/// Whether the other side's gate closed this connection: it does not take this device as
/// its partner's (any more).
fn refused_here(conn: &Connection) -> bool {
    use iroh::endpoint::ConnectionError;
    matches!(
        conn.close_reason(),
        Some(ConnectionError::ApplicationClosed(close)) if close.error_code == codes::NOT_PAIRED.into()
    )
}

/// Whether either side closed this connection because another one took its place.
fn replaced(conn: &Connection) -> bool {
    use iroh::endpoint::ConnectionError;
    match conn.close_reason() {
        Some(ConnectionError::ApplicationClosed(close)) => {
            close.error_code == codes::REPLACED.into()
        }
        Some(ConnectionError::LocallyClosed) => true,
        _ => false,
    }
}

/// The sync protocol's handler: incoming connections from the partner's device.
#[derive(Debug, Clone)]
pub(crate) struct SyncHandler(pub Arc<Peers>);

impl SyncHandler {
    /// Runs the conversation of a device that dialed the couple's sync ALPN.
    pub(crate) async fn accept(&self, conn: Connection) {
        // The gate already refused strangers; check again at the door.
        if !self.0.net.gate.allows(conn.remote_id(), conn.alpn()) {
            conn.close(codes::NOT_PAIRED.into(), b"not paired with this device");
            return;
        }
        self.0.run(conn, Role::Acceptor).await;
    }
}
