//! The view, kept between changes: after a change only the records it touched (and the
//! ones that show them: a check-in shows its replies, a repair its commitments and their
//! follow-through) are built again. A fresh cache builds everything, so the full build and
//! the update are one code path.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::Hash;
use std::ops::Bound::{Excluded, Included};
use std::sync::Arc;

use chrono::NaiveDate;

use super::agreements::{self, AgreementView};
use super::attention::{Attention, RepairAsks};
use super::practice::{
    self, AppreciationView, CheckInOrder, CheckInView, NewestFirst, Practice, RepairView, Spaces,
    TimeOutView, flip,
};
use super::trends::Weeks;
use super::{Edits, Keys, List, View, Who, attention};
use crate::identity::PartnerKey;
use crate::schema::{Root, Space, collections as col, keys};
use crate::time::Moment;

/// A list kept in display order, with each entry findable by its record; the list handed
/// out is made again only after an entry changed.
#[derive(Debug)]
struct Sorted<Id, Order, V> {
    order: BTreeMap<Order, Arc<V>>,
    at: HashMap<Id, Order>,
    list: Option<List<V>>,
}

impl<Id, Order, V> Default for Sorted<Id, Order, V> {
    fn default() -> Self {
        Self {
            order: BTreeMap::new(),
            at: HashMap::new(),
            list: None,
        }
    }
}

impl<Id: Hash + Eq, Order: Ord + Clone, V> Sorted<Id, Order, V> {
    /// Puts in (or takes out) a record's view; returns the view it replaces and the one
    /// put in, so what is counted beside the list can follow.
    fn put(&mut self, id: Id, entry: Option<(Order, V)>) -> [Option<(Order, Arc<V>)>; 2] {
        self.list = None;
        let old = self
            .at
            .remove(&id)
            .and_then(|order| self.order.remove(&order).map(|v| (order, v)));
        let new = entry.map(|(order, view)| {
            let view = Arc::new(view);
            self.order.insert(order.clone(), view.clone());
            self.at.insert(id, order.clone());
            (order, view)
        });
        [old, new]
    }

    fn get(&self, id: &Id) -> Option<(&Order, &Arc<V>)> {
        let order = self.at.get(id)?;
        Some((order, self.order.get(order)?))
    }

    fn list(&mut self) -> List<V> {
        self.list
            .get_or_insert_with(|| self.order.values().cloned().collect())
            .clone()
    }
}

/// Which records point at which: a reply at a check-in, a commitment at a repair, a report
/// at a commitment. Per side of the record pointed at (0: mine, 1: my partner's).
#[derive(Debug, Default)]
struct Links {
    to: HashMap<String, BTreeSet<String>>,
    of: HashMap<String, String>,
}

impl Links {
    /// `from` now points at `to` (or at nothing); returns what it pointed at before.
    fn set(&mut self, from: &str, to: Option<&str>) -> Option<String> {
        let old = self.of.remove(from);
        if let Some(old) = &old
            && let Some(set) = self.to.get_mut(old)
        {
            set.remove(from);
            if set.is_empty() {
                self.to.remove(old);
            }
        }
        if let Some(to) = to {
            self.of.insert(from.to_string(), to.to_string());
            self.to
                .entry(to.to_string())
                .or_default()
                .insert(from.to_string());
        }
        old
    }

    fn pointing_at(&self, to: &str) -> Vec<&String> {
        self.to.get(to).into_iter().flatten().collect()
    }
}

/// What [`Sorted::put`] replaced, to count out (-1), and put in, to count in (1).
fn counted<T>([old, new]: [Option<T>; 2]) -> impl Iterator<Item = (i64, T)> {
    [(-1, old), (1, new)]
        .into_iter()
        .filter_map(|(sign, v)| Some((sign, v?)))
}

/// Counts `key` in (`sign` 1) or out (-1); a key counted out entirely is forgotten.
fn tally<K: Ord>(counts: &mut BTreeMap<K, usize>, key: K, sign: i64) {
    if sign > 0 {
        *counts.entry(key).or_default() += 1;
    } else if let Some(n) = counts.get_mut(&key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            counts.remove(&key);
        }
    }
}

/// Keeps what a record asks of me under its place in the list (or forgets it: counted
/// out, or asking nothing).
fn keep_asks<K: Ord, A>(kept: &mut BTreeMap<K, A>, order: K, asks: Option<A>) {
    match asks {
        Some(asks) => kept.insert(order, asks),
        None => kept.remove(&order),
    };
}

fn side(who: Who) -> usize {
    match who {
        Who::Me => 0,
        Who::Partner => 1,
    }
}

/// What was built, and from what.
#[derive(Debug, Default)]
struct Built {
    mark: (u64, u64),
    keys: Keys,
    today: Option<NaiveDate>,
    offset: i32,
    /// When each of my check-ins was written (how many at each time): the last is when I
    /// last checked in.
    my_times: BTreeMap<i64, usize>,
    /// Replies by the check-in they answer (indexed by the check-in's author).
    replies: [Links; 2],
    /// Commitments by repair, reports by commitment (indexed by their owner).
    commitments: [Links; 2],
    reports: [Links; 2],
    /// Weekly trends, counted as records come and go.
    weeks: Weeks,
    /// My partner's open check-ins without an answer of mine, by when they were written
    /// (only recent ones await my answer, see `attention::Hints`), then in the list's order.
    unanswered: BTreeMap<i64, BTreeMap<CheckInOrder, Arc<CheckInView>>>,
    /// How many check-ins of mine each date has (for "a check-in today").
    my_dates: BTreeMap<String, usize>,
    agreements: Sorted<String, (i64, String), AgreementView>,
    /// What each agreement and repair asks of me (only those that ask something), in the
    /// lists' order.
    agreement_asks: BTreeMap<(i64, String), Vec<Arc<Attention>>>,
    repair_asks: BTreeMap<NewestFirst, RepairAsks>,
    /// Today's list as last gathered, while what it was gathered from stands.
    attention: Option<KeptAttention>,
    checkins: Sorted<(Who, String), CheckInOrder, CheckInView>,
    repairs: Sorted<(Who, String), NewestFirst, RepairView>,
    appreciations: Sorted<(Who, String), NewestFirst, AppreciationView>,
    timeouts: Sorted<(Who, String), NewestFirst, TimeOutView>,
    /// The pauses not ended, by their return time, and the instant their running was last
    /// reckoned for.
    open_pauses: BTreeMap<i64, BTreeSet<(Who, String)>>,
    pauses_checked: Option<i64>,
    /// Revisions a newer Trellis wrote that this one cannot read, by agreement, and in all.
    unreadable_revisions: HashMap<String, usize>,
    unreadable_revision_count: usize,
}

/// Today's list and what it was gathered from (see [`Built::attention`]).
#[derive(Debug)]
struct KeptAttention {
    list: List<Attention>,
    timeouts: List<TimeOutView>,
    answerable: Vec<Arc<CheckInView>>,
    checked_in_today: bool,
    ended: bool,
    /// The instants between which no report's answer window closes (nor can one reopen).
    from: i64,
    until: i64,
}

/// The records a change means building again.
#[derive(Default)]
struct Stale {
    agreements: HashSet<String>,
    checkins: HashSet<(Who, String)>,
    /// By id, on both sides: the two spaces' records may share an id.
    repairs: HashSet<String>,
    appreciations: HashSet<String>,
    timeouts: HashSet<(Who, String)>,
}

/// A view kept up to date change by change. See the module documentation.
#[derive(Debug, Default)]
pub struct ViewCache {
    built: Option<Built>,
}

impl ViewCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The view of `root` at `now`, built again only where `edits` say it changed since the
    /// last call (or whole, the first time and whenever that is not known).
    pub fn view(
        &mut self,
        root: &Root,
        edits: &Edits,
        me: &PartnerKey,
        partner: &PartnerKey,
        now: Moment,
    ) -> View {
        let keys = Keys::new(me, partner);
        let empty = Space::default();
        let spaces = Spaces {
            mine: root.by.get(&keys.me).unwrap_or(&empty),
            theirs: root.by.get(&keys.partner).unwrap_or(&empty),
        };
        let reusable = self.built.take().and_then(|built| {
            let touched = edits.since(built.mark)?;
            (built.keys == keys).then_some((built, touched))
        });
        let mut built = match reusable {
            Some((mut built, touched)) => {
                let stale = built.relink(&touched, &keys, spaces);
                built.rebuild(stale, root, &keys, spaces, now);
                built
            }
            None => Built::everything(root, &keys, spaces, now),
        };
        built.mark = edits.mark();
        let view = built.assemble(root, me, partner, &keys, now);
        self.built = Some(built);
        view
    }
}

impl Built {
    fn everything(root: &Root, keys: &Keys, spaces: Spaces<'_>, now: Moment) -> Built {
        let mut built = Built {
            keys: Keys {
                me: keys.me.clone(),
                partner: keys.partner.clone(),
            },
            ..Built::default()
        };
        let mut stale = Stale {
            agreements: root.agreements.items.keys().cloned().collect(),
            ..Stale::default()
        };
        for who in [Who::Me, Who::Partner] {
            let space = spaces.of(who);
            let target = side(flip(who));
            for (rid, r) in space.replies.iter() {
                built.replies[target].set(rid, Some(&r.checkin));
            }
            for (cid, c) in space.commitments.iter() {
                built.commitments[side(who)].set(cid, Some(&c.repair));
            }
            for (rid, r) in space.reports.iter() {
                built.reports[side(who)].set(rid, Some(&r.commitment));
            }
            stale
                .checkins
                .extend(space.checkins.items.keys().map(|id| (who, id.clone())));
            stale.repairs.extend(space.repairs.items.keys().cloned());
            stale
                .appreciations
                .extend(space.appreciations.items.keys().cloned());
            stale
                .timeouts
                .extend(space.timeouts.items.keys().map(|id| (who, id.clone())));
        }
        built.rebuild(stale, root, keys, spaces, now);
        built
    }

    /// Follows the touched records to the views that show them, updating the links.
    fn relink(&mut self, touched: &BTreeSet<&[String]>, keys: &Keys, spaces: Spaces<'_>) -> Stale {
        let mut stale = Stale::default();
        for path in touched {
            match *path {
                [top, id] if top == keys::AGREEMENTS => {
                    stale.agreements.insert(id.clone());
                }
                [top, key, collection, id] if top == keys::BY => {
                    let who = if *key == keys.me {
                        Who::Me
                    } else if *key == keys.partner {
                        Who::Partner
                    } else {
                        // A third space is never shown.
                        continue;
                    };
                    self.relink_record(who, collection, id, spaces, &mut stale);
                }
                _ => {}
            }
        }
        stale
    }

    fn relink_record(
        &mut self,
        who: Who,
        collection: &str,
        id: &str,
        spaces: Spaces<'_>,
        stale: &mut Stale,
    ) {
        let space = spaces.of(who);
        let mine = side(who);
        match collection {
            col::CONSENTS | col::RETIREMENTS => {
                stale.agreements.insert(id.to_string());
            }
            col::CHECKINS => {
                stale.checkins.insert((who, id.to_string()));
            }
            col::REPLIES => {
                // A reply answers a check-in of the other partner's.
                let author = flip(who);
                let now = space.replies.get(id).map(|r| r.checkin.as_str());
                let before = self.replies[side(author)].set(id, now);
                for checkin in before.iter().map(String::as_str).chain(now) {
                    stale.checkins.insert((author, checkin.to_string()));
                }
            }
            col::REPAIRS | col::ACKNOWLEDGEMENTS | col::CLOSURES => {
                stale.repairs.insert(id.to_string());
            }
            col::COMMITMENTS => {
                let now = space.commitments.get(id).map(|c| c.repair.as_str());
                let before = self.commitments[mine].set(id, now);
                stale
                    .repairs
                    .extend(before.into_iter().chain(now.map(String::from)));
            }
            col::REPORTS => {
                let now = space.reports.get(id).map(|r| r.commitment.as_str());
                let before = self.reports[mine].set(id, now);
                for commitment in before.iter().map(String::as_str).chain(now) {
                    if let Some(repair) = self.commitments[mine].of.get(commitment) {
                        stale.repairs.insert(repair.clone());
                    }
                }
            }
            col::REPORT_ACKS => {
                // An acknowledgement of the other partner's report.
                let owner = side(flip(who));
                let repair = self.reports[owner]
                    .of
                    .get(id)
                    .and_then(|commitment| self.commitments[owner].of.get(commitment));
                if let Some(repair) = repair {
                    stale.repairs.insert(repair.clone());
                }
            }
            col::APPRECIATIONS | col::THANKS => {
                stale.appreciations.insert(id.to_string());
            }
            col::TIMEOUTS => {
                stale.timeouts.insert((who, id.to_string()));
            }
            // Endings and what the view does not show: read afresh by `assemble`, or never.
            _ => {}
        }
    }

    /// Builds the stale records again, and the ones that depend on the time or on my
    /// latest check-in where those moved.
    fn rebuild(
        &mut self,
        mut stale: Stale,
        root: &Root,
        keys: &Keys,
        spaces: Spaces<'_>,
        now: Moment,
    ) {
        let today = now.today();
        if self.today != Some(today) || self.offset != now.offset_minutes {
            // Review dates and follow-through are reckoned by the day.
            stale
                .agreements
                .extend(root.agreements.items.keys().cloned());
            for who in [Who::Me, Who::Partner] {
                stale
                    .repairs
                    .extend(spaces.of(who).repairs.items.keys().cloned());
            }
            self.today = Some(today);
            self.offset = now.offset_minutes;
        }
        // When I last checked in, from what is kept and what is about to change (before my
        // partner's check-ins are built: their folding depends on it).
        let latest = |times: &BTreeMap<i64, usize>| times.last_key_value().map(|(at, _)| *at);
        let shown_latest = latest(&self.my_times);
        for (who, id) in &stale.checkins {
            if *who != Who::Me {
                continue;
            }
            if let Some((_, old)) = self.checkins.get(&(Who::Me, id.clone())) {
                tally(&mut self.my_times, old.at, -1);
            }
            if let Some(c) = spaces.mine.checkins.get(id) {
                tally(&mut self.my_times, c.at, 1);
            }
        }
        let my_latest = latest(&self.my_times);
        if my_latest != shown_latest {
            // My new check-in may unfold my partner's. (A record that changed is stale
            // already; the others are as shown.)
            for ((who, id), c) in self
                .checkins
                .at
                .iter()
                .filter_map(|(key, order)| Some((key, self.checkins.order.get(order)?)))
            {
                let folded = *who == Who::Partner && super::exchange::folded(c.at, my_latest);
                if c.folded != folded {
                    stale.checkins.insert((*who, id.clone()));
                }
            }
        }
        // A pause stops (or, with the clock set back, starts again) running as the clock
        // passes its return time: only those whose return time was passed are built again.
        if let Some(before) = self.pauses_checked {
            let (from, to) = (before.min(now.at_ms), before.max(now.at_ms));
            if from < to {
                for (_, pauses) in self.open_pauses.range((Excluded(from), Included(to))) {
                    stale.timeouts.extend(pauses.iter().cloned());
                }
            }
        }
        self.pauses_checked = Some(now.at_ms);

        for id in stale.agreements {
            let unreadable = root.agreements.get(&id).map(|a| a.revisions.unreadable);
            let before = match unreadable {
                Some(n) if n > 0 => self.unreadable_revisions.insert(id.clone(), n),
                _ => self.unreadable_revisions.remove(&id),
            };
            self.unreadable_revision_count =
                self.unreadable_revision_count - before.unwrap_or(0) + unreadable.unwrap_or(0);
            let entry = root.agreements.get(&id).map(|a| {
                (
                    (a.at, id.clone()),
                    agreements::build(root, &id, a, keys, today),
                )
            });
            for (sign, (order, view)) in counted(self.agreements.put(id, entry)) {
                self.attention = None;
                let asks = (sign > 0).then(|| attention::of_agreement(&view));
                keep_asks(
                    &mut self.agreement_asks,
                    order,
                    asks.filter(|a| !a.is_empty()),
                );
            }
        }
        for (who, id) in stale.checkins {
            let entry = spaces.of(who).checkins.get(&id).map(|c| {
                let replies = self.replies[side(who)].pointing_at(&id);
                (
                    practice::checkin_order(who, &id, c),
                    practice::checkin(who, &id, c, spaces, replies.into_iter(), my_latest),
                )
            });
            for (sign, (order, view)) in counted(self.checkins.put((who, id), entry)) {
                self.count_checkin(order, view, sign);
            }
        }
        for id in stale.repairs {
            for who in [Who::Me, Who::Partner] {
                let entry = spaces.of(who).repairs.get(&id).map(|r| {
                    let commitments = [
                        self.commitments[0].pointing_at(&id),
                        self.commitments[1].pointing_at(&id),
                    ];
                    let reports = &self.reports;
                    let reports_of = |owner: Who, cid: &str| reports[side(owner)].pointing_at(cid);
                    (
                        practice::newest_first(who, &id, r.at),
                        practice::repair(who, &id, r, spaces, commitments, reports_of, now),
                    )
                });
                for (sign, (order, view)) in counted(self.repairs.put((who, id.clone()), entry)) {
                    self.weeks.repair(&view, sign);
                    self.attention = None;
                    let asks = (sign > 0).then(|| attention::of_repair(&view));
                    keep_asks(&mut self.repair_asks, order, asks.filter(|a| !a.is_empty()));
                }
            }
        }
        for id in stale.appreciations {
            for who in [Who::Me, Who::Partner] {
                let entry = spaces.of(who).appreciations.get(&id).map(|a| {
                    (
                        practice::newest_first(who, &id, a.at),
                        practice::appreciation(who, &id, a, spaces),
                    )
                });
                for (sign, (_, view)) in counted(self.appreciations.put((who, id.clone()), entry)) {
                    self.weeks.appreciation(&view, sign);
                }
            }
        }
        for (who, id) in stale.timeouts {
            let entry = spaces.of(who).timeouts.get(&id).map(|t| {
                (
                    practice::newest_first(who, &id, t.at),
                    practice::timeout(who, &id, t, now),
                )
            });
            for (sign, (_, view)) in counted(self.timeouts.put((who, id.clone()), entry)) {
                if view.ended_at.is_some() {
                    continue;
                }
                if sign > 0 {
                    self.open_pauses
                        .entry(view.back_at)
                        .or_default()
                        .insert((who, id.clone()));
                } else if let Some(pauses) = self.open_pauses.get_mut(&view.back_at) {
                    pauses.remove(&(who, id.clone()));
                    if pauses.is_empty() {
                        self.open_pauses.remove(&view.back_at);
                    }
                }
            }
        }
    }

    /// Counts a check-in's view in (`sign` 1) or out (-1) of what is kept beside the list.
    fn count_checkin(&mut self, order: CheckInOrder, c: Arc<CheckInView>, sign: i64) {
        self.weeks.checkin(&c, sign);
        match c.author {
            Who::Partner if sign > 0 => {
                if !c.folded && !c.replies.iter().any(|r| r.author == Who::Me) {
                    self.unanswered.entry(c.at).or_default().insert(order, c);
                }
            }
            Who::Partner => {
                if let Some(at) = self.unanswered.get_mut(&c.at) {
                    at.remove(&order);
                    if at.is_empty() {
                        self.unanswered.remove(&c.at);
                    }
                }
            }
            Who::Me => tally(&mut self.my_dates, c.date.clone(), sign),
        }
    }

    fn assemble(
        &mut self,
        root: &Root,
        me: &PartnerKey,
        partner: &PartnerKey,
        keys: &Keys,
        now: Moment,
    ) -> View {
        let practice = Practice {
            checkins: self.checkins.list(),
            repairs: self.repairs.list(),
            appreciations: self.appreciations.list(),
            timeouts: self.timeouts.list(),
        };
        let mut recent: Vec<(&CheckInOrder, &Arc<CheckInView>)> = self
            .unanswered
            .range(attention::answerable_since(now)..)
            .flat_map(|(_, checkins)| checkins.iter())
            .collect();
        recent.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let hints = attention::Hints {
            answerable: recent.into_iter().map(|(_, c)| c.clone()).collect(),
            checked_in_today: self
                .my_dates
                .contains_key(&crate::time::format_date(now.today())),
        };
        let mut view = View::assemble(
            root,
            me,
            partner,
            keys,
            now,
            (self.agreements.list(), practice, self.weeks.list()),
            self.unreadable_revision_count,
        );
        view.attention = self.attention(&view, hints, now);
        view
    }

    /// Today's list: the one last gathered while nothing it was gathered from has moved
    /// (what agreements and repairs ask, the pauses, the check-ins awaiting my answer, my
    /// check-in today, an ending, a report's answer window), else gathered again.
    fn attention(&mut self, view: &View, hints: attention::Hints, now: Moment) -> List<Attention> {
        let at = now.at_ms;
        if let Some(kept) = &self.attention
            && kept.timeouts.same(&view.timeouts)
            && kept.checked_in_today == hints.checked_in_today
            && kept.ended == view.ended.is_some()
            && (kept.from..kept.until).contains(&at)
            && kept.answerable.len() == hints.answerable.len()
            && kept
                .answerable
                .iter()
                .zip(&hints.answerable)
                .all(|(a, b)| Arc::ptr_eq(a, b))
        {
            return kept.list.clone();
        }
        let list = attention::gather(
            view,
            now,
            &hints,
            self.agreement_asks.values().map(Vec::as_slice),
            self.repair_asks.values(),
        );
        // A report stops asking once its window closes; none reopens while time runs on.
        let until = self
            .repair_asks
            .values()
            .flat_map(|r| r.later.iter().filter_map(|(written, _)| *written))
            .map(attention::answerable_until)
            .filter(|end| *end >= at)
            .min()
            .map_or(i64::MAX, |end| end.saturating_add(1));
        self.attention = Some(KeptAttention {
            list: list.clone(),
            timeouts: view.timeouts.clone(),
            answerable: hints.answerable,
            checked_in_today: hints.checked_in_today,
            ended: view.ended.is_some(),
            from: at,
            until,
        });
        list
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::identity::Identity;
    use crate::schema::Agreement;

    /// Revisions a newer Trellis wrote are counted as their agreements are built, so the
    /// count follows an agreement that changes, comes or goes without reading them all.
    #[test]
    fn unreadable_revisions_are_counted_as_agreements_change() {
        let me = Identity::generate().unwrap().public();
        let partner = Identity::generate().unwrap().public();
        let now = Moment::new(1_800_000_000_000, 0);
        let mut root = Root::default();
        let with = |unreadable: usize| {
            let mut a = Agreement {
                title: "Evenings".into(),
                ..Agreement::default()
            };
            a.revisions.unreadable = unreadable;
            a
        };
        root.agreements.items.insert("a1".into(), with(2));
        root.agreements.items.insert("a2".into(), with(0));
        let mut edits = Edits::new();
        let mut cache = ViewCache::new();
        let mut seen = Vec::new();
        for step in 0..4 {
            let touched: BTreeSet<Vec<String>> = match step {
                0 => BTreeSet::new(),
                1 => {
                    root.agreements.items.insert("a2".into(), with(3));
                    root.agreements.items.insert("a3".into(), with(1));
                    ["a2", "a3"]
                        .map(|id| vec![keys::AGREEMENTS.into(), id.into()])
                        .into()
                }
                2 => {
                    root.agreements.items.remove("a1");
                    [vec![keys::AGREEMENTS.into(), "a1".into()]].into()
                }
                _ => {
                    root.agreements.items.insert("a2".into(), with(0));
                    [vec![keys::AGREEMENTS.into(), "a2".into()]].into()
                }
            };
            edits.records(&touched);
            let kept = cache.view(&root, &edits, &me, &partner, now);
            assert!(
                kept == View::build(&root, &me, &partner, now),
                "step {step}"
            );
            seen.push(kept.unreadable_records);
        }
        assert_eq!(seen, [2, 6, 4, 1]);
    }
}
