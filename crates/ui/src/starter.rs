//! Opening (or first creating) the profile and starting the node, off the window's thread.

use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use trellis_net::{NetError, NetworkMode, NodeHandle, NodeOptions};
use trellis_store::{LockChoice, LockKind, Profile, ProfilePaths, StoreError, Vault};
use zeroize::Zeroizing;

use crate::drafts::Drafts;

/// What to open.
#[derive(Debug)]
pub(crate) enum Start {
    /// The profile that is there, with its passphrase when the person typed one.
    Open(Option<Zeroizing<String>>),
    /// A new profile (first run), locked as the person chose.
    Create { name: String, lock: LockChoice },
    /// A new profile for the identity a recovery phrase holds (a lost computer); the
    /// partner's invite then brings the shared space back.
    Recover {
        phrase: Zeroizing<String>,
        lock: LockChoice,
    },
}

/// How opening went.
#[derive(Debug)]
pub(crate) enum Opened {
    Node(Box<NodeHandle>, Box<Drafts>, Vault),
    /// There is no profile here yet: first run.
    NoProfile,
    /// The profile is locked: the window asks for its passphrase.
    Locked,
    /// The passphrase typed does not open it.
    WrongPassphrase(String),
    Failed(String),
}

/// Starts the node on `dir` (creating the profile first when asked to).
pub(crate) fn open(
    dir: PathBuf,
    mode: Option<NetworkMode>,
    start: Start,
    repaint: Arc<dyn Fn() + Send + Sync>,
) -> mpsc::Receiver<Opened> {
    let (tx, rx) = mpsc::channel();
    let wake = repaint.clone();
    let spawned = std::thread::Builder::new()
        .name("trellis-open".into())
        .spawn(move || {
            let opened = open_now(dir, mode, start, repaint);
            let _ = tx.send(opened);
            wake();
        });
    if let Err(e) = spawned {
        let (tx, rx) = mpsc::channel();
        let _ = tx.send(Opened::Failed(format!("could not start: {e}")));
        return rx;
    }
    rx
}

fn open_now(
    dir: PathBuf,
    mode: Option<NetworkMode>,
    start: Start,
    repaint: Arc<dyn Fn() + Send + Sync>,
) -> Opened {
    let vault = match start {
        Start::Create { name, lock } => match Profile::init_locked(&dir, &name, &lock) {
            Ok(profile) => profile.vault().clone(),
            Err(e) => return Opened::Failed(e.to_string()),
        },
        Start::Recover { phrase, lock } => match Profile::recover(&dir, &phrase, &lock) {
            Ok(profile) => profile.vault().clone(),
            Err(e) => return Opened::Failed(e.to_string()),
        },
        Start::Open(passphrase) => match unlock(&dir, passphrase.as_deref().map(String::as_str)) {
            Ok(vault) => vault,
            Err(opened) => return opened,
        },
    };
    let mut options = NodeOptions::new(&dir);
    options.mode = mode;
    options.repaint = repaint;
    options.vault = Some(vault.clone());
    match trellis_net::start(options) {
        Ok(node) => Opened::Node(Box::new(node), Box::new(Drafts::load(&dir, &vault)), vault),
        Err(NetError::Store(StoreError::NotInitialized(_))) => Opened::NoProfile,
        Err(e) => Opened::Failed(e.to_string()),
    }
}

fn unlock(dir: &std::path::Path, passphrase: Option<&str>) -> Result<Vault, Opened> {
    let paths = ProfilePaths::new(dir);
    if !paths.identity_key().exists() {
        return Err(Opened::NoProfile);
    }
    match Vault::lock_kind(&paths) {
        Ok(Some(LockKind::Passphrase)) if passphrase.is_none() => return Err(Opened::Locked),
        Err(e) => return Err(Opened::Failed(e.to_string())),
        Ok(_) => {}
    }
    Profile::unlock(dir, passphrase).map_err(|e| match e {
        StoreError::WrongPassphrase(_) => Opened::WrongPassphrase(e.to_string()),
        e => Opened::Failed(e.to_string()),
    })
}
