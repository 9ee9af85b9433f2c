//! Renderers: pure functions of the report, plus writing to stdout.

pub mod affected;
pub mod diff;
pub mod evidence;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod safe;
pub mod sarif;
pub mod table;

use intune_audit_checks::{Area, Finding, FindingStatus, Report, Severity};
use serde::Serialize;
use std::io::Write;

/// Pretty JSON with a trailing newline. Plain data cannot fail to serialize.
pub fn json<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// The areas a readiness report groups checks by, in report order. "Other" holds findings of
/// checks this build does not know (a report written by another version).
pub const AREAS: [&str; 7] = [
    Area::Licensing.label(),
    Area::EnrollmentRestrictions.label(),
    Area::EntraJoin.label(),
    Area::MdmScope.label(),
    Area::Autopilot.label(),
    Area::LegacyAgents.label(),
    "Other",
];

/// The area a finding belongs to, as its check declares it ("Other" for a report of another
/// version). One mapping for JUnit suites, SARIF tags, HTML charts and Markdown.
pub fn area_of(finding: &Finding) -> &'static str {
    finding.area.map_or("Other", |a| a.label())
}

/// The readiness verdict of a report for a `--fail-on` threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ready,
    ReadyWithWarnings,
    NotReady,
}

impl Verdict {
    pub fn of(report: &Report, fail_on: Severity) -> Verdict {
        if report.has_problem_at_or_above(fail_on) {
            Verdict::NotReady
        } else if report
            .findings
            .iter()
            .any(|f| f.status.is_problem() && !f.waived)
        {
            Verdict::ReadyWithWarnings
        } else {
            Verdict::Ready
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ready => "Ready",
            Verdict::ReadyWithWarnings => "Ready with warnings",
            Verdict::NotReady => "Not ready",
        }
    }
    pub fn css(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::ReadyWithWarnings => "warnings",
            Verdict::NotReady => "notready",
        }
    }
}

/// Failing and warning findings, most severe first (waived ones last).
pub fn problems(report: &Report) -> Vec<&Finding> {
    let mut p: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status.is_problem())
        .collect();
    p.sort_by(|a, b| {
        a.waived
            .cmp(&b.waived)
            .then(b.severity.cmp(&a.severity))
            .then(a.status.cmp(&b.status))
            .then(a.check.cmp(&b.check))
    });
    p
}

/// The human label of a status.
pub fn status_label(status: FindingStatus) -> &'static str {
    match status {
        FindingStatus::Fail => "Fail",
        FindingStatus::Warn => "Warn",
        FindingStatus::NotEvaluated => "Not evaluated",
        FindingStatus::Pass => "Pass",
        FindingStatus::NotApplicable => "Not applicable",
    }
}

/// A check's "What it checks" prose (one paragraph), or its title when the finding has none.
pub fn what_it_checks(finding: &Finding) -> String {
    if finding.description.is_empty() {
        finding.title.clone()
    } else {
        finding.description.clone()
    }
}

/// Short type name of an affected object kind (`user`, `group`, …).
pub fn kind_name(kind: intune_audit_checks::AffectedKind) -> &'static str {
    use intune_audit_checks::AffectedKind as K;
    match kind {
        K::User => "user",
        K::Group => "group",
        K::Device => "device",
        K::AutopilotDevice => "autopilotDevice",
        K::AutopilotImport => "autopilotImport",
        K::Profile => "profile",
        K::Configuration => "configuration",
        K::Setting => "setting",
        K::App => "app",
    }
}
