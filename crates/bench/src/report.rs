//! The results: one Markdown table for people, one JSON file for machines.

use std::path::Path;

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::stats::Summary;

/// Whether a row has a target and meets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Met,
    Missed,
    /// No target: a floor, or context for another row.
    Info,
    Skipped,
}

impl Verdict {
    pub fn check(ok: bool) -> Self {
        if ok { Verdict::Met } else { Verdict::Missed }
    }

    fn label(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "**missed**",
            Verdict::Info => "",
            Verdict::Skipped => "skipped",
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub metric: String,
    pub workload: String,
    pub result: String,
    pub runs: String,
    pub target: String,
    pub verdict: Verdict,
}

impl Row {
    pub fn new(metric: &str, workload: &str, result: String, runs: String) -> Self {
        Self {
            metric: metric.into(),
            workload: workload.into(),
            result,
            runs,
            target: String::new(),
            verdict: Verdict::Info,
        }
    }

    pub fn target(mut self, target: &str, ok: bool) -> Self {
        self.target = target.into();
        self.verdict = Verdict::check(ok);
        self
    }

    pub fn skipped(mut self, why: &str) -> Self {
        self.result = why.into();
        self.verdict = Verdict::Skipped;
        self
    }
}

/// "median (min – max)" in milliseconds.
pub fn ms(s: &Summary) -> String {
    format!("{} ms ({} – {})", num(s.median), num(s.min), num(s.max))
}

/// A number with sensible precision for its size.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        "n/a".into()
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

pub fn runs(n: usize) -> String {
    format!("{n}")
}

/// Everything a run produced.
#[derive(Debug, Serialize)]
pub struct Report {
    pub size: String,
    pub command: String,
    pub machine: Machine,
    pub rows: Vec<Row>,
    /// Every measured value, unsummarised.
    pub raw: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gb: f64,
    pub kernel: String,
    pub build: String,
}

impl Machine {
    pub fn here() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|l| l.trim_start_matches([' ', '\t', ':']).trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kb: f64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            memory_gb: (memory_kb / 1024.0 / 1024.0 * 10.0).round() / 10.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_string(),
            build: if cfg!(debug_assertions) {
                "debug".into()
            } else {
                "release".into()
            },
        }
    }
}

impl Report {
    pub fn markdown(&self) -> String {
        let m = &self.machine;
        let mut out = String::new();
        out.push_str(&format!(
            "Size: **{}** · {} build · {} ({} cores, {} GB RAM, Linux {})\n\n",
            self.size, m.build, m.cpu, m.cores, m.memory_gb, m.kernel
        ));
        out.push_str("| # | metric | workload | result: median (min – max) | runs | target | |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        let mut last = String::new();
        for row in &self.rows {
            let number = row.metric.split('.').next().unwrap_or("").to_string();
            let shown = if number == last {
                String::new()
            } else {
                number.clone()
            };
            last = number;
            let metric = row
                .metric
                .split_once('.')
                .map_or(row.metric.as_str(), |(_, rest)| rest.trim());
            out.push_str(&format!(
                "| {shown} | {metric} | {} | {} | {} | {} | {} |\n",
                row.workload,
                row.result,
                row.runs,
                row.target,
                row.verdict.label()
            ));
        }
        out.push_str(&format!("\nCommand: `{}`\n", self.command));
        out
    }

    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::write(dir.join("results.md"), self.markdown())?;
        std::fs::write(
            dir.join("results.json"),
            serde_json::to_string_pretty(self)?,
        )?;
        Ok(())
    }
}
