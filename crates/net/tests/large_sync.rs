//! A five-year history synced to a copy that has none of it, with the receiving node
//! restarted in the middle: both converge and nothing is lost.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

mod support;

use std::path::Path;

use support::*;
use trellis_net::{Command, Event};
use trellis_store::Profile;
use trellis_workload::{Plan, build, pair_profiles};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn a_five_year_history_survives_a_restart_in_the_middle_of_its_sync() {
    init_logs();
    let tmp = tempfile::tempdir().unwrap();
    let (mut alex, sam) = pair_profiles(tmp.path()).unwrap();
    // Sam's second copy knows only the couple's first change.
    drop(sam);
    let fresh = tmp.path().join("sam-fresh");
    copy_dir(&tmp.path().join("sam"), &fresh);
    let mut sam = Profile::open(&tmp.path().join("sam")).unwrap();
    let plan = Plan {
        exchange_every: 30,
        ..Plan::five_years()
    };
    let built = build(&mut alex, &mut sam, &plan).unwrap();
    assert_eq!(built.checkins, 7300);
    let total = built.changes + 1;
    drop(alex);
    drop(sam);

    let alex = start(&tmp.path().join("alex"));
    let alex_addr = wait_until(&alex, "Alex listening", |s| s.network.address.is_some())
        .network
        .address
        .clone()
        .unwrap();
    trellis_net::save_partner_address(&Profile::open(&fresh).unwrap(), &alex_addr).unwrap();

    // First attempt: stop Sam's node once part of the history has arrived.
    let sam = start(&fresh);
    wait_until(&sam, "part of the history arrived", |s| {
        s.status
            .as_ref()
            .and_then(|st| st.couple.as_ref())
            .is_some_and(|c| c.changes > 500)
    });
    sam.shutdown();
    let partial = Profile::open(&fresh)
        .unwrap()
        .status()
        .unwrap()
        .couple
        .unwrap()
        .changes;
    assert!(
        partial < total,
        "the restart came mid-sync ({partial} of {total})"
    );

    // Second attempt converges.
    let sam = start(&fresh);
    wait_until(&sam, "Sam's copy has everything", |_| {
        change_count(&sam) == total
    });
    wait_until(&alex, "Alex knows Sam has everything", |s| {
        s.status
            .as_ref()
            .and_then(|st| st.couple.as_ref())
            .is_some_and(|c| c.not_yet_with_partner == 0)
    });
    assert_eq!(change_count(&alex), total);
    for node in [&alex, &sam] {
        match call(node, Command::Verify) {
            Event::Verified { report, .. } => assert_eq!(report.changes, total),
            other => panic!("verify failed: {other:?}"),
        }
    }
    let a = alex.snapshot();
    let b = sam.snapshot();
    assert_eq!(a.view.as_ref().unwrap().checkins.len(), 7300);
    assert_eq!(
        a.view.as_ref().unwrap().agreements.len(),
        b.view.as_ref().unwrap().agreements.len()
    );
    sam.shutdown();
    alex.shutdown();
}
