//! The node: its own runtime on named threads, the endpoint and its protocols, the
//! document thread, and the loop that carries out commands.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use iroh::EndpointAddr;
use iroh::address_lookup::MemoryLookup;
use tokio::sync::watch;
use tracing::{info, warn};
use trellis_store::LocalZone;
use trellis_store::Profile;

use crate::accept::{Acceptor, Handlers};
use crate::commands;
use crate::courier::Courier;
use crate::doc::{Doc, Publisher};
use crate::endpoint;
use crate::error::NetError;
use crate::gate::Gate;
use crate::handle::{Command, NodeHandle, RequestId, Snapshot, Stopper};
use crate::mode::{NetworkMode, keys};
use crate::pairing::{Invites, PairHandler};
use crate::peers::{Peers, SyncHandler};
use crate::shared::Net;

/// How to start a node.
#[derive(Clone)]
pub struct NodeOptions {
    pub profile_dir: PathBuf,
    /// Use this mode instead of the profile's setting (not saved).
    pub mode: Option<NetworkMode>,
    /// Start the network at all (false: the document only, e.g. for local work).
    pub network: bool,
    /// Keep dialing the partner in the background (false for a one-shot `sync`).
    pub auto_connect: bool,
    /// Called whenever there is something new to show.
    pub repaint: Arc<dyn Fn() + Send + Sync>,
    /// How often to visit the couple's mailbox (also at start and soon after a change).
    pub mailbox_every: Duration,
    /// Which loopback address the loopback mode binds (127.0.0.1 unless told). A test that
    /// puts one device on ::1 and the other on 127.0.0.1 leaves a proxy between them as the
    /// only way across: neither can send to the other's own socket.
    pub loopback_ip: IpAddr,
    /// The profile's keys, when the caller unlocked them already (a passphrase typed into the
    /// window); without them the node opens a profile that needs no passphrase.
    pub vault: Option<trellis_store::Vault>,
}

impl std::fmt::Debug for NodeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeOptions")
            .field("profile_dir", &self.profile_dir)
            .field("mode", &self.mode)
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

impl NodeOptions {
    pub fn new(profile_dir: impl Into<PathBuf>) -> Self {
        Self {
            profile_dir: profile_dir.into(),
            mode: None,
            network: true,
            auto_connect: true,
            repaint: Arc::new(|| {}),
            mailbox_every: Duration::from_secs(3 * 60),
            loopback_ip: Ipv4Addr::LOCALHOST.into(),
            vault: None,
        }
    }
}

/// Opens the profile and starts the node. Fails at once if the profile cannot be opened.
pub fn start(options: NodeOptions) -> Result<NodeHandle, NetError> {
    let mut profile = match &options.vault {
        Some(vault) => Profile::open_unlocked(&options.profile_dir, vault)?,
        None => Profile::open(&options.profile_dir)?,
    };
    // A couple that began before cards carried sealing keys shares mine now, so the next
    // sync teaches it to my partner and their bundles for me can be sealed.
    if let Err(e) = profile.share_seal_if_needed(LocalZone::now()) {
        tracing::warn!("could not share the sealing key yet: {e}");
    }
    // An identity recovered here joined by a partner's bundle records its new device, so the
    // next bundle or mailbox deposit tells the partner's gate which device to let in.
    if let Err(e) = profile.record_device_if_needed(LocalZone::now()) {
        tracing::warn!("could not record this device yet: {e}");
    }
    let mode = match &options.mode {
        Some(m) => m.clone(),
        None => profile
            .setting(keys::MODE)?
            .and_then(|s| NetworkMode::from_setting(&s))
            .unwrap_or_default(),
    };
    let initial = Snapshot {
        profile_dir: options.profile_dir.clone(),
        carrier_folder: profile.carrier_folder().ok().flatten(),
        name: profile.name().to_string(),
        network: crate::handle::NetworkState {
            mode: mode.clone(),
            ..Default::default()
        },
        ..Default::default()
    };
    let (snapshot_tx, snapshot_rx) = watch::channel(Arc::new(initial));
    let signal = crate::handle::Signal::default();
    let repaint = {
        let (signal, theirs) = (signal.clone(), options.repaint.clone());
        Arc::new(move || {
            crate::handle::raise(&signal);
            theirs();
        })
    };
    let (events_tx, events_rx) = mpsc::channel();
    let publisher = Publisher::new(snapshot_tx, events_tx, repaint);
    let (doc, doc_thread) = Doc::spawn(profile, publisher.clone())?;
    let (commands_tx, commands_rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(false);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("trellis-net")
        .enable_all()
        .build()
        .map_err(|e| NetError::Start {
            what: "network runtime",
            detail: e.to_string(),
        })?;
    let network = options.network;
    let auto_connect = options.auto_connect;
    let mailbox_every = options.mailbox_every;
    let loopback = options.loopback_ip;
    let thread = std::thread::Builder::new()
        .name("trellis-node".into())
        .spawn(move || {
            runtime.block_on(run(
                doc.clone(),
                publisher,
                mode,
                (network, auto_connect, mailbox_every, loopback),
                commands_rx,
                stop_rx,
            ));
            runtime.shutdown_timeout(Duration::from_secs(3));
            drop(doc);
            let _ = doc_thread.join();
        })
        .map_err(|e| NetError::Start {
            what: "node thread",
            detail: e.to_string(),
        })?;

    Ok(NodeHandle {
        commands: commands_tx,
        snapshot: snapshot_rx,
        events: Mutex::new(events_rx),
        next_id: AtomicU64::new(0),
        stopper: Mutex::new(Some(Stopper::new(stop_tx, thread))),
        signal,
    })
}

async fn run(
    doc: Doc,
    publisher: Publisher,
    mode: NetworkMode,
    (network, auto_connect, mailbox_every, loopback): (bool, bool, Duration, IpAddr),
    mut commands: tokio::sync::mpsc::UnboundedReceiver<(RequestId, Command)>,
    mut stop: watch::Receiver<bool>,
) {
    let _ = doc.run(|s| s.publish(LocalZone::now())).await;
    let _ = doc.run(|s| s.tell_of_set_aside()).await;
    let net = if network {
        match start_network(
            &doc,
            &publisher,
            (&mode, loopback),
            auto_connect,
            stop.clone(),
        )
        .await
        {
            Ok(net) if auto_connect => {
                tokio::spawn(net.4.clone().run_forever(mailbox_every));
                Some(net)
            }
            Ok(net) => Some(net),
            Err(e) => {
                warn!("{e}");
                publisher.update(|s| s.network.problem = Some(e.to_string()));
                None
            }
        }
    } else {
        None
    };
    // What checking changes needs, built now that the view is on screen (not before it).
    let _ = doc
        .run(|s| {
            if let Ok(c) = s.profile.couple_mut() {
                c.prepare();
            }
        })
        .await;
    let ctx = commands::Ctx {
        doc: doc.clone(),
        publisher: publisher.clone(),
        net: net.as_ref().map(|started| started.0.clone()),
        peers: net.as_ref().map(|started| started.1.clone()),
        invites: net.as_ref().map(|started| started.2.clone()),
        courier: net.as_ref().map(|started| started.4.clone()),
    };
    loop {
        tokio::select! {
            next = commands.recv() => {
                let Some((id, command)) = next else { break };
                let ctx = ctx.clone();
                tokio::spawn(async move { commands::handle(ctx, id, command).await });
            }
            _ = stop.changed() => break,
        }
    }
    if let Some((net, _, _, acceptor, _)) = net {
        // Say goodbye to the partner's device and close the endpoint cleanly.
        tokio::time::sleep(Duration::from_millis(50)).await;
        acceptor.shutdown().await;
        net.endpoint.close().await;
    }
    info!("node stopped");
}

type Started = (Net, Arc<Peers>, Invites, Acceptor, Arc<Courier>);

async fn start_network(
    doc: &Doc,
    publisher: &Publisher,
    (mode, loopback): (&NetworkMode, IpAddr),
    auto_connect: bool,
    stop: watch::Receiver<bool>,
) -> Result<Started, NetError> {
    let (secret, port, partner_addr) = doc
        .run(|s| {
            let port = s
                .profile
                .setting(keys::PORT)
                .ok()
                .flatten()
                .and_then(|p| p.parse::<u16>().ok())
                .unwrap_or(0);
            let addr = s
                .profile
                .setting(keys::PARTNER_ADDR)
                .ok()
                .flatten()
                .and_then(|a| serde_json::from_str::<EndpointAddr>(&a).ok());
            (s.profile.device_secret(), port, addr)
        })
        .await?;
    // Closed: the endpoint answers no ALPN until the couple's is opened below.
    let gate = Gate::default();
    let memory = MemoryLookup::new();
    if let Some(addr) = partner_addr {
        memory.add_endpoint_info(addr);
    }
    let place = endpoint::Place { port, loopback };
    let endpoint = endpoint::bind(mode, secret, &gate, &memory, place).await?;
    if let Some(bound) = endpoint.bound_sockets().first().map(|a| a.port())
        && bound != port
    {
        let _ = doc
            .run(move |s| s.profile.set_setting(keys::PORT, &bound.to_string()))
            .await;
    }
    let net = Net {
        endpoint: endpoint.clone(),
        doc: doc.clone(),
        gate: gate.clone(),
        memory,
        lan: endpoint::LanDiscovery::new(&endpoint, mode),
        publisher: publisher.clone(),
        stop,
        sync_report: Arc::new(watch::channel(Default::default()).0),
    };
    let peers = Peers::new(net.clone());
    let invites = Invites::default();
    // Before the first connection is taken, so the partner's is never turned away.
    net.let_partner_in().await;
    let acceptor = Acceptor::spawn(
        endpoint,
        gate,
        Handlers {
            pair: PairHandler {
                net: net.clone(),
                invites: invites.clone(),
            },
            sync: SyncHandler(peers.clone()),
        },
    );
    // Only once connections are taken: mDNS makes the partner's device dial at once.
    net.lan.refresh(doc).await;
    if auto_connect {
        tokio::spawn(peers.clone().dial_forever());
    }
    info!(
        id = %net.endpoint.id().fmt_short(),
        sockets = ?net.endpoint.bound_sockets(),
        "listening"
    );
    let address = serde_json::to_string(&net.endpoint.addr()).ok();
    publisher.update(|s| {
        s.network.listening = true;
        s.network.mode = mode.clone();
        s.network.address = address;
    });
    let courier = Courier::new(net.clone(), peers.clone());
    Ok((net, peers, invites, acceptor, courier))
}
