//! The small closed vocabularies of the practice, stored as plain strings.
//!
//! An unknown word (written by a newer Trellis) is kept as `Unknown` rather than failing,
//! so an older copy still shows the rest of the record.

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler, reconcile::NoKey};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal, $label:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(into = "String")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A word this version does not know.
            Unknown(String),
        }

        impl $name {
            /// Every known value, in the order people see them.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stored and typed form ("transparency").
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Unknown(s) => s,
                }
            }

            /// The form shown to people ("Transparency & privacy").
            pub fn label(&self) -> &str {
                match self {
                    $($name::$variant => $label,)*
                    $name::Unknown(s) => s,
                }
            }

            /// Parses the stored form; anything else becomes `Unknown`.
            pub fn from_stored(text: &str) -> Self {
                match text {
                    $($text => $name::$variant,)*
                    other => $name::Unknown(other.to_string()),
                }
            }

            /// Parses what a person typed; `None` if it names no known value.
            pub fn parse(text: &str) -> Option<Self> {
                let wanted = text.trim().to_ascii_lowercase().replace(['_', ' '], "-");
                Self::ALL.iter().find(|v| v.as_str() == wanted).cloned()
            }

            /// The accepted spellings, for error messages and help.
            pub fn choices() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_string()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl Reconcile for $name {
            type Key<'a> = NoKey;
            fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(self.as_str())
            }
        }

        impl Hydrate for $name {
            fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
                Ok(Self::from_stored(s))
            }
        }
    };
}

string_enum! {
    /// What an agreement is about.
    Category {
        Communication = "communication", "Communication";
        Transparency = "transparency", "Transparency & privacy";
        TimeAndSpace = "time-and-space", "Time & space";
        DigitalLife = "digital-life", "Digital life";
        Money = "money", "Money";
        Intimacy = "intimacy", "Intimacy";
        #[default]
        Other = "other", "Other";
    }
}

string_enum! {
    /// What I need from my partner after a check-in.
    Need {
        Reassurance = "reassurance", "Reassurance";
        Support = "support", "Support";
        Space = "space", "Space";
        #[default]
        NothingRightNow = "nothing", "Nothing right now";
    }
}

string_enum! {
    /// Whether I want my partner to listen or to advise.
    ResponseMode {
        #[default]
        Listen = "listen", "Just listen";
        Advise = "advise", "Advice is welcome";
    }
}

string_enum! {
    /// How often a commitment is meant to be kept.
    Cadence {
        Daily = "daily", "Daily";
        Weekly = "weekly", "Weekly";
        Fortnightly = "fortnightly", "Every two weeks";
        Monthly = "monthly", "Monthly";
        #[default]
        Ongoing = "ongoing", "Ongoing";
    }
}

string_enum! {
    /// How a commitment went, in its owner's own report.
    Outcome {
        #[default]
        Kept = "kept", "Kept";
        Partly = "partly", "Partly kept";
        Missed = "missed", "Missed";
    }
}

impl Cadence {
    /// Days between expected follow-through reports, if the cadence has a rhythm.
    pub fn days(&self) -> Option<i64> {
        match self {
            Cadence::Daily => Some(1),
            Cadence::Weekly => Some(7),
            Cadence::Fortnightly => Some(14),
            Cadence::Monthly => Some(30),
            Cadence::Ongoing | Cadence::Unknown(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_parse_leniently_and_unknowns_survive() {
        assert_eq!(
            Category::parse("Time and space"),
            Some(Category::TimeAndSpace)
        );
        assert_eq!(Category::parse("time"), None);
        assert_eq!(
            Category::parse("time_and_space"),
            Some(Category::TimeAndSpace)
        );
        assert_eq!(
            Category::parse(" Transparency "),
            Some(Category::Transparency)
        );
        assert_eq!(
            Category::from_stored("astrology"),
            Category::Unknown("astrology".into())
        );
        assert_eq!(Category::Transparency.label(), "Transparency & privacy");
        assert!(Need::choices().contains("reassurance"));
    }
}
