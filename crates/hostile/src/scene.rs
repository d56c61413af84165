//! The couple every attack starts from: Alex (who will attack) and Sam, paired with real
//! profiles on disk; Alex proposed "Phones", Sam said yes, and both copies agree.

use std::path::{Path, PathBuf};

use trellis_core::schema::Category;
use trellis_core::{Action, AgreementDraft, Moment};
use trellis_store::{Profile, StoreError};

/// 2026-11-28 09:00 UTC.
pub const NOW_MS: i64 = 1_795_856_400_000;

pub fn at(minutes: i64) -> Moment {
    Moment::new(NOW_MS + minutes * 60_000, 0)
}

#[derive(Debug)]
pub struct Scene {
    pub alex: Profile,
    /// Always `Some` between calls; an `Option` so the profile can be closed and reopened.
    sam: Option<Profile>,
    /// The agreement Alex proposed and Sam accepted.
    pub agreement: String,
    pub alex_dir: PathBuf,
    pub sam_dir: PathBuf,
}

/// Sends each side what the other lacks, both ways, as bundles.
pub fn exchange(a: &mut Profile, b: &mut Profile, now: Moment) -> Result<(), StoreError> {
    let (to_b, _) = a.export_bundle(false, now)?;
    b.import_bundle(&to_b, now)?;
    let (to_a, _) = b.export_bundle(false, now)?;
    a.import_bundle(&to_a, now)?;
    Ok(())
}

/// Builds the scene under `root` (which must be empty).
pub fn scene(root: &Path) -> Result<Scene, StoreError> {
    let alex_dir = root.join("alex");
    let sam_dir = root.join("sam");
    let mut alex = Profile::init(&alex_dir, "Alex")?;
    let mut sam = Profile::init(&sam_dir, "Sam")?;
    alex.create_couple(&sam.card()?, at(0))?;
    let (first, _) = alex.export_bundle(true, at(0))?;
    sam.import_bundle(&first, at(0))?;
    let agreement = alex
        .act(
            &Action::ProposeAgreement(AgreementDraft {
                title: "Phones".into(),
                category: Category::Transparency,
                wording: "We keep our phones unlocked and visible at home".into(),
                if_crossed: Some("We talk about it the same evening".into()),
                review_on: Some(chrono::NaiveDate::from_ymd_opt(2027, 2, 1).unwrap_or_default()),
            }),
            at(1),
        )?
        .record;
    alex.act(
        &Action::Appreciate {
            text: "Thank you for listening".into(),
        },
        at(2),
    )?;
    exchange(&mut alex, &mut sam, at(3))?;
    sam.act(
        &Action::AcceptAgreement {
            agreement: agreement.clone(),
            revision: None,
        },
        at(4),
    )?;
    sam.act(
        &Action::Appreciate {
            text: "Thank you for the walk".into(),
        },
        at(5),
    )?;
    exchange(&mut alex, &mut sam, at(6))?;
    Ok(Scene {
        alex,
        sam: Some(sam),
        agreement,
        alex_dir,
        sam_dir,
    })
}

impl Scene {
    /// Sam's profile (the victim).
    pub fn sam(&mut self) -> &mut Profile {
        self.sam
            .as_mut()
            .unwrap_or_else(|| unreachable!("Sam's profile is open between calls"))
    }

    /// Closes Sam's profile and opens it again from the disk, as a restart would.
    pub fn reopen_sam(&mut self) -> Result<&mut Profile, StoreError> {
        self.sam = None;
        Ok(self.sam.insert(Profile::open(&self.sam_dir)?))
    }

    /// Opens Sam's profile from another directory (a copy), closing the current one.
    pub fn open_sam_at(&mut self, dir: &Path) -> Result<&mut Profile, StoreError> {
        self.sam = None;
        self.sam_dir = dir.to_path_buf();
        Ok(self.sam.insert(Profile::open(dir)?))
    }

    /// Closes Sam's profile (to damage or copy its files).
    pub fn close_sam(&mut self) {
        self.sam = None;
    }
}
