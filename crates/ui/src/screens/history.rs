//! The signed timeline: who changed what, when, each with its verified mark. Virtualised,
//! so years of history scroll smoothly.

use egui::{RichText, Ui};
use trellis_core::Who;

use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

/// Asks the node for the timeline (again, when the document changed since).
pub(crate) fn show(ui: &mut Ui, s: &mut Session) {
    let p = palette(ui);
    widgets::heading(
        ui,
        "Signed history",
        "Every change either of you made, newest first. Each is signed by its author's key; the mark says whether the signature checks out on this computer.",
    );
    ui.horizontal_wrapped(|ui| {
        if s.history.request.is_some() {
            ui.label(RichText::new("Checking every signature…").color(p.calm_blue));
        } else if ui.button("Refresh the history").clicked() {
            s.history.loaded_at_revision = 0;
            s.request_history();
        }
        if let Some(e) = &s.history.entries {
            let bad = e.iter().filter(|e| !e.verified).count();
            let line = if bad == 0 {
                format!("{} changes, every signature verified", e.len())
            } else {
                format!("{} changes, {bad} without a valid signature", e.len())
            };
            widgets::note(ui, &line);
        }
    });
    let Some(entries) = s.history.entries.clone() else {
        return;
    };
    if entries.is_empty() {
        widgets::empty_state(
            ui,
            "No history yet",
            "Every change you make together is recorded here, signed by whoever made it — so authorship can never be quietly rewritten.",
        );
        return;
    }
    let partner = s.partner_name();
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    let total = entries.len();
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .id_salt("history-rows")
        .show_rows(ui, row_height, total, |ui, rows| {
            for i in rows {
                let e = &entries[total - 1 - i];
                ui.horizontal(|ui| {
                    ui.set_height(row_height);
                    let (mark, color) = if e.verified {
                        ("verified", p.accent)
                    } else {
                        ("NOT verified", p.problem)
                    };
                    ui.label(RichText::new(mark).color(color).small());
                    ui.label(RichText::new(crate::clock::when(e.at_ms())).color(p.muted));
                    let who = match e.author {
                        Who::Me => "You".to_string(),
                        Who::Partner => partner.clone(),
                    };
                    ui.label(RichText::new(who).strong());
                    // One row each (the list is virtual): a long line ends in "…", and
                    // the whole of it is on hover.
                    ui.add(egui::Label::new(&e.message).truncate());
                });
            }
        });
}
