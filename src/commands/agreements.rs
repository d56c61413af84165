//! `trellis agreement …`

use anyhow::{Result, anyhow};
use trellis_core::schema::Category;
use trellis_core::view::{AgreementStatus, AgreementView, View, Who};
use trellis_core::{Action, AgreementDraft, RevisionDraft, id};

use super::act;
use crate::cli::AgreementCommand;
use crate::context::{Context, now};
use crate::render::{self, when};

pub fn run(ctx: &Context, command: AgreementCommand) -> Result<()> {
    let reading = matches!(
        command,
        AgreementCommand::List { .. } | AgreementCommand::Show { .. }
    );
    let mut profile = if reading { ctx.read()? } else { ctx.open()? };
    match command {
        AgreementCommand::Propose {
            title,
            category,
            wording,
            if_crossed,
            review_on,
        } => {
            let category = Category::parse(&category).ok_or_else(|| {
                anyhow!(
                    "“{category}” is not a category; choose one of: {}",
                    Category::choices()
                )
            })?;
            act(
                ctx,
                &mut profile,
                Action::ProposeAgreement(AgreementDraft {
                    title,
                    category,
                    wording,
                    if_crossed,
                    review_on,
                }),
            )
        }
        AgreementCommand::Accept { id, revision } => act(
            ctx,
            &mut profile,
            Action::AcceptAgreement {
                agreement: id,
                revision,
            },
        ),
        AgreementCommand::Revise {
            id,
            wording,
            if_crossed,
            review_on,
            from,
        } => act(
            ctx,
            &mut profile,
            Action::ReviseAgreement {
                agreement: id,
                draft: RevisionDraft {
                    wording,
                    if_crossed,
                    review_on,
                    from,
                },
            },
        ),
        AgreementCommand::Retire { id, note } => act(
            ctx,
            &mut profile,
            Action::RetireAgreement {
                agreement: id,
                note,
            },
        ),
        AgreementCommand::List { all } => {
            let view = profile
                .view(now())
                .ok_or(trellis_store::StoreError::NoCouple)?;
            let items: Vec<&AgreementView> = view
                .agreements
                .iter()
                .map(|a| &**a)
                .filter(|a| all || a.status != AgreementStatus::Retired)
                .collect();
            ctx.emit(&items, || list_text(&view, &items))
        }
        AgreementCommand::Show { id } => {
            let view = profile
                .view(now())
                .ok_or(trellis_store::StoreError::NoCouple)?;
            let full = id::resolve(view.agreements.iter().map(|a| &a.id), &id, "agreement")?;
            let a = view
                .agreement(&full)
                .ok_or_else(|| anyhow!("no agreement {id}"))?;
            ctx.emit(a, || show_text(&view, a))
        }
    }
}

fn list_text(view: &View, items: &[&AgreementView]) -> String {
    if items.is_empty() {
        return "No agreements yet. An agreement is something you both say yes to, in words you both can hold:\n  trellis agreement propose --title … --category … --wording …".into();
    }
    let mut out = Vec::new();
    for a in items {
        let waiting = if matches!(
            a.status,
            AgreementStatus::Proposed | AgreementStatus::ChangeProposed
        ) {
            let names: Vec<&str> = a
                .waiting_for
                .iter()
                .map(|w| match w {
                    Who::Me => "you",
                    Who::Partner => view.partner.name.as_str(),
                })
                .collect();
            format!(" (waiting for {})", names.join(" and "))
        } else {
            String::new()
        };
        out.push(format!(
            "{}  {:<22} {:<24} {}{waiting}",
            render::id(&a.id),
            a.status.label(),
            a.category.label(),
            a.title
        ));
    }
    out.join("\n")
}

fn show_text(view: &View, a: &AgreementView) -> String {
    let mut out = vec![
        format!("{} — {}", a.title, a.category.label()),
        format!(
            "Status: {}{}",
            a.status.label(),
            a.review_on
                .as_ref()
                .map(|d| {
                    // The date is the calendar day of whoever wrote the current wording.
                    let set_by = a.current_revision().map_or(Who::Me, |r| r.author);
                    format!(" (review on {})", view.date_of(d, set_by))
                })
                .unwrap_or_default()
        ),
        format!(
            "Proposed by {} on {}",
            render::who(view, a.proposed_by),
            when(a.at)
        ),
    ];
    if a.status == AgreementStatus::NeedsConversation {
        out.push(
            "Two wordings grew apart while you were apart. Read both, talk about it together, then settle with\n  `trellis agreement revise ID --from REVISION` (or new --wording).".into(),
        );
    }
    let consent = |w: Who, rev: &Option<String>| match rev {
        Some(r) if a.current.contains(r) => {
            format!("{} said yes to the current wording", render::who(view, w))
        }
        Some(r) => format!(
            "{} said yes to an earlier wording ({})",
            render::who(view, w),
            render::id(r)
        ),
        None => format!("{} has not said yes yet", render::who(view, w)),
    };
    out.push(consent(Who::Me, &a.my_consent));
    out.push(consent(Who::Partner, &a.partner_consent));
    for w in &a.retire_requested_by {
        out.push(format!("{} asked to retire it", render::who(view, *w)));
    }
    out.push(String::new());
    out.push("Every version, oldest first:".into());
    for r in &a.revisions {
        out.push(format!(
            "- {} by {} on {}{}",
            render::id(&r.id),
            render::who(view, r.author),
            when(r.at),
            if r.current { " — current" } else { "" }
        ));
        out.push(format!("    {}", render::indent(&r.wording, "    ")));
        if let Some(x) = &r.if_crossed {
            out.push(format!("    If it is crossed: {x}"));
        }
        if let Some(d) = &r.review_on {
            out.push(format!("    Review on {}", view.date_of(d, r.author)));
        }
    }
    out.join("\n")
}
