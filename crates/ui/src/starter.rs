//! Opening (or first creating) the profile and starting the node, off the window's thread.

use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use trellis_net::{NetError, NetworkMode, NodeHandle, NodeOptions};
use trellis_store::{Profile, StoreError};

use crate::drafts::Drafts;

/// How opening went.
#[derive(Debug)]
pub(crate) enum Opened {
    Node(Box<NodeHandle>, Box<Drafts>),
    /// There is no profile here yet: first run.
    NoProfile,
    Failed(String),
}

/// Starts the node on `dir` (creating the profile first when `name` is given).
pub(crate) fn open(
    dir: PathBuf,
    mode: Option<NetworkMode>,
    name: Option<String>,
    repaint: Arc<dyn Fn() + Send + Sync>,
) -> mpsc::Receiver<Opened> {
    let (tx, rx) = mpsc::channel();
    let wake = repaint.clone();
    let spawned = std::thread::Builder::new()
        .name("trellis-open".into())
        .spawn(move || {
            let opened = open_now(dir, mode, name, repaint);
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
    name: Option<String>,
    repaint: Arc<dyn Fn() + Send + Sync>,
) -> Opened {
    if let Some(name) = name
        && let Err(e) = Profile::init(&dir, &name)
    {
        return Opened::Failed(e.to_string());
    }
    let mut options = NodeOptions::new(&dir);
    options.mode = mode;
    options.repaint = repaint;
    match trellis_net::start(options) {
        Ok(node) => Opened::Node(Box::new(node), Box::new(Drafts::load(&dir))),
        Err(NetError::Store(StoreError::NotInitialized(_))) => Opened::NoProfile,
        Err(e) => Opened::Failed(e.to_string()),
    }
}
