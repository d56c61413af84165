//! Two wordings grew from the same one while apart: both shown side by side, and a way to
//! settle on one together. Nothing is ever silently dropped.

use egui::{RichText, Ui};
use trellis_core::view::AgreementView;
use trellis_core::{Action, RevisionDraft, View, Who};

use crate::drafts::FormKey;
use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

pub(crate) fn show(ui: &mut Ui, s: &mut Session, view: &View, a: &AgreementView) {
    let p = palette(ui);
    widgets::tinted(ui, p.warm_soft, |ui| {
        ui.label(
            RichText::new("Talk about it together")
                .strong()
                .color(p.warm),
        );
        ui.label("You each changed this agreement while apart, so there are two versions. Nothing was dropped: read both side by side, talk, then keep one or write the wording you settle on.");
    });
    let versions: Vec<_> = a.current.iter().filter_map(|id| a.revision(id)).collect();
    let key = FormKey::Other(format!("settle:{}", a.id));
    let busy = s.busy(&key);
    ui.columns(versions.len().max(1), |cols| {
        for (col, rev) in cols.iter_mut().zip(&versions) {
            widgets::card(col, |ui| {
                let whose = match rev.author {
                    Who::Me => "Your version".to_string(),
                    Who::Partner => format!("{}'s version", view.partner.name),
                };
                ui.label(RichText::new(whose).strong());
                ui.label(RichText::new(&rev.wording).size(crate::theme::pt(ui, 16.0)));
                if let Some(c) = &rev.if_crossed {
                    ui.label(RichText::new(format!("If it is crossed: {c}")).color(p.muted));
                }
                widgets::note(ui, &crate::clock::when(rev.at));
                let keep = match rev.author {
                    Who::Me => "Keep my wording".to_string(),
                    Who::Partner => format!("Keep {}'s wording", view.partner.name),
                };
                // The partner already said yes to their own words: keeping them settles it
                // at once; keeping mine waits for their yes.
                let hover = match rev.author {
                    Who::Partner => format!(
                        "After talking it over: settle on this version. {} already said yes to it, so it is in force at once.",
                        view.partner.name
                    ),
                    Who::Me => format!(
                        "After talking it over: settle on this version. It is in force once {} says yes to it.",
                        view.partner.name
                    ),
                };
                if ui
                    .add_enabled(!busy, egui::Button::new(keep))
                    .on_hover_text(hover)
                    .clicked()
                {
                    s.act(
                        Action::ReviseAgreement {
                            agreement: a.id.clone(),
                            draft: RevisionDraft {
                                from: Some(rev.id.clone()),
                                ..RevisionDraft::default()
                            },
                        },
                        key.clone(),
                    );
                }
            });
        }
    });
    let form = s.drafts.revisions.entry(a.id.clone()).or_default();
    if !form.open {
        if ui.button("Write the wording we settled on").clicked() {
            form.open = true;
        }
    } else {
        super::revise::revise_form(ui, s, a, true);
    }
}
