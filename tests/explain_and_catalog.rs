//! `explain` accepts what users paste; `checks --format json` keeps its contract.

mod common;
use common::*;
use serde_json::Value;

fn explain_json(q: &[&str]) -> Value {
    let mut args = vec!["explain"];
    args.extend_from_slice(q);
    args.extend_from_slice(&["--format", "json"]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn anchors(v: &Value) -> Vec<String> {
    v["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["article_section"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_spelling_of_a_code_explains_the_same_causes() {
    let canonical = explain_json(&["0x801C0003"]);
    for q in ["0x801c0003", "801C0003", "0x801c003"] {
        let v = explain_json(&[q]);
        assert_eq!(v["code"], "0x801C0003", "{q}");
        assert_eq!(anchors(&v), anchors(&canonical));
    }
    assert_eq!(
        anchors(&canonical),
        [
            "this-user-is-not-authorized-to-enroll",
            "this-user-is-not-allowed-to-enroll"
        ]
    );
    let checks: Vec<&str> = canonical["causes"][1]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(checks.contains(&"entra-join-not-allowed"));
    assert!(explain_json(&["80180003"])["causes"][0]["device_causes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == "device-windows-home-edition"));
    assert_eq!(
        anchors(&explain_json(&["8018002b"])),
        ["auto-mdm-enroll-failed"]
    );
    assert_eq!(
        anchors(&explain_json(&["OOBEIDPS"])),
        ["something-went-wrong-oobeidps"]
    );
}

#[test]
fn one_code_with_two_documented_contexts_lists_both() {
    // 0x80180014: Windows blocked by a restriction, or a self-deploying device redeployed with
    // its old Intune record.
    let v = explain_json(&["0x80180014"]);
    let checks: Vec<&str> = v["causes"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        checks.contains(&"windows-mdm-platform-blocked")
            && checks.contains(&"autopilot-redeploy-stale-intune-record"),
        "{checks:?}"
    );
}

#[test]
fn messages_in_english_and_dutch_and_check_ids() {
    assert_eq!(
        anchors(&explain_json(&["not", "allowed", "on", "this", "phone"])),
        ["this-account-is-not-allowed-on-this-phone"]
    );
    assert_eq!(
        anchors(&explain_json(&["niet toegestaan op deze telefoon"])),
        ["this-account-is-not-allowed-on-this-phone"]
    );
    let v = explain_json(&["autopilot-profile-conflict"]);
    assert_eq!(v["kind"], "check");
    assert!(v["check"]["doc"]
        .as_str()
        .unwrap()
        .contains("## Remediation"));
    let text = stdout(&run(&["explain", "0x800705b4"]));
    assert!(
        text.contains("self-deploying-profile-on-virtual-machine")
            && text.contains("physical TPM 2.0")
    );
}

#[test]
fn catalog_json_contract() {
    let o = run(&["checks", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let entries = v.as_array().unwrap();
    let tenant: Vec<&Value> = entries
        .iter()
        .filter(|e| e["tenant_side"] == true)
        .collect();
    assert_eq!(tenant.len(), intune_audit_checks::checks::REGISTRY.len());
    assert!(entries.iter().any(|e| e["tenant_side"] == false));
    for e in entries {
        for key in [
            "id",
            "title",
            "severity",
            "error_codes",
            "article_sections",
            "tenant_side",
            "resources",
            "permissions",
        ] {
            assert!(e.get(key).is_some(), "{} lacks {key}", e["id"]);
        }
    }
    let mdm = tenant
        .iter()
        .find(|e| e["id"] == "mdm-user-scope-none")
        .unwrap();
    assert!(mdm["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "Policy.Read.All (delegated only)"));
}
