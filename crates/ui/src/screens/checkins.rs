//! Check-ins: a guided form, my partner's check-ins (folded until I have written mine in the
//! same exchange, see `fold_rule`), and replies.

use egui::{RichText, Ui};
use trellis_core::schema::{Need, ResponseMode};
use trellis_core::view::{CheckInView, fold_rule};
use trellis_core::{Action, CheckInDraft, View, Who};

use crate::drafts::FormKey;
use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

pub(crate) fn show(ui: &mut Ui, s: &mut Session) {
    let Some(view) = s.snap.view.clone() else {
        return;
    };
    widgets::heading(
        ui,
        "Checking in",
        "A minute, in your own words: how you feel, and what would help.",
    );
    let mine_today = view
        .checkins
        .iter()
        .any(|c| c.author == Who::Me && c.date == view.today);
    let typing = s.drafts.checkin != crate::drafts::CheckInForm::default();
    if s.ended().is_some() {
        // Read-only now: the form would only be refused.
    } else if mine_today && !typing && !s.t.checkin_open {
        ui.horizontal(|ui| {
            ui.label("You checked in today.");
            if ui.button("Write another check-in").clicked() {
                s.t.checkin_open = true;
            }
        });
    } else {
        form(ui, s, &view);
    }
    ui.add_space(8.0);
    if view.checkins.is_empty() {
        widgets::empty_state(
            ui,
            "No check-ins yet",
            "A check-in is a short, honest note on how you are — said as \"I feel … when …\", not as blame — so the other can hear it without having to guess.",
        );
        return;
    }
    let shown = s.t.checkins_shown.min(view.checkins.len());
    for c in &view.checkins[..shown] {
        checkin_card(ui, s, &view, c);
    }
    if shown < view.checkins.len()
        && ui
            .button(format!("Show older ({} more)", view.checkins.len() - shown))
            .clicked()
    {
        s.t.checkins_shown += 20;
    }
}

fn form(ui: &mut Ui, s: &mut Session, view: &View) {
    let key = FormKey::CheckIn;
    let busy = s.busy(&key);
    let partner = view.partner.name.clone();
    widgets::card(ui, |ui| {
        let prompt = crate::assets::prompt_for(crate::clock::now().today());
        if !prompt.is_empty() {
            widgets::note(ui, &format!("If it helps: {prompt}"));
        }
        let f = &mut s.drafts.checkin;
        widgets::field(ui, "I feel …", &mut f.feel, "hopeful, tired, unsure…");
        widgets::field(
            ui,
            "… when …",
            &mut f.when,
            "we laugh together in the kitchen",
        );
        widgets::area(ui, "What went well", &mut f.went_well, "", 2);
        widgets::area(ui, "What was hard", &mut f.was_hard, "", 2);
        let need = Need::parse(&f.need).unwrap_or_default();
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("What I need from {partner}")).strong());
            for n in Need::ALL {
                if ui.radio(need == *n, n.label()).clicked() {
                    f.need = n.as_str().to_string();
                }
            }
        });
        let response = ResponseMode::parse(&f.response).unwrap_or_default();
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Would you like me to").strong());
            for m in ResponseMode::ALL {
                if ui.radio(response == *m, m.label()).clicked() {
                    f.response = m.as_str().to_string();
                }
            }
        });
        ui.checkbox(
            &mut f.with_scales,
            "Add how safe, trusting and connected I feel (1–10)",
        );
        if f.with_scales {
            for (label, v) in [
                ("Safety", &mut f.safety),
                ("Trust", &mut f.trust),
                ("Connection", &mut f.connection),
            ] {
                if *v == 0 {
                    *v = 5;
                }
                ui.horizontal(|ui| {
                    let l = ui.label(format!("{label:<10}"));
                    ui.add(egui::Slider::new(v, 1..=10)).labelled_by(l.id);
                });
            }
            widgets::note(
                ui,
                "Your own sense of how you feel — plotted over weeks, never as a grade.",
            );
        }
        let ready = !f.feel.trim().is_empty();
        let clicked = ui
            .horizontal(|ui| {
                let clicked = widgets::primary(ui, "Save my check-in", ready, busy).clicked();
                widgets::still_needed(ui, &[(ready, "how you feel, in a word or more")]);
                clicked
            })
            .inner;
        let send = clicked || (ready && !busy && s.submitted_in(ui, ui.min_rect().top()));
        s.form_problems(ui, &key);
        if send {
            let f = &s.drafts.checkin;
            let opt = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
            let scale = |v: u8| (f.with_scales && (1..=10).contains(&v)).then_some(v);
            let draft = CheckInDraft {
                feel: f.feel.trim().to_string(),
                when: opt(&f.when),
                went_well: opt(&f.went_well),
                was_hard: opt(&f.was_hard),
                need: Some(need),
                response: Some(response),
                safety: scale(f.safety),
                trust: scale(f.trust),
                connection: scale(f.connection),
                date: None,
            };
            s.act(Action::AddCheckIn(draft), key);
        }
    });
}

fn checkin_card(ui: &mut Ui, s: &mut Session, view: &View, c: &CheckInView) {
    let p = palette(ui);
    let partner = view.partner.name.clone();
    widgets::card(ui, |ui| {
        let (who, color) = match c.author {
            Who::Me => ("You".to_string(), p.me),
            Who::Partner => (partner.clone(), p.partner),
        };
        ui.horizontal(|ui| {
            ui.label(RichText::new(&who).strong().color(color));
            widgets::note(
                ui,
                &crate::clock::record_date(view, &c.date, c.author, c.at),
            );
        });
        if c.folded && !s.t.shown_anyway.contains(&c.id) {
            widgets::tinted(ui, p.private_soft, |ui| {
                // Partners hours apart do not share a day: the rule is about the exchange,
                // and it is said in one sentence.
                ui.label(format!(
                    "{partner}'s check-in stays folded until you write yours. {}",
                    fold_rule(&partner)
                ));
                widgets::note(
                    ui,
                    "It is not a secret — it is already on this computer. Folding it is a gentle invitation to speak for yourself first.",
                );
                if ui
                    .button(format!("Show {partner}'s check-in anyway"))
                    .clicked()
                {
                    s.t.shown_anyway.insert(c.id.clone());
                }
            });
            return;
        }
        let mut feel = format!("I feel {}", c.feel);
        if let Some(w) = &c.when {
            feel.push_str(&format!(" when {w}"));
        }
        ui.label(RichText::new(feel).size(crate::theme::pt(ui, 16.0)));
        if let Some(t) = &c.went_well {
            ui.label(format!("Went well: {t}"));
        }
        if let Some(t) = &c.was_hard {
            ui.label(format!("Was hard: {t}"));
        }
        let mut facts = vec![format!("Needs: {}", c.need.label().to_lowercase())];
        facts.push(c.response.label().to_string());
        for (name, v) in [
            ("safety", c.safety),
            ("trust", c.trust),
            ("connection", c.connection),
        ] {
            if let Some(v) = v {
                facts.push(format!("{name} {v}/10"));
            }
        }
        widgets::note(ui, &facts.join(" · "));
        for r in &c.replies {
            ui.horizontal_wrapped(|ui| {
                ui.add_space(16.0);
                ui.label(RichText::new(widgets::name_of(view, r.author)).strong());
                ui.label(&r.text);
            });
        }
        if c.author == Who::Partner {
            reply(ui, s, c);
        }
    });
}

fn reply(ui: &mut Ui, s: &mut Session, c: &CheckInView) {
    let key = FormKey::Reply(c.id.clone());
    let busy = s.busy(&key);
    let answered = c.replies.iter().any(|r| r.author == Who::Me);
    ui.horizontal_wrapped(|ui| {
        if !answered
            && ui
                .add_enabled(!busy, egui::Button::new("I hear you"))
                .on_hover_text("Reply “I hear you”")
                .clicked()
        {
            s.act(
                Action::ReplyToCheckIn {
                    checkin: c.id.clone(),
                    text: "I hear you".into(),
                },
                key.clone(),
            );
        }
        let text = s.drafts.replies.entry(c.id.clone()).or_default();
        let l = ui.label("Reply");
        let r = ui
            .add(
                egui::TextEdit::singleline(text)
                    .id_salt(("reply", &c.id))
                    .hint_text("in your own words")
                    .desired_width(widgets::field_width_before_button(ui, 120.0, 320.0)),
            )
            .labelled_by(l.id);
        let ready = !text.trim().is_empty();
        let text = text.trim().to_string();
        if ui
            .add_enabled(ready && !busy, egui::Button::new("Send reply"))
            .clicked()
            || (ready && !busy && s.submitted(&[&r]))
        {
            s.act(
                Action::ReplyToCheckIn {
                    checkin: c.id.clone(),
                    text,
                },
                key,
            );
        }
    });
    if s.drafts.replies.get(&c.id).is_some_and(String::is_empty) {
        s.drafts.replies.remove(&c.id);
    }
}
