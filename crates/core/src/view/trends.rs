//! Weekly trends: the direction over months, not a daily grade.
//!
//! Each partner's scales are their own self-reports about how they feel; follow-through is
//! counted for the couple as a whole. Nothing here rates the other person.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::Who;
use super::practice::Practice;
use crate::schema::Outcome;
use crate::time::{format_date, parse_date, week_start};

/// Averages of one partner's own scales over a week.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scales {
    pub checkins: usize,
    pub safety: Option<f32>,
    pub trust: Option<f32>,
    pub connection: Option<f32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WeekTrend {
    /// The Monday that starts the week.
    pub week: String,
    pub me: Scales,
    pub partner: Scales,
    pub kept: usize,
    pub partly: usize,
    pub missed: usize,
    pub appreciations: usize,
}

#[derive(Default)]
struct Sums {
    checkins: usize,
    values: [(f32, usize); 3],
}

impl Sums {
    fn add(&mut self, scales: [Option<u8>; 3]) {
        self.checkins += 1;
        for (slot, v) in self.values.iter_mut().zip(scales) {
            if let Some(v) = v {
                slot.0 += f32::from(v);
                slot.1 += 1;
            }
        }
    }

    fn average(&self) -> Scales {
        let avg = |(sum, n): (f32, usize)| (n > 0).then(|| sum / n as f32);
        Scales {
            checkins: self.checkins,
            safety: avg(self.values[0]),
            trust: avg(self.values[1]),
            connection: avg(self.values[2]),
        }
    }
}

#[derive(Default)]
struct Week {
    me: Sums,
    partner: Sums,
    kept: usize,
    partly: usize,
    missed: usize,
    appreciations: usize,
}

pub(crate) fn weekly(practice: &Practice) -> Vec<WeekTrend> {
    let mut weeks: BTreeMap<NaiveDate, Week> = BTreeMap::new();
    let week_of = |date: &str| parse_date(date).map(week_start);
    for c in &practice.checkins {
        if let Some(w) = week_of(&c.date) {
            let week = weeks.entry(w).or_default();
            let sums = match c.author {
                Who::Me => &mut week.me,
                Who::Partner => &mut week.partner,
            };
            sums.add([c.safety, c.trust, c.connection]);
        }
    }
    for r in &practice.repairs {
        for c in &r.commitments {
            for rep in &c.reports {
                if let Some(w) = week_of(&rep.date) {
                    let week = weeks.entry(w).or_default();
                    match rep.outcome {
                        Outcome::Kept => week.kept += 1,
                        Outcome::Partly => week.partly += 1,
                        Outcome::Missed => week.missed += 1,
                        Outcome::Unknown(_) => {}
                    }
                }
            }
        }
    }
    for a in &practice.appreciations {
        if let Some(w) = week_of(&a.date) {
            weeks.entry(w).or_default().appreciations += 1;
        }
    }
    weeks
        .into_iter()
        .map(|(start, w)| WeekTrend {
            week: format_date(start),
            me: w.me.average(),
            partner: w.partner.average(),
            kept: w.kept,
            partly: w.partly,
            missed: w.missed,
            appreciations: w.appreciations,
        })
        .collect()
}
