//! trellis-ui: the desktop window.
//!
//! The window never blocks on disk or network and never awaits: it sends commands to the
//! node (`trellis-net`) and draws the latest snapshot and events. The private journal is
//! opened on a thread of the window's own, never through the node.

mod app;
mod assets;
mod clock;
mod demo;
mod drafts;
mod error;
mod journal_worker;
mod screens;
mod session;
mod starter;
mod theme;
mod widgets;

use std::path::PathBuf;
use std::sync::Arc;

pub use app::TrellisApp;
pub use demo::prepare_demo;
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

/// Whether a display server is there to draw on.
fn display_available() -> Result<(), String> {
    if cfg!(all(
        unix,
        not(target_os = "macos"),
        not(target_os = "android")
    )) {
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        if !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
            return Err("there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)".into());
        }
    }
    Ok(())
}

/// Opens the window on `options.profile_dir` and returns when it is closed.
pub fn run(options: RunOptions) -> Result<(), UiError> {
    display_available().map_err(UiError::NoDisplay)?;
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Trellis")
        .with_app_id("trellis")
        .with_inner_size([1120.0, 780.0])
        .with_min_inner_size([760.0, 540.0]);
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
            Ok(Box::new(TrellisApp::new(profile_dir, mode, repaint)))
        }),
    )
    .map_err(|e| UiError::Window(error::one_line(e)))
}
