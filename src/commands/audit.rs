//! `intune-audit audit`: snapshot → checks → report.

use crate::cli::{AuditArgs, Format};
use crate::{render, snapshot_io, EXIT_FINDINGS, EXIT_OK};
use anyhow::Result;
use intune_audit_checks::{Report, Settings, Snapshot};

pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn run(args: &AuditArgs) -> Result<i32> {
    let snapshot = match &args.snapshot {
        Some(path) => snapshot_io::load(path)?,
        None => crate::commands::collect::collect_live(&args.connect)?,
    };
    let report = audit_snapshot(&snapshot, &Settings::default())?;
    let text = match args.format {
        Format::Table => render::table::report(&report, args.max_affected),
        Format::Json => render::json(&report),
    };
    render::print_stdout(&text)?;
    Ok(if report.has_problem_at_or_above(args.fail_on.severity()) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

pub fn audit_snapshot(snapshot: &Snapshot, settings: &Settings) -> Result<Report> {
    Ok(intune_audit_checks::audit(
        snapshot,
        settings,
        TOOL_VERSION,
    )?)
}
