//! Progress over weeks: each partner's own safety / trust / connection, follow-through per
//! week, appreciations per week. No streaks, no scores of a person.

use egui::{RichText, Ui};
use egui_plot::{Bar, BarChart, Legend, Line, LineStyle, Plot, PlotPoints};
use trellis_core::view::{Scales, WeekTrend};
use trellis_core::words::count;

use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

fn x_label(weeks: &[WeekTrend], x: f64) -> String {
    let i = x.round();
    if i < 0.0 || (i as usize) >= weeks.len() || (x - i).abs() > 0.01 {
        return String::new();
    }
    trellis_core::time::parse_date(&weeks[i as usize].week)
        .map(|d| d.format("%-d %b").to_string())
        .unwrap_or_default()
}

fn scale_line<'a>(
    name: &str,
    weeks: &[WeekTrend],
    pick: impl Fn(&Scales) -> Option<f32>,
    mine: bool,
) -> Line<'a> {
    let pts: PlotPoints = weeks
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            let scales = if mine { &w.me } else { &w.partner };
            pick(scales).map(|v| [i as f64, f64::from(v)])
        })
        .collect();
    Line::new(name.to_string(), pts).width(2.0)
}

pub(crate) fn show(ui: &mut Ui, s: &mut Session) {
    let Some(view) = s.snap.view.clone() else {
        return;
    };
    let p = palette(ui);
    widgets::heading(
        ui,
        "How the months are going",
        "The direction over weeks, not a daily grade. Each line is someone's own words about how they feel — never a score of the other.",
    );
    let in_force = view.agreements.iter().filter(|a| a.in_force()).count();
    widgets::note(
        ui,
        &format!(
            "{} in force · {} · {}",
            count(in_force, "agreement", "agreements"),
            count(view.checkins.len(), "check-in", "check-ins"),
            count(view.appreciations.len(), "appreciation", "appreciations")
        ),
    );
    // The last year at most, so the charts stay readable.
    let weeks: Vec<WeekTrend> = view
        .weeks
        .iter()
        .rev()
        .take(52)
        .rev()
        .map(|w| (**w).clone())
        .collect();
    if weeks.is_empty() {
        widgets::empty_state(
            ui,
            "Nothing to show yet",
            "Once you check in with the optional scales, keep commitments and share appreciations, the weeks add up here — patience is easier when progress is visible.",
        );
        return;
    }
    let height = ((ui.available_height() - 120.0) / 3.0).clamp(120.0, 260.0);
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            let w1 = weeks.clone();
            ui.columns(2, |cols| {
                for (col, (title, mine)) in cols.iter_mut().zip([
                    (view.me.name.clone(), true),
                    (view.partner.name.clone(), false),
                ]) {
                    col.label(
                        RichText::new(format!("{title} — safety, trust, connection")).strong(),
                    );
                    let w = w1.clone();
                    let any = w.iter().any(|week| {
                        let s = if mine { &week.me } else { &week.partner };
                        s.safety.is_some() || s.trust.is_some() || s.connection.is_some()
                    });
                    if !any {
                        widgets::note(
                            col,
                            &format!("No check-ins with the scales from {title} yet."),
                        );
                        continue;
                    }
                    // The legend sits above the chart, never over the last weeks, and each
                    // line has its own dash as well as its colour.
                    col.horizontal_wrapped(|ui| {
                        ui.label(RichText::new("—— safety").color(p.accent));
                        ui.label(RichText::new("– – trust").color(p.calm_blue));
                        ui.label(RichText::new("···· connection").color(p.warm));
                    });
                    let wl = w.clone();
                    Plot::new(("scales", mine))
                        .height(height)
                        .include_y(0.0)
                        .include_y(10.0)
                        .allow_drag(false)
                        .allow_zoom(false)
                        .allow_scroll(false)
                        .x_axis_formatter(move |m, _| x_label(&wl, m.value))
                        .show(col, |pui| {
                            pui.line(
                                scale_line("connection", &w, |s| s.connection, mine)
                                    .color(p.warm)
                                    .style(LineStyle::dotted_dense()),
                            );
                            pui.line(
                                scale_line("trust", &w, |s| s.trust, mine)
                                    .color(p.calm_blue)
                                    .style(LineStyle::dashed_loose()),
                            );
                            // Drawn last, so it is never hidden under the others.
                            pui.line(
                                scale_line("safety", &w, |s| s.safety, mine)
                                    .color(p.accent)
                                    .width(2.5),
                            );
                        });
                }
            });
            ui.add_space(8.0);
            ui.label(RichText::new("Follow-through per week (both of your commitments)").strong());
            let bars = |pick: fn(&WeekTrend) -> usize| -> Vec<Bar> {
                weeks
                    .iter()
                    .enumerate()
                    .map(|(i, w)| Bar::new(i as f64, pick(w) as f64).width(0.7))
                    .collect()
            };
            let kept = BarChart::new("kept", bars(|w| w.kept)).color(p.accent);
            let partly = BarChart::new("partly", bars(|w| w.partly))
                .color(p.calm_blue)
                .stack_on(&[&kept]);
            let missed = BarChart::new("missed", bars(|w| w.missed))
                .color(p.retired)
                .stack_on(&[&kept, &partly]);
            let wl = weeks.clone();
            Plot::new("follow-through")
                .height(height)
                .allow_drag(false)
                .allow_zoom(false)
                .allow_scroll(false)
                .legend(Legend::default().position(egui_plot::Corner::LeftTop))
                .x_axis_formatter(move |m, _| x_label(&wl, m.value))
                .show(ui, |pui| {
                    pui.bar_chart(kept);
                    pui.bar_chart(partly);
                    pui.bar_chart(missed);
                });
            ui.add_space(8.0);
            ui.label(RichText::new("Appreciations per week").strong());
            let appreciations =
                BarChart::new("appreciations", bars(|w| w.appreciations)).color(p.partner);
            let wl = weeks.clone();
            Plot::new("appreciations")
                .height(height)
                .allow_drag(false)
                .allow_zoom(false)
                .allow_scroll(false)
                .x_axis_formatter(move |m, _| x_label(&wl, m.value))
                .show(ui, |pui| pui.bar_chart(appreciations));
        });
}
