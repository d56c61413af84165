//! Records the partner writes in their own space, every field and value of the fuzzer's
//! choosing; then everything that reads the document (view, status, history, export).
#![no_main]

use std::sync::Mutex;

use trellis_hostile::targets::Victim;

static VICTIM: Mutex<Option<Victim>> = Mutex::new(None);

libfuzzer_sys::fuzz_target!(
    init: trellis_hostile::targets::count_contained_panics(),
    |data: &[u8]| {
        let mut guard = VICTIM.lock().unwrap_or_else(|e| e.into_inner());
        let victim = guard.get_or_insert_with(|| Victim::new().expect("the scene builds"));
        victim.records(data);
    }
);
