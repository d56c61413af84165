//! A carrier folder between two devices that never meet: sealed files, taken in and removed.
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use std::path::Path;

use trellis_core::schema::Category;
use trellis_core::{Action, AgreementDraft, Moment};
use trellis_store::Profile;

const MARKER: &str = "CARRIED-WORDS-ONLY-SAM-READS";

fn now(minute: i64) -> Moment {
    Moment::new(1_790_000_000_000 + minute * 60_000, 0)
}

fn propose(p: &mut Profile, wording: &str, at: Moment) {
    p.act(
        &Action::ProposeAgreement(AgreementDraft {
            title: "Letters".into(),
            category: Category::Communication,
            wording: wording.into(),
            if_crossed: None,
            review_on: None,
        }),
        at,
    )
    .unwrap();
}

fn files(folder: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

#[test]
fn two_devices_meet_only_through_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("stick");
    std::fs::create_dir(&folder).unwrap();
    let mut alex = Profile::init(&tmp.path().join("alex"), "Alex").unwrap();
    let mut sam = Profile::init(&tmp.path().join("sam"), "Sam").unwrap();
    alex.create_couple(&sam.card().unwrap(), now(0)).unwrap();
    let (first, _) = alex.export_bundle(true, now(1)).unwrap();
    sam.import_bundle(&first, now(2)).unwrap();

    propose(&mut alex, MARKER, now(3));
    let wrote = alex.visit_carrier_folder(&folder, now(4)).unwrap();
    assert!(wrote.written > 0 && wrote.picked_up.is_none());
    let on_stick = files(&folder);
    assert_eq!(on_stick.len(), 1);
    let name = on_stick[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    assert!(!name.to_lowercase().contains("alex") && !name.contains("trellis"));
    let bytes = std::fs::read(&on_stick[0]).unwrap();
    assert!(!bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()));
    // Nothing new: the file is not written again.
    assert_eq!(
        alex.visit_carrier_folder(&folder, now(5)).unwrap().written,
        0
    );

    // Sam takes it in (and it is gone), and leaves an answer.
    let took = sam.visit_carrier_folder(&folder, now(6)).unwrap();
    assert!(took.picked_up.unwrap().new_changes > 0);
    assert!(files(&folder).is_empty(), "taken in and removed");
    propose(&mut sam, "Answered by letter", now(7));
    assert!(sam.visit_carrier_folder(&folder, now(8)).unwrap().written > 0);

    let took = alex.visit_carrier_folder(&folder, now(9)).unwrap();
    assert!(took.picked_up.unwrap().new_changes > 0);
    assert_eq!(
        alex.couple_mut().unwrap().heads(),
        sam.couple_mut().unwrap().heads()
    );
    let v = sam.view(now(10)).unwrap();
    assert!(
        v.agreements
            .iter()
            .any(|a| a.current_revision().is_some_and(|r| r.wording == MARKER))
    );
}

#[test]
fn a_file_that_does_not_open_stays_and_a_missing_folder_is_no_error() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("stick");
    std::fs::create_dir(&folder).unwrap();
    let mut alex = Profile::init(&tmp.path().join("alex"), "Alex").unwrap();
    let mut sam = Profile::init(&tmp.path().join("sam"), "Sam").unwrap();
    alex.create_couple(&sam.card().unwrap(), now(0)).unwrap();
    let (first, _) = alex.export_bundle(true, now(1)).unwrap();
    sam.import_bundle(&first, now(2)).unwrap();

    // Alex's file, cut short on its way.
    propose(&mut alex, "One", now(3));
    alex.visit_carrier_folder(&folder, now(4)).unwrap();
    let alex_file = files(&folder).remove(0);
    let bytes = std::fs::read(&alex_file).unwrap();
    std::fs::write(&alex_file, &bytes[..bytes.len() / 2]).unwrap();
    let before = sam.status().unwrap();

    propose(&mut sam, "Two", now(5));
    let visit = sam.visit_carrier_folder(&folder, now(6)).unwrap();
    let problem = visit.problem.unwrap();
    assert!(problem.contains("damaged or cut off"), "{problem}");
    assert!(alex_file.exists(), "it stays in the folder");
    assert!(visit.written > 0, "Sam's own file is still written");
    assert_eq!(files(&folder).len(), 2);
    assert_eq!(
        sam.status().unwrap().couple.unwrap().changes,
        before.couple.unwrap().changes + 1,
        "nothing of the cut file was stored"
    );

    let gone = tmp.path().join("unplugged");
    let visit = sam.visit_carrier_folder(&gone, now(7)).unwrap();
    assert_eq!(visit, Default::default());
    assert!(sam.set_carrier_folder(Some(&gone)).is_err());
    sam.set_carrier_folder(Some(&folder)).unwrap();
    assert_eq!(
        sam.carrier_folder().unwrap().as_deref(),
        Some(folder.as_path())
    );
}
