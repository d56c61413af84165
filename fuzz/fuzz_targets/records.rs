//! Records the partner writes in their own space, every field and value of the fuzzer's
//! choosing; then the view and the therapist export.
#![no_main]

use std::sync::Mutex;

use trellis_hostile::targets::Reader;

static READER: Mutex<Option<Reader>> = Mutex::new(None);

libfuzzer_sys::fuzz_target!(
    init: trellis_hostile::targets::count_contained_panics(),
    |data: &[u8]| {
        let mut guard = READER.lock().unwrap_or_else(|e| e.into_inner());
        let victim = guard.get_or_insert_with(|| Reader::new().expect("the scene builds"));
        victim.records(data);
    }
);
