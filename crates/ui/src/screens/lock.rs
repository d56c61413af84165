//! The profile's lock in the window: choosing a passphrase at first run, the lock screen
//! (before the profile opens, and while it is open but locked), and Settings' section on how
//! the profile is kept on this computer.
//!
//! While the window is locked the node keeps syncing (it holds the keys in memory for that);
//! the window draws nothing of the couple, only this screen.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use egui::{Key, KeyboardShortcut, Modifiers, RichText, Ui};
use trellis_store::{LockChoice, LockKind, Profile, ProfilePaths, StoreError, Vault};
use zeroize::Zeroizing;

use crate::error::capital;
use crate::lock_state::{NewLock, wait_after};
use crate::session::Session;
use crate::theme::palette;
use crate::widgets;

/// Ctrl+L (Cmd+L on a Mac) locks the window now.
pub(crate) const LOCK_NOW: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::L);

/// Minutes without a touch before a passphrase-locked window locks itself, unless the person
/// chose otherwise in Settings.
pub(crate) const DEFAULT_IDLE_MINUTES: u32 = 10;

/// A passphrase field tied to its visible label (so screen readers name it).
pub(crate) fn password_field(ui: &mut Ui, label: &str, text: &mut String) -> egui::Response {
    let l = ui.label(RichText::new(label).strong());
    ui.add(
        egui::TextEdit::singleline(text)
            .password(true)
            .desired_width(ui.available_width().min(560.0)),
    )
    .labelled_by(l.id)
}

/// The two passphrase fields; the choice when it can be made.
fn new_lock_fields(ui: &mut Ui, lock: &mut NewLock, optional: bool) -> Result<LockChoice, String> {
    password_field(ui, "Passphrase", &mut lock.passphrase);
    password_field(ui, "The same passphrase again", &mut lock.again);
    let choice = lock.choice(optional);
    if let Err(problem) = &choice
        && !(lock.passphrase.is_empty() && lock.again.is_empty())
    {
        ui.label(RichText::new(problem).color(palette(ui).problem));
    }
    choice
}

/// First run: an optional passphrase, with the honest sentence about each way.
pub(crate) fn first_run_fields(ui: &mut Ui, lock: &mut NewLock) -> Option<LockChoice> {
    ui.add_space(8.0);
    ui.label(RichText::new("Lock it with a passphrase (recommended)").strong());
    widgets::note(
        ui,
        "Everything Trellis keeps on this computer is encrypted. With a passphrase, no one \
         can open it without you — not someone else at this computer, not a repair shop. \
         Forget it and no one can open it, not even you: keep a backup (Settings). Leave \
         both empty for no lock, if no one else uses this computer account.",
    );
    if trellis_store::vault::keychain::unavailable().is_none() {
        ui.checkbox(
            &mut lock.keychain,
            "Instead, keep the key in this computer's keychain (it opens when you log in)",
        );
        if lock.keychain {
            return Some(LockChoice::Keychain);
        }
    }
    new_lock_fields(ui, lock, true).ok()
}

/// The lock screen before the profile opens.
/// The passphrase when the person asks to unlock.
pub(crate) fn locked_before_open(
    ui: &mut Ui,
    passphrase: &mut String,
    problem: Option<&str>,
    wait_until: Option<Instant>,
) -> Option<Zeroizing<String>> {
    let mut unlock = None;
    egui::CentralPanel::default().show(ui, |ui| {
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() * 0.18);
            ui.set_max_width(420.0);
            unlock = lock_form(ui, passphrase, problem, wait_until, false);
        });
    });
    unlock
}

/// The passphrase field and its button; the passphrase when the person asks to unlock.
fn lock_form(
    ui: &mut Ui,
    passphrase: &mut String,
    problem: Option<&str>,
    wait_until: Option<Instant>,
    checking: bool,
) -> Option<Zeroizing<String>> {
    let p = palette(ui);
    ui.heading("Trellis is locked");
    ui.add_space(8.0);
    let r = password_field(ui, "Your passphrase", passphrase);
    if ui.memory(|m| m.focused().is_none()) {
        r.request_focus();
    }
    let waiting = wait_until.is_some_and(|t| Instant::now() < t);
    if let Some(t) = wait_until.filter(|_| waiting) {
        ui.ctx().request_repaint_after(t - Instant::now());
    }
    let ready = !passphrase.is_empty() && !waiting && !checking;
    // Enter in the field unlocks, whether or not egui let the field go on Enter.
    let enter = (r.lost_focus() || r.has_focus()) && ui.input(|i| i.key_pressed(Key::Enter));
    let clicked = widgets::primary(ui, "Unlock", ready, checking).clicked();
    if let Some(problem) = problem {
        ui.label(RichText::new(problem).color(p.problem));
    }
    if waiting {
        widgets::note(ui, "A moment before the next try…");
    }
    ((clicked || enter) && ready).then(|| Zeroizing::new(std::mem::take(passphrase)))
}

/// Runs `job` off the window's thread; its answer arrives on the receiver.
fn in_background(
    repaint: std::sync::Arc<dyn Fn() + Send + Sync>,
    job: impl FnOnce() -> Result<Vault, StoreError> + Send + 'static,
) -> mpsc::Receiver<Result<Vault, StoreError>> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("trellis-lock".into())
        .spawn(move || {
            let _ = tx.send(job());
            repaint();
        });
    if spawned.is_err() {
        let (tx, rx) = mpsc::channel();
        let _ = tx.send(Err(StoreError::Random("a thread could not start".into())));
        return rx;
    }
    rx
}

/// Each frame: Ctrl+L, the idle timer, and answers from the background.
pub(crate) fn tick(ctx: &egui::Context, s: &mut Session) {
    let locks = s.vault.kind() == LockKind::Passphrase;
    let touched = ctx.input(|i| {
        i.events.iter().any(|e| {
            matches!(
                e,
                egui::Event::Key { .. }
                    | egui::Event::Text(_)
                    | egui::Event::PointerButton { .. }
                    | egui::Event::MouseWheel { .. }
            )
        }) || i.pointer.delta() != egui::Vec2::ZERO
    });
    if touched {
        s.lock.last_touch = Instant::now();
    }
    if locks && ctx.input_mut(|i| i.consume_shortcut(&LOCK_NOW)) {
        s.lock.lock_now();
    }
    let minutes = s.drafts.lock_after_minutes.unwrap_or(DEFAULT_IDLE_MINUTES);
    if locks && !s.lock.locked && minutes > 0 {
        let after = Duration::from_secs(u64::from(minutes) * 60);
        let idle = s.lock.last_touch.elapsed();
        if idle >= after {
            s.lock.lock_now();
        } else {
            ctx.request_repaint_after(after - idle);
        }
    }
    if s.lock.locked {
        // Whatever unlocks the window next, the phrase is asked for again.
        s.t.recovery_phrase = None;
    }
    if let Some(rx) = &s.lock.checking
        && let Ok(answer) = rx.try_recv()
    {
        s.lock.checking = None;
        match answer {
            Ok(vault) if vault.same_keys(&s.vault) => {
                s.lock.locked = false;
                s.lock.tries = 0;
                s.lock.problem = None;
                s.lock.wait_until = None;
                s.lock.last_touch = Instant::now();
            }
            Ok(_) => s.lock.problem = Some("That passphrase opens another profile.".into()),
            Err(e) => {
                s.lock.tries += 1;
                s.lock.wait_until = Some(Instant::now() + wait_after(s.lock.tries));
                s.lock.problem = Some(capital(&e.to_string()));
            }
        }
    }
    if let Some(rx) = &s.lock.changing
        && let Ok(answer) = rx.try_recv()
    {
        s.lock.changing = None;
        match answer {
            Ok(vault) => {
                let what = match vault.kind() {
                    LockKind::Passphrase => "Locked with your new passphrase",
                    LockKind::NoLock => "The lock is off; the files stay encrypted",
                    LockKind::Keychain => "This computer's keychain keeps the key now",
                };
                s.vault = vault;
                s.lock.new_lock.clear();
                s.lock.change_problem = None;
                s.lock.confirm_remove = false;
                s.done(what);
            }
            Err(e) => s.lock.change_problem = Some(capital(&e.to_string())),
        }
    }
}

/// The lock screen over an open session.
pub(crate) fn locked_session(ui: &mut Ui, s: &mut Session) {
    let dir = s.dir();
    let repaint = s.repaint.clone();
    let lock = &mut s.lock;
    let mut unlock = None;
    egui::CentralPanel::default().show(ui, |ui| {
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() * 0.18);
            ui.set_max_width(420.0);
            unlock = lock_form(
                ui,
                &mut lock.passphrase,
                lock.problem.as_deref(),
                lock.wait_until,
                lock.checking.is_some(),
            );
            ui.add_space(12.0);
            widgets::note(
                ui,
                "While the window is locked, Trellis keeps syncing with your partner's device.",
            );
        });
    });
    if let Some(words) = unlock {
        lock.problem = None;
        lock.checking = Some(in_background(repaint, move || {
            Profile::unlock(&dir, Some(&words))
        }));
    }
}

/// Settings: how the profile is kept here, and the ways to change it.
pub(crate) fn settings_section(ui: &mut Ui, s: &mut Session) {
    let p = palette(ui);
    let kind = s.vault.kind();
    ui.label(RichText::new("On this computer").strong());
    ui.label(capital(kind.describe()));
    let busy = s.lock.changing.is_some();
    let mut change = None;
    if kind == LockKind::Passphrase {
        ui.horizontal_wrapped(|ui| {
            if ui.button("Lock now (Ctrl+L)").clicked() {
                s.lock.lock_now();
            }
            ui.label("Lock by itself after");
            let mut minutes = s.drafts.lock_after_minutes.unwrap_or(DEFAULT_IDLE_MINUTES);
            let r = ui.add(
                egui::DragValue::new(&mut minutes)
                    .range(0..=240)
                    .suffix(" min"),
            );
            if r.changed() {
                s.drafts.lock_after_minutes = Some(minutes);
            }
            ui.label("without a touch (0: never).");
        });
    }
    let (title, button) = match kind {
        LockKind::Passphrase => ("Change the passphrase", "Change passphrase"),
        LockKind::Keychain => (
            "Lock with a passphrase instead",
            "Lock with this passphrase",
        ),
        LockKind::NoLock => ("Lock with a passphrase", "Lock with this passphrase"),
    };
    ui.collapsing(title, |ui| {
        widgets::note(
            ui,
            "Forget it and no one can open your space, not even you: keep a backup.",
        );
        let choice = new_lock_fields(ui, &mut s.lock.new_lock, false);
        if widgets::primary(ui, button, choice.is_ok(), busy).clicked() {
            change = choice.ok();
        }
    });
    ui.horizontal_wrapped(|ui| {
        if kind != LockKind::Keychain && s.lock.keychain.is_none() {
            let r = ui.add_enabled(
                !busy,
                egui::Button::new("Use this computer's keychain instead"),
            );
            if r.clicked() {
                change = Some(LockChoice::Keychain);
            }
        }
        if kind == LockKind::NoLock {
            return;
        }
        if !s.lock.confirm_remove {
            if ui.button("Remove the lock…").clicked() {
                s.lock.confirm_remove = true;
            }
        } else {
            ui.label(
                "Without a lock, anyone who can use this computer account can open your \
                 space. Remove it?",
            );
            if ui.button("Yes, remove the lock").clicked() {
                change = Some(LockChoice::NoLock);
            }
            if ui.button("Keep it").clicked() {
                s.lock.confirm_remove = false;
            }
        }
    });
    if let Some(why) = s
        .lock
        .keychain
        .as_deref()
        .filter(|_| kind != LockKind::Keychain)
    {
        widgets::note(
            ui,
            &format!("This computer offers no keychain to Trellis ({why})."),
        );
    }
    if let Some(problem) = &s.lock.change_problem {
        ui.label(RichText::new(problem).color(p.problem));
    }
    if let Some(choice) = change {
        let vault = s.vault.clone();
        let paths = ProfilePaths::new(s.dir());
        s.lock.changing = Some(in_background(s.repaint.clone(), move || {
            vault.relocked(&paths, &choice)
        }));
    }
}
