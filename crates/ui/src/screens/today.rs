//! Today: what needs attention — gentle invitations, never demands.

use chrono::Timelike;
use egui::{RichText, Ui};
use trellis_core::view::Attention;
use trellis_core::words::count;

use super::Screen;
use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

fn greeting() -> &'static str {
    greeting_at(crate::clock::local(crate::clock::now().at_ms).hour())
}

fn greeting_at(hour: u32) -> &'static str {
    match hour {
        5..=11 => "Good morning",
        12..=17 => "Good afternoon",
        18..=22 => "Good evening",
        // Late at night, and the small hours: not "good evening" at 3 a.m.
        _ => "Good night",
    }
}

/// The screen an item of today's list leads to.
fn target(item: &Attention) -> Screen {
    match item {
        Attention::TimeOut { .. } => Screen::Today,
        Attention::RepairAwaitsAcknowledgement { .. }
        | Attention::ReportAwaitsAcknowledgement { .. }
        | Attention::CommitmentDue { .. }
        | Attention::RepairAwaitsClosure { .. } => Screen::Repair,
        Attention::AgreementAwaitsMe { .. }
        | Attention::AgreementNeedsConversation { .. }
        | Attention::AgreementDueForReview { .. }
        | Attention::AgreementNeedsReviewDate { .. }
        | Attention::RetirementRequested { .. } => Screen::Agreements,
        Attention::CheckInAwaitsReply { .. } | Attention::CheckInInvitation => Screen::CheckIns,
    }
}

pub(crate) fn show(ui: &mut Ui, s: &mut Session) {
    let Some(view) = s.snap.view.clone() else {
        return;
    };
    let p = palette(ui);
    let now = crate::clock::now();
    widgets::heading(
        ui,
        &format!("{}, {}", greeting(), view.me.name),
        &crate::clock::long_date(now.today()),
    );
    let items: Vec<&Attention> = view
        .attention
        .iter()
        .filter(|a| !matches!(a, Attention::TimeOut { .. }))
        .collect();
    let ended = s.ended().is_some();
    if ended {
        // The banner above says what happened; nothing here asks for anything.
        widgets::note(
            ui,
            "Everything you wrote together stays here to read, and to export from Settings.",
        );
    } else if items.is_empty() {
        widgets::empty_state(
            ui,
            "Nothing is waiting for you today",
            "When an agreement needs your yes, a commitment comes round or your partner writes, it will show up here — gently, never as a to-do list you can fail.",
        );
    } else {
        ui.label(RichText::new("Waiting for you, whenever you are ready").strong());
        let shown = s.t.today_shown.min(items.len());
        for (i, item) in items[..shown].iter().enumerate() {
            widgets::card(ui, |ui| {
                ui.horizontal(|ui| {
                    let (tint, word) = match item {
                        Attention::CheckInInvitation => (p.accent, "Invitation"),
                        Attention::AgreementNeedsConversation { .. } => (p.warm, "Talk together"),
                        Attention::RepairAwaitsAcknowledgement { .. }
                        | Attention::RepairAwaitsClosure { .. } => (p.warm, "Repair"),
                        Attention::ReportAwaitsAcknowledgement { .. } => {
                            (p.accent, "Follow-through")
                        }
                        _ => (p.calm_blue, "For you"),
                    };
                    widgets::badge(ui, word, tint, p.accent_soft);
                    ui.label(item.describe(&view, now, &trellis_store::LocalZone));
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        let screen = target(item);
                        if ui
                            .button(format!("Open {}", screen.label()))
                            .on_hover_text(format!("Item {}", i + 1))
                            .clicked()
                        {
                            super::shell::go(s, screen);
                        }
                    });
                });
            });
        }
    }
    if items.len() > s.t.today_shown
        && ui
            .button(format!("Show {} more", items.len() - s.t.today_shown))
            .clicked()
    {
        s.t.today_shown += 20;
    }
    ui.add_space(10.0);
    if !ended {
        ui.label(RichText::new("A small moment").strong());
        super::appreciations::quick_line(ui, s, "today");
        ui.add_space(10.0);
    }
    let in_force = view.agreements.iter().filter(|a| a.in_force()).count();
    let open_repairs = view.repairs.iter().filter(|r| !r.closed).count();
    widgets::note(
        ui,
        &format!(
            "{} in force · {} in progress · {} so far",
            count(in_force, "agreement", "agreements"),
            count(open_repairs, "repair", "repairs"),
            count(view.appreciations.len(), "appreciation", "appreciations")
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::greeting_at;

    #[test]
    fn the_greeting_follows_the_hour() {
        assert_eq!(greeting_at(8), "Good morning");
        assert_eq!(greeting_at(14), "Good afternoon");
        assert_eq!(greeting_at(20), "Good evening");
        assert_eq!(greeting_at(23), "Good night");
        assert_eq!(greeting_at(3), "Good night");
    }
}
