//! Metric 5: the real window (the `trellis` binary) under Xvfb with software GL, on a copy
//! of a profile. The window's hidden measuring mode (`TRELLIS_BENCH_FRAMES`, see
//! trellis-ui's `bench_probe`) prints one JSON line and closes itself.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use crate::workloads::{copy_dir, scratch};

/// What one window run reported.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WindowRun {
    pub first_frame_ms: Option<f64>,
    pub ready_ms: Option<f64>,
    pub frame_ms: Vec<f64>,
    pub interval_ms: Vec<f64>,
    pub peak_rss_kb: Option<u64>,
    #[serde(default)]
    pub rss_anon_kb: Option<u64>,
    #[serde(default)]
    pub rss_file_kb: Option<u64>,
}

/// An Xvfb server of our own on a free display; stopped when dropped.
struct Xvfb {
    child: Child,
    display: String,
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(tool).is_file()))
}

fn start_xvfb() -> Result<Xvfb> {
    let n = (90..140)
        .find(|n| {
            !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
        })
        .context("no free X display number")?;
    let display = format!(":{n}");
    let child = Command::new("Xvfb")
        .args([&display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting Xvfb")?;
    let xvfb = Xvfb { child, display };
    let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !socket.exists() {
        if Instant::now() > deadline {
            bail!("Xvfb did not start on {}", xvfb.display);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(xvfb)
}

/// Why the window rows cannot be measured here, if they cannot.
pub fn unavailable(trellis: &Path) -> Option<String> {
    if !on_path("Xvfb") {
        return Some("skipped (no Xvfb)".into());
    }
    if !trellis.is_file() {
        return Some(format!(
            "skipped (no trellis binary at {}; build it with `cargo build --release -p trellis`)",
            trellis.display()
        ));
    }
    None
}

/// Runs the window `runs` times on copies of `profile`, `frames` measured frames each,
/// on `screen` ("history", "today", …).
pub fn measure(
    trellis: &Path,
    profile: &Path,
    root: &Path,
    runs: usize,
    frames: usize,
    screen: &str,
) -> Result<Vec<WindowRun>> {
    let xvfb = start_xvfb()?;
    let mut out = Vec::with_capacity(runs);
    for run in 0..runs {
        let dir = scratch(root, &format!("window-{run}"))?;
        let copy = dir.join("alex");
        copy_dir(profile, &copy)?;
        let t0 = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
        let mut child = Command::new(trellis)
            .arg("--profile")
            .arg(&copy)
            .args(["--network", "loopback"])
            .env("DISPLAY", &xvfb.display)
            .env("WAYLAND_DISPLAY", "")
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .env("TRELLIS_BENCH_FRAMES", frames.to_string())
            .env("TRELLIS_BENCH_SCREEN", screen)
            .env("TRELLIS_BENCH_T0_NS", t0.to_string())
            // Files, not pipes: a chatty window must never block on a full pipe.
            .stdout(std::fs::File::create(dir.join("stdout"))?)
            .stderr(std::fs::File::create(dir.join("stderr"))?)
            .spawn()
            .with_context(|| format!("starting {}", trellis.display()))?;
        let status = wait_with_timeout(&mut child, Duration::from_secs(180))?;
        let stdout = std::fs::read_to_string(dir.join("stdout"))?;
        let stderr = std::fs::read_to_string(dir.join("stderr")).unwrap_or_default();
        let line = stdout
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'))
            .with_context(|| {
                format!(
                    "the window printed no measurement (exit {status:?}); stderr: {}",
                    stderr.lines().rev().take(5).collect::<Vec<_>>().join(" | ")
                )
            })?;
        out.push(serde_json::from_str(line).context("reading the window's measurement")?);
        let _ = std::fs::remove_dir_all(&dir);
    }
    drop(xvfb);
    Ok(out)
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Result<Option<i32>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status.code());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the window did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
