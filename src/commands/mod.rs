//! One module per subcommand.

pub mod audit;
pub mod catalog;
pub mod collect;
pub mod completions;
pub mod diagnose;
pub mod diff;
pub mod explain;
pub mod failures;
pub mod logout;
pub mod merge;
pub mod netcheck;
pub mod permissions;

use crate::cli::{Cli, Command};
use anyhow::Result;

/// Runs a parsed command; returns the exit code.
pub fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Audit(args) => audit::run(&args),
        Command::Checks(args) => catalog::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Diagnose(args) => diagnose::run(&args),
        Command::Collect(args) => collect::run(&args),
        Command::Permissions(args) => permissions::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Netcheck(args) => netcheck::run(&args),
        Command::Completions(args) => completions::completions(&args),
        Command::Man => completions::man(),
        Command::Failures(args) => failures::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Logout(args) => logout::run(&args),
    }
}
