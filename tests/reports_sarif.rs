//! SARIF: validates against the vendored official SARIF 2.1.0 schema (OASIS errata01,
//! tests/sarif-schema-2.1.0.json) and carries what GitHub code scanning needs.

mod reports_support;
use intune_audit::render::sarif;
use reports_support::*;
use serde_json::Value;

fn validate(doc: &Value) {
    let schema: Value =
        serde_json::from_str(include_str!("sarif-schema-2.1.0.json")).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
}

const WAIVER: &str = r#"
[[waiver]]
check = "windows-mdm-platform-blocked"
objects = ["kiosk"]
reason = "Kiosks enroll through a provisioning package"
expires = 2027-01-31
"#;

#[test]
fn every_snapshot_validates_against_the_official_schema() {
    for (name, snap) in all_snapshots() {
        for config in [None, Some(WAIVER)] {
            let r = report(&snap, config.filter(|_| name == "built-broken"));
            let doc = sarif::log(&r, "snapshots/tenant.json");
            validate(&doc);
            let text = sarif::render(&r, "x.json");
            let back: Value = serde_json::from_str(&text).expect("rendered SARIF is JSON");
            assert_eq!(back["version"], "2.1.0", "{name}");
        }
    }
}

#[test]
fn the_schema_rejects_a_broken_log() {
    // Guards the test itself: the validator really applies the schema.
    let schema: Value = serde_json::from_str(include_str!("sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "fatal"}]}]});
    assert!(!validator.is_valid(&bad));
}

#[test]
fn rules_results_and_locations() {
    let r = report(&broken_snapshot(), None);
    let doc = sarif::log(&r, "./snapshots/tenant.json");
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), r.findings.len(), "one rule per check that ran");
    let rule = rules
        .iter()
        .find(|r| r["id"] == "windows-mdm-platform-blocked")
        .expect("a rule for the failing check");
    assert_eq!(rule["name"], "WindowsMdmPlatformBlocked");
    assert_eq!(
        rule["defaultConfiguration"]["level"], "error",
        "critical → error"
    );
    assert!(rule["fullDescription"]["text"]
        .as_str()
        .unwrap()
        .contains("platform restriction"));
    assert!(rule["help"]["text"].as_str().unwrap().starts_with("1. "));
    assert!(rule["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("## Remediation"));
    assert_eq!(rule["properties"]["errorCodes"][0], "0x80180014");

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "one result per failing check");
    let res = &results[0];
    assert_eq!(res["ruleId"], "windows-mdm-platform-blocked");
    assert_eq!(res["level"], "error");
    // GitHub needs a physical location with an artifact URI on every result.
    for result in results {
        let uri = &result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
        assert_eq!(uri, "snapshots/tenant.json");
        assert!(result["partialFingerprints"]["primaryLocationLineHash"].is_string());
    }
    // Affected objects are logical locations under the tenant.
    let logical = run["logicalLocations"].as_array().unwrap();
    assert_eq!(logical[0]["kind"], "namespace");
    assert_eq!(logical[0]["fullyQualifiedName"], format!("tenant/{TENANT}"));
    let refs = res["locations"][0]["logicalLocations"].as_array().unwrap();
    let fqns: Vec<&str> = refs
        .iter()
        .map(|l| l["fullyQualifiedName"].as_str().unwrap())
        .collect();
    assert!(
        fqns.contains(&format!("tenant/{TENANT}/configuration/kiosk").as_str()),
        "{fqns:?}"
    );
    assert!(fqns.contains(&format!("tenant/{TENANT}/user/u6").as_str()));
    for l in refs {
        let i = l["index"].as_u64().unwrap() as usize;
        assert_eq!(logical[i]["fullyQualifiedName"], l["fullyQualifiedName"]);
        assert_eq!(logical[i]["parentIndex"], 0);
    }
    assert!(res.get("suppressions").is_none());
}

#[test]
fn fingerprints_are_stable_across_runs_and_affected_sets() {
    let a = sarif::log(&report(&broken_snapshot(), None), "s.json");
    let mut other = broken_snapshot();
    other["resources"]["users"]["items"]
        .as_array_mut()
        .unwrap()
        .push(user(9, "Nine"));
    other["resources"]["groupMembers"]["items"][0]["members"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"@odata.type": "#microsoft.graph.user", "id": "u9"}));
    let b = sarif::log(&report(&other, None), "s.json");
    assert_eq!(
        a["runs"][0]["results"][0]["partialFingerprints"],
        b["runs"][0]["results"][0]["partialFingerprints"]
    );
}

#[test]
fn waived_findings_are_suppressed_with_their_justification() {
    let r = report(&broken_snapshot(), Some(WAIVER));
    let doc = sarif::log(&r, "s.json");
    let res = &doc["runs"][0]["results"][0];
    assert_eq!(res["level"], "error", "a waiver keeps the original level");
    assert_eq!(
        res["properties"]["status"], "fail",
        "and the original status"
    );
    let s = &res["suppressions"][0];
    assert_eq!(s["kind"], "external");
    assert_eq!(s["status"], "accepted");
    assert_eq!(
        s["justification"],
        "Kiosks enroll through a provisioning package"
    );
    assert_eq!(s["properties"]["expires"], "2027-01-31");
}

#[test]
fn expired_and_unused_waivers_become_tool_notifications() {
    let config = r#"
[[waiver]]
check = "windows-mdm-platform-blocked"
reason = "old decision"
expires = 2026-01-01
"#;
    let r = report(&broken_snapshot(), Some(config));
    let doc = sarif::log(&r, "s.json");
    validate(&doc);
    let n = &doc["runs"][0]["invocations"][0]["toolConfigurationNotifications"][0];
    assert_eq!(n["properties"]["state"], "expired");
    assert!(
        doc["runs"][0]["results"][0].get("suppressions").is_none(),
        "expired waivers do not suppress"
    );
}

/// What GitHub code scanning requires of an uploaded log (docs.github.com, "SARIF support for
/// code scanning" and "SARIF results exceed one or more limits"): every result has a message
/// and at least one physical location whose URI is repository-relative (no scheme, no leading
/// slash: otherwise "locationFromSarifResult: expected at least one location" or
/// "unrecognized SARIF location URI scheme"), a ruleId of a rule in the run, and stable
/// partialFingerprints; at most 20 runs, 25,000 results and rules per run, 1,000 locations per
/// result and 20 tags per rule.
fn assert_github_accepts(doc: &Value, artifact: &str) {
    let runs = doc["runs"].as_array().expect("runs");
    assert!(!runs.is_empty() && runs.len() <= 20);
    for run in runs {
        assert!(run["tool"]["driver"]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()));
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        assert!(rules.len() <= 25_000);
        for rule in rules {
            let tags = rule["properties"]["tags"].as_array().map_or(0, Vec::len);
            assert!(tags <= 20, "{}", rule["id"]);
            assert!(rule["shortDescription"]["text"].is_string());
        }
        let results = run["results"].as_array().expect("results");
        assert!(results.len() <= 25_000);
        for r in results {
            let id = r["ruleId"].as_str().expect("ruleId");
            let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], id, "ruleIndex points at the rule");
            assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
            let locations = r["locations"].as_array().expect("locations");
            assert!(!locations.is_empty() && locations.len() <= 1000, "{id}");
            for l in locations {
                let uri = l["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .expect("a physical location on every result");
                assert_eq!(uri, artifact);
                assert!(!uri.starts_with('/') && !uri.contains(':'), "{uri}");
                assert!(l["physicalLocation"]["region"]["startLine"].as_u64() >= Some(1));
            }
            assert!(r["partialFingerprints"]["primaryLocationLineHash"].is_string());
        }
    }
}

#[test]
fn the_sample_tenants_through_the_cli_validate_and_suit_github() {
    let dir = tempdir();
    for name in ["healthy", "broken"] {
        let snap = sample(name).expect("sample tenants are shipped");
        let out_path = dir.path().join(format!("{name}.sarif"));
        let out = bin()
            .args([
                "audit",
                "--sarif-artifact",
                "snapshots/tenant.json",
                "--snapshot",
            ])
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
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
        validate(&doc);
        assert_github_accepts(&doc, "snapshots/tenant.json");
        let results = doc["runs"][0]["results"].as_array().unwrap();
        let failing = report(
            &serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap(),
            None,
        )
        .findings
        .iter()
        .filter(|f| f.status.is_problem())
        .count();
        assert_eq!(
            results.len(),
            failing,
            "{name}: one result per failing or warning check"
        );
        assert_eq!(name == "healthy", results.is_empty());
    }
}

#[test]
fn sarif_artifact_must_be_repository_relative() {
    let dir = tempdir();
    let snap = write(dir.path(), "s.json", &broken_snapshot().to_string());
    for bad in [
        "/abs/tenant.json",
        "C:\\audit\\tenant.json",
        "https://example.com/t.json",
        "../t.json",
        "",
    ] {
        let out = bin()
            .args([
                "audit",
                "--output",
                "-",
                "--format",
                "sarif",
                "--sarif-artifact",
                bad,
                "--snapshot",
            ])
            .arg(&snap)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("must be a path relative to the repository root"),
            "{err}"
        );
    }
    let out = bin()
        .args([
            "audit",
            "--format",
            "sarif",
            "--sarif-artifact",
            ".\\snapshots\\tenant.json",
            "--snapshot",
        ])
        .arg(&snap)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_github_accepts(&doc, "snapshots/tenant.json");
}

/// Microsoft's SARIF multitool (`scripts/sarif-validate.sh`, npm @microsoft/sarif-multitool,
/// GitHub ingestion rules included) on the broken sample. Needs node and the package (npx
/// fetches it once): `cargo test --test reports_sarif -- --ignored`.
#[test]
#[ignore = "needs node/npx and @microsoft/sarif-multitool"]
fn microsoft_sarif_multitool_reports_no_errors() {
    let dir = tempdir();
    let out_path = dir.path().join("broken.sarif");
    let status = bin()
        .args([
            "audit",
            "--sarif-artifact",
            "examples/tenants/broken.json",
            "--snapshot",
        ])
        .arg(sample("broken").unwrap())
        .arg("--output")
        .arg(&out_path)
        .status()
        .unwrap();
    assert_ne!(status.code(), Some(2));
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/sarif-validate.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .arg(&out_path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Analysis completed successfully"), "{text}");
    assert!(!text.contains(": error "), "{text}");
}
