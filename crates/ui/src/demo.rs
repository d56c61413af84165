//! `trellis demo`: two fresh profiles, Alex and Sam, paired over loopback by two real nodes,
//! with a small, warm example history made of real actions.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use trellis_core::schema::{Cadence, Category, Need, Outcome, ResponseMode};
use trellis_core::{Action, AgreementDraft, CheckInDraft};
use trellis_net::{Command, Event, NetworkMode, NodeHandle, NodeOptions, Snapshot};
use trellis_store::Profile;

use crate::error::UiError;

const WAIT: Duration = Duration::from_secs(60);

fn demo_err(e: impl std::fmt::Display) -> UiError {
    UiError::Demo(crate::error::one_line(e))
}

fn start(dir: &Path) -> Result<NodeHandle, UiError> {
    let mut options = NodeOptions::new(dir);
    options.mode = Some(NetworkMode::Loopback);
    Ok(trellis_net::start(options)?)
}

/// Sends a command and waits for its answer.
fn call(node: &NodeHandle, command: Command) -> Result<Event, UiError> {
    node.call(command, WAIT).map_err(demo_err)
}

fn node_outcome(node: &NodeHandle, command: Command) -> Result<trellis_net::Outcome, UiError> {
    node.outcome(command, WAIT).map_err(demo_err)
}

/// Performs an action; returns the id of the record it made.
fn act(node: &NodeHandle, action: Action) -> Result<String, UiError> {
    let outcome = node_outcome(node, Command::Act(action))?;
    Ok(outcome.record().unwrap_or_default().to_string())
}

fn wait(
    node: &NodeHandle,
    what: &str,
    cond: impl Fn(&Snapshot) -> bool,
) -> Result<Arc<Snapshot>, UiError> {
    node.wait_until(WAIT, cond)
        .ok_or_else(|| demo_err(format!("timed out waiting for {what}")))
}

fn paired(s: &Snapshot) -> bool {
    s.view.is_some()
}

fn settled(s: &Snapshot) -> bool {
    s.status
        .as_ref()
        .and_then(|st| st.couple.as_ref())
        .is_some_and(|c| c.not_yet_with_partner == 0)
}

fn checkin(feel: &str, when: &str, need: Need, scales: (u8, u8, u8), days_ago: i64) -> Action {
    let today = crate::clock::now().today();
    Action::AddCheckIn(CheckInDraft {
        feel: feel.into(),
        when: Some(when.into()),
        went_well: None,
        was_hard: None,
        need: Some(need),
        response: Some(ResponseMode::Listen),
        safety: Some(scales.0),
        trust: Some(scales.1),
        connection: Some(scales.2),
        date: today.checked_sub_signed(chrono::Duration::days(days_ago)),
    })
}

/// Creates Alex's and Sam's profiles under `root`, pairs them over loopback with two real
/// nodes, seeds a small history through real actions, stops both nodes cleanly and returns
/// the two profile folders (Alex's, Sam's).
pub fn prepare_demo(root: &Path) -> Result<(PathBuf, PathBuf), UiError> {
    let alex_dir = root.join("alex");
    let sam_dir = root.join("sam");
    Profile::init(&alex_dir, "Alex")?;
    Profile::init(&sam_dir, "Sam")?;
    let alex = start(&alex_dir)?;
    let sam = start(&sam_dir)?;
    for node in [&alex, &sam] {
        wait(node, "the network to start", |s| s.network.listening)?;
    }

    // Pairing: an invite on Alex's side, Sam joins with its code.
    let code = match node_outcome(&alex, Command::Invite)? {
        trellis_net::Outcome::InviteOpened { code, .. } => code,
        other => return Err(demo_err(format!("unexpected answer {other:?}"))),
    };
    call(&sam, Command::Join(code))?;
    wait(&alex, "Alex to see the couple", paired)?;
    wait(&sam, "Sam to see the couple", paired)?;
    for node in [&alex, &sam] {
        call(node, Command::ConfirmSafety)?;
        call(node, Command::SetNetwork(NetworkMode::Loopback))?;
    }

    // An agreement in force.
    let phones = act(
        &alex,
        Action::ProposeAgreement(AgreementDraft {
            title: "Phones at dinner".into(),
            category: Category::Communication,
            wording: "Phones stay in another room while we eat together.".into(),
            if_crossed: Some("Whoever notices says so kindly, and the phone goes away.".into()),
            review_on: None,
        }),
    )?;
    wait(&sam, "Sam to receive the first agreement", |s| {
        s.view
            .as_ref()
            .is_some_and(|v| v.agreement(&phones).is_some())
    })?;
    act(
        &sam,
        Action::AcceptAgreement {
            agreement: phones,
            revision: None,
        },
    )?;

    // Check-ins over a few weeks, the direction slowly warming.
    let history = [
        (21, (4, 3, 4), (3, 3, 4)),
        (14, (5, 4, 5), (4, 4, 5)),
        (7, (6, 5, 6), (5, 5, 6)),
        (2, (6, 6, 7), (6, 5, 7)),
    ];
    let mut earlier = Vec::new();
    for (days, a, s) in history {
        let from_alex = act(
            &alex,
            checkin("hopeful", "we cook together", Need::Support, a, days),
        )?;
        let from_sam = act(
            &sam,
            checkin(
                "a little steadier",
                "you tell me things first",
                Need::Reassurance,
                s,
                days,
            ),
        )?;
        earlier.push((from_alex, from_sam));
    }
    // Each answered the other's earlier check-ins: being heard is the point.
    for (from_alex, from_sam) in earlier {
        for (node, id, text) in [
            (&alex, from_sam, "I hear you."),
            (&sam, from_alex, "I hear you, and I'm glad."),
        ] {
            wait(node, "the check-in to arrive", |s| {
                s.view
                    .as_ref()
                    .is_some_and(|v| v.checkins.iter().any(|c| c.id == id))
            })?;
            act(
                node,
                Action::ReplyToCheckIn {
                    checkin: id,
                    text: text.into(),
                },
            )?;
        }
    }
    let alex_today = act(
        &alex,
        checkin(
            "tender and a bit nervous",
            "we talk about last spring",
            Need::Reassurance,
            (6, 6, 7),
            0,
        ),
    )?;
    wait(&sam, "Sam to receive Alex's check-in", |s| {
        s.view
            .as_ref()
            .is_some_and(|v| v.checkins.iter().any(|c| c.id == alex_today))
    })?;
    act(
        &sam,
        Action::ReplyToCheckIn {
            checkin: alex_today,
            text: "I hear you. Thank you for saying it.".into(),
        },
    )?;

    // A repair, acknowledged, with a commitment and its follow-through.
    let repair = act(
        &sam,
        Action::OpenRepair {
            what_happened: "I heard about the messages from a friend, not from you.".into(),
            how_it_landed: "I felt like the last to know, and foolish for trusting.".into(),
        },
    )?;
    wait(&alex, "Alex to receive the repair", |s| {
        s.view
            .as_ref()
            .is_some_and(|v| v.repairs.iter().any(|r| r.id == repair))
    })?;
    act(
        &alex,
        Action::AcknowledgeRepair {
            repair: repair.clone(),
            acknowledgement: "You found out from someone else because I kept it from you. That took away your choice and made you feel foolish.".into(),
            regret: "I am sorry I hid it. You deserved to hear it from me.".into(),
        },
    )?;
    let commitment = act(
        &alex,
        Action::AddCommitment {
            repair,
            wording: "Tell you the same day if my ex gets in touch".into(),
            cadence: Some(Cadence::Weekly),
            due: None,
        },
    )?;
    let report = act(
        &alex,
        Action::ReportFollowThrough {
            commitment,
            outcome: Outcome::Kept,
            note: Some("Told you on Tuesday evening about the birthday message.".into()),
            date: None,
        },
    )?;
    wait(&sam, "Sam to receive the follow-through", |s| {
        s.view.as_ref().is_some_and(|v| {
            v.repairs
                .iter()
                .flat_map(|r| &r.commitments)
                .flat_map(|c| &c.reports)
                .any(|r| r.id == report)
        })
    })?;
    act(
        &sam,
        Action::AcknowledgeReport {
            report,
            note: Some("It meant a lot that you told me straight away.".into()),
        },
    )?;

    // Small moments.
    act(
        &sam,
        Action::Appreciate {
            text: "Thank you for the tea when I came home late.".into(),
        },
    )?;
    act(
        &alex,
        Action::Appreciate {
            text: "Thank you for telling me calmly how it felt.".into(),
        },
    )?;
    // Sam's check-in today: folded on Alex's side until Alex writes one for today? Alex has;
    // so it is open there — the fold rule shows on Sam's side for tomorrow's first check-in.
    act(
        &sam,
        checkin(
            "calmer than last week",
            "we keep small promises",
            Need::NothingRightNow,
            (6, 6, 7),
            0,
        ),
    )?;

    // One proposed and waiting for Sam's yes.
    let review = crate::clock::now().today() + chrono::Duration::days(60);
    let whereabouts = act(
        &alex,
        Action::ProposeAgreement(AgreementDraft {
            title: "Whereabouts".into(),
            category: Category::Transparency,
            wording: "If plans change by more than an hour, the one whose plans changed sends a short message.".into(),
            if_crossed: Some("We talk about it the same evening, calmly.".into()),
            review_on: Some(review),
        }),
    )?;
    wait(&sam, "Sam to receive the proposal", |s| {
        s.view
            .as_ref()
            .is_some_and(|v| v.agreement(&whereabouts).is_some())
    })?;

    for node in [&alex, &sam] {
        wait(node, "both copies to hold every change", settled)?;
    }
    alex.shutdown();
    sam.shutdown();
    Ok((alex_dir, sam_dir))
}
