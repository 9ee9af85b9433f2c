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
    assert!(md.contains("| 1 | 0 | 22 | 9 | 3 | 0 |"), "{md}");
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

/// Every `src=`/`href=` attribute value in a page.
/// URLs the page would load (`src`, and `href` outside `<a>` links, which only navigate).
fn attribute_urls(page: &str) -> Vec<String> {
    attribute_values(page, |attr, tag| attr == "src=" || !tag.starts_with("<a "))
}

/// The `href` of `<a>` links.
fn link_urls(page: &str) -> Vec<String> {
    attribute_values(page, |attr, tag| attr == "href=" && tag.starts_with("<a "))
}

fn attribute_values(page: &str, keep: impl Fn(&str, &str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=", "href="] {
        for (i, _) in page.match_indices(attr) {
            let tag = &page[page[..i].rfind('<').unwrap_or(0)..i];
            if !keep(attr, tag) {
                continue;
            }
            let rest = &page[i + attr.len()..];
            let value: String = match rest.chars().next() {
                Some(q @ ('"' | '\'')) => rest[1..].chars().take_while(|c| *c != q).collect(),
                _ => rest
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '>')
                    .collect(),
            };
            out.push(value);
        }
    }
    out
}

#[test]
fn html_of_the_samples_through_the_cli_loads_nothing_and_escapes_names() {
    let dir = tempdir();
    let built = write(dir.path(), "built.json", &broken_snapshot().to_string());
    let mut inputs = vec![built];
    inputs.extend(["healthy", "broken"].iter().filter_map(|n| sample(n)));
    assert_eq!(inputs.len(), 3, "the sample tenants are shipped");
    for snap in inputs {
        let out_path = dir.path().join("r.html");
        let out = bin()
            .args(["audit", "--snapshot"])
            .arg(&snap)
            .arg("--output")
            .arg(&out_path)
            .output()
            .unwrap();
        assert_ne!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let page = std::fs::read_to_string(&out_path).unwrap();
        assert!(!page.contains("<script src"), "no external script");
        for url in attribute_urls(&page) {
            assert!(
                !url.starts_with("http:") && !url.starts_with("https:") && !url.starts_with("//"),
                "{snap:?}: external asset {url}"
            );
        }
        // Links go only to Microsoft's documentation (the checks' references).
        for url in link_urls(&page).iter().filter(|u| !u.starts_with('#')) {
            assert!(
                url.starts_with("https:&#x2f;&#x2f;learn.microsoft.com&#x2f;"),
                "{snap:?}: link {url}"
            );
        }
        assert!(
            !page.contains(XSS),
            "{snap:?}: a raw script tag from the tenant"
        );
        assert_eq!(
            page.matches("<script").count(),
            1,
            "only the report's own inline script"
        );
    }
}

#[test]
fn html_shows_code_spans_of_descriptions_as_code_and_still_escapes() {
    // A tenant whose MDM authority check fails: its description has a code span.
    let mut snap = broken_snapshot();
    snap["resources"]["organization"] = serde_json::json!({"path": "/test/organization", "status": "ok",
        "items": [{"id": TENANT, "displayName": "Contoso", "mobileDeviceManagementAuthority": "office365", "verifiedDomains": []}]});
    let page = html::render(&report(&snap, None), Severity::High).unwrap();
    assert!(
        page.contains("The organization&#x27;s <code>mobileDeviceManagementAuthority</code>"),
        "a description's code span"
    );
    assert_eq!(page.matches('`').count(), 0, "no raw backticks left");
    let page = "<a href=\"https://x\">x</a><img src=a.png><link href=\"s.css\">";
    assert_eq!(attribute_urls(page), ["a.png", "s.css"]);
    assert_eq!(link_urls(page), ["https://x"]);
}

#[test]
fn escape_sequences_in_names_never_reach_html_or_markdown() {
    let mut r = report(&broken_snapshot(), None);
    let evil = "Kiosk\u{1b}]0;owned\u{7}\u{9b}2J\u{7f}";
    let f = r
        .findings
        .iter_mut()
        .find(|f| f.status.is_problem() && !f.affected.is_empty())
        .expect("a finding with affected objects");
    f.affected[0].name = evil.into();
    f.summary = format!("blocked by '{evil}'");
    let page = html::render(&r, Severity::High).unwrap();
    let md = markdown::render(&r, Severity::High);
    for (name, out) in [("html", &page), ("markdown", &md)] {
        let bad: Vec<char> = out
            .chars()
            .filter(|&c| c.is_control() && c != '\n' && c != '\t')
            .collect();
        assert!(bad.is_empty(), "{name}: control characters {bad:?}");
        assert!(
            out.contains("x1b") && out.contains("0;owned"),
            "{name}: shown as escapes"
        );
    }
}
