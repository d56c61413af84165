//! Where a profile lives, and the names of its files.

use std::path::{Path, PathBuf};

use crate::atomic::partial_path;

/// Environment variable that overrides the default profile directory.
pub const PROFILE_ENV: &str = "TRELLIS_PROFILE";

/// The per-user default: e.g. `~/.local/share/trellis` on Linux.
pub fn default_profile_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Trellis", "trellis").map(|d| d.data_dir().to_path_buf())
}

/// The files of one profile directory.
#[derive(Debug, Clone)]
pub struct ProfilePaths {
    pub dir: PathBuf,
}

impl ProfilePaths {
    pub fn new(dir: impl AsRef<Path>) -> Self {
        Self {
            dir: dir.as_ref().to_path_buf(),
        }
    }

    /// The partner identity key that signs every change.
    pub fn identity_key(&self) -> PathBuf {
        self.dir.join("identity.key")
    }

    /// The device key (this device's network identity).
    pub fn device_key(&self) -> PathBuf {
        self.dir.join("device.key")
    }

    /// How the profile's keys are kept (see `vault`): the passphrase's salt, or no lock.
    pub fn vault(&self) -> PathBuf {
        self.dir.join("vault.json")
    }

    /// The shared document: changes, signatures, snapshot, sync state, settings.
    pub fn document_db(&self) -> PathBuf {
        self.dir.join("couple.redb")
    }

    /// The private journal and triggers. Nothing that syncs or exports opens this file.
    pub fn private_db(&self) -> PathBuf {
        self.dir.join("private.redb")
    }

    /// What the window's forms hold before it is saved (unsaved journal words among them).
    pub fn window_drafts(&self) -> PathBuf {
        self.dir.join("window-drafts.json")
    }

    /// Every file Trellis writes in a profile directory, the passing ones included (a draft
    /// being written, a draft that could not be read and was moved aside).
    pub fn written_files(&self) -> Vec<PathBuf> {
        let drafts = self.window_drafts();
        let mut files = vec![
            self.document_db(),
            self.private_db(),
            self.private_db().with_extension("redb.rewrite"),
            drafts.with_extension("json.unreadable"),
            drafts,
            self.device_key(),
            self.vault(),
        ];
        // What an interrupted write or migration leaves beside each file.
        let passing: Vec<PathBuf> = files
            .iter()
            .chain([&self.identity_key()])
            .flat_map(|f| [partial_path(f), sealing_path(f)])
            .collect();
        files.extend(passing);
        // Last: a profile counts as existing while its identity key does.
        files.push(self.identity_key());
        files
    }
}

/// Where a file is rebuilt sealed before it takes the plain one's place (migration).
pub(crate) fn sealing_path(path: &Path) -> PathBuf {
    crate::atomic::beside(path, ".sealing")
}
