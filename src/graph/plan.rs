//! The request plan: every Graph request the collector makes, in one table.
//!
//! Each row says which endpoint serves a snapshot resource, in which API version, with which
//! `$select` / `$expand` / page size, which permission grants it and which throttling bucket it
//! is charged to. The collector, the loopback stand-in used by the tests and
//! `intune-audit permissions` all read this table; nothing else builds a Graph URL.

use intune_audit_checks::Resource;

/// Graph API version of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    pub fn segment(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

/// The throttling family a request is charged to (graph-client.md §3). A 429 pauses every
/// request of its bucket, not only the one that got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Entra ID (identity and access): resource-unit token bucket per app and tenant.
    Directory,
    /// Intune devices family (managedDevices): 2,000 requests / 20 s per app and tenant.
    IntuneDevices,
    /// Intune enrollment / configuration families: 1,000 requests / 20 s per app and tenant.
    IntuneEnrollment,
}

impl Bucket {
    pub const ALL: [Bucket; 3] = [
        Bucket::Directory,
        Bucket::IntuneDevices,
        Bucket::IntuneEnrollment,
    ];
    pub fn index(self) -> usize {
        match self {
            Bucket::Directory => 0,
            Bucket::IntuneDevices => 1,
            Bucket::IntuneEnrollment => 2,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Bucket::Directory => "directory",
            Bucket::IntuneDevices => "intune-devices",
            Bucket::IntuneEnrollment => "intune-enrollment",
        }
    }
}

/// What the endpoint returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"value": [...], "@odata.nextLink": ...}`, paged.
    Collection,
    /// One object; stored as a 1-item list.
    Singleton,
    /// Fan-out per targeted group through `$batch` (see [`GROUP_MEMBER_REQUESTS`]).
    GroupFanOut,
}

/// One row of the plan.
#[derive(Debug)]
pub struct Request {
    pub resource: Resource,
    pub version: ApiVersion,
    /// Path below the version, starting with `/`.
    pub path: &'static str,
    /// `$select`; empty = none (polymorphic collections whose derived-type properties a
    /// `$select` would have to name per type).
    pub select: &'static str,
    /// `$expand`; empty = none.
    pub expand: &'static str,
    /// `$top`; `None` = rely on the server's page size (Intune endpoints, small collections).
    pub top: Option<u32>,
    /// Send `ConsistencyLevel: eventual` (on every page).
    pub consistency_eventual: bool,
    /// Least-privileged application permission (or delegated-only scope).
    pub permission: &'static str,
    pub bucket: Bucket,
    pub shape: Shape,
    /// Why the row looks the way it does.
    pub note: &'static str,
}

impl Request {
    /// The first page's URL below the Graph base, e.g. `/v1.0/users?$select=id&$top=999`.
    pub fn relative_url(&self) -> String {
        let mut url = format!("/{}{}", self.version.segment(), self.path);
        let mut params: Vec<String> = Vec::new();
        if let Some(f) = filter(self.resource) {
            params.push(format!("$filter={f}"));
        }
        if !self.select.is_empty() {
            params.push(format!("$select={}", self.select));
        }
        if !self.expand.is_empty() {
            params.push(format!("$expand={}", self.expand));
        }
        if let Some(top) = self.top {
            params.push(format!("$top={top}"));
        }
        if !params.is_empty() {
            url.push('?');
            url.push_str(&params.join("&"));
        }
        url
    }
}

/// Largest `$top` the directory accepts (`$top=1000` → 400).
pub const DIRECTORY_MAX_TOP: u32 = 999;
/// `$expand` on directory objects caps a page at 100 objects whatever `$top` says.
pub const DIRECTORY_EXPAND_TOP: u32 = 100;

/// The plan. One row per snapshot resource, in collection order.
pub static PLAN: &[Request] = &[
    Request {
        resource: Resource::Organization,
        version: ApiVersion::V1,
        path: "/organization",
        select: "id,displayName,verifiedDomains,mobileDeviceManagementAuthority",
        expand: "",
        top: None,
        consistency_eventual: false,
        permission: "Organization.Read.All",
        bucket: Bucket::Directory,
        shape: Shape::Collection,
        note: "mobileDeviceManagementAuthority is returned only when $select names it (graph-reference §8)",
    },
    Request {
        resource: Resource::Domains,
        version: ApiVersion::V1,
        path: "/domains",
        select: "id,isVerified,isDefault,isInitial,authenticationType",
        expand: "",
        top: None,
        consistency_eventual: false,
        permission: "Domain.Read.All",
        bucket: Bucket::Directory,
        shape: Shape::Collection,
        note: "small collection, one page",
    },
    Request {
        resource: Resource::SubscribedSkus,
        version: ApiVersion::V1,
        path: "/subscribedSkus",
        select: "",
        expand: "",
        top: None,
        consistency_eventual: false,
        permission: "LicenseAssignment.Read.All",
        bucket: Bucket::Directory,
        shape: Shape::Collection,
        note: "small collection; no $filter/$top support, read whole",
    },
    Request {
        resource: Resource::Users,
        version: ApiVersion::V1,
        path: "/users",
        select: "id,displayName,userPrincipalName,accountEnabled,userType,assignedPlans,onPremisesSyncEnabled,onPremisesUserPrincipalName",
        expand: "",
        top: Some(DIRECTORY_MAX_TOP),
        consistency_eventual: false,
        permission: "User.Read.All",
        bucket: Bucket::Directory,
        shape: Shape::Collection,
        note: "assignedPlans is returned only on $select; 999 per page",
    },
    Request {
        resource: Resource::GroupMembers,
        version: ApiVersion::V1,
        path: "/groups/{id}/transitiveMembers",
        select: "id",
        expand: "",
        top: Some(DIRECTORY_MAX_TOP),
        consistency_eventual: false,
        permission: "GroupMember.Read.All",
        bucket: Bucket::Directory,
        shape: Shape::GroupFanOut,
        note: "only the groups the assignments, MDM/MAM scopes, the device registration policy and Conditional Access policies reference; first pages through $batch",
    },
    Request {
        resource: Resource::Devices,
        version: ApiVersion::V1,
        path: "/devices",
        select: "id,deviceId,displayName,operatingSystem,trustType",
        expand: "registeredOwners($select=id)",
        top: Some(DIRECTORY_EXPAND_TOP),
        consistency_eventual: false,
        permission: "Device.Read.All",
        bucket: Bucket::Directory,
        shape: Shape::Collection,
        note: "$expand on directory objects returns at most 100 per page (Graph known issue 13635), so $top=100; a device has at most one registered owner, well under the 20 expanded objects Graph returns",
    },
    Request {
        resource: Resource::ManagedDevices,
        version: ApiVersion::V1,
        path: "/deviceManagement/managedDevices",
        select: "id,deviceName,userId,userPrincipalName,operatingSystem,osVersion,serialNumber,model,manufacturer,managementAgent,managedDeviceOwnerType,deviceEnrollmentType,azureADDeviceId,enrolledDateTime",
        expand: "",
        top: None,
        consistency_eventual: false,
        permission: "DeviceManagementManagedDevices.Read.All",
        bucket: Bucket::IntuneDevices,
        shape: Shape::Collection,
        note: "server page size (about 1000); wide objects, so $select",
    },
    Request {
        resource: Resource::DeviceEnrollmentConfigurations,
        version: ApiVersion::Beta,
        path: "/deviceManagement/deviceEnrollmentConfigurations",
        select: "",
        expand: "assignments",
        top: None,
        consistency_eventual: false,
        permission: "DeviceManagementServiceConfig.Read.All",
        bucket: Bucket::IntuneEnrollment,
        shape: Shape::Collection,
        note: "beta: the per-platform restriction type exists only there; polymorphic, so no $select",
    },
    Request {
        resource: Resource::MobileDeviceManagementPolicies,
        version: ApiVersion::Beta,
        path: "/policies/mobileDeviceManagementPolicies",
        select: "",
        expand: "includedGroups($select=id,displayName)",
        top: None,
        consistency_eventual: false,
        permission: "Policy.Read.All (delegated only)",
        bucket: Bucket::Directory,
        shape: Shape::Collection,
        note: "beta only and delegated only: app-only tokens get 401 \"Unsupported app-only call\"",
    },
    Request {
        resource: Resource::MobileAppManagementPolicies,
        version: ApiVersion::Beta,
        path: "/policies/mobileAppManagementPolicies",
        select: "",
        expand: "includedGroups($select=id,displayName)",
        top: None,
        consistency_eventual: false,
        permission: "Policy.Read.All (delegated only)",
        bucket: Bucket::Directory,
        shape: Shape::Collection,
        note: "beta only and delegated only",
    },
    Request {
        resource: Resource::DeviceRegistrationPolicy,
        version: ApiVersion::V1,
        path: "/policies/deviceRegistrationPolicy",
        select: "",
        expand: "",
        top: None,
        consistency_eventual: false,
        permission: "Policy.Read.DeviceConfiguration",
        bucket: Bucket::Directory,
        shape: Shape::Singleton,
        note: "a singleton; v1.0 has the current shape",
    },
    Request {
        resource: Resource::WindowsAutopilotDeploymentProfiles,
        version: ApiVersion::Beta,
        path: "/deviceManagement/windowsAutopilotDeploymentProfiles",
        select: "",
        expand: "assignments",
        top: None,
        consistency_eventual: false,
        permission: "DeviceManagementServiceConfig.Read.All",
        bucket: Bucket::IntuneEnrollment,
        shape: Shape::Collection,
        note: "beta only; polymorphic (Entra vs hybrid join), so no $select",
    },
    Request {
        resource: Resource::WindowsAutopilotDeviceIdentities,
        version: ApiVersion::Beta,
        path: "/deviceManagement/windowsAutopilotDeviceIdentities",
        select: "id,serialNumber,model,manufacturer,groupTag,userPrincipalName,azureActiveDirectoryDeviceId,azureAdDeviceId,managedDeviceId,displayName,enrollmentState,deploymentProfileAssignmentStatus,remediationState",
        expand: "",
        top: None,
        consistency_eventual: false,
        permission: "DeviceManagementServiceConfig.Read.All",
        bucket: Bucket::IntuneEnrollment,
        shape: Shape::Collection,
        note: "beta for deploymentProfileAssignmentStatus and azureAdDeviceId; server page size (about 1000)",
    },
    Request {
        resource: Resource::ImportedWindowsAutopilotDeviceIdentities,
        version: ApiVersion::V1,
        path: "/deviceManagement/importedWindowsAutopilotDeviceIdentities",
        select: "id,serialNumber,groupTag,importId,state",
        expand: "",
        top: None,
        consistency_eventual: false,
        permission: "DeviceManagementServiceConfig.Read.All",
        bucket: Bucket::IntuneEnrollment,
        shape: Shape::Collection,
        note: "imports and their state; how long Intune keeps finished imports is not documented",
    },
    Request {
        resource: Resource::DomainJoinConnectors,
        version: ApiVersion::Beta,
        path: "/deviceManagement/domainJoinConnectors",
        select: "",
        expand: "",
        top: None,
        consistency_eventual: false,
        permission: "DeviceManagementConfiguration.Read.All",
        bucket: Bucket::IntuneEnrollment,
        shape: Shape::Collection,
        note: "beta only; permission is DeviceManagementConfiguration, not ServiceConfig",
    },
    Request {
        resource: Resource::ImportedDeviceIdentities,
        version: ApiVersion::Beta,
        path: "/deviceManagement/importedDeviceIdentities",
        select: "id,importedDeviceIdentifier,importedDeviceIdentityType,platform,enrollmentState",
        expand: "",
        top: None,
        consistency_eventual: false,
        permission: "DeviceManagementServiceConfig.Read.All",
        bucket: Bucket::IntuneEnrollment,
        shape: Shape::Collection,
        note: "beta only (intune-enrollment-importeddeviceidentity-list); corporate device identifiers, Windows ones typed manufacturerModelSerial",
    },
    Request {
        resource: Resource::ConditionalAccessPolicies,
        version: ApiVersion::V1,
        path: "/identity/conditionalAccess/policies",
        select: "",
        expand: "",
        top: None,
        consistency_eventual: false,
        permission: "Policy.Read.All",
        bucket: Bucket::Directory,
        shape: Shape::Collection,
        note: "small collection; whole objects, since every condition matters (conditionalaccessroot-list-policies)",
    },
    Request {
        resource: Resource::DeviceConfigurations,
        version: ApiVersion::V1,
        path: "/deviceManagement/deviceConfigurations",
        select: "",
        expand: "assignments",
        top: None,
        consistency_eventual: false,
        permission: "DeviceManagementConfiguration.Read.All",
        bucket: Bucket::IntuneEnrollment,
        shape: Shape::Collection,
        note: "polymorphic (windows10GeneralConfiguration carries microsoftAccountSignInAssistantSettings, windows10CustomConfiguration its omaSettings), so no $select; assignments expanded",
    },
    Request {
        resource: Resource::TroubleshootingEvents,
        version: ApiVersion::V1,
        path: "/deviceManagement/troubleshootingEvents",
        select: "",
        expand: "",
        top: None,
        consistency_eventual: false,
        permission: "DeviceManagementManagedDevices.Read.All",
        bucket: Bucket::IntuneDevices,
        shape: Shape::Collection,
        note: "the list page documents no $filter, $select or $top: every page is read and the window (--history-days) and the kept fields are applied client-side",
    },
    Request {
        resource: Resource::AutopilotEvents,
        version: ApiVersion::Beta,
        path: "/deviceManagement/autopilotEvents",
        select: "",
        expand: "",
        top: None,
        consistency_eventual: false,
        permission: "DeviceManagementManagedDevices.Read.All",
        bucket: Bucket::IntuneDevices,
        shape: Shape::Collection,
        note: "beta only; Graph returns 50 per page (Autopilot known issues), no documented $filter: window and fields client-side",
    },
    Request {
        resource: Resource::ConfigurationPolicies,
        version: ApiVersion::Beta,
        path: "/deviceManagement/configurationPolicies",
        select: "id,name,platforms,technologies,templateReference",
        expand: "assignments,settings",
        top: None,
        consistency_eventual: false,
        permission: "DeviceManagementConfiguration.Read.All",
        bucket: Bucket::IntuneEnrollment,
        shape: Shape::Collection,
        note: "beta only; the list documents no $filter: the collector keeps the enrollmentConfiguration template family (device preparation) and drops every other settings-catalog policy; the device group is not in any GET (only the POST action retrieveJustInTimeConfiguration returns it)",
    },
    Request {
        resource: Resource::ServicePrincipals,
        version: ApiVersion::V1,
        path: "/servicePrincipals",
        select: "id,appId,displayName",
        expand: "",
        top: None,
        consistency_eventual: false,
        permission: "Application.Read.All",
        bucket: Bucket::Directory,
        shape: Shape::Collection,
        note: "only the Intune Provisioning Client, by appId ($filter on appId is documented without advanced-query headers)",
    },
    Request {
        resource: Resource::MobileApps,
        version: ApiVersion::V1,
        path: "/deviceAppManagement/mobileApps",
        select: "",
        expand: "assignments",
        top: None,
        consistency_eventual: false,
        permission: "DeviceManagementApps.Read.All",
        bucket: Bucket::IntuneEnrollment,
        shape: Shape::Collection,
        note: "polymorphic (windowsMobileMSI, win32LobApp, …), so no $select: type, name and assignments are kept client-side",
    },
];

/// The Intune Provisioning Client's appId, as the `$filter` of the service principal read.
const PROVISIONING_CLIENT_FILTER: &str = "appId%20eq%20%27f1346770-5b25-470b-88bd-d5744ab7952c%27";

/// The `$filter` of a plan row, percent-encoded (`None`: the row reads the whole collection).
pub fn filter(resource: Resource) -> Option<&'static str> {
    match resource {
        Resource::ServicePrincipals => Some(PROVISIONING_CLIENT_FILTER),
        _ => None,
    }
}

/// Whether the collector keeps an item: of the settings-catalog policies only the
/// `enrollmentConfiguration` template family (device preparation) is kept, and any policy whose
/// family is not reported (it may be one) — the others are large and no check reads them.
pub fn keeps_item(resource: Resource, item: &serde_json::Value) -> bool {
    match resource {
        Resource::ConfigurationPolicies => item
            .pointer("/templateReference/templateFamily")
            .and_then(serde_json::Value::as_str)
            .is_none_or(|f| f == intune_audit_checks::model::ENROLLMENT_TEMPLATE_FAMILY),
        _ => true,
    }
}

/// The fields of an event the failure join reads; the collector keeps only these (privacy and
/// size: no device names, durations or correlation ids).
pub fn kept_fields(resource: Resource) -> Option<&'static [&'static str]> {
    match resource {
        Resource::TroubleshootingEvents => Some(&[
            "@odata.type",
            "id",
            "eventDateTime",
            "userId",
            "deviceId",
            "enrollmentType",
            "failureCategory",
            "failureReason",
            "operatingSystem",
            "osVersion",
        ]),
        Resource::MobileApps => Some(&["@odata.type", "id", "displayName", "assignments"]),
        Resource::AutopilotEvents => Some(&[
            "id",
            "eventDateTime",
            "deviceId",
            "userId",
            "deviceSerialNumber",
            "userPrincipalName",
            "windowsAutopilotDeploymentProfileDisplayName",
            "enrollmentType",
            "enrollmentState",
            "deploymentState",
            "deviceSetupStatus",
            "accountSetupStatus",
            "enrollmentFailureDetails",
            "osVersion",
        ]),
        _ => None,
    }
}

/// The two first-page requests per targeted group, batched 10 groups (20 requests) at a time.
pub fn group_member_requests(group_id: &str) -> [String; 2] {
    [
        format!("/groups/{group_id}?$select=id,displayName"),
        format!("/groups/{group_id}/transitiveMembers?$select=id&$top={DIRECTORY_MAX_TOP}"),
    ]
}

/// Describes [`group_member_requests`] for documentation.
pub const GROUP_MEMBER_REQUESTS: &str =
    "/groups/{id}?$select=id,displayName and /groups/{id}/transitiveMembers?$select=id&$top=999";

/// Partitioned paging (see `collect.rs`): resources whose nextLink chain is long enough to
/// set the collection's wall time, and the property whose `ge`/`le` ranges split them. Entra
/// devices qualify: `$expand=registeredOwners` caps their pages at 100, so a 220k-device
/// tenant is a chain of 2,200 pages. Graph supports `ge`, `le` and `eq null` on a device's
/// `displayName` without advanced-query headers.
pub fn partition_property(resource: Resource) -> Option<&'static str> {
    match resource {
        Resource::Devices => Some("displayName"),
        _ => None,
    }
}

/// A partition is worth its extra requests (one partial last page each, plus `$count` and the
/// sample page) when each covers at least this many pages: the overhead stays under 5%.
pub const PAGES_PER_PARTITION: u64 = 20;
/// At most this many ranges (plus `eq null`) in flight for one resource.
pub const MAX_PARTITIONS: usize = 16;

/// How many ranges a partitioned read of `items` items at `page` per page is cut into (below 2:
/// not partitioned).
pub fn partition_count(items: u64, page: u64) -> usize {
    (items.div_ceil(page.max(1)) / PAGES_PER_PARTITION).min(MAX_PARTITIONS as u64) as usize
}

/// The plan row of a resource.
pub fn request(resource: Resource) -> &'static Request {
    PLAN.iter()
        .find(|r| r.resource == resource)
        .unwrap_or_else(|| unreachable!("every resource has a plan row (tested)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_has_exactly_one_row_with_the_checks_permission() {
        for r in Resource::ALL {
            let rows: Vec<_> = PLAN.iter().filter(|p| p.resource == r).collect();
            assert_eq!(rows.len(), 1, "{r}");
            assert_eq!(rows[0].permission, r.permission(), "{r}");
        }
    }

    #[test]
    fn page_sizes_respect_graph_limits() {
        for p in PLAN {
            if let Some(top) = p.top {
                assert!(top <= DIRECTORY_MAX_TOP, "{}", p.resource);
                if !p.expand.is_empty() && p.bucket == Bucket::Directory {
                    assert!(top <= DIRECTORY_EXPAND_TOP, "{}", p.resource);
                }
            }
            if p.bucket != Bucket::Directory {
                assert_eq!(p.top, None, "Intune: rely on the server page size");
            }
        }
    }

    #[test]
    fn the_provisioning_client_is_read_by_app_id_and_other_policies_are_dropped() {
        assert_eq!(
            request(Resource::ServicePrincipals).relative_url(),
            "/v1.0/servicePrincipals?$filter=appId%20eq%20%27f1346770-5b25-470b-88bd-d5744ab7952c%27&$select=id,appId,displayName"
        );
        let family = |f: serde_json::Value| serde_json::json!({"id": "p", "templateReference": {"templateFamily": f}});
        let keeps = |v: &serde_json::Value| keeps_item(Resource::ConfigurationPolicies, v);
        assert!(keeps(&family("enrollmentConfiguration".into())));
        assert!(!keeps(&family("none".into())));
        assert!(!keeps(&family("endpointSecurityFirewall".into())));
        // A family not reported may be device preparation: kept, and judged as at risk.
        assert!(keeps(&family(serde_json::Value::Null)));
        assert!(keeps(&serde_json::json!({"id": "p"})));
        assert!(keeps_item(Resource::MobileApps, &family("none".into())));
        assert_eq!(
            kept_fields(Resource::MobileApps),
            Some(&["@odata.type", "id", "displayName", "assignments"][..])
        );
    }

    #[test]
    fn urls_carry_the_fields_the_checks_read() {
        let users = request(Resource::Users).relative_url();
        for f in [
            "id",
            "displayName",
            "userPrincipalName",
            "accountEnabled",
            "userType",
            "assignedPlans",
            "onPremisesSyncEnabled",
            "onPremisesUserPrincipalName",
        ] {
            assert!(users.contains(f), "{f}");
        }
        assert!(users.ends_with("&$top=999"));
        assert_eq!(
            request(Resource::Organization).relative_url(),
            "/v1.0/organization?$select=id,displayName,verifiedDomains,mobileDeviceManagementAuthority"
        );
        assert!(request(Resource::Devices)
            .relative_url()
            .contains("$expand=registeredOwners($select=id)&$top=100"));
        assert_eq!(
            request(Resource::DeviceConfigurations).relative_url(),
            "/v1.0/deviceManagement/deviceConfigurations?$expand=assignments"
        );
        assert_eq!(
            request(Resource::ConditionalAccessPolicies).relative_url(),
            "/v1.0/identity/conditionalAccess/policies"
        );
        for r in [
            Resource::ImportedDeviceIdentities,
            Resource::WindowsAutopilotDeploymentProfiles,
            Resource::DomainJoinConnectors,
            Resource::MobileDeviceManagementPolicies,
            Resource::MobileAppManagementPolicies,
        ] {
            assert_eq!(request(r).version, ApiVersion::Beta, "{r} is beta only");
        }
    }
}
