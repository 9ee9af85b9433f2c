//! Shared by the reports_*, config_* and diff_* tests: Graph-shaped snapshots built in code,
//! and the sample tenants from examples/tenants/ when they exist (adding them later only means
//! they are picked up here).
#![allow(dead_code)]

use intune_audit::config::Config;
use intune_audit_checks::Report;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub const XSS: &str = "<script>alert(1)</script>";

pub fn restriction(blocked: bool, personal_blocked: bool) -> Value {
    json!({"platformBlocked": blocked, "personalDeviceEnrollmentBlocked": personal_blocked,
           "osMinimumVersion": null, "osMaximumVersion": null, "blockedManufacturers": [], "blockedSkus": []})
}

pub fn default_restrictions(windows: Value) -> Value {
    json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
           "id": format!("{TENANT}_DefaultPlatformRestrictions"), "displayName": "All users and all devices",
           "priority": 0, "deviceEnrollmentConfigurationType": "platformRestrictions",
           "windowsRestriction": windows,
           "assignments": [{"id": "d", "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]})
}

pub fn windows_restriction(
    id: &str,
    name: &str,
    priority: i64,
    windows: Value,
    groups: &[&str],
) -> Value {
    let assignments: Vec<Value> = groups
        .iter()
        .map(|g| json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": g}}))
        .collect();
    json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration",
           "id": id, "displayName": name, "priority": priority,
           "deviceEnrollmentConfigurationType": "singlePlatformRestriction", "platformType": "windows",
           "platformRestriction": windows, "assignments": assignments})
}

pub fn default_limit(limit: i64) -> Value {
    json!({"@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
           "id": format!("{TENANT}_DefaultLimit"), "displayName": "All users and all devices",
           "priority": 0, "limit": limit, "deviceEnrollmentConfigurationType": "limit",
           "assignments": [{"id": "l", "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]})
}

pub fn user(i: usize, name: &str) -> Value {
    json!({"id": format!("u{i}"), "displayName": name, "userPrincipalName": format!("user{i}@contoso.com"),
           "accountEnabled": true, "userType": "Member", "assignedPlans": [
               {"assignedDateTime": "2025-01-06T09:00:00Z", "capabilityStatus": "Enabled",
                "service": "SCO", "servicePlanId": "c1ec4a95-1f05-45b3-a911-aa3fa01094f5"},
               {"assignedDateTime": "2025-01-06T09:00:00Z", "capabilityStatus": "Enabled",
                "service": "AADPremiumService", "servicePlanId": "41781fb2-bc02-4b7c-bd55-b576c07bb09d"}]})
}

pub fn users(n: usize) -> Vec<Value> {
    (1..=n).map(|i| user(i, &format!("User {i}"))).collect()
}

pub fn group(id: &str, name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members
        .iter()
        .map(|m| json!({"@odata.type": "#microsoft.graph.user", "id": m}))
        .collect();
    json!({"id": id, "displayName": name, "members": members})
}

pub fn mdm_policy(applies_to: &str, groups: &[(&str, &str)]) -> Value {
    let groups: Vec<Value> = groups
        .iter()
        .map(|(id, n)| json!({"id": id, "displayName": n}))
        .collect();
    json!({"id": "0000000a-0000-0000-c000-000000000000", "displayName": "Microsoft Intune",
           "appliesTo": applies_to, "includedGroups": groups, "isValid": true,
           "termsOfUseUrl": "https://portal.manage.microsoft.com/TermsofUse.aspx",
           "discoveryUrl": "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc",
           "complianceUrl": "https://portal.manage.microsoft.com/?portalAction=Compliance"})
}

pub fn registration_policy(quota: i64, join_type: &str, groups: &[&str]) -> Value {
    json!({"id": "deviceRegistrationPolicy", "userDeviceQuota": quota,
           "azureADJoin": {"isAdminConfigurable": true, "allowedToJoin": {
               "@odata.type": format!("#microsoft.graph.{join_type}DeviceRegistrationMembership"),
               "users": [], "groups": groups}}})
}

pub fn autopilot_profile(id: &str, hybrid: bool, self_deploying: bool, groups: &[&str]) -> Value {
    let assignments: Vec<Value> = groups
        .iter()
        .map(|g| json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": g}}))
        .collect();
    json!({"@odata.type": if hybrid { "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile" }
                          else { "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile" },
           "id": id, "displayName": format!("Profile {id}"), "deviceNameTemplate": "CTS-%SERIAL%",
           "preprovisioningAllowed": false,
           "outOfBoxExperienceSetting": {"deviceUsageType": if self_deploying { "shared" } else { "singleUser" }},
           "assignments": assignments})
}

pub fn connector(id: &str, state: &str) -> Value {
    json!({"id": id, "displayName": format!("ODJ-{id}"), "lastConnectionDateTime": "2026-11-19T08:00:00Z",
           "state": state, "version": "6.2501.2000.5"})
}

/// A snapshot document with the given resources (`key`, items); others are not collected.
pub fn snapshot(
    tenant_name: &str,
    collected_at: &str,
    resources: Vec<(&str, Vec<Value>)>,
) -> Value {
    let mut map = serde_json::Map::new();
    for (key, items) in resources {
        map.insert(
            key.into(),
            json!({"path": format!("/test/{key}"), "status": "ok", "items": items}),
        );
    }
    json!({"schema": "intune-audit/snapshot", "version": 1,
           "tenant": {"id": TENANT, "name": tenant_name}, "cloud": "global",
           "collected_at": collected_at, "tool_version": "test", "resources": map})
}

/// A tenant where a custom restriction blocks Windows for the group `g-kiosk` (whose display
/// name is a script tag), and the default allows it.
pub fn broken_snapshot() -> Value {
    let mut u = users(5);
    let mut evil = user(6, XSS);
    evil["userPrincipalName"] = format!("{XSS}@contoso.com").into();
    u.push(evil);
    snapshot(
        &format!("Contoso {XSS}"),
        "2026-11-20T08:00:00Z",
        vec![
            ("users", u),
            ("groupMembers", vec![group("g-kiosk", XSS, &["u2", "u6"])]),
            (
                "deviceEnrollmentConfigurations",
                vec![
                    default_restrictions(restriction(false, false)),
                    windows_restriction(
                        "kiosk",
                        &format!("Kiosk {XSS}"),
                        1,
                        restriction(true, false),
                        &["g-kiosk"],
                    ),
                    default_limit(5),
                ],
            ),
            (
                "mobileDeviceManagementPolicies",
                vec![mdm_policy("all", &[])],
            ),
            (
                "deviceRegistrationPolicy",
                vec![registration_policy(20, "all", &[])],
            ),
            (
                "windowsAutopilotDeploymentProfiles",
                vec![autopilot_profile("p1", false, false, &["g-kiosk"])],
            ),
            ("domainJoinConnectors", vec![connector("c1", "active")]),
        ],
    )
}

/// Everything allowed: the checks pass.
pub fn healthy_snapshot() -> Value {
    snapshot(
        "Contoso",
        "2026-11-20T08:00:00Z",
        vec![
            ("users", users(5)),
            (
                "groupMembers",
                vec![group("g-kiosk", "Kiosk users", &["u2"])],
            ),
            (
                "deviceEnrollmentConfigurations",
                vec![
                    default_restrictions(restriction(false, false)),
                    default_limit(5),
                ],
            ),
            (
                "mobileDeviceManagementPolicies",
                vec![mdm_policy("all", &[])],
            ),
            (
                "deviceRegistrationPolicy",
                vec![registration_policy(20, "all", &[])],
            ),
            (
                "windowsAutopilotDeploymentProfiles",
                vec![autopilot_profile("p1", false, false, &["g-kiosk"])],
            ),
            ("domainJoinConnectors", vec![connector("c1", "active")]),
        ],
    )
}

/// The shipped sample tenant `examples/tenants/NAME.json`, when it exists.
pub fn sample(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/tenants")
        .join(format!("{name}.json"));
    p.is_file().then_some(p)
}

/// Snapshots to run every format on: the built ones, plus the samples once they land.
pub fn all_snapshots() -> Vec<(String, Value)> {
    let mut v = vec![
        ("built-broken".to_string(), broken_snapshot()),
        ("built-healthy".to_string(), healthy_snapshot()),
    ];
    for name in ["healthy", "broken"] {
        if let Some(p) = sample(name) {
            let text = std::fs::read_to_string(&p).expect("sample readable");
            v.push((
                format!("sample-{name}"),
                serde_json::from_str(&text).expect("sample is JSON"),
            ));
        }
    }
    v
}

/// Audits a snapshot document with an optional configuration text, like `audit` does.
pub fn report(snapshot: &Value, config: Option<&str>) -> Report {
    // The streaming loader, as `audit --snapshot` reads a file.
    let loaded = intune_audit_checks::load::stream_slice(snapshot.to_string().as_bytes())
        .expect("test snapshot is valid");
    let config = match config {
        Some(text) => Config::parse(text, "test.toml").expect("test config is valid"),
        None => Config::default(),
    };
    let mut r = intune_audit::commands::audit::audit_loaded(&loaded, &config.settings());
    config.apply(&mut r);
    r
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write test file");
    p
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_intune-audit"));
    c.env_remove("RUST_LOG").env("NO_COLOR", "1");
    c
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// The finding of one check in a report.
pub fn finding<'a>(report: &'a Report, check: &str) -> &'a intune_audit_checks::Finding {
    report
        .findings
        .iter()
        .find(|f| f.check == check)
        .unwrap_or_else(|| panic!("no finding for {check}"))
}

/// An Intune-managed Windows PC enrolled by its user (counts against the enrollment limit).
pub fn managed_device(id: &str, user_id: &str) -> Value {
    json!({"id": id, "deviceName": format!("PC-{id}"), "userId": user_id,
           "userPrincipalName": format!("{user_id}@contoso.com"), "operatingSystem": "Windows",
           "osVersion": "10.0.26100.2605", "serialNumber": format!("SN-{id}"),
           "managementAgent": "mdm", "managedDeviceOwnerType": "company",
           "deviceEnrollmentType": "userEnrollment"})
}

/// The healthy tenant plus device inventory: `devices_of_u1` PCs enrolled by user u1, no
/// Autopilot devices, under a default enrollment limit of `limit`.
pub fn tenant_with_devices(limit: i64, devices_of_u1: usize) -> Value {
    let mut s = healthy_snapshot();
    let devices: Vec<Value> = (1..=devices_of_u1)
        .map(|i| managed_device(&format!("d{i}"), "u1"))
        .collect();
    s["resources"]["managedDevices"] =
        json!({"path": "/test/managedDevices", "status": "ok", "items": devices});
    s["resources"]["windowsAutopilotDeviceIdentities"] =
        json!({"path": "/test/windowsAutopilotDeviceIdentities", "status": "ok", "items": []});
    s["resources"]["deviceEnrollmentConfigurations"]["items"] = json!([
        default_restrictions(restriction(false, false)),
        default_limit(limit)
    ]);
    s
}
