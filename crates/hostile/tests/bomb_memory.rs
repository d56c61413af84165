//! A decompression bomb in a bundle anyone could hand over: refused before anything is
//! inflated, with the process's peak memory bounded. (Its own test binary, so the peak is
//! this test's alone.)
#![allow(clippy::unwrap_used)] // tests: a failed step should panic loudly

use trellis_hostile::attacks;
use trellis_hostile::forge::Forge;
use trellis_hostile::scene::{at, scene};

/// The process's peak resident memory so far, in KiB (Linux).
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_bomb_that_inflates_to_a_gigabyte_is_refused_within_a_few_megabytes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = scene(tmp.path()).unwrap();
    let f = Forge::of(&mut s.alex).unwrap();
    let bomb = attacks::compressed_bomb(1024 * 1024 * 1024);
    let signature = f.sign(attacks::honest(&f).unwrap()).signature;
    // Several bombs in one bundle, as a single 4 MiB file could hold.
    let changes: Vec<_> = (0..3)
        .map(|_| trellis_core::SignedChange {
            bytes: bomb.clone(),
            signature,
        })
        .collect();
    let bundle = attacks::bundle(&f, changes);
    let before = peak_kib();
    let err = s.sam().import_bundle(&bundle, at(30)).expect_err("a bomb");
    assert!(err.to_string().contains("compressed"), "{err}");
    if let (Some(before), Some(after)) = (before, peak_kib()) {
        let grew_mib = (after.saturating_sub(before)) / 1024;
        eprintln!(
            "peak memory grew by {grew_mib} MiB (bundle of {} bytes)",
            bundle.len()
        );
        assert!(grew_mib < 64, "peak memory grew by {grew_mib} MiB");
    }
}
