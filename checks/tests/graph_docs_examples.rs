//! Microsoft's published example responses (Graph API reference pages, saved verbatim with
//! their source page and date in `fixtures/graph-docs-examples/`) are the contract with the
//! real service: every one the collector's requests correspond to must load, and the shapes
//! they show (base-type assignment targets, filters with placeholder ids) must never settle a
//! verdict.

use intune_audit_checks::{audit, FindingStatus, Report, Settings, Snapshot};
use serde_json::{json, Value};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph-docs-examples")
}

fn example(name: &str) -> Value {
    let text = std::fs::read_to_string(dir().join(format!("{name}.json"))).expect("example file");
    serde_json::from_str(&text).expect("example JSON")
}

/// The response's items: `value` (an array, or one object as the MDM policy get page shows it),
/// else the singleton itself.
fn items(response: &Value) -> Vec<Value> {
    match response.get("value") {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => vec![response.clone()],
    }
}

fn snapshot(resources: Value) -> Snapshot {
    let mut entries = serde_json::Map::new();
    for (key, items) in resources.as_object().expect("object") {
        entries.insert(
            key.clone(),
            json!({"path": format!("/docs/{key}"), "status": "ok", "items": items}),
        );
    }
    let text = json!({
        "schema": "intune-audit/snapshot", "version": 1,
        "tenant": {"id": "00000000-0000-4000-8000-00000000c0de", "name": "Contoso"},
        "cloud": "global", "collected_at": "2026-11-30T08:00:00Z", "tool_version": "test",
        "resources": entries,
    })
    .to_string();
    Snapshot::from_json(&text).expect("snapshot envelope")
}

fn run(resources: Value) -> Report {
    audit(&snapshot(resources), &Settings::default(), "test").expect("the example types")
}

fn status(report: &Report, check: &str) -> FindingStatus {
    report
        .findings
        .iter()
        .find(|f| f.check == check)
        .map(|f| f.status)
        .expect("check ran")
}

/// The pages whose request is one the collector makes (the beta registration policy and the
/// assignment sub-collections are read another way and are tested below).
const LOADED: &[&str] = &[
    "organization-list-v1",
    "domain-list-v1",
    "subscribedsku-list-v1",
    "user-list-v1",
    "user-list-assignedlicenses-v1",
    "device-list-v1",
    "manageddevice-list-v1",
    "deviceenrollmentconfiguration-list-beta",
    "deviceenrollmentlimitconfiguration-list-beta",
    "deviceenrollmentplatformrestrictionconfiguration-list-beta",
    "deviceenrollmentplatformrestrictionsconfiguration-list-beta",
    "deviceenrollmentwindowshelloforbusinessconfiguration-list-beta",
    "mobiledevicemanagementpolicies-list-beta",
    "mobiledevicemanagementpolicies-get-beta",
    "mobileappmanagementpolicies-list-beta",
    "deviceregistrationpolicy-get-v1",
    "azureadwindowsautopilotdeploymentprofile-list-beta",
    "activedirectorywindowsautopilotdeploymentprofile-list-beta",
    "windowsautopilotdeploymentprofile-get-beta",
    "windowsautopilotdeviceidentity-list-beta",
    "windowsautopilotdeviceidentity-list-v1",
    "devicemanagementdomainjoinconnector-list-beta",
    "windows10customconfiguration-list-v1",
];

#[test]
fn every_published_example_loads_and_runs() {
    for name in LOADED {
        let e = example(name);
        let resource = e["resource"].as_str().expect("resource key");
        assert!(
            e["source"]["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://learn.microsoft.com/")),
            "{name}: source page"
        );
        let report = run(json!({ resource: items(&e["response"]) }));
        assert!(!report.findings.is_empty(), "{name}");
    }
    // Group members come one group at a time.
    for name in [
        "group-list-transitivemembers-v1",
        "group-list-transitivemembers-groupcast-v1",
    ] {
        let members = items(&example(name)["response"]);
        run(json!({"groupMembers": [{"id": "g-docs", "displayName": "Docs", "members": members}]}));
    }
    // Registered owners come expanded on each device.
    let owners = items(&example("device-list-registeredowners-v1")["response"]);
    run(json!({"devices": [{"id": "obj-1", "deviceId": "aad-1", "registeredOwners": owners}]}));
    // Every saved file is accounted for, so a new one must be looked at: the lists above, the
    // owners, the three assignment lists tested below, the beta registration policy (the
    // collector reads v1.0, whose shape differs) and the README.
    let saved = std::fs::read_dir(dir()).expect("dir").count();
    assert_eq!(saved, LOADED.len() + 2 + 1 + 3 + 1 + 1);
}

fn users() -> Value {
    json!([{"id": "u1", "userPrincipalName": "adele@contoso.com", "accountEnabled": true, "userType": "Member"}])
}

/// The assignment list examples use the abstract base type
/// `microsoft.graph.deviceAndAppManagementAssignmentTarget` (no group, no "all users"): a
/// blocking restriction assigned that way may or may not reach a user, so the platform check
/// must not pass.
#[test]
fn base_type_assignment_targets_never_settle_a_platform_verdict() {
    for name in [
        "enrollmentconfigurationassignment-list-beta-oldrev",
        "enrollmentconfigurationassignment-list-beta",
    ] {
        let assignments = items(&example(name)["response"]);
        let report = run(json!({
            "users": users(),
            "groupMembers": [],
            "deviceEnrollmentConfigurations": [
                {"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
                 "id": "t_DefaultPlatformRestrictions", "priority": 0,
                 "windowsRestriction": {"platformBlocked": false, "personalDeviceEnrollmentBlocked": false}},
                {"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration",
                 "id": "blocking", "displayName": "Block Windows", "priority": 1, "platformType": "windows",
                 "platformRestriction": {"platformBlocked": true, "personalDeviceEnrollmentBlocked": false},
                 "assignments": assignments},
            ],
        }));
        let got = status(&report, "windows-mdm-platform-blocked");
        assert_ne!(got, FindingStatus::Pass, "{name}");
        if name.ends_with("oldrev") {
            assert_eq!(
                got,
                FindingStatus::Warn,
                "{name}: the base type is not understood"
            );
        }
    }
}

/// The Autopilot assignment example: base-type target with a filter. No device can be said to
/// get (or not get) the profile.
#[test]
fn the_published_autopilot_assignment_leaves_devices_unsettled() {
    let assignments =
        items(&example("windowsautopilotdeploymentprofileassignment-list-beta")["response"]);
    let report = run(json!({
        "groupMembers": [],
        "devices": [{"id": "obj-1", "deviceId": "aad-1", "trustType": "AzureAd"}],
        "windowsAutopilotDeviceIdentities": [{"id": "ap1", "serialNumber": "SER1", "azureActiveDirectoryDeviceId": "aad-1"}],
        "windowsAutopilotDeploymentProfiles": [
            {"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "id": "p1",
             "displayName": "Docs profile", "createdDateTime": "2025-01-01T00:00:00Z",
             "assignments": assignments}
        ],
    }));
    assert_eq!(
        status(&report, "autopilot-devices-without-profile"),
        FindingStatus::Warn
    );
}

/// The custom profile example: its OMA-URI is read (not the AppLocker CSP: nothing to report),
/// and the same profile with an AppLocker URI leaves the device at risk, since the example
/// shows no expanded assignments. (A preview check: previews are asked for.)
#[test]
fn the_published_custom_profile_is_read_and_never_settles_without_assignments() {
    let mut profiles = items(&example("windows10customconfiguration-list-v1")["response"]);
    let settings = Settings {
        preview: true,
        ..Settings::default()
    };
    let tenant = |profiles: &[Value]| {
        let resources = json!({
            "groupMembers": [],
            "devices": [{"id": "obj-1", "deviceId": "aad-1", "trustType": "AzureAd"}],
            "windowsAutopilotDeviceIdentities": [{"id": "ap1", "serialNumber": "SER1", "azureActiveDirectoryDeviceId": "aad-1"}],
            "deviceConfigurations": profiles,
        });
        audit(&snapshot(resources), &settings, "test").expect("the example types")
    };
    let report = tenant(&profiles);
    assert_eq!(
        status(&report, "applocker-csp-during-esp"),
        FindingStatus::Pass
    );
    profiles[0]["omaSettings"][0]["omaUri"] =
        json!("./Vendor/MSFT/AppLocker/ApplicationLaunchRestrictions/Docs/EXE/Policy");
    let report = tenant(&profiles);
    assert_eq!(
        status(&report, "applocker-csp-during-esp"),
        FindingStatus::Warn
    );
}
