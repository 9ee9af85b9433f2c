//! The readiness report: one self-contained HTML file (inline CSS, inline SVG charts, a few
//! lines of inline script to filter long tables; nothing loaded from elsewhere).
//!
//! The template is rendered with HTML auto-escaping, so every value from the tenant (display
//! names, ids, evidence) is escaped; display names are attacker-controllable.

use super::{area_of, problems, status_label, Verdict, AREAS};
use intune_audit_checks::{FindingStatus, Report, Severity};
use serde_json::{json, Value};

const TEMPLATE: &str = include_str!("templates/report.html");

/// Affected objects of one finding listed when the report is printed; the rest are counted
/// and left to the CSV export (all of them stay on screen).
pub const PRINT_AFFECTED: usize = 8;

const BAR_MAX: f64 = 170.0;

pub fn render(report: &Report, fail_on: Severity) -> anyhow::Result<String> {
    render_with(report, fail_on, None)
}

/// The report; `affected_csv` names the CSV export written beside it (the print layout points
/// at it for the objects it leaves out).
pub fn render_with(
    report: &Report,
    fail_on: Severity,
    affected_csv: Option<&str>,
) -> anyhow::Result<String> {
    // Escaping makes names inert as HTML; controls are made visible on top of that.
    let report = &super::safe::report(report, super::safe::xml, super::safe::xml);
    let mut env = minijinja::Environment::new();
    env.add_filter("code", code_spans);
    env.add_template("report.html", TEMPLATE)?;
    let template = env.get_template("report.html")?;
    let mut cx = context(report, fail_on);
    cx["affected_csv"] = affected_csv.map(super::safe::xml).into();
    Ok(template.render(minijinja::value::Serde(cx))?)
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '/' => out.push_str("&#x2f;"),
            c => out.push(c),
        }
    }
    out
}

/// The `code` filter: escapes the text and shows its Markdown `code spans` as `<code>` (the
/// check descriptions and fixes are written with them). Unbalanced backticks stay as they are.
fn code_spans(text: String) -> minijinja::Value {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return minijinja::Value::from_safe_string(escape_html(&text));
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(&escape_html(part));
            out.push_str("</code>");
        } else {
            out.push_str(&escape_html(part));
        }
    }
    minijinja::Value::from_safe_string(out)
}

fn status_color(status: FindingStatus) -> &'static str {
    match status {
        FindingStatus::Fail => "#c62828",
        FindingStatus::Warn => "#ef8f00",
        FindingStatus::NotEvaluated => "#6d6d6d",
        FindingStatus::Pass => "#2e7d32",
        FindingStatus::NotApplicable => "#9e9e9e",
    }
}

fn context(report: &Report, fail_on: Severity) -> Value {
    let verdict = Verdict::of(report, fail_on);
    let unwaived = |pred: &dyn Fn(&intune_audit_checks::Finding) -> bool| {
        report
            .findings
            .iter()
            .filter(|f| !f.waived && pred(f))
            .count()
    };
    let blocking = unwaived(&|f| f.status.is_problem() && f.severity >= fail_on);
    let below = unwaived(&|f| f.status.is_problem() && f.severity < fail_on);
    let not_evaluated_n = report
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::NotEvaluated)
        .count();
    let mut detail = match verdict {
        Verdict::NotReady => format!(
            "{blocking} check(s) at {} or above will make enrollments fail",
            fail_on.as_str()
        ),
        Verdict::ReadyWithWarnings => {
            format!("{below} check(s) below {} to review", fail_on.as_str())
        }
        Verdict::Ready => "No failing or warning checks".to_string(),
    };
    if not_evaluated_n > 0 {
        detail.push_str(&format!("; {not_evaluated_n} not evaluated"));
    }

    let status_counts: Vec<Value> = FindingStatus::ALL
        .iter()
        .map(|s| {
            json!({"key": s.as_str(), "label": status_label(*s),
                   "n": report.summary.by_status.get(s.as_str()).copied().unwrap_or(0)})
        })
        .collect();
    let severity_counts: Vec<Value> = Severity::ALL
        .iter()
        .map(|s| {
            json!({"key": s.as_str(), "label": s.as_str(),
                   "n": report.summary.by_severity.get(s.as_str()).copied().unwrap_or(0)})
        })
        .collect();

    let areas = area_charts(report);

    let problems: Vec<Value> = problems(report)
        .into_iter()
        .map(|f| {
            let evidence = super::evidence::rows(&f.evidence);
            let affected: Vec<Value> = f
                .affected
                .iter()
                .map(|a| {
                    json!({"kind": super::kind_name(a.kind), "name": a.name, "id": a.id,
                                "at_risk": a.undetermined})
                })
                .collect();
            json!({
                "check": f.check, "title": f.title, "summary": f.summary,
                "status": f.status.as_str(), "status_label": status_label(f.status),
                "severity": f.severity.as_str(), "waived": f.waived, "waiver": f.waiver,
                "error_codes": f.error_codes, "what": super::what_it_checks(f),
                "affected": affected, "affected_total": f.affected_total,
                "print_more": f.affected.len().saturating_sub(PRINT_AFFECTED),
                "evidence": evidence, "remediation": f.remediation, "references": f.references,
                "observed": f.observed,
            })
        })
        .collect();

    let not_evaluated: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::NotEvaluated)
        .map(|f| {
            json!({"check": f.check, "reason": f.reason.clone().unwrap_or_else(|| f.summary.clone()),
                   "permissions": f.permissions.join(", ")})
        })
        .collect();
    let passed: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| matches!(f.status, FindingStatus::Pass | FindingStatus::NotApplicable))
        .map(|f| json!({"check": f.check, "status_label": status_label(f.status), "summary": f.summary}))
        .collect();
    let waiver_notes: Vec<Value> = report
        .waivers
        .iter()
        .filter(|w| w.state != "applied")
        .map(|w| {
            let text = if w.state == "expired" {
                format!("expired on {}; its findings count again", w.expires)
            } else {
                "matched no failing or warning finding (unused)".to_string()
            };
            json!({"check": w.check, "source": w.source, "text": text})
        })
        .collect();
    let tenant_label = if report.tenant.name.is_empty() {
        report.tenant.id.clone()
    } else {
        report.tenant.name.clone()
    };
    json!({
        "tenant": report.tenant, "tenant_label": tenant_label,
        "collected_at": utc_second(&report.collected_at), "tool_version": report.tool_version,
        "fail_on": fail_on.as_str(), "print_affected": PRINT_AFFECTED,
        "headline": headline(report),
        "verdict": {"label": verdict.label(), "css": verdict.css(), "detail": detail},
        "status_counts": status_counts, "severity_counts": severity_counts,
        "waived": report.summary.waived,
        "areas": areas, "problems": problems, "not_evaluated": not_evaluated,
        "passed": passed, "waiver_notes": waiver_notes,
        "failures": report.failures.as_ref().map(failures_context),
    })
}

/// A Graph timestamp to the second, in UTC and saying so (`2026-11-20 07:30:00 UTC`); text
/// that is not a timestamp is shown as it is.
pub fn utc_second(text: &str) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    intune_audit_checks::time::parse_rfc3339(text)
        .and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&format).ok())
        .unwrap_or_else(|| text.to_string())
}

/// Distinct users, devices and Autopilot devices (registrations and imports) named by the
/// failing and warning findings (waived ones included: a waiver accepts the risk, it does not
/// enroll anyone); of those, how many a failing finding names, and how many are only at risk
/// (no finding names them as certainly affected).
fn headline(report: &Report) -> Value {
    use intune_audit_checks::AffectedKind as K;
    use std::collections::BTreeSet;
    // Per slot: every object, those a failing finding names, those named as certain.
    let mut sets: [[BTreeSet<(K, &str)>; 3]; 3] = Default::default();
    for f in problems(report) {
        for a in &f.affected {
            let slot = match a.kind {
                K::User => 0,
                K::Device => 1,
                K::AutopilotDevice | K::AutopilotImport => 2,
                _ => continue,
            };
            let key = (a.kind, a.id.as_str());
            sets[slot][0].insert(key);
            if f.status == FindingStatus::Fail {
                sets[slot][1].insert(key);
            }
            if a.undetermined.is_none() {
                sets[slot][2].insert(key);
            }
        }
    }
    let counts = |s: &[BTreeSet<(K, &str)>; 3]| json!({"n": s[0].len(), "failing": s[1].len(), "at_risk": s[0].len() - s[2].len()});
    json!({"users": counts(&sets[0]), "devices": counts(&sets[1]),
           "autopilot": counts(&sets[2])})
}

/// One bar chart per area (findings by status), every area on the same scale: the longest
/// bar is the largest count of any area, so bars compare across areas.
fn area_charts(report: &Report) -> Vec<Value> {
    let per_area: Vec<(&str, Vec<(FindingStatus, usize)>)> = AREAS
        .iter()
        .map(|area| {
            let in_area = |s: FindingStatus| {
                report
                    .findings
                    .iter()
                    .filter(|f| area_of(f) == *area && f.status == s)
                    .count()
            };
            let counts: Vec<_> = FindingStatus::ALL
                .iter()
                .map(|s| (*s, in_area(*s)))
                .collect();
            (*area, counts)
        })
        .filter(|(_, counts)| counts.iter().any(|(_, n)| *n > 0))
        .collect();
    let max = per_area
        .iter()
        .flat_map(|(_, c)| c.iter().map(|(_, n)| *n))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    per_area
        .into_iter()
        .map(|(area, counts)| area_chart(area, &counts, max))
        .collect()
}

fn area_chart(area: &str, counts: &[(FindingStatus, usize)], max: f64) -> Value {
    let bars: Vec<Value> = counts
        .iter()
        .enumerate()
        .map(|(i, (s, n))| {
            let width = if *n == 0 {
                0.0
            } else {
                (*n as f64 / max * BAR_MAX).max(2.0)
            };
            json!({"label": status_label(*s), "n": n, "y": i * 18 + 2,
                   "width": (width * 10.0).round() / 10.0, "color": status_color(*s)})
        })
        .collect();
    let summary = counts
        .iter()
        .map(|(s, n)| format!("{n} {}", status_label(*s).to_lowercase()))
        .collect::<Vec<_>>()
        .join(", ");
    json!({"name": area, "bars": bars, "height": counts.len() * 18 + 4, "summary": summary,
           "scale": max as usize})
}

/// The failure history: headline, the explained/unexplained split, and a failures-over-time
/// chart (inline SVG, one stacked bar per day of the window).
fn failures_context(f: &intune_audit_checks::report::ObservedFailures) -> Value {
    use std::collections::BTreeMap;
    let per_day: BTreeMap<&str, (usize, usize)> = f
        .by_day
        .iter()
        .map(|d| (d.day.as_str(), (d.explained, d.unexplained)))
        .collect();
    // Every day of the window, so that quiet days show as gaps.
    let until = intune_audit_checks::time::parse_rfc3339(&f.until);
    let days: Vec<String> = match until {
        Some(until) => (0..f.days.max(1))
            .rev()
            .map(|k| {
                let d = (until - time::Duration::days(i64::from(k))).date();
                format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
            })
            .collect(),
        None => per_day.keys().map(|d| d.to_string()).collect(),
    };
    let max = per_day
        .values()
        .map(|(e, u)| e + u)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let (width, height) = (600.0_f64, 120.0_f64);
    let step = width / days.len().max(1) as f64;
    let bar = (step * 0.8).max(1.0);
    let bars: Vec<Value> = days
        .iter()
        .enumerate()
        .filter_map(|(i, day)| {
            let (e, u) = per_day.get(day.as_str()).copied()?;
            let he = (e as f64 / max * height).round();
            let hu = (u as f64 / max * height).round();
            let x = (i as f64 * step).round();
            Some(json!({"day": day, "x": x, "w": bar.round().max(1.0),
                "explained": e, "unexplained": u,
                "ye": 10.0 + height - he, "he": he, "yu": 10.0 + height - he - hu, "hu": hu}))
        })
        .collect();
    let total = f.counts.observed.max(1) as f64;
    json!({
        "status": f.status, "days": f.days, "since": f.since, "until": f.until,
        "headline": intune_audit_checks::failures::headline(f),
        "counts": f.counts,
        "explained_pct": (f.counts.explained as f64 / total * 100.0).round(),
        "streams": f.streams, "bars": bars, "chart_width": width, "chart_height": height + 30.0,
        "first_day": days.first(), "last_day": days.last(), "max": max,
        "unexplained": f.unexplained, "events": f.events.iter().take(25).collect::<Vec<_>>(),
    })
}
