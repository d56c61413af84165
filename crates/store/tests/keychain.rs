//! The keychain lock against a real Secret Service: a private D-Bus session with its own
//! gnome-keyring, started by this test in a scratch home (the user's own keyring is never
//! touched). `.ci/run` installs both and sets TRELLIS_REQUIRE_KEYCHAIN=1, so there the test
//! fails rather than skips when they are missing.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use std::path::Path;
use std::process::Command;

use trellis_core::Moment;
use trellis_store::vault::keychain;
use trellis_store::{LockChoice, LockKind, Profile, ProfilePaths, StoreError};
use zeroize::Zeroizing;

const CHILD_ROOT: &str = "TRELLIS_KEYCHAIN_CHILD_ROOT";

fn has(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_keychain_opens_the_profile_and_lets_go_of_it_when_the_lock_changes() {
    let missing: Vec<&str> = ["dbus-run-session", "gnome-keyring-daemon"]
        .into_iter()
        .filter(|t| !has(t))
        .collect();
    if !missing.is_empty() {
        assert!(
            std::env::var_os("TRELLIS_REQUIRE_KEYCHAIN").is_none(),
            "{missing:?} missing: install dbus and gnome-keyring (as .ci/run does)"
        );
        eprintln!("skipped: no {missing:?} here to run a Secret Service with");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let runtime = tmp.path().join("run");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&runtime).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let out = Command::new("dbus-run-session")
        .arg("--")
        .arg("sh")
        .arg("-c")
        .arg(
            "printf trellis | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; \
             exec \"$0\" --exact keychain_child --ignored --nocapture --test-threads=1",
        )
        .arg(std::env::current_exe().unwrap())
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env(CHILD_ROOT, tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("KEYCHAIN OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn entry_name(dir: &Path) -> String {
    let text = std::fs::read_to_string(ProfilePaths::new(dir).vault()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["entry"].as_str().unwrap().to_string()
}

fn in_keychain(entry: &str) -> bool {
    keyring::Entry::new("Trellis profile key", entry)
        .unwrap()
        .get_secret()
        .is_ok()
}

/// Runs inside the private session the test above starts.
#[test]
#[ignore = "run by the keychain test inside its own D-Bus session"]
fn keychain_child() {
    let Ok(root) = std::env::var(CHILD_ROOT) else {
        return;
    };
    let root = Path::new(&root);
    assert_eq!(keychain::unavailable(), None);
    let dir = root.join("sam");
    let sam = Profile::init_locked(&dir, "Sam", &LockChoice::Keychain).unwrap();
    assert_eq!(sam.vault().kind(), LockKind::Keychain);
    let identity = sam.identity().to_bytes();
    let key = sam.key();
    drop(sam);
    let entry = entry_name(&dir);
    assert!(in_keychain(&entry));
    // Not the identity key, nor anything to open it with, lies in the folder.
    for file in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        let hex = hex::encode(identity);
        assert!(!bytes.windows(32).any(|w| w == identity));
        assert!(!bytes.windows(hex.len()).any(|w| w == hex.as_bytes()));
        assert!(!String::from_utf8_lossy(&bytes).contains("\"key\""));
    }

    // Opens with no passphrase: the keychain gives the key.
    let sam = Profile::open(&dir).unwrap();
    assert_eq!(sam.key(), key);
    // A backup goes to computers whose keychain is another: it carries the key inside.
    let backup = trellis_store::backup::backup(&sam, "a long backup passphrase").unwrap();
    let vault = sam.vault().clone();
    drop(sam);
    let restored = root.join("restored");
    trellis_store::backup::restore(
        &restored,
        &backup,
        Path::new("b"),
        "a long backup passphrase",
    )
    .unwrap();
    let again = Profile::open(&restored).unwrap();
    assert_eq!((again.key(), again.vault().kind()), (key, LockKind::NoLock));
    drop(again);

    // A passphrase instead: the keychain lets go of the key.
    let paths = ProfilePaths::new(&dir);
    let words = Zeroizing::new("a walk along the canal".to_string());
    vault
        .relocked(&paths, &LockChoice::Passphrase(words.clone()))
        .unwrap();
    assert!(!in_keychain(&entry), "the old keychain entry stayed");
    assert!(matches!(Profile::open(&dir), Err(StoreError::Locked(_))));

    // Back to the keychain, then wiped: the entry goes with the profile.
    let sam = Profile::open_with_passphrase(&dir, Some(&words)).unwrap();
    sam.vault().relocked(&paths, &LockChoice::Keychain).unwrap();
    drop(sam);
    let entry = entry_name(&dir);
    assert!(in_keychain(&entry));
    let mut sam = Profile::open(&dir).unwrap();
    let partner = Profile::init(&root.join("partner"), "Partner").unwrap();
    sam.create_couple(&partner.card().unwrap(), Moment::new(1_780_000_000_000, 0))
        .unwrap();
    sam.wipe().unwrap();
    assert!(!in_keychain(&entry), "wiping left the key in the keychain");
    println!("KEYCHAIN OK");
}
