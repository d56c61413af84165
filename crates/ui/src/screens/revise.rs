//! The form that revises an agreement's wording, or settles versions written at once: the
//! agreements screen and the conversation screen both show it.

use egui::Ui;
use trellis_core::view::AgreementView;
use trellis_core::{Action, RevisionDraft};

use crate::drafts::FormKey;
use crate::session::Session;
use crate::widgets;

/// A new wording for `a` (after a conversation, `settling` a conflict).
pub(crate) fn revise_form(ui: &mut Ui, s: &mut Session, a: &AgreementView, settling: bool) {
    let key = FormKey::Revision(a.id.clone());
    let busy = s.busy(&key);
    let Some(f) = s.drafts.revisions.get_mut(&a.id) else {
        return;
    };
    let top = ui.cursor().top();
    ui.separator();
    if f.versions_seen == 0 {
        f.versions_seen = a.revisions.len();
    }
    if a.revisions.len() > f.versions_seen {
        let partner = s.snap.view.as_ref().map(|v| v.partner.name.clone());
        let partner = partner.unwrap_or_else(|| "Your partner".into());
        let p = crate::theme::palette(ui);
        let mut read = false;
        widgets::tinted(ui, p.private_soft, |ui| {
            ui.label(format!(
                "{partner} wrote a new version of this agreement while you were writing. Your \
                 words are kept here; read theirs above before you save."
            ));
            read = ui.button("I have read it").clicked();
        });
        if read {
            f.versions_seen = a.revisions.len();
        }
    }
    let label = if settling {
        "The wording you settled on together"
    } else {
        "New wording"
    };
    widgets::area(ui, label, &mut f.wording, "", 3);
    widgets::area(ui, "If it is crossed (optional)", &mut f.if_crossed, "", 2);
    let salt = format!("revision-review-{}", a.id);
    widgets::date_field(ui, "Review on (optional)", &mut f.review_on, &salt);
    let date = widgets::typed_date(&f.review_on);
    let ready = !f.wording.trim().is_empty() && date.is_ok();
    let mut send = false;
    ui.horizontal(|ui| {
        let text = if settling {
            "Save the settled wording"
        } else {
            "Save this revision"
        };
        send = widgets::primary(ui, text, ready, busy).clicked();
        widgets::still_needed(
            ui,
            &[
                (!f.wording.trim().is_empty(), "the wording"),
                (date.is_ok(), "the review date as YYYY-MM-DD"),
            ],
        );
        if ui
            .button("Close")
            .on_hover_text("What you typed is kept")
            .clicked()
        {
            f.open = false;
        }
    });
    widgets::note(
        ui,
        "Saving it counts as your yes; it is in force once your partner says yes too.",
    );
    send |= ready && !busy && s.submitted_in(ui, top);
    s.form_problems(ui, &key);
    if send {
        let f = &s.drafts.revisions[&a.id];
        let draft = RevisionDraft {
            wording: Some(f.wording.trim().to_string()),
            if_crossed: Some(f.if_crossed.trim().to_string()),
            review_on: date.ok().flatten(),
            from: None,
        };
        s.act(
            Action::ReviseAgreement {
                agreement: a.id.clone(),
                draft,
            },
            key,
        );
    }
}
