//! `intune-audit permissions`: what the audit needs from Graph and how to grant it.

use crate::cli_connect::PermissionsArgs;
use anyhow::Result;

pub fn run(args: &PermissionsArgs) -> Result<i32> {
    crate::render::print_stdout(&crate::graph::permissions::render(
        args.client_id.as_deref(),
    ))?;
    Ok(crate::EXIT_OK)
}
