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
    assert!(md.contains("| 1 | 0 | 24 | 9 | 3 | 0 |"), "{md}");
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

fn broken_sample_report() -> intune_audit_checks::Report {
    let path = sample("broken").expect("examples/tenants/broken.json");
    let text = std::fs::read_to_string(path).unwrap();
    report(&serde_json::from_str(&text).unwrap(), None)
}

/// Distinct (kind, id) of the objects of these kinds named by the failing and warning
/// findings that `keep` accepts (with the object).
fn distinct(
    r: &intune_audit_checks::Report,
    kinds: &[&str],
    keep: impl Fn(&intune_audit_checks::Finding, &intune_audit_checks::Affected) -> bool,
) -> std::collections::BTreeSet<(String, String)> {
    r.findings
        .iter()
        .filter(|f| f.status.is_problem())
        .flat_map(|f| f.affected.iter().map(move |a| (f, a)))
        .filter(|(f, a)| keep(f, a))
        .map(|(_, a)| (serde_json::to_string(&a.kind).unwrap(), a.id.clone()))
        .filter(|(k, _)| kinds.iter().any(|want| k == &format!("\"{want}\"")))
        .collect()
}

/// (named, named by a failing finding, only at risk) for objects of these kinds.
fn headline_counts(r: &intune_audit_checks::Report, kinds: &[&str]) -> (usize, usize, usize) {
    use intune_audit_checks::FindingStatus;
    let all = distinct(r, kinds, |_, _| true);
    let failing = distinct(r, kinds, |f, _| f.status == FindingStatus::Fail);
    let certain = distinct(r, kinds, |_, a| a.undetermined.is_none());
    (all.len(), failing.len(), all.difference(&certain).count())
}

#[test]
fn html_headline_counts_the_users_and_devices_the_findings_name() {
    let r = broken_sample_report();
    let page = html::render(&r, Severity::High).unwrap();
    let counted = [
        headline_counts(&r, &["user"]),
        headline_counts(&r, &["device"]),
        headline_counts(&r, &["autopilot_device", "autopilot_import"]),
    ];
    // The broken sample: 313 users, every one named by a failing check (215 by the corporate
    // identifiers alone), 0 only at risk; 7 devices, 45 Autopilot devices and imports.
    assert_eq!(counted, [(313, 313, 0), (7, 6, 0), (45, 43, 0)]);
    for ((n, failing, at_risk), label) in counted.iter().zip([
        "Users affected",
        "Devices affected",
        "Autopilot devices affected",
    ]) {
        let risk = if *at_risk > 0 {
            format!(" · {at_risk} only at risk")
        } else {
            String::new()
        };
        let card = format!(
            "<div class=\"n\">{n}</div><div class=\"k\">{label}</div><div class=\"sub\">{failing} by a failing check{risk}</div>"
        );
        assert!(page.contains(&card), "{card}");
    }
    // A tenant whose problems name nobody shows zeros, not a guess.
    let healthy = html::render(&report(&healthy_snapshot(), None), Severity::High).unwrap();
    assert!(healthy.contains("<div class=\"n\">0</div><div class=\"k\">Users affected</div>"));
}

#[test]
fn html_headline_says_which_users_are_only_at_risk() {
    let mut r = broken_sample_report();
    // Every object of every finding but one failing check becomes undetermined: those named by
    // no other finding as certain are now only at risk, and still counted (never dropped as
    // fine).
    let before = headline_counts(&r, &["user"]);
    for f in r
        .findings
        .iter_mut()
        .filter(|f| f.check != "users-without-intune-license")
    {
        for a in &mut f.affected {
            a.undetermined = Some("an assignment filter decides".into());
        }
    }
    let (n, failing, at_risk) = headline_counts(&r, &["user"]);
    assert_eq!((n, failing), (before.0, before.1));
    assert!(at_risk > 0 && at_risk < n, "{at_risk} of {n}");
    let page = html::render(&r, Severity::High).unwrap();
    assert!(page.contains(&format!(
        "<div class=\"n\">{n}</div><div class=\"k\">Users affected</div><div class=\"sub\">{failing} by a failing check · {at_risk} only at risk</div>"
    )));
}

/// The (label, count, width) of every bar of the area charts, in page order.
fn area_bars(page: &str) -> Vec<(String, usize, f64)> {
    let mut out = Vec::new();
    for chunk in page.split("<text x=\"0\" y=\"").skip(1) {
        let Some(label) = chunk.split('>').nth(1).and_then(|s| s.split('<').next()) else {
            continue;
        };
        let Some(width) = chunk
            .split("width=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
        else {
            continue;
        };
        let Some(n) = chunk.split("\">").nth(3).and_then(|s| s.split('<').next()) else {
            continue;
        };
        if let (Ok(w), Ok(n)) = (width.parse::<f64>(), n.parse::<usize>()) {
            out.push((label.to_string(), n, w));
        }
    }
    out
}

#[test]
fn html_area_charts_share_one_scale() {
    let page = html::render(&broken_sample_report(), Severity::High).unwrap();
    let bars = area_bars(&page);
    assert_eq!(bars.len(), 6 * 5, "six areas × five statuses: {bars:?}");
    let max = bars.iter().map(|b| b.1).max().unwrap();
    for (label, n, width) in &bars {
        let expected = if *n == 0 {
            0.0
        } else {
            (*n as f64 / max as f64 * 170.0).max(2.0)
        };
        assert!(
            (width - expected).abs() < 0.06,
            "{label} {n}: {width} vs {expected}"
        );
    }
    // Fourteen failing Autopilot checks set the scale; three failing Licensing checks are 3/14
    // of it.
    assert_eq!(max, 14);
    assert_eq!(bars[0].1, 3);
    assert!(
        (bars[0].2 - 3.0 / 14.0 * 170.0).abs() < 0.06,
        "{:?}",
        bars[0]
    );
    assert!(page.contains("the longest bar is 14 checks"));
}

#[test]
fn html_timestamps_are_to_the_second_in_utc() {
    let mut r = broken_sample_report();
    let page = html::render(&r, Severity::High).unwrap();
    assert!(page.contains("Data collected 2026-11-20 07:30:00 UTC"));
    r.collected_at = "2026-11-20T08:30:15.1234567+01:00".into();
    let page = html::render(&r, Severity::High).unwrap();
    assert!(page.contains("Data collected 2026-11-20 07:30:15 UTC"));
    r.collected_at = "yesterday".into();
    let page = html::render(&r, Severity::High).unwrap();
    assert!(
        page.contains("Data collected yesterday ·"),
        "not a timestamp: as it is"
    );
}

#[test]
fn html_evidence_is_readable_rows_not_json() {
    let page = html::render(&broken_sample_report(), Severity::High).unwrap();
    let evidence: Vec<&str> = page
        .split("<dl class=\"evidence\">")
        .skip(1)
        .map(|s| s.split("</dl>").next().unwrap_or(""))
        .collect();
    assert!(evidence.len() >= 20, "most findings carry evidence");
    for dl in &evidence {
        assert!(
            !dl.contains("{&quot;") && !dl.contains("[&quot;"),
            "raw JSON: {dl}"
        );
        assert!(
            !dl.contains("<dd>true</dd>") && !dl.contains("<dd>null</dd>"),
            "{dl}"
        );
    }
    // windows-mdm-platform-blocked: a list of configurations, each one row of key/values.
    assert!(
        page.contains("<dt class=\"d0\" title=\"blocking_configurations\">Blocking configurations</dt><dd>1 item</dd>"),
        "a humanized key with its raw key on hover"
    );
}

#[test]
fn html_print_layout_is_a4_and_cuts_long_affected_lists() {
    let r = broken_sample_report();
    let page = html::render(&r, Severity::High).unwrap();
    for css in [
        "@page { size:A4;",
        "@media print",
        "tr.more, details.evidence { display:none; }",
        ".print-only { display:block; }",
        "section.finding { padding:8px 10px; margin:8px 0; break-inside:auto; }",
    ] {
        assert!(page.contains(css), "print CSS: {css}");
    }
    assert!(
        !page.contains("avoid-page"),
        "whole sections are never kept on one page"
    );
    // Every finding with more than PRINT_AFFECTED objects: the rest marked for print, counted.
    let n = html::PRINT_AFFECTED;
    let long: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.status.is_problem() && f.affected.len() > n)
        .collect();
    assert!(!long.is_empty());
    let more_rows: usize = long.iter().map(|f| f.affected.len() - n).sum();
    assert_eq!(page.matches("<tr class=\"more\">").count(), more_rows);
    for f in &long {
        let note = format!(
            "… and {} more — see the CSV export (<code>--output affected.csv</code>) for every affected object.",
            f.affected.len() - n
        );
        assert!(page.contains(&note), "{}: {note}", f.check);
    }
    let named = html::render_with(&r, Severity::High, Some("contoso <affected>.csv")).unwrap();
    assert!(named.contains("more — see contoso &lt;affected&gt;.csv for every affected object."));
}
