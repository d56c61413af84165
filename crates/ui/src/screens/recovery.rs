//! Settings: if this computer is lost — the recovery phrase, and an invite for the partner's
//! new computer after they lost theirs.

use egui::{RichText, Ui};
use trellis_net::Command;
use trellis_store::ProfilePaths;

use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

pub(crate) fn settings_section(ui: &mut Ui, s: &mut Session) {
    let p = palette(ui);
    ui.label(RichText::new("If this computer is lost").strong());
    ui.label(
        "A backup (below) brings everything back, your journal too. With no backup, your \
         recovery phrase brings you back: your partner's device then sends your shared space \
         again.",
    );
    match s.t.recovery_phrase.clone() {
        None => {
            if ui.button("Show my recovery phrase").clicked() {
                match trellis_store::recovery_phrase(&ProfilePaths::new(s.dir()), &s.vault) {
                    Ok(words) => {
                        s.t.recovery_phrase = Some(words);
                        s.t.recovery_problem = None;
                    }
                    Err(e) => s.t.recovery_problem = Some(e.to_string()),
                }
            }
        }
        Some(words) => {
            widgets::tinted(ui, p.accent_soft, |ui| {
                ui.label(
                    "Write these 24 words on paper, in order, and keep it somewhere safe. \
                     Anyone who has them can sign as you.",
                );
                egui::Grid::new("recovery-phrase")
                    .num_columns(6)
                    .spacing([14.0, 6.0])
                    .show(ui, |ui| {
                        for (i, word) in words.split(' ').enumerate() {
                            ui.label(
                                RichText::new(format!("{:>2}. {word}", i + 1))
                                    .family(egui::FontFamily::Monospace),
                            );
                            if i % 6 == 5 {
                                ui.end_row();
                            }
                        }
                    });
            });
            if ui.button("Hide it").clicked() {
                s.t.recovery_phrase = None;
            }
        }
    }
    if let Some(problem) = &s.t.recovery_problem {
        ui.label(RichText::new(problem).color(p.problem));
    }
    let Some(view) = s.snap.view.as_ref() else {
        return;
    };
    if view.ended.is_some() {
        return;
    }
    let partner = view.partner.name.clone();
    ui.add_space(8.0);
    ui.label(RichText::new(format!("{partner} lost their computer?")).strong());
    ui.label(format!(
        "If {partner} has their recovery phrase, show them an invite for their new computer. \
         Once they use it, the old one can no longer sync with you."
    ));
    match s.snap.network.invite.clone() {
        Some((code, expires_at)) => super::pairing::invite_open(ui, s, &code, expires_at),
        None => {
            let busy = s.pairing.invite_request.is_some();
            let label = format!("Show an invite for {partner}'s new computer");
            let r = ui.add_enabled(s.snap.network.listening && !busy, egui::Button::new(label));
            if r.clicked() {
                s.pairing.invite_request = Some(s.node.send(Command::Invite));
            }
        }
    }
}
