//! The four findings of the hostile-partner review, each through the bundle path: the
//! victim's document and store are unchanged and the profile reopens.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use trellis_core::{ChangeHash, SignedChange};
use trellis_hostile::attacks;
use trellis_hostile::forge::Forge;
use trellis_hostile::scene::{Scene, at, scene};
use trellis_store::{Profile, StoreError};

fn sorted_heads(p: &mut Profile) -> Vec<ChangeHash> {
    let mut h = p.couple_mut().unwrap().heads();
    h.sort();
    h
}

/// Sam takes in `bundle` from Alex: it must be refused, leave Sam's document, store and
/// view as they were, and Sam's profile must reopen whole.
fn refused_and_harmless(s: &mut Scene, bundle: &[u8]) -> StoreError {
    let heads = sorted_heads(s.sam());
    let log = s.sam().db().log_len().unwrap();
    let view = s.sam().view(at(30)).unwrap();
    let err = s
        .sam()
        .import_bundle(bundle, at(30))
        .expect_err("the crafted change must be refused");
    assert_eq!(sorted_heads(s.sam()), heads, "the document moved");
    assert_eq!(s.sam().db().log_len().unwrap(), log, "something was stored");
    assert_eq!(s.sam().view(at(30)).unwrap(), view, "the view changed");
    reopen(s);
    assert_eq!(sorted_heads(s.sam()), heads);
    err
}

fn reopen(s: &mut Scene) {
    let dir = s.sam_dir.clone();
    let sam = s
        .reopen_sam()
        .unwrap_or_else(|e| panic!("{} does not open: {e}", dir.display()));
    assert!(sam.set_aside_at_open().is_empty());
    sam.verify_all().unwrap();
}

/// A copy of a profile directory's files.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn setup() -> (tempfile::TempDir, Scene, Forge) {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = scene(tmp.path()).unwrap();
    let forge = Forge::of(&mut s.alex).unwrap();
    (tmp, s, forge)
}

#[test]
fn finding_1_a_cosigned_wording_cannot_be_rewritten() {
    let (_tmp, mut s, f) = setup();
    let change =
        attacks::rewrite_cosigned_wording(&f, &s.agreement, "Sam gives up all privacy").unwrap();
    let err = refused_and_harmless(&mut s, &attacks::bundle(&f, vec![change]));
    assert!(err.to_string().contains("structure"), "{err}");
    let view = s.sam().view(at(31)).unwrap();
    let words: Vec<String> = view.agreements.iter().map(|a| format!("{a:?}")).collect();
    assert!(
        words.iter().all(|w| !w.contains("gives up all privacy")),
        "the rewritten words reached the view"
    );
}

#[test]
fn finding_2_changes_that_would_brick_the_profile_are_refused() {
    let (_tmp, mut s, f) = setup();
    let crafted: Vec<(&str, SignedChange)> = vec![
        ("a seq gap", attacks::seq_gap(&f).unwrap()),
        (
            "a pred naming an unknown actor",
            attacks::unknown_actor_in_pred(&f).unwrap(),
        ),
        (
            "an actor reusing seq 1",
            attacks::reuse_seq_one(&f).unwrap(),
        ),
        (
            "a second author binding",
            attacks::second_author_binding(&f).unwrap(),
        ),
    ];
    for (what, change) in crafted {
        let err = refused_and_harmless(&mut s, &attacks::bundle(&f, vec![change]));
        assert!(err.to_string().contains("refused"), "{what}: {err}");
    }
    // And the honest change still goes in afterwards.
    let honest = f.sign(attacks::honest(&f).unwrap());
    let report = s
        .sam()
        .import_bundle(&attacks::bundle(&f, vec![honest]), at(40))
        .unwrap();
    assert_eq!(report.new_changes, 1);
    reopen(&mut s);
}

#[test]
fn finding_3_a_compressed_bomb_is_refused_unread() {
    let (_tmp, mut s, f) = setup();
    let bomb = attacks::compressed_bomb(64 * 1024 * 1024);
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    let change = SignedChange {
        bytes: bomb,
        signature: f.sign(attacks::honest(&f).unwrap()).signature,
    };
    let err = refused_and_harmless(&mut s, &attacks::bundle(&f, vec![change]));
    assert!(err.to_string().contains("compressed"), "{err}");
}

#[test]
fn finding_4_flipped_bytes_in_a_signed_change_never_panic() {
    let (_tmp, mut s, f) = setup();
    let base = f.sign(attacks::honest(&f).unwrap());
    let pristine = s.sam_dir.with_extension("pristine");
    copy_dir(&s.sam_dir, &pristine);
    let mut refused = 0;
    let mut accepted = 0;
    // Every byte past the chunk header, three ways.
    for pos in 9..base.bytes.len() {
        for xor in [0x01, 0x80, 0xff] {
            let Some(change) = attacks::flipped(&f, &base, pos, xor) else {
                continue;
            };
            let heads = sorted_heads(s.sam());
            let parsed = automerge::Change::try_from(change.bytes.as_slice()).map(|c| {
                format!(
                    "actor {} seq {} start {} deps {:?} msg {:?} ops {}",
                    c.actor_id(),
                    c.seq(),
                    c.start_op(),
                    c.deps(),
                    c.message(),
                    c.len()
                )
            });
            match s
                .sam()
                .import_bundle(&attacks::bundle(&f, vec![change]), at(50))
            {
                Ok(r) if r.new_changes == 1 => {
                    accepted += 1;
                    eprintln!("accepted: byte {pos} ^ {xor:#x}: {parsed:?}");
                    // It applied: it must also survive a reopen. Then start again clean.
                    reopen(&mut s);
                    let next = pristine.with_extension(format!("run{accepted}"));
                    copy_dir(&pristine, &next);
                    s.open_sam_at(&next).unwrap();
                }
                Ok(_) => assert_eq!(sorted_heads(s.sam()), heads),
                Err(_) => {
                    refused += 1;
                    assert_eq!(sorted_heads(s.sam()), heads);
                }
            }
        }
    }
    assert!(
        refused > 0 && accepted > 0,
        "refused {refused}, accepted {accepted}"
    );
    reopen(&mut s);
}

#[test]
fn finding_4_a_malformed_first_change_cannot_be_joined() {
    let tmp = tempfile::tempdir().unwrap();
    let mut alex = Profile::init(&tmp.path().join("alex"), "Alex").unwrap();
    let sam_dir = tmp.path().join("sam");
    let sam = Profile::init(&sam_dir, "Sam").unwrap();
    alex.create_couple(&sam.card().unwrap(), at(0)).unwrap();
    drop(sam);
    let pristine = tmp.path().join("sam-pristine");
    copy_dir(&sam_dir, &pristine);
    let f = Forge::of(&mut alex).unwrap();
    let (bundle, _) = alex.plain_bundle(true, at(0)).unwrap();
    let first = trellis_core::Bundle::decode(&bundle).unwrap().changes[0].clone();
    let mut outcomes = (0, 0);
    for pos in 9..first.bytes.len() {
        for xor in [0x01, 0xff] {
            let Some(change) = attacks::flipped(&f, &first, pos, xor) else {
                continue;
            };
            let mut sam = Profile::open(&sam_dir).unwrap();
            match sam.import_bundle(&attacks::bundle(&f, vec![change]), at(1)) {
                Ok(_) => outcomes.1 += 1,
                Err(e) => {
                    outcomes.0 += 1;
                    assert!(sam.couple().is_none(), "{e}");
                    assert_eq!(sam.db().log_len().unwrap(), 0, "{e}");
                }
            }
            if sam.couple().is_some() {
                // Joined a harmless variant (a different message, say): start over.
                drop(sam);
                copy_dir(&pristine, &sam_dir);
            }
        }
    }
    assert!(outcomes.0 > 0, "{outcomes:?}");
}
