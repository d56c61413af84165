//! The three workloads, built once per run through the real operations, then copied for
//! every sample (copying a profile directory is much cheaper than writing its history).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result};
use serde::Serialize;
use trellis_core::schema::Category;
use trellis_core::view::AgreementStatus;
use trellis_core::{Action, AgreementDraft, CheckInDraft, Moment, RevisionDraft};
use trellis_store::Profile;
use trellis_workload::{DAY_MS, Plan, build, pair_profiles};

use crate::Size;

/// A built history: Alex's and Sam's complete copies, and a copy of Sam's profile that
/// holds only the couple's first change (for "full sync from empty").
#[derive(Debug, Clone)]
pub struct Template {
    pub name: &'static str,
    pub alex: PathBuf,
    pub sam: PathBuf,
    pub sam_empty: PathBuf,
    pub built: BuildInfo,
    /// Just after the history's last day.
    pub end: Moment,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct BuildInfo {
    pub changes: usize,
    pub checkins: usize,
    pub other: usize,
    pub seconds: f64,
    pub ms_per_change: f64,
}

/// W1: five years of a couple (smoke: three weeks).
pub fn w1_plan(size: Size) -> Plan {
    match size {
        Size::Full => Plan::five_years(),
        Size::Smoke => Plan {
            days: 21,
            other_actions: 40,
            ..Plan::five_years()
        },
    }
}

/// W2: stress (smoke: a few hundred changes).
pub fn w2_plan(size: Size) -> Plan {
    match size {
        Size::Full => Plan::about(100_000),
        Size::Smoke => Plan::about(300),
    }
}

/// Builds a history under `root/<name>` (or, with `reuse`, takes the one a kept earlier
/// run left there: for profiling one part without rebuilding).
pub fn build_template(
    root: &Path,
    name: &'static str,
    plan: &Plan,
    reuse: bool,
) -> Result<Template> {
    let dir = root.join(name);
    let info = dir.join("built.json");
    if reuse && info.exists() {
        let built: BuildInfo = serde_json::from_slice(&std::fs::read(&info)?)?;
        return Ok(Template {
            name,
            alex: dir.join("alex"),
            sam: dir.join("sam"),
            sam_empty: dir.join("sam-empty"),
            built,
            end: end_of(plan),
        });
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let (alex, sam) = pair_profiles(&dir).context("pairing the workload's profiles")?;
    // Sam's copy as it is right after pairing: only the couple's first change.
    drop(sam);
    let sam_empty = dir.join("sam-empty");
    copy_dir(&dir.join("sam"), &sam_empty)?;
    let mut sam = Profile::open(&dir.join("sam"))?;
    let mut alex = alex;
    let started = Instant::now();
    let built = build(&mut alex, &mut sam, plan).context("building the workload")?;
    let seconds = started.elapsed().as_secs_f64();
    let built = BuildInfo {
        changes: built.changes + 1,
        checkins: built.checkins,
        other: built.other,
        seconds,
        ms_per_change: seconds * 1000.0 / built.changes.max(1) as f64,
    };
    std::fs::write(&info, serde_json::to_vec(&built)?)
        .with_context(|| format!("writing {}", info.display()))?;
    Ok(Template {
        name,
        alex: dir.join("alex"),
        sam: dir.join("sam"),
        sam_empty,
        built,
        end: end_of(plan),
    })
}

/// The moment just after a plan's last day.
pub fn end_of(plan: &Plan) -> Moment {
    Moment::new(plan.start_ms + (plan.days + 1) * DAY_MS, 0)
}

/// W3: starting from two copies that agree, each partner works alone for a month (daily
/// check-ins, appreciations, repairs, and revisions of the same agreements), writing
/// `per_partner` changes each.
pub fn month_apart(
    alex_dir: &Path,
    sam_dir: &Path,
    start: Moment,
    per_partner: [usize; 2],
) -> Result<[usize; 2]> {
    let mut written = [0, 0];
    for (p, dir) in [alex_dir, sam_dir].into_iter().enumerate() {
        let mut profile = Profile::open(dir)?;
        let view = profile
            .view(start)
            .context("the W3 profile has no couple")?;
        // The same agreements on both sides: the first few in force, by id (both copies
        // agree before the month apart, so both pick the same ones).
        let mut shared: Vec<String> = view
            .agreements
            .iter()
            .filter(|a| a.status == AgreementStatus::InForce)
            .map(|a| a.id.clone())
            .collect();
        shared.sort();
        shared.truncate(3);
        let mut actions = Vec::new();
        let n = per_partner[p];
        for i in 0..n {
            let day = (i * 30 / n.max(1)) as i64;
            let at = Moment::new(
                start.at_ms + day * DAY_MS + (p as i64 * 7 + i as i64) * 60_000,
                0,
            );
            let action = match i % 6 {
                0 | 3 => Action::AddCheckIn(CheckInDraft {
                    feel: "apart, thinking of you".into(),
                    when: Some("we are apart".into()),
                    went_well: Some("a long call".into()),
                    was_hard: None,
                    need: None,
                    response: None,
                    safety: Some(7),
                    trust: Some(7),
                    connection: Some(6),
                    date: None,
                }),
                1 if !shared.is_empty() => Action::ReviseAgreement {
                    agreement: shared[i % shared.len()].clone(),
                    draft: RevisionDraft {
                        wording: Some(format!(
                            "While apart ({}): we call every evening, revision {i}",
                            if p == 0 { "Alex" } else { "Sam" }
                        )),
                        ..Default::default()
                    },
                },
                2 => Action::Appreciate {
                    text: format!("Thank you for message {i}"),
                },
                4 => Action::ProposeAgreement(AgreementDraft {
                    title: format!("Apart {p}-{i}"),
                    category: Category::Communication,
                    wording: "We say goodnight even when apart.".into(),
                    if_crossed: None,
                    review_on: None,
                }),
                _ => Action::OpenRepair {
                    what_happened: "A missed call".into(),
                    how_it_landed: "I felt far away".into(),
                },
            };
            actions.push((action, at));
        }
        written[p] = profile.act_many(actions)?.len();
    }
    Ok(written)
}

/// Copies a profile directory (recursively).
pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Total size of the files in a directory, in bytes.
pub fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// A fresh scratch directory for one sample.
pub fn scratch(root: &Path, name: &str) -> Result<PathBuf> {
    let dir = root.join("samples").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
