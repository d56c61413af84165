//! Every rejection rule: a bad change is refused and leaves the document untouched.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod support;

use automerge::transaction::Transactable;
use automerge::{Author, AutoCommit, ObjType, ROOT, ReadDoc, Value};
use support::*;
use trellis_core::{
    Action, Bundle, Card, ChangeSignature, CheckInDraft, CoreError, Couple, Frame, FrameError,
    Identity, PartnerKey, Rejection, SignedChange,
};

/// A change made outside the app: `author` in the footer, signed by `signer`.
fn forge(
    side: &mut Side,
    author: PartnerKey,
    signer: &Identity,
    edit: impl FnOnce(&mut AutoCommit),
) -> SignedChange {
    let mut doc = AutoCommit::load(&side.couple.save()).unwrap();
    doc.set_author(Some(Author::from(author.as_bytes().to_vec())));
    edit(&mut doc);
    let hash = doc.commit().expect("the edit made a change");
    let change = doc.get_change_by_hash(&hash).unwrap();
    SignedChange {
        bytes: change.raw_bytes().to_vec(),
        signature: ChangeSignature::sign(signer, &side.couple.doc_id(), &hash),
    }
}

fn map(doc: &AutoCommit, path: &[&str]) -> automerge::ObjId {
    let mut obj = ROOT;
    for key in path {
        match doc.get(&obj, *key).unwrap() {
            Some((Value::Object(_), id)) => obj = id,
            other => panic!("no map at {key}: {other:?}"),
        }
    }
    obj
}

/// Asserts `incoming` is refused by `side` and changes nothing.
fn refused(side: &mut Side, incoming: Vec<SignedChange>) -> Rejection {
    let heads = side.couple.heads();
    let root = side.couple.root().clone();
    let err = side.receive(incoming).expect_err("must be refused");
    assert_eq!(side.couple.heads(), heads, "heads moved");
    assert_eq!(side.couple.root(), &root, "document changed");
    match err {
        CoreError::Rejected(r) => r,
        other => panic!("not a rejection: {other}"),
    }
}

/// Alex and Sam, with one agreement by Alex and one check-in by Alex, synced.
fn setup() -> (Side, Side, String, String) {
    let (mut alex, mut sam) = pair();
    let agreement = propose(&mut alex, "Phones", at(1));
    let checkin = alex
        .act(
            Action::AddCheckIn(CheckInDraft {
                feel: "calm".into(),
                ..Default::default()
            }),
            at(2),
        )
        .unwrap()
        .record;
    exchange(&mut alex, &mut sam);
    (alex, sam, agreement, checkin)
}

#[test]
fn a_forged_signature_is_refused() {
    let (mut alex, mut sam, _, _) = setup();
    let mallory = Identity::generate().unwrap();
    let sam_key = sam.couple.me();
    let sam_space = sam_key.to_hex();
    let mut forged = forge(&mut sam, sam_key, &mallory, |doc| {
        let apps = map(doc, &["by", &sam_space, "appreciations"]);
        doc.put_object(&apps, "x", ObjType::Map).unwrap();
    });
    // Claims to be Sam's signature, but Mallory made it.
    forged.signature.signer = sam_key;
    let r = refused(&mut alex, vec![forged]);
    assert!(matches!(r, Rejection::BadSignature { .. }), "{r}");
}

#[test]
fn an_unknown_signer_is_refused() {
    let (mut alex, mut sam, _, _) = setup();
    let mallory = Identity::generate().unwrap();
    let change = forge(&mut sam, mallory.public(), &mallory, |doc| {
        doc.put(ROOT, "graffiti", "hello").unwrap();
    });
    let r = refused(&mut alex, vec![change]);
    assert!(matches!(r, Rejection::UnknownSigner { .. }), "{r}");
}

#[test]
fn an_author_other_than_the_signer_is_refused() {
    let (mut alex, mut sam, _, _) = setup();
    let alex_key = alex.couple.me();
    let alex_space = alex_key.to_hex();
    // Sam signs honestly, but the change claims Alex wrote it (putting words in Alex's mouth).
    let sam_id = sam.identity();
    let change = forge(&mut sam, alex_key, &sam_id, |doc| {
        let apps = map(doc, &["by", &alex_space, "appreciations"]);
        let a = doc.put_object(&apps, "x", ObjType::Map).unwrap();
        doc.put(&a, "text", "Sam is always right").unwrap();
    });
    let r = refused(&mut alex, vec![change]);
    assert!(matches!(r, Rejection::AuthorMismatch { .. }), "{r}");
}

#[test]
fn tampered_bytes_are_refused() {
    let (mut alex, mut sam, _, _) = setup();
    let c = sam
        .act(
            Action::Appreciate {
                text: "thank you".into(),
            },
            at(5),
        )
        .unwrap();
    for i in [10usize, c.change.bytes.len() / 2, c.change.bytes.len() - 3] {
        let mut bad = c.change.clone();
        bad.bytes[i] ^= 0x20;
        let r = refused(&mut alex, vec![bad]);
        assert!(
            matches!(
                r,
                Rejection::Malformed { .. }
                    | Rejection::BadSignature { .. }
                    | Rejection::AuthorMismatch { .. }
            ),
            "byte {i}: {r}"
        );
    }
    // The honest change itself still goes through.
    assert_eq!(alex.receive(vec![c.change]).unwrap(), 1);
}

#[test]
fn a_replayed_bundle_is_harmless() {
    let (mut alex, mut sam, _, _) = setup();
    sam.act(
        Action::Appreciate {
            text: "thanks".into(),
        },
        at(5),
    )
    .unwrap();
    let heads = alex.couple.heads();
    let batch = sam.outgoing(&heads);
    assert_eq!(alex.receive(batch.clone()).unwrap(), 1);
    let after = alex.couple.heads();
    let root = alex.couple.root().clone();
    assert_eq!(alex.receive(batch).unwrap(), 0);
    assert_eq!(alex.couple.heads(), after);
    assert_eq!(alex.couple.root(), &root);
}

#[test]
fn weak_keys_never_become_partners() {
    let mut weak = [0u8; 32];
    weak[0] = 1; // the identity point: small order
    let mut card = Card::new(&Identity::generate().unwrap(), "Eve", &[9; 32]).unwrap();
    card.identity = hex::encode(weak);
    let err = card.verify().unwrap_err();
    assert!(err.to_string().contains("weak"), "{err}");
}

#[test]
fn writing_into_the_partners_records_is_refused() {
    let (mut alex, mut sam, _, checkin) = setup();
    let sam_key = sam.couple.me();
    let alex_space = alex.couple.me().to_hex();
    let id = sam.identity();
    // Rewriting Alex's check-in.
    let change = forge(&mut sam, sam_key, &id, |doc| {
        let c = map(doc, &["by", &alex_space, "checkins", &checkin]);
        doc.put(&c, "feel", "furious").unwrap();
    });
    let r = refused(&mut alex, vec![change]);
    assert!(matches!(r, Rejection::Ownership { .. }), "{r}");
    // Consenting on Alex's behalf.
    let change = forge(&mut sam, sam_key, &id, |doc| {
        let c = map(doc, &["by", &alex_space, "consents"]);
        doc.put_object(&c, "made-up", ObjType::Map).unwrap();
    });
    assert!(matches!(
        refused(&mut alex, vec![change]),
        Rejection::Ownership { .. }
    ));
    // Deleting Alex's check-in.
    let change = forge(&mut sam, sam_key, &id, |doc| {
        let c = map(doc, &["by", &alex_space, "checkins"]);
        doc.delete(&c, checkin.as_str()).unwrap();
    });
    assert!(matches!(
        refused(&mut alex, vec![change]),
        Rejection::Ownership { .. }
    ));
}

#[test]
fn shared_agreements_cannot_be_rewritten() {
    let (mut alex, mut sam, agreement, _) = setup();
    let sam_key = sam.couple.me();
    let id = sam.identity();
    let revision = alex
        .couple
        .root()
        .agreements
        .get(&agreement)
        .unwrap()
        .revisions
        .ids()
        .next()
        .unwrap()
        .clone();
    type Edit = Box<dyn FnOnce(&mut AutoCommit)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "reword a revision",
            Box::new({
                let (a, r) = (agreement.clone(), revision.clone());
                move |doc: &mut AutoCommit| {
                    let rev = map(doc, &["agreements", &a, "revisions", &r]);
                    doc.put(&rev, "wording", "Alex gives up their phone")
                        .unwrap();
                }
            }),
        ),
        (
            "retitle",
            Box::new({
                let a = agreement.clone();
                move |doc: &mut AutoCommit| {
                    let ag = map(doc, &["agreements", &a]);
                    doc.put(&ag, "title", "Something else").unwrap();
                }
            }),
        ),
        (
            "overwrite the agreement",
            Box::new({
                let a = agreement.clone();
                move |doc: &mut AutoCommit| {
                    let all = map(doc, &["agreements"]);
                    doc.put_object(&all, a.as_str(), ObjType::Map).unwrap();
                }
            }),
        ),
        (
            "delete the agreement",
            Box::new({
                let a = agreement.clone();
                move |doc: &mut AutoCommit| {
                    let all = map(doc, &["agreements"]);
                    doc.delete(&all, a.as_str()).unwrap();
                }
            }),
        ),
        (
            "rename the couple",
            Box::new(|doc: &mut AutoCommit| {
                let couple = map(doc, &["couple"]);
                doc.put(&couple, "created_by", "nobody").unwrap();
            }),
        ),
        (
            "a new revision in Alex's name",
            Box::new({
                let (a, me) = (agreement.clone(), alex.couple.me().to_hex());
                move |doc: &mut AutoCommit| {
                    let revs = map(doc, &["agreements", &a, "revisions"]);
                    let r = doc.put_object(&revs, "r2", ObjType::Map).unwrap();
                    doc.put(&r, "wording", "Alex promised this").unwrap();
                    doc.put(&r, "author", me.as_str()).unwrap();
                }
            }),
        ),
        (
            "a new agreement naming no author",
            Box::new(|doc: &mut AutoCommit| {
                let all = map(doc, &["agreements"]);
                let a = doc.put_object(&all, "new", ObjType::Map).unwrap();
                doc.put(&a, "title", "Anonymous").unwrap();
            }),
        ),
        (
            "a list",
            Box::new({
                let me = sam_key.to_hex();
                move |doc: &mut AutoCommit| {
                    let apps = map(doc, &["by", &me, "appreciations"]);
                    doc.put_object(&apps, "x", ObjType::List).unwrap();
                }
            }),
        ),
        (
            "replacing my whole space",
            Box::new({
                let me = sam_key.to_hex();
                move |doc: &mut AutoCommit| {
                    let by = map(doc, &["by"]);
                    doc.put_object(&by, me.as_str(), ObjType::Map).unwrap();
                }
            }),
        ),
    ];
    for (what, edit) in cases {
        let change = forge(&mut sam, sam_key, &id, edit);
        let r = refused(&mut alex, vec![change]);
        assert!(matches!(r, Rejection::Ownership { .. }), "{what}: {r}");
    }
}

#[test]
fn a_second_beginning_is_refused() {
    let (mut alex, sam, _, _) = setup();
    let sam_key = sam.couple.me();
    let mut doc = AutoCommit::new().with_author(Some(Author::from(sam_key.as_bytes().to_vec())));
    doc.put(ROOT, "schema", 1u64).unwrap();
    let hash = doc.commit().unwrap();
    let change = doc.get_change_by_hash(&hash).unwrap();
    let signed = SignedChange {
        bytes: change.raw_bytes().to_vec(),
        signature: ChangeSignature::sign(&sam.identity(), &alex.couple.doc_id(), &hash),
    };
    assert!(matches!(
        refused(&mut alex, vec![signed]),
        Rejection::Ownership { .. }
    ));
}

#[test]
fn one_bad_change_refuses_the_whole_batch() {
    let (mut alex, mut sam, _, checkin) = setup();
    sam.act(
        Action::Appreciate {
            text: "good one".into(),
        },
        at(5),
    )
    .unwrap();
    let heads = alex.couple.heads();
    let mut batch = sam.outgoing(&heads);
    let alex_space = alex.couple.me().to_hex();
    let sam_key = sam.couple.me();
    let id = sam.identity();
    batch.push(forge(&mut sam, sam_key, &id, |doc| {
        let c = map(doc, &["by", &alex_space, "checkins", &checkin]);
        doc.put(&c, "feel", "nothing").unwrap();
    }));
    refused(&mut alex, batch);
    // Changes from another couple's document are refused too: their signatures cover
    // another document id.
    let (mut other_alex, _) = pair();
    let foreign = other_alex.outgoing(&[]);
    assert!(matches!(
        refused(&mut alex, foreign),
        Rejection::UnknownSigner { .. } | Rejection::Ownership { .. }
    ));
}

#[test]
fn a_bundle_for_someone_else_cannot_be_joined() {
    let (mut alex, _) = pair();
    let stranger = Identity::generate().unwrap();
    let err = Couple::join(stranger, alex.outgoing(&[])).unwrap_err();
    assert!(
        matches!(err, CoreError::Rejected(Rejection::NotForMe)),
        "{err}"
    );
    // A bundle without the couple's first change cannot be joined either.
    let (mut alex, _) = pair();
    alex.act(Action::Appreciate { text: "hi".into() }, at(3))
        .unwrap();
    let first = alex.couple.heads();
    alex.act(
        Action::Appreciate {
            text: "again".into(),
        },
        at(4),
    )
    .unwrap();
    let later = alex.outgoing(&first);
    let err = Couple::join(Identity::generate().unwrap(), later).unwrap_err();
    assert!(
        matches!(err, CoreError::Rejected(Rejection::NotJoined)),
        "{err}"
    );
}

#[test]
fn oversize_garbled_and_truncated_input_is_refused_before_parsing() {
    let (mut alex, mut sam, _, _) = setup();
    sam.act(
        Action::Appreciate {
            text: "thanks".into(),
        },
        at(5),
    )
    .unwrap();
    let heads = alex.couple.heads();
    let bundle = Bundle {
        doc: sam.couple.doc_id(),
        sender: sam.couple.me(),
        sender_heads: sam.couple.heads(),
        created_at: 0,
        changes: sam.outgoing(&heads),
    };
    let bytes = bundle.encode();
    assert_eq!(Bundle::decode(&bytes).unwrap(), bundle);
    assert!(Bundle::decode(&bytes[..bytes.len() - 10]).is_err());
    let mut garbled = bytes.clone();
    let mid = garbled.len() / 2;
    garbled[mid] ^= 0xff;
    assert!(Bundle::decode(&garbled).is_err());
    let mut oversize = u32::MAX.to_le_bytes().to_vec();
    oversize.extend([1, 2, 0, 0, 0, 0]);
    assert!(matches!(
        Frame::decode(&oversize),
        Err(FrameError::TooLarge { .. })
    ));
    assert!(Bundle::decode(&oversize).is_err());
    // Garbage where a change should be.
    let garbage = SignedChange {
        bytes: b"definitely not an automerge change".to_vec(),
        signature: bundle.changes[0].signature,
    };
    assert!(matches!(
        refused(&mut alex, vec![garbage]),
        Rejection::Malformed { .. }
    ));
}

/// An answer to an appreciation (a "thank you", with a word or not) belongs to the one the
/// appreciation was addressed to: the partner cannot write it for them, no one can answer
/// their own appreciation or one that does not exist, and the word is short.
#[test]
fn a_forged_answer_to_an_appreciation_is_refused() {
    let (mut alex, mut sam) = pair();
    let for_alex = sam
        .act(
            Action::Appreciate {
                text: "Thank you for the tea".into(),
            },
            at(1),
        )
        .unwrap()
        .record;
    let for_sam = alex
        .act(
            Action::Appreciate {
                text: "Thank you for the walk".into(),
            },
            at(2),
        )
        .unwrap()
        .record;
    exchange(&mut alex, &mut sam);

    // The recipient's own answer is accepted and shown on the author's side.
    alex.act(
        Action::ThankForAppreciation {
            appreciation: for_alex.clone(),
            text: Some("It was a pleasure".into()),
        },
        at(3),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);
    let view = trellis_core::View::build(
        sam.couple.root(),
        &sam.couple.me(),
        &sam.couple.partner(),
        at(4),
    );
    let answered = view
        .appreciations
        .iter()
        .find(|a| a.id == for_alex)
        .unwrap();
    assert_eq!(
        answered
            .thanks
            .as_ref()
            .and_then(|(t, _)| t.clone())
            .as_deref(),
        Some("It was a pleasure")
    );
    // The app itself refuses what the rules refuse.
    let own = alex.act(
        Action::ThankForAppreciation {
            appreciation: for_sam.clone(),
            text: None,
        },
        at(5),
    );
    assert!(matches!(own, Err(CoreError::NotAllowed(_))), "{own:?}");

    let sam_key = sam.couple.me();
    let sam_id = sam.identity();
    let alex_key = alex.couple.me();
    let alex_space = alex_key.to_hex();
    let sam_space = sam_key.to_hex();
    let thanks_map = |doc: &mut AutoCommit, space: &str| {
        let s = map(doc, &["by", space]);
        match doc.get(&s, "thanks").unwrap() {
            Some((Value::Object(_), id)) => id,
            _ => doc.put_object(&s, "thanks", ObjType::Map).unwrap(),
        }
    };
    let write = |doc: &mut AutoCommit, space: &str, id: &str, text: &str| {
        let t = thanks_map(doc, space);
        let rec = doc.put_object(&t, id, ObjType::Map).unwrap();
        doc.put(&rec, "text", text).unwrap();
        doc.put(&rec, "at", 1_i64).unwrap();
    };
    let ownership = |r: Rejection| assert!(matches!(r, Rejection::Ownership { .. }), "{r}");

    // Sam answers, in Alex's space, the appreciation Alex wrote to Sam: words in Alex's mouth.
    let change = forge(&mut sam, sam_key, &sam_id, |doc| {
        write(doc, &alex_space, &for_sam, "you're welcome, says Alex")
    });
    ownership(refused(&mut alex, vec![change]));
    // Sam thanks Sam's own appreciation (it was addressed to Alex, not to Sam).
    let change = forge(&mut sam, sam_key, &sam_id, |doc| {
        write(doc, &sam_space, &for_alex, "thanks to me")
    });
    ownership(refused(&mut alex, vec![change]));
    // An answer to an appreciation that does not exist.
    let change = forge(&mut sam, sam_key, &sam_id, |doc| {
        write(doc, &sam_space, "made-up", "thanks for nothing")
    });
    ownership(refused(&mut alex, vec![change]));
    // A word of thanks far too long, to the right appreciation, by the right author.
    let long = "x".repeat(trellis_core::MAX_THANKS_CHARS + 1);
    let change = forge(&mut sam, sam_key, &sam_id, |doc| {
        write(doc, &sam_space, &for_sam, &long)
    });
    ownership(refused(&mut alex, vec![change]));
    // Something nested inside an answer.
    let change = forge(&mut sam, sam_key, &sam_id, |doc| {
        let t = thanks_map(doc, &sam_space);
        let rec = doc.put_object(&t, for_sam.as_str(), ObjType::Map).unwrap();
        doc.put_object(&rec, "text", ObjType::Map).unwrap();
    });
    ownership(refused(&mut alex, vec![change]));
    // Alex's key cannot be borrowed to sign it either: the author must be the signer.
    let change = forge(&mut sam, alex_key, &sam_id, |doc| {
        write(doc, &alex_space, &for_sam, "signed by the wrong key")
    });
    refused(&mut alex, vec![change]);

    // Sam's own answer to the appreciation addressed to Sam, made by the app with no word
    // (only the mark), is let in; so is a short word written by hand.
    sam.act(
        Action::ThankForAppreciation {
            appreciation: for_sam.clone(),
            text: None,
        },
        at(6),
    )
    .unwrap();
    exchange(&mut alex, &mut sam);
    let view = trellis_core::View::build(
        alex.couple.root(),
        &alex.couple.me(),
        &alex.couple.partner(),
        at(7),
    );
    let mine = view.appreciations.iter().find(|a| a.id == for_sam).unwrap();
    assert!(matches!(mine.thanks, Some((None, _))), "{:?}", mine.thanks);
    let change = forge(&mut sam, sam_key, &sam_id, |doc| {
        let rec = map(doc, &["by", &sam_space, "thanks", &for_sam]);
        doc.put(&rec, "text", "thank you").unwrap();
    });
    alex.receive(vec![change]).unwrap();
}
