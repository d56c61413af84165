//! First run (choose a name), opening, and a profile that cannot be opened.

use egui::{RichText, Ui};

use trellis_core::card::MAX_NAME_CHARS;
use trellis_core::recovery::{PHRASE_WORDS, identity_from_phrase};
use trellis_core::words::capitalized;
use trellis_store::LockChoice;
use zeroize::Zeroizing;

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
        phrase,
    } = &mut app.phase
    else {
        return;
    };
    let mut start = None;
    let mut recover = None;
    centered(ui, |ui| {
        let p = palette(ui);
        if let Some(words) = phrase {
            recover = coming_back(ui, words, lock, problem);
            if ui.link("Back: I am new to Trellis").clicked() {
                *phrase = None;
                *problem = None;
            }
            return;
        }
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
        if ui
            .link("I used Trellis on a computer I no longer have")
            .clicked()
        {
            *phrase = Some(Zeroizing::new(String::new()));
            *problem = None;
        }
    });
    if let Some((name, lock)) = start {
        app.create_profile(name, lock);
    } else if let Some((words, lock)) = recover {
        app.recover_profile(words, lock);
    }
}

/// Coming back after a lost computer: the recovery phrase, then how to keep the profile here.
fn coming_back(
    ui: &mut Ui,
    words: &mut Zeroizing<String>,
    lock: &mut crate::lock_state::NewLock,
    problem: &mut Option<String>,
) -> Option<(Zeroizing<String>, LockChoice)> {
    let p = palette(ui);
    ui.heading("Welcome back");
    ui.label(
        "With your recovery phrase, Trellis brings you back on this computer. Your partner's \
         device then sends your whole shared space; your private journal stayed on the old \
         computer and cannot come back.",
    );
    ui.add_space(12.0);
    let mut chosen = None;
    widgets::card(ui, |ui| {
        ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
            let r = widgets::area(
                ui,
                "Your recovery phrase",
                words,
                "the 24 words, in order",
                3,
            );
            if r.changed() {
                *problem = None;
            }
            let typed = words.split_whitespace().count();
            let checked = identity_from_phrase(words);
            match &checked {
                Ok(_) => {
                    widgets::note(ui, "These words are a recovery phrase.");
                }
                // Said only once all the words are there, not while they are being typed.
                Err(e) if typed >= PHRASE_WORDS => {
                    ui.label(RichText::new(capitalized(&e.to_string())).color(p.problem));
                }
                Err(_) => {
                    widgets::note(ui, &format!("{typed} of {PHRASE_WORDS} words."));
                }
            }
            let choice = crate::screens::lock::first_run_fields(ui, lock);
            ui.add_space(6.0);
            let ready = checked.is_ok() && choice.is_some();
            if widgets::primary(ui, "Continue", ready, false).clicked() {
                chosen = choice.map(|c| (Zeroizing::new(words.trim().to_string()), c));
            }
            if let Some(problem) = problem {
                ui.label(RichText::new(problem.as_str()).color(p.problem));
            }
        });
    });
    widgets::note(
        ui,
        "Next, your partner shows an invite for your new computer (in their Settings, under \
         \"If this computer is lost\"), and you paste its code here.",
    );
    chosen
}
