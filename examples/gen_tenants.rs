//! Generates the sample tenants `examples/tenants/healthy.json` and `broken.json`.
//!
//! ```text
//! cargo run --example gen_tenants            # rewrites both files
//! cargo run --example gen_tenants -- --check # exits 1 if the files are stale
//! ```
//!
//! Deterministic (a fixed-seed generator, no clock): the same code always writes the same
//! bytes. Every object is in Graph's own shape (see `shared/graph-reference.md`); ids are made
//! up and names are `contoso`-style. The healthy tenant passes every check. The broken tenant
//! starts from the healthy one and breaks each setting a check looks at, so every tenant-side
//! check fails or warns at least once — `tests/samples.rs` proves both against the catalog.

use serde_json::{json, Value};
use std::collections::BTreeMap;

const TENANT_ID: &str = "8c1a4f2e-0b7d-4e39-9a61-5d2f3c4b6a70";
const COLLECTED_AT: &str = "2026-11-20T07:30:00Z";

const INTUNE_A: &str = "c1ec4a95-1f05-45b3-a911-aa3fa01094f5";
const AAD_PREMIUM: &str = "41781fb2-bc02-4b7c-bd55-b576c07bb09d";
const INTUNE_O365: &str = "882e1d05-acd1-4ccb-8708-6ee03664b117";
const EXCHANGE_S_ENTERPRISE: &str = "efb87545-963c-4e0d-99df-69c6916d9eb0";
const SPE_E3_SKU: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
const O365_E3_SKU: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";

const DEFAULT_TOU: &str = "https://portal.manage.microsoft.com/TermsofUse.aspx";
const INTUNE_APP: &str = "0000000a-0000-0000-c000-000000000000";
const INTUNE_ENROLLMENT_APP: &str = "d4ebce55-015a-49b5-a083-c84d1797ae8c";
const EXCHANGE_ONLINE_APP: &str = "00000002-0000-0ff1-ce00-000000000000";

/// splitmix64: a tiny deterministic generator, so the samples never change by accident.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A made-up GUID, stable per (kind, index).
fn guid(kind: u64, i: u64) -> String {
    let mut r = Rng(kind << 32 | i);
    let a = r.next();
    let b = r.next();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        8 + (b >> 62),
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

const FIRST: &[&str] = &[
    "adele",
    "alex",
    "allan",
    "bianca",
    "christie",
    "debra",
    "diego",
    "emily",
    "enrico",
    "grady",
    "henrietta",
    "irvin",
    "isaiah",
    "johanna",
    "joni",
    "lee",
    "lidia",
    "lynne",
    "megan",
    "miriam",
    "nestor",
    "patti",
    "pradeep",
    "raul",
    "sanne",
    "thijs",
    "wouter",
    "yara",
    "zeno",
    "fleur",
];
const LAST: &[&str] = &[
    "vance",
    "wilber",
    "beck",
    "pollard",
    "cline",
    "berger",
    "zbinden",
    "braun",
    "bogdanovic",
    "archie",
    "cermak",
    "mueller",
    "jansen",
    "lamb",
    "sherman",
    "gu",
    "holloway",
    "cox",
    "bowen",
    "hagen",
    "sullivan",
    "fernandez",
    "gupta",
    "ruiz",
    "devries",
    "bakker",
    "visser",
    "smit",
    "meijer",
    "mulder",
];

struct Ids;
impl Ids {
    const USER: u64 = 1;
    const GROUP: u64 = 2;
    const MANAGED: u64 = 3;
    const ENTRA: u64 = 4;
    const ENTRA_DEVICE_ID: u64 = 5;
    const AUTOPILOT: u64 = 6;
    const PROFILE: u64 = 7;
    const CONFIG: u64 = 8;
    const FILTER: u64 = 9;
    const CONNECTOR: u64 = 10;
    const IDENTIFIER: u64 = 11;
    const CA: u64 = 12;
    const CONFIGURATION: u64 = 13;
    const APP: u64 = 14;
    const POLICY: u64 = 15;
    const PRINCIPAL: u64 = 16;
}

#[derive(Clone)]
struct Tenant {
    resources: BTreeMap<&'static str, (String, Vec<Value>)>,
}

impl Tenant {
    fn set(&mut self, key: &'static str, path: &str, items: Vec<Value>) {
        self.resources.insert(key, (path.to_string(), items));
    }
    fn items(&mut self, key: &str) -> &mut Vec<Value> {
        &mut self.resources.get_mut(key).expect("resource generated").1
    }
    fn to_json(&self, name: &str) -> Value {
        let resources: serde_json::Map<String, Value> = self
            .resources
            .iter()
            .map(|(k, (path, items))| {
                (
                    k.to_string(),
                    json!({"path": path, "status": "ok", "items": items}),
                )
            })
            .collect();
        json!({
            "schema": "intune-audit/snapshot", "version": 1,
            "tenant": {"id": TENANT_ID, "name": name},
            "cloud": "global", "collected_at": COLLECTED_AT, "tool_version": "sample-generator",
            "resources": resources,
        })
    }
}

fn plan(id: &str, status: &str) -> Value {
    json!({"assignedDateTime": "2024-07-01T09:12:44Z", "capabilityStatus": status, "service": service_of(id), "servicePlanId": id})
}

fn service_of(plan: &str) -> &'static str {
    match plan {
        INTUNE_A | INTUNE_O365 => "SCO",
        AAD_PREMIUM => "AADPremiumService",
        _ => "exchange",
    }
}

fn target_group(group: &str) -> Value {
    json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "deviceAndAppManagementAssignmentFilterId": null,
           "deviceAndAppManagementAssignmentFilterType": "none", "groupId": group})
}

fn assignment(id: String, target: Value) -> Value {
    json!({"id": id, "source": "direct", "sourceId": "", "target": target})
}

fn restriction(
    blocked: bool,
    personal_blocked: bool,
    min: Option<&str>,
    max: Option<&str>,
) -> Value {
    json!({"platformBlocked": blocked, "personalDeviceEnrollmentBlocked": personal_blocked,
           "osMinimumVersion": min, "osMaximumVersion": max, "blockedManufacturers": [], "blockedSkus": []})
}

struct Built {
    tenant: Tenant,
    /// Users by role, for the broken variant.
    contractors: Vec<String>,
    synced_users: Vec<String>,
    o365_only: Vec<String>,
    sales: Vec<String>,
}

const N_USERS: u64 = 320;
const N_AUTOPILOT: u64 = 72;

fn groups() -> Vec<(&'static str, u64)> {
    vec![
        ("All Staff", 1),
        ("Sales", 2),
        ("Sales EMEA", 3),
        ("Contractors", 4),
        ("Kiosk Operators", 5),
        ("Autopilot - Standard", 6),
        ("Autopilot - Kiosk", 7),
        ("Autopilot - Branch Hybrid", 8),
        ("Device Joiners", 9),
        ("Intune Pilot", 10),
    ]
}

fn gid(n: u64) -> String {
    guid(Ids::GROUP, n)
}

fn build() -> Built {
    let mut rng = Rng(20261120);
    let mut t = Tenant {
        resources: BTreeMap::new(),
    };
    let mut users = Vec::new();
    let (mut contractors, mut kiosk_users, mut synced_users, mut sales) =
        (vec![], vec![], vec![], vec![]);
    for i in 0..N_USERS {
        let id = guid(Ids::USER, i);
        let (f, l) = (rng.pick(FIRST), rng.pick(LAST));
        let upn = format!("{f}.{l}{i}@contoso.com");
        let synced = i % 3 == 0;
        let enabled = i % 41 != 7;
        let mut u = json!({
            "id": id, "displayName": format!("{} {}", cap(f), cap(l)), "userPrincipalName": upn,
            "accountEnabled": enabled, "userType": "Member",
            "assignedPlans": [plan(EXCHANGE_S_ENTERPRISE, "Enabled"), plan(INTUNE_A, "Enabled"), plan(AAD_PREMIUM, "Enabled")],
            "onPremisesSyncEnabled": if synced { json!(true) } else { Value::Null },
            "onPremisesUserPrincipalName": if synced { json!(upn) } else { Value::Null },
        });
        if i % 53 == 5 {
            u["assignedPlans"][1]["capabilityStatus"] = json!("Warning");
        }
        match i % 10 {
            0 | 1 => sales.push(id.clone()),
            2 => contractors.push(id.clone()),
            3 if kiosk_users.len() < 12 => kiosk_users.push(id.clone()),
            _ => {}
        }
        if synced && enabled {
            synced_users.push(id.clone());
        }
        users.push(u);
    }
    // Guests and a disabled service account: never part of the enrolling population.
    for i in 0..6 {
        users.push(json!({"id": guid(Ids::USER, 900 + i), "displayName": format!("Partner {i}"),
            "userPrincipalName": format!("partner{i}_fabrikam.com#EXT#@contoso.onmicrosoft.com"), "accountEnabled": true,
            "userType": "Guest", "assignedPlans": [], "onPremisesSyncEnabled": null, "onPremisesUserPrincipalName": null}));
    }
    // Bulk-enrollment (provisioning package) account, created by Windows Configuration Designer.
    users.push(json!({"id": guid(Ids::USER, 950), "displayName": "package_2b7e5c1d-9a34-4f8e-b6d2-1c0a9e8f7d65",
        "userPrincipalName": "package_2b7e5c1d-9a34-4f8e-b6d2-1c0a9e8f7d65@contoso.onmicrosoft.com", "accountEnabled": true,
        "userType": "Member", "assignedPlans": [], "onPremisesSyncEnabled": null, "onPremisesUserPrincipalName": null}));
    let user_ids: Vec<String> = users
        .iter()
        .filter(|u| u["userType"] == "Member")
        .map(|u| u["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let o365_only: Vec<String> = user_ids
        .iter()
        .skip(4)
        .step_by(37)
        .take(8)
        .cloned()
        .collect();

    // Managed devices: 1–2 per user, a mix of platforms and enrollment paths.
    let mut managed = Vec::new();
    let mut entra = Vec::new();
    let mut n = 0u64;
    for (i, u) in users
        .iter()
        .enumerate()
        .filter(|(_, u)| u["userType"] == "Member" && u["accountEnabled"] == true)
    {
        let uid = u["id"].as_str().unwrap_or_default();
        let upn = u["userPrincipalName"].as_str().unwrap_or_default();
        if upn.starts_with("package_") {
            continue;
        }
        let count = 1 + (i % 2);
        for k in 0..count {
            let (os, ver, model, maker, etype, owner) = match (i + k) % 6 {
                0..=2 => (
                    "Windows",
                    "10.0.26100.2314",
                    "Latitude 7450",
                    "Dell Inc.",
                    "windowsAzureADJoin",
                    "company",
                ),
                3 => (
                    "Windows",
                    "10.0.22631.4460",
                    "Surface Laptop 5",
                    "Microsoft Corporation",
                    "windowsAutoEnrollment",
                    "company",
                ),
                4 => (
                    "iOS",
                    "18.1",
                    "iPhone 15",
                    "Apple",
                    "userEnrollment",
                    "personal",
                ),
                _ => (
                    "Android",
                    "14",
                    "Pixel 8",
                    "Google",
                    "userEnrollment",
                    "personal",
                ),
            };
            managed.push(managed_device(
                n, uid, upn, os, ver, model, maker, etype, owner, "mdm",
            ));
            if os == "Windows" {
                entra.push(entra_device(
                    n,
                    &format!("CTS-{n:05}"),
                    "AzureAd",
                    Some(uid),
                ));
            }
            n += 1;
        }
    }
    // A few personally owned Windows devices (BYOD is in use in this tenant).
    for (k, uid) in sales.iter().take(4).enumerate() {
        let upn = upn_of(&users, uid);
        managed.push(managed_device(
            n,
            uid,
            &upn,
            "Windows",
            "10.0.26100.2314",
            "XPS 13",
            "Dell Inc.",
            "userEnrollment",
            "personal",
            "mdm",
        ));
        entra.push(entra_device(
            n,
            &format!("BYOD-{k}"),
            "Workplace",
            Some(uid),
        ));
        n += 1;
    }

    // Autopilot devices: standard (user-driven), kiosk (self-deploying), branch (hybrid).
    let mut autopilot = Vec::new();
    let mut members: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
    for i in 0..N_AUTOPILOT {
        let serial = format!(
            "{}{:07}",
            ["PF", "CZ", "5C"][i as usize % 3],
            4_100_000 + i * 37
        );
        let entra_n = 10_000 + i;
        let device_id = guid(Ids::ENTRA_DEVICE_ID, entra_n);
        let (group, model, maker) = match i % 6 {
            0..=2 => (6, "Latitude 7450", "Dell Inc."),
            3 | 4 => (7, "Surface Go 4", "Microsoft Corporation"),
            _ => (8, "EliteBook 840 G10", "HP"),
        };
        entra.push(entra_device(
            entra_n,
            &format!("AP-{serial}"),
            "AzureAd",
            None,
        ));
        members.entry(group).or_default().push(
            json!({"@odata.type": "#microsoft.graph.device", "id": guid(Ids::ENTRA, entra_n)}),
        );
        autopilot.push(json!({
            "id": guid(Ids::AUTOPILOT, i), "deploymentProfileAssignmentStatus": "assignedInSync",
            "deploymentProfileAssignmentDetailedStatus": "none", "deploymentProfileAssignedDateTime": "2026-03-02T11:00:00Z",
            "groupTag": match group { 6 => "Standard", 7 => "Kiosk", _ => "Branch" }, "purchaseOrderIdentifier": "PO-4471",
            "serialNumber": serial, "productKey": "", "manufacturer": maker, "model": model,
            "enrollmentState": "notContacted", "lastContactedDateTime": "0001-01-01T00:00:00Z",
            "addressableUserName": "", "userPrincipalName": "", "resourceName": "", "skuNumber": "", "systemFamily": "",
            "azureActiveDirectoryDeviceId": device_id, "azureAdDeviceId": device_id,
            "managedDeviceId": "00000000-0000-0000-0000-000000000000", "displayName": "",
            "userlessEnrollmentStatus": "allowed", "remediationState": "noRemediationRequired",
        }));
    }

    // Group membership (transitive): nested Sales EMEA inside Sales; All Staff holds everyone.
    let member = |id: &String| json!({"@odata.type": "#microsoft.graph.user", "id": id});
    members.insert(1, user_ids.iter().map(member).collect());
    let emea: Vec<&String> = sales.iter().skip(sales.len() / 2).collect();
    let mut sales_members: Vec<Value> = sales.iter().map(member).collect();
    sales_members.push(json!({"@odata.type": "#microsoft.graph.group", "id": gid(3)}));
    members.insert(2, sales_members);
    members.insert(3, emea.into_iter().map(member).collect());
    members.insert(4, contractors.iter().map(member).collect());
    members.insert(5, kiosk_users.iter().map(member).collect());
    members.insert(9, user_ids.iter().take(40).map(member).collect());
    members.insert(10, user_ids.iter().map(member).collect());
    let group_items: Vec<Value> = groups()
        .into_iter()
        .filter_map(|(name, n)| {
            members
                .get(&n)
                .map(|m| json!({"id": gid(n), "displayName": name, "members": m}))
        })
        .collect();

    let limit_default = json!({"@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
        "id": format!("{TENANT_ID}_DefaultLimit"), "displayName": "All users and all devices",
        "description": "This is the default Device Limit Restriction applied with the lowest priority to all users regardless of group membership.",
        "priority": 0, "createdDateTime": "0001-01-01T00:00:00Z", "lastModifiedDateTime": "2025-09-12T08:01:10Z", "version": 3,
        "roleScopeTagIds": ["0"], "deviceEnrollmentConfigurationType": "limit", "limit": 10,
        "assignments": [assignment(format!("{TENANT_ID}_DefaultLimit"), json!({"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget", "deviceAndAppManagementAssignmentFilterId": null, "deviceAndAppManagementAssignmentFilterType": "none"}))]});
    let limit_contractors = json!({"@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
        "id": format!("{}_Limit", guid(Ids::CONFIG, 1)), "displayName": "Contractors - 5 devices", "description": "",
        "priority": 1, "createdDateTime": "2025-02-14T10:22:31Z", "lastModifiedDateTime": "2025-02-14T10:22:31Z", "version": 1,
        "roleScopeTagIds": ["0"], "deviceEnrollmentConfigurationType": "limit", "limit": 5,
        "assignments": [assignment(format!("{}_{}", guid(Ids::CONFIG, 1), gid(4)), target_group(&gid(4)))]});
    let default_restrictions = json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
        "id": format!("{TENANT_ID}_DefaultPlatformRestrictions"), "displayName": "All users and all devices",
        "description": "This is the default Device Type Restriction applied with the lowest priority to all users regardless of group membership.",
        "priority": 0, "createdDateTime": "0001-01-01T00:00:00Z", "lastModifiedDateTime": "2025-09-12T08:03:44Z", "version": 4,
        "roleScopeTagIds": ["0"], "deviceEnrollmentConfigurationType": "platformRestrictions",
        "iosRestriction": restriction(false, false, None, None), "windowsRestriction": restriction(false, false, None, None),
        "windowsHomeSkuRestriction": restriction(false, false, None, None), "windowsMobileRestriction": restriction(true, false, None, None),
        "androidRestriction": restriction(false, false, None, None), "androidForWorkRestriction": restriction(false, false, None, None),
        "macRestriction": restriction(false, false, None, None), "macOSRestriction": restriction(false, false, None, None),
        "visionOSRestriction": null, "tvosRestriction": null,
        "assignments": [assignment(format!("{TENANT_ID}_DefaultPlatformRestrictions"), json!({"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget", "deviceAndAppManagementAssignmentFilterId": null, "deviceAndAppManagementAssignmentFilterType": "none"}))]});
    let windows_sales = json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration",
        "id": format!("{}_SinglePlatformRestriction", guid(Ids::CONFIG, 2)), "displayName": "Windows - Sales (BYOD allowed)", "description": "",
        "priority": 1, "createdDateTime": "2025-04-03T13:45:10Z", "lastModifiedDateTime": "2025-04-03T13:45:10Z", "version": 1,
        "roleScopeTagIds": ["0"], "deviceEnrollmentConfigurationType": "singlePlatformRestriction", "platformType": "windows",
        "platformRestriction": restriction(false, false, Some("10.0.19045"), None),
        "assignments": [assignment(format!("{}_{}", guid(Ids::CONFIG, 2), gid(2)), target_group(&gid(2)))]});
    let whfb = json!({"@odata.type": "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration",
        "id": format!("{TENANT_ID}_DefaultWindowsHelloForBusiness"), "displayName": "All users and all devices", "description": "",
        "priority": 0, "createdDateTime": "0001-01-01T00:00:00Z", "lastModifiedDateTime": "2025-01-10T09:00:00Z", "version": 1,
        "roleScopeTagIds": ["0"], "deviceEnrollmentConfigurationType": "windowsHelloForBusiness",
        "pinMinimumLength": 6, "pinMaximumLength": 127, "pinUppercaseCharactersUsage": "allowed", "pinLowercaseCharactersUsage": "allowed",
        "pinSpecialCharactersUsage": "allowed", "state": "enabled", "securityDeviceRequired": false, "unlockWithBiometricsEnabled": true,
        "remotePassportEnabled": true, "pinPreviousBlockCount": 0, "pinExpirationInDays": 0, "enhancedBiometricsState": "notConfigured",
        "securityKeyForSignIn": "notConfigured", "enhancedSignInSecurity": 0,
        "assignments": [assignment(format!("{TENANT_ID}_DefaultWindowsHelloForBusiness"), json!({"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget", "deviceAndAppManagementAssignmentFilterId": null, "deviceAndAppManagementAssignmentFilterType": "none"}))]});
    let esp = json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
        "id": format!("{TENANT_ID}_DefaultWindows10EnrollmentCompletionPageConfiguration"), "displayName": "All users and all devices", "description": "",
        "priority": 0, "createdDateTime": "0001-01-01T00:00:00Z", "lastModifiedDateTime": "2025-01-10T09:00:00Z", "version": 1,
        "roleScopeTagIds": ["0"], "deviceEnrollmentConfigurationType": "windows10EnrollmentCompletionPageConfiguration",
        "showInstallationProgress": true, "blockDeviceSetupRetryByUser": false, "allowDeviceResetOnInstallFailure": true,
        "allowLogCollectionOnInstallFailure": true, "customErrorMessage": "Setup could not be completed. Please try again or contact your support person for help.",
        "installProgressTimeoutInMinutes": 60, "allowDeviceUseOnInstallFailure": false, "selectedMobileAppIds": [],
        "trackInstallProgressForAutopilotOnly": true, "disableUserStatusTrackingAfterFirstUser": true,
        "assignments": [assignment(format!("{TENANT_ID}_DefaultWindows10EnrollmentCompletionPageConfiguration"), json!({"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget", "deviceAndAppManagementAssignmentFilterId": null, "deviceAndAppManagementAssignmentFilterType": "none"}))]});

    // An ESP that blocks on the two Win32 apps, for the Autopilot devices (a device group).
    let esp_autopilot = json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
        "id": format!("{}_Windows10EnrollmentCompletionPageConfiguration", guid(Ids::CONFIG, 20)), "displayName": "Autopilot - Standard (blocking apps)", "description": "",
        "priority": 1, "createdDateTime": "2025-05-06T08:30:00Z", "lastModifiedDateTime": "2025-05-06T08:30:00Z", "version": 2,
        "roleScopeTagIds": ["0"], "deviceEnrollmentConfigurationType": "windows10EnrollmentCompletionPageConfiguration",
        "showInstallationProgress": true, "blockDeviceSetupRetryByUser": false, "allowDeviceResetOnInstallFailure": true,
        "allowLogCollectionOnInstallFailure": true, "customErrorMessage": "Setup could not be completed. Please try again or contact your support person for help.",
        "installProgressTimeoutInMinutes": 90, "allowDeviceUseOnInstallFailure": false, "selectedMobileAppIds": [guid(Ids::APP, 1), guid(Ids::APP, 2)],
        "allowNonBlockingAppInstallation": false, "installQualityUpdates": false,
        "trackInstallProgressForAutopilotOnly": true, "disableUserStatusTrackingAfterFirstUser": true,
        "assignments": [assignment(format!("{}_{}", guid(Ids::CONFIG, 20), gid(6)), target_group(&gid(6)))]});

    let profile = |n: u64,
                   hybrid: bool,
                   name: &str,
                   created: &str,
                   usage: &str,
                   template: Option<&str>,
                   group: u64| {
        let odata = if hybrid {
            "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile"
        } else {
            "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"
        };
        let mut p = json!({"@odata.type": odata, "id": guid(Ids::PROFILE, n), "displayName": name, "description": "",
            "language": "os-default", "locale": "os-default", "createdDateTime": created, "lastModifiedDateTime": created,
            "deviceNameTemplate": template, "deviceType": "windowsPc", "enableWhiteGlove": false, "preprovisioningAllowed": false,
            "extractHardwareHash": false, "hardwareHashExtractionEnabled": false, "roleScopeTagIds": ["0"],
            "managementServiceAppId": null,
            "outOfBoxExperienceSettings": {"hidePrivacySettings": true, "hideEULA": true, "userType": "standard", "deviceUsageType": usage, "skipKeyboardSelectionPage": true, "hideEscapeLink": true},
            "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": true, "userType": "standard", "deviceUsageType": usage, "keyboardSelectionPageSkipped": true, "escapeLinkHidden": true},
            "enrollmentStatusScreenSettings": null,
            "assignments": [assignment(format!("{}_{}", guid(Ids::PROFILE, n), gid(group)), target_group(&gid(group)))]});
        if hybrid {
            p["hybridAzureADJoinSkipConnectivityCheck"] = json!(false);
        }
        p
    };
    let profiles = vec![
        profile(
            1,
            false,
            "Standard - user-driven",
            "2024-11-04T09:15:00Z",
            "singleUser",
            Some("CTS-%RAND:6%"),
            6,
        ),
        profile(
            2,
            false,
            "Kiosk - self-deploying",
            "2025-01-20T14:02:00Z",
            "shared",
            Some("KSK-%RAND:5%"),
            7,
        ),
        profile(
            3,
            true,
            "Branch - hybrid join",
            "2025-03-11T08:40:00Z",
            "singleUser",
            None,
            8,
        ),
    ];

    t.set("organization", "/v1.0/organization?$select=id,displayName,verifiedDomains,mobileDeviceManagementAuthority",
        vec![json!({"id": TENANT_ID, "displayName": "Contoso", "mobileDeviceManagementAuthority": "intune",
            "verifiedDomains": [{"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": true, "isInitial": false, "name": "contoso.com", "type": "Managed"},
                                {"capabilities": "Email, OfficeCommunicationsOnline, MoveActiveDirectorySyncedUser", "isDefault": false, "isInitial": true, "name": "contoso.onmicrosoft.com", "type": "Managed"}]})]);
    t.set("domains", "/v1.0/domains", vec![
        json!({"id": "contoso.com", "authenticationType": "Managed", "availabilityStatus": null, "isAdminManaged": true, "isDefault": true, "isInitial": false, "isRoot": true, "isVerified": true, "supportedServices": ["Email", "OfficeCommunicationsOnline", "Intune"], "passwordValidityPeriodInDays": 2147483647, "passwordNotificationWindowInDays": 14}),
        json!({"id": "contoso.onmicrosoft.com", "authenticationType": "Managed", "availabilityStatus": null, "isAdminManaged": true, "isDefault": false, "isInitial": true, "isRoot": true, "isVerified": true, "supportedServices": ["Email", "OfficeCommunicationsOnline"], "passwordValidityPeriodInDays": 2147483647, "passwordNotificationWindowInDays": 14}),
    ]);
    t.set("subscribedSkus", "/v1.0/subscribedSkus", vec![
        json!({"id": format!("{TENANT_ID}_{SPE_E3_SKU}"), "accountId": TENANT_ID, "accountName": "Contoso", "appliesTo": "User", "capabilityStatus": "Enabled",
               "consumedUnits": N_USERS, "skuId": SPE_E3_SKU, "skuPartNumber": "SPE_E3", "subscriptionIds": [guid(99, 1)],
               "prepaidUnits": {"enabled": 400, "suspended": 0, "warning": 0, "lockedOut": 0},
               "servicePlans": [
                   {"servicePlanId": INTUNE_A, "servicePlanName": "INTUNE_A", "provisioningStatus": "Success", "appliesTo": "User"},
                   {"servicePlanId": AAD_PREMIUM, "servicePlanName": "AAD_PREMIUM", "provisioningStatus": "Success", "appliesTo": "User"},
                   {"servicePlanId": EXCHANGE_S_ENTERPRISE, "servicePlanName": "EXCHANGE_S_ENTERPRISE", "provisioningStatus": "Success", "appliesTo": "User"}]}),
    ]);
    t.set("users", "/v1.0/users?$select=id,displayName,userPrincipalName,accountEnabled,userType,assignedPlans,onPremisesSyncEnabled,onPremisesUserPrincipalName&$top=999", users);
    t.set(
        "groupMembers",
        "/v1.0/groups/{id}/transitiveMembers?$select=id&$top=999",
        group_items,
    );
    t.set("devices", "/v1.0/devices?$select=id,deviceId,displayName,operatingSystem,trustType&$expand=registeredOwners($select=id)", entra);
    t.set("managedDevices", "/v1.0/deviceManagement/managedDevices?$select=id,deviceName,userId,userPrincipalName,operatingSystem,osVersion,serialNumber,model,manufacturer,managementAgent,managedDeviceOwnerType,deviceEnrollmentType,azureADDeviceId,enrolledDateTime", managed);
    t.set(
        "deviceEnrollmentConfigurations",
        "/beta/deviceManagement/deviceEnrollmentConfigurations?$expand=assignments",
        vec![
            limit_default,
            limit_contractors,
            default_restrictions,
            windows_sales,
            whfb,
            esp,
            esp_autopilot,
        ],
    );
    t.set(
        "mobileDeviceManagementPolicies",
        "/beta/policies/mobileDeviceManagementPolicies?$expand=includedGroups",
        vec![mobility(
            "mobileDeviceManagementPolicy",
            "all",
            vec![],
            DEFAULT_TOU,
        )],
    );
    t.set(
        "mobileAppManagementPolicies",
        "/beta/policies/mobileAppManagementPolicies?$expand=includedGroups",
        vec![mobility("mobileAppManagementPolicy", "none", vec![], "")],
    );
    t.set(
        "deviceRegistrationPolicy",
        "/v1.0/policies/deviceRegistrationPolicy",
        vec![registration_policy(
            50,
            json!({"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}),
        )],
    );
    t.set(
        "windowsAutopilotDeploymentProfiles",
        "/beta/deviceManagement/windowsAutopilotDeploymentProfiles?$expand=assignments",
        profiles,
    );
    t.set(
        "windowsAutopilotDeviceIdentities",
        "/beta/deviceManagement/windowsAutopilotDeviceIdentities",
        autopilot,
    );
    t.set(
        "importedWindowsAutopilotDeviceIdentities",
        "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities?$select=id,serialNumber,groupTag,importId,state",
        vec![json!({"id": guid(Ids::AUTOPILOT, 9_001), "serialNumber": "PF5L2X01", "groupTag": "Standard",
            "importId": "6d2e8f10-2a4b-4c6d-8e0f-1a2b3c4d5e01",
            "state": {"@odata.type": "microsoft.graph.importedWindowsAutopilotDeviceIdentityState",
                      "deviceImportStatus": "complete", "deviceRegistrationId": guid(Ids::AUTOPILOT, 9_101),
                      "deviceErrorCode": 0, "deviceErrorName": ""}})],
    );
    set_device_preparation(&mut t);
    t.set("domainJoinConnectors", "/beta/deviceManagement/domainJoinConnectors", vec![
        json!({"id": guid(Ids::CONNECTOR, 1), "displayName": "CTS-ODJ01", "lastConnectionDateTime": "2026-11-20T06:58:12Z", "state": "active", "version": "6.2501.2000.5"}),
    ]);
    // Windows corporate identifiers (beta importedDeviceIdentity: "manufacturer,model,serial").
    let identifiers = (0..3)
        .map(|n| {
            corporate_identifier(
                n,
                "manufacturerModelSerial",
                "windows",
                &format!("Dell Inc.,Latitude 7450,{}", 7_310_000 + n),
            )
        })
        .chain([corporate_identifier(
            9,
            "imei",
            "android",
            "356938035643809",
        )])
        .collect();
    set_planned(
        &mut t,
        intune_audit_checks::Resource::ImportedDeviceIdentities,
        identifiers,
    );
    // Conditional Access: MFA for everyone; terms of use and a block on all but a few apps for
    // contractors, both excluding Microsoft Intune Enrollment (and Microsoft Intune).
    let policies = vec![
        ca_policy(
            1,
            "Require MFA for all users",
            &["All"],
            &[],
            users_all(),
            ca_grant(&["mfa"], &[]),
        ),
        ca_policy(
            2,
            "Contractors - accept terms of use",
            &["All"],
            &[INTUNE_ENROLLMENT_APP],
            users_group(&gid(4)),
            ca_grant(&[], &[&guid(Ids::CA, 101)]),
        ),
        ca_policy(
            3,
            "Contractors - block all but Exchange and Intune",
            &["All"],
            &[EXCHANGE_ONLINE_APP, INTUNE_ENROLLMENT_APP, INTUNE_APP],
            users_group(&gid(4)),
            ca_grant(&["block"], &[]),
        ),
    ];
    set_planned(
        &mut t,
        intune_audit_checks::Resource::ConditionalAccessPolicies,
        policies,
    );
    // A Windows device restriction profile and a custom (OMA-URI) profile for the standard
    // Autopilot devices.
    let configurations = vec![
        device_restrictions("notConfigured", gid(6)),
        custom_profile("./Device/Vendor/MSFT/Policy/Config/Start/HideSleep", gid(6)),
    ];
    set_planned(
        &mut t,
        intune_audit_checks::Resource::DeviceConfigurations,
        configurations,
    );
    Built {
        tenant: t,
        contractors,
        synced_users,
        o365_only,
        sales,
    }
}

/// Sets a resource at the request path the collector's plan gives it.
fn set_planned(t: &mut Tenant, r: intune_audit_checks::Resource, items: Vec<Value>) {
    let path = intune_audit::graph::plan::request(r).relative_url();
    t.set(r.key(), &path, items);
}

/// `importedDeviceIdentity` (beta intune-enrollment-importeddeviceidentity-list), as selected.
fn corporate_identifier(n: u64, kind: &str, platform: &str, identifier: &str) -> Value {
    json!({"id": guid(Ids::IDENTIFIER, n), "importedDeviceIdentifier": identifier,
           "importedDeviceIdentityType": kind, "platform": platform, "enrollmentState": "notContacted"})
}

fn users_all() -> Value {
    json!({"includeUsers": ["All"], "excludeUsers": [], "includeGroups": [], "excludeGroups": [],
           "includeRoles": [], "excludeRoles": [], "includeGuestsOrExternalUsers": null, "excludeGuestsOrExternalUsers": null})
}

fn users_group(group: &str) -> Value {
    json!({"includeUsers": [], "excludeUsers": [], "includeGroups": [group], "excludeGroups": [],
           "includeRoles": [], "excludeRoles": [], "includeGuestsOrExternalUsers": null, "excludeGuestsOrExternalUsers": null})
}

fn ca_grant(controls: &[&str], terms_of_use: &[&str]) -> Value {
    json!({"operator": "OR", "builtInControls": controls, "customAuthenticationFactors": [],
           "termsOfUse": terms_of_use, "authenticationStrength": null})
}

/// `conditionalAccessPolicy` (v1.0 conditionalaccessroot-list-policies).
fn ca_policy(
    n: u64,
    name: &str,
    include: &[&str],
    exclude: &[&str],
    users: Value,
    grant: Value,
) -> Value {
    json!({"id": guid(Ids::CA, n), "displayName": name, "createdDateTime": "2025-05-12T09:30:00Z",
        "modifiedDateTime": "2026-06-03T15:10:00Z", "state": "enabled", "templateId": null, "sessionControls": null,
        "conditions": {"userRiskLevels": [], "signInRiskLevels": [], "clientAppTypes": ["all"], "servicePrincipalRiskLevels": [],
            "platforms": null, "locations": null, "devices": null, "clientApplications": null,
            "applications": {"includeApplications": include, "excludeApplications": exclude, "includeUserActions": [],
                             "includeAuthenticationContextClassReferences": []},
            "users": users},
        "grantControls": grant})
}

/// `windows10GeneralConfiguration` (v1.0), trimmed, with its expanded assignment.
fn device_restrictions(sign_in_assistant: &str, group: String) -> Value {
    let id = guid(Ids::CONFIGURATION, 1);
    json!({"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "id": id,
        "displayName": "Windows - device restrictions", "description": "", "version": 4, "roleScopeTagIds": ["0"],
        "createdDateTime": "2025-03-20T10:00:00Z", "lastModifiedDateTime": "2026-05-14T08:25:00Z",
        "microsoftAccountBlocked": false, "microsoftAccountBlockSettingsSync": false,
        "microsoftAccountSignInAssistantSettings": sign_in_assistant, "enableAutomaticRedeployment": true,
        "assignments": [{"id": format!("{id}_{group}"), "target": target_group(&group)}]})
}

/// `windows10CustomConfiguration` (v1.0 intune-deviceconfig-windows10customconfiguration) with
/// one `omaSettingString` (intune-deviceconfig-omasettingstring) and its expanded assignment.
fn custom_profile(oma_uri: &str, group: String) -> Value {
    let id = guid(Ids::CONFIGURATION, 2);
    json!({"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "id": id,
        "displayName": "Windows - custom settings", "description": "", "version": 2, "roleScopeTagIds": ["0"],
        "createdDateTime": "2025-04-02T10:00:00Z", "lastModifiedDateTime": "2026-05-14T08:30:00Z",
        "omaSettings": [{"@odata.type": "#microsoft.graph.omaSettingString", "displayName": "Custom setting",
            "description": "", "omaUri": oma_uri, "value": "1"}],
        "assignments": [{"id": format!("{id}_{group}"), "target": target_group(&group)}]})
}

/// `mobileAppAssignment` (v1.0, intune-apps-mobileappassignment).
fn app_assignment(app: u64, group: u64, intent: &str) -> Value {
    json!({"@odata.type": "#microsoft.graph.mobileAppAssignment", "id": format!("{}_{}_0", guid(Ids::APP, app), gid(group)),
           "intent": intent, "target": target_group(&gid(group)), "settings": null})
}

/// Device preparation (one user-driven policy for All Staff, its Intune Provisioning Client)
/// and the apps: two Win32 apps required for the Autopilot devices, one line-of-business MSI
/// only available to All Staff. The apps are kept as the collector keeps them (type, id,
/// name, assignments).
fn set_device_preparation(t: &mut Tenant) {
    use intune_audit_checks::Resource as R;
    let policy = guid(Ids::POLICY, 1);
    set_planned(
        t,
        R::ConfigurationPolicies,
        vec![json!({
        "id": policy, "name": "Contoso - device preparation (user-driven)", "platforms": "windows10", "technologies": "enrollment",
        "templateReference": {"templateId": "80d33118-b7b4-40d8-b15f-81be745e053f_1", "templateFamily": "enrollmentConfiguration"},
        "assignments": [{"id": format!("{policy}_{}", gid(1)), "source": "direct", "sourceId": policy, "target": target_group(&gid(1))}],
        "settings": [{"id": "0", "settingInstance": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
            "settingDefinitionId": "enrollment_autopilot_dpp_accountype",
            "settingInstanceTemplateReference": {"settingInstanceTemplateId": "d4f2a840-86d5-4162-9a08-fa8cc608b94e"},
            "choiceSettingValue": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingValue",
                "value": "enrollment_autopilot_dpp_accountype_0",
                "settingValueTemplateReference": {"settingValueTemplateId": "bf13bb47-69ef-4e06-97c1-50c2859a49c2"}, "children": []}}}]})],
    );
    set_planned(
        t,
        R::ServicePrincipals,
        vec![json!({
        "id": guid(Ids::PRINCIPAL, 1), "appId": "f1346770-5b25-470b-88bd-d5744ab7952c", "displayName": "Intune Provisioning Client"})],
    );
    set_planned(
        t,
        R::MobileApps,
        vec![
            json!({"@odata.type": "#microsoft.graph.win32LobApp", "id": guid(Ids::APP, 1), "displayName": "Contoso VPN Client",
               "assignments": [app_assignment(1, 6, "required")]}),
            json!({"@odata.type": "#microsoft.graph.win32LobApp", "id": guid(Ids::APP, 2), "displayName": "Microsoft 365 Apps (Win32)",
               "assignments": [app_assignment(2, 6, "required")]}),
            json!({"@odata.type": "#microsoft.graph.windowsMobileMSI", "id": guid(Ids::APP, 3), "displayName": "Contoso Timesheets (MSI)",
               "assignments": [app_assignment(3, 1, "available")]}),
            json!({"@odata.type": "#microsoft.graph.iosVppApp", "id": guid(Ids::APP, 4), "displayName": "Contoso Field Service",
               "assignments": [app_assignment(4, 2, "required")]}),
        ],
    );
}

/// Breaks device preparation and the Enrollment Status Page: the Intune Provisioning Client was
/// never added, registering users are not local administrators, the blocking-apps ESP is
/// assigned to the Sales users, and the MSI app is required for the Autopilot devices.
fn break_device_preparation(t: &mut Tenant) {
    t.items("servicePrincipals").clear();
    t.items("deviceRegistrationPolicy")[0]["azureADJoin"]["localAdmins"]["registeringUsers"] =
        json!({"@odata.type": "#microsoft.graph.noDeviceRegistrationMembership"});
    let esp_id = format!(
        "{}_Windows10EnrollmentCompletionPageConfiguration",
        guid(Ids::CONFIG, 20)
    );
    for c in t.items("deviceEnrollmentConfigurations").iter_mut() {
        if c["id"] == json!(esp_id) {
            c["assignments"] = json!([assignment(
                format!("{}_{}", guid(Ids::CONFIG, 20), gid(2)),
                target_group(&gid(2))
            )]);
        }
    }
    for a in t.items("mobileApps").iter_mut() {
        if a["id"] == json!(guid(Ids::APP, 3)) {
            a["assignments"] = json!([app_assignment(3, 6, "required")]);
        }
    }
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn upn_of(users: &[Value], id: &str) -> String {
    users
        .iter()
        .find(|u| u["id"] == id)
        .and_then(|u| u["userPrincipalName"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[allow(clippy::too_many_arguments)]
fn managed_device(
    n: u64,
    uid: &str,
    upn: &str,
    os: &str,
    ver: &str,
    model: &str,
    maker: &str,
    etype: &str,
    owner: &str,
    agent: &str,
) -> Value {
    json!({"id": guid(Ids::MANAGED, n), "deviceName": format!("{}-{n:05}", if os == "Windows" { "CTS" } else { os }),
        "userId": uid, "userPrincipalName": upn, "userDisplayName": upn.split('@').next().unwrap_or_default(),
        "operatingSystem": os, "osVersion": ver, "serialNumber": format!("SN{:08}", 10_000_000 + n), "model": model, "manufacturer": maker,
        "managementAgent": agent, "managedDeviceOwnerType": owner, "deviceEnrollmentType": etype,
        "azureADDeviceId": guid(Ids::ENTRA_DEVICE_ID, n), "azureADRegistered": true, "complianceState": "compliant",
        "enrolledDateTime": format!("2026-0{}-1{}T09:30:00Z", 1 + n % 9, n % 10), "lastSyncDateTime": "2026-11-19T22:10:00Z"})
}

fn entra_device(n: u64, name: &str, trust: &str, owner: Option<&str>) -> Value {
    let owners: Vec<Value> = owner
        .into_iter()
        .map(|o| json!({"@odata.type": "#microsoft.graph.user", "id": o}))
        .collect();
    json!({"id": guid(Ids::ENTRA, n), "deviceId": guid(Ids::ENTRA_DEVICE_ID, n), "displayName": name,
        "operatingSystem": "Windows", "trustType": trust, "registeredOwners": owners})
}

fn mobility(kind: &str, applies_to: &str, groups: Vec<(String, &str)>, tou: &str) -> Value {
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(id, name)| json!({"id": id, "displayName": name}))
        .collect();
    let mdm = kind == "mobileDeviceManagementPolicy";
    let mut p = json!({"@odata.type": format!("#microsoft.graph.{kind}"), "id": INTUNE_APP, "displayName": "Microsoft Intune",
        "description": "Microsoft Intune", "appliesTo": applies_to, "isValid": true, "includedGroups": groups,
        "discoveryUrl": if mdm { "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc" } else { "https://wip.mam.manage.microsoft.com/Enroll" },
        "complianceUrl": if mdm { "https://portal.manage.microsoft.com/?portalAction=Compliance" } else { "" },
        "termsOfUseUrl": tou});
    if mdm {
        p["isMdmEnrollmentDuringRegistrationDisabled"] = json!(false);
    }
    p
}

fn registration_policy(quota: i64, join: Value) -> Value {
    json!({"id": "deviceRegistrationPolicy", "displayName": "Device Registration Policy",
        "description": "Tenant-wide policy that manages initial provisioning controls using quota restrictions, additional authentication and authorization checks",
        "userDeviceQuota": quota, "multiFactorAuthConfiguration": "notRequired",
        "azureADRegistration": {"isAdminConfigurable": false, "allowedToRegister": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}},
        "azureADJoin": {"isAdminConfigurable": true, "allowedToJoin": join,
            "localAdmins": {"enableGlobalAdmins": true, "registeringUsers": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}}},
        "localAdminPassword": {"isEnabled": true}})
}

/// The broken tenant: every setting a check reads, broken at least once.
fn break_it(b: &Built) -> Tenant {
    let mut t = b.tenant.clone();
    // Licensing: some users have only Office 365 (MDM for Office 365, not Intune), one lacks Entra P1;
    // the Intune seats are used up.
    for u in t.items("users").iter_mut() {
        let id = u["id"].as_str().unwrap_or_default().to_string();
        if b.o365_only.contains(&id) {
            u["assignedPlans"] = json!([
                plan(EXCHANGE_S_ENTERPRISE, "Enabled"),
                plan(INTUNE_O365, "Enabled")
            ]);
        }
        // On-premises UPNs with a non-routable suffix (synced with contoso.local).
        if b.synced_users.iter().take(9).any(|s| *s == id) {
            let upn = u["userPrincipalName"]
                .as_str()
                .unwrap_or_default()
                .replace("@contoso.com", "@contoso.local");
            u["onPremisesUserPrincipalName"] = json!(upn);
        }
    }
    t.items("subscribedSkus")[0]["prepaidUnits"]["enabled"] = json!(N_USERS);
    t.items("subscribedSkus").push(json!({"id": format!("{TENANT_ID}_{O365_E3_SKU}"), "accountId": TENANT_ID, "accountName": "Contoso",
        "appliesTo": "User", "capabilityStatus": "Enabled", "consumedUnits": 8, "skuId": O365_E3_SKU, "skuPartNumber": "ENTERPRISEPACK",
        "subscriptionIds": [guid(99, 2)], "prepaidUnits": {"enabled": 25, "suspended": 0, "warning": 0, "lockedOut": 0},
        "servicePlans": [{"servicePlanId": INTUNE_O365, "servicePlanName": "INTUNE_O365", "provisioningStatus": "PendingActivation", "appliesTo": "User"},
                         {"servicePlanId": EXCHANGE_S_ENTERPRISE, "servicePlanName": "EXCHANGE_S_ENTERPRISE", "provisioningStatus": "Success", "appliesTo": "User"}]}));
    t.items("organization")[0]["mobileDeviceManagementAuthority"] = json!("office365");

    // MDM scope "Some": only the Intune Pilot group; terms-of-use URL cleared; MAM scope All.
    t.items("mobileDeviceManagementPolicies")[0] = mobility(
        "mobileDeviceManagementPolicy",
        "selected",
        vec![(gid(10), "Intune Pilot")],
        "",
    );
    t.items("mobileAppManagementPolicies")[0] =
        mobility("mobileAppManagementPolicy", "all", vec![], "");
    // The discovery URL was cleared by hand; a second MDM application also has a user scope.
    t.items("mobileDeviceManagementPolicies")[0]["discoveryUrl"] = json!("");
    let mut legacy = mobility("mobileDeviceManagementPolicy", "all", vec![], "");
    legacy["id"] = json!("6f2b8c1e-3d4a-4b5c-9e8f-0a1b2c3d4e5f");
    legacy["displayName"] = json!("Contoso Legacy MDM");
    t.items("mobileDeviceManagementPolicies").push(legacy);
    // Intune Pilot loses the users who are not in All Staff's first 250.
    if let Some(pilot) = t
        .items("groupMembers")
        .iter_mut()
        .find(|g| g["id"] == gid(10))
    {
        let kept: Vec<Value> = pilot["members"]
            .as_array()
            .map(|m| m.iter().take(250).cloned().collect())
            .unwrap_or_default();
        pilot["members"] = json!(kept);
    }

    // Entra: join only for "Device Joiners" (a hardening baseline's choice), quota 5.
    t.items("deviceRegistrationPolicy")[0] = registration_policy(
        5,
        json!({"@odata.type": "#microsoft.graph.enumeratedDeviceRegistrationMembership", "users": [], "groups": [gid(9)]}),
    );
    // Some Sales users registered many personal devices.
    let heavy: Vec<String> = b.sales.iter().skip(10).take(3).cloned().collect();
    for (k, uid) in heavy.iter().enumerate() {
        for j in 0..5 {
            let n = 20_000 + (k as u64) * 10 + j;
            t.items("devices").push(entra_device(
                n,
                &format!("PHONE-{k}-{j}"),
                "Workplace",
                Some(uid),
            ));
        }
    }

    // Enrollment restrictions: the default blocks Windows; "All users" allow at priority 2 with
    // personal devices blocked and a maximum OS version that excludes Windows 11 24H2+; the kiosk
    // operators' restriction blocks Windows at priority 1; contractors are limited to 2 devices.
    let configs = t.items("deviceEnrollmentConfigurations");
    configs[1]["limit"] = json!(2);
    configs[1]["displayName"] = json!("Contractors - 2 devices");
    configs[2]["windowsRestriction"] = restriction(true, false, None, None);
    configs.push(json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration",
        "id": format!("{}_SinglePlatformRestriction", guid(Ids::CONFIG, 3)), "displayName": "Windows - Kiosk operators (blocked)", "description": "",
        "priority": 2, "createdDateTime": "2025-06-18T07:12:00Z", "lastModifiedDateTime": "2025-06-18T07:12:00Z", "version": 1,
        "roleScopeTagIds": ["0"], "deviceEnrollmentConfigurationType": "singlePlatformRestriction", "platformType": "windows",
        "platformRestriction": restriction(true, false, None, None),
        "assignments": [assignment(format!("{}_{}", guid(Ids::CONFIG, 3), gid(5)), target_group(&gid(5)))]}));
    configs.push(json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration",
        "id": format!("{}_SinglePlatformRestriction", guid(Ids::CONFIG, 4)), "displayName": "Windows - All users (corporate only)", "description": "",
        "priority": 3, "createdDateTime": "2025-06-18T07:20:00Z", "lastModifiedDateTime": "2025-10-02T16:44:00Z", "version": 2,
        "roleScopeTagIds": ["0"], "deviceEnrollmentConfigurationType": "singlePlatformRestriction", "platformType": "windows",
        "platformRestriction": restriction(false, true, None, Some("10.0.22631.9999")),
        "assignments": [assignment(format!("{}_all", guid(Ids::CONFIG, 4)), json!({"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget", "deviceAndAppManagementAssignmentFilterId": null, "deviceAndAppManagementAssignmentFilterType": "none"}))]}));
    configs.push(json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration",
        "id": format!("{}_SinglePlatformRestriction", guid(Ids::CONFIG, 5)), "displayName": "Windows - Sales laptops (filtered)", "description": "",
        "priority": 1, "createdDateTime": "2025-07-01T07:00:00Z", "lastModifiedDateTime": "2025-07-01T07:00:00Z", "version": 1,
        "roleScopeTagIds": ["0"], "deviceEnrollmentConfigurationType": "singlePlatformRestriction", "platformType": "windows",
        "platformRestriction": restriction(true, false, None, None),
        "assignments": [assignment(format!("{}_{}", guid(Ids::CONFIG, 5), gid(3)), json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget",
            "deviceAndAppManagementAssignmentFilterId": guid(Ids::FILTER, 1), "deviceAndAppManagementAssignmentFilterType": "include", "groupId": gid(3)}))]}));
    // Sales used to override the default; now it sits below the blocking ones.
    configs[3]["priority"] = json!(4);

    // Contractors' BYOD phones: at or over their limit of 2.
    let contractors: Vec<String> = b.contractors.iter().take(6).cloned().collect();
    let users = t.items("users").clone();
    for (k, uid) in contractors.iter().enumerate() {
        let upn = upn_of(&users, uid);
        for j in 0..2 {
            let n = 30_000 + (k as u64) * 10 + j;
            t.items("managedDevices").push(managed_device(
                n,
                uid,
                &upn,
                if j == 0 { "iOS" } else { "Android" },
                "17.6",
                "iPhone 13",
                "Apple",
                "userEnrollment",
                "personal",
                "mdm",
            ));
        }
    }
    // Legacy Intune PC agent and ConfigMgr-only devices, owned by users in the MDM scope.
    let pilot: Vec<String> = b.sales.iter().take(6).cloned().collect();
    for (k, uid) in pilot.iter().enumerate() {
        let upn = upn_of(&users, uid);
        let agent = if k < 3 {
            "intuneClient"
        } else {
            "configurationManagerClient"
        };
        let n = 40_000 + k as u64;
        t.items("managedDevices").push(managed_device(
            n,
            uid,
            &upn,
            "Windows",
            "10.0.19045.5011",
            "OptiPlex 7010",
            "Dell Inc.",
            "windowsCoManagement",
            "company",
            agent,
        ));
    }

    // Autopilot: a lower-case macro and a 17-character template; a device in two profile groups;
    // a Hyper-V VM under the self-deploying profile; a hybrid device with an assigned user; the
    // ODJ connector in error; a kiosk device whose old Intune record is still there; a device
    // in no profile group.
    let profiles = t.items("windowsAutopilotDeploymentProfiles");
    profiles[0]["deviceNameTemplate"] = json!("%serial%-CONTOSO");
    profiles.push(json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "id": guid(Ids::PROFILE, 4),
        "displayName": "Finance - user-driven", "description": "", "language": "os-default", "locale": "os-default",
        "createdDateTime": "2025-08-22T10:00:00Z", "lastModifiedDateTime": "2025-08-22T10:00:00Z",
        "deviceNameTemplate": "CONTOSO-FIN-%RAND:6%", "deviceType": "windowsPc", "enableWhiteGlove": true, "preprovisioningAllowed": true,
        "extractHardwareHash": false, "hardwareHashExtractionEnabled": false, "roleScopeTagIds": ["0"], "managementServiceAppId": null,
        "outOfBoxExperienceSettings": {"hidePrivacySettings": true, "hideEULA": true, "userType": "standard", "deviceUsageType": "singleUser", "skipKeyboardSelectionPage": true, "hideEscapeLink": true},
        "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": true, "userType": "standard", "deviceUsageType": "singleUser", "keyboardSelectionPageSkipped": true, "escapeLinkHidden": true},
        "enrollmentStatusScreenSettings": null,
        "assignments": [assignment(format!("{}_{}", guid(Ids::PROFILE, 4), gid(6)), target_group(&gid(6)))]}));
    let mut kiosk_device = String::new();
    let mut conflict_entra = String::new();
    let mut orphan_entra = String::new();
    let mut registered_entra = String::new();
    for (i, d) in t
        .items("windowsAutopilotDeviceIdentities")
        .iter_mut()
        .enumerate()
    {
        match i {
            3 => {
                d["model"] = json!("Virtual Machine");
                d["manufacturer"] = json!("Microsoft Corporation");
            }
            5 | 11 => d["userPrincipalName"] = json!("adele.vance@contoso.com"),
            9 => {
                kiosk_device = d["serialNumber"].as_str().unwrap_or_default().to_string();
                d["managedDeviceId"] = json!(guid(Ids::MANAGED, 50_000));
                d["enrollmentState"] = json!("enrolled");
            }
            15 => conflict_entra = guid(Ids::ENTRA, 10_000 + i as u64),
            17 => {
                orphan_entra = guid(Ids::ENTRA, 10_000 + i as u64);
                d["deploymentProfileAssignmentStatus"] = json!("notAssigned");
            }
            // A new motherboard: the device must be registered again.
            21 => d["remediationState"] = json!("manualRemediationRequired"),
            // Intune could not assign its profile.
            23 => d["deploymentProfileAssignmentStatus"] = json!("failed"),
            // Workplace-joined before it was registered for Autopilot.
            25 => {
                registered_entra = d["azureActiveDirectoryDeviceId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            }
            // Its Entra device object was deleted by a stale-device clean-up.
            19 => {
                let deleted = json!("d3d3d3d3-0000-4000-8000-0000000000de");
                d["azureActiveDirectoryDeviceId"] = deleted.clone();
                if d.get("azureAdDeviceId").is_some() {
                    d["azureAdDeviceId"] = deleted;
                }
            }
            _ => {}
        }
    }
    for e in t.items("devices").iter_mut() {
        if !registered_entra.is_empty() && e["deviceId"] == json!(registered_entra) {
            e["trustType"] = json!("Workplace");
        }
    }
    // A reseller's hash upload of a PC still registered in another tenant.
    t.items("importedWindowsAutopilotDeviceIdentities")
        .push(json!({
        "id": guid(Ids::AUTOPILOT, 9_002), "serialNumber": "5CG4XK0808", "groupTag": "Branch",
        "importId": "6d2e8f10-2a4b-4c6d-8e0f-1a2b3c4d5e02",
        "state": {"@odata.type": "microsoft.graph.importedWindowsAutopilotDeviceIdentityState",
                  "deviceImportStatus": "error", "deviceRegistrationId": "",
                  "deviceErrorCode": 808, "deviceErrorName": "ZtdDeviceAssignedToOtherTenant"}}));
    // The kiosk device's previous Intune record, left behind after a reset.
    let mut kiosk_record = managed_device(
        50_000,
        "",
        "",
        "Windows",
        "10.0.26100.2314",
        "Surface Go 4",
        "Microsoft Corporation",
        "windowsAzureADJoinUsingDeviceAuth",
        "company",
        "mdm",
    );
    kiosk_record["serialNumber"] = json!(kiosk_device);
    t.items("managedDevices").push(kiosk_record);
    for g in t.items("groupMembers").iter_mut() {
        let id = g["id"].as_str().unwrap_or_default().to_string();
        let Some(members) = g["members"].as_array_mut() else {
            continue;
        };
        // The orphan device leaves every profile group.
        members.retain(|m| m["id"] != orphan_entra);
        if id == gid(6) {
            // A kiosk device also sits in the Standard group: two different profiles reach it.
            members.push(json!({"@odata.type": "#microsoft.graph.device", "id": conflict_entra}));
        }
    }
    // Contractors must accept terms of use on every app, Intune Enrollment included; the block
    // on all but Exchange no longer excludes Microsoft Intune.
    let policies = t.items("conditionalAccessPolicies");
    policies[1]["conditions"]["applications"]["excludeApplications"] = json!([]);
    policies[2]["conditions"]["applications"]["excludeApplications"] =
        json!([EXCHANGE_ONLINE_APP, INTUNE_ENROLLMENT_APP]);
    // The device restrictions for standard Autopilot devices disable the sign-in assistant.
    t.items("deviceConfigurations")[0]["microsoftAccountSignInAssistantSettings"] =
        json!("disabled");
    // The custom profile for them sets AppLocker EXE rules, which restart the device during
    // the Enrollment Status Page.
    t.items("deviceConfigurations")[1]["omaSettings"][0] = json!({
        "@odata.type": "#microsoft.graph.omaSettingString", "displayName": "AppLocker EXE rules",
        "description": "", "omaUri": "./Vendor/MSFT/AppLocker/ApplicationLaunchRestrictions/Contoso/EXE/Policy",
        "value": "<RuleCollection Type=\"Exe\" EnforcementMode=\"Enabled\" />"});
    break_device_preparation(&mut t);
    t.items("domainJoinConnectors")[0]["state"] = json!("error");
    t.items("domainJoinConnectors")[0]["lastConnectionDateTime"] = json!("2026-08-02T11:20:00Z");
    // The failure history: the event fixtures (Graph's shapes, see their README), kept as the
    // collector keeps them: in the 30-day window, trimmed, successful deployments dropped.
    for (key, text) in [
        (
            "troubleshootingEvents",
            include_str!("../checks/tests/fixtures/failures/troubleshootingEvents.json"),
        ),
        (
            "autopilotEvents",
            include_str!("../checks/tests/fixtures/failures/autopilotEvents.json"),
        ),
    ] {
        let resource = intune_audit_checks::Resource::from_key(key).expect("a resource");
        let window = EventWindowAt::new(COLLECTED_AT, 30);
        let doc: Value = serde_json::from_str(text).expect("fixture JSON");
        let items = doc["value"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| window.keep(resource, v.clone()))
            .collect();
        let path = intune_audit::graph::plan::request(resource).relative_url();
        t.set(key, &path, items);
    }
    t
}

/// The collector's event window, anchored at the sample's collection time.
struct EventWindowAt(intune_audit::graph::collect::EventWindow);

impl EventWindowAt {
    fn new(at: &str, days: u32) -> Self {
        let at = intune_audit_checks::time::parse_rfc3339(at).expect("RFC 3339");
        EventWindowAt(intune_audit::graph::collect::EventWindow::at(at, days))
    }
    fn keep(&self, r: intune_audit_checks::Resource, v: Value) -> Option<Value> {
        self.0.keep(r, v)
    }
}

/// Both samples: (path relative to the repository root, file contents).
pub fn outputs() -> Vec<(&'static str, String)> {
    let built = build();
    let samples = [
        ("examples/tenants/healthy.json", {
            // A healthy tenant: the failure history was read and holds no failure.
            let mut healthy = built.tenant.clone();
            for r in [
                intune_audit_checks::Resource::TroubleshootingEvents,
                intune_audit_checks::Resource::AutopilotEvents,
            ] {
                let path = intune_audit::graph::plan::request(r).relative_url();
                healthy.set(r.key(), &path, Vec::new());
            }
            healthy.to_json("Contoso (healthy sample)")
        }),
        (
            "examples/tenants/broken.json",
            break_it(&built).to_json("Contoso (broken sample)"),
        ),
    ];
    samples
        .into_iter()
        .map(|(path, value)| {
            let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
            text.push('\n');
            (path, text)
        })
        .collect()
}

fn main() {
    let check = std::env::args().any(|a| a == "--check");
    let mut stale = false;
    for (path, text) in outputs() {
        if check {
            if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
                eprintln!("{path} is stale: run `cargo run --example gen_tenants`");
                stale = true;
            }
        } else if let Err(e) = std::fs::write(path, text) {
            eprintln!("cannot write {path}: {e}");
            std::process::exit(2);
        } else {
            eprintln!("wrote {path}");
        }
    }
    std::process::exit(i32::from(stale));
}
