//! A bundle file from anyone.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trellis_hostile::targets::bundle(data));
