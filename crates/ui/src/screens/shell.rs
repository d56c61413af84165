//! The frame around every screen: the top bar (appreciate, pause), the navigation, notices
//! and the sync status line.

use egui::{Modifiers, RichText, Ui};

use super::Screen;
use crate::session::{APPRECIATE, PAUSE, Session};
use crate::theme::palette;
use crate::widgets;

pub(crate) fn show(ui: &mut Ui, s: &mut Session) {
    if s.lock.locked {
        super::lock::locked_session(ui, s);
        return;
    }
    let paired = s.snap.view.is_some();
    if paired {
        shortcuts(ui, s);
    }
    if s.ended().is_some() {
        // Nothing can be written any more: no dialog that would only be refused.
        s.t.appreciation_open = false;
        s.t.pause_open = false;
    }
    egui::Panel::bottom("status")
        .frame(egui::Frame::side_top_panel(ui.style()).inner_margin(egui::Margin::symmetric(14, 6)))
        .show(ui, |ui| super::status::show(ui, s));
    egui::Panel::top("top")
        .frame(egui::Frame::side_top_panel(ui.style()).inner_margin(egui::Margin::symmetric(14, 8)))
        .show(ui, |ui| top_bar(ui, s, paired));

    let needs_safety = s
        .snap
        .status
        .as_ref()
        .and_then(|st| st.couple.as_ref())
        .is_some_and(|c| !c.safety_number_checked)
        && !s.pairing.safety_later;
    if !paired && s.drafts.alone {
        alone(ui, s);
        return;
    }
    if !paired || needs_safety {
        egui::CentralPanel::default().show(ui, |ui| {
            notices(ui, s);
            egui::ScrollArea::vertical()
                .auto_shrink(false)
                .show(ui, |ui| {
                    if paired {
                        super::safety::show(ui, s);
                    } else {
                        super::pairing::show(ui, s);
                    }
                });
        });
        return;
    }

    // Scrolls when large text or a small window make it taller than the window.
    nav_panel(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("nav")
            .auto_shrink(false)
            .show(ui, |ui| nav(ui, s));
    });
    egui::CentralPanel::default()
        .frame(egui::Frame::central_panel(ui.style()).inner_margin(egui::Margin::symmetric(22, 14)))
        .show(ui, |ui| {
            notices(ui, s);
            if let Some(e) = s.ended() {
                ended_banner(ui, s, &e);
            }
            super::timeout::banner(ui, s);
            match s.screen {
                // These two lay out their own scrolling (long lists, charts).
                Screen::History => super::history::show(ui, s),
                Screen::Progress => super::progress::show(ui, s),
                screen => {
                    egui::ScrollArea::vertical()
                        .auto_shrink(false)
                        .id_salt(screen.label())
                        .show(ui, |ui| {
                            ui.set_max_width(ui.available_width().min(860.0));
                            match screen {
                                Screen::Today => super::today::show(ui, s),
                                Screen::Agreements => super::agreements::show(ui, s),
                                Screen::CheckIns => super::checkins::show(ui, s),
                                Screen::Repair => super::repair::show(ui, s),
                                Screen::Appreciations => super::appreciations::show(ui, s),
                                Screen::Journal => super::journal::show(ui, s),
                                Screen::Settings => super::settings::show(ui, s),
                                Screen::History | Screen::Progress => {}
                            }
                            ui.add_space(24.0);
                        });
                }
            }
        });
    super::appreciations::dialog(ui, s);
    super::timeout::dialog(ui, s);
}

fn shortcuts(ui: &mut Ui, s: &mut Session) {
    let (appreciate, pause, screen) = ui.ctx().input_mut(|i| {
        let screen = Screen::ALL
            .into_iter()
            .find(|sc| i.consume_key(Modifiers::ALT, sc.key()));
        (
            i.consume_shortcut(&APPRECIATE),
            i.consume_shortcut(&PAUSE),
            screen,
        )
    });
    if appreciate {
        s.t.appreciation_open = true;
        s.t.focus_appreciation = true;
    }
    if pause {
        s.t.pause_open = true;
    }
    if let Some(screen) = screen {
        s.go(screen);
    }
}

/// Switches screens (and loads what the new one needs).
fn top_bar(ui: &mut Ui, s: &mut Session, paired: bool) {
    let p = palette(ui);
    ui.horizontal(|ui| {
        ui.label(
            RichText::new("Trellis")
                .size(crate::theme::pt(ui, 20.0))
                .strong()
                .color(p.accent),
        );
        if let Some(v) = &s.snap.view {
            ui.label(RichText::new(format!("{} & {}", v.me.name, v.partner.name)).color(p.muted));
        }
        if !paired || s.ended().is_some() {
            return;
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let mine = s.snap.view.as_ref().and_then(|v| {
                v.timeouts
                    .iter()
                    .find(|t| t.running && t.who == trellis_core::Who::Me)
                    .cloned()
            });
            if let Some(t) = mine {
                let busy = s.busy(&crate::drafts::FormKey::Other("end-pause".into()));
                if ui
                    .add_enabled(!busy, egui::Button::new("I'm back"))
                    .on_hover_text("End my pause now")
                    .clicked()
                {
                    s.act(
                        trellis_core::Action::EndTimeOut,
                        crate::drafts::FormKey::Other("end-pause".into()),
                    );
                }
                ui.label(
                    RichText::new(format!(
                        "You are on a pause until {}{}",
                        // Said only when it is not today: "until 00:10" must not hide a date.
                        until_day(t.back_at, crate::clock::now(), &trellis_store::LocalZone),
                        crate::clock::clock_time(t.back_at)
                    ))
                    .color(p.calm_blue),
                );
            } else if ui
                .button("I need a pause")
                .on_hover_text("Take a pause with a return time (Ctrl+P)")
                .clicked()
            {
                s.t.pause_open = true;
            }
            if ui
                .button("Appreciate")
                .on_hover_text("Say thank you in one line (Ctrl+K)")
                .clicked()
            {
                s.t.appreciation_open = true;
                s.t.focus_appreciation = true;
            }
        });
    });
}

/// The day a pause ends, for "until …": nothing today, "tomorrow ", else the date
/// ("until 2031-10-29 13:20", not "until on …").
fn until_day(at_ms: i64, now: trellis_core::Moment, zone: &dyn trellis_core::time::Zone) -> String {
    let day = trellis_core::time::day_word(at_ms, now, zone);
    match day.strip_prefix("on ") {
        Some(date) => date.to_string(),
        None => day,
    }
}

fn nav(ui: &mut Ui, s: &mut Session) {
    for screen in Screen::ALL {
        let text = screen.label();
        let selected = s.screen == screen;
        let r = ui
            .add_sized(
                [ui.available_width(), 32.0],
                egui::Button::selectable(
                    selected,
                    RichText::new(text).size(crate::theme::pt(ui, 15.5)),
                ),
            )
            .on_hover_text(format!("Alt+{}", screen.key().name()));
        if r.clicked() && !selected {
            s.go(screen);
        }
        if screen == Screen::Journal {
            ui.separator();
        }
    }
    ui.add_space(12.0);
    if s.ended().is_none() {
        widgets::note(ui, "Ctrl+K appreciate · Ctrl+P pause · Ctrl+Enter save");
    }
}

fn notices(ui: &mut Ui, s: &mut Session) {
    let p = palette(ui);
    let mut dismiss = None;
    for (i, n) in s.notices.iter().enumerate() {
        if s.said_in_form(n) {
            continue;
        }
        widgets::tinted(ui, p.problem_soft, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(&n.text).color(p.problem));
                if ui.small_button("Dismiss").clicked() {
                    dismiss = Some(i);
                }
            });
        });
    }
    if let Some(i) = dismiss {
        s.notices.remove(i);
    }
}

/// The one calm sentence about an ending, with the last word (if any) first: above every
/// screen, so nothing else needs to repeat it.
fn ended_banner(ui: &mut Ui, s: &Session, e: &trellis_core::view::EndedView) {
    let p = palette(ui);
    let partner = s.partner_name();
    widgets::tinted(ui, p.private_soft, |ui| {
        if let Some(note) = &e.note {
            let who = match e.by {
                trellis_core::Who::Me => "your last word".to_string(),
                trellis_core::Who::Partner => format!("{partner}'s last word"),
            };
            ui.label(
                RichText::new(format!("“{note}”"))
                    .italics()
                    .size(crate::theme::pt(ui, 17.0)),
            );
            widgets::note(ui, &format!("— {who}"));
            ui.add_space(4.0);
        }
        ui.label(super::settings::ended_sentence(&partner, e.by, e.at));
    });
}

/// The navigation column on the left.
fn nav_panel(ui: &mut Ui, add: impl FnOnce(&mut Ui)) {
    egui::Panel::left("nav")
        .resizable(false)
        .exact_size(200.0)
        .frame(
            egui::Frame::side_top_panel(ui.style()).inner_margin(egui::Margin::symmetric(10, 14)),
        )
        .show(ui, add);
}

/// Not paired, using Trellis alone: what works without a partner (the private journal and
/// Settings, where a partner's bundle can be imported), and the way back to pairing.
fn alone(ui: &mut Ui, s: &mut Session) {
    if !matches!(s.screen, Screen::Journal | Screen::Settings) {
        s.go(Screen::Journal);
    }
    nav_panel(ui, |ui| {
        for screen in [Screen::Journal, Screen::Settings] {
            let selected = s.screen == screen;
            let r = ui.add_sized(
                [ui.available_width(), 32.0],
                egui::Button::selectable(
                    selected,
                    RichText::new(screen.label()).size(crate::theme::pt(ui, 15.5)),
                ),
            );
            if r.clicked() && !selected {
                s.go(screen);
            }
        }
        ui.separator();
        widgets::note(ui, "You are using Trellis alone for now.");
        if ui.button("Pair with my partner").clicked() {
            s.drafts.alone = false;
        }
    });
    egui::CentralPanel::default()
        .frame(egui::Frame::central_panel(ui.style()).inner_margin(egui::Margin::symmetric(22, 14)))
        .show(ui, |ui| {
            notices(ui, s);
            egui::ScrollArea::vertical()
                .auto_shrink(false)
                .id_salt(("alone", s.screen.label()))
                .show(ui, |ui| {
                    ui.set_max_width(ui.available_width().min(860.0));
                    match s.screen {
                        Screen::Settings => super::settings::show(ui, s),
                        _ => super::journal::show(ui, s),
                    }
                    ui.add_space(24.0);
                });
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use trellis_core::Moment;

    #[test]
    fn a_pause_ending_on_another_day_says_the_day_once() {
        const DAY: i64 = 24 * 60 * 60 * 1000;
        let now = Moment::new(1_800_000_000_000, 0);
        assert_eq!(until_day(now.at_ms + 60_000, now, &now), "");
        assert_eq!(until_day(now.at_ms + DAY, now, &now), "tomorrow ");
        assert_eq!(until_day(now.at_ms + 3 * DAY, now, &now), "2027-01-18 ");
    }
}
