//! `intune-audit failures`: what broke in the last days — every enrollment failure and failed
//! Autopilot deployment of the window, each with the finding that explains it (or none).

use crate::cli::{FailuresArgs, Format};
use crate::config::Config;
use crate::{render, snapshot_io, EXIT_OK};
use anyhow::{bail, Result};
use intune_audit_checks::Loaded;

pub fn run(args: &FailuresArgs) -> Result<i32> {
    let config = Config::load(args.config.as_deref())?;
    let loaded = match &args.snapshot {
        Some(path) => snapshot_io::load_typed(path)?,
        None => {
            let mut sign_in = args.connect.sign_in();
            sign_in.history_days = args.history_days;
            Loaded::from_snapshot(&crate::live::collect_live(&sign_in)?)?
        }
    };
    let mut settings = config.settings();
    settings.history_days = args.history_days;
    let report = intune_audit_checks::audit_tenant(
        &loaded.envelope,
        &loaded.tenant,
        &settings,
        crate::TOOL_VERSION,
    );
    let Some(failures) = &report.failures else {
        bail!("the failure history could not be read");
    };
    if failures.status == "not_evaluated" {
        let why: Vec<String> = failures
            .streams
            .iter()
            .filter_map(|s| s.reason.clone())
            .collect();
        bail!(
            "the failure history was not evaluated: {}",
            render::safe::visible_line(&why.join("; "))
        );
    }
    let text = match args.format {
        Format::Json => render::json(failures),
        Format::Table => {
            let safe =
                render::safe::report(&report, render::safe::visible, render::safe::visible_line);
            let f = safe.failures.unwrap_or_default();
            format!(
                "intune-audit failures — tenant {}, {} to {}\n\n{}",
                render::safe::visible_line(&report.tenant.name),
                f.since,
                f.until,
                render::table::failures(&f, args.max_events, crate::term::table_width())
            )
        }
    };
    render::print_stdout(&text)?;
    Ok(EXIT_OK)
}
