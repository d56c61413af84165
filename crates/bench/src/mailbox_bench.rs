//! W3 through the couple's mailbox: the same month apart as metric 6's live reunion, but the
//! two partners' devices are never running at the same moment. A real mailbox runs in this
//! process (loopback only) and the nodes' own courier carries the month both ways.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use trellis_core::Moment;
use trellis_core::seal::SealKey;
use trellis_mailbox::{Mailbox, MailboxOptions};
use trellis_net::{Command, MailboxState};
use trellis_store::Profile;

use crate::nodes::{Node, mailbox_round};
use crate::workloads::{Template, copy_dir, month_apart, scratch};

const LONG: Duration = Duration::from_secs(1800);
/// A visit that needs more rounds than this is not converging: the harness stops.
const MAX_ROUNDS: usize = 5;

/// One W3 reunion through the mailbox.
#[derive(Debug, Clone, Serialize)]
pub struct MailboxReunion {
    /// The headline: the three visits' rounds, added up (node start-ups not included, as
    /// the live row leaves out starting its two nodes).
    pub ms: f64,
    /// Each visit's rounds (ms): Alex leaves, Sam picks up and leaves, Alex picks up.
    pub visits_ms: [Vec<f64>; 3],
    /// Starting each visit's node until it answers commands (not in `ms`).
    pub starts_ms: [f64; 3],
    /// From the first node's start to the last one's shutdown: everything a person would
    /// wait through if the three visits followed each other at once.
    pub wall_ms: f64,
    pub written: [usize; 2],
    /// The sealed envelope each partner left (bytes, as the mailbox accounts them).
    pub envelope_bytes: [u64; 2],
    /// The bundle each envelope carries, before padding and sealing (see [`inner_bundles`]).
    pub bundle_bytes: [usize; 2],
    /// Envelope bytes deposited plus envelope bytes picked up: each envelope crosses twice.
    pub bytes: u64,
    /// Envelopes picked up by Sam, then by Alex.
    pub picked_up: [usize; 2],
    pub changes_after: usize,
}

/// What one partner's visit did.
struct Visit {
    rounds_ms: Vec<f64>,
    start_ms: f64,
    picked_up: usize,
    last: MailboxState,
    changes: usize,
}

/// Starts the node on `dir`, runs rounds until `done` holds of the last round's state (and
/// the envelopes picked up so far), and stops the node.
fn visit(
    dir: &Path,
    who: &str,
    done: impl Fn(&MailboxState, usize, usize) -> bool,
) -> Result<Visit> {
    let (node, start_ms) = Node::start_ready(dir).with_context(|| format!("starting {who}"))?;
    let mut rounds_ms = Vec::new();
    let mut picked_up = 0;
    let last = loop {
        if rounds_ms.len() == MAX_ROUNDS {
            bail!("{who}'s visit to the mailbox did not finish in {MAX_ROUNDS} rounds");
        }
        let started = Instant::now();
        let state = mailbox_round(&node, LONG).with_context(|| format!("{who}'s round"))?;
        rounds_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        picked_up += state.picked_up;
        if done(&state, picked_up, node.changes()) {
            break state;
        }
    };
    let changes = node.changes();
    node.shutdown();
    Ok(Visit {
        rounds_ms,
        start_ms,
        picked_up,
        last,
        changes,
    })
}

/// What each partner's envelope carries before it is padded to its size bucket and sealed
/// (the padding hides from the mailbox how much was written): made from the profiles just
/// before the visits, as the courier makes them, and opened with the partner's key. Not
/// measured, and nothing is recorded as deposited. Sam's real envelope, made after picking
/// up Alex's, names one more head of Alex's (32 bytes more).
fn inner_bundles(a: &Path, s: &Path, written: [usize; 2]) -> Result<[usize; 2]> {
    let now = trellis_store::LocalZone::now();
    let mut alex = Profile::open(a)?;
    let mut sam = Profile::open(s)?;
    let mailbox = alex
        .mailbox_address(now)
        .context("Alex's copy does not know of the mailbox")?;
    let inner = |from: &mut Profile, to: &Profile, changes: usize| -> Result<usize> {
        let deposit = from
            .envelope_for_mailbox(&mailbox, now)?
            .context("nothing to leave at the mailbox")?;
        if deposit.changes != changes {
            bail!(
                "an envelope of {} changes, expected {changes}",
                deposit.changes
            );
        }
        Ok(SealKey::of(&to.identity()).open(&deposit.envelope)?.len())
    };
    Ok([
        inner(&mut alex, &sam, written[0])?,
        inner(&mut sam, &alex, written[1])?,
    ])
}

/// Both copies agree and both know of the mailbox; each partner works alone for a month
/// (exactly `month_apart`, as the live row); then Alex's device visits the mailbox alone,
/// Sam's after it, and Alex's again, until both copies hold the same heads.
pub fn month_apart_via_mailbox(
    t: &Template,
    root: &Path,
    sample: usize,
    start: Moment,
    per_partner: [usize; 2],
) -> Result<MailboxReunion> {
    let dir = scratch(root, &format!("{}-mailbox-{sample}", t.name))?;
    let (a, s) = (dir.join("alex"), dir.join("sam"));
    copy_dir(&t.alex, &a)?;
    copy_dir(&t.sam, &s)?;

    // The mailbox's tasks run on this runtime's workers while the harness thread drives
    // the nodes (each node has its own runtime, as in the app).
    let runtime = tokio::runtime::Runtime::new().context("starting the mailbox's runtime")?;
    let mut options = MailboxOptions::new(dir.join("mailbox"));
    options.loopback = true;
    let mailbox = runtime
        .block_on(Mailbox::start(options))
        .context("starting the mailbox")?;
    let code = mailbox
        .new_code(Duration::from_secs(600))
        .context("a code for the mailbox")?
        .encode();

    // Not measured: Alex adds the mailbox (registering both devices and writing the record
    // into the document); the record reaches Sam's copy in a bundle, and Sam's answer
    // tells Alex's copy that Sam has everything, so both agree again before the month
    // apart, as in the live row. The bench's nodes never visit the mailbox on their own
    // (no background rounds without auto-connect), so nothing is deposited before the
    // measured rounds.
    let (alex, _) = Node::start_ready(&a)?;
    alex.call(Command::AddMailbox(code), LONG)
        .context("adding the mailbox")?;
    alex.shutdown();
    let base = {
        let mut alex = Profile::open(&a)?;
        let mut sam = Profile::open(&s)?;
        trellis_workload::exchange(&mut alex, &mut sam, start)
            .context("carrying the mailbox's record to Sam")?;
        if alex.couple_mut()?.heads() != sam.couple_mut()?.heads() {
            bail!("the copies disagree before the month apart");
        }
        // The node wrote the record at the device's clock, which may be later than the
        // workload's calendar: read it as the courier will, now.
        if sam
            .mailbox_address(trellis_store::LocalZone::now())
            .is_none()
        {
            bail!("Sam's copy does not know of the mailbox");
        }
        alex.status()?
            .couple
            .context("Alex's copy has no couple")?
            .changes
    };
    let written = month_apart(&a, &s, start, per_partner)?;
    let expected = base + written[0] + written[1];
    let bundle_bytes = inner_bundles(&a, &s, written)?;

    let began = Instant::now();
    // Alex's device, alone: leaves its month.
    let alex1 = visit(&a, "Alex (leaving)", |state, _, _| {
        state.deposits.changes_waiting >= written[0]
    })?;
    // Sam's device, alone later: picks up Alex's month, then leaves its own.
    let sam = visit(&s, "Sam", |state, picked, _| {
        picked > 0 && state.waiting_for_me == 0 && state.deposits.changes_waiting >= written[1]
    })?;
    // Alex's device again: picks up Sam's month.
    let alex2 = visit(&a, "Alex (picking up)", |state, picked, changes| {
        picked > 0 && state.waiting_for_me == 0 && changes == expected
    })?;
    let wall_ms = began.elapsed().as_secs_f64() * 1000.0;
    runtime.block_on(mailbox.shutdown());

    // What the mailbox held after each leaving visit is exactly that visit's envelope:
    // before Alex's there was nothing, and Sam's visit acknowledged Alex's (freeing it)
    // before leaving its own. Alex's last visit leaves the mailbox empty.
    if alex1.last.deposits.changes_waiting != written[0]
        || alex1.last.deposits.envelopes_waiting != 1
    {
        bail!(
            "Alex left {} changes in {} envelopes, expected {} in one",
            alex1.last.deposits.changes_waiting,
            alex1.last.deposits.envelopes_waiting,
            written[0]
        );
    }
    if sam.last.deposits.changes_waiting != written[1] || sam.last.deposits.envelopes_waiting != 1 {
        bail!(
            "Sam left {} changes in {} envelopes, expected {} in one",
            sam.last.deposits.changes_waiting,
            sam.last.deposits.envelopes_waiting,
            written[1]
        );
    }
    if sam.changes != expected {
        bail!(
            "after picking up Sam has {} changes, expected {expected}",
            sam.changes
        );
    }
    if alex2.last.used_bytes != 0 {
        bail!(
            "{} bytes still wait at the mailbox after both picked up",
            alex2.last.used_bytes
        );
    }
    let mut alex = Profile::open(&a)?;
    let mut sam_profile = Profile::open(&s)?;
    if alex.couple_mut()?.heads() != sam_profile.couple_mut()?.heads() {
        bail!("after the mailbox rounds the two copies hold different heads");
    }
    drop((alex, sam_profile));

    let envelope_bytes = [alex1.last.used_bytes, sam.last.used_bytes];
    let visits_ms = [alex1.rounds_ms, sam.rounds_ms, alex2.rounds_ms];
    let ms = visits_ms.iter().flatten().sum();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(MailboxReunion {
        ms,
        visits_ms,
        starts_ms: [alex1.start_ms, sam.start_ms, alex2.start_ms],
        wall_ms,
        written,
        envelope_bytes,
        bundle_bytes,
        bytes: 2 * (envelope_bytes[0] + envelope_bytes[1]),
        picked_up: [sam.picked_up, alex2.picked_up],
        changes_after: alex2.changes,
    })
}
