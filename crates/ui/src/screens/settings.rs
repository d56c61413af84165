//! Settings: the network, the profile folder, the theme, the safety number, an export for a
//! therapist, and bundles (the offline path).

use std::path::PathBuf;

use egui::{RichText, Ui};
use trellis_core::export::{ExportOptions, Section};
use trellis_core::words::{capitalized, count};
use trellis_net::{Command, NetworkMode};

use crate::drafts::FormKey;
use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

fn section_label(s: Section) -> &'static str {
    match s {
        Section::Agreements => "Agreements",
        Section::CheckIns => "Check-ins",
        Section::Repairs => "Repairs and commitments",
        Section::Appreciations => "Appreciations",
        Section::TimeOuts => "Pauses",
        Section::Progress => "Progress over weeks",
    }
}

fn default_folder(s: &Session) -> PathBuf {
    s.dir()
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| s.dir())
}

pub(crate) fn show(ui: &mut Ui, s: &mut Session) {
    widgets::heading(ui, "Settings & privacy", "");
    network(ui, s);
    profile(ui, s);
    widgets::card(ui, |ui| super::lock::settings_section(ui, s));
    widgets::card(ui, |ui| super::recovery::settings_section(ui, s));
    widgets::card(ui, |ui| super::backup::settings_section(ui, s));
    reminders(ui, s);
    theme(ui, s);
    if s.snap.view.is_none() {
        // Alone, not paired yet: only what works without a shared space.
        widgets::card(ui, |ui| {
            title(ui, "Join from a bundle");
            ui.label("If your partner started your shared space and gave you a bundle file, import it here: you are paired once it is in.");
            import_bundle(ui, s);
        });
        return;
    }
    therapist_export(ui, s);
    mailbox(ui, s);
    bundles(ui, s);
    unpair(ui, s);
}

fn title(ui: &mut Ui, text: &str) {
    ui.add_space(6.0);
    ui.label(
        RichText::new(text)
            .size(crate::theme::pt(ui, 18.0))
            .strong(),
    );
}

fn network(ui: &mut Ui, s: &mut Session) {
    widgets::card(ui, |ui| {
        title(ui, "Network");
        ui.label(format!("Now: {}", s.snap.network.mode.label()));
        let current =
            s.t.network_choice
                .clone()
                .unwrap_or_else(|| s.snap.network.mode.clone());
        if s.t.relay_url.is_empty()
            && let NetworkMode::OwnRelay(url) = &current
        {
            s.t.relay_url = url.clone();
        }
        let mut choice = current.clone();
        for (mode, words) in [
            (
                NetworkMode::Lan,
                "Only at home: found on the local network; nothing leaves it.",
            ),
            (
                NetworkMode::Internet,
                "Also across the internet, through public relays that only ever see encrypted bytes.",
            ),
            (
                NetworkMode::OwnRelay(s.t.relay_url.clone()),
                "Across the internet through a relay of your own.",
            ),
        ] {
            let selected = std::mem::discriminant(&choice) == std::mem::discriminant(&mode);
            ui.horizontal_wrapped(|ui| {
                if ui.radio(selected, mode_name(&mode)).clicked() {
                    choice = mode.clone();
                }
                widgets::note(ui, words);
            });
        }
        if matches!(choice, NetworkMode::OwnRelay(_)) {
            widgets::inline_field(
                ui,
                "Relay URL",
                &mut s.t.relay_url,
                "https://relay.example.org",
                320.0,
            );
            choice = NetworkMode::OwnRelay(s.t.relay_url.trim().to_string());
        }
        if choice != current || s.t.network_choice.is_some() {
            s.t.network_choice = Some(choice.clone());
        }
        let key = FormKey::Other("network".into());
        let changed = choice != s.snap.network.mode;
        let valid = !matches!(&choice, NetworkMode::OwnRelay(u) if !(u.starts_with("https://") || u.starts_with("http://")));
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    changed && valid && !s.busy(&key),
                    egui::Button::new("Use this network"),
                )
                .clicked()
            {
                s.send(Command::SetNetwork(choice.clone()), key.clone());
                s.t.network_choice = None;
            }
            if ui.button("Try to reach my partner now").clicked() {
                s.send(Command::SyncNow, FormKey::Other("sync-now".into()));
            }
        });
        widgets::note(
            ui,
            "A new network setting takes effect when Trellis starts next.",
        );
    });
}

fn mode_name(mode: &NetworkMode) -> &'static str {
    match mode {
        NetworkMode::Lan => "Home network",
        NetworkMode::Internet => "Internet",
        NetworkMode::OwnRelay(_) => "My own relay",
        NetworkMode::Loopback => "This machine only",
    }
}

fn profile(ui: &mut Ui, s: &mut Session) {
    widgets::card(ui, |ui| {
        title(ui, "This profile");
        ui.horizontal_wrapped(|ui| {
            ui.label("Folder:");
            ui.label(RichText::new(s.dir().display().to_string()).monospace());
            if ui.small_button("Copy the path").clicked() {
                ui.ctx().copy_text(s.dir().display().to_string());
            }
        });
        if let Some(c) = s.snap.status.as_ref().and_then(|st| st.couple.clone()) {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("Safety number with {}:", c.partner_name));
                ui.label(RichText::new(&c.safety_number).monospace().strong());
                if c.safety_number_checked {
                    widgets::note(ui, "compared together");
                }
            });
            if !c.safety_number_checked {
                let key = FormKey::Other("confirm-safety".into());
                if ui
                    .add_enabled(
                        !s.busy(&key),
                        egui::Button::new("We compared these — they match"),
                    )
                    .clicked()
                {
                    s.send(Command::ConfirmSafety, key);
                }
            }
            widgets::note(
                ui,
                &format!(
                    "{} in your shared document.",
                    count(c.changes, "change", "changes")
                ),
            );
        }
        let key = FormKey::Other("verify".into());
        if ui
            .add_enabled(
                !s.busy(&key),
                egui::Button::new("Verify every signature again"),
            )
            .clicked()
        {
            s.send(Command::Verify, key);
        }
    });
}

/// Reminders: each kind off until the person turns it on; only ever about their own practice.
fn reminders(ui: &mut Ui, s: &mut Session) {
    widgets::card(ui, |ui| {
        title(ui, "Reminders");
        widgets::note(
            ui,
            "Only on this computer, only while Trellis is open, and only about your own \
             practice — never about your partner, never a streak or a count.",
        );
        let r = &mut s.drafts.reminders;
        ui.horizontal_wrapped(|ui| {
            let mut on = r.checkin_every_days > 0;
            if ui.checkbox(&mut on, "A check-in, every").changed() {
                r.checkin_every_days = if on { 3 } else { 0 };
            }
            let mut days = r.checkin_every_days.max(1);
            let drag = ui.add_enabled(
                on,
                egui::DragValue::new(&mut days)
                    .range(1..=30)
                    .suffix(" days"),
            );
            if drag.changed() && on {
                r.checkin_every_days = days;
            }
        });
        ui.checkbox(
            &mut r.commitments,
            "On the day of a commitment of mine (a follow-through note would be timely)",
        );
        ui.checkbox(
            &mut r.pause_end,
            "When my pause reaches the time I said I'd be back",
        );
    });
}

fn theme(ui: &mut Ui, s: &mut Session) {
    widgets::card(ui, |ui| {
        title(ui, "Appearance");
        ui.horizontal(|ui| {
            for (value, label) in [
                ("system", "Follow the system"),
                ("light", "Light"),
                ("dark", "Dark"),
            ] {
                let selected =
                    s.drafts.theme == value || (value == "system" && s.drafts.theme.is_empty());
                if ui.radio(selected, label).clicked() {
                    s.drafts.theme = value.to_string();
                }
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Text size:");
            for (value, label, _) in crate::theme::TEXT_SIZES {
                let selected = s.drafts.text_size == value
                    || (value == "normal" && s.drafts.text_size.is_empty());
                if ui.radio(selected, label).clicked() {
                    s.drafts.text_size = value.to_string();
                }
            }
        });
        ui.checkbox(
            &mut s.drafts.high_contrast,
            "High contrast: black on white (or white on black), every control outlined",
        );
        widgets::note(
            ui,
            "Kept on this computer only. Ctrl + and Ctrl − zoom everything as well.",
        );
    });
}

fn therapist_export(ui: &mut Ui, s: &mut Session) {
    let folder = default_folder(s);
    widgets::card(ui, |ui| {
        title(ui, "Export for a therapist");
        ui.label("Choose sections and dates; Trellis writes a Markdown file you can print or bring to a session. Your private journal is never included.");
        let f = &mut s.drafts.export;
        if f.sections.is_empty() && f.markdown_path.is_empty() {
            f.sections = Section::ALL.iter().map(|s| s.name().to_string()).collect();
        }
        if f.markdown_path.is_empty() {
            f.markdown_path = folder
                .join(format!(
                    "trellis-for-our-therapist-{}.md",
                    crate::clock::now().today()
                ))
                .display()
                .to_string();
        }
        ui.horizontal_wrapped(|ui| {
            for section in Section::ALL {
                let mut on = f.sections.iter().any(|n| n == section.name());
                if ui.checkbox(&mut on, section_label(section)).changed() {
                    f.sections.retain(|n| n != section.name());
                    if on {
                        f.sections.push(section.name().to_string());
                    }
                }
            }
        });
        ui.horizontal_wrapped(|ui| {
            widgets::date_field(ui, "From (optional)", &mut f.since, "export-since");
            widgets::date_field(ui, "To (optional)", &mut f.until, "export-until");
        });
        widgets::inline_field(ui, "Save as", &mut f.markdown_path, "", 460.0);
        let since = crate::widgets::typed_date(&f.since);
        let until = crate::widgets::typed_date(&f.until);
        let backwards = match (&since, &until) {
            (Ok(from), Ok(to)) => trellis_core::export::period_problem(*from, *to),
            _ => None,
        };
        if since.is_err() || until.is_err() {
            widgets::note(ui, "Leave a date empty for all dates.");
        } else if let Some(problem) = &backwards {
            let p = palette(ui);
            ui.label(RichText::new(capitalized(problem)).color(p.problem));
        }
        let sections: Vec<Section> = Section::ALL
            .into_iter()
            .filter(|sec| f.sections.iter().any(|n| n == sec.name()))
            .collect();
        let ready = !sections.is_empty()
            && since.is_ok()
            && until.is_ok()
            && backwards.is_none()
            && !f.markdown_path.trim().is_empty();
        let path = PathBuf::from(f.markdown_path.trim());
        let key = FormKey::Other("export-markdown".into());
        if widgets::primary(ui, "Write the export", ready, s.busy(&key)).clicked() {
            let options = ExportOptions {
                sections,
                since: since.ok().flatten(),
                until: until.ok().flatten(),
                now: crate::clock::now(),
            };
            s.send(Command::ExportMarkdown { path, options }, key);
        }
    });
}

fn mailbox(ui: &mut Ui, s: &mut Session) {
    let partner = s.partner_name();
    let state = s.snap.mailbox.clone();
    widgets::card(ui, |ui| {
        title(ui, "Mailbox — when you are rarely online together");
        match &state {
            None => {
                ui.label(format!("A mailbox is a small always-on peer the two of you run (a home server, a Raspberry Pi, a friend's computer): it keeps sealed envelopes for each of you until you pick them up, and can never read them. Start one with `trellis mailbox serve` and paste its one-time code here; {partner}'s device learns of it with your next sync."));
                let f = &mut s.drafts.export;
                widgets::inline_field(ui, "Code", &mut f.mailbox_code, "TRELLIS-MAILBOX-…", 460.0);
                let code = f.mailbox_code.trim().to_string();
                let key = FormKey::Other("mailbox-add".into());
                if ui
                    .add_enabled(
                        !code.is_empty() && !s.busy(&key),
                        egui::Button::new("Add the mailbox"),
                    )
                    .clicked()
                {
                    s.send(Command::AddMailbox(code), key);
                }
            }
            Some(m) => {
                ui.label(format!(
                    "Using mailbox {}. Envelopes left there are sealed for {partner}'s device or yours.",
                    m.mailbox
                ));
                ui.label(match m.deposits.changes_waiting {
                    0 => format!("Nothing of yours waits there for {partner}."),
                    n => format!(
                        "{} waiting there for {partner}.",
                        count(n, "change", "changes")
                    ),
                });
                if m.deposits.expired > 0 {
                    ui.label(format!(
                        "{} expired there before {partner} picked them up; what they held is being left again.",
                        count(m.deposits.expired, "envelope", "envelopes")
                    ));
                }
                if m.quota_bytes > 0 {
                    ui.label(format!(
                        "Using {:.1} of the {:.0} MiB this couple may keep there.",
                        m.used_bytes as f64 / 1_048_576.0,
                        m.quota_bytes as f64 / 1_048_576.0
                    ));
                }
                if let Some(problem) = &m.problem {
                    ui.label(
                        RichText::new(format!("The last visit did not finish: {problem}"))
                            .color(palette(ui).problem),
                    );
                }
                ui.horizontal(|ui| {
                    let visit = FormKey::Other("mailbox-visit".into());
                    if ui
                        .add_enabled(!s.busy(&visit), egui::Button::new("Visit it now"))
                        .clicked()
                    {
                        s.send(Command::MailboxRound, visit);
                    }
                    let remove = FormKey::Other("mailbox-remove".into());
                    if ui
                        .add_enabled(!s.busy(&remove), egui::Button::new("Stop using it"))
                        .on_hover_text("What waits there for either of you is removed")
                        .clicked()
                    {
                        s.send(Command::RemoveMailbox, remove);
                    }
                });
            }
        }
    });
}

/// A folder both devices can reach in turn: files pass through it on every visit.
fn carrier(ui: &mut Ui, s: &mut Session) {
    let partner = s.partner_name();
    let key = FormKey::Other("carrier".into());
    match s.snap.carrier_folder.clone() {
        Some(folder) => {
            ui.label(format!(
                "Carrier folder: {}. Each visit takes in {partner}'s sealed file there and leaves yours.",
                folder.display()
            ));
            if ui
                .add_enabled(!s.busy(&key), egui::Button::new("Stop using this folder"))
                .clicked()
            {
                s.send(Command::SetCarrierFolder(None), key);
            }
        }
        None => {
            ui.label(format!("Or a carrier folder — a USB stick, a folder another tool syncs: Trellis leaves a sealed file for {partner} there and takes in theirs, with no network at all."));
            let f = &mut s.drafts.export;
            widgets::inline_field(ui, "Folder", &mut f.carrier_folder, "", 460.0);
            let folder = f.carrier_folder.trim().to_string();
            if ui
                .add_enabled(
                    !folder.is_empty() && !s.busy(&key),
                    egui::Button::new("Use this folder"),
                )
                .clicked()
            {
                s.send(Command::SetCarrierFolder(Some(PathBuf::from(folder))), key);
            }
        }
    }
}

fn bundles(ui: &mut Ui, s: &mut Session) {
    let folder = default_folder(s);
    let partner = s.partner_name();
    widgets::card(ui, |ui| {
        title(ui, "Bundles — the offline path");
        ui.label(format!("No network between you? Write a bundle of your changes, carry it to {partner} any way you like (a USB stick, a message), and import theirs. It is sealed so only {partner}'s device can open it, and each change is verified before it is applied."));
        let f = &mut s.drafts.export;
        if f.bundle_path.is_empty() {
            f.bundle_path = folder
                .join(format!("for-{}.trellis", partner.to_lowercase()))
                .display()
                .to_string();
        }
        widgets::inline_field(ui, "Write to", &mut f.bundle_path, "", 460.0);
        ui.checkbox(
            &mut f.bundle_all,
            "Everything (not only what my partner may lack)",
        );
        let (path, all) = (PathBuf::from(f.bundle_path.trim()), f.bundle_all);
        let key = FormKey::Other("export-bundle".into());
        if ui
            .add_enabled(!s.busy(&key), egui::Button::new("Write a bundle"))
            .clicked()
        {
            s.send(Command::ExportBundle { path, all }, key);
        }
        ui.separator();
        import_bundle(ui, s);
        ui.separator();
        carrier(ui, s);
    });
}

fn unpair(ui: &mut Ui, s: &mut Session) {
    let p = palette(ui);
    let partner = s.partner_name();
    let ended = s.snap.view.as_ref().and_then(|v| v.ended.clone());
    widgets::card(ui, |ui| {
        title(ui, "Ending with dignity");
        if ended.is_some() {
            // What happened, and the last word, are said once, above the page.
            widgets::note(
                ui,
                "To also delete this copy from this computer, close Trellis and run `trellis unpair --wipe` on the command line.",
            );
            return;
        }
        ui.label(format!("If you separate, either of you can end the shared space. Syncing with {partner} stops for good, for both of you; each keeps a copy to read and export, and nothing is deleted unless you choose to."));
        widgets::field(ui, "A last word (optional)", &mut s.t.end_note, "");
        ui.checkbox(
            &mut s.t.end_understood,
            format!("I understand that nothing will sync with {partner} any more"),
        );
        let key = FormKey::Other("end-space".into());
        let busy = s.busy(&key);
        let button = egui::Button::new(RichText::new("End our shared space").color(p.problem));
        if ui
            .add_enabled(s.t.end_understood && !busy, button)
            .clicked()
        {
            let note = Some(s.t.end_note.trim().to_string()).filter(|n| !n.is_empty());
            s.send(Command::EndSpace(note), key);
            s.t.end_understood = false;
        }
    });
}

/// "Sam ended this shared space on 3 March 2027. …"
pub(crate) fn ended_sentence(partner: &str, by: trellis_core::Who, at: i64) -> String {
    let who = match by {
        trellis_core::Who::Me => "You".to_string(),
        trellis_core::Who::Partner => partner.to_string(),
    };
    let day = crate::clock::local(at).date_naive();
    format!(
        "{who} ended this shared space on {}. This copy stays here to read and export; nothing syncs any more.",
        crate::clock::long_date(day)
    )
}

fn import_bundle(ui: &mut Ui, s: &mut Session) {
    let f = &mut s.drafts.export;
    widgets::inline_field(
        ui,
        "Import from",
        &mut f.import_path,
        "path to a .trellis file",
        460.0,
    );
    let path = PathBuf::from(f.import_path.trim());
    let ready = !f.import_path.trim().is_empty();
    let busy = s.t.import_reading || s.busy(&FormKey::Other("import".into()));
    if ui
        .add_enabled(ready && !busy, egui::Button::new("Import a bundle"))
        .clicked()
    {
        s.import_file(path);
    }
}
