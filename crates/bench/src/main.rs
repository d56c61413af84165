//! trellis-bench: a couple's five years, measured against the floor.
//!
//! `cargo run --release -p trellis-bench -- --size full --out bench-results` builds the
//! workloads through the real operations, measures Trellis next to the floors of its
//! choices in the same run, and writes `results.md` and `results.json`. `--size smoke` runs
//! everything at tiny sizes to check the harness works (CI); its numbers mean nothing.
//! See BENCHMARKS.md for what each number means.

mod floors;
mod mailbox_bench;
mod nodes;
mod report;
mod stats;
mod sync_bench;
mod window_bench;
mod wire_bytes;
mod workloads;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result};
use clap::{Parser, ValueEnum};
use serde_json::Value;

use crate::floors::History;
use crate::report::{Machine, Report, Row, ms, num, runs};
use crate::stats::{Summary, percentile};
use crate::workloads::{Template, build_template, end_of, w1_plan, w2_plan};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Size {
    /// Tiny workloads: checks that every part of the harness works (seconds, any build).
    Smoke,
    /// The real workloads: W1 five years, W2 100,000 changes, W3 a month apart.
    Full,
}

#[derive(Debug, Parser)]
#[command(
    name = "trellis-bench",
    about = "Trellis measured against the floor of its choices"
)]
struct Args {
    #[arg(long, value_enum, default_value = "full")]
    size: Size,
    /// Where results.md, results.json and the scratch profiles go.
    #[arg(long, default_value = "bench-results")]
    out: PathBuf,
    /// Runs per metric (median, min and max are reported). Default: 5 (smoke: 2).
    #[arg(long)]
    runs: Option<usize>,
    /// Runs of the slow W2 (100,000 changes) full sync.
    #[arg(long)]
    w2_runs: Option<usize>,
    /// The `trellis` binary for the window metrics (default: next to this program).
    #[arg(long)]
    trellis: Option<PathBuf>,
    /// Skip the window metrics.
    #[arg(long)]
    no_window: bool,
    /// Keep the scratch profiles (under OUT/work) afterwards.
    #[arg(long)]
    keep: bool,
    /// Only these parts (for profiling one thing): floors, sync, change, bytes, open,
    /// window, apart. W2 is built only when a part needs it.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Reuse the workloads a kept earlier run (`--keep`) left in OUT/work instead of
    /// building them again (for profiling; a real run builds them).
    #[arg(long)]
    reuse: bool,
    /// Leave out W2 (the 100,000-change stress workload).
    #[arg(long)]
    no_w2: bool,
}

fn note(text: impl AsRef<str>) {
    eprintln!("[trellis-bench] {}", text.as_ref());
}

/// Runs `f` `n` times and returns every result.
fn repeat<T>(n: usize, what: &str, mut f: impl FnMut(usize) -> Result<T>) -> Result<Vec<T>> {
    (0..n)
        .map(|i| {
            note(format!("{what} ({}/{n})", i + 1));
            f(i).with_context(|| format!("{what}, run {}", i + 1))
        })
        .collect()
}

struct Ctx {
    size: Size,
    runs: usize,
    w2_runs: usize,
    work: PathBuf,
    rows: Vec<Row>,
    raw: serde_json::Map<String, Value>,
}

impl Ctx {
    fn raw(&mut self, key: &str, value: impl serde::Serialize) {
        self.raw.insert(
            key.into(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let work = args.out.join("work");
    if work.exists() && !args.reuse {
        std::fs::remove_dir_all(&work).context("clearing the previous scratch folder")?;
    }
    std::fs::create_dir_all(&work)?;
    let default_runs = match args.size {
        Size::Full => 5,
        Size::Smoke => 2,
    };
    let runs = args.runs.unwrap_or(default_runs).max(1);
    let mut ctx = Ctx {
        size: args.size,
        runs,
        w2_runs: args.w2_runs.unwrap_or(match args.size {
            Size::Full => 3,
            Size::Smoke => runs,
        }),
        work: work.clone(),
        rows: Vec::new(),
        raw: serde_json::Map::new(),
    };

    // Floors that need no workload.
    note("floor: fsync");
    let fsync = floors::fsync(&work, 50)?;
    let fsync_p50 = percentile(&fsync, 0.5);
    note("floor: loopback round trip over iroh");
    let rtt = floors::loopback_rtt(200)?;
    let rtt_p50 = percentile(&rtt, 0.5);
    ctx.raw("fsync_ms", &fsync);
    ctx.raw("loopback_rtt_ms", &rtt);

    note("building W1 (five years) through the real operations");
    let w1_plan = w1_plan(args.size);
    let w1 = build_template(&work, "w1", &w1_plan, args.reuse)?;
    note(format!("W1: {:?}", w1.built));
    ctx.raw("w1_build", &w1.built);
    let want = |part: &str| args.only.is_empty() || args.only.iter().any(|p| p == part);
    let w2_plan = w2_plan(args.size);
    let w2 = if args.no_w2 || !["sync", "change", "open"].into_iter().any(want) {
        None
    } else {
        note("building W2 (stress) through the real operations");
        let w2 = build_template(&work, "w2", &w2_plan, args.reuse)?;
        note(format!("W2: {:?}", w2.built));
        ctx.raw("w2_build", &w2.built);
        Some(w2)
    };
    for (t, label) in [(Some(&w1), "W1"), (w2.as_ref(), "W2")] {
        let Some(t) = t else { continue };
        ctx.rows.push(Row::new(
            "0. building the history through the real operations (sign, verify, store)",
            label,
            format!(
                "{} changes in {} s ({} ms/change)",
                t.built.changes,
                num(t.built.seconds),
                num(t.built.ms_per_change)
            ),
            "1".into(),
        ));
    }

    if want("sync") {
        full_sync(&mut ctx, &w1, "W1", true)?;
        if let Some(w2) = &w2 {
            full_sync(&mut ctx, w2, "W2", false)?;
        }
    }
    if want("change") {
        one_change(&mut ctx, &w1, "W1", fsync_p50, rtt_p50)?;
        if let Some(w2) = &w2 {
            one_change(&mut ctx, w2, "W2", fsync_p50, rtt_p50)?;
        }
    }
    if want("bytes") {
        wire(&mut ctx, &w1, end_of(&w1_plan))?;
    }
    if want("open") {
        open(&mut ctx, &w1, end_of(&w1_plan), "W1")?;
        at_rest(&mut ctx, &w1, "W1")?;
        if let Some(w2) = &w2 {
            open(&mut ctx, w2, end_of(&w2_plan), "W2")?;
        }
    }
    if want("window") {
        let trellis = args.trellis.clone().unwrap_or_else(default_trellis);
        window(&mut ctx, &w1, &trellis, args.no_window)?;
    }
    if want("apart") {
        apart(&mut ctx, &w1, end_of(&w1_plan))?;
    }

    let report = Report {
        size: format!("{:?}", args.size).to_lowercase(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        machine: Machine::here(),
        rows: ctx.rows,
        raw: ctx.raw,
    };
    report.write(&args.out)?;
    println!("{}", report.markdown());
    note(format!(
        "done in {:.0} s; wrote {} and {}",
        started.elapsed().as_secs_f64(),
        args.out.join("results.md").display(),
        args.out.join("results.json").display()
    ));
    if !args.keep && !args.reuse {
        let _ = std::fs::remove_dir_all(&work);
    }
    Ok(())
}

/// The `trellis` binary built next to this one (same profile: target/release or debug).
fn default_trellis() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            // Tests run from target/<profile>/deps; binaries live one level up.
            let dir = exe.parent()?;
            let dir = if dir.ends_with("deps") {
                dir.parent()?
            } else {
                dir
            };
            Some(dir.join("trellis"))
        })
        .unwrap_or_else(|| PathBuf::from("trellis"))
}

/// Metric 1: full sync from empty, next to (a) plain automerge sync and (b) batch
/// verification of the same signatures, measured in the same run.
fn full_sync(ctx: &mut Ctx, t: &Template, label: &str, is_w1: bool) -> Result<()> {
    let history = History::read(&t.alex)?;
    let n = if is_w1 { ctx.runs } else { ctx.w2_runs };
    let floor_runs = ctx.runs;
    let a = repeat(
        floor_runs,
        &format!("{label}: plain automerge sync"),
        |_| floors::automerge_sync(&history, false),
    )?;
    let a_v1 = repeat(
        floor_runs,
        &format!("{label}: plain automerge sync, v1"),
        |_| floors::automerge_sync(&history, true),
    )?;
    let b = repeat(floor_runs, &format!("{label}: batch verification"), |_| {
        floors::batch_verify(&history)
    })?;
    let work = ctx.work.clone();
    let ours = repeat(n, &format!("{label}: full sync between two nodes"), |i| {
        sync_bench::full_sync(t, &work, i)
    })?;
    drop(history);
    let ours_ms: Vec<f64> = ours.iter().map(|s| s.ms).collect();
    let (sa, sa1, sb, so) = (
        Summary::of(&a),
        Summary::of(&a_v1),
        Summary::of(&b),
        Summary::of(&ours_ms),
    );
    let ratio = so.median / (sa.median + sb.median);
    let key = label.to_lowercase();
    ctx.raw(&format!("{key}_full_sync"), &ours);
    ctx.raw(&format!("{key}_automerge_sync_ms"), &a);
    ctx.raw(&format!("{key}_automerge_sync_v1_ms"), &a_v1);
    ctx.raw(&format!("{key}_batch_verify_ms"), &b);
    let changes = t.built.changes;
    let bytes = ours.first().map_or(0, |s| s.bytes_sent + s.bytes_received);
    let mut row = Row::new(
        "1. full sync from empty, two nodes over loopback, verified and durable",
        label,
        format!(
            "{} — {changes} changes, {} MB on the wire",
            ms(&so),
            num(bytes as f64 / 1e6)
        ),
        runs(n),
    );
    row = if is_w1 {
        row.target(
            &format!(
                "≤ 1.5 × (a + b) = {} ms",
                num(1.5 * (sa.median + sb.median))
            ),
            ratio <= 1.5,
        )
    } else {
        row.target("< 5 s", so.median < 5000.0)
    };
    ctx.rows.push(row);
    ctx.rows.push(Row::new(
        "1. (a) floor: plain automerge sync in memory, no signatures",
        label,
        ms(&sa),
        runs(floor_runs),
    ));
    ctx.rows.push(Row::new(
        "1. (a′) plain automerge sync forced to v1 messages (one chunk per change, as Trellis)",
        label,
        ms(&sa1),
        runs(floor_runs),
    ));
    ctx.rows.push(Row::new(
        "1. (b) floor: ed25519 batch verification of the same signatures",
        label,
        ms(&sb),
        runs(floor_runs),
    ));
    ctx.rows.push(Row::new(
        "1. ratio ours / (a + b)",
        label,
        format!("{}×", num(ratio)),
        runs(n),
    ));
    Ok(())
}

/// Metric 2: one new change, local commit → partner has it applied and durable.
fn one_change(ctx: &mut Ctx, t: &Template, label: &str, fsync: f64, rtt: f64) -> Result<()> {
    let count = match (ctx.size, label) {
        (Size::Smoke, _) => 10,
        (Size::Full, "W1") => 100,
        (Size::Full, _) => 40,
    };
    note(format!("{label}: one new change, {count} times"));
    let work = ctx.work.clone();
    let samples = sync_bench::one_change(t, &work, count)?;
    let steps = wire_bytes::breakdown(t, &work, t.end, count.min(40))?;
    let apply = floors::apply_one(t, &work, count.min(40))?;
    ctx.raw(&format!("{}_apply_one_ms", label.to_lowercase()), &apply);
    ctx.raw(
        &format!("{}_one_change_steps_ms", label.to_lowercase()),
        &steps,
    );
    let s = Summary::latency(&samples);
    let p99 = s.p99.unwrap_or(f64::NAN);
    ctx.raw(&format!("{}_one_change_ms", label.to_lowercase()), &samples);
    let result = format!(
        "p50 {} ms, p99 {} ms (min {}, max {})",
        num(s.median),
        num(p99),
        num(s.min),
        num(s.max)
    );
    let row = Row::new(
        "2. one new change: commit here → applied and durable on the partner's node",
        label,
        result,
        format!("{count} changes"),
    );
    // The same target on every workload: a change costs what it changed, not the history.
    ctx.rows.push(row.target(
        &format!("p50 ≤ fsync + 2 ms = {} ms", num(fsync + 2.0)),
        s.median <= fsync + 2.0,
    ));
    ctx.rows.push(Row::new(
        "2. where it goes (in-process, same code paths, medians)",
        label,
        format!(
            "commit here {} · view+status here {} · prepare to send {} · partner takes the change with the sync message after it (verify, apply, one commit, answer) {} · partner status {} + view {} · a lone sync message {} (ms)",
            num(steps.act),
            num(steps.publish_sender),
            num(steps.outgoing),
            num(steps.receive),
            num(steps.status_receiver),
            num(steps.publish_receiver - steps.status_receiver),
            num(steps.sync_receive)
        ),
        format!("{} changes", count.min(40)),
    ));
    ctx.rows.push(Row::new(
        "2. floor: automerge alone applying one received change to this document (in memory, no signature, no store)",
        label,
        format!(
            "p50 {} ms, p99 {} ms",
            num(percentile(&apply, 0.5)),
            num(percentile(&apply, 0.99))
        ),
        format!("{} changes", apply.len()),
    ));
    if label == "W1" {
        let raw_fsync = ctx.raw.get("fsync_ms").cloned().unwrap_or(Value::Null);
        let raw_rtt = ctx
            .raw
            .get("loopback_rtt_ms")
            .cloned()
            .unwrap_or(Value::Null);
        let f: Vec<f64> = serde_json::from_value(raw_fsync).unwrap_or_default();
        let r: Vec<f64> = serde_json::from_value(raw_rtt).unwrap_or_default();
        ctx.rows.push(Row::new(
            "2. floor: one fsync (512-byte write + fsync, same filesystem)",
            "—",
            format!(
                "p50 {} ms, p99 {} ms",
                num(fsync),
                num(percentile(&f, 0.99))
            ),
            format!("{} fsyncs", f.len()),
        ));
        ctx.rows.push(Row::new(
            "2. floor: one loopback round trip over an iroh connection",
            "—",
            format!("p50 {} ms, p99 {} ms", num(rtt), num(percentile(&r, 0.99))),
            format!("{} round trips", r.len()),
        ));
    }
    Ok(())
}

/// Metric 3: bytes on the wire.
fn wire(ctx: &mut Ctx, t: &Template, now: trellis_core::Moment) -> Result<()> {
    note("W1: bytes on the wire");
    let work = ctx.work.clone();
    let w = wire_bytes::measure(t, &work, now)?;
    ctx.raw("wire_bytes", &w);
    let a = &w.appreciation;
    ctx.rows.push(
        Row::new(
            "3. bytes for one small change (an appreciation), signature included: Changes + Sync frames",
            "W1",
            format!(
                "{} B (the signed change itself {} B; with the partner's reply {} B)",
                a.sender_frames, a.change_bytes, a.round_trip_total
            ),
            runs(1),
        )
        .target("≤ 450 B", a.sender_frames <= 450),
    );
    let c = &w.checkin;
    ctx.rows.push(Row::new(
        "3. bytes for one check-in (a larger change)",
        "W1",
        format!(
            "{} B (signed change {} B; with reply {} B)",
            c.sender_frames, c.change_bytes, c.round_trip_total
        ),
        runs(1),
    ));
    ctx.rows.push(
        Row::new(
            "3. bytes for a reconnect with one change missing (both directions, Hellos included)",
            "W1",
            format!(
                "{} B ({} frames; Hello {} B each)",
                w.reconnect_total, w.reconnect_exchange.frames, w.hello
            ),
            runs(1),
        )
        .target("≤ 1 KB (1024 B)", w.reconnect_total <= 1024),
    );
    Ok(())
}

/// Metric 4: opening a profile, and its size on disk.
fn open(ctx: &mut Ctx, t: &Template, now: trellis_core::Moment, label: &str) -> Result<()> {
    let times = repeat(ctx.runs, &format!("{label}: opening the profile"), |_| {
        sync_bench::open_profile(&t.alex, now)
    })?;
    let size = workloads::dir_size(&t.alex)?;
    let store = std::fs::metadata(trellis_store::ProfilePaths::new(&t.alex).document_db())?.len();
    ctx.raw(&format!("{}_open_ms", label.to_lowercase()), &times);
    ctx.raw(&format!("{}_profile_bytes", label.to_lowercase()), size);
    ctx.rows.push(Row::new(
        "4. opening the profile: store → document → ready view and status (warm page cache)",
        label,
        ms(&Summary::of(&times)),
        runs(ctx.runs),
    ));
    ctx.rows.push(Row::new(
        "4. size on disk (couple.redb; whole profile folder)",
        label,
        format!(
            "{} MB; {} MB ({} B per change)",
            num(store as f64 / 1e6),
            num(size as f64 / 1e6),
            num(store as f64 / t.built.changes as f64)
        ),
        runs(1),
    ));
    Ok(())
}

/// Metric 4b: what sealing every value at rest costs, measured in the same run as the open
/// above: unsealing everything the open reads, and sealing what one change writes.
fn at_rest(ctx: &mut Ctx, t: &Template, label: &str) -> Result<()> {
    let profile = trellis_store::Profile::open(&t.alex)?;
    let sealer = profile.vault().profile_sealer().clone();
    let values = profile.db().sealed_values()?;
    let bytes: usize = values.iter().map(|(_, v)| v.len()).sum();
    let unseal = repeat(
        ctx.runs,
        &format!("{label}: unsealing every stored value"),
        |_| {
            let started = Instant::now();
            for (place, sealed) in &values {
                sealer
                    .open(place, sealed)
                    .context("a stored value did not open")?;
            }
            Ok(started.elapsed().as_secs_f64() * 1000.0)
        },
    )?;
    // One change writes its bytes, its signature and a few meta rows: four values.
    let change = vec![0x5Au8; 400];
    let seal = repeat(
        ctx.runs,
        &format!("{label}: sealing one change's values"),
        |_| {
            let started = Instant::now();
            for _ in 0..1000 {
                sealer.seal(b"couple.redb/log/x", &change)?;
                sealer.seal(b"couple.redb/signatures/x", &[0u8; 96])?;
                sealer.seal(b"couple.redb/meta/partner_heads", &[0u8; 64])?;
                sealer.seal(b"couple.redb/meta/last", &[0u8; 16])?;
            }
            // 1000 rounds: seconds × 1000 is µs per round.
            Ok(started.elapsed().as_secs_f64() * 1000.0)
        },
    )?;
    ctx.raw(&format!("{}_unseal_all_ms", label.to_lowercase()), &unseal);
    ctx.raw(
        &format!("{}_seal_one_change_us", label.to_lowercase()),
        &seal,
    );
    let opened = ctx
        .raw
        .get(&format!("{}_open_ms", label.to_lowercase()))
        .and_then(|v| serde_json::from_value::<Vec<f64>>(v.clone()).ok())
        .map(|v| Summary::of(&v).median);
    let unseal_ms = Summary::of(&unseal).median;
    ctx.rows.push(Row::new(
        "4b. encryption at rest: unsealing all an open reads (of the open above)",
        label,
        format!(
            "{} ms for {} values, {} MB{}",
            num(unseal_ms),
            values.len(),
            num(bytes as f64 / 1e6),
            opened
                .map(|o| format!(
                    "; the open without it ≈ {} ms (+{} %)",
                    num(o - unseal_ms),
                    num(100.0 * unseal_ms / (o - unseal_ms).max(1e-9))
                ))
                .unwrap_or_default()
        ),
        runs(ctx.runs),
    ));
    ctx.rows.push(Row::new(
        "4b. encryption at rest: sealing one change's values (change, signature, 2 meta)",
        label,
        format!("{} µs", num(Summary::of(&seal).median)),
        runs(ctx.runs),
    ));
    Ok(())
}

/// Metric 5: the real window under Xvfb.
fn window(ctx: &mut Ctx, t: &Template, trellis: &Path, skip: bool) -> Result<()> {
    let why = if skip {
        Some("skipped (--no-window)".to_string())
    } else {
        window_bench::unavailable(trellis)
    };
    let rows = [
        "5. window: cold start to first frame (process spawn → first frame drawn)",
        "5. window: cold start to the practice on screen (profile opened, view ready)",
        "5. window: frame time with the signed history open, scrolling (egui pass, CPU)",
        "5. window: peak resident memory (VmHWM)",
    ];
    if let Some(why) = why {
        note(format!("window: {why}"));
        for r in rows {
            ctx.rows
                .push(Row::new(r, "W1", String::new(), "0".into()).skipped(&why));
        }
        return Ok(());
    }
    let frames = match ctx.size {
        Size::Full => 200,
        Size::Smoke => 10,
    };
    note(format!("W1: the window, {} runs", ctx.runs));
    let work = ctx.work.clone();
    let measured = window_bench::measure(trellis, &t.alex, &work, ctx.runs, frames, "history")?;
    ctx.raw("window_runs", &measured);
    let first: Vec<f64> = measured.iter().filter_map(|r| r.first_frame_ms).collect();
    let ready: Vec<f64> = measured.iter().filter_map(|r| r.ready_ms).collect();
    let frame: Vec<f64> = measured.iter().flat_map(|r| r.frame_ms.clone()).collect();
    let interval: Vec<f64> = measured
        .iter()
        .flat_map(|r| r.interval_ms.clone())
        .collect();
    let rss: Vec<f64> = measured
        .iter()
        .filter_map(|r| r.peak_rss_kb.map(|k| k as f64 / 1024.0))
        .collect();
    let anon: Vec<f64> = measured
        .iter()
        .filter_map(|r| r.rss_anon_kb.map(|k| k as f64 / 1024.0))
        .collect();
    let file: Vec<f64> = measured
        .iter()
        .filter_map(|r| r.rss_file_kb.map(|k| k as f64 / 1024.0))
        .collect();
    let (sf, sr, sframe, srss) = (
        Summary::of(&first),
        Summary::of(&ready),
        Summary::latency(&frame),
        Summary::of(&rss),
    );
    let p99 = sframe.p99.unwrap_or(f64::NAN);
    let n = runs(measured.len());
    ctx.rows
        .push(Row::new(rows[0], "W1", ms(&sf), n.clone()).target("< 300 ms", sf.median < 300.0));
    ctx.rows
        .push(Row::new(rows[1], "W1", ms(&sr), n.clone()).target("< 300 ms", sr.median < 300.0));
    ctx.rows.push(
        Row::new(
            rows[2],
            "W1",
            format!(
                "p50 {} ms, p99 {} ms (frame-to-frame with software GL rendering: p50 {} ms)",
                num(sframe.median),
                num(p99),
                num(percentile(&interval, 0.5))
            ),
            format!("{} frames", frame.len()),
        )
        .target("p99 < 4 ms", p99 < 4.0),
    );
    ctx.rows.push(
        Row::new(
            rows[3],
            "W1",
            format!(
                "{} MB ({} – {}); at the end {} MB anonymous + {} MB mapped files (libraries; software GL's LLVM)",
                num(srss.median),
                num(srss.min),
                num(srss.max),
                num(percentile(&anon, 0.5)),
                num(percentile(&file, 0.5))
            ),
            n,
        )
        .target("< 100 MB", srss.max < 100.0),
    );
    Ok(())
}

/// Metric 6: W3, a month apart, then the nodes meet live; and the same month carried
/// through the couple's mailbox by devices that are never running at the same moment.
fn apart(ctx: &mut Ctx, t: &Template, start: trellis_core::Moment) -> Result<()> {
    let per_partner = match ctx.size {
        Size::Full => [110, 70],
        Size::Smoke => [12, 8],
    };
    let work = ctx.work.clone();
    let done = repeat(ctx.runs, "W3: a month apart, then reconnect", |i| {
        sync_bench::month_apart_then_meet(t, &work, i, start, per_partner)
    })?;
    let mail = repeat(
        ctx.runs,
        "W3: a month apart, then through the mailbox",
        |i| mailbox_bench::month_apart_via_mailbox(t, &work, i, start, per_partner),
    )?;
    ctx.raw("w3_reunions", &done);
    ctx.raw("w3_mailbox_reunions", &mail);
    let times: Vec<f64> = done.iter().map(|r| r.ms).collect();
    let bytes: Vec<f64> = done.iter().map(|r| r.bytes as f64).collect();
    let written = done.first().map_or([0, 0], |r| r.written);
    let workload = format!("W1 + {} / {} changes apart", written[0], written[1]);
    let per_change = |b: f64| num(b / (written[0] + written[1]).max(1) as f64);
    let kb = |s: &Summary| {
        format!(
            "{} KB ({} – {})",
            num(s.median / 1024.0),
            num(s.min / 1024.0),
            num(s.max / 1024.0)
        )
    };
    let mail_times: Vec<f64> = mail.iter().map(|r| r.ms).collect();
    let mail_starts: Vec<f64> = mail.iter().map(|r| r.starts_ms.iter().sum()).collect();
    let mail_wall: Vec<f64> = mail.iter().map(|r| r.wall_ms).collect();
    let mail_bytes: Vec<f64> = mail.iter().map(|r| r.bytes as f64).collect();
    let envelopes = mail.first().map_or([0, 0], |r| r.envelope_bytes);
    let bundles = mail.first().map_or([0, 0], |r| r.bundle_bytes);
    let visit = |v: usize| {
        let each: Vec<f64> = mail.iter().map(|r| r.visits_ms[v].iter().sum()).collect();
        Summary::of(&each).median
    };
    let rounds = mail
        .first()
        .map_or(0, |r| r.visits_ms.iter().map(Vec::len).sum());
    ctx.rows.push(Row::new(
        "6. W3 apart for a month: time to converge after reconnecting",
        &workload,
        ms(&Summary::of(&times)),
        runs(done.len()),
    ));
    ctx.rows.push(Row::new(
        "6. W3 through the mailbox, never online together: time to converge (Alex leaves; Sam picks up and leaves; Alex picks up)",
        &workload,
        format!(
            "{} — {rounds} rounds: Alex leaves {} · Sam picks up and leaves {} · Alex picks up {} (ms, medians); node start-ups not included ({} ms for the three), whole sequence {} ms",
            ms(&Summary::of(&mail_times)),
            num(visit(0)),
            num(visit(1)),
            num(visit(2)),
            num(Summary::of(&mail_starts).median),
            num(Summary::of(&mail_wall).median)
        ),
        runs(mail.len()),
    ));
    let sb = Summary::of(&bytes);
    ctx.rows.push(Row::new(
        "6. W3: bytes to converge (both directions)",
        &workload,
        format!("{}; {} B per change", kb(&sb), per_change(sb.median)),
        runs(done.len()),
    ));
    let smb = Summary::of(&mail_bytes);
    ctx.rows.push(Row::new(
        "6. W3 through the mailbox: envelope bytes deposited + picked up",
        &workload,
        format!(
            "{}; {} B per change (each sealed envelope carried up and down: Alex's {} KB, Sam's {} KB, padded to a size bucket from bundles of {} KB and {} KB)",
            kb(&smb),
            per_change(smb.median),
            num(envelopes[0] as f64 / 1024.0),
            num(envelopes[1] as f64 / 1024.0),
            num(bundles[0] as f64 / 1024.0),
            num(bundles[1] as f64 / 1024.0)
        ),
        runs(mail.len()),
    ));
    Ok(())
}
