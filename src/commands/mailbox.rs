//! The couple's mailbox: running one, and using it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use trellis_core::words::count;
use trellis_mailbox::{Mailbox, MailboxOptions};
use trellis_net::{Command, Event, MailboxState, NetError, NetworkMode};

use super::network::{partner_name, print_json, qr, start};
use crate::cli::MailboxCommand;
use crate::context::Context;

/// How long a printed code stays usable.
const CODE_VALID: Duration = Duration::from_secs(24 * 60 * 60);

pub fn run(ctx: &Context, command: MailboxCommand) -> Result<()> {
    match command {
        MailboxCommand::Serve {
            dir,
            port,
            quota_mib,
            expiry_days,
            new_code,
        } => serve(
            ctx,
            dir,
            port.unwrap_or(0),
            quota_mib,
            expiry_days,
            new_code,
        ),
        MailboxCommand::Add { code } => {
            let message = ask(ctx, Command::AddMailbox(code.trim().to_string()))?;
            println!("{message}");
            Ok(())
        }
        MailboxCommand::Remove => {
            let message = ask(ctx, Command::RemoveMailbox)?;
            println!("{message}");
            Ok(())
        }
        MailboxCommand::Status => status(ctx),
    }
}

/// Sends one command to a node started for it and returns the outcome's message.
fn ask(ctx: &Context, command: Command) -> Result<String> {
    let node = start(ctx, false)?;
    let outcome = node.outcome(command, Duration::from_secs(60));
    node.shutdown();
    match outcome {
        Ok(outcome) => Ok(outcome.to_string()),
        Err(e) if matches!(e.error(), NetError::Timeout) => {
            bail!("the mailbox did not answer in time; try again later")
        }
        Err(e) => Err(e.into()),
    }
}

fn status(ctx: &Context) -> Result<()> {
    let node = start(ctx, false)?;
    let partner = partner_name(&node.snapshot());
    let id = node.send(Command::MailboxRound);
    let outcome = node.wait_for(id, Duration::from_secs(120), |_| {});
    node.shutdown();
    let state = match outcome {
        Some(Event::MailboxVisited { state, .. }) => state,
        Some(Event::Failed { error, .. }) => bail!("{error}"),
        _ => bail!("the mailbox did not answer in time; try again later"),
    };
    if ctx.json {
        print_json(&state);
        return Ok(());
    }
    match state {
        None => println!(
            "This couple has no mailbox. Run one with `trellis mailbox serve` on an always-on machine, then `trellis mailbox add CODE`."
        ),
        Some(state) => println!("{}", describe(&state, &partner)),
    }
    Ok(())
}

/// What waits at the mailbox, about data only.
fn describe(state: &MailboxState, partner: &str) -> String {
    let mut lines = vec![format!("Mailbox {}:", state.mailbox)];
    if state.picked_up > 0 {
        lines.push(format!(
            "  picked up {} for you, verified and applied",
            count(state.picked_up, "envelope", "envelopes")
        ));
    }
    lines.push(match state.deposits.changes_waiting {
        0 => format!("  nothing of yours waits there for {partner}"),
        n => format!(
            "  {} waiting there for {partner}",
            count(n, "change", "changes")
        ),
    });
    if state.waiting_for_me > 0 {
        lines.push(format!(
            "  {} more for you (the next visit picks them up)",
            count(state.waiting_for_me, "envelope", "envelopes")
        ));
    }
    if state.deposits.expired > 0 {
        lines.push(format!(
            "  {} expired before {partner} picked them up; what they held is left there again",
            count(state.deposits.expired, "envelope", "envelopes")
        ));
    }
    if state.quota_bytes > 0 {
        lines.push(format!(
            "  using {} of the {} this couple may keep there",
            mib(state.used_bytes),
            mib(state.quota_bytes)
        ));
    }
    if let Some(problem) = &state.problem {
        lines.push(format!("  the visit did not finish: {problem}"));
    }
    lines.join("\n")
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Sets (or clears) the carrier folder and visits it now.
pub fn carrier(ctx: &Context, folder: Option<PathBuf>, off: bool) -> Result<()> {
    let mut profile = ctx.open()?;
    if off {
        profile.set_carrier_folder(None)?;
        println!("No carrier folder from now on.");
        return Ok(());
    }
    if let Some(folder) = &folder {
        profile.set_carrier_folder(Some(folder))?;
    }
    let folder = profile.carrier_folder()?.ok_or_else(|| {
        anyhow!("no carrier folder is set: `trellis carrier FOLDER` (a USB stick, a synced folder)")
    })?;
    let partner = profile
        .view(crate::context::now())
        .map(|v| v.partner.name.clone())
        .unwrap_or_else(|| "your partner".into());
    let report = profile.visit_carrier_folder(&folder, crate::context::now())?;
    if ctx.json {
        print_json(&report);
        return Ok(());
    }
    if !folder.is_dir() {
        println!(
            "{} is not there right now (a stick not plugged in?); nothing was read or written.",
            folder.display()
        );
        return Ok(());
    }
    if let Some(taken) = &report.picked_up {
        println!(
            "Took in {} from {partner}'s file, every signature verified; the file was removed.",
            count(taken.new_changes, "new change", "new changes")
        );
    }
    if let Some(problem) = &report.problem {
        println!("{problem}");
    }
    println!(
        "{}",
        match report.written {
            0 => format!("Nothing new for {partner}."),
            n => format!(
                "Wrote {} for {partner} to {}, sealed so only their device can open it.",
                count(n, "change", "changes"),
                folder.display()
            ),
        }
    );
    Ok(())
}

fn default_dir() -> Result<PathBuf> {
    let profile = trellis_store::default_profile_dir()
        .ok_or_else(|| anyhow!("no home directory here: pass --dir"))?;
    Ok(profile.with_file_name("trellis-mailbox"))
}

fn serve(
    ctx: &Context,
    dir: Option<PathBuf>,
    port: u16,
    quota_mib: u64,
    expiry_days: u64,
    new_code: bool,
) -> Result<()> {
    let dir = match dir {
        Some(d) => d,
        None => default_dir()?,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| anyhow!("cannot catch Ctrl-C: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("could not start the mailbox's runtime")?;
    let options = MailboxOptions {
        dir: dir.clone(),
        port,
        loopback: matches!(ctx.network, Some(NetworkMode::Loopback)),
        quota_bytes: quota_mib.saturating_mul(1024 * 1024),
        expiry: Duration::from_secs(expiry_days.saturating_mul(24 * 60 * 60)),
        sweep_every: Duration::from_secs(10 * 60),
    };
    runtime.block_on(async move {
        let mailbox = Mailbox::start(options)
            .await
            .with_context(|| format!("could not start the mailbox in {}", dir.display()))?;
        let couples = mailbox.couples();
        if ctx.json {
            print_json(&serde_json::json!({
                "mailbox": mailbox.addr().id.to_string(),
                "couples": couples,
            }));
        } else {
            println!(
                "Mailbox {} running from {}; it keeps sealed envelopes for {}. Ctrl-C stops.",
                mailbox.addr().id.fmt_short(),
                dir.display(),
                count(couples, "couple", "couples"),
            );
        }
        if couples == 0 || new_code {
            let code = mailbox.new_code(CODE_VALID)?.encode();
            if ctx.json {
                print_json(&serde_json::json!({ "code": code }));
            } else {
                println!(
                    "\nOne-time code (valid 24 hours) — on either partner's device:\n\n  trellis mailbox add {code}\n"
                );
                if let Some(q) = qr(&code) {
                    println!("{q}");
                }
            }
        }
        while !stop.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        mailbox.shutdown().await;
        Ok(())
    })
}
