//! HTML (self-contained, escaped, verdict, charts) and Markdown (compact, escaped).

mod reports_support;
use intune_audit::render::{html, markdown};
use intune_audit_checks::Severity;
use reports_support::*;

#[test]
fn html_escapes_everything_from_the_tenant() {
    let r = report(&broken_snapshot(), None);
    let page = html::render(&r, Severity::High).unwrap();
    // The tenant name, a configuration name and a user principal name all carry a script tag.
    assert!(
        !page.contains(XSS),
        "raw script tag from the tenant in the HTML"
    );
    assert!(!page.contains("<img src=x"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    // Exactly one <script> element: the report's own filter script.
    assert_eq!(page.matches("<script").count(), 1);
}

#[test]
fn html_is_self_contained_with_verdict_and_charts() {
    for (name, snap) in all_snapshots() {
        let r = report(&snap, None);
        let page = html::render(&r, Severity::High).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"), "{name}");
        for external in ["<link", "src=\"http", "src='http", "@import", "url(http"] {
            assert!(
                !page.contains(external),
                "{name}: external asset {external}"
            );
        }
        assert!(page.contains("@media print"), "{name}: print CSS");
        assert!(page.contains("<svg"), "{name}: a chart per area");
    }
    let broken = html::render(&report(&broken_snapshot(), None), Severity::High).unwrap();
    assert!(broken.contains("class=\"verdict notready\""));
    assert!(broken.contains("Errors users see"));
    assert!(
        broken.contains("In the Intune admin center"),
        "the fix is shown"
    );
    let healthy = html::render(&report(&healthy_snapshot(), None), Severity::High).unwrap();
    assert!(healthy.contains("class=\"verdict ready\""));
    // A critical failure below a `critical` threshold is still not ready; above `info` too.
    let low_bar = html::render(&report(&broken_snapshot(), None), Severity::Critical).unwrap();
    assert!(low_bar.contains("verdict notready"));
}

#[test]
fn waived_findings_show_as_waived_and_ready_with_warnings_is_possible() {
    let cfg = "[[waiver]]\ncheck = \"windows-mdm-platform-blocked\"\nreason = \"Kiosk <policy>\"\nexpires = 2030-01-01\n";
    let r = report(&broken_snapshot(), Some(cfg));
    let page = html::render(&r, Severity::High).unwrap();
    assert!(page.contains("waived until 2030-01-01"));
    assert!(page.contains("Kiosk &lt;policy&gt;"));
    assert!(
        page.contains("class=\"verdict ready\""),
        "a waived finding does not block readiness"
    );
}

#[test]
fn markdown_summary() {
    let r = report(&broken_snapshot(), None);
    let md = markdown::render(&r, Severity::High);
    assert!(md.starts_with("## ❌ intune-audit: Not ready"));
    assert!(md.contains("| 1 | 0 | 15 | 8 | 2 | 0 |"), "{md}");
    assert!(
        md.contains("| critical | `windows-mdm-platform-blocked` | Fail | 3 |"),
        "{md}"
    );
    assert!(md.contains("<details><summary>"));
    assert!(
        !md.contains(XSS),
        "script tags are escaped for GitHub's Markdown"
    );
    assert!(md.contains("&lt;script&gt;"));
    insta::assert_snapshot!("markdown_broken", md);
}

#[test]
fn markdown_escapes_table_breakers() {
    assert_eq!(markdown::escape("a|b\n<c>"), "a\\|b &lt;c&gt;");
    assert_eq!(markdown::escape("*x* [y](z)"), "\\*x\\* \\[y\\](z)");
}
