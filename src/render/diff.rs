//! `diff` as text and Markdown.

use crate::render::markdown::escape;
use intune_audit_checks::report::Severity;
use intune_audit_checks::report_diff::{Diff, FindingChange, Section};
use std::fmt::Write;

fn header(diff: &Diff) -> String {
    format!(
        "{} {} ({}) → {} {} ({})",
        diff.old.kind,
        diff.old.path,
        diff.old.collected_at,
        diff.new.kind,
        diff.new.path,
        diff.new.collected_at
    )
}

fn change_line(f: &FindingChange) -> String {
    let mut s = format!("[{}] {} — {}", f.severity.as_str(), f.check, f.title);
    if f.status != f.old_status {
        let _ = write!(s, " ({} → {})", f.old_status, f.status);
    }
    if !f.affected_added.is_empty() {
        let _ = write!(s, "; +{} affected", f.affected_added.len());
    }
    if !f.affected_removed.is_empty() {
        let _ = write!(s, "; -{} affected", f.affected_removed.len());
    }
    if f.waived {
        s.push_str(" (waived)");
    }
    s
}

pub fn text(diff: &Diff, fail_on: Severity) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "intune-audit diff — {}\n", header(diff));
    if diff.old.tenant_id != diff.new.tenant_id {
        let _ = writeln!(
            out,
            "Note: the two sides are different tenants ({} / {}).\n",
            diff.old.tenant_id, diff.new.tenant_id
        );
    }
    if diff.settings_compared {
        let _ = writeln!(out, "Settings changed ({}):", diff.settings.len());
        for c in &diff.settings {
            let _ = writeln!(out, "  - {}", c.text());
        }
        out.push('\n');
    } else {
        let _ = writeln!(
            out,
            "Settings not compared: they are only in snapshots ({} → {}).\n",
            diff.old.kind, diff.new.kind
        );
    }
    for (section, list) in diff.finding_sections() {
        let title = match section {
            Section::Appeared => "Findings that appeared",
            Section::Resolved => "Findings resolved",
            Section::Persisted => "Findings that persist",
            Section::Unevaluated => "No longer evaluated",
        };
        let _ = writeln!(out, "{title} ({}):", list.len());
        for f in list {
            let worse = if f.worsened { " — WORSE" } else { "" };
            let _ = writeln!(out, "  - {}{worse}", change_line(f));
        }
        out.push('\n');
    }
    let regressions = diff.regressions(fail_on);
    let _ = writeln!(
        out,
        "{} new or worsened finding(s) at {} or above.",
        regressions.len(),
        fail_on.as_str()
    );
    out
}

pub fn markdown(diff: &Diff, fail_on: Severity) -> String {
    let mut out = String::new();
    let regressions = diff.regressions(fail_on);
    let _ = writeln!(
        out,
        "## {} intune-audit drift\n\n{}\n",
        if regressions.is_empty() { "✅" } else { "❌" },
        escape(&header(diff))
    );
    if diff.settings_compared {
        let _ = writeln!(out, "### Settings changed ({})\n", diff.settings.len());
        if !diff.settings.is_empty() {
            let _ = writeln!(
                out,
                "| Area | Object | Setting | Before | After |\n|---|---|---|---|---|"
            );
            for c in &diff.settings {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    escape(&c.area),
                    escape(&c.subject),
                    escape(&c.setting),
                    escape(&c.before),
                    escape(&c.after)
                );
            }
            out.push('\n');
        }
    }
    for (section, list) in diff.finding_sections() {
        let title = match section {
            Section::Appeared => "Appeared",
            Section::Resolved => "Resolved",
            Section::Persisted => "Persisting",
            Section::Unevaluated => "No longer evaluated",
        };
        let _ = writeln!(out, "### {title} ({})\n", list.len());
        for f in list {
            let worse = if f.worsened { " **worse**" } else { "" };
            let _ = writeln!(out, "- {}{worse}", escape(&change_line(f)));
        }
        if !list.is_empty() {
            out.push('\n');
        }
    }
    let _ = writeln!(
        out,
        "{} new or worsened finding(s) at {} or above.",
        regressions.len(),
        fail_on.as_str()
    );
    out
}
