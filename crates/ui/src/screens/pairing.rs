//! Pairing: "Start our space" (show an invite) or "Join my partner" (paste theirs).

use egui::{RichText, Ui};
use trellis_net::Command;

use crate::drafts::FormKey;
use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

pub(crate) fn show(ui: &mut Ui, s: &mut Session) {
    let p = palette(ui);
    ui.vertical_centered(|ui| {
        ui.set_max_width(ui.available_width().min(760.0));
        ui.add_space(18.0);
        if s.snap.name == trellis_store::RECOVERING_NAME {
            ui.heading("Welcome back");
            ui.label(
                "Ask your partner to open Settings on their computer and, under \"If this \
                 computer is lost\", show an invite for your new computer. Paste its code on \
                 the right: your shared space comes back from their copy.",
            );
        } else {
            ui.heading(format!("Hello, {}", s.snap.name));
            ui.label(
                "Trellis keeps one shared space for the two of you, on both of your computers. \
                 One of you starts it; the other joins with a one-time code.",
            );
        }
        ui.add_space(10.0);
    });
    if let Some((code, expires_at)) = s.snap.network.invite.clone() {
        invite_open(ui, s, &code, expires_at);
        return;
    }
    ui.columns(2, |cols| {
        widgets::card(&mut cols[0], |ui| {
            ui.label(RichText::new("I'll start our space").size(crate::theme::pt(ui, 18.0)).strong());
            ui.label("Show a one-time code (and a QR code) for your partner to join with. It works once, for ten minutes.");
            ui.add_space(6.0);
            let busy = s.pairing.invite_request.is_some();
            if widgets::primary(ui, "Start our space", s.snap.network.listening, busy).clicked() {
                s.pairing.invite_request = Some(s.node.send(Command::Invite));
            }
            if !s.snap.network.listening {
                widgets::note(ui, "Waiting for the network to start…");
            }
        });
        widgets::card(&mut cols[1], |ui| {
            ui.label(RichText::new("My partner has a code").size(crate::theme::pt(ui, 18.0)).strong());
            ui.label("Paste the code your partner's screen shows.");
            let r = widgets::area(
                ui,
                "Invite code",
                &mut s.drafts.join_code,
                "TRELLIS-…",
                3,
            );
            let busy = s.pairing.join_request.is_some();
            let ready = s.drafts.join_code.trim().len() > 8 && s.snap.network.listening;
            if widgets::primary(ui, "Join my partner", ready, busy).clicked()
                || (ready && !busy && s.submitted(&[&r]))
            {
                let code = s.drafts.join_code.trim().to_string();
                let id = s.send(Command::Join(code), FormKey::JoinCode);
                s.pairing.join_request = Some(id);
            }
            if busy {
                widgets::note(ui, "Reaching your partner's device…");
            }
        });
    });
    ui.add_space(10.0);
    if let Some(reason) = &s.pairing.last_invite_closed {
        widgets::note(ui, &format!("The last invite closed: {reason}."));
    }
    widgets::tinted(ui, p.accent_soft, |ui| {
        ui.label("No network between you, or not ready yet? You can use Trellis alone for now — your private journal and triggers — and pair later: here, or from a bundle file your partner gives you (Settings, under Bundles, or `trellis bundle` on the command line).");
        if ui.button("Use Trellis alone for now").clicked() {
            s.drafts.alone = true;
            s.go(super::Screen::Journal);
        }
    });
}

pub(crate) fn invite_open(ui: &mut Ui, s: &mut Session, code: &str, expires_at: i64) {
    let p = palette(ui);
    widgets::card(ui, |ui| {
        ui.label(
            RichText::new("Your invite")
                .size(crate::theme::pt(ui, 18.0))
                .strong(),
        );
        ui.label("Let your partner scan the QR code, or send them the code through a channel you trust. It works once.");
        ui.add_space(6.0);
        ui.horizontal_top(|ui| {
            widgets::qr::qr_code(ui, code, 240.0);
            ui.vertical(|ui| {
                ui.set_max_width(ui.available_width().min(420.0));
                let l = ui.label(RichText::new("Invite code").strong());
                let mut shown = code.to_string();
                ui.add(
                    egui::TextEdit::multiline(&mut shown)
                        .font(egui::TextStyle::Monospace)
                        .desired_rows(5)
                        .interactive(true),
                )
                .labelled_by(l.id);
                ui.horizontal(|ui| {
                    if ui.button("Copy the code").clicked() {
                        ui.ctx().copy_text(code.to_string());
                        s.done("Invite code copied");
                    }
                    if ui.button("Cancel the invite").clicked() {
                        s.send(
                            Command::CancelInvite,
                            FormKey::Other("cancel-invite".into()),
                        );
                    }
                });
                ui.label(
                    RichText::new(format!(
                        "Valid until {} · waiting for your partner to join…",
                        crate::clock::clock_time(expires_at)
                    ))
                    .color(p.calm_blue),
                );
            });
        });
    });
}
