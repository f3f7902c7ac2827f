//! `labelmint` command line: see `labelmint --help` (the tree is
//! [`labelmint::cmd::Cli`]). Errors print as one `error: …` line and a
//! `hint: …` line, exit code 1; usage errors are clap's (exit code 2).

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};
use labelmint::cmd::Cli;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let path = labelmint::cmd::command_path(&matches);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match labelmint::cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let (message, hint) = labelmint::cmd::describe(&e, &path);
            eprintln!("error: {message}");
            eprintln!("hint: {hint}");
            ExitCode::FAILURE
        }
    }
}
