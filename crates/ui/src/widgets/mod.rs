//! Small building blocks every screen uses: labelled fields, cards, badges, empty states.

pub(crate) mod qr;

use egui::{Color32, CornerRadius, Margin, Response, RichText, Stroke, TextEdit, Ui};

use crate::theme::palette;

/// A one-line text field tied to its visible label (so screen readers name it).
pub(crate) fn field(ui: &mut Ui, label: &str, text: &mut String, hint: &str) -> Response {
    ui.vertical(|ui| {
        let l = ui.label(RichText::new(label).strong());
        ui.add(
            TextEdit::singleline(text)
                .hint_text(hint)
                .desired_width(ui.available_width().min(560.0)),
        )
        .labelled_by(l.id)
    })
    .inner
}

/// A few lines of text, tied to their visible label.
pub(crate) fn area(
    ui: &mut Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    rows: usize,
) -> Response {
    ui.vertical(|ui| {
        let l = ui.label(RichText::new(label).strong());
        ui.add(
            TextEdit::multiline(text)
                .hint_text(hint)
                .desired_rows(rows)
                .desired_width(ui.available_width().min(620.0)),
        )
        .labelled_by(l.id)
    })
    .inner
}

/// A one-line field with its label on the same line.
pub(crate) fn inline_field(
    ui: &mut Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    width: f32,
) -> Response {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(
            TextEdit::singleline(text)
                .hint_text(hint)
                .desired_width(width.min(ui.available_width()).max(80.0)),
        )
        .labelled_by(l.id)
    })
    .inner
}

/// A soft card around one record.
pub(crate) fn card<R>(ui: &mut Ui, add: impl FnOnce(&mut Ui) -> R) -> R {
    let p = palette(ui);
    egui::Frame::new()
        .fill(p.card)
        .stroke(Stroke::new(1.0, p.card_stroke))
        .corner_radius(CornerRadius::same(12))
        .inner_margin(Margin::same(14))
        .outer_margin(Margin::symmetric(0, 4))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add(ui)
        })
        .inner
}

/// A tinted card (a notice, a private area, a pause).
pub(crate) fn tinted<R>(ui: &mut Ui, fill: Color32, add: impl FnOnce(&mut Ui) -> R) -> R {
    egui::Frame::new()
        .fill(fill)
        .corner_radius(CornerRadius::same(12))
        .inner_margin(Margin::same(12))
        .outer_margin(Margin::symmetric(0, 4))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add(ui)
        })
        .inner
}

/// A small rounded label: a status.
pub(crate) fn badge(ui: &mut Ui, text: &str, fg: Color32, bg: Color32) -> Response {
    egui::Frame::new()
        .fill(bg)
        .corner_radius(CornerRadius::same(10))
        .inner_margin(Margin::symmetric(8, 2))
        .show(ui, |ui| {
            ui.label(RichText::new(text).small().color(fg).strong())
        })
        .inner
}

/// The screen's title and one line saying what it is for.
pub(crate) fn heading(ui: &mut Ui, title: &str, purpose: &str) {
    ui.add_space(4.0);
    ui.heading(title);
    if !purpose.is_empty() {
        ui.label(RichText::new(purpose).color(palette(ui).muted));
    }
    ui.add_space(6.0);
}

/// A friendly empty state: what the practice is, in one sentence.
pub(crate) fn empty_state(ui: &mut Ui, title: &str, sentence: &str) {
    let p = palette(ui);
    tinted(ui, p.accent_soft, |ui| {
        ui.label(RichText::new(title).strong());
        ui.label(sentence);
    });
}

/// The main button of a form, greyed out (and saying so) while its action is in flight.
pub(crate) fn primary(ui: &mut Ui, text: &str, enabled: bool, busy: bool) -> Response {
    let p = palette(ui);
    let label = if busy { "Saving…" } else { text };
    let button = egui::Button::new(RichText::new(label).strong().color(
        if ui.visuals().dark_mode {
            Color32::from_rgb(0x12, 0x1a, 0x16)
        } else {
            Color32::WHITE
        },
    ))
    .fill(p.accent);
    let r = ui.add_enabled(enabled && !busy, button);
    if busy {
        r.on_disabled_hover_text("Waiting for this to be saved")
    } else {
        r
    }
}

/// Beside a Save button that is not ready: what it still needs, in words, so a disabled
/// button is never a riddle. Nothing when all is there.
pub(crate) fn still_needed(ui: &mut Ui, needs: &[(bool, &str)]) {
    let missing: Vec<&str> = needs
        .iter()
        .filter(|(there, _)| !there)
        .map(|(_, what)| *what)
        .collect();
    let list = match missing.as_slice() {
        [] => return,
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    let color = palette(ui).muted;
    ui.label(RichText::new(format!("Still needed: {list}")).color(color));
}

/// Muted small text.
pub(crate) fn note(ui: &mut Ui, text: &str) -> Response {
    let muted = palette(ui).muted;
    ui.label(RichText::new(text).small().color(muted))
}

/// "Me" → "You", "Partner" → their name.
pub(crate) fn name_of(view: &trellis_core::View, who: trellis_core::Who) -> String {
    match who {
        trellis_core::Who::Me => "You".to_string(),
        trellis_core::Who::Partner => view.partner.name.clone(),
    }
}

/// What is wrong with a typed date, in words that show the format wanted — with the typed
/// date rewritten in it where that is unambiguous ("31/12/2026" → "2026-12-31"). None when
/// it is empty or a good date.
pub(crate) fn date_problem(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || trellis_core::time::parse_date(t).is_some() {
        return None;
    }
    let guesses: std::collections::BTreeSet<chrono::NaiveDate> = [
        "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%Y.%m.%d",
    ]
    .iter()
    .filter_map(|f| chrono::NaiveDate::parse_from_str(t, f).ok())
    .collect();
    Some(match guesses.iter().collect::<Vec<_>>().as_slice() {
        [one] => format!(
            "Dates are written year-month-day: {} for {t}.",
            one.format("%Y-%m-%d")
        ),
        _ => "Dates are written year-month-day, like 2026-12-31 (or pick one with the calendar button).".into(),
    })
}

/// A date field: typed (YYYY-MM-DD) or picked from a calendar beside it; empty is allowed.
/// Says below it which format it wants when the typed text is not a date. Returns the text
/// field's response (for Ctrl+Enter).
pub(crate) fn date_field(ui: &mut Ui, label: &str, text: &mut String, salt: &str) -> Response {
    let r = ui
        .vertical(|ui| {
            let l = ui.label(RichText::new(label).strong());
            ui.horizontal_wrapped(|ui| {
                let r = ui
                    .add(
                        TextEdit::singleline(text)
                            .id_salt(("date", salt))
                            .hint_text("YYYY-MM-DD")
                            .desired_width(130.0),
                    )
                    .labelled_by(l.id);
                // The calendar opens on the typed date, or on today.
                let shown = trellis_core::time::parse_date(text.trim())
                    .unwrap_or_else(|| crate::clock::now().today());
                let mut picked = to_jiff(shown);
                let chosen = ui
                    .add(
                        egui_extras::DatePickerButton::new(&mut picked)
                            .id_salt(salt)
                            .calendar_week(false)
                            // Its year/month/day lists have no accessible names (a screen
                            // reader could not tell them apart): the arrows and the
                            // calendar do the same and are named.
                            .combo_boxes(false)
                            .show_icon(false)
                            .format("Pick a date"),
                    )
                    .on_hover_text(format!("{label}: pick it from a calendar"));
                if chosen.changed() {
                    *text = format!(
                        "{:04}-{:02}-{:02}",
                        picked.year(),
                        picked.month(),
                        picked.day()
                    );
                }
                r
            })
            .inner
        })
        .inner;
    if let Some(problem) = date_problem(text) {
        let color = palette(ui).problem;
        ui.label(RichText::new(problem).color(color));
    }
    r
}

fn to_jiff(d: chrono::NaiveDate) -> jiff::civil::Date {
    use chrono::Datelike;
    let fallback = jiff::civil::Date::default();
    let (Ok(y), Ok(m), Ok(day)) = (
        i16::try_from(d.year()),
        i8::try_from(d.month()),
        i8::try_from(d.day()),
    ) else {
        return fallback;
    };
    jiff::civil::Date::new(y, m, day).unwrap_or(fallback)
}

/// The width for a text field followed by a button on the same row: what is left after
/// room for the button (at the chosen text size), between `min` and `max`.
pub(crate) fn field_width_before_button(ui: &Ui, min: f32, max: f32) -> f32 {
    let room = 160.0 * crate::theme::looks(ui.ctx()).scale;
    (ui.available_width() - room).clamp(min, max)
}
/// A date typed as YYYY-MM-DD; `Ok(None)` when blank.
pub(crate) fn typed_date(text: &str) -> Result<Option<chrono::NaiveDate>, ()> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    trellis_core::time::parse_date(t).map(Some).ok_or(())
}
