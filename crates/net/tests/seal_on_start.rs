//! A couple that began before cards carried sealing keys: starting the app shares this
//! device's key in the document, so the partner can seal bundles for it from then on.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod support;

use support::*;
use trellis_core::Moment;
use trellis_store::{Profile, StoreError};

fn at(minute: i64) -> Moment {
    Moment::new(1_790_000_000_000 + minute * 60_000, 0)
}

#[test]
fn starting_the_node_shares_a_sealing_key_the_partner_lacks() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let alex_dir = profile(tmp.path(), "Alex");
    let sam_dir = profile(tmp.path(), "Sam");
    let mut alex = Profile::open(&alex_dir).unwrap();
    let mut sam = Profile::open(&sam_dir).unwrap();
    let mut old_card = sam.card().unwrap();
    old_card.seal = None;
    old_card.seal_certificate = None;
    alex.create_couple(&old_card, at(0)).unwrap();
    let (first, _) = alex.plain_bundle(true, at(1)).unwrap();
    sam.import_bundle(&first, at(2)).unwrap();
    drop(sam);
    assert!(matches!(
        alex.export_bundle(false, at(3)),
        Err(StoreError::PartnerSealUnknown(_))
    ));

    // The key is shared as the node starts, before any partner is reached.
    drop(start(&sam_dir));

    let mut sam = Profile::open(&sam_dir).unwrap();
    assert!(sam.couple().unwrap().seal_to_share().is_none());
    let (news, _) = sam.plain_bundle(false, at(4)).unwrap();
    alex.import_bundle(&news, at(5)).unwrap();
    let (sealed, _) = alex.export_bundle(false, at(6)).unwrap();
    assert!(trellis_core::seal::is_envelope(&sealed));
}
