//! Setting up: profile, card, couple, bundles, safety number, status.

use std::path::Path;

use anyhow::{Context as _, Result, anyhow};
use serde::Serialize;
use trellis_core::Card;
use trellis_core::words::count;
use trellis_store::{LockChoice, LockKind, Profile, Status, StoreError};

use crate::cli::{BundleCommand, CardCommand, CoupleCommand};
use crate::context::{Context, now};
use crate::render::when;

#[derive(Serialize)]
struct Created {
    profile: String,
    name: String,
    key: String,
    /// How the profile is kept on this computer.
    kept: LockKind,
}

pub fn init(ctx: &Context, name: &str, no_lock: bool, keychain: bool) -> Result<()> {
    // Refused before asking for a passphrase, so no one types one for nothing.
    let paths = trellis_store::ProfilePaths::new(&ctx.profile_dir);
    if paths.identity_key().exists() {
        return Err(StoreError::AlreadyInitialized(ctx.profile_dir.clone()).into());
    }
    trellis_core::card::clean_name(name)?;
    let lock = lock_choice(ctx, no_lock, keychain)?;
    let profile = Profile::init_locked(&ctx.profile_dir, name, &lock)?;
    let out = Created {
        profile: profile.dir().display().to_string(),
        name: profile.name().to_string(),
        key: profile.key().to_hex(),
        kept: profile.vault().kind(),
    };
    ctx.emit(&out, || {
        let kept = match out.kept {
            LockKind::Passphrase => {
                "It is encrypted and locked with your passphrase. No one can open it without \
                 the passphrase — not even you: if you forget it, it cannot be recovered, so \
                 keep a backup (`trellis backup FILE`)."
            }
            LockKind::Keychain => {
                "It is encrypted, and this computer's keychain opens it when you log in. Keep \
                 a backup (`trellis backup FILE`): the keychain stays on this computer."
            }
            LockKind::NoLock => {
                "It is encrypted, but not locked: anyone who can use this computer account can \
                 open it. To lock it with a passphrase: `trellis lock set`."
            }
        };
        format!(
            "Welcome, {}. Your profile is at {}.\n{kept}\n\n{}\n\
             Next: invite your partner (`trellis invite`), or join with the code they show you\n\
             (`trellis join CODE`).",
            out.name,
            out.profile,
            crate::render::phrase_text(&profile.recovery_phrase()),
        )
    })
}

/// How a new profile is kept: as the flags say, or as the person chooses at the terminal.
pub(super) fn lock_choice(ctx: &Context, no_lock: bool, keychain: bool) -> Result<LockChoice> {
    Ok(match (ctx.passphrase_from_file()?, no_lock, keychain) {
        (_, _, true) => LockChoice::Keychain,
        (Some(words), _, _) => LockChoice::Passphrase(words),
        (None, true, _) => LockChoice::NoLock,
        (None, false, _) => match crate::passphrase::ask_new(true)? {
            Some(words) => LockChoice::Passphrase(words),
            None => LockChoice::NoLock,
        },
    })
}

fn read_input(path: &Path) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        return Ok(trellis_store::read_bundle(
            std::io::stdin(),
            Path::new("standard input"),
        )?);
    }
    Ok(trellis_store::read_bundle_file(path)?)
}

/// Writes a file completely or not at all, or to standard output for `-`.
fn write_output(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.as_os_str() == "-" {
        use std::io::Write;
        std::io::stdout().write_all(bytes)?;
        return Ok(());
    }
    write_file(path, bytes)
}

/// Writes a file completely or not at all, readable only by its owner (what Trellis writes
/// out is private: a bundle, a card, an export).
pub(super) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(trellis_store::files::write_out(path, bytes)?)
}

pub fn card(ctx: &Context, command: CardCommand) -> Result<()> {
    match command {
        CardCommand::Export { file } => {
            let card = ctx.read()?.card()?;
            let json = card.to_json() + "\n";
            write_output(&file, json.as_bytes())?;
            if file.as_os_str() != "-" {
                ctx.emit(&card, || {
                    format!(
                        "Wrote your card to {}. Give it to your partner; it holds only your name and public keys.",
                        file.display()
                    )
                })?;
            }
            Ok(())
        }
        CardCommand::Add { file } => {
            let mut profile = ctx.open()?;
            let card = read_card(&file)?;
            profile.add_partner_card(&card)?;
            ctx.emit(&serde_json::json!({ "added": card.name }), || {
                format!(
                    "Added {}'s card: bundles you export are now sealed so only their device can open them.",
                    card.name
                )
            })
        }
    }
}

fn read_card(path: &Path) -> Result<Card> {
    let text = read_input(path)?;
    let text = String::from_utf8(text).context("the card file is not text")?;
    Ok(Card::from_json(&text)?)
}

pub fn couple(ctx: &Context, command: CoupleCommand) -> Result<()> {
    let CoupleCommand::Create { partner } = command;
    let mut profile = ctx.open()?;
    let card = read_card(&partner)?;
    profile.create_couple(&card, now())?;
    let number = profile.safety_number().unwrap_or_default();
    let status = profile.status()?;
    ctx.emit(&status, || {
        format!(
            "Started your shared space with {}.\n\
             Next: `trellis bundle export FILE` and give the file to {}; their first import joins them.\n\
             Safety number (compare it together): {number}",
            card.name, card.name
        )
    })
}

#[derive(Serialize)]
struct Exported {
    file: String,
    changes: usize,
}

pub fn bundle(ctx: &Context, command: BundleCommand) -> Result<()> {
    let mut profile = ctx.open()?;
    match command {
        BundleCommand::Export { file, all } => {
            let (bytes, changes) = match profile.export_bundle(all, now()) {
                Err(StoreError::PartnerSealUnknown(name)) => {
                    return Err(anyhow!(
                        "{name}'s sealing key is not known on this device yet, so no bundle can be sealed for them. \
                         Sync once over the network, or ask {name} for their card (`trellis card export FILE`) and add it with `trellis card add FILE`."
                    ));
                }
                other => other?,
            };
            write_output(&file, &bytes)?;
            let partner = partner_name(&profile);
            let out = Exported {
                file: file.display().to_string(),
                changes,
            };
            ctx.emit(&out, || {
                format!(
                    "Wrote {} to {}, sealed so only {partner}'s device can open it. Give the file to {partner} any way you like; they import it with `trellis bundle import`.",
                    count(changes, "change", "changes"),
                    out.file
                )
            })
        }
        BundleCommand::Import { file } => {
            let bytes = read_input(&file)?;
            let report = profile.import_bundle(&bytes, now())?;
            let partner = partner_name(&profile);
            ctx.emit(&report, || {
                let mut lines = Vec::new();
                if report.joined {
                    lines.push(format!(
                        "You joined the shared space with {partner}. Compare the safety number together: {}",
                        profile.safety_number().unwrap_or_default()
                    ));
                }
                lines.push(format!(
                    "{}, all signatures verified: {} from {partner}{}.",
                    count(report.new_changes, "new change", "new changes"),
                    report.from_partner,
                    if report.from_me > 0 {
                        format!(", {} of your own", report.from_me)
                    } else {
                        String::new()
                    }
                ));
                if report.already_had > 0 {
                    lines.push(format!(
                        "{} already here.",
                        count(report.already_had, "change was", "changes were")
                    ));
                }
                if report.waiting > 0 {
                    lines.push(format!(
                        "{} from changes this copy does not have; ask {partner} for a full bundle (`trellis bundle export --all`).",
                        count(report.waiting, "change continues", "changes continue")
                    ));
                }
                lines.join("\n")
            })
        }
    }
}

fn partner_name(profile: &Profile) -> String {
    profile
        .couple()
        .map(|c| c.name_of(&c.partner()))
        .unwrap_or_else(|| "your partner".into())
}

#[derive(Serialize)]
struct Safety {
    safety_number: String,
    checked: bool,
}

pub fn safety_number(ctx: &Context, confirm: bool) -> Result<()> {
    let mut profile = if confirm { ctx.open()? } else { ctx.read()? };
    let Some(number) = profile.safety_number() else {
        return Err(StoreError::NoCouple.into());
    };
    if confirm {
        profile.confirm_safety()?;
    }
    let out = Safety {
        safety_number: number.clone(),
        checked: profile.safety_confirmed()?,
    };
    let partner = partner_name(&profile);
    ctx.emit(&out, || {
        if confirm {
            format!("{number}\nMarked as compared with {partner}.")
        } else if out.checked {
            format!("{number}\nYou and {partner} compared these digits.")
        } else {
            format!(
                "{number}\nRead these digits with {partner}: if theirs are the same, run `trellis safety-number --confirm`."
            )
        }
    })
}

#[derive(Serialize)]
struct FullStatus {
    #[serde(flatten)]
    status: Status,
    /// How the profile is kept on this computer (encrypted, locked or not).
    kept: LockKind,
    network: String,
    /// Whether Trellis (the window or `trellis serve`) is running on this profile now.
    app_running: bool,
}

pub fn status(ctx: &Context) -> Result<()> {
    let mut profile = ctx.read()?;
    let status = profile.status()?;
    let out = FullStatus {
        kept: profile.vault().kind(),
        network: trellis_net::saved_mode(&profile)?.label(),
        app_running: profile.is_read_only(),
        status,
    };
    ctx.emit(&out, || {
        let mut text = status_text(&out.status);
        text.push_str(&format!("\nOn this computer: {}", out.kept.describe()));
        text.push_str(&format!("\nNetwork: {}", out.network));
        text.push_str(if out.app_running {
            "\nTrellis is running on this profile (the window or `trellis serve`); it keeps the live connection."
        } else {
            "\nNo live connection: the window or `trellis serve` keeps one; `trellis sync` meets once."
        });
        text
    })
}

pub fn status_text(status: &Status) -> String {
    let mut lines = vec![format!(
        "Profile: {} ({}, key {})",
        status.profile,
        status.name,
        &status.key[..8]
    )];
    match &status.couple {
        None if status.name == trellis_store::RECOVERING_NAME => lines.push(
            "Recovered from your recovery phrase, waiting for your shared space: ask your partner for an invite for your new computer (`trellis invite` on theirs) and run `trellis recover CODE` again.".into(),
        ),
        None => lines.push(
            "Not part of a couple yet: invite your partner (`trellis invite`) or join with their code (`trellis join CODE`).".into(),
        ),
        Some(c) => {
            let p = &c.partner_name;
            lines.push(format!("Partner: {p} (key {})", &c.partner_key[..8]));
            lines.push(format!(
                "Safety number: {} ({})",
                c.safety_number,
                if c.safety_number_checked {
                    "compared together"
                } else {
                    "not compared yet"
                }
            ));
            lines.push(format!(
                "Shared document: {}, every one signed",
                count(c.changes, "change", "changes")
            ));
            match (c.last_synced_at, c.last_received_at) {
                (Some(s), r) if r.is_none_or(|r| s >= r) => {
                    lines.push(format!("Last synced with {p}: {}", when(s)))
                }
                (_, Some(r)) => lines.push(format!("Last changes received from {p}: {}", when(r))),
                _ => lines.push(format!("Nothing received from {p}'s copy yet")),
            }
            if let Some(t) = c.last_exported_at {
                lines.push(format!("Last bundle written for {p}: {}", when(t)));
            }
            lines.push(match c.not_yet_with_partner {
                0 => format!("{p} has all of your changes."),
                1 => format!("1 of your changes has not reached {p} yet (as far as this copy knows)."),
                n => format!("{n} of your changes have not reached {p} yet (as far as this copy knows)."),
            });
        }
    }
    lines.join("\n")
}

#[derive(Serialize)]
struct Unpaired {
    ended: bool,
    wiped: Vec<String>,
}

pub fn unpair(ctx: &Context, note: Option<String>, wipe: bool, yes: bool) -> Result<()> {
    if wipe && !yes {
        anyhow::bail!(
            "wiping deletes this profile from this device for good; add --yes to confirm"
        );
    }
    let mut profile = ctx.open()?;
    let partner = partner_name(&profile);
    let already = profile.couple().is_some_and(|c| c.is_ended());
    if profile.couple().is_some() && !already {
        profile.act(&trellis_core::Action::EndSpace { note }, now())?;
    }
    let wiped: Vec<String> = if wipe {
        profile
            .wipe()?
            .into_iter()
            .map(|p| p.display().to_string())
            .collect()
    } else {
        Vec::new()
    };
    let out = Unpaired { ended: true, wiped };
    ctx.emit(&out, || {
        let mut lines = Vec::new();
        if !already {
            lines.push(format!(
                "You ended your shared space with {partner}. Your copy stays readable. The ending reaches \
                 {partner} the next time your devices meet; after that nothing syncs."
            ));
        }
        if wipe {
            lines.push(format!(
                "This profile was deleted from this device ({} files). Anything not yet synced, the ending included, will not reach {partner}.",
                out.wiped.len()
            ));
        }
        lines.join("\n")
    })
}
