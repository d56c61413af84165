//! First run (choose a name), opening, and a profile that cannot be opened.

use egui::{RichText, Ui};

use trellis_core::card::MAX_NAME_CHARS;

use crate::app::{Phase, TrellisApp};
use crate::theme::palette;
use crate::widgets;

fn centered<R>(ui: &mut Ui, add: impl FnOnce(&mut Ui) -> R) -> R {
    egui::CentralPanel::default()
        .show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(ui.available_height() * 0.12);
                ui.set_max_width(ui.available_width().min(520.0));
                add(ui)
            })
            .inner
        })
        .inner
}

pub(crate) fn opening(ui: &mut Ui, creating: bool) {
    centered(ui, |ui| {
        ui.heading("Trellis");
        ui.label(if creating {
            "Creating your space on this computer…"
        } else {
            "Opening your space…"
        });
    });
}

pub(crate) fn failed(ui: &mut Ui, message: &str) {
    centered(ui, |ui| {
        let p = palette(ui);
        ui.heading("Trellis could not open this profile");
        widgets::tinted(ui, p.problem_soft, |ui| {
            ui.label(RichText::new(message).color(p.problem));
        });
        ui.label("Nothing was changed or overwritten. Close this window, fix what the message says, and open Trellis again.");
    });
}

pub(crate) fn show(ui: &mut Ui, app: &mut TrellisApp) {
    let Phase::Welcome {
        name,
        problem,
        lock,
    } = &mut app.phase
    else {
        return;
    };
    let mut start = None;
    centered(ui, |ui| {
        let p = palette(ui);

        ui.heading("Welcome to Trellis");
        ui.label(
            "A quiet place for the two of you to rebuild trust: your agreements, check-ins \
             and repairs, kept on your own computers and shared only with each other.",
        );
        ui.add_space(12.0);
        widgets::card(ui, |ui| {
            ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                let r = widgets::field(ui, "Your name", name, "as your partner knows you");
                if ui.memory(|m| m.focused().is_none()) && name.is_empty() {
                    r.request_focus();
                }
                if r.changed() {
                    // The last refusal was about the name as it was.
                    *problem = None;
                }
                widgets::note(
                    ui,
                    "Your partner will see this name next to everything you write.",
                );
                let too_long = name.trim().chars().count() > MAX_NAME_CHARS;
                if too_long {
                    ui.label(
                        RichText::new(format!(
                            "A name can be at most {MAX_NAME_CHARS} characters; this one has {}.",
                            name.trim().chars().count()
                        ))
                        .color(p.problem),
                    );
                }
                let choice = crate::screens::lock::first_run_fields(ui, lock);
                ui.add_space(6.0);
                let ready = !name.trim().is_empty() && !too_long && choice.is_some();
                let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if widgets::primary(ui, "Continue", ready, false).clicked() || (enter && ready) {
                    start = choice.map(|c| (name.trim().to_string(), c));
                }
                if let Some(problem) = problem {
                    ui.label(RichText::new(problem.as_str()).color(p.problem));
                }
            });
        });
        widgets::note(
            ui,
            &format!("Your space will live in {}", app.profile_dir.display()),
        );
    });
    if let Some((name, lock)) = start {
        app.create_profile(name, lock);
    }
}
