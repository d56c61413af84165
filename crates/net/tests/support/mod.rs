//! Real nodes on loopback, each on its own temporary profile.
#![allow(dead_code, clippy::unwrap_used)] // test support: a failed setup step should panic loudly

pub mod paths;
pub mod proxy;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use trellis_net::{
    Command, Event, NetworkMode, NodeHandle, NodeOptions, Outcome, Snapshot, event_id,
};
use trellis_store::Profile;

pub const WAIT: Duration = Duration::from_secs(30);

pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

pub fn profile(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name.to_lowercase());
    Profile::init(&dir, name).unwrap();
    dir
}

pub fn start(dir: &Path) -> NodeHandle {
    let mut options = NodeOptions::new(dir);
    options.mode = Some(NetworkMode::Loopback);
    trellis_net::start(options).unwrap()
}

pub fn start_with(dir: &Path, f: impl FnOnce(&mut NodeOptions)) -> NodeHandle {
    let mut options = NodeOptions::new(dir);
    options.mode = Some(NetworkMode::Loopback);
    f(&mut options);
    trellis_net::start(options).unwrap()
}

/// Sends a command and waits for its answer (a failure is an answer too).
pub fn call(node: &NodeHandle, command: Command) -> Event {
    let id = node.send(command);
    node.wait_for(id, WAIT, |_| {}).expect("an answer in time")
}

/// Sends a command that must succeed; returns what it answered.
pub fn ok(node: &NodeHandle, command: Command) -> Event {
    node.call(command, WAIT)
        .unwrap_or_else(|e| panic!("failed: {e}"))
}

/// Opens an invite on `node`; returns its code.
pub fn open_invite(node: &NodeHandle) -> String {
    match node.outcome(Command::Invite, WAIT) {
        Ok(Outcome::InviteOpened { code, .. }) => code,
        other => panic!("no invite: {other:?}"),
    }
}

/// Waits until the snapshot satisfies `cond`.
pub fn wait_until(
    node: &NodeHandle,
    what: &str,
    cond: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    node.wait_until(WAIT, cond)
        .unwrap_or_else(|| panic!("timed out waiting for: {what}"))
}

/// Pairs two fresh nodes with an invite; returns the safety numbers both show.
pub fn pair(inviter: &NodeHandle, joiner: &NodeHandle) -> (String, String) {
    let code = open_invite(inviter);
    assert!(code.starts_with("TRELLIS-"), "{code}");
    ok(joiner, Command::Join(code));
    let a = wait_until(inviter, "inviter sees the couple", |s| {
        s.status.as_ref().is_some_and(|st| st.couple.is_some())
    });
    let b = wait_until(joiner, "joiner sees the couple", |s| {
        s.status.as_ref().is_some_and(|st| st.couple.is_some())
    });
    (
        a.status
            .as_ref()
            .unwrap()
            .couple
            .as_ref()
            .unwrap()
            .safety_number
            .clone(),
        b.status
            .as_ref()
            .unwrap()
            .couple
            .as_ref()
            .unwrap()
            .safety_number
            .clone(),
    )
}

pub fn agreement_status(s: &Snapshot, title: &str) -> Option<String> {
    let view = s.view.as_ref()?;
    view.agreements
        .iter()
        .find(|a| a.title == title)
        .map(|a| a.status.label().to_string())
}

pub fn drain_until_id(node: &NodeHandle, id: u64) -> Vec<Event> {
    let mut seen = Vec::new();
    let last = node.wait_for(id, WAIT, |e| seen.push(e.clone()));
    seen.extend(last);
    let _ = event_id;
    seen
}

/// The address a running node publishes (waiting for it: a node just started may not
/// have bound its endpoint yet).
pub fn address(node: &NodeHandle) -> iroh::EndpointAddr {
    let snap = wait_until(node, "the node publishes its address", |s| {
        s.network.address.is_some()
    });
    serde_json::from_str(snap.network.address.as_deref().unwrap()).unwrap()
}

/// A bare iroh endpoint on 127.0.0.1 (no relay, no lookup, no gateway probing) with this
/// device key, or a fresh one: a device that is not a Trellis node.
pub async fn bare_endpoint(device: Option<&[u8; 32]>, port: u16) -> iroh::Endpoint {
    let key = match device {
        Some(d) => iroh::SecretKey::from_bytes(d),
        None => iroh::SecretKey::generate(),
    };
    iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
        .secret_key(key)
        .portmapper_config(iroh::endpoint::PortmapperConfig::Disabled)
        .clear_ip_transports()
        .bind_addr(std::net::SocketAddr::from(([127, 0, 0, 1], port)))
        .unwrap()
        .bind()
        .await
        .unwrap()
}

/// How long a dial waits before taking silence for an answer: a loopback handshake takes
/// milliseconds.
pub const SILENCE: Duration = Duration::from_secs(3);

/// Dials `addr` with `alpn`: the connection, or why there is none ("no answer" when nothing
/// at all came back).
pub async fn dial(
    ep: &iroh::Endpoint,
    addr: iroh::EndpointAddr,
    alpn: &[u8],
) -> Result<iroh::endpoint::Connection, String> {
    match tokio::time::timeout(SILENCE, ep.connect(addr, alpn)).await {
        Err(_) => Err("no answer".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(conn)) => Ok(conn),
    }
}

/// The couple's sync ALPN, from a profile no running node holds.
pub fn sync_alpn(dir: &Path) -> Vec<u8> {
    trellis_net::sync_alpn(Profile::open(dir).unwrap().couple().unwrap())
}

/// A stranger dials `node` with a pairing ALPN and presents `secret`: the node's last words,
/// or `None` if it never answered the ALPN at all.
pub fn knock(node: &NodeHandle, alpn: &[u8], secret: [u8; 16]) -> Option<String> {
    let addr = address(node);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ep = bare_endpoint(None, 0).await;
        let words = async {
            let conn = dial(&ep, addr, alpn).await.ok()?;
            let (mut send, mut recv) = conn.open_bi().await.ok()?;
            let request = trellis_core::Frame::PairRequest {
                secret,
                card: "{}".into(),
            };
            send.write_all(&request.encode()).await.ok()?;
            let bytes = tokio::time::timeout(WAIT, recv.read_to_end(64 * 1024))
                .await
                .ok()?
                .ok()?;
            match trellis_core::Frame::decode(&bytes) {
                Ok((trellis_core::Frame::Goodbye { reason }, _)) => Some(reason),
                other => Some(format!("not a goodbye: {other:?}")),
            }
        }
        .await;
        ep.close().await;
        words
    })
}

/// Connects to `node` with the device key `device` on the sync ALPN `alpn` and sends raw
/// bytes; returns whether `node` closed the connection within the time limit.
pub fn send_raw(device: &[u8; 32], alpn: &[u8], node: &NodeHandle, bytes: Vec<u8>) -> bool {
    let addr = address(node);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ep = bare_endpoint(Some(device), 0).await;
        let conn = dial(&ep, addr, alpn).await.unwrap();
        let (mut send, mut recv) = conn.open_bi().await.unwrap();
        send.write_all(&bytes).await.unwrap();
        // Read whatever the node says until the connection ends.
        let closed = tokio::time::timeout(Duration::from_secs(20), async {
            let mut buf = vec![0u8; 4096];
            while let Ok(Some(_)) = recv.read(&mut buf).await {}
            conn.closed().await
        })
        .await
        .is_ok();
        ep.close().await;
        closed
    })
}

/// A peer's first words in a sync conversation.
pub fn hello() -> Vec<u8> {
    trellis_core::Frame::Hello {
        payload: b"{}".to_vec(),
    }
    .encode()
}

/// How many changes the node's document holds.
pub fn change_count(node: &NodeHandle) -> usize {
    node.snapshot()
        .status
        .as_ref()
        .and_then(|s| s.couple.as_ref())
        .map(|c| c.changes)
        .unwrap_or(0)
}

/// The honest partner comes online at `dir`, writes an appreciation, and `node` gets it:
/// whatever a hostile peer did before, the node still syncs.
pub fn honest_partner_still_syncs(node: &NodeHandle, dir: &Path) {
    let partner = start(dir);
    ok(
        &partner,
        Command::Act(trellis_core::Action::Appreciate {
            text: "back for real".into(),
        }),
    );
    wait_until(node, "the honest partner's change arrives", |s| {
        s.view
            .as_ref()
            .is_some_and(|v| v.appreciations.iter().any(|a| a.text == "back for real"))
    });
    partner.shutdown();
}
