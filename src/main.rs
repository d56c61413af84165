//! `trellis`: the one binary. With no subcommand it opens the window (`trellis-ui`);
//! subcommands are the command line (`cli.rs` declares them, `commands/` runs them).

mod cli;
mod commands;
mod context;
mod hints;
mod passphrase;
mod render;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

/// Logs go to standard error: warnings by default, more with `RUST_LOG` (e.g.
/// `RUST_LOG=trellis_net=debug`).
fn init_logs() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", cli::one_line_error(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    init_logs();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: what happened (the library's words), then what to do (ours).
            match hints::for_error(&e) {
                Some(hint) => {
                    eprintln!("error: {}. {hint}", format!("{e:#}").trim_end_matches('.'))
                }
                None => eprintln!("error: {e:#}"),
            }
            if e.downcast_ref::<commands::Unreachable>().is_some() {
                ExitCode::from(3)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
