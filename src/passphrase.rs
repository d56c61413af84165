//! Passphrases at the command line: from a file for scripts, or typed at the terminal
//! without echo.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use zeroize::Zeroizing;

/// The first line of `path`, without its line ending.
pub fn from_file(path: &Path) -> Result<Zeroizing<String>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("could not read the passphrase file {}", path.display()))?,
    );
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        bail!(
            "the passphrase file {} is empty: its first line should be the passphrase",
            path.display()
        );
    }
    Ok(Zeroizing::new(line.to_string()))
}

/// Asks at the terminal; `None` when there is no terminal to ask at (a script).
pub fn ask(prompt: &str) -> Result<Option<Zeroizing<String>>> {
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let words = rpassword::prompt_password(prompt).context("could not read the passphrase")?;
    Ok(Some(Zeroizing::new(words)))
}

/// Asks for a new passphrase twice, until both match and it is long enough. `None` when
/// there is no terminal, or the person pressed Enter to choose none (`allow_none`).
pub fn ask_new(allow_none: bool) -> Result<Option<Zeroizing<String>>> {
    loop {
        let prompt = if allow_none {
            "Choose a passphrase to lock this profile (Enter for none): "
        } else {
            "New passphrase: "
        };
        let Some(first) = ask(prompt)? else {
            return Ok(None);
        };
        if first.is_empty() && allow_none {
            return Ok(None);
        }
        if let Some(problem) = trellis_store::vault::passphrase_problem(&first) {
            eprintln!("{problem}.");
            continue;
        }
        let Some(again) = ask("The same passphrase again: ")? else {
            return Ok(None);
        };
        if *again != *first {
            eprintln!("The two did not match; once more.");
            continue;
        }
        return Ok(Some(first));
    }
}
