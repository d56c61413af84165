//! One module per group of commands; `run` dispatches.

mod agreements;
mod history;
mod journal;
mod lock;
mod mailbox;
mod network;
mod practice;
mod recover;
mod setup;
mod window;

use anyhow::Result;
use serde::Serialize;
use trellis_core::Action;
use trellis_store::Profile;

use crate::cli::{Cli, Command};
use crate::context::{Context, now};
pub use network::Unreachable;

pub fn run(cli: Cli) -> Result<()> {
    let ctx = Context::new(cli.profile, cli.json, cli.network, cli.passphrase_file)?;
    let Some(command) = cli.command else {
        return window::open(&ctx);
    };
    match command {
        Command::Init {
            name,
            no_lock,
            keychain,
        } => setup::init(&ctx, &name, no_lock, keychain),
        Command::Recover {
            code,
            phrase_file,
            no_lock,
            keychain,
        } => recover::recover(&ctx, &code, phrase_file.as_deref(), no_lock, keychain),
        Command::RecoveryPhrase => recover::show_phrase(&ctx),
        Command::Lock(c) => lock::run(&ctx, c),
        Command::Backup {
            file,
            backup_passphrase_file,
        } => lock::backup(&ctx, &file, backup_passphrase_file.as_deref()),
        Command::Restore {
            file,
            backup_passphrase_file,
        } => lock::restore(&ctx, &file, backup_passphrase_file.as_deref()),
        Command::Card(c) => setup::card(&ctx, c),
        Command::Couple(c) => setup::couple(&ctx, c),
        Command::Bundle(c) => setup::bundle(&ctx, c),
        Command::SafetyNumber { confirm } => setup::safety_number(&ctx, confirm),
        Command::Status => setup::status(&ctx),
        Command::Invite => network::invite(&ctx),
        Command::Join { code } => network::join(&ctx, &code),
        Command::Pair(crate::cli::PairCommand::Confirm) => setup::safety_number(&ctx, true),
        Command::Serve => network::serve(&ctx),
        Command::Sync => network::sync(&ctx),
        Command::Mailbox(c) => mailbox::run(&ctx, c),
        Command::Carrier { folder, off } => mailbox::carrier(&ctx, folder, off),
        Command::Network { mode } => network::mode(&ctx, mode.as_deref()),
        Command::Unpair { note, wipe, yes } => setup::unpair(&ctx, note, wipe, yes),
        Command::Agreement(c) => agreements::run(&ctx, c),
        Command::CheckIn(c) => practice::checkin(&ctx, c),
        Command::Repair(c) => practice::repair(&ctx, c),
        Command::Commitment(c) => practice::commitment(&ctx, c),
        Command::Appreciate { text } => act(&ctx, &mut ctx.open()?, Action::Appreciate { text }),
        Command::Thank { appreciation, text } => act(
            &ctx,
            &mut ctx.open()?,
            Action::ThankForAppreciation { appreciation, text },
        ),
        Command::Timeout { minutes, note, end } => practice::timeout(&ctx, minutes, note, end),
        Command::Journal(c) => journal::run(&ctx, c),
        Command::Show => history::show(&ctx),
        Command::Demo => window::demo(),
        Command::Log { limit } => history::log(&ctx, limit),
        Command::Verify => history::verify(&ctx),
        Command::Export {
            markdown,
            since,
            until,
            sections,
        } => history::export(&ctx, &markdown, since, until, &sections),
    }
}

#[derive(Serialize)]
struct Acted {
    id: String,
    change: String,
    message: String,
}

/// Performs one action and reports it once it is safely stored.
pub(crate) fn act(ctx: &Context, profile: &mut Profile, action: Action) -> Result<()> {
    let committed = profile.act(&action, now())?;
    let out = Acted {
        id: committed.record.clone(),
        change: committed.hash.to_string(),
        message: committed.message.clone(),
    };
    ctx.emit(&out, || {
        let mut msg = committed.message.clone();
        if let Some(first) = msg.get(..1) {
            msg = first.to_uppercase() + &msg[1..];
        }
        format!(
            "{msg}. (id {}; saved and signed)",
            trellis_core::id::short(&committed.record)
        )
    })
}
