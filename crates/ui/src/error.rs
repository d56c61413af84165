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
