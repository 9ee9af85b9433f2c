//! One module per subcommand.

pub mod audit;
pub mod catalog;
pub mod explain;
pub mod netcheck;

use crate::cli::{Cli, Command};
use anyhow::Result;

/// Runs a parsed command; returns the exit code.
pub fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Audit(args) => audit::run(&args),
        Command::Checks(args) => catalog::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Netcheck(args) => netcheck::run(&args),
    }
}
