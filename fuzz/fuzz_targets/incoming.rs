//! The whole incoming path, as the partner: a valid change mutated (or raw bytes as a
//! change's body), re-signed with the partner's real key, then verify → apply → store,
//! with the victim's profile reopened every 16 accepted changes.
#![no_main]

use std::sync::Mutex;

use trellis_hostile::targets::{Victim, count_contained_panics, with_state};

static STATE: Mutex<Option<Victim>> = Mutex::new(None);

libfuzzer_sys::fuzz_target!(init: count_contained_panics(), |data: &[u8]| {
    with_state(&STATE, Victim::new, |s| {
        s.incoming(data);
    })
});
