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

/// Each check names the current Microsoft page and heading it follows, in `explain` (text and
/// JSON), the JSON report and SARIF `helpUri`.
#[test]
fn references_reach_explain_the_report_and_sarif() {
    let o = run(&["explain", "autopilot-entra-object-missing"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Microsoft documentation:"), "{text}");
    assert!(
        text.contains("https://learn.microsoft.com/en-us/autopilot/known-issues"),
        "{text}"
    );

    let o = run(&[
        "audit",
        "--snapshot",
        "examples/tenants/broken.json",
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    for f in report["findings"].as_array().unwrap() {
        let refs = f["references"].as_array().expect("references");
        assert!(!refs.is_empty(), "{}", f["check"]);
        assert!(refs[0]["heading"].as_str().is_some_and(|h| !h.is_empty()));
    }

    let o = run(&[
        "audit",
        "--snapshot",
        "examples/tenants/broken.json",
        "--format",
        "sarif",
    ]);
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        assert!(
            rule["helpUri"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://learn.microsoft.com/")),
            "{}",
            rule["id"]
        );
    }
}

/// The codes the current documentation gives for existing causes are explained.
#[test]
fn current_documented_codes_are_explained() {
    for (code, check) in [
        ("0x80180018", "users-without-intune-license"),
        ("0x80180013", "enrollment-limit-reached"),
        ("0x801C000E", "entra-device-quota-reached"),
        ("0x80180031", "mdm-user-scope-none"),
        ("0x801C03F3", "autopilot-entra-object-missing"),
    ] {
        let v = explain_json(&[code]);
        let text = v.to_string();
        assert!(text.contains(check), "{code} should name {check}: {text}");
    }
    let v = explain_json(&["0x80180022"]);
    assert!(v.to_string().contains("device-windows-home-edition"));
}

/// A check's former id still explains it, and the catalog says where it came from and when.
#[test]
fn renamed_ids_and_lifecycle_in_the_catalog() {
    let v = explain_json(&["mam-user-scope-not-none"]);
    assert_eq!(v["check"]["id"], "mam-and-mdm-user-scope-overlap", "{v}");
    let o = run(&["checks", "--format", "json"]);
    let entries: Value = serde_json::from_slice(&o.stdout).unwrap();
    let overlap = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "mam-and-mdm-user-scope-overlap")
        .unwrap();
    assert_eq!(overlap["renamed_from"][0], "mam-user-scope-not-none");
    assert_eq!(overlap["since"], "0.1.0");
    assert_eq!(overlap["preview"], false);
    let missing = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "autopilot-entra-object-missing")
        .unwrap();
    assert_eq!(missing["since"], "0.2.0");
}

/// What Microsoft's current pages document is explained too: device-side codes, the legacy
/// agent's codes, Autopilot import errors (event numbers, not HRESULTs) and current messages.
#[test]
fn codes_and_messages_of_the_current_documentation() {
    let device_ids = |v: &Value| -> Vec<String> {
        v["causes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["device_causes"].as_array().unwrap().iter())
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect()
    };
    for (q, code, anchor) in [
        (
            "0x8007064c",
            "0x8007064C",
            "error-hr-0x8007064c-the-machine-is-already-enrolled",
        ),
        (
            "0xcaa9001f",
            "0xCAA9001F",
            "mdm-enrollment-fails-with-error-0xcaa9001f-for-co-managed-windows-devices",
        ),
        ("0x80CF3006", "0x80CF3006", "enrollment-error-codes"),
        (
            "0x81039001",
            "0x81039001",
            "tpm-attestation-failure-with-error-code-0x81039001",
        ),
        (
            "0xc1036501",
            "0xC1036501",
            "windows-autopilot-self-deploying-mode-fails-with-an-error-code",
        ),
        (
            "806",
            "806",
            "error-806-or-808-when-you-import-windows-autopilot-device-csv-files-in-intune",
        ),
        (
            "ZtdDeviceAlreadyAssigned",
            "806",
            "error-806-or-808-when-you-import-windows-autopilot-device-csv-files-in-intune",
        ),
    ] {
        let v = explain_json(&[q]);
        assert_eq!(v["code"], code, "{q}");
        assert!(anchors(&v).iter().any(|a| a == anchor), "{q}: {v}");
    }
    assert!(device_ids(&explain_json(&["0x8007064c"]))
        .contains(&"device-already-enrolled-or-cloned-image".to_string()));
    assert!(device_ids(&explain_json(&["0xcaa9001f"]))
        .contains(&"device-configmgr-cloud-management-not-configured".to_string()));
    assert!(device_ids(&explain_json(&["0x81039001"]))
        .contains(&"device-tpm-attestation-fails".to_string()));
    // The misprinted code of the other-tenant article reaches the other-tenant cause.
    let v = explain_json(&["0x80180002b"]);
    assert_eq!(v["code"], "0x8018002B");
    assert!(device_ids(&v).contains(&"device-joined-to-another-tenant".to_string()));
    // A legacy agent code carries its own message; the seat limit is the tenant's check.
    let v = explain_json(&["0x80CF3006"]);
    assert!(v["code_message"]
        .as_str()
        .unwrap()
        .contains("maximum number of seats"));
    assert!(v.to_string().contains("intune-seats-exhausted"));

    let v = explain_json(&["belongs to another organization"]);
    assert_eq!(v["kind"], "message");
    assert_eq!(
        anchors(&v),
        ["that-username-looks-like-it-belongs-to-another-organization-try-signing-in-again-or-start-over-with-a-different-account"]
    );
    assert!(device_ids(&v).contains(&"device-signed-in-with-other-tenant-account".to_string()));

    // A section without Dutch text prints no empty Dutch line; an uncovered cause is named.
    let text = stdout(&run(&["explain", "806"]));
    assert!(!text.contains("Dutch:"), "{text}");
    assert!(
        text.contains("806 means: ZtdDeviceAlreadyAssigned"),
        "{text}"
    );
    let text = stdout(&run(&["explain", "Another installation is in progress"]));
    assert!(
        text.contains("esp-mixes-lob-and-win32") && text.contains("line-of-business"),
        "{text}"
    );
}
