//! One file per screen.

pub(crate) mod agreements;
pub(crate) mod appreciations;
pub(crate) mod backup;
pub(crate) mod checkins;
pub(crate) mod conflict;
pub(crate) mod history;
pub(crate) mod journal;
pub(crate) mod lock;
pub(crate) mod pairing;
pub(crate) mod progress;
pub(crate) mod recovery;
pub(crate) mod repair;
pub(crate) mod revise;
pub(crate) mod safety;
pub(crate) mod settings;
pub(crate) mod shell;
pub(crate) mod status;
pub(crate) mod timeout;
pub(crate) mod today;
pub(crate) mod welcome;

/// The screens of the practice, in the order of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Today,
    Agreements,
    CheckIns,
    Repair,
    Appreciations,
    Journal,
    Progress,
    History,
    Settings,
}

impl Screen {
    pub const ALL: [Screen; 9] = [
        Screen::Today,
        Screen::Agreements,
        Screen::CheckIns,
        Screen::Repair,
        Screen::Appreciations,
        Screen::Journal,
        Screen::Progress,
        Screen::History,
        Screen::Settings,
    ];

    /// The navigation label.
    pub fn label(&self) -> &'static str {
        match self {
            Screen::Today => "Today",
            Screen::Agreements => "Agreements",
            Screen::CheckIns => "Check-ins",
            Screen::Repair => "Repair",
            Screen::Appreciations => "Appreciations",
            Screen::Journal => "Journal & triggers",
            Screen::Progress => "Progress",
            Screen::History => "History",
            Screen::Settings => "Settings",
        }
    }

    /// Alt+1 … Alt+9.
    pub(crate) fn key(&self) -> egui::Key {
        use egui::Key::*;
        match self {
            Screen::Today => Num1,
            Screen::Agreements => Num2,
            Screen::CheckIns => Num3,
            Screen::Repair => Num4,
            Screen::Appreciations => Num5,
            Screen::Journal => Num6,
            Screen::Progress => Num7,
            Screen::History => Num8,
            Screen::Settings => Num9,
        }
    }
}
