//! How a mailbox runs.

use std::path::PathBuf;
use std::time::Duration;

/// Each couple may keep this much at the mailbox, unless the owner says otherwise.
pub const DEFAULT_QUOTA_BYTES: u64 = 256 * 1024 * 1024;
/// Envelopes nobody picked up are deleted after this long.
pub const DEFAULT_EXPIRY: Duration = Duration::from_secs(90 * 24 * 60 * 60);
/// How often expired envelopes and codes are swept away.
pub const DEFAULT_SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxOptions {
    /// Holds the mailbox's key and its store.
    pub dir: PathBuf,
    /// 0: the port used last time, else any.
    pub port: u16,
    /// Tests: bind 127.0.0.1 only, with no relays and no address lookup.
    pub loopback: bool,
    /// Per couple.
    pub quota_bytes: u64,
    pub expiry: Duration,
    pub sweep_every: Duration,
}

impl MailboxOptions {
    /// The defaults, keeping everything in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            port: 0,
            loopback: false,
            quota_bytes: DEFAULT_QUOTA_BYTES,
            expiry: DEFAULT_EXPIRY,
            sweep_every: DEFAULT_SWEEP_EVERY,
        }
    }
}
