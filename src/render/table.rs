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

/// Under this many columns the tables take their compact layout: fewer columns, one line per
/// row (status and severity share a cell, the error codes move to the details below, long
/// summaries are elided to the width that is left).
pub const COMPACT_BELOW: u16 = 100;

fn new_table(width: u16) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    t
}

fn summary_table(report: &Report, width: u16) -> Table {
    let mut rows: Vec<&Finding> = report.findings.iter().collect();
    rows.sort_by(|a, b| a.status.cmp(&b.status).then(b.severity.cmp(&a.severity)));
    if width < COMPACT_BELOW {
        return compact_summary_table(&rows, width);
    }
    let mut t = new_table(width);
    t.set_header([
        "Check",
        "Status",
        "Severity",
        "Error codes",
        "Affected",
        "Summary",
    ]);
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
            affected_count(f),
            safe::elide(&f.summary, MAX_CELL),
        ]);
    }
    t
}

/// Narrowest summary worth a column in the compact table.
const MIN_SUMMARY: usize = 20;

/// The summary table in under [`COMPACT_BELOW`] columns: the check id (whole: it is what
/// `explain` takes), a status marker (`FAIL high`), the affected count, and the summary cut to
/// the columns left, or no summary when fewer than [`MIN_SUMMARY`] are left (each problem's
/// summary is in the details below). Every row stays one line.
fn compact_summary_table(rows: &[&Finding], width: u16) -> Table {
    let columns = usize::from(width);
    let widest = |cells: &mut dyn Iterator<Item = usize>, header: &str| {
        cells.max().unwrap_or(0).max(header.chars().count())
    };
    let marker_w = widest(
        &mut rows.iter().map(|f| status_marker(f).chars().count()),
        "Status",
    );
    let affected_w = widest(
        &mut rows.iter().map(|f| affected_count(f).chars().count()),
        "Aff.",
    );
    // Each column costs its content, a space either side and a border; one border opens. The
    // id gets what the other two leave (cut only in a terminal too narrow for even that).
    let others = 1 + 3 * 3 + marker_w + affected_w;
    let check_w = widest(&mut rows.iter().map(|f| f.check.chars().count()), "Check")
        .min(columns.saturating_sub(others).max(12));
    let used = others + 3 + check_w;
    let summary_w = columns.saturating_sub(used);
    let with_summary = summary_w >= MIN_SUMMARY;
    let mut t = new_table(width);
    if with_summary {
        t.set_header(["Check", "Status", "Aff.", "Summary"]);
    } else {
        t.set_header(["Check", "Status", "Aff."]);
    }
    for f in rows {
        let mut row = vec![fit(&f.check, check_w), status_marker(f), affected_count(f)];
        if with_summary {
            row.push(fit(&f.summary, summary_w));
        }
        t.add_row(row);
    }
    t
}

/// `text` in at most `width` characters: whole when it fits, else cut with an ellipsis.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        safe::elide(text, width.saturating_sub(1))
    }
}

/// `FAIL high`, `WARN low`, `NOT EVALUATED`, `PASS`, `N/A`: status and (for problems) severity.
fn status_marker(f: &Finding) -> String {
    match f.status {
        FindingStatus::Fail | FindingStatus::Warn => {
            format!(
                "{} {}",
                f.status.as_str().to_uppercase(),
                f.severity.as_str()
            )
        }
        FindingStatus::NotEvaluated => "NOT EVAL".into(),
        FindingStatus::Pass => "PASS".into(),
        FindingStatus::NotApplicable => "N/A".into(),
    }
}

fn affected_count(f: &Finding) -> String {
    if f.affected_total > 0 {
        f.affected_total.to_string()
    } else {
        "-".into()
    }
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
        let compact = width < COMPACT_BELOW;
        let mut t = new_table(width);
        if compact {
            t.set_header(["When", "Subject", "Failure", "Explained by"]);
        } else {
            t.set_header(["When", "Subject", "Failure", "Raw reason", "Explained by"]);
        }
        for e in f.events.iter().take(max_events) {
            let subject = [e.user.as_deref(), e.device.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" / ");
            let (raw, reason) = (e.raw_category(), e.raw_reason());
            let when = e.at.get(..16).unwrap_or(&e.at).replace('T', " ");
            let explained = if e.explained_by.is_empty() {
                "unexplained".to_string()
            } else {
                e.explained_by.join(", ")
            };
            if compact {
                // The raw category and reason stay in the JSON report and the groups below.
                t.add_row([
                    when,
                    safe::elide(&subject, usize::from(width) / 4),
                    e.class.to_string(),
                    explained,
                ]);
            } else {
                t.add_row([
                    when,
                    safe::elide(&subject, MAX_NAME),
                    format!("{} ({raw})", e.class),
                    safe::elide(reason, 200),
                    explained,
                ]);
            }
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
