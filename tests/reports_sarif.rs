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
