//! A Markdown export of chosen sections and dates, to bring to a therapist.
//!
//! It is built from the shared document's view only: the private journal is in another
//! store that this code cannot reach.

use std::fmt::Write;

use chrono::NaiveDate;

use crate::time::{Moment, Zone, in_zone, offset_label, parse_date};
use crate::view::{View, Who};

/// The parts of the practice an export can include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Agreements,
    CheckIns,
    Repairs,
    Appreciations,
    TimeOuts,
    Progress,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::Agreements,
        Section::CheckIns,
        Section::Repairs,
        Section::Appreciations,
        Section::TimeOuts,
        Section::Progress,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Section::Agreements => "agreements",
            Section::CheckIns => "checkins",
            Section::Repairs => "repairs",
            Section::Appreciations => "appreciations",
            Section::TimeOuts => "timeouts",
            Section::Progress => "progress",
        }
    }

    pub fn parse(text: &str) -> Option<Section> {
        let t = text
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_', ' '], "");
        Section::ALL.into_iter().find(|s| s.name() == t)
    }
}

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub sections: Vec<Section>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub now: Moment,
}

/// What is wrong with a period whose start comes after its end, in a sentence (None when
/// the period can hold something).
pub fn period_problem(since: Option<NaiveDate>, until: Option<NaiveDate>) -> Option<String> {
    match (since, until) {
        (Some(from), Some(to)) if from > to => Some(format!(
            "the period starts on {from}, after it ends on {to}, so it would hold nothing; swap the two dates"
        )),
        _ => None,
    }
}

impl ExportOptions {
    fn in_range(&self, date: &str) -> bool {
        let Some(d) = parse_date(date) else {
            return true;
        };
        self.since.is_none_or(|s| d >= s) && self.until.is_none_or(|u| d <= u)
    }

    fn in_range_ms(&self, at: i64, zone: &dyn Zone) -> bool {
        let d = in_zone(at, zone).date_naive();
        self.in_range(&crate::time::format_date(d))
    }
}

/// The export with clock times at the offset of `opts.now`.
pub fn markdown(view: &View, opts: &ExportOptions) -> String {
    markdown_in(view, opts, &opts.now)
}

/// The export with clock times read in `zone`, the preparer's: a caller with the system's
/// zone rules passes them, so a time written before a daylight-saving change keeps its hour.
pub fn markdown_in(view: &View, opts: &ExportOptions, zone: &dyn Zone) -> String {
    let mut out = String::new();
    let when = |at: i64| in_zone(at, zone).format("%Y-%m-%d %H:%M").to_string();
    let name = |w: Who| view.name(w).to_string();
    let _ = writeln!(
        out,
        "# Trellis — {} and {}\n",
        view.me.name, view.partner.name
    );
    let range = match (opts.since, opts.until) {
        (Some(s), Some(u)) => format!("from {s} to {u}"),
        (Some(s), None) => format!("since {s}"),
        (None, Some(u)) => format!("until {u}"),
        (None, None) => "all dates".to_string(),
    };
    let _ = writeln!(
        out,
        "Prepared by {} on {}, covering {range}. It holds words written by both partners; \
         each entry says whose words they are. Private journal entries are never included.\n",
        view.me.name,
        when(opts.now.at_ms)
    );
    // Partners may live hours apart: say whose clock and whose calendar each line uses.
    let _ = writeln!(
        out,
        "Dates are the day on the calendar of whoever wrote the entry; clock times are {}'s \
         ({} when this was prepared).\n",
        view.me.name,
        offset_label(zone.offset_at(opts.now.at_ms))
    );

    for section in &opts.sections {
        match section {
            Section::Agreements => {
                let _ = writeln!(out, "## Agreements\n");
                let mut any = false;
                for a in &view.agreements {
                    any = true;
                    let _ = writeln!(
                        out,
                        "### {} ({}, {})\n",
                        a.title,
                        a.category.label(),
                        a.status.label()
                    );
                    for r in a.revisions.iter().filter(|r| opts.in_range_ms(r.at, zone)) {
                        let mark = if r.current { "current" } else { "earlier" };
                        let _ = writeln!(
                            out,
                            "- {} wording by {} ({}):",
                            mark,
                            name(r.author),
                            when(r.at)
                        );
                        let _ = writeln!(out, "  > {}", r.wording.replace('\n', "\n  > "));
                        if let Some(x) = &r.if_crossed {
                            let _ = writeln!(out, "  - If it is crossed: {x}");
                        }
                        if let Some(d) = &r.review_on {
                            let _ = writeln!(out, "  - Review on {d}");
                        }
                    }
                    let _ = writeln!(out);
                }
                if !any {
                    let _ = writeln!(out, "No agreements yet.\n");
                }
            }
            Section::CheckIns => {
                let _ = writeln!(out, "## Check-ins\n");
                let mut items: Vec<_> = view
                    .checkins
                    .iter()
                    .filter(|c| opts.in_range(&c.date))
                    .collect();
                items.reverse();
                if items.is_empty() {
                    let _ = writeln!(out, "No check-ins in this period.\n");
                }
                for c in items {
                    let _ = writeln!(out, "### {} — {}\n", c.date, name(c.author));
                    for line in c.lines(name) {
                        let _ = writeln!(out, "- {line}");
                    }
                    let _ = writeln!(out);
                }
            }
            Section::Repairs => {
                let _ = writeln!(out, "## Repairs\n");
                let items: Vec<_> = view
                    .repairs
                    .iter()
                    .filter(|r| opts.in_range(&r.date))
                    .collect();
                if items.is_empty() {
                    let _ = writeln!(out, "No repairs in this period.\n");
                }
                for r in items {
                    let state = if r.closed { "closed by both" } else { "open" };
                    let _ = writeln!(
                        out,
                        "### Opened by {} on {} ({state})\n",
                        name(r.opened_by),
                        r.date
                    );
                    let _ = writeln!(out, "- What happened: {}", r.what_happened);
                    let _ = writeln!(out, "- How it landed: {}", r.how_it_landed);
                    if let Some(a) = &r.acknowledgement {
                        let other = if r.opened_by == Who::Me {
                            Who::Partner
                        } else {
                            Who::Me
                        };
                        let _ =
                            writeln!(out, "- {} acknowledged: {}", name(other), a.acknowledgement);
                        let _ = writeln!(out, "- Regret: {}", a.regret);
                    }
                    for c in &r.commitments {
                        let rhythm = c
                            .cadence
                            .as_ref()
                            .map(|c| c.label().to_lowercase())
                            .or_else(|| c.due.as_ref().map(|d| format!("by {d}")))
                            .unwrap_or_default();
                        let _ = writeln!(
                            out,
                            "- {} committed ({rhythm}): {}",
                            name(c.owner),
                            c.wording
                        );
                        for rep in c.reports.iter().filter(|rep| opts.in_range(&rep.date)) {
                            let ack = if rep.acknowledged.is_some() {
                                " — acknowledged"
                            } else {
                                ""
                            };
                            let note = rep
                                .note
                                .as_deref()
                                .map(|n| format!(": {n}"))
                                .unwrap_or_default();
                            let _ = writeln!(
                                out,
                                "  - {} {}{note}{ack}",
                                rep.date,
                                rep.outcome.label().to_lowercase()
                            );
                        }
                    }
                    let _ = writeln!(out);
                }
            }
            Section::Appreciations => {
                let _ = writeln!(out, "## Appreciations\n");
                let items: Vec<_> = view
                    .appreciations
                    .iter()
                    .filter(|a| opts.in_range(&a.date))
                    .collect();
                if items.is_empty() {
                    let _ = writeln!(out, "No appreciations in this period.\n");
                }
                for a in items.iter().rev() {
                    let _ = writeln!(out, "- {} — {}: {}", a.date, name(a.author), a.text);
                }
                let _ = writeln!(out);
            }
            Section::TimeOuts => {
                let _ = writeln!(out, "## Pauses\n");
                let items: Vec<_> = view
                    .timeouts
                    .iter()
                    .filter(|t| opts.in_range_ms(t.at, zone))
                    .collect();
                if items.is_empty() {
                    let _ = writeln!(out, "No pauses in this period.\n");
                }
                for t in items.iter().rev() {
                    let note = t
                        .note
                        .as_deref()
                        .map(|n| format!(" — “{n}”"))
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "- {} took a pause at {}, back at {}{note}",
                        name(t.who),
                        when(t.at),
                        when(t.back_at)
                    );
                }
                let _ = writeln!(out);
            }
            Section::Progress => {
                let _ = writeln!(out, "## Progress by week\n");
                let _ = writeln!(
                    out,
                    "Each partner's scales are their own self-reports (average, 1–10). Follow-through counts are for the couple.\n"
                );
                let _ = writeln!(
                    out,
                    "| week | {me} safety | {me} trust | {me} connection | {p} safety | {p} trust | {p} connection | kept | partly | missed | appreciations |",
                    me = view.me.name,
                    p = view.partner.name
                );
                let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|");
                let f = |v: Option<f32>| v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "–".into());
                for w in view.weeks.iter().filter(|w| opts.in_range(&w.week)) {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                        w.week,
                        f(w.me.safety),
                        f(w.me.trust),
                        f(w.me.connection),
                        f(w.partner.safety),
                        f(w.partner.trust),
                        f(w.partner.connection),
                        w.kept,
                        w.partly,
                        w.missed,
                        w.appreciations
                    );
                }
                let _ = writeln!(out);
            }
        }
    }
    out
}
