//! `trellis journal …`: private, on this device only.

use anyhow::Result;
use trellis_store::{Journal, ProfilePaths};

use crate::cli::JournalCommand;
use crate::context::{Context, now};
use crate::render::{self, when};

pub fn run(ctx: &Context, command: JournalCommand) -> Result<()> {
    let mut journal = Journal::open(&ProfilePaths::new(&ctx.profile_dir), &ctx.vault()?)?;
    match command {
        JournalCommand::Add { text } => {
            let entry = journal.add_entry(&text, now())?;
            ctx.emit(&entry, || {
                "Saved in your private journal. It stays on this device: never shared, never synced.".into()
            })
        }
        JournalCommand::List => {
            let entries = journal.entries()?;
            ctx.emit(&entries, || {
                if entries.is_empty() {
                    return "Your private journal is empty. Only you can read it; it never leaves this device.".into();
                }
                let mut out = vec!["Private — only on this device:".to_string()];
                for e in &entries {
                    out.push(format!("{}  {}  {}", render::id(&e.id), when(e.at), e.text));
                }
                out.join("\n")
            })
        }
        JournalCommand::Edit { id, text } => {
            let entry = journal.edit_entry(&id, &text, now())?;
            ctx.emit(&entry, || {
                "Changed. The old words are gone from this device, not only from the list.".into()
            })
        }
        JournalCommand::Delete { id } => {
            let entry = journal.delete_entry(&id)?;
            ctx.emit(&entry, || {
                "Deleted for good: the entry is gone from this device.".into()
            })
        }
        JournalCommand::Trigger { text } => {
            let t = journal.add_trigger(&text, now())?;
            ctx.emit(&t, || {
                "Added to your private list of triggers (on this device only).".into()
            })
        }
        JournalCommand::Triggers => {
            let triggers = journal.triggers()?;
            ctx.emit(&triggers, || {
                if triggers.is_empty() {
                    return "No triggers noted. Knowing your own triggers helps you pause before a conversation escalates.".into();
                }
                let mut out = vec!["Your triggers — private, on this device only:".to_string()];
                for t in &triggers {
                    out.push(format!("- {}", t.text));
                }
                out.join("\n")
            })
        }
    }
}
