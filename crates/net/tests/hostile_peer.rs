//! A peer holding the partner's device key but sending bad data: forged changes, ownership
//! violations, garbage, an oversize frame. Nothing is applied, the honest node keeps working,
//! and the real partner syncs afterwards.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod support;

use std::path::Path;

use automerge::transaction::Transactable;
use automerge::{Author, AutoCommit, ObjType, ROOT, ReadDoc, Value};
use support::*;
use trellis_core::{Action, ChangeSignature, Frame, Identity, SignedChange};
use trellis_net::{Command, NodeHandle};
use trellis_store::Profile;

struct Sam {
    device: [u8; 32],
    /// The couple's sync ALPN, which Sam's device dials.
    alpn: Vec<u8>,
    identity: Identity,
    doc_bytes: Vec<u8>,
    doc_id: trellis_core::DocId,
    alex_space: String,
}

fn load_sam(dir: &Path, alex: &NodeHandle) -> Sam {
    let mut profile = Profile::open(dir).unwrap();
    let snap = alex.snapshot();
    let view = snap.view.as_ref().unwrap();
    let device = profile.device_secret();
    let identity = profile.identity();
    let alpn = trellis_net::sync_alpn(profile.couple().unwrap());
    let couple = profile.couple_mut().unwrap();
    Sam {
        device,
        alpn,
        identity,
        doc_bytes: couple.save(),
        doc_id: couple.doc_id(),
        alex_space: view.me.key.clone(),
    }
}

fn forge(sam: &Sam, signer: &Identity, edit: impl FnOnce(&mut AutoCommit)) -> SignedChange {
    let mut doc = AutoCommit::load(&sam.doc_bytes).unwrap();
    doc.set_author(Some(Author::from(
        sam.identity.public().as_bytes().to_vec(),
    )));
    edit(&mut doc);
    let hash = doc.commit().unwrap();
    let change = doc.get_change_by_hash(&hash).unwrap();
    SignedChange {
        bytes: change.raw_bytes().to_vec(),
        signature: ChangeSignature {
            signer: sam.identity.public(),
            ..ChangeSignature::sign(signer, &sam.doc_id, &hash)
        },
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

#[test]
fn a_hostile_peer_changes_nothing_and_the_real_partner_still_syncs() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let alex_dir = profile(tmp.path(), "Alex");
    let sam_dir = profile(tmp.path(), "Sam");
    let alex = start(&alex_dir);
    {
        let sam = start(&sam_dir);
        pair(&alex, &sam);
        sam.shutdown();
    }
    ok(
        &alex,
        Command::Act(Action::AddCheckIn(trellis_core::CheckInDraft {
            feel: "steady".into(),
            ..Default::default()
        })),
    );
    let sam = load_sam(&sam_dir, &alex);
    let before = alex
        .snapshot()
        .status
        .as_ref()
        .unwrap()
        .couple
        .as_ref()
        .unwrap()
        .changes;
    let unchanged = |what: &str| {
        let now = alex
            .snapshot()
            .status
            .as_ref()
            .unwrap()
            .couple
            .as_ref()
            .unwrap()
            .changes;
        assert_eq!(now, before, "{what} changed Alex's document");
    };

    // A change "by Sam" signed with another key.
    let mallory = Identity::generate().unwrap();
    let space = sam.identity.public().to_hex();
    let forged = forge(&sam, &mallory, |doc| {
        let apps = map(doc, &["by", &space, "appreciations"]);
        doc.put_object(&apps, "x", ObjType::Map).unwrap();
    });
    let mut bytes = hello();
    bytes.extend(Frame::Changes(vec![forged]).encode());
    assert!(
        send_raw(&sam.device, &sam.alpn, &alex, bytes),
        "Alex closes after a forged change"
    );
    unchanged("a forged change");

    // Sam's real signature, writing words into Alex's space.
    let violation = forge(&sam, &sam.identity, |doc| {
        let apps = map(doc, &["by", &sam.alex_space, "appreciations"]);
        let a = doc
            .put_object(&apps, "put-in-alexs-mouth", ObjType::Map)
            .unwrap();
        doc.put(&a, "text", "Sam is always right").unwrap();
    });
    let mut bytes = hello();
    bytes.extend(Frame::Changes(vec![violation]).encode());
    assert!(
        send_raw(&sam.device, &sam.alpn, &alex, bytes),
        "Alex closes after an ownership violation"
    );
    unchanged("an ownership violation");

    // Garbage.
    let garbage: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    assert!(
        send_raw(&sam.device, &sam.alpn, &alex, garbage),
        "Alex closes on garbage"
    );
    unchanged("garbage");

    // A frame announcing 64 MiB.
    let mut oversize = hello();
    oversize.extend((64u32 * 1024 * 1024).to_le_bytes());
    oversize.extend([1, 2, 0, 0]);
    assert!(
        send_raw(&sam.device, &sam.alpn, &alex, oversize),
        "Alex closes on an oversize frame"
    );
    unchanged("an oversize frame");

    // A sync message smuggling an unsigned change inside it.
    let mut doc = AutoCommit::load(&sam.doc_bytes).unwrap();
    doc.put(ROOT, "smuggled", 1).unwrap();
    doc.commit();
    let mut state = automerge::sync::State::new();
    use automerge::sync::SyncDoc;
    let mut msg = doc.sync().generate_sync_message(&mut state).unwrap();
    msg.changes = vec![doc.get_last_local_change().unwrap().raw_bytes().to_vec()].into();
    let mut bytes = hello();
    bytes.extend(
        Frame::Sync {
            message: msg.encode(),
        }
        .encode(),
    );
    assert!(
        send_raw(&sam.device, &sam.alpn, &alex, bytes),
        "Alex closes on a smuggled change"
    );
    unchanged("a smuggled change");

    // The real Sam comes online and syncs normally.
    honest_partner_still_syncs(&alex, &sam_dir);
    alex.shutdown();
}
