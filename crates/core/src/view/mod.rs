//! Everything a screen or a command shows, derived from the hydrated document.
//!
//! A [`View`] is plain data (no automerge types), cheap to clone and to serialize: its
//! records are shared (`Arc`) with the [`ViewCache`] that keeps it up to date.

pub(crate) mod agreements;
mod attention;
mod cache;
mod edits;
mod exchange;
mod history;
mod list;
mod practice;
mod trends;

use chrono::NaiveDate;
use serde::Serialize;

pub use agreements::{AgreementStatus, AgreementView, RevisionView};
pub use attention::Attention;
pub use cache::ViewCache;
pub use edits::Edits;
pub use exchange::fold_rule;
pub use history::{HistoryEntry, history};
pub use list::List;
pub use practice::{
    AppreciationView, CheckInView, CommitmentView, RepairAckView, RepairView, ReplyView,
    ReportView, TimeOutView, running_pauses,
};
pub use trends::{Scales, WeekTrend};

use crate::identity::PartnerKey;
use crate::schema::Root;
use crate::time::{Moment, format_date};

/// Whose words these are, from the reader's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Who {
    Me,
    Partner,
}

pub(crate) fn who(key_hex: &str, me_hex: &str) -> Who {
    if key_hex == me_hex {
        Who::Me
    } else {
        Who::Partner
    }
}

/// The two partners' keys as the document spells them (hex): written out once per view,
/// not once per record read.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Keys {
    pub me: String,
    pub partner: String,
}

impl Keys {
    pub(crate) fn new(me: &PartnerKey, partner: &PartnerKey) -> Self {
        Self {
            me: me.to_hex(),
            partner: partner.to_hex(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub key: String,
    pub name: String,
}

/// The whole practice as one partner sees it today.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    pub me: Person,
    pub partner: Person,
    pub today: String,
    pub agreements: List<AgreementView>,
    /// Newest first.
    pub checkins: List<CheckInView>,
    /// Newest first.
    pub repairs: List<RepairView>,
    /// Newest first.
    pub appreciations: List<AppreciationView>,
    /// Newest first.
    pub timeouts: List<TimeOutView>,
    /// What needs attention today, most important first.
    pub attention: List<Attention>,
    /// Oldest week first.
    pub weeks: List<WeekTrend>,
    /// Records in the document this version could not read (written by a newer Trellis).
    pub unreadable_records: usize,
    /// The shared space was ended: by whom, when, with what words. The copy is read-only.
    pub ended: Option<EndedView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndedView {
    pub by: Who,
    pub at: i64,
    pub note: Option<String>,
}

impl View {
    /// The whole view, built from nothing (a [`ViewCache`] keeps one up to date instead).
    pub fn build(root: &Root, me: &PartnerKey, partner: &PartnerKey, now: Moment) -> View {
        ViewCache::new().view(root, &Edits::new(), me, partner, now)
    }

    /// Puts the view together from its built lists; what is cheap (names, the date, an
    /// ending) is read here each time. What needs attention is gathered by the caller
    /// (it needs the rest of the view).
    fn assemble(
        root: &Root,
        me: &PartnerKey,
        partner: &PartnerKey,
        keys: &Keys,
        now: Moment,
        (agreements, practice, weeks): (List<AgreementView>, practice::Practice, List<WeekTrend>),
        unreadable_revisions: usize,
    ) -> View {
        let today: NaiveDate = now.today();
        let person = |key: &PartnerKey, hex: &str| Person {
            key: hex.to_string(),
            name: root
                .couple
                .partners
                .get(hex)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| key.fingerprint()),
        };
        View {
            me: person(me, &keys.me),
            partner: person(partner, &keys.partner),
            today: format_date(today),
            agreements,
            checkins: practice.checkins,
            repairs: practice.repairs,
            appreciations: practice.appreciations,
            timeouts: practice.timeouts,
            attention: List::default(),
            weeks,
            unreadable_records: unreadable(root) + unreadable_revisions,
            ended: ended_view(root, &keys.me),
        }
    }

    pub fn agreement(&self, id: &str) -> Option<&AgreementView> {
        self.agreements.iter().find(|a| a.id == id).map(|a| &**a)
    }

    /// A calendar date as its author wrote it: mine plainly, my partner's marked as theirs,
    /// because partners hours apart do not share a day ("2026-11-28 (Sam's date)").
    pub fn date_of(&self, date: &str, author: Who) -> String {
        match author {
            Who::Me => date.to_string(),
            Who::Partner => format!("{date} ({}'s date)", self.partner.name),
        }
    }

    pub fn name(&self, who: Who) -> &str {
        match who {
            Who::Me => &self.me.name,
            Who::Partner => &self.partner.name,
        }
    }
}

fn ended_view(root: &Root, me: &str) -> Option<EndedView> {
    root.by
        .iter()
        .flat_map(|(key, space)| space.endings.iter().map(move |(_, e)| (key, e)))
        .min_by_key(|(_, e)| e.at)
        .map(|(key, e)| EndedView {
            by: who(key, me),
            at: e.at,
            note: e.note.clone(),
        })
}

/// Records this version cannot read, outside agreements' revisions (counted as the
/// agreements are built).
fn unreadable(root: &Root) -> usize {
    let spaces: usize = root
        .by
        .iter()
        .map(|(_, s)| {
            s.consents.unreadable
                + s.retirements.unreadable
                + s.checkins.unreadable
                + s.replies.unreadable
                + s.repairs.unreadable
                + s.acknowledgements.unreadable
                + s.commitments.unreadable
                + s.reports.unreadable
                + s.report_acks.unreadable
                + s.closures.unreadable
                + s.appreciations.unreadable
                + s.thanks.unreadable
                + s.timeouts.unreadable
                + s.endings.unreadable
        })
        .sum();
    spaces + root.agreements.unreadable + root.by.unreadable
}
