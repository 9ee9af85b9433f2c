//! Test fixtures: a minimal snapshot built in code, with Graph-shaped objects.
//!
//! A resource a test does not set is *not collected* (→ `not_evaluated`), exactly as in a real
//! snapshot. Tests set only what their check reads.

use crate::report::Finding;
use crate::settings::Settings;
use crate::snapshot::{
    Resource, ResourceEntry, Snapshot, Status, TenantInfo, SNAPSHOT_SCHEMA, SNAPSHOT_VERSION,
};
use crate::tenant::Tenant;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub const INTUNE_A: &str = "c1ec4a95-1f05-45b3-a911-aa3fa01094f5";
pub const AAD_PREMIUM: &str = "41781fb2-bc02-4b7c-bd55-b576c07bb09d";
pub const INTUNE_O365: &str = "882e1d05-acd1-4ccb-8708-6ee03664b117";

#[derive(Clone)]
pub struct Fixture {
    pub snapshot: Snapshot,
    pub settings: Settings,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture {
            snapshot: Snapshot {
                schema: SNAPSHOT_SCHEMA.into(),
                version: SNAPSHOT_VERSION,
                tenant: TenantInfo {
                    id: TENANT.into(),
                    name: "Contoso".into(),
                },
                cloud: "global".into(),
                collected_at: "2026-11-20T08:00:00Z".into(),
                tool_version: "test".into(),
                resources: BTreeMap::new(),
            },
            settings: Settings::default(),
        }
    }

    /// Sets a collected resource.
    pub fn with(mut self, resource: Resource, items: Vec<Value>) -> Fixture {
        self.snapshot.resources.insert(
            resource.key().into(),
            ResourceEntry::ok(format!("/test/{resource}"), items),
        );
        self
    }

    /// Marks a resource as denied (403/401).
    pub fn forbidden(mut self, resource: Resource) -> Fixture {
        self.snapshot.resources.insert(
            resource.key().into(),
            ResourceEntry {
                path: format!("/test/{resource}"),
                status: Status::Forbidden,
                permission: Some(resource.permission().into()),
                message: Some("Authorization_RequestDenied".into()),
                items: vec![],
            },
        );
        self
    }

    pub fn tenant(&self) -> Tenant {
        Tenant::from_snapshot(&self.snapshot).expect("fixture snapshot is well-formed")
    }

    /// Runs one registered check.
    pub fn run(&self, check_id: &str) -> Finding {
        let check = crate::run::find(check_id).unwrap_or_else(|| panic!("no check {check_id}"));
        check.run(&self.tenant(), &self.settings)
    }
}

/// The ids of a finding's affected objects, sorted.
pub fn affected_ids(f: &Finding) -> Vec<String> {
    let mut ids: Vec<String> = f.affected.iter().map(|a| a.id.clone()).collect();
    ids.sort();
    ids
}

// ---------------------------------------------------------------- directory objects

pub fn user(id: &str, upn: &str) -> Value {
    json!({"id": id, "displayName": upn.split('@').next().unwrap_or(upn), "userPrincipalName": upn,
           "accountEnabled": true, "userType": "Member", "assignedPlans": []})
}

/// A user with active plans (service plan ids).
pub fn licensed_user(id: &str, upn: &str, plans: &[&str]) -> Value {
    let mut u = user(id, upn);
    u["assignedPlans"] = plans
        .iter()
        .map(|p| json!({"assignedDateTime": "2025-01-01T00:00:00Z", "capabilityStatus": "Enabled", "service": "SCO", "servicePlanId": p}))
        .collect();
    u
}

/// `groupMembers` item. Members are `("user"|"device"|"group", id)`.
pub fn group(id: &str, name: &str, members: &[(&str, &str)]) -> Value {
    let members: Vec<Value> = members
        .iter()
        .map(|(kind, mid)| json!({"@odata.type": format!("#microsoft.graph.{kind}"), "id": mid}))
        .collect();
    json!({"id": id, "displayName": name, "members": members})
}

pub fn domain(name: &str, verified: bool) -> Value {
    json!({"id": name, "isVerified": verified, "isDefault": false, "isInitial": name.ends_with(".onmicrosoft.com")})
}

pub fn entra_device(object_id: &str, device_id: &str, trust: &str, owners: &[&str]) -> Value {
    let owners: Vec<Value> = owners
        .iter()
        .map(|o| json!({"@odata.type": "#microsoft.graph.user", "id": o}))
        .collect();
    json!({"id": object_id, "deviceId": device_id, "displayName": format!("DEV-{object_id}"),
           "operatingSystem": "Windows", "trustType": trust, "registeredOwners": owners})
}

// ---------------------------------------------------------------- assignment targets

pub fn group_target(group_id: &str) -> Value {
    json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id,
           "deviceAndAppManagementAssignmentFilterId": null, "deviceAndAppManagementAssignmentFilterType": "none"}})
}

pub fn filtered_group_target(group_id: &str, filter_id: &str) -> Value {
    json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id,
           "deviceAndAppManagementAssignmentFilterId": filter_id, "deviceAndAppManagementAssignmentFilterType": "include"}})
}

pub fn exclusion_target(group_id: &str) -> Value {
    json!({"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": group_id}})
}

pub fn all_users_target() -> Value {
    json!({"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}})
}

pub fn all_devices_target() -> Value {
    json!({"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}})
}

// ---------------------------------------------------------------- enrollment configurations

pub fn default_limit(limit: i64) -> Value {
    json!({"@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
           "id": format!("{TENANT}_DefaultLimit"), "displayName": "All users and all devices",
           "priority": 0, "limit": limit, "deviceEnrollmentConfigurationType": "limit",
           "createdDateTime": "0001-01-01T00:00:00Z",
           "assignments": [{"id": format!("{TENANT}_DefaultLimit"), "source": "direct",
                            "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]})
}

pub fn limit_config(id: &str, priority: i64, limit: i64, assignments: Vec<Value>) -> Value {
    json!({"@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
           "id": id, "displayName": format!("Limit {id}"), "priority": priority, "limit": limit,
           "deviceEnrollmentConfigurationType": "limit", "createdDateTime": "2025-03-01T00:00:00Z",
           "assignments": assignments})
}

pub fn restriction(blocked: bool, personal_blocked: bool) -> Value {
    json!({"platformBlocked": blocked, "personalDeviceEnrollmentBlocked": personal_blocked,
           "osMinimumVersion": null, "osMaximumVersion": null, "blockedManufacturers": [], "blockedSkus": []})
}

/// The default (plural) platform restrictions configuration.
pub fn default_restrictions(windows: Value) -> Value {
    json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
           "id": format!("{TENANT}_DefaultPlatformRestrictions"), "displayName": "All users and all devices",
           "priority": 0, "deviceEnrollmentConfigurationType": "platformRestrictions",
           "createdDateTime": "0001-01-01T00:00:00Z",
           "windowsRestriction": windows,
           "iosRestriction": restriction(false, false),
           "androidRestriction": restriction(false, false),
           "macOSRestriction": restriction(false, false),
           "windowsMobileRestriction": restriction(true, false),
           "assignments": [{"id": format!("{TENANT}_DefaultPlatformRestrictions"), "source": "direct",
                            "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]})
}

/// A custom per-platform (singular) Windows restriction.
pub fn windows_restriction(
    id: &str,
    priority: i64,
    windows: Value,
    assignments: Vec<Value>,
) -> Value {
    json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration",
           "id": id, "displayName": format!("Windows {id}"), "priority": priority,
           "deviceEnrollmentConfigurationType": "singlePlatformRestriction", "platformType": "windows",
           "createdDateTime": "2025-03-01T00:00:00Z",
           "platformRestriction": windows, "assignments": assignments})
}

// ---------------------------------------------------------------- MDM / MAM scope

pub fn mdm_policy(applies_to: &str, groups: &[&str], terms_of_use_url: &str) -> Value {
    let groups: Vec<Value> = groups
        .iter()
        .map(|g| json!({"id": g, "displayName": format!("Group {g}")}))
        .collect();
    json!({"@odata.type": "#microsoft.graph.mobileDeviceManagementPolicy",
           "id": crate::model::INTUNE_APP_ID, "displayName": "Microsoft Intune", "appliesTo": applies_to,
           "includedGroups": groups, "isValid": true,
           "termsOfUseUrl": terms_of_use_url,
           "discoveryUrl": "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc",
           "complianceUrl": "https://portal.manage.microsoft.com/?portalAction=Compliance"})
}

pub fn mam_policy(applies_to: &str, groups: &[&str]) -> Value {
    let groups: Vec<Value> = groups
        .iter()
        .map(|g| json!({"id": g, "displayName": format!("Group {g}")}))
        .collect();
    json!({"@odata.type": "#microsoft.graph.mobileAppManagementPolicy",
           "id": crate::model::INTUNE_APP_ID, "displayName": "Microsoft Intune", "appliesTo": applies_to,
           "includedGroups": groups, "isValid": true,
           "termsOfUseUrl": "", "complianceUrl": "", "discoveryUrl": "https://wip.mam.manage.microsoft.com/Enroll"})
}

pub const DEFAULT_TERMS_OF_USE: &str = "https://portal.manage.microsoft.com/TermsofUse.aspx";

// ---------------------------------------------------------------- Entra device settings

/// `membership` is `all`, `none`, or `enumerated` with users and groups.
pub fn registration_policy(quota: i64, join: Value) -> Value {
    json!({"id": "deviceRegistrationPolicy", "displayName": "Device Registration Policy",
           "description": "Tenant-wide policy that manages initial provisioning controls using quota restrictions, additional authentication and authorization checks",
           "userDeviceQuota": quota, "multiFactorAuthConfiguration": "notRequired",
           "azureADRegistration": {"isAdminConfigurable": false, "allowedToRegister": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}},
           "azureADJoin": {"isAdminConfigurable": true, "allowedToJoin": join,
                           "localAdmins": {"enableGlobalAdmins": true, "registeringUsers": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}}},
           "localAdminPassword": {"isEnabled": false}})
}

pub fn join_all() -> Value {
    json!({"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"})
}
pub fn join_none() -> Value {
    json!({"@odata.type": "#microsoft.graph.noDeviceRegistrationMembership"})
}
pub fn join_selected(users: &[&str], groups: &[&str]) -> Value {
    json!({"@odata.type": "#microsoft.graph.enumeratedDeviceRegistrationMembership", "users": users, "groups": groups})
}

// ---------------------------------------------------------------- Intune and Autopilot devices

pub fn managed_device(
    id: &str,
    user_id: &str,
    os: &str,
    agent: &str,
    enrollment_type: &str,
) -> Value {
    json!({"id": id, "deviceName": format!("PC-{id}"), "userId": user_id,
           "userPrincipalName": format!("{user_id}@contoso.com"), "operatingSystem": os,
           "osVersion": "10.0.22631.4460", "serialNumber": format!("SN{id}"), "model": "Latitude 7440",
           "manufacturer": "Dell Inc.", "managementAgent": agent, "managedDeviceOwnerType": "company",
           "deviceEnrollmentType": enrollment_type, "azureADDeviceId": format!("aad-{id}"),
           "enrolledDateTime": "2026-01-10T10:00:00Z"})
}

pub fn autopilot_profile(
    id: &str,
    hybrid: bool,
    self_deploying: bool,
    created: &str,
    template: Option<&str>,
    assignments: Vec<Value>,
) -> Value {
    let odata = if hybrid {
        "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile"
    } else {
        "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"
    };
    let usage = if self_deploying {
        "shared"
    } else {
        "singleUser"
    };
    json!({"@odata.type": odata, "id": id, "displayName": format!("Profile {id}"), "description": "",
           "createdDateTime": created, "lastModifiedDateTime": created,
           "deviceNameTemplate": template, "deviceType": "windowsPc", "locale": "os-default",
           "preprovisioningAllowed": false, "enableWhiteGlove": false,
           "hardwareHashExtractionEnabled": false, "extractHardwareHash": false,
           "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": true, "userType": "standard",
                                         "deviceUsageType": usage, "keyboardSelectionPageSkipped": true, "escapeLinkHidden": true},
           "outOfBoxExperienceSettings": {"hidePrivacySettings": true, "hideEULA": true, "userType": "standard",
                                          "deviceUsageType": usage, "skipKeyboardSelectionPage": true, "hideEscapeLink": true},
           "assignments": assignments})
}

pub fn autopilot_device(
    id: &str,
    serial: &str,
    entra_device_id: &str,
    upn: &str,
    model: &str,
) -> Value {
    json!({"id": id, "serialNumber": serial, "model": model, "manufacturer": "Contoso Hardware",
           "groupTag": "", "purchaseOrderIdentifier": "", "productKey": "",
           "userPrincipalName": upn, "addressableUserName": "", "displayName": "",
           "azureActiveDirectoryDeviceId": entra_device_id, "azureAdDeviceId": entra_device_id,
           "managedDeviceId": "00000000-0000-0000-0000-000000000000",
           "enrollmentState": "notContacted", "lastContactedDateTime": "0001-01-01T00:00:00Z",
           "deploymentProfileAssignmentStatus": "assignedInSync"})
}

pub fn connector(id: &str, state: &str, last_connection: &str) -> Value {
    json!({"id": id, "displayName": format!("ODJ-{id}"), "lastConnectionDateTime": last_connection,
           "state": state, "version": "6.2501.2000.5"})
}

pub fn sku(part: &str, plans: &[&str], enabled: i64, consumed: i64) -> Value {
    let plans: Vec<Value> = plans
        .iter()
        .map(|p| json!({"servicePlanId": p, "servicePlanName": "PLAN", "provisioningStatus": "Success", "appliesTo": "User"}))
        .collect();
    json!({"id": format!("{TENANT}_{part}"), "skuId": "00000000-0000-0000-0000-0000000000aa", "skuPartNumber": part,
           "appliesTo": "User", "capabilityStatus": "Enabled", "consumedUnits": consumed,
           "prepaidUnits": {"enabled": enabled, "suspended": 0, "warning": 0, "lockedOut": 0},
           "servicePlans": plans})
}

pub fn organization(authority: &str) -> Value {
    json!({"id": TENANT, "displayName": "Contoso", "mobileDeviceManagementAuthority": authority,
           "verifiedDomains": [{"name": "contoso.com", "isDefault": true, "isInitial": false, "type": "Managed", "capabilities": "Email, OfficeCommunicationsOnline"}]})
}

// ---------------------------------------------------------------- restrictions and device helpers (checks-restrictions)

/// A personally owned managed device enrolled by its user (Company Portal / Access work or school).
pub fn personal_device(id: &str, user_id: &str, os: &str) -> Value {
    let mut d = managed_device(id, user_id, os, "mdm", "userEnrollment");
    d["managedDeviceOwnerType"] = json!("personal");
    d
}

/// A Windows restriction that allows Windows and sets OS version bounds (`""` = not set).
pub fn restriction_versions(min: &str, max: &str) -> Value {
    let mut r = restriction(false, false);
    r["osMinimumVersion"] = json!(min);
    r["osMaximumVersion"] = json!(max);
    r
}

/// Two Autopilot devices (`ap1`/`dev-1`/`obj-1` in the group `g-ap`, `ap2`/`dev-2`/`obj-2` in
/// none) and these device configurations: the ground of the checks on device profiles that
/// conflict with Windows Autopilot.
pub fn autopilot_pair_with_configurations(configs: Vec<Value>) -> Fixture {
    Fixture::new()
        .with(
            Resource::WindowsAutopilotDeviceIdentities,
            vec![
                autopilot_device("ap1", "PF4100001", "dev-1", "", "Latitude 7450"),
                autopilot_device("ap2", "PF4100002", "dev-2", "", "Latitude 7450"),
            ],
        )
        .with(
            Resource::Devices,
            vec![
                entra_device("obj-1", "dev-1", "AzureAd", &[]),
                entra_device("obj-2", "dev-2", "AzureAd", &[]),
            ],
        )
        .with(
            Resource::GroupMembers,
            vec![group("g-ap", "Autopilot devices", &[("device", "obj-1")])],
        )
        .with(Resource::DeviceConfigurations, configs)
}
