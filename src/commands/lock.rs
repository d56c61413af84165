//! How the profile is kept on this computer: its lock, a backup, and a restore.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use trellis_store::{LockChoice, LockKind, ProfilePaths, StoreError, Vault};
use zeroize::Zeroizing;

use crate::cli::LockCommand;
use crate::context::Context;
use crate::passphrase;

#[derive(Serialize)]
struct Kept {
    kept: LockKind,
    description: &'static str,
}

pub fn run(ctx: &Context, command: LockCommand) -> Result<()> {
    let paths = ProfilePaths::new(&ctx.profile_dir);
    match command {
        LockCommand::Status => {
            let kept = match Vault::lock_kind(&paths)? {
                Some(kind) => kind,
                // A profile from before sealing: opening it seals it.
                None => ctx.vault()?.kind(),
            };
            say_kept(ctx, kept)
        }
        LockCommand::Set {
            new_passphrase_file,
        } => {
            let vault = ctx.vault()?;
            let words = match new_passphrase_file {
                Some(file) => passphrase::from_file(&file)?,
                None => passphrase::ask_new(false)?.context(
                    "no terminal to ask for the new passphrase on; give it with \
                     --new-passphrase-file FILE",
                )?,
            };
            let vault = vault.relocked(&paths, &LockChoice::Passphrase(words))?;
            say_kept(ctx, vault.kind())
        }
        LockCommand::Keychain => {
            let vault = ctx.vault()?;
            if vault.kind() == LockKind::Keychain {
                return say_kept(ctx, LockKind::Keychain);
            }
            let vault = vault.relocked(&paths, &LockChoice::Keychain)?;
            say_kept(ctx, vault.kind())
        }
        LockCommand::Remove => {
            let vault = ctx.vault()?;
            if vault.kind() == LockKind::NoLock {
                return say_kept(ctx, LockKind::NoLock);
            }
            let vault = vault.relocked(&paths, &LockChoice::NoLock)?;
            say_kept(ctx, vault.kind())
        }
    }
}

fn say_kept(ctx: &Context, kept: LockKind) -> Result<()> {
    let out = Kept {
        kept,
        description: kept.describe(),
    };
    ctx.emit(&out, || {
        let first = out.description.get(..1).unwrap_or_default().to_uppercase();
        format!("{first}{}.", out.description.get(1..).unwrap_or_default())
    })
}

/// The backup passphrase: from its file, or typed twice at the terminal (`confirm`).
fn backup_passphrase(file: Option<&Path>, confirm: bool) -> Result<Zeroizing<String>> {
    if let Some(file) = file {
        return passphrase::from_file(file);
    }
    if confirm {
        println!(
            "Choose a passphrase for this backup. Anyone with the file and the passphrase can \
             read everything in it, your journal too; without the passphrase no one can, not \
             even you."
        );
        return passphrase::ask_new(false)?
            .context("no terminal to ask on; give it with --backup-passphrase-file FILE");
    }
    passphrase::ask("Passphrase of this backup: ")?
        .context("no terminal to ask on; give it with --backup-passphrase-file FILE")
}

#[derive(Serialize)]
struct BackedUp {
    file: String,
    bytes: usize,
}

pub fn backup(ctx: &Context, file: &Path, passphrase_file: Option<&Path>) -> Result<()> {
    let profile = match ctx.open() {
        Err(e) if matches!(e.downcast_ref(), Some(StoreError::Busy(_))) => bail!(
            "Trellis is running on this profile; close the window or stop `trellis serve`, \
             then back up (so nothing changes while it is copied)"
        ),
        other => other?,
    };
    let words = backup_passphrase(passphrase_file, true)?;
    let bytes = trellis_store::backup::backup(&profile, &words)?;
    trellis_store::atomic::write_private(file, &bytes)
        .with_context(|| format!("could not write the backup to {}", file.display()))?;
    let out = BackedUp {
        file: file.display().to_string(),
        bytes: bytes.len(),
    };
    ctx.emit(&out, || {
        format!(
            "Backed up the whole profile (keys, shared document, journal) to {}, sealed with \
             the backup passphrase. `trellis restore {}` brings it back on another computer.",
            out.file, out.file
        )
    })
}

#[derive(Serialize)]
struct Restored {
    profile: String,
    files: usize,
    kept: LockKind,
}

pub fn restore(ctx: &Context, file: &Path, passphrase_file: Option<&Path>) -> Result<()> {
    let bytes = trellis_store::read_bundle_file(file)?;
    let words = backup_passphrase(passphrase_file, false)?;
    let written = trellis_store::backup::restore(&ctx.profile_dir, &bytes, file, &words)?;
    // Opened once, to be sure what came back opens (asking for the profile's passphrase
    // when it has one).
    let profile = ctx.open()?;
    let out = Restored {
        profile: ctx.profile_dir.display().to_string(),
        files: written.len(),
        kept: profile.vault().kind(),
    };
    ctx.emit(&out, || {
        let mut text = format!(
            "Restored the profile of {} into {}. Start Trellis (or `trellis serve`) and it syncs \
             with your partner's device again: it is the same profile, so nothing needs pairing.",
            profile.name(),
            out.profile
        );
        if out.kept == LockKind::NoLock {
            text.push_str(
                "\nIt has no lock on this computer yet: `trellis lock set` (a passphrase) or \
                 `trellis lock keychain`.",
            );
        }
        text
    })
}
