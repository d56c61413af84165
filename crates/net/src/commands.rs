//! Carrying out commands from the window or the command line.

use std::sync::Arc;

use trellis_core::{Action, Card};
use trellis_store::{LocalZone, StoreError, backup, files};

use crate::courier::Courier;
use crate::doc::{Doc, DocState, Publisher};
use crate::error::NetError;
use crate::handle::{Command, Event, InviteEnd, RequestId};
use crate::mode::keys;
use crate::pairing::{self, Invites};
use crate::peers::Peers;
use crate::reply::Outcome;
use crate::shared::Net;

#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub doc: Doc,
    pub publisher: Publisher,
    pub net: Option<Net>,
    pub peers: Option<Arc<Peers>>,
    pub invites: Option<Invites>,
    pub courier: Option<Arc<Courier>>,
}

impl Ctx {
    fn courier(&self) -> Result<&Arc<Courier>, NetError> {
        self.courier.as_ref().ok_or(NetError::NetworkOff)
    }

    fn net(&self) -> Result<&Net, NetError> {
        self.net.as_ref().ok_or(NetError::NetworkOff)
    }

    /// After the couple changed hands (created, joined): let the partner's device in.
    async fn partner_changed(&self) {
        if let Some(net) = &self.net {
            net.partner_changed().await;
        }
        if let Some(peers) = &self.peers {
            peers.wake();
        }
    }
}

pub(crate) async fn handle(ctx: Ctx, id: RequestId, command: Command) {
    let event = match run(&ctx, id, command).await {
        Ok(event) => event,
        Err(e) => Event::Failed {
            id,
            error: e.into(),
        },
    };
    ctx.publisher.event(event);
}

fn done(id: RequestId, outcome: Outcome) -> Event {
    Event::Done { id, outcome }
}

/// What happened between two readings of the running totals.
fn since(
    now: &crate::handle::SyncReport,
    before: &crate::handle::SyncReport,
) -> crate::handle::SyncReport {
    crate::handle::SyncReport {
        sent_changes: now.sent_changes - before.sent_changes,
        received_changes: now.received_changes - before.received_changes,
        verified: now.verified - before.verified,
        rejected: now.rejected - before.rejected,
        bytes_sent: now.bytes_sent - before.bytes_sent,
        bytes_received: now.bytes_received - before.bytes_received,
        in_sync: now.in_sync,
    }
}

fn finish(s: &mut DocState) {
    s.publish(LocalZone::now());
}

/// Runs `job` on the document thread (the one place the profile is touched) and answers
/// with its outcome.
async fn on_doc(
    ctx: &Ctx,
    id: RequestId,
    job: impl FnOnce(&mut DocState) -> Result<Outcome, NetError> + Send + 'static,
) -> Result<Event, NetError> {
    Ok(done(id, ctx.doc.run(job).await??))
}

/// Each command is one store call on the document thread, or one network step: files are
/// written by `trellis_store::files`, views and words come from the core.
async fn run(ctx: &Ctx, id: RequestId, command: Command) -> Result<Event, NetError> {
    let now = LocalZone::now;
    match command {
        Command::Act(action) => {
            on_doc(ctx, id, move |s| {
                let c = s.act(&action, now())?;
                finish(s);
                Ok(Outcome::Acted {
                    record: c.record,
                    message: c.message,
                })
            })
            .await
        }
        Command::CreateCouple(text) => {
            let card = Card::from_json(&text)?;
            let event = on_doc(ctx, id, move |s| {
                s.profile.create_couple(&card, now())?;
                finish(s);
                Ok(Outcome::CoupleStarted { partner: card.name })
            })
            .await?;
            ctx.partner_changed().await;
            Ok(event)
        }
        Command::ImportBundle(bytes) => {
            let (report, moved) = ctx
                .doc
                .run(move |s| -> Result<_, NetError> {
                    let before = s.profile.partner_device();
                    let report = s.profile.import_bundle(&bytes, now())?;
                    // A partner's identity recovered on a new device: the gate lets that in.
                    let moved = s.profile.partner_device() != before;
                    finish(s);
                    Ok((report, moved))
                })
                .await??;
            if report.joined || moved {
                ctx.partner_changed().await;
            }
            Ok(Event::Imported { id, report })
        }
        Command::Backup {
            path,
            passphrase,
            journal,
        } => {
            on_doc(ctx, id, move |s| {
                let journal = journal.0.map(zeroize::Zeroizing::new);
                let bytes = backup::backup_with_journal(&s.profile, journal, &passphrase.0)?;
                files::write_out(&path, &bytes)?;
                Ok(Outcome::BackedUp { path })
            })
            .await
        }
        Command::ExportBundle { path, all } => {
            on_doc(ctx, id, move |s| {
                let (bytes, changes) = s.profile.export_bundle(all, now())?;
                files::write_out(&path, &bytes)?;
                finish(s);
                Ok(Outcome::BundleWritten { path, changes })
            })
            .await
        }
        Command::ExportMarkdown { path, options } => {
            on_doc(ctx, id, move |s| {
                let view = s.profile.view(now()).ok_or(StoreError::NoCouple)?;
                files::write_markdown(&view, &options, &path)?;
                Ok(Outcome::MarkdownWritten { path })
            })
            .await
        }
        Command::Invite => {
            let net = ctx.net()?;
            let invites = ctx.invites.as_ref().ok_or(NetError::Stopped)?;
            let (code, expires_at) = invites.open(net).await?;
            Ok(done(id, Outcome::InviteOpened { code, expires_at }))
        }
        Command::CancelInvite => {
            if let (Some(net), Some(invites)) = (&ctx.net, &ctx.invites) {
                invites.close(net, InviteEnd::Cancelled);
            }
            Ok(done(id, Outcome::InviteCancelled))
        }
        Command::Join(code) => {
            let (partner, safety_number) = pairing::join(ctx.net()?, &code).await?;
            ctx.partner_changed().await;
            Ok(done(
                id,
                Outcome::Paired {
                    partner,
                    safety_number,
                },
            ))
        }
        Command::ConfirmSafety => {
            on_doc(ctx, id, |s| {
                s.profile.confirm_safety()?;
                finish(s);
                Ok(Outcome::SafetyConfirmed)
            })
            .await
        }
        Command::SetNetwork(mode) => {
            on_doc(ctx, id, move |s| {
                s.profile.set_setting(keys::MODE, &mode.to_setting())?;
                Ok(Outcome::NetworkSet { mode })
            })
            .await
        }
        Command::SyncNow => {
            if let Some(peers) = &ctx.peers {
                peers.wake();
            }
            Ok(done(id, Outcome::Dialing))
        }
        Command::AddMailbox(code) => Ok(done(id, ctx.courier()?.add(&code).await?)),
        Command::RemoveMailbox => Ok(done(id, ctx.courier()?.remove().await?)),
        Command::SetCarrierFolder(folder) => {
            let shown = folder.clone();
            let event = on_doc(ctx, id, move |s| {
                s.profile.set_carrier_folder(folder.as_deref())?;
                Ok(Outcome::CarrierFolderSet { folder })
            })
            .await?;
            ctx.publisher.update(|s| s.carrier_folder = shown);
            if let Some(courier) = &ctx.courier {
                courier.wake();
            }
            Ok(event)
        }
        Command::MailboxRound => Ok(Event::MailboxVisited {
            id,
            state: ctx.courier()?.round().await?,
        }),
        Command::SyncOnce => sync_once(ctx, id).await,
        Command::LoadHistory => {
            let entries = ctx.doc.run(|s| s.profile.history()).await??;
            Ok(Event::History { id, entries })
        }
        Command::Verify => {
            let report = ctx.doc.run(|s| s.profile.verify_all()).await??;
            Ok(Event::Verified { id, report })
        }
        Command::EndSpace(note) => {
            let event = on_doc(ctx, id, move |s| {
                let c = s.act(&Action::EndSpace { note }, now())?;
                finish(s);
                Ok(Outcome::SpaceEnded { record: c.record })
            })
            .await?;
            // Deliver the ending: the conversation closes for good once both sides have it.
            if let Some(peers) = &ctx.peers {
                peers.wake();
            }
            Ok(event)
        }
        Command::Refresh => {
            on_doc(ctx, id, |s| {
                finish(s);
                Ok(Outcome::Refreshed)
            })
            .await
        }
    }
}

/// Connects, syncs until both copies hold the same changes, and reports what moved; fails
/// at once if the partner's device refuses this one.
async fn sync_once(ctx: &Ctx, id: RequestId) -> Result<Event, NetError> {
    let net = ctx.net()?;
    let peers = ctx.peers.as_ref().ok_or(NetError::Stopped)?;
    let mut totals = net.sync_report.subscribe();
    let baseline = totals.borrow_and_update().clone();
    if baseline.in_sync && peers.is_connected() {
        return Ok(Event::SyncFinished {
            id,
            report: since(&baseline, &baseline),
        });
    }
    // Subscribed before dialing, so a refusal of this very dial counts.
    let mut refusals = peers.refusals();
    peers.ensure_connected().await?;
    let wait = async {
        loop {
            if totals.changed().await.is_err() {
                return Err(NetError::Stopped);
            }
            let now = totals.borrow_and_update().clone();
            if now.in_sync {
                return Ok(since(&now, &baseline));
            }
        }
    };
    let refused = async {
        if refusals.changed().await.is_err() {
            return Err(NetError::Stopped);
        }
        Err(NetError::Refused {
            partner: peers.partner_name(),
        })
    };
    let either = async {
        tokio::select! {
            r = wait => r,
            r = refused => r,
        }
    };
    let report = tokio::time::timeout(std::time::Duration::from_secs(900), either)
        .await
        .map_err(|_| NetError::Timeout)??;
    Ok(Event::SyncFinished { id, report })
}
