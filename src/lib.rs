//! intune-audit: the command-line edges (CLI, files, rendering) around the pure checks crate.

pub mod auth;
pub mod cli;
pub mod cli_connect;
pub mod cloud;
pub mod commands;
pub mod config;
pub mod fleet;
pub mod fuzzing;
pub mod graph;
pub mod live;
pub mod netcheck;
pub mod render;
pub mod signin;
pub mod snapshot_io;
pub mod term;
pub mod text;

use std::ffi::OsString;

/// Exit codes (DESIGN.md): 0 nothing at or above --fail-on; 1 findings at or above it;
/// 2 the run could not happen.
/// The version written into snapshots and reports.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// Parses arguments, runs the command, and turns any error into one line on stderr + exit 2.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let args: Vec<OsString> = args.into_iter().collect();
    let color = term::color_from_args(&args);
    let cli = match parse(&args, color) {
        Ok(cli) => cli,
        Err(e) => return cli::report_parse_error(e),
    };
    term::init_color(cli.color);
    term::init_logging(cli.verbose);
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("intune-audit: error: {}", one_line(&e));
            EXIT_ERROR
        }
    }
}

/// The CLI definition as this run shows it: help wrapped to the terminal's width, colour as
/// `--color` says.
pub fn command(color: term::ColorWhen) -> clap::Command {
    <cli::Cli as clap::CommandFactory>::command()
        .term_width(term::width().min(160))
        .color(term::clap_color(color))
}

fn parse(args: &[OsString], color: term::ColorWhen) -> Result<cli::Cli, clap::Error> {
    let matches = command(color).try_get_matches_from(args)?;
    <cli::Cli as clap::FromArgMatches>::from_arg_matches(&matches)
}

/// The error and its causes on one line, with no control characters (errors quote Graph's and
/// the token endpoint's text, and file names).
fn one_line(e: &anyhow::Error) -> String {
    let line = e
        .chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
        .replace('\n', " ");
    render::safe::visible_line(&line)
}
