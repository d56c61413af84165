//! One person's profile, driven only through the `trellis` binary (shared by the end-to-end
//! tests; each uses part of it).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub struct Person {
    pub dir: PathBuf,
    /// Arguments every command gets (e.g. `--network loopback`).
    pub args: Vec<String>,
    /// Environment every command gets (e.g. `TZ`).
    pub env: Vec<(String, String)>,
}

impl Person {
    pub fn new(root: &Path, name: &str) -> Self {
        Self {
            dir: root.join(name),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Every command in the time zone `tz`.
    pub fn in_zone(mut self, tz: &str) -> Self {
        self.env.push(("TZ".into(), tz.into()));
        self
    }

    /// Every command with `--network loopback`.
    pub fn on_loopback(mut self) -> Self {
        self.args.extend(["--network".into(), "loopback".into()]);
        self
    }

    /// Every command with the profile's passphrase in `file`.
    pub fn with_passphrase_file(mut self, file: &Path) -> Self {
        self.args
            .extend(["--passphrase-file".into(), file.display().to_string()]);
        self
    }

    /// `trellis` on this profile, to run or to spawn.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trellis"));
        cmd.arg("--profile")
            .arg(&self.dir)
            .args(&self.args)
            .args(args)
            .env_remove("TRELLIS_PROFILE")
            .env_remove("TRELLIS_PASSPHRASE_FILE")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("trellis runs")
    }

    /// Runs a command that must succeed and returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "`trellis {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).expect("JSON output")
    }

    /// Runs a command that must fail with a one-line error; returns that line.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "`trellis {}` should fail",
            args.join(" ")
        );
        let err = String::from_utf8(out.stderr).expect("utf-8 errors");
        assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
        err
    }
}

/// `from` exports a bundle to `file`; `to` imports it.
pub fn exchange(from: &Person, to: &Person, file: &Path) {
    let file = file.to_str().expect("a UTF-8 temporary path");
    from.ok(&["bundle", "export", file]);
    to.ok(&["bundle", "import", file]);
}
