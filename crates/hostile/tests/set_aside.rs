//! A profile always opens: stored changes that would not apply — written by a bug, or by an
//! older Trellis that stored a partner's change before proving it applied — are set aside
//! at open, named by `trellis verify`, and everything else opens.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use trellis_core::ChangeHash;
use trellis_hostile::attacks;
use trellis_hostile::forge::Forge;
use trellis_hostile::scene::{at, scene};

#[test]
fn stored_changes_that_would_not_apply_are_set_aside_and_the_rest_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = scene(tmp.path()).unwrap();
    let f = Forge::of(&mut s.alex).unwrap();
    let mut heads = s.sam().couple_mut().unwrap().heads();
    heads.sort();
    let view = s.sam().view(at(30)).unwrap();

    // What an older Trellis would have stored: a seq gap (automerge panics on it), a
    // change reusing an actor's seq 1, random bytes, a decompression bomb — and an honest
    // change that depends on the seq-gap one.
    let gap = attacks::seq_gap(&f).unwrap();
    let reuse = attacks::reuse_seq_one(&f).unwrap();
    let junk = trellis_core::SignedChange {
        bytes: vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 1, 9, 9, 9],
        signature: gap.signature,
    };
    let bomb = trellis_core::SignedChange {
        bytes: attacks::compressed_bomb(1 << 20),
        signature: gap.signature,
    };
    let stored: Vec<(ChangeHash, trellis_core::SignedChange)> = [gap, reuse, junk, bomb]
        .into_iter()
        .enumerate()
        .map(|(i, c)| (ChangeHash([i as u8 + 1; 32]), c))
        .collect();
    s.sam().db().append(&stored, &[]).unwrap();

    let sam = s.reopen_sam().unwrap();
    let aside = sam.set_aside_at_open().to_vec();
    assert_eq!(aside.len(), 4, "{aside:?}");
    for a in &aside {
        assert!(!a.reason.is_empty());
    }
    let mut now = sam.couple_mut().unwrap().heads();
    now.sort();
    assert_eq!(now, heads, "everything else is here");
    assert_eq!(sam.view(at(30)).unwrap(), view);
    let report = sam.verify_all().unwrap();
    assert_eq!(report.set_aside.len(), 4);

    // Moved out of the log in one transaction: the next open is a clean one, and the
    // changes are still kept and listed.
    let sam = s.reopen_sam().unwrap();
    assert!(sam.set_aside_at_open().is_empty());
    assert_eq!(sam.quarantined().unwrap().len(), 4);
    // And the profile still works.
    sam.act(
        &trellis_core::Action::Appreciate {
            text: "still here".into(),
        },
        at(40),
    )
    .unwrap();
    s.reopen_sam().unwrap().verify_all().unwrap();
}
