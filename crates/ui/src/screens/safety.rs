//! After pairing: both screens show the same safety number; the two compare it.

use egui::{RichText, Ui};
use trellis_net::Command;

use crate::drafts::FormKey;
use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

pub(crate) fn show(ui: &mut Ui, s: &mut Session) {
    let p = palette(ui);
    let Some(c) = s.snap.status.as_ref().and_then(|st| st.couple.clone()) else {
        return;
    };
    ui.vertical_centered(|ui| {
        ui.set_max_width(ui.available_width().min(640.0));
        ui.add_space(20.0);
        ui.heading(format!("You and {} are paired", c.partner_name));
        ui.label(format!(
            "Before you begin, compare this number with the one on {}'s screen — side by side, or read it aloud. If both show the same digits, no one is in between your two devices.",
            c.partner_name
        ));
        ui.add_space(12.0);
        widgets::tinted(ui, p.accent_soft, |ui| {
            ui.vertical_centered(|ui| {
                ui.label(RichText::new("Safety number").color(p.muted));
                ui.label(
                    RichText::new(&c.safety_number)
                        .size(crate::theme::pt(ui, 30.0))
                        .monospace()
                        .strong(),
                );
            });
        });
        ui.add_space(10.0);
        let key = FormKey::Other("confirm-safety".into());
        let busy = s.busy(&key);
        if widgets::primary(ui, "We compared these — they match", true, busy).clicked() {
            s.send(Command::ConfirmSafety, key);
        }
        ui.add_space(6.0);
        if !s.pairing.mismatch {
            if ui
                .button("They don't match")
                .on_hover_text("What to do when the two numbers differ")
                .clicked()
            {
                s.pairing.mismatch = true;
            }
        } else {
            mismatch(ui, s, &c.partner_name);
        }
        if ui.button("Later").on_hover_text("Compare later in Settings").clicked() {
            s.pairing.safety_later = true;
        }
    });
}

/// The way out when the numbers differ: undo this pairing here and pair again, side by side.
fn mismatch(ui: &mut Ui, s: &mut Session, partner: &str) {
    let p = palette(ui);
    widgets::tinted(ui, p.warm_soft, |ui| {
        ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
            ui.label(RichText::new("The numbers are different").strong());
            ui.label("Then your two devices did not reach each other directly: something may be in between. Don't use this pairing for anything private.");
            ui.label(format!(
                "Undo it here and start again: this deletes the new shared space from this computer (nothing has been written in it yet) and takes you back to the start. Do the same on {partner}'s computer, then pair again standing next to each other, on a network you trust."
            ));
            ui.horizontal_wrapped(|ui| {
                if widgets::primary(ui, "Undo this pairing and start again", true, false)
                    .clicked()
                {
                    s.pairing.start_again = true;
                }
                if ui.button("Back to comparing").clicked() {
                    s.pairing.mismatch = false;
                }
            });
        });
    });
}
