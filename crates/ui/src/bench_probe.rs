//! A hidden measuring mode for the benchmark harness (`crates/bench`), off unless
//! `TRELLIS_BENCH_FRAMES` is set.
//!
//! * `TRELLIS_BENCH_FRAMES=N` — after the profile is open (and the start screen has what it
//!   needs), draw `N` frames back to back, print one JSON line on stdout, close the window.
//! * `TRELLIS_BENCH_SCREEN=history` — the screen to measure on (default: Today). On History
//!   the frames are measured once the signed timeline has loaded, scrolling through it.
//! * `TRELLIS_BENCH_T0_NS` — the harness's clock (ns since the Unix epoch) when it spawned
//!   this process, so "cold start to first frame" includes everything the process does.
//!
//! The JSON line: `first_frame_ms` (spawn → first frame drawn), `ready_ms` (spawn → first
//! frame showing the opened profile), `frame_ms` (CPU time of each measured egui pass: layout
//! and input, not the GPU/software rasteriser), `interval_ms` (wall time between measured
//! frames, rendering included), `peak_rss_kb` (VmHWM), and `rss_anon_kb` / `rss_file_kb`
//! (the resident size at the end, split into anonymous memory and mapped files).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::app::TrellisApp;
use crate::screens::Screen;

/// What the harness asked for.
#[derive(Debug, Clone)]
pub(crate) struct ProbeOptions {
    frames: usize,
    screen: Screen,
    t0_ns: Option<u128>,
}

impl ProbeOptions {
    /// Reads the environment; `None` (the normal case) when no measurement was asked for.
    pub(crate) fn from_env() -> Option<Self> {
        let frames = std::env::var("TRELLIS_BENCH_FRAMES")
            .ok()?
            .parse::<usize>()
            .ok()?;
        let screen = match std::env::var("TRELLIS_BENCH_SCREEN").ok().as_deref() {
            Some(name) => Screen::ALL
                .into_iter()
                .find(|s| format!("{s:?}").eq_ignore_ascii_case(name))
                .unwrap_or(Screen::Today),
            None => Screen::Today,
        };
        let t0_ns = std::env::var("TRELLIS_BENCH_T0_NS")
            .ok()
            .and_then(|v| v.parse().ok());
        Some(Self {
            frames: frames.max(1),
            screen,
            t0_ns,
        })
    }
}

/// The window's app with a stopwatch around each frame.
pub(crate) struct ProbedApp {
    app: TrellisApp,
    options: ProbeOptions,
    first_frame_ms: Option<f64>,
    ready_ms: Option<f64>,
    navigated: bool,
    measuring: bool,
    frame_ms: Vec<f64>,
    interval_ms: Vec<f64>,
    last_frame: Option<Instant>,
    done: bool,
}

impl ProbedApp {
    pub(crate) fn new(app: TrellisApp, options: ProbeOptions) -> Self {
        Self {
            app,
            options,
            first_frame_ms: None,
            ready_ms: None,
            navigated: false,
            measuring: false,
            frame_ms: Vec::new(),
            interval_ms: Vec::new(),
            last_frame: None,
            done: false,
        }
    }

    fn since_spawn_ms(&self) -> Option<f64> {
        let t0 = self.options.t0_ns?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_nanos();
        Some(now.saturating_sub(t0) as f64 / 1e6)
    }

    /// Whether the start screen has what it needs to be measured.
    fn screen_ready(&mut self) -> bool {
        let screen = self.options.screen;
        let Some(s) = self.app.session_mut() else {
            return false;
        };
        if s.snapshot().view.is_none() {
            return false;
        }
        if !self.navigated {
            // A generated couple never compared its safety number: "Later", as a person would.
            s.pairing.safety_later = true;
            s.go(screen);
            self.navigated = true;
        }
        screen != Screen::History || (s.history.entries.is_some() && s.history.request.is_none())
    }

    fn report(&self) -> String {
        let json = serde_json::json!({
            "first_frame_ms": self.first_frame_ms,
            "ready_ms": self.ready_ms,
            "screen": format!("{:?}", self.options.screen),
            "frame_ms": self.frame_ms,
            "interval_ms": self.interval_ms,
            "peak_rss_kb": status_kb("VmHWM:"),
            "rss_anon_kb": status_kb("RssAnon:"),
            "rss_file_kb": status_kb("RssFile:"),
        });
        json.to_string()
    }
}

/// A memory figure of this process from /proc (Linux): VmHWM is the peak resident size;
/// RssAnon (heap, the renderer's buffers) and RssFile (mapped code: with software GL that
/// includes the LLVM JIT library) split the current one.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

impl eframe::App for ProbedApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let started = Instant::now();
        eframe::App::ui(&mut self.app, ui, frame);
        let spent = started.elapsed();
        if self.first_frame_ms.is_none() {
            self.first_frame_ms = self.since_spawn_ms().or(Some(0.0));
        }
        if self.done {
            return;
        }
        if self.ready_ms.is_none()
            && self
                .app
                .session()
                .is_some_and(|s| s.snapshot().view.is_some())
        {
            self.ready_ms = self.since_spawn_ms().or(Some(0.0));
        }
        if self.measuring {
            self.frame_ms.push(spent.as_secs_f64() * 1000.0);
            if let Some(last) = self.last_frame {
                self.interval_ms
                    .push(started.duration_since(last).as_secs_f64() * 1000.0);
            }
            self.last_frame = Some(started);
            if self.frame_ms.len() >= self.options.frames {
                println!("{}", self.report());
                self.done = true;
                self.app.close();
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                return;
            }
        } else if self.screen_ready() {
            self.measuring = true;
        }
        // Draw continuously while measuring (and poll while waiting for the profile).
        if self.measuring {
            ctx.request_repaint();
        } else {
            ctx.request_repaint_after(Duration::from_millis(5));
        }
    }

    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        // Scroll through the years while measuring, as the kittest frame-time test does.
        if self.measuring && self.frame_ms.len().is_multiple_of(2) {
            raw_input
                .events
                .push(egui::Event::PointerMoved(egui::pos2(700.0, 500.0)));
            raw_input.events.push(egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Point,
                delta: egui::vec2(0.0, -2000.0),
                modifiers: egui::Modifiers::default(),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Unknown,
            });
        }
    }

    fn on_exit(&mut self) {
        eframe::App::on_exit(&mut self.app);
    }
}
