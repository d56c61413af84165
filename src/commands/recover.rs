//! A lost laptop with no backup: the recovery phrase, and coming back on a new computer.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use trellis_core::recovery::{PHRASE_WORDS, identity_from_phrase};
use trellis_store::{Profile, ProfilePaths};
use zeroize::Zeroizing;

use crate::context::Context;

#[derive(Serialize)]
struct Phrase {
    recovery_phrase: String,
}

pub fn show_phrase(ctx: &Context) -> Result<()> {
    let profile = ctx.read()?;
    let phrase = profile.recovery_phrase();
    ctx.emit(
        &Phrase {
            recovery_phrase: phrase.to_string(),
        },
        || crate::render::phrase_text(&phrase),
    )
}

/// The words from `--phrase-file`, or typed at the terminal.
fn read_phrase(file: Option<&Path>) -> Result<Zeroizing<String>> {
    if let Some(path) = file {
        return Ok(Zeroizing::new(std::fs::read_to_string(path).with_context(
            || format!("could not read the recovery phrase file {}", path.display()),
        )?));
    }
    if !std::io::stdin().is_terminal() {
        bail!("give your recovery phrase with --phrase-file FILE (there is no terminal to ask at)");
    }
    eprintln!("Type your {PHRASE_WORDS} recovery words, with spaces between them, then Enter:");
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("could not read the recovery phrase")?;
    Ok(line)
}

#[derive(Serialize)]
struct Recovered {
    name: String,
    partner: String,
    changes: usize,
    safety_number: String,
}

pub fn recover(
    ctx: &Context,
    code: &str,
    phrase_file: Option<&Path>,
    no_lock: bool,
    keychain: bool,
) -> Result<()> {
    let phrase = read_phrase(phrase_file)?;
    // The words are checked before anything is asked or written.
    let identity = identity_from_phrase(&phrase)?;
    let paths = ProfilePaths::new(&ctx.profile_dir);
    if paths.identity_key().exists() {
        // Only an interrupted recovery of this same identity may go on here.
        let existing = ctx.read()?;
        if existing.key() != identity.public() || existing.couple().is_some() {
            bail!(
                "a Trellis profile already exists at {}; recover into an empty folder \
                 (--profile DIR), or move that profile aside first",
                ctx.profile_dir.display()
            );
        }
    } else {
        let lock = super::setup::lock_choice(ctx, no_lock, keychain)?;
        let profile = Profile::recover(&ctx.profile_dir, &phrase, &lock)?;
        ctx.remember_vault(profile.vault().clone());
    }
    super::network::join_quietly(ctx, code)?;
    let mut profile = ctx.read()?;
    let status = profile.status()?;
    let couple = status
        .couple
        .as_ref()
        .context("the partner's device sent no shared space")?;
    let out = Recovered {
        name: status.name.clone(),
        partner: couple.partner_name.clone(),
        changes: couple.changes,
        safety_number: couple.safety_number.clone(),
    };
    let retired = profile
        .couple()
        .is_some_and(|c| !c.retired_devices(&c.me()).is_empty());
    ctx.emit(&out, || {
        format!(
            "Welcome back, {name}. Your identity is on this computer again, and {partner}'s \
             device sent your whole shared space ({changes} changes).\n\
             This computer is the one you sync from now{old}.\n\
             Safety number: {number}. It is the same as before; compare it with {partner} if \
             you like (`trellis pair confirm`).\n\
             Your private journal was kept only on the lost computer, so it could not come \
             back.",
            name = out.name,
            partner = out.partner,
            changes = out.changes,
            number = out.safety_number,
            old = if retired {
                "; the lost one can no longer sync with your partner"
            } else {
                ""
            },
        )
    })
}
