//! A laptop lost with no backup: the identity comes back from its recovery phrase on a new
//! device, re-pairs through the partner's invite, and the lost device is refused.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;

use support::*;
use trellis_core::Action;
use trellis_net::{Command, NodeHandle, Snapshot};
use trellis_store::{LockChoice, Profile};

fn appreciate(text: &str) -> Command {
    Command::Act(Action::Appreciate { text: text.into() })
}

fn has(s: &Snapshot, text: &str) -> bool {
    s.view
        .as_ref()
        .is_some_and(|v| v.appreciations.iter().any(|a| a.text == text))
}

fn safety_number(s: &Snapshot) -> String {
    s.status
        .as_ref()
        .and_then(|st| st.couple.as_ref())
        .map(|c| c.safety_number.clone())
        .unwrap_or_default()
}

/// A device dials `node` on the couple's sync ALPN and says hello: whether it hears a single
/// byte back.
fn heard_back(device: &[u8; 32], alpn: &[u8], node: &NodeHandle) -> Result<(), String> {
    let addr = address(node);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ep = bare_endpoint(Some(device), 0).await;
        let outcome = async {
            let conn = dial(&ep, addr, alpn).await?;
            let (mut send, mut recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
            send.write_all(&hello()).await.map_err(|e| e.to_string())?;
            let mut buf = [0u8; 1];
            tokio::time::timeout(WAIT, recv.read_exact(&mut buf))
                .await
                .map_err(|_| "silence".to_string())?
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        .await;
        ep.close().await;
        outcome
    })
}

fn partner_device_of(dir: &Path) -> Option<[u8; 32]> {
    Profile::open_for_reading(dir).unwrap().partner_device()
}

#[test]
fn a_recovered_identity_re_pairs_on_a_new_device_and_the_lost_one_is_refused() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let alex_dir = profile(tmp.path(), "Alex");
    let sam_dir = profile(tmp.path(), "Sam");
    let alex = start(&alex_dir);
    let number_before = {
        let sam = start(&sam_dir);
        let (number, _) = pair(&alex, &sam);
        ok(&sam, appreciate("from the old laptop"));
        wait_until(&alex, "Alex gets the old laptop's words", |s| {
            has(s, "from the old laptop")
        });
        sam.shutdown();
        number
    };
    // What the lost laptop held: its device key, the couple's ALPN, the words on paper.
    let (old_device, old_id, phrase, key) = {
        let old = Profile::open(&sam_dir).unwrap();
        (
            old.device_secret(),
            old.device_id(),
            old.recovery_phrase().to_string(),
            old.key(),
        )
    };
    let alpn = sync_alpn(&sam_dir);
    assert_eq!(partner_device_of(&alex_dir), Some(old_id));
    // Before the loss, Alex's device answers the old laptop: the check below can fail.
    heard_back(&old_device, &alpn, &alex).expect("the paired device is answered");

    // The new laptop: the identity from the phrase, a new device key, nothing else.
    let new_dir = tmp.path().join("sam-new");
    let new_id = {
        let recovered = Profile::recover(&new_dir, &phrase, &LockChoice::NoLock).unwrap();
        assert_eq!(recovered.key(), key);
        assert_ne!(recovered.device_id(), old_id);
        assert!(recovered.couple().is_none());
        recovered.device_id()
    };
    let sam = start(&new_dir);
    let code = open_invite(&alex);
    ok(&sam, Command::Join(code));
    let snap = wait_until(&sam, "the whole shared space comes back", |s| {
        has(s, "from the old laptop")
    });
    assert_eq!(snap.name, "Sam", "the couple's name for me comes back too");
    assert_eq!(
        safety_number(&snap),
        number_before,
        "same identities, same number"
    );
    // Alex's device takes in the record of the new device just after Sam's join returns.
    let deadline = std::time::Instant::now() + WAIT;
    while partner_device_of(&alex_dir) != Some(new_id) {
        assert!(
            std::time::Instant::now() < deadline,
            "Alex never learned the new device"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // Both ways, live.
    ok(&sam, appreciate("from the new laptop"));
    wait_until(&alex, "Alex gets the new laptop's words", |s| {
        has(s, "from the new laptop")
    });
    ok(&alex, appreciate("welcome back"));
    wait_until(&sam, "Sam gets Alex's words on the new laptop", |s| {
        has(s, "welcome back")
    });

    // The lost laptop is refused at Alex's gate: not a byte.
    let refused = heard_back(&old_device, &alpn, &alex);
    assert!(refused.is_err(), "the retired device was answered");

    // The signed record in Sam's space names the device it replaced.
    let alex_copy = Profile::open_for_reading(&alex_dir).unwrap();
    let couple = alex_copy.couple().unwrap();
    assert!(couple.retired_devices(&key).contains(&old_id));
    assert_eq!(couple.current_device(&key).map(|d| d.0), Some(new_id));
}
