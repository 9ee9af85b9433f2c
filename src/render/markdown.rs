//! Compact Markdown for `$GITHUB_STEP_SUMMARY` and pull-request comments: verdict, counts, a
//! table of failing/warning checks, details collapsed. Everything from the tenant is escaped
//! (GitHub renders inline HTML in Markdown).

use super::{problems, status_label, Verdict};
use intune_audit_checks::{FindingStatus, Report, Severity};
use std::fmt::Write;

/// Affected objects listed per finding in the collapsed details.
const MAX_AFFECTED: usize = 20;

pub fn render(report: &Report, fail_on: Severity) -> String {
    let report = &super::safe::report(report, super::safe::visible, super::safe::visible_line);
    let verdict = Verdict::of(report, fail_on);
    let icon = match verdict {
        Verdict::Ready => "✅",
        Verdict::ReadyWithWarnings => "⚠️",
        Verdict::NotReady => "❌",
    };
    let mut out = String::new();
    let tenant = if report.tenant.name.is_empty() {
        escape(&report.tenant.id)
    } else {
        format!(
            "{} (`{}`)",
            escape(&report.tenant.name),
            code(&report.tenant.id)
        )
    };
    let _ = writeln!(
        out,
        "## {icon} intune-audit: {} — {tenant}\n",
        verdict.label()
    );
    let _ = writeln!(
        out,
        "Data collected {} · fail-on {} · intune-audit {}\n",
        escape(&report.collected_at),
        fail_on.as_str(),
        escape(&report.tool_version)
    );
    let count = |s: FindingStatus| {
        report
            .summary
            .by_status
            .get(s.as_str())
            .copied()
            .unwrap_or(0)
    };
    let _ = writeln!(
        out,
        "| Fail | Warn | Not evaluated | Pass | Not applicable | Waived |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |\n",
        count(FindingStatus::Fail),
        count(FindingStatus::Warn),
        count(FindingStatus::NotEvaluated),
        count(FindingStatus::Pass),
        count(FindingStatus::NotApplicable),
        report.summary.waived
    );
    if let Some(f) = &report.failures {
        let _ = writeln!(
            out,
            "**Observed failures:** {}\n",
            escape(&intune_audit_checks::failures::headline(f))
        );
    }
    let problems = problems(report);
    if problems.is_empty() {
        let _ = writeln!(out, "No failing or warning checks.\n");
    } else {
        let _ = writeln!(out, "| Severity | Check | Status | Affected | Summary |");
        let _ = writeln!(out, "|---|---|---|---:|---|");
        for f in &problems {
            let status = if f.waived {
                format!("{} (waived)", status_label(f.status))
            } else {
                status_label(f.status).to_string()
            };
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} |",
                f.severity.as_str(),
                code(&f.check),
                status,
                f.affected_total,
                escape(&f.summary)
            );
        }
        out.push('\n');
        for f in &problems {
            let _ = writeln!(
                out,
                "<details><summary><code>{}</code> — {}</summary>\n",
                html(&f.check),
                html(&f.title)
            );
            if !f.error_codes.is_empty() {
                let _ = writeln!(
                    out,
                    "Errors users see: {}\n",
                    escape(&f.error_codes.join(", "))
                );
            }
            if let Some(w) = f.waiver.as_ref().filter(|_| f.waived) {
                let _ = writeln!(
                    out,
                    "Waived until {}: {}\n",
                    escape(&w.expires),
                    escape(&w.reason)
                );
            }
            if f.affected_total > 0 {
                let _ = writeln!(out, "Affected ({}):\n", f.affected_total);
                for a in f.affected.iter().take(MAX_AFFECTED) {
                    let _ = writeln!(
                        out,
                        "- {} {} (`{}`)",
                        super::kind_name(a.kind),
                        escape(&a.name),
                        code(&a.id)
                    );
                }
                if f.affected_total > MAX_AFFECTED {
                    let _ = writeln!(
                        out,
                        "- … and {} more (see the HTML or JSON report)",
                        f.affected_total - MAX_AFFECTED
                    );
                }
                out.push('\n');
            }
            if !f.remediation.is_empty() {
                let _ = writeln!(out, "Fix:\n");
                for (i, s) in f.remediation.iter().enumerate() {
                    let _ = writeln!(out, "{}. {}", i + 1, escape(s));
                }
                out.push('\n');
            }
            let _ = writeln!(out, "</details>\n");
        }
    }
    let not_evaluated: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::NotEvaluated)
        .collect();
    if !not_evaluated.is_empty() {
        let _ = writeln!(out, "**Not evaluated ({}):**\n", not_evaluated.len());
        for f in not_evaluated {
            let grant = if f.permissions.is_empty() {
                String::new()
            } else {
                format!(" — grant {}", escape(&f.permissions.join(", ")))
            };
            let _ = writeln!(
                out,
                "- `{}`: {}{grant}",
                code(&f.check),
                escape(f.reason.as_deref().unwrap_or(&f.summary))
            );
        }
        out.push('\n');
    }
    let notes: Vec<_> = report
        .waivers
        .iter()
        .filter(|w| w.state != "applied")
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "**Waivers needing attention:**\n");
        for w in notes {
            let _ = writeln!(
                out,
                "- `{}` ({}): {} — {}",
                code(&w.check),
                escape(&w.source),
                w.state,
                if w.state == "expired" {
                    format!("expired {}, its findings count again", escape(&w.expires))
                } else {
                    "matched no failing or warning finding".into()
                }
            );
        }
        out.push('\n');
    }
    if let Some(f) = &report.failures {
        failures(&mut out, f);
    }
    out
}

/// The "Observed failures" section: confirmed findings, unexplained groups, recent failures.
fn failures(out: &mut String, f: &intune_audit_checks::report::ObservedFailures) {
    let _ = writeln!(out, "### Observed failures (last {} days)\n", f.days);
    for s in f.streams.iter().filter(|s| s.status != "ok") {
        let _ = writeln!(
            out,
            "- `{}` not evaluated: {}",
            code(&s.resource),
            escape(s.reason.as_deref().unwrap_or(""))
        );
    }
    if f.status == "not_evaluated" {
        out.push('\n');
        return;
    }
    let _ = writeln!(
        out,
        "| Observed | Explained by a finding | Unexplained |\n|---:|---:|---:|\n| {} | {} | {} |\n",
        f.counts.observed, f.counts.explained, f.counts.unexplained
    );
    if !f.unexplained.is_empty() {
        let _ = writeln!(
            out,
            "| Failures | Stream | Class | Raw category | Raw reason | Points at |"
        );
        let _ = writeln!(out, "|---:|---|---|---|---|---|");
        for g in &f.unexplained {
            let mut points: Vec<String> = g
                .device_causes
                .iter()
                .map(|d| format!("`{}`", code(d)))
                .collect();
            if points.is_empty() {
                points.push("no documented cause".into());
            }
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | `{}` | {} | {} |",
                g.events,
                code(&g.stream),
                escape(&g.class),
                code(&g.category),
                escape(&g.reason),
                points.join(", ")
            );
        }
        out.push('\n');
    }
    let recent: Vec<_> = f.events.iter().take(10).collect();
    if !recent.is_empty() {
        let _ = writeln!(out, "<details><summary>Most recent failures</summary>\n");
        let _ = writeln!(out, "| When | Subject | Class | Explained by |");
        let _ = writeln!(out, "|---|---|---|---|");
        for e in recent {
            let subject = [e.user.as_deref(), e.device.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" / ");
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                escape(&e.at),
                escape(&subject),
                escape(&e.class),
                if e.explained_by.is_empty() {
                    "unexplained".to_string()
                } else {
                    e.explained_by
                        .iter()
                        .map(|c| format!("`{}`", code(c)))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
}

/// Escapes text for a Markdown table cell or list item: Markdown punctuation, HTML, pipes and
/// line breaks.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a code span: backticks and pipes cannot be escaped there, so they are replaced.
fn code(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '`' => '\'',
            '|' => '¦',
            '\n' | '\r' => ' ',
            c => c,
        })
        .collect()
}

/// Text inside raw HTML (`<summary>`).
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
