//! Bundle files leave the device sealed to the partner: nothing in them reads as words,
//! only the partner's device opens them, and a wrong, cut or altered file stores nothing.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use tempfile::TempDir;
use trellis_core::schema::Category;
use trellis_core::seal::bucket;
use trellis_core::{Action, AgreementDraft, Card, Moment};
use trellis_store::{Profile, StoreError};

const MARKER: &str = "WORDS-ONLY-SAM-MAY-READ";

fn now(minute: i64) -> Moment {
    Moment::new(1_790_000_000_000 + minute * 60_000, 60)
}

/// Alex and Sam, both with cards that carry sealing keys, Sam joined from a sealed bundle.
fn couple() -> (TempDir, Profile, Profile) {
    let tmp = tempfile::tempdir().unwrap();
    let mut alex = Profile::init(&tmp.path().join("alex"), "Alex").unwrap();
    let mut sam = Profile::init(&tmp.path().join("sam"), "Sam").unwrap();
    alex.create_couple(&sam.card().unwrap(), now(0)).unwrap();
    let (first, _) = alex.export_bundle(true, now(1)).unwrap();
    assert!(trellis_core::seal::is_envelope(&first));
    assert!(sam.import_bundle(&first, now(2)).unwrap().joined);
    (tmp, alex, sam)
}

fn propose(p: &mut Profile, wording: &str, at: Moment) {
    p.act(
        &Action::ProposeAgreement(AgreementDraft {
            title: "Evenings".into(),
            category: Category::TimeAndSpace,
            wording: wording.into(),
            if_crossed: None,
            review_on: None,
        }),
        at,
    )
    .unwrap();
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn a_sealed_bundle_holds_no_readable_words_and_opens_only_for_the_partner() {
    let (_tmp, mut alex, mut sam) = couple();
    propose(&mut alex, MARKER, now(3));

    let (plain, _) = alex.plain_bundle(false, now(4)).unwrap();
    assert!(
        contains(&plain, MARKER),
        "the test's marker is in the plain bundle"
    );
    let (sealed, count) = alex.export_bundle(false, now(4)).unwrap();
    assert!(count > 0);
    assert!(!contains(&sealed, MARKER));
    assert!(!contains(&sealed, "Alex") && !contains(&sealed, "Evenings"));
    // Its length says only which size bucket the bundle fell in: one more small change
    // makes a longer bundle and an envelope of the bucket's size, plus age's header (which
    // varies by a little random padding of its own).
    propose(&mut alex, "A few more words", now(4));
    let (plain_more, _) = alex.plain_bundle(false, now(4)).unwrap();
    let (sealed_more, _) = alex.export_bundle(false, now(4)).unwrap();
    assert!(plain_more.len() > plain.len());
    assert_eq!(bucket(plain.len()), bucket(plain_more.len()));
    let size = bucket(plain.len());
    for envelope in [&sealed, &sealed_more] {
        assert!(
            (size..size + 512).contains(&envelope.len()),
            "{}",
            envelope.len()
        );
    }

    let report = sam.import_bundle(&sealed, now(5)).unwrap();
    assert!(report.new_changes > 0);
    let v = sam.view(now(6)).unwrap();
    assert!(
        v.agreements
            .iter()
            .any(|a| a.current_revision().is_some_and(|r| r.wording == MARKER))
    );
}

#[test]
fn a_sealed_bundle_for_someone_else_cut_or_altered_stores_nothing() {
    let (_tmp, mut alex, mut sam) = couple();
    let (_tmp2, mut other, _) = couple();
    propose(&mut alex, "One evening a week", now(3));
    let (good, _) = alex.export_bundle(false, now(4)).unwrap();
    let before = sam.status().unwrap();

    // Sealed to another couple's Sam.
    propose(&mut other, "Not for this Sam", now(3));
    let (foreign, _) = other.export_bundle(false, now(4)).unwrap();
    let err = sam.import_bundle(&foreign, now(5)).unwrap_err();
    assert!(err.to_string().contains("not for this device"), "{err}");

    // Cut at many places, and altered in each part of the file.
    for cut in [1, 30, 100, good.len() / 2, good.len() - 1] {
        let err = sam.import_bundle(&good[..cut], now(5)).unwrap_err();
        assert!(
            err.to_string().contains("damaged or cut off")
                || err.to_string().contains("not a Trellis bundle"),
            "cut at {cut}: {err}"
        );
    }
    for at in [40, 120, good.len() / 2, good.len() - 20] {
        let mut altered = good.clone();
        altered[at] ^= 0x01;
        let err = sam.import_bundle(&altered, now(5)).unwrap_err();
        assert!(
            matches!(err, StoreError::Core(_)),
            "altered at {at}: {err:?}"
        );
    }
    assert_eq!(sam.status().unwrap(), before, "nothing was stored");
    assert!(sam.import_bundle(&good, now(6)).unwrap().new_changes > 0);
}

/// A couple from before cards carried sealing keys: Sam's card had none.
#[test]
fn an_older_couple_learns_sealing_keys_from_a_bundle_or_a_card() {
    let tmp = tempfile::tempdir().unwrap();
    let mut alex = Profile::init(&tmp.path().join("alex"), "Alex").unwrap();
    let mut sam = Profile::init(&tmp.path().join("sam"), "Sam").unwrap();
    let full_card = sam.card().unwrap();
    let mut old_card: Card = full_card.clone();
    old_card.seal = None;
    old_card.seal_certificate = None;
    alex.create_couple(&old_card, now(0)).unwrap();
    let (first, _) = alex.plain_bundle(true, now(1)).unwrap();
    sam.import_bundle(&first, now(2)).unwrap();

    // Alex cannot seal for Sam yet, and says how to fix it.
    let err = alex.export_bundle(false, now(3)).unwrap_err();
    assert!(
        matches!(err, StoreError::PartnerSealUnknown(ref n) if n == "Sam"),
        "{err:?}"
    );

    // Sam's next bundle is sealed for Alex and publishes Sam's own key.
    let (from_sam, _) = sam.export_bundle(false, now(4)).unwrap();
    assert!(trellis_core::seal::is_envelope(&from_sam));
    alex.import_bundle(&from_sam, now(5)).unwrap();
    propose(&mut alex, "Sealed at last", now(6));
    let (to_sam, _) = alex.export_bundle(false, now(6)).unwrap();
    assert!(sam.import_bundle(&to_sam, now(7)).unwrap().new_changes > 0);

    // Or, from the start, Sam's full card added on Alex's device.
    let tmp = tempfile::tempdir().unwrap();
    let mut alex = Profile::init(&tmp.path().join("alex"), "Alex").unwrap();
    alex.create_couple(&old_card, now(0)).unwrap();
    assert!(alex.export_bundle(true, now(1)).is_err());
    let stranger = Profile::init(&tmp.path().join("stranger"), "Sam").unwrap();
    let err = alex
        .add_partner_card(&stranger.card().unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("not Sam's"), "{err}");
    alex.add_partner_card(&full_card).unwrap();
    let (sealed, _) = alex.export_bundle(true, now(2)).unwrap();
    assert!(trellis_core::seal::is_envelope(&sealed));
}
