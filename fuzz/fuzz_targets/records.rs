//! Records the partner writes in their own space, every field and value of the fuzzer's
//! choosing; then the view and the therapist export.
#![no_main]

use std::sync::Mutex;

use trellis_hostile::targets::{Reader, count_contained_panics, with_state};

static STATE: Mutex<Option<Reader>> = Mutex::new(None);

libfuzzer_sys::fuzz_target!(init: count_contained_panics(), |data: &[u8]| {
    with_state(&STATE, Reader::new, |s| {
        s.records(data);
    })
});
