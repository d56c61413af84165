//! The private journal and my own triggers. Never shared, never synced, never exported.

use egui::{RichText, Ui};

use crate::drafts::FormKey;
use crate::journal_worker::JobKind;
use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

pub(crate) fn show(ui: &mut Ui, s: &mut Session) {
    let p = palette(ui);
    widgets::heading(ui, "My private journal", "");
    widgets::tinted(ui, p.private_soft, |ui| {
        ui.label(RichText::new("Private: only on this computer").strong());
        ui.label("What you write here is never shared, never synced and never exported — not to your partner, not to a therapist's export, not in a bundle. It lives in its own file that the sharing part of Trellis cannot open.");
    });
    if let Some(problem) = s.journal.problem.clone() {
        widgets::tinted(ui, p.problem_soft, |ui| {
            ui.label(RichText::new(problem).color(p.problem));
        });
    }
    ui.add_space(6.0);
    widgets::card(ui, |ui| {
        let busy = s.journal.busy(JobKind::Entry);
        let r = widgets::area(
            ui,
            "Journal entry",
            &mut s.drafts.journal,
            "Only you will read this.",
            5,
        );
        let ready = !s.drafts.journal.trim().is_empty();
        if widgets::primary(ui, "Keep in my journal", ready, busy).clicked()
            || (ready && !busy && s.submitted(&[&r]))
        {
            let text = s.drafts.journal.trim().to_string();
            s.journal.add_entry(text);
        }
    });
    ui.add_space(6.0);
    ui.label(
        RichText::new("My triggers")
            .size(crate::theme::pt(ui, 18.0))
            .strong(),
    );
    widgets::note(
        ui,
        "Knowing what sets you off helps you pause before it does. Also private.",
    );
    ui.horizontal_wrapped(|ui| {
        let busy = s.journal.busy(JobKind::Trigger);
        let l = ui.label("A trigger");
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut s.drafts.trigger)
                    .hint_text("raised voices")
                    .desired_width(widgets::field_width_before_button(ui, 120.0, 320.0)),
            )
            .labelled_by(l.id);
        let ready = !s.drafts.trigger.trim().is_empty();
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui
            .add_enabled(ready && !busy, egui::Button::new("Add trigger"))
            .clicked()
            || (ready && !busy && (enter || s.submitted(&[&r])))
        {
            let text = s.drafts.trigger.trim().to_string();
            s.journal.add_trigger(text);
        }
    });
    if !s.journal.loaded {
        widgets::note(ui, "Opening your journal…");
        return;
    }
    for t in &s.journal.triggers {
        ui.label(format!("• {}", t.text));
    }
    ui.add_space(8.0);
    if s.journal.entries.is_empty() {
        widgets::empty_state(
            ui,
            "Your journal is empty",
            "A journal is a place to think out loud before you speak — about your part, your feelings, what you want to say — with no audience at all.",
        );
    }
    let _ = FormKey::Journal;
    let entries = s.journal.entries.clone();
    for e in &entries {
        widgets::card(ui, |ui| entry(ui, s, e));
    }
}

/// One entry: its words, and a way to change them or take them back (it never left this
/// computer, so it can be).
fn entry(ui: &mut Ui, s: &mut Session, e: &trellis_store::JournalEntry) {
    let p = palette(ui);
    let mut when = crate::clock::when(e.at);
    if let Some(edited) = e.edited_at {
        when.push_str(&format!(" · changed {}", crate::clock::when(edited)));
    }
    widgets::note(ui, &when);
    let editing =
        s.t.journal_editing
            .as_ref()
            .is_some_and(|(id, _)| *id == e.id);
    if editing {
        let busy = s.journal.busy(JobKind::Edit);
        let mut save = None;
        let mut cancel = false;
        if let Some((_, words)) = s.t.journal_editing.as_mut() {
            let r = widgets::area(ui, "Change the words", words, "", 4);
            let ready = !words.trim().is_empty();
            ui.horizontal(|ui| {
                if widgets::primary(ui, "Save the change", ready, busy).clicked() {
                    save = Some(words.trim().to_string());
                }
                cancel = ui.button("Cancel").clicked();
            });
            if ready && !busy && s.submit_pressed && r.has_focus() {
                save = Some(words.trim().to_string());
            }
        }
        if let Some(text) = save {
            s.journal.edit_entry(e.id.clone(), text);
        }
        if cancel {
            s.t.journal_editing = None;
        }
        return;
    }
    ui.label(&e.text);
    let deleting = s.t.journal_deleting.as_deref() == Some(e.id.as_str());
    ui.horizontal(|ui| {
        if deleting {
            ui.label(
                RichText::new("Delete this entry for good? It cannot be brought back.")
                    .color(p.problem),
            );
            let busy = s.journal.busy(JobKind::Delete);
            if ui
                .add_enabled(!busy, egui::Button::new("Delete for good"))
                .clicked()
            {
                s.journal.delete_entry(e.id.clone());
            }
            if ui.button("Keep it").clicked() {
                s.t.journal_deleting = None;
            }
        } else {
            if ui.small_button("Edit").clicked() {
                s.t.journal_editing = Some((e.id.clone(), e.text.clone()));
            }
            if ui.small_button("Delete").clicked() {
                s.t.journal_deleting = Some(e.id.clone());
            }
        }
    });
}
