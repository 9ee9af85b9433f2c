//! The human report: a summary table, then for each fail/warn the affected objects, the
//! evidence and the fix.

use super::safe;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use intune_audit_checks::failures::{device_cause_title, headline};
use intune_audit_checks::report::ObservedFailures;
use intune_audit_checks::{Finding, FindingStatus, Report};
use std::fmt::Write;

/// Longest text in a table cell: comfy-table's layout time grows with the square of a cell's
/// length (a crafted 100 KB name took 26 s); 1000 characters keep every real summary whole.
const MAX_CELL: usize = 1000;

/// Longest name or id printed (tenant, affected objects).
const MAX_NAME: usize = 200;

/// Longest summary line under a finding (plain text, no layout cost, but a terminal's worth).
const MAX_TEXT: usize = 2000;

/// The report as terminal text, its tables laid out in `width` columns.
pub fn report(report: &Report, max_affected: usize, width: u16) -> String {
    let report = &safe::report(report, safe::visible, safe::visible_line);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "intune-audit — tenant {} ({}), data collected {}\n",
        if report.tenant.name.is_empty() {
            "(unnamed)".to_string()
        } else {
            safe::elide(&report.tenant.name, MAX_NAME)
        },
        safe::elide(&report.tenant.id, MAX_NAME),
        report.collected_at
    );
    out.push_str(&summary_table(report, width).to_string());
    out.push('\n');
    let _ = writeln!(out, "{}", counts_line(report));
    if let Some(f) = &report.failures {
        let _ = writeln!(out, "Observed: {}", headline(f));
    }
    out.push('\n');
    let mut problems: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status.is_problem())
        .collect();
    problems.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.status.cmp(&b.status)));
    for f in problems {
        details(&mut out, f, max_affected);
    }
    if let Some(f) = &report.failures {
        out.push_str(&failures(f, max_affected, width));
        out.push('\n');
    }
    let not_evaluated: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::NotEvaluated)
        .collect();
    if !not_evaluated.is_empty() {
        let _ = writeln!(out, "Not evaluated ({}):", not_evaluated.len());
        for f in not_evaluated {
            let _ = writeln!(
                out,
                "  - {}: {}",
                f.check,
                safe::elide(f.reason.as_deref().unwrap_or(""), MAX_TEXT)
            );
        }
    }
    out
}

fn summary_table(report: &Report, width: u16) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    t.set_header([
        "Check",
        "Status",
        "Severity",
        "Error codes",
        "Affected",
        "Summary",
    ]);
    let mut rows: Vec<&Finding> = report.findings.iter().collect();
    rows.sort_by(|a, b| a.status.cmp(&b.status).then(b.severity.cmp(&a.severity)));
    for f in rows {
        let severity = if f.status.is_problem() {
            f.severity.as_str()
        } else {
            "-"
        };
        t.add_row([
            safe::elide(&f.check, MAX_CELL),
            f.status.as_str().to_uppercase(),
            severity.to_string(),
            safe::elide(&crate::text::codes_or_dash(&f.error_codes), MAX_CELL),
            if f.affected_total > 0 {
                f.affected_total.to_string()
            } else {
                "-".into()
            },
            safe::elide(&f.summary, MAX_CELL),
        ]);
    }
    t
}

fn counts_line(report: &Report) -> String {
    let s = &report.summary.by_status;
    let get = |k: &str| s.get(k).copied().unwrap_or(0);
    format!(
        "{} fail, {} warn, {} not evaluated, {} pass, {} not applicable",
        get("fail"),
        get("warn"),
        get("not_evaluated"),
        get("pass"),
        get("not_applicable")
    )
}

fn details(out: &mut String, f: &Finding, max_affected: usize) {
    let _ = writeln!(
        out,
        "── {} [{} · {}] {}",
        f.check,
        f.status.as_str().to_uppercase(),
        f.severity.as_str(),
        f.title
    );
    if !f.error_codes.is_empty() {
        let _ = writeln!(out, "   Errors users see: {}", f.error_codes.join(", "));
    }
    let _ = writeln!(out, "   {}", safe::elide(&f.summary, MAX_TEXT));
    if !f.affected.is_empty() {
        let _ = writeln!(out, "   Affected ({}):", f.affected_total);
        for a in f.affected.iter().take(max_affected) {
            let _ = writeln!(
                out,
                "     - {:?} {} ({})",
                a.kind,
                safe::elide(&a.name, MAX_NAME),
                safe::elide(&a.id, MAX_NAME)
            );
        }
        if f.affected_total > max_affected {
            let _ = writeln!(
                out,
                "     … and {} more (--max-affected, or --format json for all)",
                f.affected_total - max_affected
            );
        }
    }
    if let Some(map) = f.evidence.as_object().filter(|m| !m.is_empty()) {
        let _ = writeln!(out, "   Evidence:");
        for (k, v) in map {
            let mut value = v.to_string();
            if value.len() > 300 {
                value = format!("{}…", value.chars().take(300).collect::<String>());
            }
            let _ = writeln!(out, "     {k}: {value}");
        }
    }
    if !f.remediation.is_empty() {
        let _ = writeln!(out, "   Fix:");
        for (i, step) in f.remediation.iter().enumerate() {
            let _ = writeln!(out, "     {}. {step}", i + 1);
        }
    }
    out.push('\n');
}

/// The "Observed failures" section: headline, the most recent failures with what explains
/// them, and the unexplained ones grouped by raw reason. Its strings must already be safe.
pub fn failures(f: &ObservedFailures, max_events: usize, width: u16) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Observed failures — {}", headline(f));
    for s in f.streams.iter().filter(|s| s.status != "ok") {
        let _ = writeln!(
            out,
            "   {} not evaluated: {}",
            s.resource,
            safe::elide(s.reason.as_deref().unwrap_or(""), MAX_TEXT)
        );
    }
    if f.status == "not_evaluated" {
        return out;
    }
    if !f.events.is_empty() {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width);
        t.set_header(["When", "Subject", "Failure", "Raw reason", "Explained by"]);
        for e in f.events.iter().take(max_events) {
            let subject = [e.user.as_deref(), e.device.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" / ");
            let (raw, reason) = (e.raw_category(), e.raw_reason());
            t.add_row([
                e.at.get(..16).unwrap_or(&e.at).replace('T', " "),
                safe::elide(&subject, MAX_NAME),
                format!("{} ({raw})", e.class),
                safe::elide(reason, 200),
                if e.explained_by.is_empty() {
                    "unexplained".to_string()
                } else {
                    e.explained_by.join(", ")
                },
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
        if f.counts.observed > max_events.min(f.events.len()) {
            let _ = writeln!(
                out,
                "   … {} more (JSON report: failures.events)",
                f.counts.observed - max_events.min(f.events.len())
            );
        }
    }
    if !f.unexplained.is_empty() {
        let _ = writeln!(out, "Unexplained failures (no finding explains them):");
        for g in &f.unexplained {
            let _ = writeln!(
                out,
                "  - {} × {} {} ({}, {} subject(s)): {}",
                g.events,
                g.stream,
                g.class,
                g.category,
                g.subjects,
                if g.reason.is_empty() {
                    "no reason given".to_string()
                } else {
                    safe::elide(&g.reason, 300)
                }
            );
            if !g.checks_clear.is_empty() {
                let _ = writeln!(
                    out,
                    "      tenant checks that found nothing for them: {}",
                    g.checks_clear.join(", ")
                );
            }
            for d in &g.device_causes {
                let _ = writeln!(
                    out,
                    "      device side: {d} — {} (intune-audit explain {d})",
                    device_cause_title(d).unwrap_or("")
                );
            }
            if g.checks_clear.is_empty() && g.device_causes.is_empty() {
                let _ = writeln!(
                    out,
                    "      no documented cause matches: diagnose the subject on the device (intune-audit diagnose --user/--device)"
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn tables_fit_the_width_they_are_given() {
        let out = report(&one_finding("adele@contoso.com"), 10, 80);
        let widest = out
            .lines()
            .filter(|l| l.starts_with('│') || l.starts_with('┌'))
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0);
        assert!(widest > 0 && widest <= 80, "{widest}\n{out}");
    }
    use super::*;
    use intune_audit_checks::report::TenantRef;
    use intune_audit_checks::{Affected, AffectedKind, Finding, Severity};

    fn one_finding(name: &str) -> Report {
        let f = Finding {
            area: None,
            description: String::new(),
            default_severity: None,
            check: "windows-mdm-platform-blocked".into(),
            status: FindingStatus::Fail,
            severity: Severity::High,
            error_codes: vec!["0x80180014".into()],
            article_sections: vec![],
            title: "Windows is blocked".into(),
            summary: format!("blocked by '{name}'"),
            affected: vec![Affected::new(AffectedKind::Configuration, "c1", name)],
            affected_total: 1,
            evidence: serde_json::json!({ "name": name }),
            remediation: vec![],
            references: vec![],
            reason: None,
            permissions: vec![],
            waived: false,
            waiver: None,
            observed: None,
        };
        Report::new(
            TenantRef {
                id: "t".into(),
                name: name.into(),
            },
            "2025-01-01T00:00:00Z".into(),
            "0".into(),
            vec![f],
        )
    }

    #[test]
    fn a_huge_name_is_elided_in_every_cell_and_line() {
        let huge = "A".repeat(200 * 1024);
        let out = report(&one_finding(&huge), 10, 160);
        assert!(out.len() < 20_000, "output is {} bytes", out.len());
        assert!(out.contains("AAAAAAAAAA…"), "elided: {}", &out[..500]);
        assert!(!out.contains(&"A".repeat(MAX_TEXT + 1)));
    }

    #[test]
    fn escape_sequences_in_names_never_reach_the_terminal() {
        let out = report(&one_finding("evil\u{1b}[2J\u{9b}31m\u{7f}\nname"), 10, 160);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(out.contains("evil\\x1b[2J\\x9b31m\\x7f\\x0aname"), "{out}");
    }
}
