//! Today: what needs attention — gentle invitations, never demands.

use chrono::Timelike;
use egui::{RichText, Ui};
use trellis_core::view::Attention;
use trellis_core::words::count;
use trellis_core::{View, Who};

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

/// What my partner wrote after `since` (ms), newest first, one line each: data they chose
/// to write, never anything about them being there. A folded check-in is left out: the
/// invitation to write mine already says it opens then.
pub(crate) fn news(view: &View, since: i64) -> Vec<(i64, String)> {
    let partner = &view.partner.name;
    let mut out = Vec::new();
    for a in &view.appreciations {
        if a.author == Who::Partner && a.at > since {
            out.push((
                a.at,
                format!("{partner} appreciated you: “{}”", clip(&a.text)),
            ));
        }
        if let Some((word, at)) = a.thanks.as_ref().filter(|(_, at)| *at > since)
            && a.author == Who::Me
        {
            let line = match word {
                Some(w) => format!(
                    "{partner} said thank you for your appreciation: “{}”",
                    clip(w)
                ),
                None => format!("{partner} said thank you for your appreciation"),
            };
            out.push((*at, line));
        }
    }
    for c in &view.checkins {
        match c.author {
            Who::Partner if !c.folded && c.at > since => {
                out.push((
                    c.at,
                    format!("{partner} wrote a check-in: “{}”", clip(&c.feel)),
                ));
            }
            Who::Me => {
                for r in c
                    .replies
                    .iter()
                    .filter(|r| r.author == Who::Partner && r.at > since)
                {
                    out.push((
                        r.at,
                        format!("{partner} answered your check-in: “{}”", clip(&r.text)),
                    ));
                }
            }
            Who::Partner => {}
        }
    }
    for r in &view.repairs {
        if r.opened_by == Who::Me
            && let Some(ack) = r.acknowledgement.as_ref().filter(|a| a.at > since)
        {
            out.push((
                ack.at,
                format!(
                    "{partner} acknowledged the repair you opened: “{}”",
                    clip(&ack.acknowledgement)
                ),
            ));
        }
        for c in &r.commitments {
            for rep in &c.reports {
                match c.owner {
                    Who::Partner if rep.at > since => out.push((
                        rep.at,
                        format!(
                            "{partner} noted follow-through on “{}”: {}",
                            clip(&c.wording),
                            rep.outcome.label().to_lowercase()
                        ),
                    )),
                    Who::Me => {
                        if let Some(&(_, at)) =
                            rep.acknowledged.as_ref().filter(|(_, at)| *at > since)
                        {
                            out.push((
                                at,
                                format!(
                                    "{partner} saw your follow-through on “{}”",
                                    clip(&c.wording)
                                ),
                            ));
                        }
                    }
                    Who::Partner => {}
                }
            }
        }
    }
    out.sort_by_key(|item| std::cmp::Reverse(item.0));
    out
}

fn clip(text: &str) -> String {
    const MAX: usize = 80;
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > MAX || line.len() < text.len() {
        let cut: String = line.chars().take(MAX).collect();
        format!("{}…", cut.trim_end())
    } else {
        line.to_string()
    }
}

fn new_since(ui: &mut Ui, s: &Session, view: &View) {
    let news = news(view, s.t.new_since);
    if news.is_empty() {
        return;
    }
    let p = palette(ui);
    const SHOWN: usize = 6;
    widgets::tinted(ui, p.accent_soft, |ui| {
        ui.label(
            RichText::new(format!(
                "New from {} since you last looked",
                view.partner.name
            ))
            .strong(),
        );
        for (_, line) in news.iter().take(SHOWN) {
            ui.label(line);
        }
        if news.len() > SHOWN {
            widgets::note(ui, &format!("and {} more", news.len() - SHOWN));
        }
    });
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
    new_since(ui, s, &view);
    let items: Vec<&Attention> = view
        .attention
        .iter()
        .map(|a| &**a)
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
                // Wrapped: a long line or a narrow window puts the button below, never
                // past the edge.
                ui.horizontal_wrapped(|ui| {
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
                    let screen = target(item);
                    if ui
                        .button(format!("Open {}", screen.label()))
                        .on_hover_text(format!("Item {}", i + 1))
                        .clicked()
                    {
                        s.go(screen);
                    }
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
