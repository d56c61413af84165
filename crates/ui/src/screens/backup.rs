//! Settings: the whole profile backed up to one file sealed with a passphrase of its own.
//!
//! The journal is held by the window's journal thread, so its bytes are read there first
//! (between two of its writes); the node then reads the rest under its own lock on the
//! document, seals everything and writes the file.

use std::path::PathBuf;

use egui::{RichText, Ui};
use trellis_net::{Command, Hidden};

use crate::drafts::FormKey;
use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

fn key() -> FormKey {
    FormKey::Other("backup".into())
}

pub(crate) fn settings_section(ui: &mut Ui, s: &mut Session) {
    let p = palette(ui);
    ui.label(RichText::new("Back up everything").strong());
    ui.label(
        "One file with your keys, your shared space and your private journal, sealed with a \
         passphrase of its own. On a new computer, `trellis restore FILE` brings it all back \
         and sync with your partner goes on. Without this passphrase no one can open the \
         file, not even you.",
    );
    if s.t.backup_path.is_empty() {
        let folder = s
            .dir()
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| s.dir());
        s.t.backup_path = folder
            .join(format!("trellis-backup-{}.trellis-backup", s.today))
            .display()
            .to_string();
    }
    widgets::inline_field(ui, "Backup file", &mut s.t.backup_path, "", 420.0);
    super::lock::password_field(ui, "Backup passphrase", &mut s.t.backup_pass.0);
    super::lock::password_field(ui, "The same passphrase again", &mut s.t.backup_again.0);
    let problem = if s.t.backup_pass.0.is_empty() {
        Some(String::new())
    } else if let Some(weak) = trellis_store::vault::passphrase_problem(&s.t.backup_pass.0) {
        Some(weak)
    } else if *s.t.backup_again.0 != *s.t.backup_pass.0 {
        Some("The two passphrases differ".into())
    } else if s.t.backup_path.trim().is_empty() {
        Some("Choose where the backup goes".into())
    } else {
        None
    };
    if let Some(why) = problem.as_deref().filter(|w| !w.is_empty()) {
        widgets::note(ui, &format!("{why}."));
    }
    let busy = s.t.backup_waiting.is_some() || s.busy(&key());
    if widgets::primary(ui, "Back up now", problem.is_none(), busy).clicked() {
        s.t.backup_problem = None;
        s.journal.read_for_backup();
        s.t.backup_waiting = Some((
            PathBuf::from(s.t.backup_path.trim()),
            s.t.backup_pass.clone(),
        ));
    }
    if busy {
        widgets::note(ui, "Backing up…");
    }
    s.form_problems(ui, &key());
    if let Some(problem) = &s.t.backup_problem {
        ui.label(RichText::new(problem).color(p.problem));
    }
}

/// Once the journal's bytes are read, the node writes the backup.
pub(crate) fn continue_backup(s: &mut Session) {
    let Some(read) = s.journal.for_backup.take() else {
        return;
    };
    let Some((path, passphrase)) = s.t.backup_waiting.take() else {
        return;
    };
    match read {
        Ok(journal) => {
            s.send(
                Command::Backup {
                    path,
                    passphrase,
                    journal: Hidden(journal),
                },
                key(),
            );
            s.t.backup_pass = Hidden::default();
            s.t.backup_again = Hidden::default();
        }
        Err(e) => s.t.backup_problem = Some(e),
    }
}
