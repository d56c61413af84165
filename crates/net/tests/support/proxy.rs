//! A bad path on loopback: a UDP proxy between one client and one upstream address that
//! loses, delays and reorders datagrams, and can be cut and healed.
//!
//! The client sends to [`Proxy::addr`]; the proxy forwards from a socket of its own to the
//! upstream address, and sends what comes back from upstream to the last client it heard
//! from. The client's side is on ::1, the upstream's on 127.0.0.1, and no datagram ever
//! leaves the machine.
//!
//! Why two families: iroh's NAT traversal tells each end the other's own socket address
//! and moves the connection to the direct path whenever it measures faster than the proxy
//! (no stable setting turns that off). A client bound on ::1 cannot send to an upstream
//! socket on 127.0.0.1, nor the upstream to the client, so the proxy is the only way
//! across, however slow or lossy it gets.
//!
//! Loss and delay come from a seeded generator, so a run's decisions repeat for the same
//! order of arrivals. Some datagrams are held back a few jittered milliseconds while the
//! others go on at once, so datagrams overtake each other. The counters let a test prove
//! the proxy really was on the path.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::UdpSocket;

/// How bad the path is once [`Proxy::degrade`] was called.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Seed of the loss and delay decisions.
    pub seed: u64,
    /// Datagrams lost, per thousand.
    pub loss_per_mille: u64,
    /// Datagrams held back, per thousand; the others go on at once and overtake them.
    pub delay_per_mille: u64,
    /// A held-back datagram waits between these two (uniformly drawn).
    pub min_delay: Duration,
    pub max_delay: Duration,
}

impl Default for ProxyConfig {
    /// About one datagram in ten lost, one in four held back 1–4 ms. The added round trip
    /// stays near 2 ms on average: see [`Proxy::degrade`] for why it must stay small.
    fn default() -> Self {
        Self {
            seed: 0x7e11_1515,
            loss_per_mille: 100,
            delay_per_mille: 250,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
        }
    }
}

/// What the proxy did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Datagrams sent on, client → upstream.
    pub forwarded_up: u64,
    /// Datagrams sent on, upstream → client.
    pub forwarded_down: u64,
    /// Bytes sent on, upstream → client.
    pub bytes_down: u64,
    /// Bytes sent on, client → upstream.
    pub bytes_up: u64,
    /// Datagrams lost on purpose (the random loss).
    pub dropped: u64,
    /// Datagrams dropped because the path was cut (including those in flight at the cut).
    pub cut: u64,
    /// Datagrams sent on after a datagram that arrived later than them (overtaken).
    pub reordered: u64,
    /// Datagrams from anywhere but the client's or the upstream's address, ignored.
    pub strangers: u64,
}

impl Counts {
    pub fn forwarded(&self) -> u64 {
        self.forwarded_up + self.forwarded_down
    }
}

#[derive(Debug, Default)]
struct Counters {
    forwarded_up: AtomicU64,
    forwarded_down: AtomicU64,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    dropped: AtomicU64,
    cut: AtomicU64,
    reordered: AtomicU64,
    strangers: AtomicU64,
}

/// A 64-bit linear congruential generator (Knuth's MMIX constants): plenty for loss and
/// jitter, and no dependency.
#[derive(Debug)]
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        // The high bits of an LCG are the random ones.
        self.0 >> 33
    }
}

#[derive(Debug)]
struct Shared {
    config: ProxyConfig,
    rng: Mutex<Lcg>,
    /// Loss and delay are on.
    bad: AtomicBool,
    cut: AtomicBool,
    counters: Counters,
    /// Where the client was last heard from (the client's port is only known once it sends).
    client: Mutex<Option<SocketAddr>>,
    /// Arrival number of each direction's next datagram, and the highest one sent on so far
    /// (to count overtaken datagrams).
    arrivals: [AtomicU64; 2],
    highest_sent: [AtomicU64; 2],
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    Up = 0,
    Down = 1,
}

impl Shared {
    /// Decides a datagram's fate: `None` to lose it, or how long it waits.
    fn fate(&self) -> Option<Duration> {
        if !self.bad.load(Ordering::SeqCst) {
            return Some(Duration::ZERO);
        }
        let config = &self.config;
        let mut rng = self.rng.lock().unwrap();
        if rng.next() % 1000 < config.loss_per_mille {
            return None;
        }
        if rng.next() % 1000 >= config.delay_per_mille {
            return Some(Duration::ZERO);
        }
        let span = config
            .max_delay
            .saturating_sub(config.min_delay)
            .as_micros() as u64;
        let jitter = if span == 0 { 0 } else { rng.next() % span };
        Some(config.min_delay + Duration::from_micros(jitter))
    }

    fn sent(&self, direction: Direction, arrival: u64, bytes: usize) {
        let c = &self.counters;
        let (count, total) = match direction {
            Direction::Up => (&c.forwarded_up, &c.bytes_up),
            Direction::Down => (&c.forwarded_down, &c.bytes_down),
        };
        count.fetch_add(1, Ordering::Relaxed);
        total.fetch_add(bytes as u64, Ordering::Relaxed);
        let highest = self.highest_sent[direction as usize].fetch_max(arrival, Ordering::Relaxed);
        if highest > arrival {
            c.reordered.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A running proxy; dropping it stops it.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    upstream_side: SocketAddr,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

fn is_loopback_v4(addr: &SocketAddr) -> bool {
    addr.ip() == std::net::IpAddr::V4(Ipv4Addr::LOCALHOST)
}

fn is_loopback_v6(addr: &SocketAddr) -> bool {
    addr.ip() == std::net::IpAddr::V6(Ipv6Addr::LOCALHOST)
}

/// Where a client must bind to have the proxy as its only way to the upstream.
pub const CLIENT_IP: std::net::IpAddr = std::net::IpAddr::V6(Ipv6Addr::LOCALHOST);

impl Proxy {
    /// Starts a proxy on ::1 in front of `upstream` (which must be on 127.0.0.1).
    pub fn start(upstream: SocketAddr, config: ProxyConfig) -> Proxy {
        assert!(
            is_loopback_v4(&upstream),
            "the proxy only ever forwards to 127.0.0.1, not {upstream}"
        );
        assert!(config.min_delay <= config.max_delay);
        // Its own runtime: the test around it is synchronous, and the nodes run theirs.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("lossy-proxy")
            .enable_all()
            .build()
            .unwrap();
        let shared = Arc::new(Shared {
            rng: Mutex::new(Lcg(config.seed)),
            config,
            bad: AtomicBool::new(false),
            cut: AtomicBool::new(false),
            counters: Counters::default(),
            client: Mutex::new(None),
            arrivals: Default::default(),
            highest_sent: Default::default(),
        });
        let (front, back) = runtime.block_on(async {
            let front = SocketAddr::from((CLIENT_IP, 0));
            let back = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
            (
                Arc::new(UdpSocket::bind(front).await.unwrap_or_else(|e| {
                    panic!("this test needs the IPv6 loopback address ::1 ({e})")
                })),
                Arc::new(UdpSocket::bind(back).await.unwrap()),
            )
        });
        let addr = front.local_addr().unwrap();
        let upstream_side = back.local_addr().unwrap();
        runtime.spawn(pump_up(
            front.clone(),
            back.clone(),
            upstream,
            shared.clone(),
        ));
        runtime.spawn(pump_down(front, back, upstream, shared.clone()));
        Proxy {
            addr,
            upstream_side,
            shared,
            runtime: Some(runtime),
        }
    }

    /// Where the client sends to reach the upstream address through the bad path.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the upstream sees the client's datagrams come from.
    pub fn upstream_side_addr(&self) -> SocketAddr {
        self.upstream_side
    }

    /// Turns the loss and the delays on; until then the proxy forwards everything at once.
    ///
    /// Why not from the first datagram: a handshake datagram lost on the way leaves iroh
    /// with a round-trip estimate of a second or more, and a test then measures iroh's
    /// handshake timers instead of delivery over a bad path.
    pub fn degrade(&self) {
        self.shared.bad.store(true, Ordering::SeqCst);
    }

    /// Drops everything from now on, including datagrams already waiting their delay.
    pub fn cut(&self) {
        self.shared.cut.store(true, Ordering::SeqCst);
    }

    pub fn heal(&self) {
        self.shared.cut.store(false, Ordering::SeqCst);
    }

    pub fn counts(&self) -> Counts {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Counts {
            forwarded_up: get(&c.forwarded_up),
            forwarded_down: get(&c.forwarded_down),
            bytes_up: get(&c.bytes_up),
            bytes_down: get(&c.bytes_down),
            dropped: get(&c.dropped),
            cut: get(&c.cut),
            reordered: get(&c.reordered),
            strangers: get(&c.strangers),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Sends `datagram` to `to` after its fate's delay, unless it is lost or the path is cut
/// by then.
fn forward(
    shared: &Arc<Shared>,
    socket: &Arc<UdpSocket>,
    to: SocketAddr,
    direction: Direction,
    datagram: Vec<u8>,
) {
    let arrival = shared.arrivals[direction as usize].fetch_add(1, Ordering::Relaxed);
    if shared.cut.load(Ordering::SeqCst) {
        shared.counters.cut.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let Some(delay) = shared.fate() else {
        shared.counters.dropped.fetch_add(1, Ordering::Relaxed);
        return;
    };
    // Straight on when not held back: a hop through another task would add latency, and
    // iroh leaves a path that is 5 ms slower than the direct one it finds (see `degrade`).
    if delay.is_zero() {
        match socket.try_send_to(&datagram, to) {
            Ok(_) => {
                shared.sent(direction, arrival, datagram.len());
                return;
            }
            // The socket's buffer is full for a moment: send it from a task instead.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            // A vanished port, as on a real path: the datagram is gone.
            Err(_) => return,
        }
    }
    let shared = shared.clone();
    let socket = socket.clone();
    tokio::spawn(async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        // A cut also takes what was on the wire.
        if shared.cut.load(Ordering::SeqCst) {
            shared.counters.cut.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if socket.send_to(&datagram, to).await.is_ok() {
            shared.sent(direction, arrival, datagram.len());
        }
    });
}

/// Client → upstream: whatever reaches the front socket from ::1.
async fn pump_up(
    front: Arc<UdpSocket>,
    back: Arc<UdpSocket>,
    upstream: SocketAddr,
    shared: Arc<Shared>,
) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, from)) = front.recv_from(&mut buf).await else {
            // A send to a vanished port can surface here as an error: keep serving.
            continue;
        };
        if !is_loopback_v6(&from) {
            shared.counters.strangers.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        *shared.client.lock().unwrap() = Some(from);
        forward(&shared, &back, upstream, Direction::Up, buf[..n].to_vec());
    }
}

/// Upstream → client: only what comes from the upstream address, to the last client.
async fn pump_down(
    front: Arc<UdpSocket>,
    back: Arc<UdpSocket>,
    upstream: SocketAddr,
    shared: Arc<Shared>,
) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, from)) = back.recv_from(&mut buf).await else {
            continue;
        };
        let client = *shared.client.lock().unwrap();
        match client {
            Some(client) if from == upstream => {
                forward(&shared, &front, client, Direction::Down, buf[..n].to_vec());
            }
            _ => {
                shared.counters.strangers.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
