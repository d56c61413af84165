//! Time-out: "I need a pause, I'll be back at …" — a break that carries its return time.

use egui::{RichText, Ui};
use trellis_core::time::{day_word, partner_clock, plausible_offset};
use trellis_core::view::running_pauses;
use trellis_core::{Action, Who};
use trellis_store::LocalZone;

use crate::drafts::FormKey;
use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

const CHOICES: [u32; 6] = [15, 20, 30, 45, 60, 120];

/// A quiet line on every screen while someone is on a pause.
pub(crate) fn banner(ui: &mut Ui, s: &mut Session) {
    let Some(view) = s.snap.view.clone() else {
        return;
    };
    let p = palette(ui);
    let now = crate::clock::now();
    for t in running_pauses(&view.timeouts) {
        widgets::tinted(ui, p.accent_soft, |ui| {
            let day = day_word(t.back_at, now, &LocalZone);
            let mut line = match t.who {
                Who::Me => format!(
                    "You are taking a pause — back {day}at {}",
                    crate::clock::clock_time(t.back_at)
                ),
                // My clock, and my partner's too where it differs: "I'll be back at 13:02"
                // was said on their clock, and I act on mine.
                Who::Partner => {
                    let theirs = t.author_offset_minutes.and_then(plausible_offset);
                    format!(
                        "{} is taking a pause — back {day}at {}",
                        view.partner.name,
                        partner_clock(t.back_at, &LocalZone, theirs, &view.partner.name)
                    )
                }
            };
            if let Some(n) = &t.note {
                line.push_str(&format!(" · “{n}”"));
            }
            ui.label(RichText::new(line).color(p.calm_blue));
            if t.who == Who::Partner {
                widgets::note(
                    ui,
                    "A pause is not a disappearance: it comes with its own return time.",
                );
            }
        });
    }
}

/// The pause window (top bar button or Ctrl+P).
pub(crate) fn dialog(ui: &mut Ui, s: &mut Session) {
    if !s.t.pause_open {
        return;
    }
    if s.drafts.pause.minutes == 0 {
        s.drafts.pause.minutes = 30;
    }
    let modal = egui::Modal::new(egui::Id::unique("pause-dialog")).show(ui.ctx(), |ui| {
        ui.set_width(520.0_f32.min(ui.ctx().content_rect().width() - 80.0));
        let back = crate::clock::clock_time(
            crate::clock::now()
                .plus_minutes(i64::from(s.drafts.pause.minutes))
                .at_ms,
        );
        ui.heading(format!("I need a pause, I'll be back at {back}"));
        ui.label("Flooded? Step away and calm down. Your partner sees when you will be back — on their own clock and on yours — so a break is never a disappearance.");
        ui.horizontal_wrapped(|ui| {
            ui.label("For");
            for m in CHOICES {
                let text = if m < 60 {
                    format!("{m} minutes")
                } else if m == 60 {
                    "1 hour".to_string()
                } else {
                    format!("{} hours", m / 60)
                };
                ui.selectable_value(&mut s.drafts.pause.minutes, m, text);
            }
        });
        let r = widgets::field(
            ui,
            "A word for your partner (optional)",
            &mut s.drafts.pause.note,
            "going for a walk",
        );
        let submitted = s.submitted(&[&r]) || s.submitted_in(ui, ui.min_rect().top());
        ui.horizontal(|ui| {
            let busy = s.busy(&FormKey::Pause);
            if widgets::primary(ui, "Start my pause", true, busy).clicked() || (!busy && submitted)
            {
                let note = Some(s.drafts.pause.note.trim().to_string()).filter(|n| !n.is_empty());
                s.act(
                    Action::StartTimeOut {
                        minutes: s.drafts.pause.minutes,
                        note,
                    },
                    FormKey::Pause,
                );
                s.t.pause_open = false;
            }
            if ui.button("Not now").clicked() {
                s.t.pause_open = false;
            }
        });
    });
    if modal.should_close() {
        s.t.pause_open = false;
    }
}
