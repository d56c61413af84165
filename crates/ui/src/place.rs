//! Where the window was: its size and, where the system tells it, its position — kept with
//! the window's local drafts (this computer only, never synced) and used when it opens.

use serde::{Deserialize, Serialize};

/// The smallest window the screens are laid out for.
pub(crate) const MIN_SIZE: [f32; 2] = [760.0, 540.0];
/// The size of a first window.
pub(crate) const FIRST_SIZE: [f32; 2] = [1120.0, 780.0];

/// The window's inner size and outer position, in the system's logical points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct WindowPlace {
    pub size: [f32; 2],
    /// None where the system does not say (Wayland).
    pub pos: Option<[f32; 2]>,
}

/// The place to remember from what the system reports, at the window's zoom (egui reports
/// rectangles in zoomed points). Nothing while minimised, maximised or full screen: the
/// place to come back to is the last ordinary one.
pub(crate) fn observed(info: &egui::ViewportInfo, zoom: f32) -> Option<WindowPlace> {
    let special = [info.minimized, info.maximized, info.fullscreen]
        .into_iter()
        .any(|s| s == Some(true));
    if special {
        return None;
    }
    let size = info.inner_rect?.size() * zoom;
    if !(size.x.is_finite() && size.y.is_finite()) || size.x < 100.0 || size.y < 100.0 {
        return None;
    }
    let pos = info
        .outer_rect
        .map(|r| [(r.min.x * zoom).round(), (r.min.y * zoom).round()]);
    Some(WindowPlace {
        size: [size.x.round(), size.y.round()],
        pos,
    })
}

/// The window as it opens: the remembered size (never below the smallest the screens are
/// laid out for, nor absurdly large) and place (never left of or above the screen's origin,
/// so it cannot open out of reach), or the first size.
pub(crate) fn builder(place: Option<WindowPlace>) -> egui::ViewportBuilder {
    let sane = |v: f32, lo: f32, hi: f32| if v.is_finite() { v.clamp(lo, hi) } else { lo };
    let size = place.map_or(FIRST_SIZE, |p| {
        [
            sane(p.size[0], MIN_SIZE[0], 16_000.0),
            sane(p.size[1], MIN_SIZE[1], 16_000.0),
        ]
    });
    let mut b = egui::ViewportBuilder::default()
        .with_inner_size(size)
        .with_min_inner_size(MIN_SIZE);
    if let Some([x, y]) = place.and_then(|p| p.pos) {
        b = b.with_position([sane(x, 0.0, 16_000.0), sane(y, 0.0, 16_000.0)]);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_place_is_reopened_within_reach() {
        let info = egui::ViewportInfo {
            inner_rect: Some(egui::Rect::from_min_size(
                egui::pos2(50.0, 60.0),
                egui::vec2(600.0, 400.0),
            )),
            outer_rect: Some(egui::Rect::from_min_size(
                egui::pos2(40.0, 30.0),
                egui::vec2(620.0, 440.0),
            )),
            ..Default::default()
        };
        // At zoom 1.5 the system's points are 1.5 times egui's.
        let place = observed(&info, 1.5).unwrap();
        assert_eq!(place.size, [900.0, 600.0]);
        assert_eq!(place.pos, Some([60.0, 45.0]));
        let b = builder(Some(place));
        assert_eq!(b.inner_size, Some(egui::vec2(900.0, 600.0)));
        assert_eq!(b.position, Some(egui::pos2(60.0, 45.0)));
        // Too small, or out of reach: brought back.
        let b = builder(Some(WindowPlace {
            size: [200.0, f32::NAN],
            pos: Some([-5000.0, 20.0]),
        }));
        assert_eq!(b.inner_size, Some(egui::vec2(760.0, 540.0)));
        assert_eq!(b.position, Some(egui::pos2(0.0, 20.0)));
        // Maximised: not remembered.
        let max = egui::ViewportInfo {
            maximized: Some(true),
            ..info
        };
        assert_eq!(observed(&max, 1.0), None);
        assert_eq!(builder(None).inner_size, Some(egui::vec2(1120.0, 780.0)));
    }
}
