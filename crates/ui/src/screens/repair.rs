//! Repair: what happened and how it landed → acknowledgement and regret → concrete
//! commitments, then the follow-through log. Closing needs both.

use egui::{RichText, Ui};
use trellis_core::schema::{Cadence, Outcome};
use trellis_core::view::{CommitmentView, RepairView};
use trellis_core::{Action, View, Who};

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
        "Repair after a hurt",
        "Name what happened, hear it acknowledged, then keep small promises over time.",
    );
    if s.ended().is_none() {
        open_form(ui, s, &view);
    }
    if view.repairs.is_empty() {
        widgets::empty_state(
            ui,
            "No repairs",
            "A repair gives a hurt a shape: the one who was hurt says what happened and how it landed, the other acknowledges it without excuses, and both keep track of the promises that follow.",
        );
        return;
    }
    let (open, closed): (Vec<&RepairView>, Vec<&RepairView>) =
        view.repairs.iter().map(|r| &**r).partition(|r| !r.closed);
    let limit = s.t.repairs_shown;
    for r in open.iter().take(limit) {
        repair_card(ui, s, &view, r);
    }
    if open.len() > limit
        && ui
            .button(format!(
                "Show {} more repairs in progress",
                open.len() - limit
            ))
            .clicked()
    {
        s.t.repairs_shown += 10;
    }
    if !closed.is_empty() {
        egui::CollapsingHeader::new(format!("Closed repairs ({})", closed.len()))
            .id_salt("closed-repairs")
            .show(ui, |ui| {
                for r in closed {
                    repair_card(ui, s, &view, r);
                }
            });
    }
}

fn open_form(ui: &mut Ui, s: &mut Session, view: &View) {
    if !s.drafts.repair.open {
        if ui
            .button("+ Open a repair")
            .on_hover_text("For the one who was hurt: say what happened and how it landed")
            .clicked()
        {
            s.drafts.repair.open = true;
        }
        return;
    }
    let key = FormKey::Repair;
    let busy = s.busy(&key);
    widgets::card(ui, |ui| {
        ui.label(
            RichText::new("Open a repair")
                .size(crate::theme::pt(ui, 18.0))
                .strong(),
        );
        widgets::note(
            ui,
            &format!(
                "Step 1 of 3 — you say what happened and how it landed. {} then acknowledges it in their own words, and commitments follow.",
                view.partner.name
            ),
        );
        let f = &mut s.drafts.repair;
        widgets::area(
            ui,
            "What happened",
            &mut f.what_happened,
            "the facts, as you saw them",
            3,
        );
        widgets::area(
            ui,
            "How it landed for me",
            &mut f.how_it_landed,
            "I felt …",
            3,
        );
        let ready = !f.what_happened.trim().is_empty() && !f.how_it_landed.trim().is_empty();
        let mut send = false;
        ui.horizontal(|ui| {
            send = widgets::primary(ui, "Open this repair", ready, busy).clicked();
            widgets::still_needed(
                ui,
                &[
                    (!f.what_happened.trim().is_empty(), "what happened"),
                    (!f.how_it_landed.trim().is_empty(), "how it landed"),
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
        let action = Action::OpenRepair {
            what_happened: f.what_happened.trim().to_string(),
            how_it_landed: f.how_it_landed.trim().to_string(),
        };
        send |= ready && !busy && s.submitted_in(ui, ui.min_rect().top());
        s.form_problems(ui, &key);
        if send {
            s.act(action, key);
        }
    });
}

fn repair_card(ui: &mut Ui, s: &mut Session, view: &View, r: &RepairView) {
    let p = palette(ui);
    let partner = view.partner.name.clone();
    widgets::card(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!("Opened by {}", widgets::name_of(view, r.opened_by)))
                    .strong(),
            );
            widgets::note(ui, &crate::clock::date_of(view, &r.date, r.opened_by));
            if r.closed {
                widgets::badge(ui, "closed", p.retired, p.card_stroke);
            } else {
                widgets::badge(ui, "in progress", p.warm, p.warm_soft);
            }
        });
        ui.label(RichText::new("What happened").color(p.muted));
        ui.label(&r.what_happened);
        ui.label(RichText::new("How it landed").color(p.muted));
        ui.label(&r.how_it_landed);
        ui.add_space(4.0);
        match &r.acknowledgement {
            Some(ack) => {
                widgets::tinted(ui, p.accent_soft, |ui| {
                    let who = widgets::name_of(view, other(r.opened_by));
                    ui.label(RichText::new(format!("{who} acknowledged it")).strong());
                    ui.label(&ack.acknowledgement);
                    ui.label(RichText::new(format!("Regret: {}", ack.regret)).italics());
                });
            }
            None if r.opened_by == Who::Partner && !r.closed => {
                acknowledge_form(ui, s, r, &partner)
            }
            None => {
                widgets::note(
                    ui,
                    &format!("Waiting for {partner} to acknowledge it, in their own time."),
                );
            }
        }
        if r.acknowledgement.is_some() || !r.commitments.is_empty() {
            ui.add_space(4.0);
            ui.label(RichText::new("Commitments").strong());
            if r.commitments.is_empty() {
                widgets::note(
                    ui,
                    "No commitments yet: small, concrete steps, each with a rhythm.",
                );
            }
            for c in &r.commitments {
                commitment(ui, s, view, c);
            }
            if !r.closed {
                commit_form(ui, s, r);
            }
        }
        // "Complete" is offered once the hurt has been acknowledged, not before.
        if !r.closed && r.acknowledgement.is_some() {
            closing(ui, s, r, &partner);
        }
    });
}

fn other(who: Who) -> Who {
    match who {
        Who::Me => Who::Partner,
        Who::Partner => Who::Me,
    }
}

fn acknowledge_form(ui: &mut Ui, s: &mut Session, r: &RepairView, partner: &str) {
    let key = FormKey::Acknowledgement(r.id.clone());
    let busy = s.busy(&key);
    widgets::tinted(ui, palette(ui).warm_soft, |ui| {
        ui.label(RichText::new("Step 2 of 3 — acknowledge it").strong());
        widgets::note(
            ui,
            &format!(
                "In your own words, what happened and how it affected {partner} — without excuses. Then what you regret."
            ),
        );
        let f = s.drafts.acknowledgements.entry(r.id.clone()).or_default();
        widgets::area(ui, "I understand that…", &mut f.acknowledgement, "", 3);
        widgets::area(ui, "I regret…", &mut f.regret, "", 2);
        let ready = !f.acknowledgement.trim().is_empty() && !f.regret.trim().is_empty();
        let (acknowledgement, regret) = (
            f.acknowledgement.trim().to_string(),
            f.regret.trim().to_string(),
        );
        if widgets::primary(ui, "Acknowledge", ready, busy).clicked()
            || (ready && !busy && s.submitted_in(ui, ui.min_rect().top()))
        {
            s.act(
                Action::AcknowledgeRepair {
                    repair: r.id.clone(),
                    acknowledgement,
                    regret,
                },
                key,
            );
        }
    });
}

fn commitment(ui: &mut Ui, s: &mut Session, view: &View, c: &CommitmentView) {
    let p = palette(ui);
    egui::Frame::new()
        .stroke(egui::Stroke::new(1.0, p.card_stroke))
        .corner_radius(egui::CornerRadius::same(10))
        .inner_margin(egui::Margin::same(10))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(&c.wording).strong());
                let mut facts = vec![format!("{}'s commitment", widgets::name_of(view, c.owner))];
                if let Some(cad) = &c.cadence {
                    facts.push(cad.label().to_lowercase());
                }
                if let Some(d) = &c.due {
                    // The owner's calendar day: "by Friday" is Friday where they live.
                    facts.push(format!("by {}", crate::clock::date_of(view, d, c.owner)));
                }
                widgets::note(ui, &facts.join(" · ").replace("You's", "Your"));
            });
            for rep in &c.reports {
                ui.horizontal_wrapped(|ui| {
                    ui.label(format!(
                        "{} — {}",
                        crate::clock::date_of(view, &rep.date, c.owner),
                        rep.outcome.label()
                    ));
                    if let Some(n) = &rep.note {
                        ui.label(RichText::new(n).italics());
                    }
                    match &rep.acknowledged {
                        Some((note, _)) => {
                            let who = widgets::name_of(view, other(c.owner));
                            let seen = match note {
                                Some(n) => format!("{who} saw it: {n}"),
                                None => format!("{who} saw it"),
                            };
                            ui.label(RichText::new(seen).color(p.accent));
                        }
                        None if c.owner == Who::Partner => ack_report(ui, s, &rep.id),
                        None => {
                            widgets::note(ui, "not acknowledged yet");
                        }
                    }
                });
            }
            if c.owner == Who::Me && c.open {
                report_form(ui, s, c);
            }
        });
}

fn ack_report(ui: &mut Ui, s: &mut Session, report: &str) {
    let key = FormKey::ReportAck(report.to_string());
    let busy = s.busy(&key);
    let note = s.drafts.report_acks.entry(report.to_string()).or_default();
    let l = ui.label("A word back (optional)");
    ui.add(
        egui::TextEdit::singleline(note)
            .id_salt(("ack-note", report))
            .desired_width(widgets::field_width_before_button(ui, 100.0, 200.0)),
    )
    .labelled_by(l.id);
    let note = Some(note.trim().to_string()).filter(|n| !n.is_empty());
    if ui
        .add_enabled(!busy, egui::Button::new("I saw it"))
        .on_hover_text("Acknowledge this follow-through")
        .clicked()
    {
        s.act(
            Action::AcknowledgeReport {
                report: report.to_string(),
                note,
            },
            key,
        );
    }
}

fn report_form(ui: &mut Ui, s: &mut Session, c: &CommitmentView) {
    let key = FormKey::Report(c.id.clone());
    let busy = s.busy(&key);
    let f = s.drafts.reports.entry(c.id.clone()).or_default();
    let outcome = Outcome::parse(&f.outcome).unwrap_or_default();
    ui.horizontal_wrapped(|ui| {
        ui.label(if c.due_now {
            "How did it go? (a note would be timely)"
        } else {
            "How did it go?"
        });
        for o in Outcome::ALL {
            if ui.radio(outcome == *o, o.label()).clicked() {
                f.outcome = o.as_str().to_string();
            }
        }
    });
    let (clicked, r) = ui
        .horizontal_wrapped(|ui| {
            let l = ui.label("Note");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut f.note)
                        .id_salt(("report-note", &c.id))
                        .hint_text("what you did, in a line")
                        .desired_width(widgets::field_width_before_button(ui, 120.0, 320.0)),
                )
                .labelled_by(l.id);
            let clicked = ui
                .add_enabled(!busy, egui::Button::new("Add to the log"))
                .clicked();
            (clicked, r)
        })
        .inner;
    let note = f.note.trim().to_string();
    let send = clicked || (!busy && s.submitted(&[&r]));
    if send {
        s.act(
            Action::ReportFollowThrough {
                commitment: c.id.clone(),
                outcome,
                note: Some(note).filter(|n| !n.is_empty()),
                date: None,
            },
            key,
        );
    }
}

fn commit_form(ui: &mut Ui, s: &mut Session, r: &RepairView) {
    if !s.t.commitment_open.contains(&r.id) && !s.drafts.commitments.contains_key(&r.id) {
        if ui.button("+ Add a commitment of mine").clicked() {
            s.t.commitment_open.insert(r.id.clone());
            s.drafts.commitments.entry(r.id.clone()).or_default();
        }
        return;
    }
    let key = FormKey::Commitment(r.id.clone());
    let busy = s.busy(&key);
    let top = ui.cursor().top();
    ui.label(RichText::new("Step 3 — a concrete commitment").strong());
    let f = s.drafts.commitments.entry(r.id.clone()).or_default();
    widgets::field(
        ui,
        "I commit to…",
        &mut f.wording,
        "ask before I look at your phone",
    );
    let cadence = Cadence::parse(&f.cadence).unwrap_or(Cadence::Weekly);
    ui.horizontal_wrapped(|ui| {
        ui.label("How often");
        for c in Cadence::ALL {
            if ui.radio(cadence == *c, c.label()).clicked() {
                f.cadence = c.as_str().to_string();
            }
        }
    });
    let salt = format!("commitment-due-{}", r.id);
    widgets::date_field(ui, "Or by a date (optional)", &mut f.due, &salt);
    let due = crate::widgets::typed_date(&f.due);
    let ready = !f.wording.trim().is_empty() && due.is_ok();
    let wording = f.wording.trim().to_string();
    let mut send = false;
    let mut close = false;
    ui.horizontal(|ui| {
        send = widgets::primary(ui, "Commit", ready, busy).clicked();
        widgets::still_needed(
            ui,
            &[
                (!f.wording.trim().is_empty(), "what you commit to"),
                (due.is_ok(), "the date as YYYY-MM-DD"),
            ],
        );
        close = ui.button("Not now").clicked();
    });
    send |= ready && !busy && s.submitted_in(ui, top);
    s.form_problems(ui, &key);
    if close {
        s.t.commitment_open.remove(&r.id);
        if s.drafts
            .commitments
            .get(&r.id)
            .is_some_and(|f| f.wording.trim().is_empty())
        {
            s.drafts.commitments.remove(&r.id);
        }
    }
    if send {
        let due = due.ok().flatten();
        s.act(
            Action::AddCommitment {
                repair: r.id.clone(),
                wording,
                cadence: if due.is_some() { None } else { Some(cadence) },
                due,
            },
            key,
        );
        s.t.commitment_open.remove(&r.id);
    }
}

fn closing(ui: &mut Ui, s: &mut Session, r: &RepairView, partner: &str) {
    let key = FormKey::Other(format!("close:{}", r.id));
    let busy = s.busy(&key);
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        if r.closed_by.contains(&Who::Me) {
            widgets::note(
                ui,
                &format!(
                    "You feel this repair is complete. It closes when {partner} feels so too."
                ),
            );
            if ui
                .add_enabled(!busy, egui::Button::new("Take that back"))
                .on_hover_text("Until both of you say it, “complete” can be taken back")
                .clicked()
            {
                s.act(
                    Action::ReopenRepair {
                        repair: r.id.clone(),
                    },
                    key,
                );
            }
        } else {
            if r.closed_by.contains(&Who::Partner) {
                ui.label(format!("{partner} feels this repair is complete."));
            }
            if ui
                .add_enabled(!busy, egui::Button::new("This feels complete to me"))
                .on_hover_text("A repair is closed only when both of you say so")
                .clicked()
            {
                s.act(
                    Action::CloseRepair {
                        repair: r.id.clone(),
                        note: None,
                    },
                    key,
                );
            }
        }
    });
}
