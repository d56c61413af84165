//! Appreciations: one line and a button, always one click away.

use egui::{RichText, Ui};
use trellis_core::view::AppreciationView;
use trellis_core::{Action, Who};

use crate::drafts::FormKey;
use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

/// The one line and its button. `place` keeps widget ids apart where it appears twice.
pub(crate) fn quick_line(ui: &mut Ui, s: &mut Session, place: &str) -> bool {
    if s.ended().is_some() {
        // The space is read-only now: a field whose Save would be refused is not offered.
        return false;
    }
    let partner = s.partner_name();
    let mut sent = false;
    ui.horizontal_wrapped(|ui| {
        let l = ui.label("Appreciation");
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut s.drafts.appreciation)
                    .id_salt(("appreciation", place))
                    .hint_text(format!("Thank you, {partner}, for…"))
                    .desired_width((ui.available_width() - 190.0).clamp(140.0, 520.0)),
            )
            .labelled_by(l.id);
        if s.t.focus_appreciation && place == "dialog" {
            r.request_focus();
            s.t.focus_appreciation = false;
        }
        let busy = s.busy(&FormKey::Appreciation);
        let ready = !s.drafts.appreciation.trim().is_empty();
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if widgets::primary(ui, "Send appreciation", ready, busy).clicked()
            || (ready && !busy && (enter || s.submitted(&[&r])))
        {
            let text = s.drafts.appreciation.trim().to_string();
            s.act(Action::Appreciate { text }, FormKey::Appreciation);
            sent = true;
        }
    });
    sent
}

/// The small window Ctrl+K (or the top bar's button) opens.
pub(crate) fn dialog(ui: &mut Ui, s: &mut Session) {
    if !s.t.appreciation_open {
        return;
    }
    let modal = egui::Modal::new(egui::Id::unique("appreciation-dialog")).show(ui.ctx(), |ui| {
        ui.set_width(620.0_f32.min(ui.ctx().content_rect().width() - 80.0));
        ui.heading("A small moment");
        ui.label(format!(
            "Something {} did, said or was — in one line.",
            s.partner_name()
        ));
        let sent = quick_line(ui, s, "dialog");
        ui.horizontal(|ui| {
            if ui.button("Close").clicked() || sent {
                s.t.appreciation_open = false;
            }
        });
    });
    if modal.should_close() {
        s.t.appreciation_open = false;
    }
}

/// The answer to one appreciation: said if there is one; offered (a "Thank you" and an
/// optional word) on one addressed to me while the space is open.
fn answer(ui: &mut Ui, s: &mut Session, view: &trellis_core::View, a: &AppreciationView) {
    let p = palette(ui);
    if let Some((word, _)) = &a.thanks {
        let who = match a.author {
            Who::Me => view.partner.name.clone(),
            Who::Partner => "You".to_string(),
        };
        let line = match word {
            Some(w) => format!("{who} said thank you — “{w}”"),
            None => format!("{who} said thank you"),
        };
        ui.label(RichText::new(line).color(p.accent).small());
        return;
    }
    if a.author != Who::Partner || s.ended().is_some() {
        return;
    }
    let key = FormKey::Thanks(a.id.clone());
    let busy = s.busy(&key);
    ui.horizontal_wrapped(|ui| {
        let word = s.drafts.thanks.entry(a.id.clone()).or_default();
        let l = ui.label(RichText::new("A word back").small());
        let r = ui
            .add(
                egui::TextEdit::singleline(word)
                    .id_salt(("thanks", &a.id))
                    .char_limit(trellis_core::MAX_THANKS_CHARS)
                    .hint_text("optional")
                    .desired_width(widgets::field_width_before_button(ui, 100.0, 260.0)),
            )
            .labelled_by(l.id);
        let text = Some(word.trim().to_string()).filter(|w| !w.is_empty());
        if ui
            .add_enabled(!busy, egui::Button::new("Thank you"))
            .on_hover_text(format!("Answer {}'s appreciation", view.partner.name))
            .clicked()
            || (!busy && s.submitted(&[&r]))
        {
            s.act(
                Action::ThankForAppreciation {
                    appreciation: a.id.clone(),
                    text,
                },
                key.clone(),
            );
        }
    });
    s.form_problems(ui, &key);
}

pub(crate) fn show(ui: &mut Ui, s: &mut Session) {
    let Some(view) = s.snap.view.clone() else {
        return;
    };
    let p = palette(ui);
    widgets::heading(
        ui,
        "Small moments",
        "Trust grows back in small, noticed things. Saying so takes ten seconds.",
    );
    if s.ended().is_none() {
        widgets::card(ui, |ui| {
            quick_line(ui, s, "screen");
        });
    }
    ui.add_space(6.0);
    if view.appreciations.is_empty() {
        widgets::empty_state(
            ui,
            "No appreciations yet",
            "An appreciation is a one-line thank-you for something small your partner did — the kind of moment that is easy to miss.",
        );
        return;
    }
    let shown = s.t.appreciations_shown.min(view.appreciations.len());
    for a in &view.appreciations[..shown] {
        widgets::card(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let (who, color) = match a.author {
                    trellis_core::Who::Me => ("You".to_string(), p.me),
                    trellis_core::Who::Partner => (view.partner.name.clone(), p.partner),
                };
                ui.label(RichText::new("•").color(color).strong());
                ui.label(RichText::new(&a.text));
                widgets::note(
                    ui,
                    &format!(
                        "— {who}, {}",
                        crate::clock::date_of(&view, &a.date, a.author)
                    ),
                );
            });
            answer(ui, s, &view, a);
        });
    }
    if shown < view.appreciations.len()
        && ui
            .button(format!(
                "Show older ({} more)",
                view.appreciations.len() - shown
            ))
            .clicked()
    {
        s.t.appreciations_shown += 30;
    }
}
