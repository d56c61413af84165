//! Opening a profile whose couple.redb was damaged: it opens whole, or the error names
//! the file.
#![no_main]

use std::sync::Mutex;

use trellis_hostile::targets::DamagedStore;

static STORE: Mutex<Option<DamagedStore>> = Mutex::new(None);

libfuzzer_sys::fuzz_target!(
    init: trellis_hostile::targets::count_contained_panics(),
    |data: &[u8]| {
        let mut guard = STORE.lock().unwrap_or_else(|e| e.into_inner());
        let store = guard.get_or_insert_with(|| DamagedStore::new().expect("the scene builds"));
        store.open(data);
    }
);
