//! Carrying out commands from the window or the command line.

use std::path::Path;
use std::sync::Arc;

use trellis_core::Card;
use trellis_core::export::markdown_in;

use crate::clock::now;
use crate::courier::Courier;
use crate::doc::{Doc, DocState, Publisher};
use crate::error::NetError;
use crate::handle::{Command, Event, RequestId};
use crate::mode::keys;
use crate::node::Net;
use crate::pairing::{self, Invites};
use crate::peers::Peers;

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
        self.courier.as_ref().ok_or_else(|| {
            NetError::Bind("the network is not running; check the network setting".into())
        })
    }

    fn net(&self) -> Result<&Net, NetError> {
        self.net.as_ref().ok_or_else(|| {
            NetError::Bind("the network is not running; check the network setting".into())
        })
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
            error: e.to_string(),
        },
    };
    ctx.publisher.event(event);
}

fn done(id: RequestId, message: impl Into<String>) -> Event {
    Event::Done {
        id,
        message: message.into(),
        record: None,
    }
}

/// Writes a file completely or not at all.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), NetError> {
    trellis_store::atomic::write_private(path, bytes).map_err(|e| {
        NetError::Store(trellis_store::StoreError::Write {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })
    })
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
    s.publish(now());
}

async fn run(ctx: &Ctx, id: RequestId, command: Command) -> Result<Event, NetError> {
    match command {
        Command::Act(action) => {
            ctx.doc
                .run(move |s| -> Result<Event, NetError> {
                    let c = s.profile.act(&action, now())?;
                    s.local_change();
                    finish(s);
                    Ok(Event::Done {
                        id,
                        message: c.message,
                        record: Some(c.record),
                    })
                })
                .await?
        }
        Command::CreateCouple(text) => {
            let card = Card::from_json(&text)?;
            let event = ctx
                .doc
                .run(move |s| -> Result<Event, NetError> {
                    s.profile.create_couple(&card, now())?;
                    finish(s);
                    Ok(done(
                        id,
                        format!("Started your shared space with {}", card.name),
                    ))
                })
                .await??;
            ctx.partner_changed().await;
            Ok(event)
        }
        Command::ImportBundle(bytes) => {
            let report = ctx
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
            let (report, moved) = report;
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
            ctx.doc
                .run(move |s| -> Result<Event, NetError> {
                    let journal = journal.0.map(zeroize::Zeroizing::new);
                    let bytes = trellis_store::backup::backup_with_journal(
                        &s.profile,
                        journal,
                        &passphrase.0,
                    )?;
                    write_file(&path, &bytes)?;
                    Ok(done(
                        id,
                        format!(
                            "Backed up everything (keys, shared space, journal) to {}",
                            path.display()
                        ),
                    ))
                })
                .await?
        }
        Command::ExportBundle { path, all } => {
            ctx.doc
                .run(move |s| -> Result<Event, NetError> {
                    let (bytes, count) = s.profile.export_bundle(all, now())?;
                    write_file(&path, &bytes)?;
                    finish(s);
                    Ok(done(
                        id,
                        format!("Wrote {count} change(s) to {}", path.display()),
                    ))
                })
                .await?
        }
        Command::ExportMarkdown { path, options } => {
            ctx.doc
                .run(move |s| -> Result<Event, NetError> {
                    let view = s
                        .profile
                        .view(now())
                        .ok_or(trellis_store::StoreError::NoCouple)?;
                    let text = markdown_in(&view, &options, &trellis_store::LocalZone);
                    write_file(&path, text.as_bytes())?;
                    Ok(done(id, format!("Wrote {}", path.display())))
                })
                .await?
        }
        Command::Invite => {
            let net = ctx.net()?;
            let invites = ctx.invites.as_ref().ok_or(NetError::Stopped)?;
            let (code, _) = invites.open(net).await?;
            Ok(done(id, code))
        }
        Command::CancelInvite => {
            if let (Some(net), Some(invites)) = (&ctx.net, &ctx.invites) {
                invites.close(net, "cancelled");
            }
            Ok(done(id, "The invite is closed"))
        }
        Command::Join(code) => {
            let net = ctx.net()?;
            let (name, number) = pairing::join(net, &code).await?;
            ctx.partner_changed().await;
            Ok(done(
                id,
                format!("Paired with {name}. Compare the safety number together: {number}"),
            ))
        }
        Command::ConfirmSafety => {
            ctx.doc
                .run(move |s| -> Result<Event, NetError> {
                    s.profile.confirm_safety()?;
                    finish(s);
                    Ok(done(id, "Marked the safety number as compared together"))
                })
                .await?
        }
        Command::SetNetwork(mode) => {
            let setting = mode.to_setting();
            ctx.doc
                .run(move |s| s.profile.set_setting(keys::MODE, &setting))
                .await??;
            Ok(done(
                id,
                format!(
                    "Network set to {}; it takes effect when Trellis starts next",
                    mode.label()
                ),
            ))
        }
        Command::SyncNow => {
            if let Some(peers) = &ctx.peers {
                peers.wake();
            }
            Ok(done(id, "Trying to reach your partner's device now"))
        }
        Command::AddMailbox(code) => Ok(done(id, ctx.courier()?.add(&code).await?)),
        Command::RemoveMailbox => Ok(done(id, ctx.courier()?.remove().await?)),
        Command::SetCarrierFolder(folder) => {
            let shown = folder.clone();
            ctx.doc
                .run(move |s| s.profile.set_carrier_folder(folder.as_deref()))
                .await??;
            ctx.publisher.update(|s| s.carrier_folder = shown.clone());
            if let Some(courier) = &ctx.courier {
                courier.wake();
            }
            Ok(done(
                id,
                match shown {
                    Some(f) => format!(
                        "Sealed files for your partner go through {} from now on",
                        f.display()
                    ),
                    None => "No carrier folder from now on".to_string(),
                },
            ))
        }
        Command::MailboxRound => Ok(Event::MailboxVisited {
            id,
            state: ctx.courier()?.round().await?,
        }),
        Command::SyncOnce => {
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
                Err(NetError::Pairing(crate::peers::refused_words(
                    &peers.partner_name(),
                )))
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
        Command::LoadHistory => {
            let entries = ctx.doc.run(|s| s.profile.history()).await??;
            Ok(Event::History { id, entries })
        }
        Command::Verify => {
            let report = ctx.doc.run(|s| s.profile.verify_all()).await??;
            Ok(Event::Verified { id, report })
        }
        Command::EndSpace(note) => {
            let event = ctx
                .doc
                .run(move |s| -> Result<Event, NetError> {
                    let c = s.profile.act(&trellis_core::Action::EndSpace { note }, now())?;
                    s.local_change();
                    finish(s);
                    Ok(Event::Done {
                        id,
                        message: "You ended the shared space. Both copies stay readable; nothing syncs any more.".into(),
                        record: Some(c.record),
                    })
                })
                .await??;
            // Deliver the ending: the conversation closes for good once both sides have it.
            if let Some(peers) = &ctx.peers {
                peers.wake();
            }
            Ok(event)
        }
        Command::Refresh => {
            ctx.doc.run(finish).await?;
            Ok(done(id, "Refreshed"))
        }
    }
}
