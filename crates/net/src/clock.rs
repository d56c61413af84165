//! The device's clock, for the node (the core never reads one itself).

use trellis_core::Moment;

/// Now, at the offset in force now on this device: read afresh each time, so a laptop that
/// travels or crosses a daylight-saving change while the app runs keeps the right day.
pub(crate) fn now() -> Moment {
    trellis_store::LocalZone::now()
}
