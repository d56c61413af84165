//! What the network sees of a connection says nothing about the app: the ALPN in every
//! ClientHello (readable by anyone on the path) is derived from the couple, or from the
//! invite's secret, and a node gives no answer at all to any ALPN that is not open right now.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod support;

use std::path::Path;

use support::*;
use trellis_core::PartnerKey;
use trellis_net::{Command, Invite, NodeHandle};
use trellis_store::Profile;

/// The ALPNs of earlier versions, which named the app.
const OLD_SYNC: &[u8] = b"trellis/sync/1";
const OLD_PAIR: &[u8] = b"trellis/pair/1";

fn random_secret() -> [u8; 16] {
    let mut secret = [0u8; 16];
    getrandom::fill(&mut secret).unwrap();
    secret
}

fn says_nothing(alpn: &[u8]) {
    let text = String::from_utf8_lossy(alpn).to_ascii_lowercase();
    assert!(!text.contains("trellis"), "{text}");
    assert!(!text.contains("iroh"), "{text}");
}

/// What `device` gets when it dials `node` with `alpn`: `Ok` once the handshake completed,
/// else why not.
fn try_dial(device: Option<&[u8; 32]>, node: &NodeHandle, alpn: &[u8]) -> Result<(), String> {
    try_dial_each(device, node, &[alpn.to_vec()]).remove(0)
}

/// [`try_dial`] for each ALPN at once, from an endpoint of its own each: silence takes
/// seconds to tell, and these wait for it side by side.
fn try_dial_each(
    device: Option<&[u8; 32]>,
    node: &NodeHandle,
    alpns: &[Vec<u8>],
) -> Vec<Result<(), String>> {
    let addr = address(node);
    let device = device.copied();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dials: Vec<_> = alpns
            .iter()
            .map(|alpn| {
                let (addr, alpn) = (addr.clone(), alpn.clone());
                tokio::spawn(async move {
                    let ep = bare_endpoint(device.as_ref(), 0).await;
                    let outcome = dial(&ep, addr, &alpn)
                        .await
                        .map(|conn| conn.close(0u32.into(), b""));
                    ep.close().await;
                    outcome
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for dial in dials {
            outcomes.push(dial.await.unwrap());
        }
        outcomes
    })
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    i64::try_from(since.unwrap().as_millis()).unwrap()
}

fn device_of(dir: &Path) -> [u8; 32] {
    Profile::open(dir).unwrap().device_secret()
}

#[test]
fn old_and_foreign_alpns_get_no_answer_at_all() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let alex = start(&profile(tmp.path(), "Alex"));
    let sam_dir = profile(tmp.path(), "Sam");
    {
        let sam = start(&sam_dir);
        pair(&alex, &sam);
        sam.shutdown();
    }
    let sam_device = device_of(&sam_dir);
    let ours = sync_alpn(&sam_dir);
    let (robin, kim) = trellis_workload::pair_profiles(&tmp.path().join("others")).unwrap();
    let theirs = trellis_net::sync_alpn(robin.couple().unwrap());
    assert_eq!(theirs, trellis_net::sync_alpn(kim.couple().unwrap()));
    assert_ne!(ours, theirs, "another couple's ALPN differs");
    says_nothing(&ours);

    // Even from the partner's own device: silence, not a refusal a prober could read.
    let stale_invite = Invite::decode(&open_invite(&alex)).unwrap();
    ok(&alex, Command::CancelInvite);
    let refused = [
        ("the old sync ALPN", OLD_SYNC.to_vec()),
        ("the old pairing ALPN", OLD_PAIR.to_vec()),
        ("another couple's sync ALPN", theirs),
        ("a closed invite's ALPN", stale_invite.alpn()),
        (
            "a made-up invite's ALPN",
            Invite {
                secret: random_secret(),
                ..stale_invite.clone()
            }
            .alpn(),
        ),
    ];
    let alpns: Vec<_> = refused.iter().map(|(_, alpn)| alpn.clone()).collect();
    let outcomes = try_dial_each(Some(&sam_device), &alex, &alpns);
    for ((what, _), outcome) in refused.iter().zip(outcomes) {
        assert_eq!(outcome, Err("no answer".to_string()), "{what}");
    }
    // The couple's own ALPN works, from the partner's device.
    let mut bytes = hello();
    bytes.extend(
        trellis_core::Frame::Goodbye {
            reason: "bye".into(),
        }
        .encode(),
    );
    assert!(send_raw(&sam_device, &ours, &alex, bytes));

    // And the real Sam still syncs.
    let sam = start(&sam_dir);
    ok(
        &sam,
        Command::Act(trellis_core::Action::Appreciate {
            text: "still here".into(),
        }),
    );
    wait_until(&alex, "Alex gets Sam's change", |s| {
        s.view
            .as_ref()
            .is_some_and(|v| v.appreciations.iter().any(|a| a.text == "still here"))
    });
}

#[test]
fn only_an_open_invite_opens_a_door_and_only_its_own() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let alex = start(&profile(tmp.path(), "Alex"));
    let sam = start(&profile(tmp.path(), "Sam"));

    // Unpaired, no invite: nothing at all is answered.
    let alpns = [OLD_SYNC.to_vec(), OLD_PAIR.to_vec(), b"h3".to_vec()];
    for outcome in try_dial_each(None, &alex, &alpns) {
        assert_eq!(outcome, Err("no answer".to_string()));
    }

    let invite = Invite::decode(&open_invite(&alex)).unwrap();
    says_nothing(&invite.alpn());
    // A stranger without the code: the old ALPN, or a guess, reach nothing.
    let guess = Invite {
        secret: random_secret(),
        ..invite.clone()
    };
    for outcome in try_dial_each(None, &alex, &[OLD_PAIR.to_vec(), guess.alpn()]) {
        assert_eq!(outcome, Err("no answer".to_string()));
    }
    // With the code, the door opens (to anyone: the secret is checked behind it).
    assert_eq!(try_dial(None, &alex, &invite.alpn()), Ok(()));

    // A new invite replaces the old one, and its ALPN with it.
    let newer = Invite::decode(&open_invite(&alex)).unwrap();
    assert_ne!(newer.alpn(), invite.alpn());
    assert_eq!(
        try_dial(None, &alex, &invite.alpn()),
        Err("no answer".to_string())
    );
    ok(&sam, Command::Join(newer.encode()));
    wait_until(&alex, "Alex sees the couple", |s| {
        s.status.as_ref().is_some_and(|st| st.couple.is_some())
    });
    assert_eq!(
        try_dial(None, &alex, &newer.alpn()),
        Err("no answer".to_string()),
        "a used invite's door is closed"
    );
}

/// Takes the next connection attempt on `ep`, refuses it, and returns the ALPNs its
/// ClientHello offered: what anyone on the path can read.
async fn offered_alpns(ep: &iroh::Endpoint) -> Vec<Vec<u8>> {
    let incoming = tokio::time::timeout(WAIT, ep.accept())
        .await
        .expect("a connection attempt in time")
        .unwrap();
    let alpns = incoming
        .decrypt()
        .expect("a readable Initial packet")
        .alpns()
        .expect("a ClientHello with ALPNs")
        .map(|a| a.unwrap().to_vec())
        .collect();
    incoming.refuse();
    alpns
}

#[test]
fn a_client_hello_carries_only_the_derived_alpn() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let alex = start(&profile(tmp.path(), "Alex"));
    let sam_dir = profile(tmp.path(), "Sam");
    let sam_port = {
        let sam = start(&sam_dir);
        pair(&alex, &sam);
        let port = address(&sam).ip_addrs().next().unwrap().port();
        sam.shutdown();
        port
    };
    let couple_alpn = sync_alpn(&sam_dir);
    let sam_device = device_of(&sam_dir);
    let rt = tokio::runtime::Runtime::new().unwrap();

    // Where Alex's node looks for Sam, something with Sam's key listens and reads.
    let seen = rt.block_on(async {
        let fake_sam = bare_endpoint(Some(&sam_device), sam_port).await;
        alex.send(Command::SyncNow);
        let seen = offered_alpns(&fake_sam).await;
        fake_sam.close().await;
        seen
    });
    assert_eq!(
        seen,
        vec![couple_alpn.clone()],
        "sync offers the couple's ALPN only"
    );
    says_nothing(&seen[0]);

    // A joiner offers the invite's ALPN only.
    let robin = start(&profile(tmp.path(), "Robin"));
    let (seen, invite) = rt.block_on(async {
        let fake_inviter = bare_endpoint(None, 0).await;
        let invite = Invite {
            secret: random_secret(),
            expires_at: now_ms() + 60_000,
            inviter: PartnerKey([9; 32]),
            addr: iroh::EndpointAddr::new(fake_inviter.id())
                .with_ip_addr(fake_inviter.bound_sockets()[0]),
        };
        robin.send(Command::Join(invite.encode()));
        let seen = offered_alpns(&fake_inviter).await;
        fake_inviter.close().await;
        (seen, invite)
    });
    assert_eq!(
        seen,
        vec![invite.alpn()],
        "pairing offers the invite's ALPN only"
    );
    says_nothing(&seen[0]);
    assert_ne!(seen[0], couple_alpn);
}
