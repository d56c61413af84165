//! Weekly trends: the direction over months, not a daily grade.
//!
//! Each partner's scales are their own self-reports about how they feel; follow-through is
//! counted for the couple as a whole. Nothing here rates the other person.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use super::practice::{AppreciationView, CheckInView, RepairView};
use super::{List, Who};
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

/// One partner's scales over a week, summed. Whole numbers: the same sums in any order, so a
/// tally kept record by record equals one counted afresh.
#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    checkins: i64,
    values: [(i64, i64); 3],
}

impl Sums {
    fn add(&mut self, scales: [Option<u8>; 3], sign: i64) {
        self.checkins += sign;
        for (slot, v) in self.values.iter_mut().zip(scales) {
            if let Some(v) = v {
                slot.0 += sign * i64::from(v);
                slot.1 += sign;
            }
        }
    }

    fn average(&self) -> Scales {
        let avg = |(sum, n): (i64, i64)| (n > 0).then(|| sum as f32 / n as f32);
        Scales {
            checkins: self.checkins.max(0) as usize,
            safety: avg(self.values[0]),
            trust: avg(self.values[1]),
            connection: avg(self.values[2]),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Week {
    /// Records counted in this week (a week is shown while it has any).
    records: i64,
    me: Sums,
    partner: Sums,
    kept: i64,
    partly: i64,
    missed: i64,
    appreciations: i64,
}

/// The weeks, kept up to date as records come, change and go: each week's row is made
/// again when it is counted in, and the list only when a row changed.
#[derive(Debug, Default)]
pub(crate) struct Weeks {
    weeks: BTreeMap<NaiveDate, (Week, Option<Arc<WeekTrend>>)>,
    list: Option<List<WeekTrend>>,
}

fn week_of(date: &str) -> Option<NaiveDate> {
    parse_date(date).map(week_start)
}

impl Weeks {
    fn week(&mut self, date: &str, sign: i64, count: impl FnOnce(&mut Week)) {
        let Some(start) = week_of(date) else {
            return;
        };
        self.list = None;
        let (week, row) = self.weeks.entry(start).or_default();
        *row = None;
        week.records += sign;
        count(week);
        if week.records <= 0 {
            self.weeks.remove(&start);
        }
    }

    /// Counts a check-in in (`sign` 1) or out (-1).
    pub(crate) fn checkin(&mut self, c: &CheckInView, sign: i64) {
        self.week(&c.date, sign, |week| {
            let sums = match c.author {
                Who::Me => &mut week.me,
                Who::Partner => &mut week.partner,
            };
            sums.add([c.safety, c.trust, c.connection], sign);
        });
    }

    /// Counts a repair's follow-through in or out.
    pub(crate) fn repair(&mut self, r: &RepairView, sign: i64) {
        for rep in r.commitments.iter().flat_map(|c| &c.reports) {
            self.week(&rep.date, sign, |week| match rep.outcome {
                Outcome::Kept => week.kept += sign,
                Outcome::Partly => week.partly += sign,
                Outcome::Missed => week.missed += sign,
                Outcome::Unknown(_) => {}
            });
        }
    }

    pub(crate) fn appreciation(&mut self, a: &AppreciationView, sign: i64) {
        self.week(&a.date, sign, |week| week.appreciations += sign);
    }

    /// Oldest week first.
    pub(crate) fn list(&mut self) -> List<WeekTrend> {
        if let Some(list) = &self.list {
            return list.clone();
        }
        let list: List<WeekTrend> = self
            .weeks
            .iter_mut()
            .map(|(start, (w, row))| row.get_or_insert_with(|| Arc::new(w.row(*start))).clone())
            .collect();
        self.list = Some(list.clone());
        list
    }
}

impl Week {
    fn row(&self, start: NaiveDate) -> WeekTrend {
        WeekTrend {
            week: format_date(start),
            me: self.me.average(),
            partner: self.partner.average(),
            kept: self.kept.max(0) as usize,
            partly: self.partly.max(0) as usize,
            missed: self.missed.max(0) as usize,
            appreciations: self.appreciations.max(0) as usize,
        }
    }
}
