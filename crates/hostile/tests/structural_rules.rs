//! Every structural rule, broken by a change the partner crafted and signed, through the
//! bundle path: refused whole, nothing stored, the victim's profile reopens. (The same
//! changes over a live connection: trellis-net's `hostile_partner` test.)
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use trellis_core::ChangeHash;
use trellis_hostile::attacks;
use trellis_hostile::forge::Forge;
use trellis_hostile::scene::{at, scene};
use trellis_store::Profile;

fn sorted_heads(p: &mut Profile) -> Vec<ChangeHash> {
    let mut h = p.couple_mut().unwrap().heads();
    h.sort();
    h
}

#[test]
fn each_structural_rule_refuses_its_crafted_change() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = scene(tmp.path()).unwrap();
    let f = Forge::of(&mut s.alex).unwrap();
    let sam_key = s.sam().key();
    let sam_space = ["by", &sam_key.to_hex(), "appreciations"];
    let sam_app = f.first_key(&sam_space).unwrap();
    let sam_record: Vec<&str> = sam_space
        .iter()
        .copied()
        .chain([sam_app.as_str()])
        .collect();
    let mut cases: Vec<(&str, trellis_core::SignedChange)> = attacks::refused_attacks()
        .into_iter()
        .map(|(name, attack)| (name, attack(&f, &s.agreement).unwrap()))
        .collect();
    cases.push((
        "replace the other partner's value through a predecessor",
        attacks::pred_at_another_key(&f, &sam_record, "text").unwrap(),
    ));
    for (name, change) in cases {
        let heads = sorted_heads(s.sam());
        let log = s.sam().db().log_len().unwrap();
        let err = s
            .sam()
            .import_bundle(&attacks::bundle(&f, vec![change]), at(30))
            .expect_err(name);
        let text = err.to_string();
        assert!(
            text.contains("refused") && !text.contains("panick"),
            "{name}: {text}"
        );
        // Refused for its flaw, not for some accident of how it was built.
        assert!(
            !name.contains("device") || text.contains("device"),
            "{name}: {text}"
        );
        assert_eq!(sorted_heads(s.sam()), heads, "{name}");
        assert_eq!(s.sam().db().log_len().unwrap(), log, "{name}");
    }
    let sam = s.reopen_sam().unwrap();
    assert!(sam.set_aside_at_open().is_empty());
    sam.verify_all().unwrap();
}

#[test]
fn a_change_whose_dependency_is_missing_waits_and_is_never_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = scene(tmp.path()).unwrap();
    let f = Forge::of(&mut s.alex).unwrap();
    let heads = sorted_heads(s.sam());
    let log = s.sam().db().log_len().unwrap();
    let change = attacks::missing_dependency(&f).unwrap();
    let report = s
        .sam()
        .import_bundle(&attacks::bundle(&f, vec![change]), at(30))
        .unwrap();
    assert_eq!((report.new_changes, report.waiting), (0, 1));
    assert_eq!(sorted_heads(s.sam()), heads);
    assert_eq!(s.sam().db().log_len().unwrap(), log);
}

#[test]
fn a_waiting_change_must_be_signed_before_it_is_held() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = scene(tmp.path()).unwrap();
    let f = Forge::of(&mut s.alex).unwrap();
    let mut change = attacks::missing_dependency(&f).unwrap();
    change.signature.signature[3] ^= 1;
    let err = s
        .sam()
        .import_bundle(&attacks::bundle(&f, vec![change]), at(30))
        .expect_err("a bad signature on a waiting change");
    assert!(err.to_string().contains("signature"), "{err}");
}

#[test]
fn a_change_dated_at_the_end_of_time_is_shown_without_overflow() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = scene(tmp.path()).unwrap();
    let f = Forge::of(&mut s.alex).unwrap();
    let mut change = attacks::honest(&f).unwrap();
    change.time = i64::MAX;
    let report = s
        .sam()
        .import_bundle(&attacks::bundle(&f, vec![f.sign(change)]), at(30))
        .unwrap();
    assert_eq!(report.new_changes, 1);
    let history = s.sam().history().unwrap();
    let last = history.iter().max_by_key(|e| e.time).unwrap();
    assert_eq!(last.at_ms(), i64::MAX);
}

/// The crafted device records above differ from an honest one only in their flaw: the honest
/// one is accepted, and moves the gate on the other side to that device.
#[test]
fn an_honest_device_record_is_accepted_and_names_the_device() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = scene(tmp.path()).unwrap();
    let f = Forge::of(&mut s.alex).unwrap();
    let alex = f.me();
    let change = attacks::forged_device_record(&f, 9).unwrap();
    let report = s
        .sam()
        .import_bundle(&attacks::bundle(&f, vec![change]), at(30))
        .unwrap();
    assert_eq!(report.new_changes, 1);
    let couple = s.sam().couple().unwrap();
    assert_eq!(couple.current_device(&alex).map(|d| d.0), Some([0x5a; 32]));
    assert_eq!(s.sam().partner_device(), Some([0x5a; 32]));
}
