//! SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! - one rule per check that ran (id, name, title, "What it checks", the fix as help, default
//!   level from the severity, error codes and article sections as properties);
//! - one result per failing or warning finding; waived ones carry a `suppressions` entry with
//!   the waiver's reason (their `level` and status are unchanged);
//! - affected objects are logical locations under the tenant (`run.logicalLocations`,
//!   referenced by index, tenant → configuration/group/user …);
//! - GitHub rejects a whole upload when any result lacks a physical location
//!   (`locationFromSarifResult: expected at least one location` / `expected a physical
//!   location`), so every result also points at a stable file: the snapshot the audit read
//!   (`--sarif-artifact`), line 1. `partialFingerprints` are set from tenant + check so an
//!   alert stays the same alert across nightly runs and closes when the check passes.

use super::{kind_name, problems, what_it_checks};
use intune_audit_checks::{Finding, Report, Severity};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const SARIF_SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Logical locations listed per result; the total is in the result's properties.
pub const MAX_LOCATIONS_PER_RESULT: usize = 1000;

/// Where results point for a physical location when nothing else is given.
pub const DEFAULT_ARTIFACT: &str = "intune-audit-snapshot.json";

pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "note",
    }
}

/// The SARIF log as JSON text. `artifact` is the repository-relative path results point at.
pub fn render(report: &Report, artifact: &str) -> String {
    super::json(&log(report, artifact))
}

pub fn log(report: &Report, artifact: &str) -> Value {
    let artifact = normalise_uri(artifact);
    // Rules: one per check that ran, in report order.
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules = Vec::new();
    for f in &report.findings {
        if rule_index.contains_key(f.check.as_str()) {
            continue;
        }
        rule_index.insert(&f.check, rules.len());
        rules.push(rule(f));
    }
    // Logical locations: the tenant, then each affected object once.
    let tenant_name = if report.tenant.name.is_empty() {
        report.tenant.id.clone()
    } else {
        report.tenant.name.clone()
    };
    let mut logical = vec![json!({
        "name": tenant_name,
        "fullyQualifiedName": format!("tenant/{}", report.tenant.id),
        "kind": "namespace",
        "properties": {"tenantId": report.tenant.id},
    })];
    let mut logical_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut results = Vec::new();
    for f in problems(report) {
        let mut refs = Vec::new();
        for a in f.affected.iter().take(MAX_LOCATIONS_PER_RESULT) {
            let fqn = format!("tenant/{}/{}/{}", report.tenant.id, kind_name(a.kind), a.id);
            let index = *logical_index.entry(fqn.clone()).or_insert_with(|| {
                logical.push(json!({
                    "name": if a.name.is_empty() { a.id.clone() } else { a.name.clone() },
                    "fullyQualifiedName": fqn.clone(),
                    "kind": "object",
                    "parentIndex": 0,
                    "properties": {"objectKind": kind_name(a.kind), "id": a.id},
                }));
                logical.len() - 1
            });
            refs.push(json!({"index": index, "fullyQualifiedName": fqn}));
        }
        if refs.is_empty() {
            refs.push(
                json!({"index": 0, "fullyQualifiedName": format!("tenant/{}", report.tenant.id)}),
            );
        }
        let fingerprint = fnv1a(&format!("{}\u{0}{}", report.tenant.id, f.check));
        let mut result = json!({
            "ruleId": f.check,
            "ruleIndex": rule_index.get(f.check.as_str()).copied().unwrap_or(0),
            "kind": "fail",
            "level": level(f.severity),
            "message": {"text": sentence(&f.summary)},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact},
                    "region": {"startLine": 1},
                },
                "logicalLocations": refs,
            }],
            "partialFingerprints": {
                "intuneAuditFinding/v1": fingerprint,
                "primaryLocationLineHash": format!("{fingerprint}:1"),
            },
            "properties": {
                "status": f.status.as_str(),
                "severity": f.severity.as_str(),
                "errorCodes": f.error_codes,
                "affectedTotal": f.affected_total,
                "tags": ["intune", "windows-enrollment", super::area_of(f)],
            },
        });
        if let Some(o) = &f.observed {
            // Confirmed: affected subjects failed to enroll in the history window.
            result["properties"]["observedFailures"] =
                json!({"subjects": o.subjects, "events": o.events, "days": o.days});
        }
        if let (true, Some(w)) = (f.waived, &f.waiver) {
            result["suppressions"] = json!([{
                "kind": "external",
                "status": "accepted",
                "justification": w.reason,
                "properties": {"expires": w.expires, "objects": w.objects, "source": w.source},
            }]);
        }
        results.push(result);
    }
    let notifications: Vec<Value> = report
        .waivers
        .iter()
        .filter(|w| w.state != "applied")
        .map(|w| {
            json!({
                "level": "warning",
                "message": {"text": sentence(&format!(
                    "Waiver for {} ({}) is {}: {}",
                    w.check, w.source, w.state,
                    if w.state == "expired" { format!("it expired on {} and its findings count again", w.expires) }
                    else { "it matched no failing or warning finding".to_string() }
                ))},
                "descriptor": {"id": "waiver"},
                "properties": {"check": w.check, "state": w.state, "expires": w.expires},
            })
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "intune-audit",
                "fullName": "intune-audit: Windows enrollment readiness of a Microsoft 365 tenant",
                "version": report.tool_version,
                "semanticVersion": semver(&report.tool_version),
                "rules": rules,
            }},
            "automationDetails": {"id": format!("intune-audit/{}/", report.tenant.id)},
            "invocations": [{
                "executionSuccessful": true,
                "toolConfigurationNotifications": notifications,
            }],
            "logicalLocations": logical,
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {
                "tenantId": report.tenant.id,
                "tenantName": report.tenant.name,
                "collectedAt": report.collected_at,
                "failures": report.summary.failures,
            },
        }],
    })
}

fn rule(f: &Finding) -> Value {
    let steps = &f.remediation;
    let help_text = if steps.is_empty() {
        format!("See `intune-audit explain {}`.", f.check)
    } else {
        steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {s}", i + 1))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let help_markdown = help_markdown(f, &help_text);
    let default_severity = f.default_severity.unwrap_or(f.severity);
    let mut rule = json!({
        "id": f.check,
        "name": pascal(&f.check),
        "shortDescription": {"text": sentence(&f.title)},
        "fullDescription": {"text": sentence(&what_it_checks(f))},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": level(default_severity)},
        "properties": {
            "severity": default_severity.as_str(),
            "errorCodes": f.error_codes,
            "articleSections": f.article_sections,
            "area": super::area_of(f),
            "tags": ["intune", "windows-enrollment"],
            "references": f.references.iter().map(|r| format!("{} — {}: {}", r.title, r.heading, r.url)).collect::<Vec<_>>(),
        },
    });
    // The current Microsoft page that documents the cause: where "Learn more" in code
    // scanning leads.
    if let Some(first) = f.references.first() {
        rule["helpUri"] = json!(first.url);
    }
    rule
}

/// The rule's help: what the check looks at, the fix and Microsoft's pages, from the finding.
fn help_markdown(f: &Finding, steps: &str) -> String {
    let mut md = format!(
        "## What it checks\n{}\n\n## Remediation\n{steps}\n",
        what_it_checks(f)
    );
    if !f.references.is_empty() {
        md.push_str("\n## Microsoft documentation\n");
        for r in &f.references {
            md.push_str(&format!("- [{} — {}]({})\n", r.title, r.heading, r.url));
        }
    }
    md
}

/// `windows-mdm-platform-blocked` → `WindowsMdmPlatformBlocked` (SARIF rule names are
/// identifiers).
fn pascal(id: &str) -> String {
    id.split(['-', '_'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// SARIF viewers expect messages that end with a period.
fn sentence(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() {
        return "No details.".into();
    }
    if t.ends_with(['.', '!', '?']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

/// `0.1.0` stays, anything else becomes `0.0.0` (semanticVersion must be SemVer).
fn semver(v: &str) -> String {
    let parts: Vec<&str> = v.split('.').collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        v.to_string()
    } else {
        "0.0.0".into()
    }
}

/// Relative, forward slashes, no leading `./` (GitHub resolves it against the checkout).
fn normalise_uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.trim_start_matches("./").to_string();
    let p = if p.is_empty() {
        DEFAULT_ARTIFACT.to_string()
    } else {
        p
    };
    p.chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '#' => "%23".to_string(),
            '?' => "%3F".to_string(),
            '%' => "%25".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// 64-bit FNV-1a as 16 hex digits: a stable fingerprint without a hashing dependency.
pub fn fnv1a(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(
            pascal("windows-mdm-platform-blocked"),
            "WindowsMdmPlatformBlocked"
        );
        assert_eq!(sentence("Blocked"), "Blocked.");
        assert_eq!(sentence("Blocked."), "Blocked.");
        assert_eq!(semver("0.1.0"), "0.1.0");
        assert_eq!(semver("test"), "0.0.0");
        assert_eq!(normalise_uri("./snap shots/a.json"), "snap%20shots/a.json");
        assert_eq!(fnv1a("a"), fnv1a("a"));
        assert_ne!(fnv1a("a"), fnv1a("b"));
    }
}
