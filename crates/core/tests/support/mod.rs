//! Two partners, Alex and Sam, holding their own copies of one couple document.
#![allow(dead_code, clippy::unwrap_used)] // test support: a failed setup step should panic loudly

use std::collections::HashMap;

use trellis_core::{
    Action, AgreementDraft, Card, ChangeHash, ChangeSignature, Committed, CoreError, Couple,
    Identity, Moment, SignedChange, schema::Category,
};

/// 2026-11-22 09:00 UTC, in a +01:00 zone.
pub const START_MS: i64 = 1_795_338_000_000;

pub fn at(minutes: i64) -> Moment {
    Moment::new(START_MS + minutes * 60_000, 60)
}

pub fn day(days: i64) -> Moment {
    at(days * 24 * 60)
}

pub struct Side {
    pub couple: Couple,
    pub sigs: HashMap<ChangeHash, ChangeSignature>,
    pub seed: [u8; 32],
}

impl Side {
    pub fn identity(&self) -> Identity {
        Identity::from_bytes(&self.seed)
    }

    pub fn act(&mut self, action: Action, now: Moment) -> Result<Committed, CoreError> {
        let c = self.couple.act(&action, now)?;
        self.sigs.insert(c.hash, c.change.signature);
        Ok(c)
    }

    /// Everything this side has that is not in the causal past of `have`.
    pub fn outgoing(&mut self, have: &[ChangeHash]) -> Vec<SignedChange> {
        self.couple
            .changes_since(have)
            .into_iter()
            .map(|c| SignedChange {
                signature: self.sigs[&c.hash()],
                bytes: c.raw_bytes().to_vec(),
            })
            .collect()
    }

    pub fn receive(&mut self, incoming: Vec<SignedChange>) -> Result<usize, CoreError> {
        let verified = self
            .couple
            .verify_incoming(incoming, trellis_core::Waiting::default())?;
        let n = verified.new_count();
        for (hash, change) in verified.accepted() {
            self.sigs.insert(hash, change.signature);
        }
        self.couple.apply(verified)?;
        Ok(n)
    }
}

pub fn identity() -> ([u8; 32], Identity) {
    let id = Identity::generate().expect("random");
    (id.to_bytes(), id)
}

/// Alex creates the couple; Sam joins from Alex's first bundle.
pub fn pair() -> (Side, Side) {
    let (alex_seed, alex) = identity();
    let (sam_seed, sam) = identity();
    let alex_card = Card::new(&alex, "Alex", &[1; 32])
        .unwrap()
        .verify()
        .unwrap();
    let sam_card = Card::new(&sam, "Sam", &[2; 32]).unwrap().verify().unwrap();
    let (couple, first) = Couple::create(alex, &alex_card, &sam_card, at(0)).unwrap();
    let mut a = Side {
        couple,
        sigs: HashMap::from([(first.hash, first.change.signature)]),
        seed: alex_seed,
    };
    let joined = Couple::join(sam, a.outgoing(&[])).unwrap();
    let b = Side {
        sigs: joined
            .accepted
            .iter()
            .map(|(h, c)| (*h, c.signature))
            .collect(),
        couple: joined.couple,
        seed: sam_seed,
    };
    (a, b)
}

/// Sends each side what the other lacks, both ways.
pub fn exchange(a: &mut Side, b: &mut Side) {
    let b_heads = b.couple.heads();
    let to_b = a.outgoing(&b_heads);
    b.receive(to_b).unwrap();
    let a_heads = a.couple.heads();
    let to_a = b.outgoing(&a_heads);
    a.receive(to_a).unwrap();
}

pub fn propose(side: &mut Side, title: &str, now: Moment) -> String {
    side.act(
        Action::ProposeAgreement(AgreementDraft {
            title: title.into(),
            category: Category::Communication,
            wording: format!("We agree: {title}"),
            if_crossed: Some("We talk about it the same evening".into()),
            review_on: None,
        }),
        now,
    )
    .unwrap()
    .record
}
