//! JUnit XML for CI test tabs (Azure DevOps `PublishTestResults@2`, GitLab, Jenkins): one test
//! suite per area, one test case per check.
//!
//! fail → `<failure>`; warn → `<failure>` or `<skipped>` (`junit.warn_as` in the config);
//! not_evaluated → `<skipped>` with the reason; not_applicable → `<skipped>`; a waived finding →
//! `<skipped>` naming the waiver (it does not fail the build); pass → success.

use super::{area_of, AREAS};
use crate::config::WarnAs;
use intune_audit_checks::{Finding, FindingStatus, Report};
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use std::fmt::Write;

/// Affected objects listed in a failure's text.
const MAX_AFFECTED: usize = 50;

pub fn render(report: &Report, warn_as: WarnAs) -> String {
    // quick-junit escapes markup but passes characters XML 1.0 forbids, making the file invalid.
    let report = &super::safe::report(report, super::safe::xml, super::safe::xml);
    let mut out = quick_junit::Report::new(format!("intune-audit {}", tenant_label(report)));
    for area in AREAS {
        let findings: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| area_of(f) == area)
            .collect();
        if findings.is_empty() {
            continue;
        }
        let mut suite = TestSuite::new(area);
        suite.add_property(("tenant", report.tenant.id.as_str()));
        suite.add_property(("collected_at", report.collected_at.as_str()));
        if let Some(c) = report.summary.failures {
            let text = format!(
                "observed={} explained={} unexplained={}",
                c.observed, c.explained, c.unexplained
            );
            suite.add_property(("enrollment_failures", text.as_str()));
        }
        for f in findings {
            suite.add_test_case(case(f, area, warn_as));
        }
        out.add_test_suite(suite);
    }
    // Serializing built-in values cannot fail short of an I/O error on a String.
    out.to_string().unwrap_or_default()
}

fn tenant_label(report: &Report) -> String {
    if report.tenant.name.is_empty() {
        report.tenant.id.clone()
    } else {
        format!("{} ({})", report.tenant.name, report.tenant.id)
    }
}

fn case(f: &Finding, area: &str, warn_as: WarnAs) -> TestCase {
    let status = match (f.status, f.waived) {
        (FindingStatus::Pass, _) => TestCaseStatus::success(),
        (FindingStatus::Fail | FindingStatus::Warn, true) => {
            let mut s = TestCaseStatus::skipped();
            let w = f.waiver.as_ref();
            s.set_message(format!(
                "waived until {}: {} (original result: {})",
                w.map(|w| w.expires.as_str()).unwrap_or("?"),
                w.map(|w| w.reason.as_str()).unwrap_or(""),
                f.status.as_str()
            ));
            s
        }
        (FindingStatus::Warn, false) if warn_as == WarnAs::Skipped => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!("warning: {}", f.summary));
            s.set_description(details(f));
            s
        }
        (FindingStatus::Fail | FindingStatus::Warn, false) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(f.summary.clone());
            s.set_type(format!("{} ({})", f.status.as_str(), f.severity.as_str()));
            s.set_description(details(f));
            s
        }
        (FindingStatus::NotEvaluated, _) => {
            let mut s = TestCaseStatus::skipped();
            let mut msg = format!(
                "not evaluated: {}",
                f.reason.as_deref().unwrap_or(&f.summary)
            );
            if !f.permissions.is_empty() {
                let _ = write!(msg, " (grant {})", f.permissions.join(", "));
            }
            s.set_message(msg);
            s
        }
        (FindingStatus::NotApplicable, _) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!("not applicable: {}", f.summary));
            s
        }
    };
    let mut tc = TestCase::new(f.check.as_str(), status);
    tc.set_classname(format!("intune-audit.{}", slug(area)));
    tc.add_property(("severity", f.severity.as_str()));
    tc.add_property(("status", f.status.as_str()));
    if !f.error_codes.is_empty() {
        tc.add_property(("error_codes", f.error_codes.join(" ").as_str()));
    }
    tc
}

/// The failure text: title, codes, summary, affected objects, the fix.
fn details(f: &Finding) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", f.title);
    if !f.error_codes.is_empty() {
        let _ = writeln!(out, "Errors users see: {}", f.error_codes.join(", "));
    }
    let _ = writeln!(out, "{}", f.summary);
    if f.affected_total > 0 {
        let _ = writeln!(out, "Affected ({}):", f.affected_total);
        for a in f.affected.iter().take(MAX_AFFECTED) {
            let _ = writeln!(
                out,
                "  - {} {} ({})",
                super::kind_name(a.kind),
                a.name,
                a.id
            );
        }
        if f.affected_total > MAX_AFFECTED {
            let _ = writeln!(out, "  … and {} more", f.affected_total - MAX_AFFECTED);
        }
    }
    if !f.remediation.is_empty() {
        let _ = writeln!(out, "Fix:");
        for (i, s) in f.remediation.iter().enumerate() {
            let _ = writeln!(out, "  {}. {s}", i + 1);
        }
    }
    out
}

fn slug(area: &str) -> String {
    area.to_ascii_lowercase().replace(' ', "_")
}
