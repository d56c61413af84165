//! The floors: what the physics of Trellis's choices costs with nothing of Trellis on top —
//! automerge's own sync, ed25519 batch verification, one fsync, one loopback round trip.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, ChangeHash};
use ed25519_dalek::{Signature, VerifyingKey};
use iroh::endpoint::{PortmapperConfig, presets};
use iroh::{Endpoint, EndpointAddr};
use trellis_core::signature::change_message;
use trellis_core::{Action, DocId, SignedChange};

use crate::workloads::{Template, copy_dir, scratch};
use trellis_store::Profile;

/// Every change of a profile with its signature, as the partner would receive it.
#[derive(Debug)]
pub struct History {
    pub doc: DocId,
    pub changes: Vec<SignedChange>,
    pub hashes: Vec<ChangeHash>,
}

impl History {
    pub fn read(dir: &Path) -> Result<Self> {
        let mut profile = Profile::open(dir)?;
        let doc = profile
            .couple()
            .map(|c| c.doc_id())
            .context("the profile has no couple")?;
        let couple = profile.couple_mut()?;
        let changes = couple.changes_since(&[]);
        let hashes: Vec<ChangeHash> = changes.iter().map(|c| c.hash()).collect();
        let sigs = profile.db().signatures(hashes.iter().copied())?;
        let signed = changes
            .iter()
            .zip(sigs)
            .map(|(c, (h, s))| {
                Ok(SignedChange {
                    bytes: c.raw_bytes().to_vec(),
                    signature: s.ok_or_else(|| anyhow!("no signature stored for {h}"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            doc,
            changes: signed,
            hashes,
        })
    }

    /// An automerge document holding every change (built untimed).
    fn document(&self) -> Result<Automerge> {
        let mut doc = Automerge::new();
        let mut all = Vec::new();
        for c in &self.changes {
            all.extend_from_slice(&c.bytes);
        }
        doc.load_incremental(&all)?;
        Ok(doc)
    }
}

/// The engine's own share of taking in one change: automerge alone applying Alex's new
/// appreciations, one call each, to Sam's document as Trellis holds it in memory (opened
/// from Sam's profile; the appreciations are made untimed in a scratch copy of Alex's).
/// Returns one duration (ms) per change.
pub fn apply_one(t: &Template, root: &Path, count: usize) -> Result<Vec<f64>> {
    let dir = scratch(root, &format!("{}-apply", t.name))?;
    copy_dir(&t.alex, &dir.join("alex"))?;
    let mut alex = Profile::open(&dir.join("alex"))?;
    let mut doc = Profile::open_for_reading(&t.sam)?
        .couple_mut()?
        .automerge()
        .clone();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let made = alex.act(
            &Action::Appreciate {
                text: format!("Thank you for the tea ({i})"),
            },
            t.end,
        )?;
        let change = automerge::Change::from_bytes(made.change.bytes)?;
        let started = Instant::now();
        doc.apply_changes([change])?;
        out.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    drop(alex);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

/// Floor (a): plain automerge sync of the same document between two in-memory documents,
/// no signatures, messages encoded and decoded as they would be on a wire. Returns ms.
/// `v1` forces version-1 messages (one chunk per change), as Trellis does.
pub fn automerge_sync(history: &History, v1: bool) -> Result<f64> {
    let full = history.document()?;
    let mut empty = Automerge::new();
    let (mut a_state, mut b_state) = (sync::State::new(), sync::State::new());
    let started = Instant::now();
    let mut full = full;
    for _ in 0..10_000 {
        if v1 {
            a_state.their_capabilities = None;
        }
        let a_msg = full.generate_sync_message(&mut a_state);
        let sent_a = a_msg.is_some();
        if let Some(m) = a_msg {
            let m = sync::Message::decode(&m.encode())?;
            empty.receive_sync_message(&mut b_state, m)?;
        }
        if v1 {
            b_state.their_capabilities = None;
        }
        let b_msg = empty.generate_sync_message(&mut b_state);
        let sent_b = b_msg.is_some();
        if let Some(m) = b_msg {
            let m = sync::Message::decode(&m.encode())?;
            full.receive_sync_message(&mut a_state, m)?;
        }
        if !sent_a && !sent_b {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            if empty.get_heads() != full.get_heads() {
                bail!("plain automerge sync did not converge");
            }
            return Ok(ms);
        }
    }
    bail!("plain automerge sync did not finish")
}

/// Floor (b): batch verification of the same signatures alone (one `verify_batch` call over
/// every signature; the signed messages are prepared untimed). Returns ms.
pub fn batch_verify(history: &History) -> Result<f64> {
    let messages: Vec<Vec<u8>> = history
        .hashes
        .iter()
        .map(|h| change_message(&history.doc, h))
        .collect();
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let sigs: Vec<Signature> = history
        .changes
        .iter()
        .map(|c| Signature::from_bytes(&c.signature.signature))
        .collect();
    let keys: Vec<VerifyingKey> = history
        .changes
        .iter()
        .map(|c| c.signature.signer.verifying_key())
        .collect::<Result<_, _>>()?;
    let started = Instant::now();
    ed25519_dalek::verify_batch(&refs, &sigs, &keys).map_err(|e| anyhow!("batch: {e}"))?;
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

/// One fsync: a small write then `sync_all`, in the filesystem the profiles live on. Returns
/// one duration (ms) per sample.
pub fn fsync(dir: &Path, samples: usize) -> Result<Vec<f64>> {
    let path = dir.join("fsync-probe");
    let mut file = std::fs::File::create(&path)?;
    let block = [7u8; 512];
    let mut out = Vec::with_capacity(samples);
    for _ in 0..samples + 3 {
        let started = Instant::now();
        file.write_all(&block)?;
        file.sync_all()?;
        out.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    drop(file);
    let _ = std::fs::remove_file(&path);
    Ok(out.split_off(3))
}

const PING_ALPN: &[u8] = b"trellis-bench/ping/1";

async fn loopback_endpoint(server: bool) -> Result<Endpoint> {
    let mut builder = Endpoint::builder(presets::Minimal)
        .portmapper_config(PortmapperConfig::Disabled)
        .clear_ip_transports()
        .bind_addr(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)))?;
    if server {
        builder = builder.alpns(vec![PING_ALPN.to_vec()]);
    }
    Ok(builder.bind().await?)
}

/// One loopback round trip over an iroh (QUIC) connection: one byte there and back on an
/// open stream. Returns one duration (ms) per sample.
pub fn loopback_rtt(samples: usize) -> Result<Vec<f64>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let server = loopback_endpoint(true).await?;
        let client = loopback_endpoint(false).await?;
        let accept = server.clone();
        tokio::spawn(async move {
            while let Some(incoming) = accept.accept().await {
                tokio::spawn(async move {
                    let conn = incoming.await?;
                    let (mut send, mut recv) = conn.accept_bi().await?;
                    let mut byte = [0u8; 1];
                    while recv.read_exact(&mut byte).await.is_ok() {
                        send.write_all(&byte).await?;
                    }
                    conn.closed().await;
                    anyhow::Ok(())
                });
            }
        });
        let socket = *server
            .bound_sockets()
            .first()
            .context("the ping endpoint has no socket")?;
        let addr = EndpointAddr::new(server.id()).with_ip_addr(socket);
        let conn = tokio::time::timeout(Duration::from_secs(10), client.connect(addr, PING_ALPN))
            .await
            .context("connecting over loopback timed out")??;
        let (mut send, mut recv) = conn.open_bi().await?;
        let mut out = Vec::with_capacity(samples);
        let mut byte = [1u8; 1];
        for i in 0..samples + 20 {
            let started = Instant::now();
            send.write_all(&byte).await?;
            recv.read_exact(&mut byte).await?;
            if i >= 20 {
                out.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        conn.close(0u32.into(), b"done");
        client.close().await;
        server.close().await;
        Ok(out)
    })
}
