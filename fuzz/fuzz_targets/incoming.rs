//! The whole incoming path, as the partner: a valid change mutated (or raw bytes as a
//! change's body), re-signed with the partner's real key, then verify → apply → store,
//! with the victim's profile reopened every 16 accepted changes.
#![no_main]

use std::sync::Mutex;

use trellis_hostile::targets::Victim;

static VICTIM: Mutex<Option<Victim>> = Mutex::new(None);

libfuzzer_sys::fuzz_target!(
    init: trellis_hostile::targets::count_contained_panics(),
    |data: &[u8]| {
        let mut guard = VICTIM.lock().unwrap_or_else(|e| e.into_inner());
        let victim = guard.get_or_insert_with(|| Victim::new().expect("the scene builds"));
        victim.incoming(data);
    }
);
