//! Two real nodes on loopback, each on its own copy of a profile, and ways to wait for them
//! without polling blindly: every snapshot update wakes the waiter.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use trellis_net::{
    Command, Event, MailboxState, NetworkMode, NodeHandle, NodeOptions, Snapshot, SyncReport,
};
use trellis_store::Profile;

/// A running node on loopback.
pub struct Node {
    pub handle: NodeHandle,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").finish_non_exhaustive()
    }
}

impl Node {
    /// Starts a node on loopback only (no relay, no mDNS, 127.0.0.1).
    pub fn start(dir: &Path) -> Result<Self> {
        let mut options = NodeOptions::new(dir);
        options.mode = Some(NetworkMode::Loopback);
        // The harness decides when to connect.
        options.auto_connect = false;
        let handle = trellis_net::start(options)
            .with_context(|| format!("starting a node on {}", dir.display()))?;
        Ok(Self { handle })
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.handle.snapshot()
    }

    /// Starts a node and waits until it answers commands; returns it with how long that
    /// took (ms). A node opens its profile, publishes its status, starts listening and then
    /// prepares the document for checking changes before it takes its first command, so a
    /// command sent as soon as it listens would also time that preparation. Cancelling an
    /// invite when none is open changes nothing and answers only once the command loop
    /// runs: after it, a timed command times only itself.
    pub fn start_ready(dir: &Path) -> Result<(Self, f64)> {
        let started = Instant::now();
        let node = Self::start(dir)?;
        node.wait_until("the node to listen", START, |s| {
            s.network.listening && s.status.is_some()
        })?;
        node.call(Command::CancelInvite, START)
            .context("the node did not start answering commands")?;
        Ok((node, started.elapsed().as_secs_f64() * 1000.0))
    }

    /// Waits until the snapshot satisfies `cond`, waking on every update.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        cond: impl Fn(&Snapshot) -> bool,
    ) -> Result<Arc<Snapshot>> {
        self.handle
            .wait_until(timeout, cond)
            .with_context(|| format!("timed out waiting for {what}"))
    }

    /// Sends a command and waits for its answer.
    pub fn call(&self, command: Command, timeout: Duration) -> Result<Event> {
        self.handle
            .call(command, timeout)
            .context("the node did not do it")
    }

    /// How many changes this copy holds, as its status says.
    pub fn changes(&self) -> usize {
        changes(&self.snapshot())
    }

    pub fn shutdown(self) {
        self.handle.shutdown();
    }
}

pub fn changes(snap: &Snapshot) -> usize {
    snap.status
        .as_ref()
        .and_then(|s| s.couple.as_ref())
        .map(|c| c.changes)
        .unwrap_or(0)
}

const START: Duration = Duration::from_secs(120);

/// Starts Alex's node, tells Sam's profile where it listens, starts Sam's node. Both answer
/// commands when this returns (see [`Node::start_ready`]): what is timed after it does not
/// include either node's start-up.
pub fn start_pair(alex_dir: &Path, sam_dir: &Path) -> Result<(Node, Node)> {
    let (alex, _) = Node::start_ready(alex_dir)?;
    let addr = alex
        .wait_until("Alex's node to know its address", START, |s| {
            s.network.address.is_some()
        })?
        .network
        .address
        .clone()
        .context("no address")?;
    {
        trellis_net::save_partner_address(&Profile::open(sam_dir)?, &addr)?;
    }
    let (sam, _) = Node::start_ready(sam_dir)?;
    Ok((alex, sam))
}

/// One visit to the couple's mailbox (pick up, leave, read what waits); what it found.
pub fn mailbox_round(node: &Node, timeout: Duration) -> Result<MailboxState> {
    match node.call(Command::MailboxRound, timeout)? {
        Event::MailboxVisited {
            state: Some(state), ..
        } => Ok(state),
        Event::MailboxVisited { state: None, .. } => {
            bail!("the node knows of no mailbox for the couple")
        }
        other => bail!("unexpected answer to a mailbox round: {other:?}"),
    }
}

/// Sam dials Alex and syncs until both copies agree; returns what the conversation did.
pub fn sync_once(sam: &Node, timeout: Duration) -> Result<SyncReport> {
    match sam.call(Command::SyncOnce, timeout)? {
        Event::SyncFinished { report, .. } => Ok(report),
        other => bail!("unexpected answer to a sync: {other:?}"),
    }
}
