//! A short, seeded run of every fuzz target (the long runs are libFuzzer's, see FUZZING.md).
//! Each input is a random mutation of a valid one; any panic fails the test, and the seed
//! and round reproduce it.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use trellis_core::{Bundle, ChangeHash, ChangeSignature, DocId, Frame, PartnerKey, SignedChange};
use trellis_hostile::targets::{self, DamagedStore, Reader, Tally, Victim};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// `base` with a few bytes flipped, cut or stretched.
    fn mutate(&mut self, base: &[u8]) -> Vec<u8> {
        let mut out = base.to_vec();
        for _ in 0..1 + self.below(4) {
            match self.below(4) {
                0 | 1 if !out.is_empty() => {
                    let i = self.below(out.len());
                    out[i] ^= 1 << self.below(8);
                }
                2 if !out.is_empty() => out.truncate(self.below(out.len())),
                _ => {
                    let i = self.below(out.len() + 1);
                    let n = self.below(8);
                    let extra = self.bytes(n);
                    out.splice(i..i, extra);
                }
            }
        }
        out
    }
}

fn sample_frames() -> Vec<u8> {
    let sig = ChangeSignature {
        signer: PartnerKey([1; 32]),
        signature: [2; 64],
    };
    let mut out = Vec::new();
    for f in [
        Frame::Hello {
            payload: vec![1, 2, 3],
        },
        Frame::Changes(vec![SignedChange {
            bytes: vec![9; 40],
            signature: sig,
        }]),
        Frame::Sync {
            message: vec![0x42, 1, 0],
        },
        Frame::PairRequest {
            secret: [7; 16],
            card: "{}".into(),
        },
        Frame::BundleEnd {
            changes: 1,
            digest: [3; 32],
        },
        Frame::Goodbye {
            reason: "bye".into(),
        },
    ] {
        out.extend(f.encode());
    }
    out
}

#[test]
fn frames_and_bundles_from_anyone_never_panic() {
    let mut rng = Rng(0x7e11_15f7);
    let frames = sample_frames();
    let bundle = Bundle {
        doc: DocId([5; 16]),
        sender: PartnerKey([6; 32]),
        sender_heads: vec![ChangeHash([7; 32])],
        created_at: 1,
        changes: vec![SignedChange {
            bytes: vec![8; 100],
            signature: ChangeSignature {
                signer: PartnerKey([1; 32]),
                signature: [2; 64],
            },
        }],
    }
    .encode();
    for _ in 0..20_000 {
        targets::frames(&rng.mutate(&frames));
        targets::bundle(&rng.mutate(&bundle));
        let n = rng.below(200);
        targets::frames(&rng.bytes(n));
    }
}

#[test]
fn changes_crafted_and_signed_by_the_partner_keep_every_promise() {
    let mut victim = Victim::new().unwrap();
    let mut rng = Rng(0x5eed_0fa7);
    let mut total = Tally::default();
    for round in 0..1_500 {
        let mut data = vec![(round % 4 == 3) as u8, rng.next() as u8];
        if round % 4 == 3 {
            let n = rng.below(120);
            data.extend(rng.bytes(n));
        } else {
            for _ in 0..1 + rng.below(3) {
                data.extend((rng.next() as u32).to_le_bytes()[..3].iter().copied());
            }
        }
        let t = victim.incoming(&data);
        total.accepted += t.accepted;
        total.refused += t.refused;
        total.waiting += t.waiting;
    }
    victim.reopen();
    eprintln!("{total:?}, {} resets", victim.resets());
    assert!(total.refused > 0 && total.accepted > 0, "{total:?}");
}

#[test]
fn sync_messages_from_the_partner_never_panic_or_move_the_document() {
    let mut victim = Victim::new().unwrap();
    let mut rng = Rng(0x5111_c0de);
    // A real message to mutate: one side's opening words.
    let mut session = trellis_core::SyncSession::resume(None);
    let tmp = tempfile::tempdir().unwrap();
    let mut s = trellis_hostile::scene::scene(tmp.path()).unwrap();
    let opening = session
        .outgoing(s.sam().couple_mut().unwrap())
        .unwrap()
        .unwrap()
        .message;
    let mut taken = 0;
    for _ in 0..3_000 {
        taken += victim.sync_message(&rng.mutate(&opening)) as usize;
    }
    eprintln!("{taken} of 3000 mutated sync messages were taken in");
    assert!(taken > 0);
}

#[test]
fn records_of_any_shape_the_partner_writes_never_break_a_view() {
    let mut victim = Reader::new().unwrap();
    let mut rng = Rng(0x07ec_07d5);
    let mut total = Tally::default();
    for _ in 0..1_000 {
        let n = 1 + rng.below(60);
        let t = victim.records(&rng.bytes(n));
        total.accepted += t.accepted;
        total.refused += t.refused;
    }
    eprintln!("{total:?}");
    assert!(total.accepted > 500, "{total:?}");
}

#[test]
fn a_damaged_store_opens_whole_or_names_its_file() {
    let mut store = DamagedStore::new().unwrap();
    let mut rng = Rng(0xdead_5708);
    let len = store.len() as u64;
    let mut opened = 0;
    for round in 0..120 {
        let mut data = Vec::new();
        let edits = match round % 3 {
            0 => 1,
            1 => 16,
            _ => 400,
        };
        for _ in 0..edits {
            data.extend(((rng.next() % len) as u32).to_le_bytes());
            data.push(rng.next() as u8);
        }
        opened += store.open(&data) as usize;
    }
    for cut in [0u8, 1, 64, 200, 255] {
        opened += store.open(&[cut]) as usize;
    }
    eprintln!("{opened} of 125 damaged copies ({len} bytes each) opened");
}
