//! A sync message from the partner's device (heads, needs, Bloom filters), taken in and
//! answered by the victim's document.
#![no_main]

use std::sync::Mutex;

use trellis_hostile::targets::{Victim, count_contained_panics, with_state};

static STATE: Mutex<Option<Victim>> = Mutex::new(None);

libfuzzer_sys::fuzz_target!(init: count_contained_panics(), |data: &[u8]| {
    with_state(&STATE, Victim::new, |s| {
        s.sync_message(data);
    })
});
