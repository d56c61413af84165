//! The sync status line: always visible, always true. It speaks of data, never of people.

use egui::{RichText, Ui};
use trellis_net::Snapshot;

use crate::session::Session;
use crate::theme::palette;

/// The sentences of the status line, in order.
pub(crate) fn sentences(snap: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    let couple = snap.status.as_ref().and_then(|s| s.couple.as_ref());
    let Some(c) = couple else {
        out.push(if snap.network.listening {
            "Not paired yet".to_string()
        } else {
            "Not paired yet · the network is not running".to_string()
        });
        return out;
    };
    let partner = &c.partner_name;
    if snap.view.as_ref().is_some_and(|v| v.ended.is_some()) {
        // Said above the page once; here only what is true of the data from now on.
        out.push(format!("Nothing syncs with {partner} any more"));
        if let Some(at) = c.last_synced_at {
            out.push(format!(
                "Last synced with {partner} {}",
                crate::clock::when(at)
            ));
        }
        return out;
    }
    out.push(if snap.network.connected {
        format!("Connected to {partner}'s device now")
    } else if snap.network.listening {
        format!("Not connected to {partner}'s device right now")
    } else {
        "The network is not running".to_string()
    });
    out.push(match c.last_synced_at {
        Some(at) => format!("Last synced with {partner} {}", crate::clock::when(at)),
        None => format!("Not synced with {partner} yet"),
    });
    out.push(match c.not_yet_with_partner {
        0 => format!("All your changes have reached {partner}"),
        1 => format!("1 of your changes has not reached {partner} yet"),
        n => format!("{n} of your changes have not reached {partner} yet"),
    });
    if let Some(m) = &snap.mailbox {
        match m.deposits.changes_waiting {
            0 => {}
            1 => out.push(format!("1 change waiting at the mailbox for {partner}")),
            n => out.push(format!("{n} changes waiting at the mailbox for {partner}")),
        }
        if m.problem.is_some() {
            out.push("The mailbox could not be reached on the last visit".to_string());
        }
    }
    out
}

pub(crate) fn show(ui: &mut Ui, s: &mut Session) {
    let p = palette(ui);
    ui.horizontal_wrapped(|ui| {
        let connected = s.snap.network.connected;
        let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
        if connected {
            ui.painter().circle_filled(rect.center(), 5.0, p.accent);
        } else {
            ui.painter()
                .circle_stroke(rect.center(), 4.5, egui::Stroke::new(1.5, p.muted));
        }
        let line = sentences(&s.snap).join(" · ");
        ui.label(RichText::new(line).color(p.muted));
        if let Some((done, total)) = s.snap.network.progress {
            let fraction = if total == 0 {
                0.0
            } else {
                done as f32 / total as f32
            };
            ui.add(
                egui::ProgressBar::new(fraction)
                    .desired_width(140.0)
                    .text(format!("syncing {done} of {total} changes")),
            );
        }
        if s.any_busy() {
            ui.label(RichText::new("Saving…").color(p.calm_blue));
        }
        // A problem reaching the partner is true only while not connected.
        if let Some(problem) = s
            .snap
            .network
            .problem
            .as_ref()
            .filter(|_| !connected && s.ended().is_none())
        {
            ui.label(RichText::new(problem).color(p.muted));
        }
    });
    // Notes get a row of their own: they never sit on top of the sync sentences.
    ui.horizontal(|ui| {
        let now = std::time::Instant::now();
        if let Some(done) = &s.last_done
            && let Some(left) = done.left(now)
        {
            ui.label(
                RichText::new(format!("Done: {}", done.text))
                    .small()
                    .color(p.accent),
            );
            ui.ctx().request_repaint_after(left);
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.label(
                RichText::new(s.snap.network.mode.label())
                    .small()
                    .color(p.muted),
            );
        });
    });
}
