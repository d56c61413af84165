//! The texts and the icon that ship with the window (from the repository's `assets/`).

use trellis_core::schema::Category;

const TEMPLATES: &str = include_str!("../../../assets/agreement-templates.txt");
const PROMPTS: &str = include_str!("../../../assets/checkin-prompts.txt");
pub(crate) const ICON_PNG: &[u8] = include_bytes!("../../../assets/icon-256.png");
/// Noto Emoji (monochrome; SIL Open Font License 1.1, `assets/fonts/OFL.txt`): egui draws
/// no colour bitmaps, and its own emoji fonts lack many everyday ones (🌷🫖🌿).
pub(crate) const EMOJI_FONT: &[u8] = include_bytes!("../../../assets/fonts/NotoEmoji-Regular.ttf");

/// An example agreement to start from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pub category: Category,
    pub title: String,
    pub wording: String,
    pub if_crossed: String,
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

pub(crate) fn templates() -> Vec<Template> {
    lines(TEMPLATES)
        .filter_map(|l| {
            let parts: Vec<&str> = l.split('|').map(str::trim).collect();
            match parts.as_slice() {
                [category, title, wording, if_crossed] => Some(Template {
                    category: Category::from_stored(category),
                    title: (*title).to_string(),
                    wording: (*wording).to_string(),
                    if_crossed: (*if_crossed).to_string(),
                }),
                _ => None,
            }
        })
        .collect()
}

/// Today's check-in prompt (one a day, the same all day).
pub(crate) fn prompt_for(day: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let all: Vec<&str> = lines(PROMPTS).collect();
    if all.is_empty() {
        return String::new();
    }
    let i = day.num_days_from_ce().unsigned_abs() as usize % all.len();
    all[i].to_string()
}

/// The window's icon.
pub(crate) fn icon() -> Option<egui::IconData> {
    eframe::icon_data::from_png_bytes(ICON_PNG).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_texts_parse() {
        let t = templates();
        assert!(t.len() >= 5);
        assert!(
            t.iter()
                .all(|t| !matches!(t.category, Category::Unknown(_)))
        );
        assert!(!prompt_for(chrono::NaiveDate::MIN).is_empty());
        assert!(icon().is_some());
    }
}
