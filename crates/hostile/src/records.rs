//! Records the partner writes in their own space with values of their choosing: every
//! field of every kind of record, any type, any size, extremes of every number. The
//! ownership rules allow all of it (it is their space), so everything that reads the
//! document — views, status, history, the therapist export — must hold against it.

use automerge::legacy::{ObjectId, Op, OpId};
use automerge::{ExpandedChange, ScalarValue};

use crate::forge::{Forge, ForgeError, make_map, put};

/// Where records live in a partner's space.
pub const COLLECTIONS: &[&str] = &[
    "consents",
    "retirements",
    "checkins",
    "replies",
    "repairs",
    "acknowledgements",
    "commitments",
    "reports",
    "report_acks",
    "closures",
    "appreciations",
    "timeouts",
    "endings",
];

/// Every field name any record has (records read only theirs; others are noise).
pub const FIELDS: &[&str] = &[
    "date",
    "at",
    "feel",
    "when",
    "went_well",
    "was_hard",
    "need",
    "response",
    "safety",
    "trust",
    "connection",
    "checkin",
    "text",
    "what_happened",
    "how_it_landed",
    "acknowledgement",
    "regret",
    "repair",
    "wording",
    "cadence",
    "due",
    "commitment",
    "outcome",
    "note",
    "back_at",
    "ended_at",
    "offset_minutes",
    "revision",
    "title",
    "category",
    "author",
    "parents",
    "if_crossed",
    "review_on",
    "every",
    "kind",
    "days",
    "weekday",
];

/// Reads bytes as the fuzzer wrote them, running dry gracefully.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head.to_vec()
    }

    fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in b.iter_mut() {
            *x = self.byte();
        }
        u64::from_le_bytes(b)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Texts worth trying: empty, long, right-to-left, emoji, control characters, a date.
const TEXTS: &[&str] = &[
    "",
    "2026-11-28",
    "0000-00-00",
    "9999-12-31",
    "-262144-01-01",
    "שלום, אני מרגיש",
    "👩‍❤️‍👨🏳️‍🌈",
    "\u{202e}reversed\u{0000}\u{feff}",
    "listen",
    "weekly",
    "kept",
];

fn value(b: &mut Bytes<'_>) -> ScalarValue {
    match b.byte() % 12 {
        0 => ScalarValue::Str(TEXTS[b.byte() as usize % TEXTS.len()].into()),
        1 => {
            let n = b.byte() as usize * 40;
            ScalarValue::Str(
                String::from_utf8_lossy(&b.take(n))
                    .repeat(1 + n / 64)
                    .into(),
            )
        }
        2 => ScalarValue::Int(b.u64() as i64),
        3 => {
            ScalarValue::Int([i64::MIN, i64::MAX, -1, 0, 1_800_000_000_000][b.byte() as usize % 5])
        }
        4 => ScalarValue::Uint(b.u64()),
        5 => ScalarValue::F64(f64::from_bits(b.u64())),
        6 => ScalarValue::F64([f64::NAN, f64::INFINITY, -0.0, 1e308][b.byte() as usize % 4]),
        7 => ScalarValue::Boolean(b.byte() & 1 == 1),
        8 => ScalarValue::Null,
        9 => {
            let n = b.byte() as usize;
            ScalarValue::Bytes(b.take(n))
        }
        10 => ScalarValue::Timestamp(b.u64() as i64),
        _ => ScalarValue::Uint(u64::from(b.byte())),
    }
}

/// One change in the attacker's own space (or a new agreement they propose), its fields
/// and values driven by `data`.
pub fn record_change(f: &Forge, data: &[u8]) -> Result<ExpandedChange, ForgeError> {
    let mut b = Bytes(data);
    let mut c = f.next_change()?;
    let start = c.start_op.get();
    let actor = c.actor_id.clone();
    let mut ops: Vec<Op> = Vec::new();
    let id = |ops: &Vec<Op>| OpId::new(start + ops.len() as u64, &actor);
    let which = b.byte() as usize % (COLLECTIONS.len() + 1);
    let record = if which == COLLECTIONS.len() {
        // A new agreement with one revision, both naming the attacker as author.
        let agreements = f.obj(&["agreements"])?;
        let agreement = ObjectId::Id(id(&ops));
        ops.push(make_map(&agreements, &format!("a{start}")));
        ops.push(put(
            &agreement,
            "author",
            f.me().to_hex().into(),
            Vec::new(),
        ));
        let revisions = ObjectId::Id(id(&ops));
        ops.push(make_map(&agreement, "revisions"));
        let revision = ObjectId::Id(id(&ops));
        ops.push(make_map(&revisions, &format!("r{start}")));
        ops.push(put(&revision, "author", f.me().to_hex().into(), Vec::new()));
        if b.byte() & 1 == 0 {
            revision
        } else {
            agreement
        }
    } else {
        let mut path = f.own_space();
        path.push(COLLECTIONS[which].into());
        let refs: Vec<&str> = path.iter().map(String::as_str).collect();
        let collection = f.obj(&refs)?;
        let record = ObjectId::Id(id(&ops));
        ops.push(make_map(&collection, &format!("r{start}")));
        record
    };
    let mut used = std::collections::HashSet::new();
    while !b.is_empty() && ops.len() < 64 {
        let field = FIELDS[b.byte() as usize % FIELDS.len()];
        if field == "author" || !used.insert(field) {
            continue;
        }
        if b.byte() % 8 == 0 {
            // A map where a value belongs, with a value inside.
            let inner = ObjectId::Id(id(&ops));
            ops.push(make_map(&record, field));
            let key = TEXTS[b.byte() as usize % TEXTS.len()];
            let key = if key.is_empty() { "k" } else { key };
            ops.push(put(&inner, key, value(&mut b), Vec::new()));
        } else {
            ops.push(put(&record, field, value(&mut b), Vec::new()));
        }
    }
    c.operations = ops;
    Ok(c)
}
