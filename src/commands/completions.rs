//! `intune-audit completions SHELL` and `intune-audit man`: generated from the CLI definition,
//! so they never drift from the real subcommands and flags.

use crate::cli::CompletionsArgs;
use crate::{render, EXIT_OK};
use anyhow::{Context, Result};

pub fn completions(args: &CompletionsArgs) -> Result<i32> {
    let mut cmd = crate::command(crate::term::ColorWhen::Never);
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "intune-audit", &mut buf);
    render::print_stdout(&String::from_utf8_lossy(&buf))?;
    Ok(EXIT_OK)
}

/// The man page: the main page followed by one section per subcommand.
pub fn man() -> Result<i32> {
    let cmd = crate::command(crate::term::ColorWhen::Never).term_width(0);
    let mut buf = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render(&mut buf).context("cannot render the man page")?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("intune-audit {}", sub.get_name());
        let page = clap_mangen::Man::new(sub.clone().display_name(name.clone()).bin_name(name));
        page.render_title(&mut buf)
            .and_then(|_| page.render_name_section(&mut buf))
            .and_then(|_| page.render_synopsis_section(&mut buf))
            .and_then(|_| page.render_description_section(&mut buf))
            .and_then(|_| page.render_options_section(&mut buf))
            .context("cannot render the man page")?;
    }
    render::print_stdout(&String::from_utf8_lossy(&buf))?;
    Ok(EXIT_OK)
}
