//! Check-ins, repairs, commitments and time-outs.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use trellis_core::schema::{Cadence, Need, Outcome, ResponseMode};
use trellis_core::time::Zone;
use trellis_core::view::{CheckInView, RepairView, View, Who, fold_rule};
use trellis_core::{Action, CheckInDraft, Moment};
use trellis_store::StoreError;

use super::act;
use crate::cli::{CheckInArgs, CheckInCommand, CommitmentCommand, RepairCommand};
use crate::context::{Context, now};
use crate::render::{self, LocalZone, clock, when};

/// Scales are checked by the core (1–10); anything larger than a byte is out of range anyway.
fn scale(v: Option<u32>) -> Option<u8> {
    v.map(|v| u8::try_from(v).unwrap_or(u8::MAX))
}

pub fn checkin(ctx: &Context, command: CheckInCommand) -> Result<()> {
    let reading = matches!(command, CheckInCommand::List { .. });
    let mut profile = if reading { ctx.read()? } else { ctx.open()? };
    match command {
        CheckInCommand::Add(args) => {
            let draft = draft(args)?;
            act(ctx, &mut profile, Action::AddCheckIn(draft))
        }
        CheckInCommand::Reply { id, text } => act(
            ctx,
            &mut profile,
            Action::ReplyToCheckIn { checkin: id, text },
        ),
        CheckInCommand::List { limit, unfold } => {
            let view = profile.view(now()).ok_or(StoreError::NoCouple)?;
            let items: Vec<CheckInView> = view
                .checkins
                .iter()
                .take(limit)
                .map(|c| {
                    let mut c = CheckInView::clone(c);
                    c.folded &= !unfold;
                    c
                })
                .collect();
            ctx.emit(&items, || checkins_text(&view, &items))
        }
    }
}

fn draft(args: CheckInArgs) -> Result<CheckInDraft> {
    let need =
        match &args.need {
            None => None,
            Some(n) => Some(Need::parse(n).ok_or_else(|| {
                anyhow!("“{n}” is not a need; choose one of: {}", Need::choices())
            })?),
        };
    let response = if args.advise {
        Some(ResponseMode::Advise)
    } else if args.listen {
        Some(ResponseMode::Listen)
    } else {
        None
    };
    Ok(CheckInDraft {
        feel: args.feel,
        when: args.when,
        went_well: args.went_well,
        was_hard: args.was_hard,
        need,
        response,
        safety: scale(args.safety),
        trust: scale(args.trust),
        connection: scale(args.connection),
        date: args.date,
    })
}

fn checkins_text(view: &View, items: &[CheckInView]) -> String {
    if items.is_empty() {
        return "No check-ins yet. A check-in is a short, honest note on how you are:\n  trellis checkin add --feel … --when …".into();
    }
    let mut out = Vec::new();
    for c in items {
        let author = render::who(view, c.author);
        let date = render::record_date(view, &c.date, c.author, c.at);
        if c.folded {
            out.push(format!(
                "{}  {date}  {author} checked in — folded until you write yours. {} It is not a secret: read it anyway with --unfold.",
                render::id(&c.id),
                fold_rule(author)
            ));
            continue;
        }
        out.push(format!(
            "{}  {date}  {author}: {}",
            render::id(&c.id),
            c.lines(|w| render::who(view, w)).join("\n      ")
        ));
    }
    out.join("\n")
}

pub fn repair(ctx: &Context, command: RepairCommand) -> Result<()> {
    let reading = matches!(command, RepairCommand::List);
    let mut profile = if reading { ctx.read()? } else { ctx.open()? };
    match command {
        RepairCommand::Open { what, landed } => act(
            ctx,
            &mut profile,
            Action::OpenRepair {
                what_happened: what,
                how_it_landed: landed,
            },
        ),
        RepairCommand::Acknowledge {
            id,
            acknowledgement,
            regret,
        } => act(
            ctx,
            &mut profile,
            Action::AcknowledgeRepair {
                repair: id,
                acknowledgement,
                regret,
            },
        ),
        RepairCommand::Commit {
            id,
            wording,
            cadence,
            due,
        } => {
            let cadence = match cadence {
                None => None,
                Some(c) => Some(Cadence::parse(&c).ok_or_else(|| {
                    anyhow!(
                        "“{c}” is not a cadence; choose one of: {}",
                        Cadence::choices()
                    )
                })?),
            };
            act(
                ctx,
                &mut profile,
                Action::AddCommitment {
                    repair: id,
                    wording,
                    cadence,
                    due,
                },
            )
        }
        RepairCommand::Close { id, note } => {
            act(ctx, &mut profile, Action::CloseRepair { repair: id, note })
        }
        RepairCommand::Reopen { id } => act(ctx, &mut profile, Action::ReopenRepair { repair: id }),
        RepairCommand::List => {
            let view = profile.view(now()).ok_or(StoreError::NoCouple)?;
            ctx.emit(&view.repairs, || repairs_text(&view, &view.repairs))
        }
    }
}

fn repairs_text(view: &View, repairs: &[Arc<RepairView>]) -> String {
    if repairs.is_empty() {
        return "No repairs. When trust breaks, a repair has a shape: the one who was hurt names what happened\nand how it landed (`trellis repair open`), the other acknowledges it and commits to concrete steps.".into();
    }
    let mut out = Vec::new();
    for r in repairs {
        let state = if r.closed {
            "closed by both".to_string()
        } else if r.closed_by.is_empty() {
            "open".to_string()
        } else {
            format!("{} feels it is complete", render::who(view, r.closed_by[0]))
        };
        out.push(format!(
            "{}  {} — opened by {} ({state})",
            render::id(&r.id),
            view.date_of(&r.date, r.opened_by),
            render::who(view, r.opened_by)
        ));
        out.push(format!("      what happened: {}", r.what_happened));
        out.push(format!("      how it landed: {}", r.how_it_landed));
        match &r.acknowledgement {
            Some(a) => {
                out.push(format!("      acknowledged: {}", a.acknowledgement));
                out.push(format!("      regret: {}", a.regret));
            }
            None => out.push("      not acknowledged yet".into()),
        }
        for c in &r.commitments {
            let rhythm = c
                .cadence
                .as_ref()
                .map(|c| c.label().to_lowercase())
                .or_else(|| {
                    c.due
                        .as_ref()
                        .map(|d| format!("by {}", view.date_of(d, c.owner)))
                })
                .unwrap_or_default();
            out.push(format!(
                "      {}  {} committed ({rhythm}): {}",
                render::id(&c.id),
                render::who(view, c.owner),
                c.wording
            ));
            for rep in &c.reports {
                let ack = match (&rep.acknowledged, c.owner) {
                    (Some(_), Who::Me) => format!(" — {} saw it", view.partner.name),
                    (Some(_), Who::Partner) => " — you acknowledged it".to_string(),
                    (None, _) => String::new(),
                };
                let note = rep
                    .note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default();
                out.push(format!(
                    "          {}  {} {}{note}{ack}",
                    render::id(&rep.id),
                    view.date_of(&rep.date, c.owner),
                    rep.outcome.label().to_lowercase()
                ));
            }
        }
    }
    out.join("\n")
}

pub fn commitment(ctx: &Context, command: CommitmentCommand) -> Result<()> {
    let mut profile = ctx.open()?;
    match command {
        CommitmentCommand::Report {
            id,
            outcome,
            note,
            date,
        } => {
            let outcome = Outcome::parse(&outcome).ok_or_else(|| {
                anyhow!(
                    "“{outcome}” is not an outcome; choose one of: {}",
                    Outcome::choices()
                )
            })?;
            act(
                ctx,
                &mut profile,
                Action::ReportFollowThrough {
                    commitment: id,
                    outcome,
                    note,
                    date,
                },
            )
        }
        CommitmentCommand::Acknowledge { id, note } => act(
            ctx,
            &mut profile,
            Action::AcknowledgeReport { report: id, note },
        ),
    }
}

pub fn timeout(ctx: &Context, minutes: Option<u32>, note: Option<String>, end: bool) -> Result<()> {
    let mut profile = ctx.open()?;
    if end {
        return act(ctx, &mut profile, Action::EndTimeOut);
    }
    let minutes = minutes.ok_or_else(|| anyhow!("say how long the pause lasts: --minutes N"))?;
    // The pause records its author's UTC offset so the partner also hears the return time on
    // this clock. What matters is the offset at the return time, which differs from now's
    // when a daylight-saving change falls inside the pause: the core knows no zone rules, so
    // this side, which does, hands it the offset the return time will have.
    let start = now();
    let back_at = start.plus_minutes(i64::from(minutes)).at_ms;
    let at_return = Moment::new(
        start.at_ms,
        LocalZone.offset_at(back_at).local_minus_utc() / 60,
    );
    let committed = profile.act(&Action::StartTimeOut { minutes, note }, at_return)?;
    let view = profile.view(now()).ok_or(StoreError::NoCouple)?;
    let back = view
        .timeouts
        .iter()
        .find(|t| t.id == committed.record)
        .map(|t| t.back_at)
        .unwrap_or_default();
    #[derive(serde::Serialize)]
    struct Pause {
        id: String,
        back_at: i64,
    }
    ctx.emit(
        &Pause {
            id: committed.record.clone(),
            back_at: back,
        },
        || {
            // The partner reads this return time on their own clock, which may be hours
            // from this one: say ours, and that theirs is theirs.
            format!(
                "Pause started: you are back at {} ({} your time); {} sees the same moment in their own time. Take care of yourself; `trellis timeout --end` when you are back.",
                clock(back),
                when(back),
                view.partner.name
            )
        },
    )
}
