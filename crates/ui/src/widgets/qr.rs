//! The invite as a QR code, drawn with egui shapes.

use egui::{Color32, Rect, Sense, Ui, vec2};
use qrcode::{Color, EcLevel, QrCode};

/// Draws `text` as a QR code `size` points wide (with its quiet zone). Nothing is drawn if
/// the text is too long for a QR code; the text itself is always shown beside it.
pub(crate) fn qr_code(ui: &mut Ui, text: &str, size: f32) {
    let Ok(code) = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) else {
        return;
    };
    let modules = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let total = (modules + 2 * quiet) as f32;
    let cell = (size / total).floor().max(1.0);
    let side = cell * total;
    let (rect, response) = ui.allocate_exact_size(vec2(side, side), Sense::hover());
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Image, true, "QR code of the invite code")
    });
    let painter = ui.painter_at(rect);
    // Always dark on white, whatever the theme: that is what cameras read.
    painter.rect_filled(rect, 6.0, Color32::WHITE);
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let x = (i % modules + quiet) as f32;
            let y = (i / modules + quiet) as f32;
            let min = rect.min + vec2(x * cell, y * cell);
            painter.rect_filled(
                Rect::from_min_size(min, vec2(cell, cell)),
                0.0,
                Color32::from_rgb(0x1d, 0x1f, 0x1e),
            );
        }
    }
}
