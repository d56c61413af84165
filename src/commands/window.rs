//! The window, and the two-window demo.

use std::process::Command;

use anyhow::{Context as _, Result};
use trellis_ui::RunOptions;

use crate::context::Context;

/// Opens the window on this profile (creating it on first run).
pub fn open(ctx: &Context) -> Result<()> {
    trellis_ui::run(RunOptions {
        profile_dir: ctx.profile_dir.clone(),
        mode: ctx.network.clone(),
    })?;
    Ok(())
}

/// Two fresh profiles, Alex and Sam, paired over loopback with a little history, each in
/// its own window (its own process: one window per event loop).
pub fn demo() -> Result<()> {
    let root = tempfile::Builder::new()
        .prefix("trellis-demo-")
        .tempdir()
        .context("could not make a temporary folder for the demo")?;
    println!("Preparing two profiles, Alex and Sam, paired over this machine…");
    let (alex, sam) = trellis_ui::prepare_demo(root.path())?;
    let exe = std::env::current_exe().context("cannot find the trellis program")?;
    let mut windows = Vec::new();
    for dir in [&alex, &sam] {
        let child = Command::new(&exe)
            .arg("--profile")
            .arg(dir)
            .args(["--network", "loopback"])
            .spawn()
            .context("could not open a demo window")?;
        windows.push(child);
    }
    println!(
        "Two windows are open: Alex and Sam. Propose an agreement in one and accept it in the other.\n\
         Close both windows to end the demo; its temporary profiles are then deleted."
    );
    for mut w in windows {
        let _ = w.wait();
    }
    Ok(())
}
