//! A calm palette, readable type and generous spacing, light and dark.

use egui::{Color32, CornerRadius, FontFamily, FontId, Stroke, TextStyle, Theme, ThemePreference};

/// Colours a screen uses beyond egui's own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Palette {
    pub accent: Color32,
    pub accent_soft: Color32,
    pub card: Color32,
    pub card_stroke: Color32,
    pub muted: Color32,
    pub warm: Color32,
    pub warm_soft: Color32,
    pub calm_blue: Color32,
    pub retired: Color32,
    pub problem: Color32,
    pub problem_soft: Color32,
    pub private_soft: Color32,
    pub me: Color32,
    pub partner: Color32,
}

pub(crate) fn palette(ui: &egui::Ui) -> Palette {
    let contrast = looks(ui.ctx()).high_contrast;
    match (ui.visuals().dark_mode, contrast) {
        (false, false) => LIGHT,
        (true, false) => DARK,
        (false, true) => LIGHT_HIGH,
        (true, true) => DARK_HIGH,
    }
}

/// The person's reading choices, kept with the window's local drafts (never synced).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Looks {
    /// Every text size is multiplied by this.
    pub scale: f32,
    pub high_contrast: bool,
}

impl Default for Looks {
    fn default() -> Self {
        Self {
            scale: 1.0,
            high_contrast: false,
        }
    }
}

/// The text sizes offered in Settings: (stored value, label, scale).
pub(crate) const TEXT_SIZES: [(&str, &str, f32); 4] = [
    ("small", "Small", 0.87),
    ("normal", "Normal", 1.0),
    ("large", "Large", 1.2),
    ("larger", "Larger", 1.45),
];

impl Looks {
    pub(crate) fn from_drafts(text_size: &str, high_contrast: bool) -> Self {
        let scale = TEXT_SIZES
            .iter()
            .find(|(value, _, _)| *value == text_size)
            .map_or(1.0, |(_, _, scale)| *scale);
        Self {
            scale,
            high_contrast,
        }
    }
}

fn looks_id() -> egui::Id {
    egui::Id::unique("trellis-looks")
}

/// The reading choices in force.
pub(crate) fn looks(ctx: &egui::Context) -> Looks {
    ctx.data(|d| d.get_temp::<Looks>(looks_id()))
        .unwrap_or_default()
}

/// A text size in points, at the person's chosen text size.
pub(crate) fn pt(ui: &egui::Ui, points: f32) -> f32 {
    points * looks(ui.ctx()).scale
}

/// High contrast, light: black on white, strong borders, deeper accents.
const LIGHT_HIGH: Palette = Palette {
    accent: Color32::from_rgb(0x0b, 0x4a, 0x2c),
    accent_soft: Color32::from_rgb(0xd4, 0xf0, 0xdc),
    card: Color32::WHITE,
    card_stroke: Color32::BLACK,
    muted: Color32::from_rgb(0x2b, 0x2b, 0x2b),
    warm: Color32::from_rgb(0x6b, 0x30, 0x00),
    warm_soft: Color32::from_rgb(0xff, 0xe6, 0xc7),
    calm_blue: Color32::from_rgb(0x00, 0x2f, 0x6c),
    retired: Color32::from_rgb(0x40, 0x40, 0x40),
    problem: Color32::from_rgb(0x8b, 0x00, 0x00),
    problem_soft: Color32::from_rgb(0xff, 0xdd, 0xdd),
    private_soft: Color32::from_rgb(0xe6, 0xdd, 0xff),
    me: Color32::from_rgb(0x0b, 0x4a, 0x2c),
    partner: Color32::from_rgb(0x7a, 0x30, 0x00),
};

/// High contrast, dark: white on black, strong borders, bright accents.
const DARK_HIGH: Palette = Palette {
    accent: Color32::from_rgb(0x9d, 0xff, 0xc8),
    accent_soft: Color32::from_rgb(0x0d, 0x33, 0x1e),
    card: Color32::BLACK,
    card_stroke: Color32::WHITE,
    muted: Color32::from_rgb(0xe0, 0xe0, 0xe0),
    warm: Color32::from_rgb(0xff, 0xc4, 0x8a),
    warm_soft: Color32::from_rgb(0x3d, 0x22, 0x00),
    calm_blue: Color32::from_rgb(0xb5, 0xd6, 0xff),
    retired: Color32::from_rgb(0xc8, 0xc8, 0xc8),
    problem: Color32::from_rgb(0xff, 0xb3, 0xab),
    problem_soft: Color32::from_rgb(0x40, 0x00, 0x00),
    private_soft: Color32::from_rgb(0x26, 0x1a, 0x40),
    me: Color32::from_rgb(0x9d, 0xff, 0xc8),
    partner: Color32::from_rgb(0xff, 0xc4, 0x8a),
};

const LIGHT: Palette = Palette {
    accent: Color32::from_rgb(0x3f, 0x6e, 0x58),
    accent_soft: Color32::from_rgb(0xdd, 0xeb, 0xe1),
    card: Color32::from_rgb(0xff, 0xfd, 0xf9),
    card_stroke: Color32::from_rgb(0xe4, 0xdd, 0xd1),
    muted: Color32::from_rgb(0x6b, 0x66, 0x5e),
    warm: Color32::from_rgb(0x9a, 0x5b, 0x2a),
    warm_soft: Color32::from_rgb(0xf6, 0xe7, 0xd6),
    calm_blue: Color32::from_rgb(0x3e, 0x5f, 0x86),
    retired: Color32::from_rgb(0x8a, 0x86, 0x80),
    problem: Color32::from_rgb(0x9b, 0x3b, 0x36),
    problem_soft: Color32::from_rgb(0xf7, 0xe0, 0xdc),
    private_soft: Color32::from_rgb(0xea, 0xe5, 0xf3),
    me: Color32::from_rgb(0x3f, 0x6e, 0x58),
    partner: Color32::from_rgb(0xb0, 0x6a, 0x3b),
};

const DARK: Palette = Palette {
    accent: Color32::from_rgb(0x8f, 0xc4, 0xa6),
    accent_soft: Color32::from_rgb(0x2a, 0x3d, 0x33),
    card: Color32::from_rgb(0x2a, 0x2c, 0x2b),
    card_stroke: Color32::from_rgb(0x3b, 0x3e, 0x3c),
    muted: Color32::from_rgb(0xa9, 0xa5, 0x9d),
    warm: Color32::from_rgb(0xe3, 0xa8, 0x73),
    warm_soft: Color32::from_rgb(0x45, 0x35, 0x28),
    calm_blue: Color32::from_rgb(0x9d, 0xb9, 0xdc),
    retired: Color32::from_rgb(0x8f, 0x8b, 0x86),
    problem: Color32::from_rgb(0xf0, 0x9a, 0x8f),
    problem_soft: Color32::from_rgb(0x4a, 0x2c, 0x29),
    private_soft: Color32::from_rgb(0x34, 0x31, 0x40),
    me: Color32::from_rgb(0x8f, 0xc4, 0xa6),
    partner: Color32::from_rgb(0xe3, 0xa8, 0x73),
};

/// The person's choice, as stored with the drafts.
pub(crate) fn preference(stored: &str) -> ThemePreference {
    match stored {
        "light" => ThemePreference::Light,
        "dark" => ThemePreference::Dark,
        _ => ThemePreference::System,
    }
}

/// Sets fonts, spacing and both palettes, at the person's text size and contrast (again
/// whenever they change them).
pub(crate) fn install(ctx: &egui::Context, looks: Looks) {
    ctx.data_mut(|d| d.insert_temp(looks_id(), looks));
    // After egui's own fonts, so letters keep their look and only what they lack is taken
    // from here (added once; a second call changes nothing).
    ctx.add_font(egui::epaint::text::FontInsert::new(
        "trellis-noto-emoji",
        egui::FontData::from_static(crate::assets::EMOJI_FONT),
        [FontFamily::Proportional, FontFamily::Monospace]
            .into_iter()
            .map(|family| egui::epaint::text::InsertFontFamily {
                family,
                priority: egui::epaint::text::FontPriority::Lowest,
            })
            .collect(),
    ));
    let k = looks.scale;
    ctx.all_styles_mut(|style| {
        style.text_styles = [
            (
                TextStyle::Heading,
                FontId::new(24.0 * k, FontFamily::Proportional),
            ),
            (
                TextStyle::Body,
                FontId::new(15.5 * k, FontFamily::Proportional),
            ),
            (
                TextStyle::Button,
                FontId::new(15.0 * k, FontFamily::Proportional),
            ),
            (
                TextStyle::Small,
                FontId::new(12.5 * k, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(14.5 * k, FontFamily::Monospace),
            ),
        ]
        .into();
        style.spacing.item_spacing = egui::vec2(10.0, 9.0);
        style.spacing.button_padding = egui::vec2(12.0, 6.0);
        style.spacing.interact_size.y = 28.0 * k.max(1.0);
        style.spacing.text_edit_width = 420.0;
    });
    ctx.style_mut_of(Theme::Light, |style| {
        let v = &mut style.visuals;
        let p = LIGHT;
        v.panel_fill = Color32::from_rgb(0xf6, 0xf2, 0xea);
        v.window_fill = p.card;
        v.extreme_bg_color = Color32::from_rgb(0xff, 0xff, 0xfc);
        v.faint_bg_color = Color32::from_rgb(0xf0, 0xeb, 0xe1);
        v.hyperlink_color = p.calm_blue;
        v.selection.bg_fill = p.accent_soft;
        v.selection.stroke = Stroke::new(1.0, p.accent);
        v.override_text_color = Some(Color32::from_rgb(0x2f, 0x2b, 0x26));
        round(v);
        v.widgets.inactive.weak_bg_fill = Color32::from_rgb(0xec, 0xe6, 0xdb);
        v.widgets.inactive.bg_fill = Color32::from_rgb(0xec, 0xe6, 0xdb);
        v.widgets.hovered.weak_bg_fill = Color32::from_rgb(0xe2, 0xec, 0xe4);
        v.widgets.hovered.bg_fill = Color32::from_rgb(0xe2, 0xec, 0xe4);
        v.widgets.active.weak_bg_fill = p.accent_soft;
        // Fields must stand out from the cards they sit on.
        v.extreme_bg_color = Color32::from_rgb(0xfb, 0xf9, 0xf5);
        v.widgets.inactive.bg_stroke = Stroke::new(1.0, Color32::from_rgb(0xd6, 0xcd, 0xbf));
        v.widgets.noninteractive.bg_stroke = Stroke::new(1.0, p.card_stroke);
    });
    ctx.style_mut_of(Theme::Dark, |style| {
        let v = &mut style.visuals;
        let p = DARK;
        v.panel_fill = Color32::from_rgb(0x1f, 0x21, 0x20);
        v.window_fill = p.card;
        v.extreme_bg_color = Color32::from_rgb(0x18, 0x1a, 0x19);
        v.faint_bg_color = Color32::from_rgb(0x26, 0x28, 0x27);
        v.hyperlink_color = p.calm_blue;
        v.selection.bg_fill = p.accent_soft;
        v.selection.stroke = Stroke::new(1.0, p.accent);
        v.override_text_color = Some(Color32::from_rgb(0xe8, 0xe4, 0xdc));
        round(v);
    });
    if looks.high_contrast {
        ctx.style_mut_of(Theme::Light, |style| {
            high_contrast(&mut style.visuals, LIGHT_HIGH)
        });
        ctx.style_mut_of(Theme::Dark, |style| {
            high_contrast(&mut style.visuals, DARK_HIGH)
        });
    }
}

/// Text at full strength on a plain ground, every control outlined.
fn high_contrast(v: &mut egui::Visuals, p: Palette) {
    let (ground, ink) = if v.dark_mode {
        (Color32::BLACK, Color32::WHITE)
    } else {
        (Color32::WHITE, Color32::BLACK)
    };
    v.panel_fill = ground;
    v.window_fill = ground;
    v.extreme_bg_color = ground;
    v.faint_bg_color = p.accent_soft;
    v.override_text_color = Some(ink);
    v.hyperlink_color = p.calm_blue;
    v.selection.bg_fill = p.accent_soft;
    v.selection.stroke = Stroke::new(2.0, ink);
    v.window_stroke = Stroke::new(2.0, ink);
    for w in [
        &mut v.widgets.noninteractive,
        &mut v.widgets.inactive,
        &mut v.widgets.hovered,
        &mut v.widgets.active,
        &mut v.widgets.open,
    ] {
        w.fg_stroke = Stroke::new(1.5, ink);
        w.bg_stroke = Stroke::new(1.5, ink);
    }
    v.widgets.inactive.bg_fill = ground;
    v.widgets.inactive.weak_bg_fill = ground;
    v.widgets.hovered.bg_fill = p.accent_soft;
    v.widgets.hovered.weak_bg_fill = p.accent_soft;
    v.widgets.active.bg_fill = p.accent_soft;
    v.widgets.active.weak_bg_fill = p.accent_soft;
    v.widgets.hovered.bg_stroke = Stroke::new(2.5, ink);
}

fn round(v: &mut egui::Visuals) {
    let r = CornerRadius::same(8);
    v.window_corner_radius = CornerRadius::same(12);
    v.menu_corner_radius = r;
    v.widgets.noninteractive.corner_radius = r;
    v.widgets.inactive.corner_radius = r;
    v.widgets.hovered.corner_radius = r;
    v.widgets.active.corner_radius = r;
    v.widgets.open.corner_radius = r;
}
