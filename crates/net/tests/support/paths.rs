//! Which network paths iroh chose, from its own tracing events: the proof a test's traffic
//! really went through the lossy proxy (iroh moves a connection to a faster direct path by
//! itself), and what a stopped profile stored. Shared by the lossy-path tests of trellis-net
//! and trellis-mailbox.
#![allow(dead_code, clippy::unwrap_used)] // test support: a failed step should panic loudly

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use trellis_store::{DocumentDb, ProfilePaths};

use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Every network path iroh chose for a connection, as its event names it
/// (`Ip(127.0.0.1->127.0.0.1:port)`), in order.
#[derive(Debug, Clone, Default)]
pub struct ChosenPaths(pub Arc<Mutex<Vec<String>>>);

/// iroh's event for "this connection now uses that path" (both sides emit it).
pub const PATH_SELECTED: &str = "iroh::_events::path::selected";

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ChosenPaths {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct NetworkPath(Option<String>);
        impl tracing::field::Visit for NetworkPath {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "network_path" {
                    self.0 = Some(format!("{value:?}"));
                }
            }
        }
        let mut path = NetworkPath(None);
        event.record(&mut path);
        if let Some(path) = path.0 {
            self.0.lock().unwrap().push(path);
        }
    }
}

/// Logs as `RUST_LOG` says, and records the paths iroh chooses (the test binary must hold
/// one test, so the global subscriber is its own).
pub fn watch_paths() -> ChosenPaths {
    let paths = ChosenPaths::default();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_test_writer()
                .with_filter(tracing_subscriber::EnvFilter::from_default_env()),
        )
        .with(
            paths
                .clone()
                .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                    meta.target() == PATH_SELECTED
                })),
        )
        .init();
    paths
}

/// What a profile no node holds has stored, read straight from its document store: the
/// heads, how many distinct changes, and how many records hold them. The snapshot's
/// changes are distinct by construction; a change saved twice in the log, or saved in the
/// log although the snapshot has it, counts twice.
pub fn stored(dir: &Path) -> (Vec<automerge::ChangeHash>, usize, usize) {
    let vault = trellis_store::Profile::unlock(dir, None).unwrap();
    let db = DocumentDb::open_read_only(
        &ProfilePaths::new(dir).document_db(),
        vault.profile_sealer(),
    )
    .unwrap();
    let stored = db.load().unwrap();
    let mut doc = match &stored.snapshot {
        Some(snapshot) => automerge::Automerge::load(snapshot).unwrap(),
        None => automerge::Automerge::new(),
    };
    let mut hashes: HashSet<_> = doc.get_changes(&[]).iter().map(|c| c.hash()).collect();
    let mut records = hashes.len();
    let mut log = Vec::new();
    for bytes in &stored.log {
        let change = automerge::Change::try_from(bytes.as_slice()).unwrap();
        hashes.insert(change.hash());
        records += 1;
        log.push(change);
    }
    doc.apply_changes(log).unwrap();
    let mut heads = doc.get_heads();
    heads.sort();
    (heads, hashes.len(), records)
}
