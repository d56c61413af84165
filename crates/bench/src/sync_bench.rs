//! Metrics measured between two real nodes over loopback: full sync from empty, one new
//! change end to end, converging after a month apart; and opening a profile.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde::Serialize;
use trellis_core::{Action, Moment};
use trellis_net::Command;
use trellis_store::Profile;

use crate::nodes::{start_pair, sync_once};
use crate::workloads::{Template, copy_dir, month_apart, scratch};

const LONG: Duration = Duration::from_secs(1800);

/// One full sync from empty.
#[derive(Debug, Clone, Serialize)]
pub struct FullSync {
    pub ms: f64,
    pub changes: usize,
    pub bytes_sent: usize,
    pub bytes_received: usize,
}

/// Sam's copy holds only the couple's first change; Sam's node dials Alex's and syncs until
/// both agree. Every change is verified and stored (one transaction per frame) before it is
/// applied; the clock stops when Sam's conversation reports equal heads.
pub fn full_sync(t: &Template, root: &Path, sample: usize) -> Result<FullSync> {
    let dir = scratch(root, &format!("{}-full-{sample}", t.name))?;
    copy_dir(&t.alex, &dir.join("alex"))?;
    copy_dir(&t.sam_empty, &dir.join("sam"))?;
    let (alex, sam) = start_pair(&dir.join("alex"), &dir.join("sam"))?;
    let started = Instant::now();
    let report = sync_once(&sam, LONG)?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let snap = sam.wait_until("Sam's status to show the history", LONG, |s| {
        crate::nodes::changes(s) == t.built.changes
    })?;
    let changes = crate::nodes::changes(&snap);
    alex.shutdown();
    sam.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(FullSync {
        ms,
        changes,
        bytes_sent: report.bytes_sent,
        bytes_received: report.bytes_received,
    })
}

/// Latency of one new change: the moment Alex's node is asked to make it, to the moment
/// Sam's node has verified, stored (committed to disk) and applied it and shows it in its
/// snapshot's status. Both copies start complete and connected; each change is made once
/// both nodes are idle again. Returns one sample (ms) per change.
pub fn one_change(t: &Template, root: &Path, count: usize) -> Result<Vec<f64>> {
    let dir = scratch(root, &format!("{}-live", t.name))?;
    copy_dir(&t.alex, &dir.join("alex"))?;
    copy_dir(&t.sam, &dir.join("sam"))?;
    let (alex, sam) = start_pair(&dir.join("alex"), &dir.join("sam"))?;
    sync_once(&sam, LONG)?;
    let appreciations =
        |s: &trellis_net::Snapshot| s.view.as_ref().map_or(0, |v| v.appreciations.len());
    let start = appreciations(&alex.snapshot());
    let mut out = Vec::with_capacity(count);
    for i in 0..count + 2 {
        let before = sam.changes();
        let started = Instant::now();
        alex.handle.send(Command::Act(Action::Appreciate {
            text: format!("Thank you for the tea ({i})"),
        }));
        sam.wait_until("Sam to have the new change", Duration::from_secs(60), |s| {
            crate::nodes::changes(s) > before
        })?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        // The first two warm the connection up.
        if i >= 2 {
            out.push(ms);
        }
        // Each change is measured alone: both windows' views have caught up with the last
        // one (a long history's view takes a while to rebuild) and the acknowledgements
        // have settled before the next.
        for node in [&alex, &sam] {
            node.wait_until(
                "the view to show the change",
                Duration::from_secs(60),
                |s| appreciations(s) > start + i,
            )?;
        }
        std::thread::sleep(Duration::from_millis(20));
        alex.handle.poll_events();
        sam.handle.poll_events();
    }
    alex.shutdown();
    sam.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

/// W3: both copies agree, then each partner works alone for a month; the two nodes meet.
/// The clock runs from Sam's sync request, once both nodes answer commands, until Sam's
/// conversation reports equal heads: node start-ups are not included (nor in the mailbox
/// row next to it).
#[derive(Debug, Clone, Serialize)]
pub struct Reunion {
    pub ms: f64,
    pub written: [usize; 2],
    pub bytes: usize,
    pub changes_after: usize,
}

pub fn month_apart_then_meet(
    t: &Template,
    root: &Path,
    sample: usize,
    start: Moment,
    per_partner: [usize; 2],
) -> Result<Reunion> {
    let dir = scratch(root, &format!("{}-apart-{sample}", t.name))?;
    let (a, s) = (dir.join("alex"), dir.join("sam"));
    copy_dir(&t.alex, &a)?;
    copy_dir(&t.sam, &s)?;
    let written = month_apart(&a, &s, start, per_partner)?;
    let (alex, sam) = start_pair(&a, &s)?;
    let started = Instant::now();
    let report = sync_once(&sam, LONG)?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let expected = t.built.changes + written[0] + written[1];
    let snap = alex.wait_until("Alex to have Sam's month", LONG, |s| {
        crate::nodes::changes(s) == expected
    })?;
    if sam.changes() != expected {
        bail!(
            "after the month apart Sam has {} changes, expected {expected}",
            sam.changes()
        );
    }
    alex.shutdown();
    sam.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Reunion {
        ms,
        written,
        bytes: report.bytes_sent + report.bytes_received,
        changes_after: crate::nodes::changes(&snap),
    })
}

/// Opening a profile to a ready view, as the node does at start: open the store, load the
/// document, build the view and the status. Returns ms.
pub fn open_profile(dir: &Path, now: Moment) -> Result<f64> {
    let started = Instant::now();
    let mut profile = Profile::open(dir)?;
    let view = profile.view(now);
    let status = profile.status()?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if view.is_none() || status.couple.is_none() {
        bail!("the profile opened without its couple");
    }
    Ok(ms)
}
