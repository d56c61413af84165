//! What every command needs: where the profile is, how to print, and what time it is.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use serde::Serialize;
use trellis_core::Moment;
use trellis_store::{Profile, default_profile_dir};

pub struct Context {
    pub profile_dir: PathBuf,
    pub json: bool,
    /// A network mode for this run only.
    pub network: Option<trellis_net::NetworkMode>,
}

impl Context {
    pub fn new(
        profile: Option<PathBuf>,
        json: bool,
        network: Option<trellis_net::NetworkMode>,
    ) -> Result<Self> {
        let profile_dir = match profile {
            Some(dir) => dir,
            None => default_profile_dir()
                .context("cannot find a home for the profile; pass --profile DIR")?,
        };
        Ok(Self {
            profile_dir,
            json,
            network,
        })
    }

    /// Opens the profile to change it.
    pub fn open(&self) -> Result<Profile> {
        Ok(told_of_set_aside(Profile::open(&self.profile_dir)?))
    }

    /// Opens the profile to read it, even while the app or `trellis serve` runs on it.
    pub fn read(&self) -> Result<Profile> {
        Ok(told_of_set_aside(Profile::open_for_reading(
            &self.profile_dir,
        )?))
    }

    /// Prints `value` as JSON with --json, otherwise the human text.
    pub fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) -> Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            let text = human();
            if !text.is_empty() {
                println!("{}", text.trim_end());
            }
        }
        Ok(())
    }
}

/// Says so, once, when opening set aside stored changes that would not apply.
fn told_of_set_aside(profile: Profile) -> Profile {
    let n = profile.set_aside_at_open().len();
    if n > 0 {
        eprintln!(
            "note: {} in {} would not apply, so {} set aside (kept in the file, not shown); \
             everything else is here. `trellis verify` lists {}.",
            trellis_core::words::count(n, "stored change", "stored changes"),
            profile.paths().document_db().display(),
            if n == 1 { "it was" } else { "they were" },
            if n == 1 { "it" } else { "them" },
        );
    }
    profile
}

/// Now, on this device's clock and in its time zone.
pub fn now() -> Moment {
    trellis_store::LocalZone::now()
}
