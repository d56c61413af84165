//! Reaching the partner's device: invite, join, serve, sync, and the network setting.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use serde::Serialize;
use trellis_core::words::count;
use trellis_net::{
    Command, Event, NetError, NetworkMode, NodeHandle, NodeOptions, Outcome, Snapshot,
};

use crate::context::{Context, now};
use crate::render::clock;

/// The partner could not be reached (exit status 3).
#[derive(Debug)]
pub struct Unreachable(pub String);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unreachable {}

pub(super) fn start(ctx: &Context, auto_connect: bool) -> Result<NodeHandle> {
    let mut options = NodeOptions::new(&ctx.profile_dir);
    options.vault = Some(ctx.vault()?);
    options.mode = ctx.network.clone();
    options.auto_connect = auto_connect;
    let node = trellis_net::start(options)?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let snap = node.snapshot();
        if snap.network.listening {
            return Ok(node);
        }
        if let Some(problem) = &snap.network.problem {
            bail!("{problem}");
        }
        if Instant::now() > deadline {
            bail!("the network did not start in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(super) fn partner_name(snap: &Snapshot) -> String {
    snap.view
        .as_ref()
        .map(|v| v.partner.name.clone())
        .unwrap_or_else(|| "your partner".into())
}

pub(super) fn print_json<T: Serialize>(value: &T) {
    if let Ok(text) = serde_json::to_string(value) {
        println!("{text}");
    }
}

/// A QR code of `text` drawn with half blocks, for a terminal.
pub(super) fn qr(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build(),
    )
}

pub fn invite(ctx: &Context) -> Result<()> {
    let node = start(ctx, false)?;
    let (code, expires_at) = match node.outcome(Command::Invite, Duration::from_secs(30))? {
        Outcome::InviteOpened { code, expires_at } => (code, expires_at),
        other => bail!("no invite could be made ({other})"),
    };
    // Once paired, an invite is for the same partner on a new computer (a lost laptop).
    let paired = node
        .snapshot()
        .view
        .is_some()
        .then(|| partner_name(&node.snapshot()));
    if ctx.json {
        print_json(&serde_json::json!({ "invite": code, "expires_at": expires_at }));
    } else {
        match &paired {
            None => println!(
                "Your invite (one use, valid until {}):\n\n{code}\n",
                clock(expires_at)
            ),
            Some(partner) => println!(
                "You already share a space with {partner}. This invite lets {partner} come back on \
                 a new computer, with their recovery phrase (one use, valid until {}):\n\n{code}\n",
                clock(expires_at)
            ),
        }
        if let Some(q) = qr(&code) {
            println!("{q}");
        }
        match &paired {
            None => {
                println!("On your partner's device: trellis join {code}\nWaiting for your partner…")
            }
            Some(partner) => println!(
                "On {partner}'s new computer: trellis recover {code}\nWaiting for {partner}…"
            ),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(11 * 60);
    while Instant::now() < deadline {
        match node.wait_event(Duration::from_millis(500)) {
            Some(Event::Paired {
                partner,
                safety_number,
            }) => {
                if ctx.json {
                    print_json(
                        &serde_json::json!({ "paired": partner, "safety_number": safety_number }),
                    );
                } else if paired.is_some() {
                    println!(
                        "\n{partner} is back, on a new computer; their old one can no longer \
                         sync with you.\nSafety number: {safety_number} (the same as before)."
                    );
                } else {
                    println!(
                        "\nPaired with {partner}.\nSafety number: {safety_number}\n\
                         Read these digits together; if {partner}'s screen shows the same, run `trellis pair confirm`."
                    );
                }
                node.shutdown();
                return Ok(());
            }
            Some(Event::InviteClosed { reason }) if reason != trellis_net::InviteEnd::Used => {
                node.shutdown();
                bail!("the invite closed: {reason}");
            }
            _ => {}
        }
    }
    node.shutdown();
    bail!("the invite expired before your partner joined; run `trellis invite` again")
}

pub fn join(ctx: &Context, code: &str) -> Result<()> {
    let message = join_quietly(ctx, code)?;
    let profile = ctx.read()?;
    let number = profile.safety_number().unwrap_or_default();
    if ctx.json {
        print_json(&serde_json::json!({ "paired": true, "safety_number": number }));
    } else {
        println!("{message}.\nIf both screens show the same digits, run `trellis pair confirm`.");
    }
    Ok(())
}

/// Joins with an invite code; the node's own sentence on success.
pub(super) fn join_quietly(ctx: &Context, code: &str) -> Result<String> {
    let node = start(ctx, false)?;
    let outcome = node.outcome(Command::Join(code.to_string()), Duration::from_secs(120));
    node.shutdown();
    match outcome {
        Ok(outcome) => Ok(outcome.to_string()),
        Err(e) if matches!(e.error(), NetError::Timeout) => {
            bail!("joining took too long; check both devices are on the same network")
        }
        Err(e) => Err(e.into()),
    }
}

pub fn serve(ctx: &Context) -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| anyhow!("cannot catch Ctrl-C: {e}"))?;
    let node = start(ctx, true)?;
    let snap = node.snapshot();
    let partner = partner_name(&snap);
    if snap.view.is_none() {
        node.shutdown();
        bail!(
            "this profile is not part of a couple yet: `trellis invite` or `trellis join CODE` first"
        );
    }
    println!(
        "Serving {}'s copy on {}. Keeping it in sync with {partner} whenever their device is reachable. Ctrl-C stops.",
        snap.name, snap.network.mode
    );
    let mut last_problem: Option<String> = None;
    // The reminders chosen in the window's Settings, checked once a minute (shown as
    // desktop notifications; nothing is printed about them).
    let vault = ctx.vault()?;
    let mut reminded: Option<std::time::Instant> = None;
    while !stop.load(Ordering::SeqCst) {
        if reminded.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
            reminded = Some(std::time::Instant::now());
            if let Some(view) = node.snapshot().view.as_ref() {
                trellis_ui::remind_from_serve(&ctx.profile_dir, &vault, view, now());
            }
        }
        if let Some(event) = node.wait_event(Duration::from_millis(200)) {
            let stamp = clock(now().at_ms);
            let line = match &event {
                Event::Connected { partner } => {
                    Some(format!("{stamp}  connected to {partner}'s device"))
                }
                Event::Disconnected { partner, reason } => Some(format!(
                    "{stamp}  {partner}'s device disconnected ({reason})"
                )),
                Event::Synced(r) => Some(format!(
                    "{stamp}  synced: sent {}, received {} ({} verified, {} refused)",
                    r.sent_changes, r.received_changes, r.verified, r.rejected
                )),
                Event::Problem { message } => Some(format!("{stamp}  {message}")),
                _ => None,
            };
            if ctx.json {
                print_json(&event);
            } else if let Some(line) = line {
                println!("{line}");
            }
        }
        let problem = node.snapshot().network.problem.clone();
        if problem != last_problem {
            if let Some(p) = &problem
                && !ctx.json
            {
                println!("{}  {p}", clock(now().at_ms));
            }
            last_problem = problem;
        }
    }
    node.shutdown();
    println!("Stopped. Everything is saved.");
    Ok(())
}

#[derive(Serialize)]
struct SyncSummary {
    partner: String,
    sent: usize,
    received: usize,
    verified: usize,
    rejected: usize,
    bytes_sent: usize,
    bytes_received: usize,
    in_sync: bool,
}

pub fn sync(ctx: &Context) -> Result<()> {
    let node = start(ctx, false)?;
    let partner = partner_name(&node.snapshot());
    let id = node.send(Command::SyncOnce);
    let outcome = node.wait_for(id, Duration::from_secs(900), |_| {});
    node.shutdown();
    match outcome {
        Some(Event::SyncFinished { report, .. }) => {
            let summary = SyncSummary {
                partner: partner.clone(),
                sent: report.sent_changes,
                received: report.received_changes,
                verified: report.verified,
                rejected: report.rejected,
                bytes_sent: report.bytes_sent,
                bytes_received: report.bytes_received,
                in_sync: report.in_sync,
            };
            ctx.emit(&summary, || {
                format!(
                    "Synced with {partner}'s device: sent {}, received {} ({} verified, {} refused).\n{}",
                    count(summary.sent, "change", "changes"),
                    summary.received,
                    summary.verified,
                    summary.rejected,
                    if summary.in_sync {
                        "Both copies now hold the same changes."
                    } else {
                        "Some changes are still on their way; run it again to finish."
                    }
                )
            })
        }
        // This device is turned away for good: no promise that the changes will go.
        Some(Event::Failed { error, .. }) if matches!(error.error(), NetError::Refused { .. }) => {
            Err(Unreachable(format!("{error}.")).into())
        }
        Some(Event::Failed { error, .. }) => Err(Unreachable(format!(
            "{error}. Your changes are safe here and will go when your devices next meet."
        ))
        .into()),
        _ => Err(Unreachable(format!(
            "{partner}'s device did not answer in time. Your changes are safe here."
        ))
        .into()),
    }
}

pub fn mode(ctx: &Context, mode: Option<&str>) -> Result<()> {
    match mode {
        None => {
            let profile = ctx.read()?;
            let mode = trellis_net::saved_mode(&profile)?;
            ctx.emit(&mode, || format!("Network: {}", mode.label()))
        }
        Some(text) => {
            let mode = NetworkMode::parse(text).ok_or_else(|| {
                anyhow!(
                    "“{text}” is not a network mode; use lan, internet, loopback or a relay URL"
                )
            })?;
            let profile = ctx.open()?;
            trellis_net::save_mode(&profile, &mode)?;
            ctx.emit(&mode, || {
                format!(
                    "Network set to {}. It takes effect the next time Trellis starts.",
                    mode.label()
                )
            })
        }
    }
}
