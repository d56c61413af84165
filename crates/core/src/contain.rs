//! Panics contained: automerge and autosurgeon assert on input they consider impossible,
//! and some of that input arrives from the partner. Every call that consumes untrusted
//! bytes runs through [`contained`], so a panic becomes a refusal instead of a crash.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`; a panic inside it becomes `Err` naming `what` was being done.
///
/// The caller must treat whatever `f` touched as unusable after an `Err` (the document is
/// reloaded from the store; nothing half-done is kept).
pub(crate) fn contained<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no detail".into());
        format!("the document engine failed while {what} ({detail})")
    })
}
