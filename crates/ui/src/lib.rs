//! trellis-ui: the desktop window.
//!
//! The window never blocks on disk or network and never awaits: it sends commands to the
//! node (`trellis-net`) and draws the latest snapshot and events. The private journal is
//! opened on a thread of the window's own, never through the node.

mod app;
mod assets;
mod bench_probe;
mod clock;
mod demo;
mod drafts;
mod error;
mod journal_worker;
mod lock_state;
mod place;
mod reminders;
mod screens;
mod session;
mod starter;
mod theme;
mod widgets;

use std::ffi::OsStr;
use std::path::PathBuf;
use std::sync::Arc;

pub use app::TrellisApp;
pub use demo::prepare_demo;
pub use drafts::remind_from_serve;
pub use error::UiError;
pub use screens::Screen;
pub use session::Session;
pub use trellis_net::NetworkMode;

/// How to open the window.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The profile to open (created on first run).
    pub profile_dir: PathBuf,
    /// Use this network mode instead of the profile's setting.
    pub mode: Option<NetworkMode>,
}

/// Whether a display server is there to draw on, from the values of `DISPLAY` and
/// `WAYLAND_DISPLAY` (Linux and the BSDs; elsewhere there always is one).
fn display_check(display: Option<&OsStr>, wayland: Option<&OsStr>) -> Result<(), String> {
    if cfg!(all(
        unix,
        not(target_os = "macos"),
        not(target_os = "android")
    )) {
        let set = |v: Option<&OsStr>| v.is_some_and(|v| !v.is_empty());
        if !set(display) && !set(wayland) {
            return Err("there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)".into());
        }
    }
    Ok(())
}

fn display_available() -> Result<(), String> {
    display_check(
        std::env::var_os("DISPLAY").as_deref(),
        std::env::var_os("WAYLAND_DISPLAY").as_deref(),
    )
}

/// Opens the window on `options.profile_dir` and returns when it is closed.
pub fn run(options: RunOptions) -> Result<(), UiError> {
    display_available().map_err(UiError::NoDisplay)?;
    // The size and place it had last time, from this profile's local drafts (a small file,
    // read before the window exists). They are sealed like every file of the profile: a
    // profile locked with a passphrase opens at the usual size until it is unlocked.
    let remembered = match trellis_store::Vault::lock_kind(&trellis_store::ProfilePaths::new(
        &options.profile_dir,
    )) {
        Ok(Some(trellis_store::LockKind::Passphrase)) | Err(_) => None,
        Ok(_) => trellis_store::Profile::unlock(&options.profile_dir, None)
            .ok()
            .and_then(|vault| drafts::Drafts::load(&options.profile_dir, &vault).window),
    };
    let mut viewport = place::builder(remembered)
        .with_title("Trellis")
        .with_app_id("trellis");
    if let Some(icon) = assets::icon() {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    let native = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    let RunOptions { profile_dir, mode } = options;
    eframe::run_native(
        "Trellis",
        native,
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let repaint: Arc<dyn Fn() + Send + Sync> = Arc::new(move || ctx.request_repaint());
            let app = TrellisApp::new(profile_dir, mode, repaint);
            // The benchmark harness's measuring mode (see `bench_probe`); off by default.
            let app: Box<dyn eframe::App> = match bench_probe::ProbeOptions::from_env() {
                Some(probe) => Box::new(bench_probe::ProbedApp::new(app, probe)),
                None => Box::new(app),
            };
            Ok(app)
        }),
    )
    .map_err(|e| UiError::Window(error::one_line(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(unix, not(target_os = "macos"), not(target_os = "android")))]
    fn no_display_is_said_in_one_line_pointing_to_the_command_line() {
        let err = display_check(None, Some(OsStr::new(""))).map_err(UiError::NoDisplay);
        let text = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("no display"), "{text}");
        assert!(text.contains("trellis --help"), "{text}");
        assert!(!text.contains('\n'));
        assert!(display_check(Some(OsStr::new(":0")), None).is_ok());
        assert!(display_check(None, Some(OsStr::new("wayland-0"))).is_ok());
        let window = UiError::Window(error::one_line("no adapter\nfound"));
        assert!(!window.to_string().contains('\n'));
    }
}
