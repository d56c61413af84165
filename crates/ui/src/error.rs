//! The window's errors, each said in one line.

use thiserror::Error;

/// What can stop the window or the demo.
#[derive(Debug, Error)]
pub enum UiError {
    /// There is no screen to draw on.
    #[error(
        "Trellis cannot open its window here: {0}. Everything also works from the command line: run `trellis --help`."
    )]
    NoDisplay(String),
    /// The window system or the renderer refused.
    #[error(
        "Trellis could not open its window: {0}. Everything also works from the command line: run `trellis --help`."
    )]
    Window(String),
    /// The profile could not be created or opened.
    #[error("{0}")]
    Store(Box<trellis_store::StoreError>),
    /// The node could not start or did not answer.
    #[error("{0}")]
    Net(Box<trellis_net::NetError>),
    /// A step of the demo did not work.
    #[error("the demo could not be prepared: {0}")]
    Demo(String),
}

impl From<trellis_store::StoreError> for UiError {
    fn from(e: trellis_store::StoreError) -> Self {
        UiError::Store(Box::new(e))
    }
}

impl From<trellis_net::NetError> for UiError {
    fn from(e: trellis_net::NetError) -> Self {
        UiError::Net(Box::new(e))
    }
}

/// One line, whatever the underlying library printed.
pub(crate) fn one_line(text: impl std::fmt::Display) -> String {
    text.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A sentence from an error: capital first letter, full stop at the end.
pub(crate) fn capital(sentence: &str) -> String {
    let mut s = trellis_core::words::capitalized(sentence);
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// A failed command in the window's words: the library says what happened; where the
/// remedy is a place in the window, this names it (never a command-line flag).
pub(crate) fn failure_words(failure: &trellis_net::Failure) -> String {
    use trellis_core::CoreError;
    use trellis_net::NetError;
    use trellis_store::StoreError;
    const PAIR: &str =
        "Open Pairing to invite your partner, or join with the code from their device.";
    let remedy = match failure.error() {
        NetError::NetworkOff => Some(
            "Choose how to connect in Settings → Network; it takes effect when Trellis starts next.",
        ),
        NetError::NotPaired | NetError::Store(StoreError::NoCouple) => Some(PAIR),
        NetError::Refused { .. } => Some(
            "If your partner's identity moved to a new computer, they can invite this one again from Settings → “If this computer is lost”.",
        ),
        NetError::Store(StoreError::MissingSignature(_)) => {
            Some("Settings → “Verify every signature again” lists what is missing.")
        }
        NetError::Core(c) | NetError::Store(StoreError::Core(c)) => match c {
            CoreError::Unsettled { .. } => Some(
                "Open the agreement: its versions are side by side, and you choose the wording you settle on together.",
            ),
            CoreError::NoCouple => Some(PAIR),
            _ => None,
        },
        _ => None,
    };
    // A sentence of its own in the window, then where to go.
    let what = capital(&one_line(failure));
    match remedy {
        Some(remedy) => format!("{what} {remedy}"),
        None => what,
    }
}
