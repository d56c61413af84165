//! The partner as the adversary, over a live connection: changes Sam crafted by hand and
//! signed with Sam's real key, sent from Sam's real device. Each is refused, the
//! connection is closed, Alex's document and store are unchanged, Alex's node keeps
//! running, Alex's profile reopens whole, and the honest Sam still syncs afterwards.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod support;

use support::*;
use trellis_core::schema::Category;
use trellis_core::{Action, AgreementDraft, Frame, SignedChange};
use trellis_hostile::attacks;
use trellis_hostile::forge::Forge;
use trellis_net::{Command, Event};
use trellis_store::Profile;

#[test]
fn crafted_changes_over_the_network_change_nothing_and_the_node_lives_on() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let alex_dir = profile(tmp.path(), "Alex");
    let sam_dir = profile(tmp.path(), "Sam");
    let alex = start(&alex_dir);
    let agreement = {
        let sam = start(&sam_dir);
        pair(&alex, &sam);
        let Event::Done { outcome, .. } = call(
            &sam,
            Command::Act(Action::ProposeAgreement(AgreementDraft {
                title: "Phones".into(),
                category: Category::Transparency,
                wording: "We keep our phones unlocked at home".into(),
                if_crossed: None,
                review_on: chrono::NaiveDate::from_ymd_opt(2027, 2, 1),
            })),
        ) else {
            panic!("proposing failed")
        };
        let agreement = outcome.record().unwrap().to_string();
        wait_until(&alex, "Alex sees the proposal", |s| {
            agreement_status(s, "Phones").is_some()
        });
        ok(
            &alex,
            Command::Act(Action::AcceptAgreement {
                agreement: agreement.clone(),
                revision: None,
            }),
        );
        wait_until(&sam, "Sam sees Alex's yes", |s| {
            agreement_status(s, "Phones").as_deref() == Some("in force")
        });
        sam.shutdown();
        agreement
    };
    let (device, alpn, forge) = {
        let mut sam = Profile::open(&sam_dir).unwrap();
        let alpn = trellis_net::sync_alpn(sam.couple().unwrap());
        (sam.device_secret(), alpn, Forge::of(&mut sam).unwrap())
    };
    let before = change_count(&alex);
    let view_before = alex.snapshot().view.clone();

    let mut crafted: Vec<(&str, SignedChange)> = attacks::refused_attacks()
        .into_iter()
        .map(|(name, attack)| (name, attack(&forge, &agreement).unwrap()))
        .collect();
    crafted.push((
        "a compressed bomb",
        SignedChange {
            bytes: attacks::compressed_bomb(512 * 1024 * 1024),
            signature: crafted[0].1.signature,
        },
    ));
    for (name, change) in crafted {
        let mut bytes = hello();
        bytes.extend(Frame::Changes(vec![change]).encode());
        assert!(
            send_raw(&device, &alpn, &alex, bytes),
            "Alex closes after: {name}"
        );
        assert_eq!(
            change_count(&alex),
            before,
            "{name} changed Alex's document"
        );
    }
    assert_eq!(alex.snapshot().view, view_before, "Alex's view changed");

    // A change that waits for one nobody has is held, never applied.
    let mut bytes = hello();
    bytes.extend(Frame::Changes(vec![attacks::missing_dependency(&forge).unwrap()]).encode());
    bytes.extend(
        Frame::Goodbye {
            reason: "bye".into(),
        }
        .encode(),
    );
    send_raw(&device, &alpn, &alex, bytes);
    assert_eq!(change_count(&alex), before);

    // The node lives on: the honest Sam syncs.
    honest_partner_still_syncs(&alex, &sam_dir);
    alex.shutdown();

    let mut reopened = Profile::open(&alex_dir).unwrap();
    assert!(reopened.set_aside_at_open().is_empty());
    let report = reopened.verify_all().unwrap();
    assert_eq!(report.changes, before + 1);
    assert!(report.set_aside.is_empty());
}
