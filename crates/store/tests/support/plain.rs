//! Writing a profile back the way Trellis wrote it before files were sealed: the same
//! tables, the values as they are, the keys in hex, no `vault.json`. Migration is tested
//! against this.

use std::fs;
use std::path::Path;

use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use trellis_store::{Profile, ProfilePaths};

/// The tables of the couple's store, as (name when sealed, name when plain).
const BY_NAME: [(&str, &str); 4] = [
    ("meta", "meta"),
    ("snapshot", "snapshot"),
    ("sync_state", "sync_state"),
    ("settings_sealed", "settings"),
];
const NUMBERED: [&str; 2] = ["log", "quarantine"];

pub fn downgrade(dir: &Path) {
    let paths = ProfilePaths::new(dir);
    let profile = Profile::open(dir).unwrap();
    let vault = profile.vault().clone();
    let seed = profile.identity().to_bytes();
    let device = profile.device_secret();
    drop(profile);
    let sealer = vault.profile_sealer();
    let open =
        |place: String, sealed: &[u8]| sealer.open(place.as_bytes(), sealed).unwrap().to_vec();

    let sealed = redb::Database::open(paths.document_db()).unwrap();
    let plain_path = dir.join("plain.redb");
    let plain = redb::Database::create(&plain_path).unwrap();
    let read = sealed.begin_read().unwrap();
    let write = plain.begin_write().unwrap();
    for (from, to) in BY_NAME {
        let src: TableDefinition<&str, &[u8]> = TableDefinition::new(from);
        let Ok(t) = read.open_table(src) else {
            continue;
        };
        for row in t.iter().unwrap() {
            let (k, v) = row.unwrap();
            let value = open(format!("couple.redb/{from}/{}", k.value()), v.value());
            if to == "settings" {
                let dst: TableDefinition<&str, &str> = TableDefinition::new(to);
                let text = String::from_utf8(value).unwrap();
                write
                    .open_table(dst)
                    .unwrap()
                    .insert(k.value(), text.as_str())
                    .unwrap();
            } else {
                let dst: TableDefinition<&str, &[u8]> = TableDefinition::new(to);
                write
                    .open_table(dst)
                    .unwrap()
                    .insert(k.value(), value.as_slice())
                    .unwrap();
            }
        }
    }
    for name in NUMBERED {
        let def: TableDefinition<u64, &[u8]> = TableDefinition::new(name);
        let Ok(t) = read.open_table(def) else {
            continue;
        };
        for row in t.iter().unwrap() {
            let (k, v) = row.unwrap();
            let mut place = format!("couple.redb/{name}/").into_bytes();
            place.extend_from_slice(&k.value().to_be_bytes());
            let value = sealer.open(&place, v.value()).unwrap();
            write
                .open_table(def)
                .unwrap()
                .insert(k.value(), value.as_slice())
                .unwrap();
        }
    }
    let sigs: TableDefinition<&[u8], &[u8]> = TableDefinition::new("signatures");
    if let Ok(t) = read.open_table(sigs) {
        for row in t.iter().unwrap() {
            let (k, v) = row.unwrap();
            let mut place = b"couple.redb/signatures/".to_vec();
            place.extend_from_slice(k.value());
            let value = sealer.open(&place, v.value()).unwrap();
            write
                .open_table(sigs)
                .unwrap()
                .insert(k.value(), value.as_slice())
                .unwrap();
        }
    }
    write.commit().unwrap();
    drop(read);
    drop(sealed);
    drop(plain);
    fs::rename(&plain_path, paths.document_db()).unwrap();

    if paths.private_db().exists() {
        let journal = vault.journal_sealer();
        let sealed = redb::Database::open(paths.private_db()).unwrap();
        let plain_path = dir.join("plain-private.redb");
        let plain = redb::Database::create(&plain_path).unwrap();
        let read = sealed.begin_read().unwrap();
        let write = plain.begin_write().unwrap();
        for (from, to) in [
            ("journal_sealed", "journal"),
            ("triggers_sealed", "triggers"),
        ] {
            let src: TableDefinition<&str, &[u8]> = TableDefinition::new(from);
            let dst: TableDefinition<&str, &str> = TableDefinition::new(to);
            let mut out = write.open_table(dst).unwrap();
            let Ok(t) = read.open_table(src) else {
                continue;
            };
            for row in t.iter().unwrap() {
                let (k, v) = row.unwrap();
                let place = format!("private.redb/{from}/{}", k.value());
                let json = journal.open(place.as_bytes(), v.value()).unwrap();
                out.insert(k.value(), std::str::from_utf8(&json).unwrap())
                    .unwrap();
            }
        }
        write.commit().unwrap();
        drop(read);
        drop(sealed);
        drop(plain);
        fs::rename(&plain_path, paths.private_db()).unwrap();
    }

    if let Some(drafts) = vault.read_file(&paths.window_drafts()).unwrap() {
        fs::write(paths.window_drafts(), drafts.as_slice()).unwrap();
    }
    for (file, key) in [(paths.identity_key(), seed), (paths.device_key(), device)] {
        fs::write(
            file,
            format!("trellis-secret-key-v1 {}\n", hex::encode(key)),
        )
        .unwrap();
    }
    fs::remove_file(paths.vault()).unwrap();
}
