//! `intune-audit audit`: snapshot → checks → configuration (overrides, waivers) → report(s).

use crate::cli::{AuditArgs, ReportFormat};
use crate::config::Config;
use crate::render::sarif::DEFAULT_ARTIFACT;
use crate::{render, snapshot_io, EXIT_FINDINGS, EXIT_OK};
use anyhow::{bail, Result};
use intune_audit_checks::snapshot::{EntryMeta, Status};
use intune_audit_checks::{Envelope, Loaded, Report, Resource, Settings, Severity};
use std::path::{Path, PathBuf};

pub use crate::TOOL_VERSION;

mod tenants;

/// What the renderers need besides the report.
pub struct RenderOptions<'a> {
    pub fail_on: Severity,
    pub max_affected: usize,
    pub sarif_artifact: &'a str,
    pub config: &'a Config,
    /// Columns for the table format: the terminal's when stdout is one, else `COLUMNS`, else
    /// 160 (files and pipes).
    pub table_width: u16,
    /// The file name of the affected-objects CSV written by the same run, for the HTML report
    /// to point at when it lists only the first objects of a long list in print.
    pub affected_csv: Option<String>,
}

pub fn run(args: &AuditArgs) -> Result<i32> {
    if let Some(list) = &args.tenants {
        let Some(out_dir) = &args.out_dir else {
            bail!("--tenants needs --out-dir DIR (one folder per tenant and the summary go there)");
        };
        return tenants::run(args, list, out_dir);
    }
    let mut config = Config::load(args.config.as_deref())?;
    config.preview |= args.preview;
    // Resolve every output's format before doing any work (and before signing in), so a bad
    // name fails fast.
    let targets = targets(args)?;
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
    let mut report = audit_loaded(&loaded, &settings);
    for warning in config.apply(&mut report) {
        eprintln!("intune-audit: warning: {warning}");
    }
    let artifact = match &args.sarif_artifact {
        Some(a) => repository_relative(a)?,
        None => default_artifact(args.snapshot.as_deref()),
    };
    let options = RenderOptions {
        fail_on: args.fail_on.severity(),
        max_affected: args.max_affected,
        sarif_artifact: &artifact,
        config: &config,
        table_width: crate::term::table_width(),
        affected_csv: affected_csv_name(&targets),
    };
    // A run that judged nothing could not run (exit 2, nothing on stdout, earlier report files
    // kept): a report of only not_evaluated findings would let a scheduled audit pass.
    if nothing_evaluated(&report) {
        bail!("{}", nothing_evaluated_reason(&loaded.envelope));
    }
    let mut wrote = Vec::new();
    for (target, format) in targets {
        let text = render_report(&report, format, &options)?;
        log::debug!("rendering {format:?}");
        match target {
            None => render::print_stdout(&text)?,
            Some(file) => {
                snapshot_io::write_atomic(&file, text.as_bytes())?;
                wrote.push(file);
            }
        }
    }
    let at_or_above = report.has_problem_at_or_above(args.fail_on.severity());
    let strict = args.fail_on_not_evaluated && has_not_evaluated(&report);
    let code = if at_or_above || strict {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    };
    let fail_on = args.fail_on.severity().as_str();
    crate::term::Verdict {
        counts: counts(&report),
        exit: code,
        why: if at_or_above {
            format!("findings at or above {fail_on}")
        } else if strict {
            "checks not evaluated (--fail-on-not-evaluated)".into()
        } else {
            format!("nothing failing at or above {fail_on}")
        },
        wrote,
    }
    .print();
    Ok(code)
}

/// `20 fail, 7 warn, 0 not evaluated, 0 pass`.
pub fn counts(report: &Report) -> String {
    let s = &report.summary.by_status;
    let get = |k: &str| s.get(k).copied().unwrap_or(0);
    format!(
        "{} fail, {} warn, {} not evaluated, {} pass",
        get("fail"),
        get("warn"),
        get("not_evaluated"),
        get("pass")
    )
}

/// Every check is not_evaluated: the run read nothing it could judge, which must not pass.
pub fn nothing_evaluated(report: &Report) -> bool {
    report.nothing_evaluated()
}

/// Some unwaived check could not be evaluated.
pub fn has_not_evaluated(report: &Report) -> bool {
    report.has_not_evaluated()
}

/// One line: why nothing could be evaluated, from the resources' statuses.
fn nothing_evaluated_reason(snapshot: &Envelope) -> String {
    let entries: Vec<(Resource, Option<&EntryMeta>)> = Resource::ALL
        .iter()
        .map(|&r| (r, snapshot.entry(r)))
        .filter(|(_, e)| e.is_none_or(|e| e.status != Status::Ok))
        .collect();
    let has = |st: Status| {
        entries
            .iter()
            .any(|(_, e)| e.is_some_and(|e| e.status == st))
    };
    let hint = if has(Status::Error) {
        "sign in again or see the errors"
    } else if has(Status::Forbidden) {
        "grant what `intune-audit permissions` lists"
    } else {
        "the snapshot holds no data"
    };
    let first = entries
        .iter()
        .find_map(|(r, e)| {
            e.and_then(|e| e.message.as_deref())
                .map(|m| format!("; first: {r}: {m}"))
        })
        .unwrap_or_default();
    format!(
        "nothing was evaluated: every check is not_evaluated because {} of {} resources were not read ({hint}){first}",
        entries.len(),
        Resource::ALL.len()
    )
}

/// (file or stdout, format) for each output.
fn targets(args: &AuditArgs) -> Result<Vec<(Option<PathBuf>, ReportFormat)>> {
    if args.output.is_empty() {
        return Ok(vec![(None, args.format.unwrap_or(ReportFormat::Table))]);
    }
    args.output
        .iter()
        .map(|o| {
            let stdout = o.as_os_str() == "-";
            let format = match (args.format, ReportFormat::from_path(o)) {
                (Some(f), _) => f,
                (None, _) if stdout => ReportFormat::Table,
                (None, Some(f)) => f,
                (None, None) => bail!(
                    "cannot tell the format of --output {} from its extension \
                     (.sarif, .xml, .md, .html, .json, .txt, .csv); add --format",
                    o.display()
                ),
            };
            Ok(((!stdout).then(|| o.clone()), format))
        })
        .collect()
}

/// The file name of the first CSV output, when the run writes one.
fn affected_csv_name(targets: &[(Option<PathBuf>, ReportFormat)]) -> Option<String> {
    targets
        .iter()
        .find_map(|(file, format)| match (file, format) {
            (Some(file), ReportFormat::Csv) => {
                Some(file.file_name()?.to_string_lossy().into_owned())
            }
            _ => None,
        })
}

/// The snapshot path as given when relative (it is then repository-relative in CI), else its
/// file name.
/// A live audit has no file: the tenant's default artifact name stands in.
/// `--sarif-artifact` as GitHub code scanning accepts it: a path relative to the repository
/// root. An absolute path, a drive letter, a URL or `..` would make the upload fail
/// ("unrecognized SARIF location URI scheme") or point outside the repository.
fn repository_relative(path: &str) -> Result<String> {
    let p = path.trim().replace('\\', "/");
    let has_scheme = p
        .split_once(':')
        .is_some_and(|(scheme, _)| !scheme.is_empty() && !scheme.contains('/'));
    if p.is_empty() || p.starts_with('/') || has_scheme || p.split('/').any(|seg| seg == "..") {
        bail!(
            "--sarif-artifact {path:?} must be a path relative to the repository root, like snapshots/tenant.json"
        );
    }
    Ok(p)
}

fn default_artifact(snapshot: Option<&Path>) -> String {
    let Some(snapshot) = snapshot else {
        return DEFAULT_ARTIFACT.to_string();
    };
    if snapshot.is_relative() {
        snapshot.to_string_lossy().into_owned()
    } else {
        snapshot
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| DEFAULT_ARTIFACT.to_string())
    }
}

pub fn render_report(
    report: &Report,
    format: ReportFormat,
    options: &RenderOptions<'_>,
) -> Result<String> {
    Ok(match format {
        ReportFormat::Table => {
            render::table::report(report, options.max_affected, options.table_width)
        }
        ReportFormat::Json => render::json(report),
        ReportFormat::Sarif => render::sarif::render(report, options.sarif_artifact),
        ReportFormat::Junit => render::junit::render(report, options.config.junit_warn_as),
        ReportFormat::Markdown => render::markdown::render(report, options.fail_on),
        ReportFormat::Html => {
            render::html::render_with(report, options.fail_on, options.affected_csv.as_deref())?
        }
        ReportFormat::Csv => render::affected::render(report)?,
    })
}

/// Runs the checks on a loaded snapshot.
pub fn audit_loaded(loaded: &Loaded, settings: &Settings) -> Report {
    intune_audit_checks::audit_tenant(&loaded.envelope, &loaded.tenant, settings, TOOL_VERSION)
}
