//! trellis-mailbox: a headless store-and-forward iroh peer that a couple runs on an
//! always-on machine they control.
//!
//! It holds sealed envelopes (opaque bytes; it never has a key) for each partner until that
//! partner picks them up and acknowledges them. Only the couple's two certified devices get
//! in; several couples may share one mailbox and never see each other's envelopes. Storage
//! is durable (redb), with a quota per couple and an expiry that leaves the sender a notice.
//! It logs nothing about envelopes and keeps no history of connections.
//!
//! The protocol and the client half live in `trellis_net::mailbox`.

mod doors;
mod error;
mod key;
mod options;
mod serve;
mod store;
mod sweep;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use iroh::{Endpoint, EndpointAddr, SecretKey};
use tokio::task::JoinHandle;
use tracing::info;
use trellis_net::mailbox::{MailboxCode, server_builder};

pub use error::MailboxError;
pub use options::{DEFAULT_EXPIRY, DEFAULT_QUOTA_BYTES, DEFAULT_SWEEP_EVERY, MailboxOptions};

use crate::doors::{DoorHook, Doors};
use crate::serve::Shared;
use crate::store::Store;

const KEY_FILE: &str = "mailbox.key";
const STORE_FILE: &str = "mailbox.redb";

/// A running mailbox. Dropping it stops it; [`Mailbox::shutdown`] also waits for the
/// endpoint to close.
#[derive(Debug)]
pub struct Mailbox {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl Mailbox {
    /// Opens (or creates) the mailbox in `options.dir`, sweeps what expired while it was
    /// stopped, and starts answering.
    pub async fn start(options: MailboxOptions) -> Result<Self, MailboxError> {
        let dir = &options.dir;
        std::fs::create_dir_all(dir).map_err(|e| MailboxError::Folder {
            path: dir.clone(),
            why: e.to_string(),
        })?;
        let secret = key::load_or_create(&dir.join(KEY_FILE))?;
        let store = Arc::new(Store::open(&dir.join(STORE_FILE))?);
        let cut = store.clear_pending()?;
        if cut > 0 {
            info!("removed {cut} deposits that were cut off when the mailbox last stopped");
        }
        let doors = Doors::new(trellis_net::mailbox::members_alpn(
            &SecretKey::from_bytes(&secret).public(),
        ));
        doors.reload(&store, None)?;
        let port = match options.port {
            0 => store.last_port()?.unwrap_or(0),
            port => port,
        };
        let endpoint = match bind(&options, secret, &doors, port).await {
            Ok(endpoint) => endpoint,
            // The remembered port is taken: any port will do.
            Err(_) if options.port == 0 && port != 0 => bind(&options, secret, &doors, 0).await?,
            Err(e) => return Err(e),
        };
        if let Some(bound) = endpoint.bound_sockets().first() {
            store.set_last_port(bound.port())?;
        }
        let shared = Arc::new(Shared {
            store,
            doors,
            endpoint,
            quota: options.quota_bytes,
            reserved: Mutex::new(HashMap::new()),
        });
        sweep::once(&shared, options.expiry).await?;
        let tasks = vec![
            tokio::spawn(serve::run(shared.clone())),
            tokio::spawn(sweep::run(
                shared.clone(),
                options.expiry,
                options.sweep_every,
            )),
        ];
        info!(
            couples = shared.doors.couples(),
            "the mailbox is running as {}",
            shared.endpoint.id()
        );
        Ok(Self { shared, tasks })
    }

    /// Where couples reach this mailbox (what a code carries).
    pub fn addr(&self) -> EndpointAddr {
        let endpoint = &self.shared.endpoint;
        let mut addr = endpoint.addr();
        for socket in endpoint.bound_sockets() {
            if !socket.ip().is_unspecified() {
                addr = addr.with_ip_addr(socket);
            }
        }
        addr
    }

    /// A new one-time code, open for `valid_for` (kept across restarts until it is used or
    /// expires).
    pub fn new_code(&self, valid_for: Duration) -> Result<MailboxCode, MailboxError> {
        let mut secret = [0u8; 16];
        getrandom::fill(&mut secret).map_err(|e| MailboxError::Randomness(e.to_string()))?;
        let valid_for = i64::try_from(valid_for.as_millis()).unwrap_or(i64::MAX);
        let expires_at = now_ms().saturating_add(valid_for);
        self.shared.store.add_code(&secret, expires_at)?;
        self.shared
            .doors
            .reload(&self.shared.store, Some(&self.shared.endpoint))?;
        Ok(MailboxCode {
            secret,
            expires_at,
            addr: self.addr(),
        })
    }

    /// How many couples are registered.
    pub fn couples(&self) -> usize {
        self.shared.doors.couples()
    }

    /// Stops answering, ends every conversation and closes the endpoint. What was confirmed
    /// to a client is on disk already.
    pub async fn shutdown(mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
            let _ = task.await;
        }
        self.shared.endpoint.close().await;
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn bind(
    options: &MailboxOptions,
    secret: [u8; 32],
    doors: &Doors,
    port: u16,
) -> Result<Endpoint, MailboxError> {
    let endpoint = server_builder(options.loopback, port)?
        .secret_key(SecretKey::from_bytes(&secret))
        .alpns(doors.alpns())
        .hooks(DoorHook(doors.clone()))
        .bind()
        .await
        .map_err(|e| trellis_net::NetError::Bind(e.to_string()))?;
    Ok(endpoint)
}

/// Now, in milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
