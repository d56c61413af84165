//! Bytes on the wire, counted exactly: the same frames a node's conversation writes
//! (`Profile::sync_outgoing` → `Changes` frames + a `Sync` frame; incoming changes verified
//! and stored, then the sync message taken in), exchanged in memory so the count is
//! deterministic. QUIC/TLS packet overhead is not included; the frames are what Trellis adds.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde::Serialize;
use trellis_core::frame::{SYNC_CHUNK_BYTES, changes_frames};
use trellis_core::{Action, Frame, Moment, SignedChange, SyncSession};
use trellis_store::Profile;

use crate::workloads::{Template, copy_dir, scratch};

struct Side {
    profile: Profile,
    session: SyncSession,
    now: Moment,
}

impl Side {
    fn open(dir: &Path, now: Moment) -> Result<Self> {
        let profile = Profile::open(dir)?;
        let session = profile.sync_session()?;
        Ok(Self {
            profile,
            session,
            now,
        })
    }

    /// A new conversation, resumed from the saved sync state (as after a reconnect).
    fn reconnect(&mut self) -> Result<()> {
        self.session = self.profile.sync_session()?;
        Ok(())
    }

    fn outgoing(&mut self) -> Result<Vec<Frame>> {
        let Some(out) = self.profile.sync_outgoing(&mut self.session)? else {
            return Ok(Vec::new());
        };
        let mut frames = changes_frames(out.changes, SYNC_CHUNK_BYTES);
        frames.push(Frame::Sync {
            message: out.message,
        });
        Ok(frames)
    }

    fn receive(&mut self, frame: Frame) -> Result<Vec<Frame>> {
        match frame {
            Frame::Changes(changes) => {
                self.profile
                    .receive_changes(&mut self.session, changes, self.now)?;
                Ok(Vec::new())
            }
            Frame::Sync { message } => {
                self.profile
                    .sync_receive(&mut self.session, &message, self.now)?;
                self.outgoing()
            }
            other => bail!("unexpected frame {other:?}"),
        }
    }

    /// A `Changes` frame with the sync message that came right after it, taken in together
    /// as a node does (one transaction); returns the answer.
    fn receive_with_sync(
        &mut self,
        changes: Vec<SignedChange>,
        message: &[u8],
    ) -> Result<Vec<Frame>> {
        self.profile
            .receive_changes_and_sync(&mut self.session, changes, message, self.now)?;
        self.outgoing()
    }
}

/// Bytes each side wrote in one exchange, until both fall quiet.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Exchange {
    pub a_to_b: usize,
    pub b_to_a: usize,
    pub frames: usize,
}

impl Exchange {
    pub fn total(&self) -> usize {
        self.a_to_b + self.b_to_a
    }
}

fn size(frames: &[Frame]) -> usize {
    frames.iter().map(|f| f.encode().len()).sum()
}

/// Runs the conversation with `a_first` already queued from A (and whatever B opens with
/// when `b_opens`).
fn exchange(a: &mut Side, b: &mut Side, a_first: Vec<Frame>, b_opens: bool) -> Result<Exchange> {
    let mut ex = Exchange::default();
    let mut to_b = a_first;
    let mut to_a = if b_opens { b.outgoing()? } else { Vec::new() };
    for _ in 0..1000 {
        if to_b.is_empty() && to_a.is_empty() {
            return Ok(ex);
        }
        ex.a_to_b += size(&to_b);
        ex.b_to_a += size(&to_a);
        ex.frames += to_b.len() + to_a.len();
        let mut next_to_a = Vec::new();
        for f in std::mem::take(&mut to_b) {
            next_to_a.extend(b.receive(f)?);
        }
        let mut next_to_b = Vec::new();
        for f in std::mem::take(&mut to_a) {
            next_to_b.extend(a.receive(f)?);
        }
        to_a = next_to_a;
        to_b = next_to_b;
    }
    bail!("the in-memory conversation did not fall quiet")
}

/// What one small change costs on the wire.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeBytes {
    /// The signed change's own bytes (automerge change + 96 bytes of key and signature).
    pub change_bytes: usize,
    /// Alex's frames for it: the `Changes` frame and the `Sync` frame after it.
    pub sender_frames: usize,
    /// Everything both sides wrote until quiet (the partner's acknowledgement included).
    pub round_trip_total: usize,
    pub frames: usize,
}

/// The size of a `Hello` frame as a node on loopback writes it: one IPv4 address, 7 bytes
/// (trellis-net's `hello` encoding; the device id is proven by the TLS handshake instead).
pub fn hello_bytes() -> usize {
    Frame::Hello {
        payload: vec![0u8; 7],
    }
    .encode()
    .len()
}

/// Metric 3: one small change sent live, and a reconnect with one change missing.
#[derive(Debug, Clone, Serialize)]
pub struct WireBytes {
    pub appreciation: ChangeBytes,
    pub checkin: ChangeBytes,
    /// A reconnect where Alex has one change Sam lacks: both `Hello`s and the exchange.
    pub reconnect_total: usize,
    pub reconnect_exchange: Exchange,
    pub hello: usize,
}

/// Scratch copies of both partners' profiles, opened, in a live conversation where both
/// have said what they hold.
fn live_pair(
    t: &Template,
    root: &Path,
    purpose: &str,
    now: Moment,
) -> Result<(PathBuf, Side, Side)> {
    let dir = scratch(root, &format!("{}-{purpose}", t.name))?;
    copy_dir(&t.alex, &dir.join("alex"))?;
    copy_dir(&t.sam, &dir.join("sam"))?;
    let mut a = Side::open(&dir.join("alex"), now)?;
    let mut b = Side::open(&dir.join("sam"), now)?;
    let opening = a.outgoing()?;
    exchange(&mut a, &mut b, opening, true)?;
    Ok((dir, a, b))
}

pub fn measure(t: &Template, root: &Path, now: Moment) -> Result<WireBytes> {
    let (dir, mut a, mut b) = live_pair(t, root, "bytes", now)?;

    let one = |a: &mut Side, b: &mut Side, action: Action| -> Result<ChangeBytes> {
        let committed = a.profile.act(&action, now)?;
        let change_bytes = committed.change.bytes.len() + 96;
        let frames = a.outgoing()?;
        let sender_frames = size(&frames);
        let ex = exchange(a, b, frames, false)?;
        Ok(ChangeBytes {
            change_bytes,
            sender_frames,
            round_trip_total: ex.total(),
            frames: ex.frames,
        })
    };
    let appreciation = one(
        &mut a,
        &mut b,
        Action::Appreciate {
            text: "Thank you for the tea".into(),
        },
    )?;
    let checkin = one(
        &mut a,
        &mut b,
        Action::AddCheckIn(trellis_core::CheckInDraft {
            feel: "calm".into(),
            when: Some("we talk before bed".into()),
            went_well: Some("breakfast together".into()),
            was_hard: None,
            need: None,
            response: None,
            safety: Some(8),
            trust: Some(8),
            connection: Some(8),
            date: None,
        }),
    )?;

    // Apart: Alex makes one change; then a new conversation from the saved states.
    a.profile.act(
        &Action::Appreciate {
            text: "Thank you for waiting".into(),
        },
        now,
    )?;
    a.reconnect()?;
    b.reconnect()?;
    let opening = a.outgoing()?;
    let reconnect_exchange = exchange(&mut a, &mut b, opening, true)?;
    if !a.session.in_sync(a.profile.couple_mut()?) {
        bail!("the reconnect did not bring both copies together");
    }
    let hello = hello_bytes();
    drop(a);
    drop(b);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(WireBytes {
        appreciation,
        checkin,
        reconnect_total: reconnect_exchange.total() + 2 * hello,
        reconnect_exchange,
        hello,
    })
}

/// Where the time of one new change goes, step by step, on the same code paths a node runs
/// (medians over `count` changes, ms). No network: the frames are handed over in memory.
#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    /// Alex: perform, sign, commit to disk (`Profile::act`).
    pub act: f64,
    /// Alex: the view and status a node publishes after a change.
    pub publish_sender: f64,
    /// Alex: the sync message and signed changes to send (`sync_outgoing`).
    pub outgoing: f64,
    /// Sam: verify, commit to disk, apply (`verify_changes` + `store_verified`).
    pub receive: f64,
    /// Sam: the view and status published after it.
    pub publish_receiver: f64,
    /// Sam: taking in the sync message that followed (saves the sync state).
    pub sync_receive: f64,
    /// Of `publish_receiver`: the status alone (published first, so the change shows).
    pub status_receiver: f64,
}

pub fn breakdown(t: &Template, root: &Path, now: Moment, count: usize) -> Result<Breakdown> {
    let (dir, mut a, mut b) = live_pair(t, root, "steps", now)?;
    let mut steps: [Vec<f64>; 7] = Default::default();
    let time = |f: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
        let started = std::time::Instant::now();
        f()?;
        Ok(started.elapsed().as_secs_f64() * 1000.0)
    };
    for i in 0..count {
        let action = Action::Appreciate {
            text: format!("Thank you for the tea ({i})"),
        };
        steps[0].push(time(&mut || {
            a.profile.act(&action, now)?;
            Ok(())
        })?);
        steps[1].push(time(&mut || {
            a.profile.view(now);
            a.profile.status()?;
            Ok(())
        })?);
        let mut frames = Vec::new();
        steps[2].push(time(&mut || {
            frames = a.outgoing()?;
            Ok(())
        })?);
        let mut replies = Vec::new();
        let (mut receive, mut sync) = (0.0, 0.0);
        let mut frames = frames.into_iter().peekable();
        while let Some(f) = frames.next() {
            // As a node does: changes and the sync message right after them go in together.
            if let Frame::Changes(changes) = &f
                && let Some(Frame::Sync { message }) = frames.peek()
            {
                let (changes, message) = (changes.clone(), message.clone());
                frames.next();
                receive += time(&mut || {
                    replies.extend(b.receive_with_sync(changes.clone(), &message)?);
                    Ok(())
                })?;
                continue;
            }
            let is_changes = matches!(f, Frame::Changes(_));
            let ms = time(&mut || {
                replies.extend(b.receive(f.clone())?);
                Ok(())
            })?;
            if is_changes {
                receive += ms;
            } else {
                sync += ms;
            }
        }
        steps[3].push(receive);
        steps[4].push(time(&mut || {
            b.profile.view(now);
            b.profile.status()?;
            Ok(())
        })?);
        steps[5].push(sync);
        steps[6].push(time(&mut || {
            b.profile.status()?;
            Ok(())
        })?);
        exchange(&mut b, &mut a, replies, false)?;
    }
    drop(a);
    drop(b);
    let _ = std::fs::remove_dir_all(&dir);
    let m = |v: &[f64]| crate::stats::percentile(v, 0.5);
    Ok(Breakdown {
        act: m(&steps[0]),
        publish_sender: m(&steps[1]),
        outgoing: m(&steps[2]),
        receive: m(&steps[3]),
        publish_receiver: m(&steps[4]),
        sync_receive: m(&steps[5]),
        status_receiver: m(&steps[6]),
    })
}
