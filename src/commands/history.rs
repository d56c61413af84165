//! Today's list, the signed log, re-verification and the export for a therapist.

use std::path::Path;

use anyhow::{Result, anyhow};
use chrono::NaiveDate;
use trellis_core::export::{ExportOptions, Section};
use trellis_core::view::View;
use trellis_core::words::count;
use trellis_store::StoreError;

use crate::context::{Context, now};
use crate::render::{LocalZone, when};

pub fn attention_lines(view: &View) -> String {
    let now = now();
    let date = now.local().format("%A %-d %B");
    let mut lines = vec![format!("Today, {date}:")];
    for item in &view.attention {
        lines.push(format!("  • {}", item.describe(view, now, &LocalZone)));
    }
    let in_force = view.agreements.iter().filter(|a| a.in_force()).count();
    lines.push(format!(
        "\n{} in force · {} · {} · {}",
        count(in_force, "agreement", "agreements"),
        count(view.checkins.len(), "check-in", "check-ins"),
        count(view.repairs.len(), "repair", "repairs"),
        count(view.appreciations.len(), "appreciation", "appreciations")
    ));
    lines.join("\n")
}

pub fn show(ctx: &Context) -> Result<()> {
    let mut profile = ctx.read()?;
    let view = profile.view(now()).ok_or(StoreError::NoCouple)?;
    let status = profile.status()?;
    let items: Vec<serde_json::Value> = view
        .attention
        .iter()
        .map(|a| {
            let mut v = serde_json::to_value(a).unwrap_or_default();
            if let Some(obj) = v.as_object_mut() {
                obj.insert("text".into(), a.describe(&view, now(), &LocalZone).into());
            }
            v
        })
        .collect();
    ctx.emit(&items, || {
        format!(
            "{}\n\n{}",
            attention_lines(&view),
            super::setup::status_text(&status)
        )
    })
}

pub fn log(ctx: &Context, limit: Option<usize>) -> Result<()> {
    let mut profile = ctx.read()?;
    let mut entries = profile.history()?;
    if let Some(n) = limit {
        let skip = entries.len().saturating_sub(n);
        entries.drain(..skip);
    }
    ctx.emit(&entries, || {
        let mut out = Vec::new();
        for e in &entries {
            out.push(format!(
                "{}  {:<10} {}  {}",
                when(e.at_ms()),
                e.author_name,
                if e.verified {
                    "✓ signed"
                } else {
                    "✗ UNVERIFIED"
                },
                e.message
            ));
        }
        let bad = entries.iter().filter(|e| !e.verified).count();
        if bad > 0 {
            out.push(format!(
                "{} a valid signature: run `trellis verify`.",
                count(bad, "change lacks", "changes lack")
            ));
        }
        out.join("\n")
    })
}

pub fn verify(ctx: &Context) -> Result<()> {
    let mut profile = ctx.read()?;
    let report = profile.verify_all()?;
    let partner = profile
        .couple()
        .map(|c| c.name_of(&c.partner()))
        .unwrap_or_default();
    let file = profile.paths().document_db();
    ctx.emit(&report, || {
        let mut out = format!(
            "All {} changes verified from the first one: {} by you, {} by {partner}.\n\
             Every signature, every author, every structural and ownership rule holds.",
            report.changes, report.by_me, report.by_partner
        );
        if !report.set_aside.is_empty() {
            out.push_str(&format!(
                "\n{} in {} would not apply and {} set aside (kept, not counted above):",
                count(report.set_aside.len(), "stored change", "stored changes"),
                file.display(),
                if report.set_aside.len() == 1 {
                    "was"
                } else {
                    "were"
                },
            ));
            for q in &report.set_aside {
                out.push_str(&format!(
                    "\n  {} ({} bytes): {}",
                    q.hash.as_deref().unwrap_or("unreadable"),
                    q.bytes,
                    q.reason
                ));
            }
        }
        out
    })
}

pub fn export(
    ctx: &Context,
    file: &Path,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    sections: &[String],
) -> Result<()> {
    if let Some(problem) = trellis_core::export::period_problem(since, until) {
        anyhow::bail!(problem);
    }
    let profile = ctx.read()?;
    let view = profile.view(now()).ok_or(StoreError::NoCouple)?;
    let sections: Vec<Section> = if sections.is_empty() {
        Section::ALL.to_vec()
    } else {
        sections
            .iter()
            .map(|s| {
                Section::parse(s).ok_or_else(|| {
                    let names: Vec<&str> = Section::ALL.iter().map(Section::name).collect();
                    anyhow!("“{s}” is not a section; choose from: {}", names.join(", "))
                })
            })
            .collect::<Result<_>>()?
    };
    let options = ExportOptions {
        sections: sections.clone(),
        since,
        until,
        now: now(),
    };
    let bytes = trellis_store::files::write_markdown(&view, &options, file)?;
    #[derive(serde::Serialize)]
    struct Written {
        file: String,
        sections: Vec<&'static str>,
        bytes: usize,
    }
    let out = Written {
        file: file.display().to_string(),
        sections: sections.iter().map(Section::name).collect(),
        bytes,
    };
    ctx.emit(&out, || {
        format!(
            "Wrote {} ({}). It holds words from both of you; your private journal is never included.",
            out.file,
            out.sections.join(", ")
        )
    })
}
