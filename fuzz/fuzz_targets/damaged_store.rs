//! Opening a profile whose couple.redb was damaged: it opens whole, or the error names
//! the file.
#![no_main]

use std::sync::Mutex;

use trellis_hostile::targets::{DamagedStore, count_contained_panics, with_state};

static STATE: Mutex<Option<DamagedStore>> = Mutex::new(None);

libfuzzer_sys::fuzz_target!(init: count_contained_panics(), |data: &[u8]| {
    with_state(&STATE, DamagedStore::new, |s| {
        s.open(data);
    })
});
