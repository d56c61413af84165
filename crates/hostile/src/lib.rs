//! trellis-hostile: what a hostile partner and a damaged disk can do, for tests and fuzzing.
//!
//! The partner is the adversary that matters: they can sign anything. [`forge`] crafts
//! automerge changes by hand (any actor, seq, counter, dependency, operation) and signs
//! them with the partner's real key; [`attacks`] names the ones found so far; [`scene`]
//! builds the couple they are tried on; [`targets`] are the fuzz targets (libFuzzer under
//! `fuzz/`, and a seeded short run in `cargo test`).

pub mod attacks;
pub mod forge;
pub mod records;
pub mod scene;
pub mod targets;
