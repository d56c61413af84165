//! Agreements: by category, with status badges; propose, revise, accept, retire; every
//! revision readable with who wrote it.

use egui::{Color32, RichText, Ui};
use trellis_core::schema::Category;
use trellis_core::view::{AgreementStatus, AgreementView};
use trellis_core::{Action, AgreementDraft, View, Who};

use crate::drafts::{FormKey, RevisionForm};
use crate::session::Session;
use crate::theme::{Palette, palette};
use crate::widgets;

pub(crate) fn status_colors(p: &Palette, status: AgreementStatus) -> (Color32, Color32) {
    match status {
        AgreementStatus::InForce | AgreementStatus::ChangeProposed => (p.accent, p.accent_soft),
        AgreementStatus::Proposed => (p.calm_blue, p.accent_soft),
        AgreementStatus::NeedsConversation
        | AgreementStatus::DueForReview
        | AgreementStatus::NeedsReviewDate => (p.warm, p.warm_soft),
        AgreementStatus::Retired => (p.retired, p.card_stroke),
    }
}

pub(crate) fn show(ui: &mut Ui, s: &mut Session) {
    let Some(view) = s.snap.view.clone() else {
        return;
    };
    widgets::heading(
        ui,
        "Our agreements",
        "An agreement holds when both of you have said yes to the same wording. Every version stays readable.",
    );
    if s.ended().is_none() {
        propose(ui, s);
    }
    if view.agreements.is_empty() {
        widgets::empty_state(
            ui,
            "No agreements yet",
            "Agreements are the explicit, shared rules you choose together after a rupture — how you talk, what openness means to you — written down so neither of you has to guess.",
        );
        return;
    }
    let mut categories: Vec<Category> = Category::ALL.to_vec();
    for a in &view.agreements {
        if !categories.contains(&a.category) {
            categories.push(a.category.clone());
        }
    }
    for category in categories {
        let items: Vec<&AgreementView> = view
            .agreements
            .iter()
            .map(|a| &**a)
            .filter(|a| a.category == category)
            .collect();
        if items.is_empty() {
            continue;
        }
        let (active, retired): (Vec<&AgreementView>, Vec<&AgreementView>) = items
            .into_iter()
            .partition(|a| a.status != AgreementStatus::Retired);
        ui.add_space(8.0);
        ui.label(
            RichText::new(category.label())
                .size(crate::theme::pt(ui, 18.0))
                .strong(),
        );
        let key = category.as_str().to_string();
        let limit = *s.t.agreements_shown.get(&key).unwrap_or(&12);
        for a in active.iter().take(limit) {
            agreement_card(ui, s, &view, a);
        }
        if active.len() > limit
            && ui
                .button(format!(
                    "Show {} more in {}",
                    active.len() - limit,
                    category.label()
                ))
                .clicked()
        {
            s.t.agreements_shown.insert(key.clone(), limit + 20);
        }
        if !retired.is_empty() {
            egui::CollapsingHeader::new(format!("Retired ({})", retired.len()))
                .id_salt(("retired", &key))
                .show(ui, |ui| {
                    for a in retired {
                        agreement_card(ui, s, &view, a);
                    }
                });
        }
    }
}

fn propose(ui: &mut Ui, s: &mut Session) {
    if !s.drafts.proposal.open {
        if ui.button("+ Propose an agreement").clicked() {
            s.drafts.proposal.open = true;
        }
        return;
    }
    let busy = s.busy(&FormKey::Proposal);
    widgets::card(ui, |ui| {
        ui.label(
            RichText::new("Propose an agreement")
                .size(crate::theme::pt(ui, 18.0))
                .strong(),
        );
        ui.horizontal(|ui| {
            let l = ui.label("Start from an example:");
            egui::ComboBox::from_id_salt("template")
                .selected_text("choose…")
                .show_ui(ui, |ui| {
                    for t in crate::assets::templates() {
                        if ui
                            .selectable_label(
                                false,
                                format!("{} — {}", t.category.label(), t.title),
                            )
                            .clicked()
                        {
                            let f = &mut s.drafts.proposal;
                            f.title = t.title;
                            f.category = t.category.as_str().to_string();
                            f.wording = t.wording;
                            f.if_crossed = t.if_crossed;
                        }
                    }
                })
                .response
                .labelled_by(l.id);
        });
        let f = &mut s.drafts.proposal;
        widgets::field(ui, "Title", &mut f.title, "Phones at dinner");
        let category = Category::parse(&f.category).unwrap_or(Category::Communication);
        ui.horizontal(|ui| {
            let l = ui.label(RichText::new("Category").strong());
            egui::ComboBox::from_id_salt("category")
                .selected_text(category.label())
                .show_ui(ui, |ui| {
                    for c in Category::ALL {
                        if ui.selectable_label(*c == category, c.label()).clicked() {
                            f.category = c.as_str().to_string();
                        }
                    }
                })
                .response
                .labelled_by(l.id);
        });
        widgets::area(
            ui,
            "Wording",
            &mut f.wording,
            "What we both agree to, in plain words",
            3,
        );
        widgets::area(
            ui,
            "If it is crossed (optional)",
            &mut f.if_crossed,
            "What we do if one of us crosses it",
            2,
        );
        widgets::date_field(
            ui,
            "Review on (optional)",
            &mut f.review_on,
            "proposal-review",
        );
        let date = widgets::typed_date(&f.review_on);
        if category == Category::Transparency {
            widgets::note(
                ui,
                "Transparency & privacy agreements are revisited: give this one a review date.",
            );
        }
        let ready = !f.title.trim().is_empty() && !f.wording.trim().is_empty() && date.is_ok();
        let mut send = false;
        ui.horizontal(|ui| {
            send = widgets::primary(ui, "Propose", ready, busy).clicked();
            widgets::still_needed(
                ui,
                &[
                    (!f.title.trim().is_empty(), "a title"),
                    (!f.wording.trim().is_empty(), "the wording"),
                    (date.is_ok(), "the review date as YYYY-MM-DD"),
                ],
            );
            if ui
                .button("Close the form")
                .on_hover_text("What you typed is kept")
                .clicked()
            {
                f.open = false;
            }
        });
        send |= ready && !busy && s.submitted_in(ui, ui.min_rect().top());
        if send {
            let f = &s.drafts.proposal;
            let draft = AgreementDraft {
                title: f.title.trim().to_string(),
                category,
                wording: f.wording.trim().to_string(),
                if_crossed: Some(f.if_crossed.trim().to_string()).filter(|t| !t.is_empty()),
                review_on: date.ok().flatten(),
            };
            s.act(Action::ProposeAgreement(draft), FormKey::Proposal);
        }
        s.form_problems(ui, &FormKey::Proposal);
    });
}

fn agreement_card(ui: &mut Ui, s: &mut Session, view: &View, a: &AgreementView) {
    let p = palette(ui);
    let partner = view.partner.name.clone();
    widgets::card(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(&a.title)
                    .size(crate::theme::pt(ui, 17.0))
                    .strong(),
            );
            let (fg, bg) = status_colors(&p, a.status);
            widgets::badge(ui, a.status.label(), fg, bg);
        });
        if a.status == AgreementStatus::NeedsConversation {
            super::conflict::show(ui, s, view, a);
            history(ui, view, a);
            return;
        }
        // While a change waits, the wording both said yes to keeps holding, and comes first.
        let held = a
            .holding
            .as_deref()
            .and_then(|h| a.revision(h))
            .filter(|_| a.status == AgreementStatus::ChangeProposed);
        if let Some(held) = held {
            widgets::note(ui, "In force now — the wording you both said yes to:");
            ui.label(RichText::new(&held.wording).size(crate::theme::pt(ui, 16.0)));
            if let Some(c) = &held.if_crossed {
                ui.label(RichText::new(format!("If it is crossed: {c}")).color(p.muted));
            }
            ui.add_space(6.0);
            widgets::note(ui, "The proposed change:");
        }
        if let Some(rev) = a.current_revision() {
            ui.label(RichText::new(&rev.wording).size(crate::theme::pt(ui, 16.0)));
            if let Some(c) = &rev.if_crossed {
                ui.label(RichText::new(format!("If it is crossed: {c}")).color(p.muted));
            }
            let mut facts = vec![format!(
                "Wording by {}, {}",
                widgets::name_of(view, rev.author),
                crate::clock::when(rev.at)
            )];
            if let Some(r) = &a.review_on {
                // The review date is on the calendar of whoever wrote the current wording.
                facts.push(format!(
                    "review on {}",
                    crate::clock::date_of(view, r, rev.author)
                ));
            }
            widgets::note(ui, &facts.join(" · "));
        }
        match a.status {
            AgreementStatus::Proposed | AgreementStatus::ChangeProposed => {
                let waiting: Vec<String> = a
                    .waiting_for
                    .iter()
                    .map(|w| match w {
                        Who::Me => "your yes".to_string(),
                        Who::Partner => format!("{partner}'s yes"),
                    })
                    .collect();
                ui.label(
                    RichText::new(format!("Waiting for {}", waiting.join(" and ")))
                        .color(p.calm_blue),
                );
            }
            AgreementStatus::Retired => {
                widgets::note(
                    ui,
                    "Retired by both of you. Every version stays readable below.",
                );
            }
            _ => {}
        }
        let retired = a.status == AgreementStatus::Retired;
        ui.horizontal_wrapped(|ui| {
            let accept_key = FormKey::Other(format!("accept:{}", a.id));
            if a.waiting_for.contains(&Who::Me)
                && let Some(rev) = a.current_revision()
                && widgets::primary(ui, "Say yes to this wording", true, s.busy(&accept_key))
                    .clicked()
            {
                s.act(
                    Action::AcceptAgreement {
                        agreement: a.id.clone(),
                        revision: Some(rev.id.clone()),
                    },
                    accept_key,
                );
            }
            if !retired {
                let form = s.drafts.revisions.entry(a.id.clone()).or_default();
                if !form.open && ui.button("Revise").clicked() {
                    form.open = true;
                    if form.wording.is_empty()
                        && let Some(rev) = a.current_revision()
                    {
                        form.wording = rev.wording.clone();
                        form.if_crossed = rev.if_crossed.clone().unwrap_or_default();
                    }
                }
                let retire_key = FormKey::Other(format!("retire:{}", a.id));
                if a.retire_requested_by.contains(&Who::Me) {
                    widgets::note(
                        ui,
                        &format!("You asked to retire it; it is retired when {partner} agrees."),
                    );
                } else {
                    let label = if a.retire_requested_by.contains(&Who::Partner) {
                        "Retire it too"
                    } else {
                        "Ask to retire"
                    };
                    if ui
                        .add_enabled(!s.busy(&retire_key), egui::Button::new(label))
                        .on_hover_text("Retired when both of you ask; it stays readable")
                        .clicked()
                    {
                        s.act(
                            Action::RetireAgreement {
                                agreement: a.id.clone(),
                                note: None,
                            },
                            retire_key,
                        );
                    }
                }
            }
        });
        if s.drafts.revisions.get(&a.id).is_some_and(|f| f.open) {
            super::revise::revise_form(ui, s, a, false);
        } else if s
            .drafts
            .revisions
            .get(&a.id)
            .is_some_and(|f| *f == RevisionForm::default())
        {
            s.drafts.revisions.remove(&a.id);
        }
        history(ui, view, a);
    });
}

/// Every version, oldest first, with who wrote it.
fn history(ui: &mut Ui, view: &View, a: &AgreementView) {
    let p = palette(ui);
    egui::CollapsingHeader::new(format!("Every version ({})", a.revisions.len()))
        .id_salt(("versions", &a.id))
        .show(ui, |ui| {
            for (i, r) in a.revisions.iter().enumerate() {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(format!("Version {}", i + 1)).strong());
                    widgets::note(
                        ui,
                        &format!(
                            "by {}, {}{}",
                            widgets::name_of(view, r.author),
                            crate::clock::when(r.at),
                            if r.current { " · current" } else { "" }
                        ),
                    );
                });
                ui.label(&r.wording);
                if let Some(c) = &r.if_crossed {
                    ui.label(RichText::new(format!("If it is crossed: {c}")).color(p.muted));
                }
                ui.add_space(4.0);
            }
        });
}
