//! A sync message from the partner's device (heads, needs, Bloom filters), taken in and
//! answered by the victim's document.
#![no_main]

use std::sync::Mutex;

use trellis_hostile::targets::Victim;

static VICTIM: Mutex<Option<Victim>> = Mutex::new(None);

libfuzzer_sys::fuzz_target!(
    init: trellis_hostile::targets::count_contained_panics(),
    |data: &[u8]| {
        let mut guard = VICTIM.lock().unwrap_or_else(|e| e.into_inner());
        let victim = guard.get_or_insert_with(|| Victim::new().expect("the scene builds"));
        victim.sync_message(data);
    }
);
